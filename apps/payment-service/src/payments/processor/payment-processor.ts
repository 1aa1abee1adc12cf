import { PG_POOL, SERVICE, type ServiceDefinition } from '@causeway/service-runtime';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { Pool, PoolClient } from 'pg';
import { RecordChargeOutcome } from '../commands/record-charge-outcome/record-charge-outcome.command';
import { PAYMENT_REPOSITORY, type PaymentRepository } from '../domain/payment.repository';
import { PAYMENT_PROVIDER, type ChargeOutcome, type PaymentProvider } from '../provider/payment-provider.port';

export const PAYMENT_PROCESSOR_OPTIONS = Symbol('PAYMENT_PROCESSOR_OPTIONS');

export interface PaymentProcessorOptions {
  /** Charges under way at once (each holds one database connection while the provider answers). */
  concurrency: number;
  /** How often an idle worker looks for new charges. */
  pollIntervalMs: number;
  /** First delay after a provider error; doubles per attempt up to maxBackoffMs. */
  retryBackoffMs: number;
  maxBackoffMs: number;
  /** On shutdown, how long to let charges under way finish before abandoning them (they stay pending). */
  shutdownGraceMs: number;
}

class Abandoned extends Error {}

/**
 * Makes the charges of initiated payments (saga step 2), outside any Kafka consumer transaction:
 * a tok_timeout charge takes longer than the consumer's processing timeout.
 *
 * Each charge is a row of pending_charges, written with PaymentInitiated. A worker claims one
 * with FOR UPDATE SKIP LOCKED and keeps the claim (its transaction) open while the provider
 * answers, then records PaymentProcessed / PaymentFailed and marks the row done in that same
 * transaction. So two workers (or two replicas) never charge the same payment at once, and an
 * outcome is recorded exactly once. A crash between the provider's answer and the commit leaves
 * the row pending; the retry sends the same idempotency key (the payment id), and the provider
 * answers with the first charge instead of charging again.
 */
@Injectable()
export class PaymentProcessor implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('PaymentProcessor');
  private running = false;
  private workers: Array<Promise<void>> = [];
  private readonly sleepers = new Set<() => void>();
  /** Charges under way, to give up on at the end of the shutdown grace period. */
  private readonly inFlight = new Set<(error: Abandoned) => void>();

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(SERVICE) private readonly service: ServiceDefinition,
    @Inject(PAYMENT_PROVIDER) private readonly provider: PaymentProvider,
    @Inject(PAYMENT_REPOSITORY) private readonly payments: PaymentRepository,
    @Inject(PAYMENT_PROCESSOR_OPTIONS) private readonly options: PaymentProcessorOptions,
    private readonly commands: CommandBus,
  ) {}

  onApplicationBootstrap(): void {
    this.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.workers = Array.from({ length: this.options.concurrency }, (_, i) => this.work(i));
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const wake of this.sleepers) wake();
    const grace = setTimeout(() => {
      for (const abandon of this.inFlight) abandon(new Abandoned('shutting down'));
      this.inFlight.clear();
    }, this.options.shutdownGraceMs);
    await Promise.all(this.workers);
    clearTimeout(grace);
  }

  private async work(worker: number): Promise<void> {
    while (this.running) {
      let worked = false;
      try {
        worked = await this.processOne();
      } catch (error) {
        if (!(error instanceof Abandoned)) this.logger.error(`worker ${worker}: ${(error as Error).message}`);
      }
      if (!worked && this.running) await this.sleep(this.options.pollIntervalMs);
    }
  }

  /** Claims one due charge, makes it, records the outcome. False when nothing was due. */
  async processOne(): Promise<boolean> {
    const s = this.service.schema;
    const client = await this.pool.connect();
    let broken: Error | undefined;
    let paymentId: string | undefined;
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{ payment_id: string; attempts: number }>(
        `SELECT payment_id, attempts FROM ${s}.pending_charges WHERE status = 'pending' AND not_before <= now()
         ORDER BY not_before LIMIT 1 FOR UPDATE SKIP LOCKED`,
      );
      const claimed = rows[0];
      if (!claimed) {
        await client.query('COMMIT');
        return false;
      }
      paymentId = claimed.payment_id;
      const payment = await this.payments.load(claimed.payment_id);
      if (payment.current.status === 'initiated') {
        let outcome: ChargeOutcome;
        try {
          const { amountCents, currency, paymentMethod } = payment.current;
          outcome = await this.abandonable(this.provider.charge({ idempotencyKey: payment.id, amountCents, currency, paymentMethod }));
        } catch (error) {
          if (error instanceof Abandoned) throw error;
          // The provider did not answer (network, 5xx): no outcome to record; try again later.
          await this.postpone(client, claimed.payment_id, claimed.attempts, error);
          await client.query('COMMIT');
          return true;
        }
        await this.commands.execute(new RecordChargeOutcome(claimed.payment_id, outcome, client));
      }
      await client.query(`UPDATE ${s}.pending_charges SET status = 'done', done_at = now() WHERE payment_id = $1`, [claimed.payment_id]);
      await client.query('COMMIT');
      return true;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
      // Recording failed (a concurrent write, the database): the row is pending again. Back off
      // so a persistent failure does not spin; the retry's charge is deduplicated by the provider.
      if (paymentId && !(error instanceof Abandoned)) {
        await this.postpone(this.pool, paymentId, undefined, error).catch(() => undefined);
      }
      throw error;
    } finally {
      client.release(broken);
    }
  }

  private async postpone(db: Pool | PoolClient, paymentId: string, attempts: number | undefined, error: unknown): Promise<void> {
    const done = attempts ?? (await db.query<{ attempts: number }>(`SELECT attempts FROM ${this.service.schema}.pending_charges WHERE payment_id = $1`, [paymentId])).rows[0]?.attempts ?? 0;
    const delay = Math.min(this.options.retryBackoffMs * 2 ** done, this.options.maxBackoffMs);
    this.logger.warn(`charge of payment ${paymentId} failed (attempt ${done + 1}), retrying in ${delay} ms: ${(error as Error).message}`);
    await db.query(
      `UPDATE ${this.service.schema}.pending_charges SET attempts = attempts + 1, last_error = $2, not_before = now() + make_interval(secs => $3::double precision / 1000)
       WHERE payment_id = $1 AND status = 'pending'`,
      [paymentId, (error as Error).message.slice(0, 1_000), delay],
    );
  }

  /** The provider's answer, or Abandoned at shutdown: the row then stays pending for the next start (same idempotency key). */
  private abandonable<T>(work: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.inFlight.add(reject);
      work.then(resolve, reject).finally(() => this.inFlight.delete(reject));
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }
}
