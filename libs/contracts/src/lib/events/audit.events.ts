import { z } from 'zod';
import { defineEvent } from '../event-definition';
import { Topics } from '../topics';

/** Who ran which command, and whether it was accepted (ARCHITECTURE §2, audit events). */
export const CommandAudited = defineEvent({
  type: 'CommandAudited',
  aggregateType: 'Audit',
  topic: Topics.auditEvents,
  schemaVersion: 1,
  schema: z.object({
    actor: z.string().min(1),
    command: z.string().min(1),
    targetId: z.string().optional(),
    outcome: z.enum(['accepted', 'rejected']),
    reason: z.string().optional(),
  }),
});
