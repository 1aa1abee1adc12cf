import { z } from 'zod';
import { defineEvent } from '../event-definition';
import { Topics } from '../topics';

const topic = Topics.systemEvents;

export const ProjectionRebuilt = defineEvent({
  type: 'ProjectionRebuilt',
  aggregateType: 'Projection',
  topic,
  schemaVersion: 1,
  schema: z.object({ projection: z.string().min(1), service: z.string().min(1), eventsReplayed: z.number().int().nonnegative() }),
});

export const MessageDeadLettered = defineEvent({
  type: 'MessageDeadLettered',
  aggregateType: 'Consumer',
  topic,
  schemaVersion: 1,
  schema: z.object({
    consumerGroup: z.string().min(1),
    topic: z.string().min(1),
    partition: z.number().int().nonnegative(),
    offset: z.string().min(1),
    eventId: z.string().optional(),
    error: z.string().min(1),
    attempts: z.number().int().positive(),
  }),
});
