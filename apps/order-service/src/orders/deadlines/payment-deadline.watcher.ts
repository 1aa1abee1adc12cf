import { WakeSignal, type EventStore } from '@causeway/eventsourcing';
import { EVENT_STORE, inTransaction, PG_POOL } from '@causeway/service-runtime';
import { Inject, Injectable, Logger, Optional, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { Pool, PoolClient } from 'pg';
import { CancelOrder } from '../commands/cancel-order/cancel-order.command';
import { PaymentDeadlines } from './payment-deadlines';

export const PAYMENT_DEADLINE_WATCHER_OPTIONS = Symbol('PAYMENT_DEADLINE_WATCHER_OPTIONS');

export interface PaymentDeadlineWatcherOptions {
  /** How often to look for due deadlines when the last look found fewer than a batch. */
  pollIntervalMs: number;
  /** Deadlines claimed (and orders cancelled) per transaction. */
  batchSize: number;
  /** First delay after a failed expiry; doubles per attempt up to maxBackoffMs. */
  retryBackoffMs: number;
  maxBackoffMs: number;
}

export const defaultWatcherOptions: PaymentDeadlineWatcherOptions = { pollIntervalMs: 250, batchSize: 20, retryBackoffMs: 500, maxBackoffMs: 30_000 };

/**
 * No payment outcome by the deadline → OrderCancelled (payment_timeout), ARCHITECTURE §5.6.
 *
 * Deadlines are rows of payment_deadlines (written with OrderPlaced), so they survive restarts:
 * an order whose deadline passed while no instance ran is cancelled at the next start. Each look
 * is ONE short transaction: claim due rows (FOR UPDATE SKIP LOCKED: replicas never expire the
 * same order twice), cancel the orders still PENDING through the ordinary CancelOrder reaction
 * (caused by the order's OrderPlaced, in its correlation), mark the rows done. Nothing waits
 * inside it: a long transaction would hold back every projection on the server.
 */
@Injectable()
export class PaymentDeadlineWatcher implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('PaymentDeadlineWatcher');
  private readonly wake = new WakeSignal();
  private readonly options: PaymentDeadlineWatcherOptions;
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly deadlines: PaymentDeadlines,
    private readonly commands: CommandBus,
    @Optional() @Inject(PAYMENT_DEADLINE_WATCHER_OPTIONS) options?: Partial<PaymentDeadlineWatcherOptions>,
  ) {
    this.options = { ...defaultWatcherOptions, ...options };
  }

  onApplicationBootstrap(): void {
    this.start();
  }

  /** Before onApplicationShutdown, where the runtime ends the pool. */
  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Lets the look under way finish (it is short), then returns. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wake.notify();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      let claimed = 0;
      try {
        claimed = await this.expireDue();
      } catch (error) {
        this.logger.error(`expiring payment deadlines: ${(error as Error).message}`);
      }
      // A full batch: more may be due, look again at once.
      if (claimed < this.options.batchSize && this.running) await this.wake.wait(this.options.pollIntervalMs);
    }
  }

  /** One short transaction over up to batchSize due deadlines. Returns how many it claimed. */
  async expireDue(): Promise<number> {
    return inTransaction(this.pool, async (tx) => {
      const due = await this.deadlines.claimDue(tx, this.options.batchSize);
      for (const orderId of due) {
        // One order's failure (a concurrent write) must not undo the others' cancellations.
        await tx.query('SAVEPOINT payment_deadline');
        try {
          await this.expire(tx, orderId);
          await tx.query('RELEASE SAVEPOINT payment_deadline');
        } catch (error) {
          await tx.query('ROLLBACK TO SAVEPOINT payment_deadline');
          this.logger.warn(`payment deadline of order ${orderId}: ${(error as Error).message}; retrying later`);
          await this.deadlines.postpone(tx, orderId, error, this.options.retryBackoffMs, this.options.maxBackoffMs);
        }
      }
      return due.length;
    });
  }

  /**
   * The deadline of `orderId` has passed (its row is claimed in `tx`): cancel the order if it
   * still waits for a payment, and mark the deadline done either way. True when it cancelled.
   */
  async expire(tx: PoolClient, orderId: string): Promise<boolean> {
    // The cancellation is caused by the order's own OrderPlaced (the deadline was set by it), in its correlation.
    const [placed] = await this.store.readStream(orderId, 0, tx);
    let cancelled = false;
    if (placed?.eventType === 'OrderPlaced') {
      // The reaction path acts only on a PENDING order (automaticCancellations.payment_timeout).
      cancelled = (await this.commands.execute(new CancelOrder(orderId, 'payment_timeout', undefined, { transaction: tx, cause: placed }))) !== undefined;
    }
    await this.deadlines.settle(tx, orderId);
    return cancelled;
  }
}
