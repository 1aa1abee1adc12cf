import type { EventEnvelope } from '@causeway/contracts';
import type { IHeaders, Message } from 'kafkajs';

/** Header names every published event carries, so brokers, tools and tracers need not parse the body. */
export const Headers = {
  eventId: 'event-id',
  eventType: 'event-type',
  schemaVersion: 'schema-version',
  correlationId: 'correlation-id',
  causationId: 'causation-id',
  traceparent: 'traceparent',
  source: 'source',
  contentType: 'content-type',
} as const;

/** Key = aggregateId: one aggregate's events land on one partition, in order. */
export function toKafkaMessage(event: EventEnvelope): Message {
  const headers: IHeaders = {
    [Headers.eventId]: event.eventId,
    [Headers.eventType]: event.eventType,
    [Headers.schemaVersion]: String(event.schemaVersion),
    [Headers.correlationId]: event.metadata.correlationId,
    [Headers.causationId]: event.metadata.causationId,
    [Headers.source]: event.metadata.source,
    [Headers.contentType]: 'application/json',
  };
  if (event.metadata.traceparent) headers[Headers.traceparent] = event.metadata.traceparent;
  const { eventId, eventType, aggregateType, aggregateId, version, timestamp, schemaVersion, data, metadata } = event;
  return {
    key: event.aggregateId,
    value: JSON.stringify({ eventId, eventType, aggregateType, aggregateId, version, timestamp, schemaVersion, data, metadata }),
    headers,
  };
}

export function headerValue(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value.length ? String(value[0]) : undefined;
  return value.toString();
}
