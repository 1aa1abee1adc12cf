import { afterCommit, type EventStore, type StagedAppend } from '@causeway/eventsourcing';
import { metrics } from '@causeway/observability';
import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import { currentContext, runWithContext } from '../request-context';

export interface AuditEntry {
  command: string;
  targetId?: string;
  outcome: 'accepted' | 'rejected';
  reason?: string;
  commandId: string;
  /** What caused the command, when not the command itself: the event a reaction consumed. */
  causationId?: string;
}

/**
 * Who ran which command, and whether it was accepted (ARCHITECTURE §2): a CommandAudited event
 * per command, each its own one-event stream, published through the outbox to audit_events.
 */
export class AuditTrail {
  private readonly logger = new Logger('AuditTrail');

  constructor(
    private readonly store: EventStore,
    private readonly source: string,
  ) {}

  /**
   * Runs a command and records its outcome. `execute` gets `recordAccepted`, to call in the
   * transaction that commits the command's effect: the audit record then commits with it, or
   * not at all (recorded afterwards, a crash in between would lose it). Called before the
   * command's own append, the record is written in that append's statement (EventStore.stage).
   * A command whose record did not commit (it never called `recordAccepted`, or its transaction
   * rolled back and it answered anyway, as a replay does) is recorded as accepted once it
   * returns. A rejection is recorded on its own (there is nothing to commit it with), and a
   * failure to record one is logged, not thrown: the client must see the command's own error.
   */
  async run<T>(command: string, targetId: string | undefined, commandId: string, execute: (recordAccepted: (transaction: unknown) => Promise<void>) => Promise<T>): Promise<T> {
    const started = performance.now();
    const timed = (outcome: AuditEntry['outcome']) => metrics.commandSeconds.observe({ command, outcome }, (performance.now() - started) / 1_000);
    const accepted: AuditEntry = { command, targetId, commandId, outcome: 'accepted' };
    let recorded = false;
    try {
      const result = await execute(async (transaction) => {
        await this.append(accepted, transaction);
        // A transaction whose commit cannot be observed has the record already.
        if (!afterCommit(transaction as PoolClient, () => (recorded = true))) recorded = true;
      });
      timed('accepted');
      if (!recorded) await this.record(accepted);
      return result;
    } catch (error) {
      timed('rejected');
      await this.record({ command, targetId, commandId, outcome: 'rejected', reason: (error as Error).message });
      throw error;
    }
  }

  /**
   * With `transaction` (a reaction's consumer transaction), the audit record commits with the
   * reaction, exactly once, and an error is thrown rather than logged; it is staged, to be
   * written with the transaction's next append (so best made before the reaction's own).
   */
  async record(entry: AuditEntry, transaction?: unknown): Promise<void> {
    if (transaction) return this.append(entry, transaction);
    await this.append(entry).catch((error: Error) => this.logger.error(`audit of ${entry.command} ${entry.commandId} failed: ${error.message}`));
  }

  /**
   * Audits a command run in reaction to another service's event, inside the consumer's
   * transaction (so exactly once, with its effect), as done by this service within the cause's
   * correlation, caused by that event as the reaction's own events are (ARCHITECTURE §2): the
   * record sits under the event in the correlation's causation tree.
   */
  recordReaction(command: string, targetId: string, cause: { eventId: string; metadata: { correlationId: string } }, transaction: unknown): Promise<void> {
    return runWithContext({ correlationId: cause.metadata.correlationId, actor: this.source }, () =>
      this.record({ command, targetId, commandId: randomUUID(), causationId: cause.eventId, outcome: 'accepted' }, transaction),
    );
  }

  private async append(entry: AuditEntry, transaction?: unknown): Promise<void> {
    const request = this.requestOf(entry);
    await (transaction ? this.store.stage({ ...request, transaction }) : this.store.append(request));
  }

  /** Each record a one-event stream of its own: it never conflicts with anything. */
  private requestOf(entry: AuditEntry): Omit<StagedAppend, 'transaction'> {
    const context = currentContext();
    const actor = context?.actor ?? 'anonymous';
    return {
      aggregateId: randomUUID(),
      aggregateType: 'Audit',
      expectedVersion: 0,
      events: [
        {
          eventId: randomUUID(),
          eventType: 'CommandAudited',
          schemaVersion: 1,
          data: {
            actor,
            command: entry.command,
            outcome: entry.outcome,
            ...(entry.targetId ? { targetId: entry.targetId } : {}),
            ...(entry.reason ? { reason: entry.reason.slice(0, 500) } : {}),
          },
          metadata: { correlationId: context?.correlationId ?? entry.commandId, causationId: entry.causationId ?? entry.commandId, source: this.source },
        },
      ],
    };
  }
}
