import { z } from 'zod';
import { defineEvent } from '../event-definition';
import { Topics } from '../topics';
import { id } from './common.schema';

const aggregateType = 'User';
const topic = Topics.userEvents;

/**
 * v1 (the seed's shape) carried one `name`; v2 splits it into givenName / familyName.
 * Stored v1 events are read as v2 through the upcaster below, never rewritten.
 */
export const UserCreated = defineEvent({
  type: 'UserCreated',
  aggregateType,
  topic,
  schemaVersion: 2,
  schema: z.object({
    userId: id,
    email: z.email(),
    givenName: z.string().min(1).max(100),
    familyName: z.string().max(100),
  }),
  upcasters: {
    1: (v1) => {
      const { name, ...rest } = v1 as { name?: string };
      const full = (name ?? '').trim();
      const space = full.indexOf(' ');
      return space === -1 ? { ...rest, givenName: full, familyName: '' } : { ...rest, givenName: full.slice(0, space), familyName: full.slice(space + 1).trim() };
    },
  },
});

export const UserUpdated = defineEvent({
  type: 'UserUpdated',
  aggregateType,
  topic,
  schemaVersion: 1,
  schema: z
    .object({
      userId: id,
      email: z.email().optional(),
      givenName: z.string().min(1).max(100).optional(),
      familyName: z.string().max(100).optional(),
    })
    .refine((d) => d.email !== undefined || d.givenName !== undefined || d.familyName !== undefined, 'an update changes at least one field'),
});

export const UserDeleted = defineEvent({
  type: 'UserDeleted',
  aggregateType,
  topic,
  schemaVersion: 1,
  schema: z.object({ userId: id }),
});
