import { runWithContext, type AuditTrail, type ServiceDefinition } from '@causeway/service-runtime';
import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';

/**
 * A command run in reaction to another service's event: inside the consumer's inbox
 * transaction, its events caused by that event (ARCHITECTURE §2), and a no-op when the order
 * is no longer in a state the reaction applies to (so a repeat, or a late event, changes nothing).
 */
export interface Reaction {
  transaction: PoolClient;
  cause: { eventId: string; metadata: { correlationId: string; traceparent?: string } };
}

/**
 * Audits a reaction that acted, in its transaction (so exactly once with its effect), as done by
 * this service within the cause's correlation.
 */
export function auditReaction(audit: AuditTrail, service: ServiceDefinition, command: string, targetId: string, reaction: Reaction): Promise<void> {
  return runWithContext({ correlationId: reaction.cause.metadata.correlationId, actor: service.name }, () =>
    audit.record({ command, targetId, commandId: randomUUID(), outcome: 'accepted' }, reaction.transaction),
  );
}
