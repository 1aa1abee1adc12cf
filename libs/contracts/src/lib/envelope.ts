import { z } from 'zod';

/**
 * Who caused an event and how it relates to others (ARCHITECTURE §2). A command's first event
 * takes correlationId from the request and causationId = the command id; an event caused by
 * consuming event E carries E's correlationId and causationId = E.eventId.
 */
export const eventMetadataSchema = z.object({
  userId: z.string().min(1).optional(),
  correlationId: z.string().min(1),
  causationId: z.string().min(1),
  source: z.string().min(1),
  traceparent: z.string().regex(/^[\da-f]{2}-[\da-f]{32}-[\da-f]{16}-[\da-f]{2}$/, 'must be a W3C traceparent').optional(),
});

export type EventMetadata = z.infer<typeof eventMetadataSchema>;

/** The envelope every event travels in: the seed's event_structure plus aggregateType and schemaVersion. */
export const eventEnvelopeSchema = z.object({
  eventId: z.uuid(),
  eventType: z.string().min(1),
  aggregateType: z.string().min(1),
  aggregateId: z.uuid(),
  /** Per aggregate, 1-based, gap-free. */
  version: z.number().int().positive(),
  /** UTC, ISO-8601. */
  timestamp: z.iso.datetime(),
  schemaVersion: z.number().int().positive(),
  data: z.record(z.string(), z.unknown()),
  metadata: eventMetadataSchema,
});

export interface EventEnvelope<TType extends string = string, TData = Record<string, unknown>> {
  eventId: string;
  eventType: TType;
  aggregateType: string;
  aggregateId: string;
  version: number;
  timestamp: string;
  schemaVersion: number;
  data: TData;
  metadata: EventMetadata;
}
