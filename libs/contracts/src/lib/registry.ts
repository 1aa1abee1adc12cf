import type { z } from 'zod';
import { eventEnvelopeSchema, type EventEnvelope } from './envelope';
import { InvalidEventPayloadError, UnknownEventTypeError, UnsupportedSchemaVersionError } from './errors';
import type { EventDefinition, PayloadOf } from './event-definition';
import { CommandAudited } from './events/audit.events';
import { NotificationFailed, NotificationSent } from './events/notification.events';
import { OrderCancelled, OrderConfirmed, OrderDelivered, OrderPlaced, OrderShipped } from './events/order.events';
import { PaymentFailed, PaymentInitiated, PaymentProcessed, PaymentRefunded } from './events/payment.events';
import { MessageDeadLettered, ProjectionRebuilt } from './events/system.events';
import { UserCreated, UserDeleted, UserUpdated } from './events/user.events';

/** Every integration, system and audit event: eventType → schema, schema version, topic. */
export const eventCatalog = {
  UserCreated,
  UserUpdated,
  UserDeleted,
  OrderPlaced,
  OrderConfirmed,
  OrderShipped,
  OrderDelivered,
  OrderCancelled,
  PaymentInitiated,
  PaymentProcessed,
  PaymentFailed,
  PaymentRefunded,
  NotificationSent,
  NotificationFailed,
  ProjectionRebuilt,
  MessageDeadLettered,
  CommandAudited,
} as const;

type Catalog = typeof eventCatalog;
export type EventType = keyof Catalog;
export type EventPayload<T extends EventType> = PayloadOf<Catalog[T]>;
/** A catalogued event in its envelope, typed by eventType. */
export type CatalogEvent<T extends EventType = EventType> = { [K in T]: EventEnvelope<K, EventPayload<K>> }[T];

export function isEventType(type: string): type is EventType {
  return Object.prototype.hasOwnProperty.call(eventCatalog, type);
}

export function eventDefinition(type: string): EventDefinition {
  if (!isEventType(type)) throw new UnknownEventTypeError(type);
  return eventCatalog[type] as EventDefinition;
}

function issuesOf(error: z.ZodError): Array<{ path: string; message: string }> {
  return error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
}

/** Checks data against the *current* schema of its type (what writers must produce). */
export function validateEventData(type: string, schemaVersion: number, data: unknown): Record<string, unknown> {
  const definition = eventDefinition(type);
  if (schemaVersion !== definition.schemaVersion) {
    throw new InvalidEventPayloadError(type, schemaVersion, [{ path: 'schemaVersion', message: `writers must use the current version ${definition.schemaVersion}` }]);
  }
  const result = definition.schema.safeParse(data);
  if (!result.success) throw new InvalidEventPayloadError(type, schemaVersion, issuesOf(result.error));
  return result.data as Record<string, unknown>;
}

/** Reads data stored at any older schema version as the current version. */
export function upcastEventData(type: string, schemaVersion: number, data: Record<string, unknown>): { schemaVersion: number; data: Record<string, unknown> } {
  const definition = eventDefinition(type);
  if (schemaVersion > definition.schemaVersion) throw new UnsupportedSchemaVersionError(type, schemaVersion, definition.schemaVersion);
  let current = data;
  for (let v = schemaVersion; v < definition.schemaVersion; v++) current = definition.upcasters[v](current);
  return { schemaVersion: definition.schemaVersion, data: current };
}

export function upcastEvent<E extends { eventType: string; schemaVersion: number; data: Record<string, unknown> }>(event: E): E {
  if (!isEventType(event.eventType)) return event;
  if (event.schemaVersion === eventCatalog[event.eventType].schemaVersion) return event;
  return { ...event, ...upcastEventData(event.eventType, event.schemaVersion, event.data) };
}

/**
 * Decodes an event received from Kafka: envelope shape, known type, upcast to the current
 * schema version, payload valid. Any failure throws, and the consumer dead-letters the message.
 */
export function parseEventEnvelope(raw: unknown): CatalogEvent {
  const envelope = eventEnvelopeSchema.safeParse(raw);
  if (!envelope.success) throw new InvalidEventPayloadError('(envelope)', 0, issuesOf(envelope.error));
  const event = envelope.data as EventEnvelope;
  const upcast = upcastEventData(event.eventType, event.schemaVersion, event.data);
  const data = validateEventData(event.eventType, upcast.schemaVersion, upcast.data);
  return { ...event, schemaVersion: upcast.schemaVersion, data } as CatalogEvent;
}

/** The topic an event type is published to. */
export function topicOf(type: string): string {
  return eventDefinition(type).topic;
}
