import { preparedStatement, WakeSignal, type PreparedStatement } from '@causeway/eventsourcing';
import { inTransaction, PG_POOL, SERVICE, type ServiceDefinition } from '@causeway/service-runtime';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { Pool } from 'pg';
import { RecordChargeOutcome } from '../commands/record-charge-outcome/record-charge-outcome.command';
import { PAYMENT_PROVIDER, type ChargeOutcome, type ChargeRequest, type PaymentProvider } from '../provider/payment-provider.port';

export const PAYMENT_PROCESSOR_OPTIONS = Symbol('PAYMENT_PROCESSOR_OPTIONS');

export interface PaymentProcessorOptions {
  /** Charges under way at once. A charge waiting on the provider holds no database connection. */
  concurrency: number;
  /** How often the processor looks for due charges unannounced (new ones also wake it: wake()). */
  pollIntervalMs: number;
  /** First delay after a provider error; doubles per attempt up to maxBackoffMs. */
  retryBackoffMs: number;
  maxBackoffMs: number;
  /** On shutdown, how long to let charges under way finish before abandoning them (they stay pending). */
  shutdownGraceMs: number;
  /**
   * How long a claim is exclusive. The worker renews it while the provider answers; a worker
   * that died leaves it to expire, and the charge is taken over (same idempotency key).
   */
  leaseMs: number;
}

class Abandoned extends Error {}

interface ClaimedRow {
  payment_id: string;
  attempts: number;
  claim_token: string;
  amount_cents: string; // bigint comes back as a string
  currency: string;
  payment_method: string;
  more_due: boolean;
}

interface Claim {
  paymentId: string;
  attempts: number;
  /** Fences the claim: only the holder of this token may renew it or record the outcome. */
  token: string;
  /** What to charge, from the row (the payment id is the provider's idempotency key). */
  charge: Omit<ChargeRequest, 'idempotencyKey'>;
}

/**
 * Makes the charges of initiated payments (saga step 2), outside any Kafka consumer transaction:
 * a tok_timeout charge takes longer than the consumer's processing timeout.
 *
 * Each charge is a row of pending_charges, written with PaymentInitiated. The processor **leases**
 * due ones in one statement (SKIP LOCKED, then `not_before` moved past the lease and a fresh claim
 * token per row), asks the provider for each with no transaction or connection held, renewing the
 * lease while it waits, and then records PaymentProcessed / PaymentFailed and marks the row done
 * in one transaction that first checks the claim token is still its own. So:
 * - two replicas never charge the same payment at once, and an outcome is recorded
 *   exactly once (the token check, and the aggregate's expected version behind it);
 * - a slow provider ties up no connection: a pool of 20 can wait on hundreds of charges;
 * - a replica that dies mid-charge (SIGKILL) leaves a lease that expires; another (or the same,
 *   restarted) takes the charge over and asks the provider again with the same idempotency key
 *   (the payment id), and the provider answers with the first charge instead of charging again.
 */
@Injectable()
export class PaymentProcessor implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('PaymentProcessor');
  private running = false;
  private loop: Promise<void> | undefined;
  /** Charges being made (each from its claim to its record), at most `concurrency`. */
  private readonly charging = new Set<Promise<void>>();
  /** Something may be due: a charge was queued here (wake), the last claim left some, or the poll (the loop's first turn is one). */
  private due = false;
  private readonly signal = new WakeSignal();
  /** Charges under way, to give up on at the end of the shutdown grace period. */
  private readonly inFlight = new Set<(error: Abandoned) => void>();

  private readonly claimStatement: PreparedStatement;

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(SERVICE) private readonly service: ServiceDefinition,
    @Inject(PAYMENT_PROVIDER) private readonly provider: PaymentProvider,
    @Inject(PAYMENT_PROCESSOR_OPTIONS) private readonly options: PaymentProcessorOptions,
    private readonly commands: CommandBus,
  ) {
    const s = service.schema;
    this.claimStatement = preparedStatement(
      'claim_charges',
      `WITH picked AS (
         SELECT payment_id FROM ${s}.pending_charges WHERE status = 'pending' AND not_before <= now()
         ORDER BY not_before LIMIT $2 FOR UPDATE SKIP LOCKED),
       claimed AS (
         UPDATE ${s}.pending_charges c SET not_before = now() + make_interval(secs => $1::double precision / 1000), claim_token = gen_random_uuid()
         FROM picked WHERE c.payment_id = picked.payment_id
         RETURNING c.payment_id, c.attempts, c.claim_token, c.amount_cents, c.currency, c.payment_method)
       SELECT claimed.*,
         EXISTS (SELECT 1 FROM ${s}.pending_charges o WHERE o.status = 'pending' AND o.not_before <= now()
                 AND o.payment_id NOT IN (SELECT payment_id FROM picked)) AS more_due
       FROM claimed`,
    );
  }

  onApplicationBootstrap(): void {
    this.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.dispatch();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.signal.notify();
    const grace = setTimeout(() => {
      for (const abandon of this.inFlight) abandon(new Abandoned('shutting down'));
      this.inFlight.clear();
    }, this.options.shutdownGraceMs);
    await this.loop;
    await Promise.allSettled([...this.charging]);
    clearTimeout(grace);
  }

  /** A charge was queued (after its transaction committed): claim it now, not at the next poll. */
  wake(): void {
    this.due = true;
    this.signal.notify();
  }

  /**
   * One loop claims for the whole process, as many due charges as it has room for, in one
   * statement, and claims again when one was queued meanwhile, when its last claim saw more due
   * than it took, or at the poll; never while full. Each claimed charge is made on its own.
   * Independent workers, each claiming one charge, made ~1.8 claims per charge under load: a
   * charge queued while one worker slept and another finished was claimed for by both.
   */
  private async dispatch(): Promise<void> {
    let pollAt = 0;
    while (this.running) {
      const room = this.options.concurrency - this.charging.size;
      // The poll finds what no wake announced: another replica's charges, retries come due.
      if (Date.now() >= pollAt) this.due = true;
      if (room > 0 && this.due) {
        this.due = false;
        pollAt = Date.now() + this.options.pollIntervalMs;
        try {
          const { claims, moreDue } = await this.claim(room);
          this.due ||= moreDue;
          for (const claim of claims) this.track(this.charge(claim));
        } catch (error) {
          this.logger.error(`claiming charges: ${(error as Error).message}`);
        }
        continue;
      }
      // Until a wake, a charge finishing (room again), or the poll.
      await this.signal.wait(Math.max(1, pollAt - Date.now()));
    }
  }

  private track(charge: Promise<void>): void {
    const tracked = this.reported(charge).finally(() => {
      this.charging.delete(tracked);
      this.signal.notify();
    });
    this.charging.add(tracked);
  }

  /** Claims one due charge, if any, and makes it (tests and tools; the process's loop claims several at once). */
  async processOne(): Promise<void> {
    const { claims } = await this.claim(1);
    for (const claim of claims) await this.reported(this.charge(claim));
  }

  /** A charge that failed is logged (one given up at shutdown is not a failure): it stays pending for a retry. */
  private reported(charge: Promise<void>): Promise<void> {
    return charge.catch((error: unknown) => {
      if (!(error instanceof Abandoned)) this.logger.error(`charge: ${(error as Error).message}`);
    });
  }

  /** Makes one claimed charge and records its outcome, renewing the lease meanwhile. */
  private async charge(claim: Claim): Promise<void> {
    const renewal = setInterval(() => void this.renew(claim).catch((error: Error) => this.logger.warn(`lease of ${claim.paymentId} not renewed: ${error.message}`)), this.options.leaseMs / 3);
    try {
      // Straight to the provider: a pending row is a payment waiting for its outcome (the row is
      // marked done in the transaction that records one), and the row says what to charge.
      let outcome: ChargeOutcome;
      try {
        outcome = await this.abandonable(this.provider.charge({ idempotencyKey: claim.paymentId, ...claim.charge }));
      } catch (error) {
        if (error instanceof Abandoned) {
          // Shutting down: hand the charge back now rather than at the end of the lease.
          await this.release(claim).catch(() => undefined);
          throw error;
        }
        // The provider did not answer (network, 5xx): no outcome to record; try again later.
        await this.postpone(claim, error);
        return;
      }
      await this.record(claim, outcome);
    } catch (error) {
      // Recording failed (a concurrent write, the database): back off so a persistent failure
      // does not spin; the retry's charge is deduplicated by the provider.
      if (!(error instanceof Abandoned)) await this.postpone(claim, error).catch(() => undefined);
      throw error;
    } finally {
      clearInterval(renewal);
    }
  }

  /**
   * Up to `limit` due charges, oldest first, leased to this process in one statement, and whether
   * more were due than it took.
   */
  private async claim(limit: number): Promise<{ claims: Claim[]; moreDue: boolean }> {
    const { rows } = await this.pool.query<ClaimedRow>({ ...this.claimStatement, values: [this.options.leaseMs, limit] });
    const claims = rows.map((row) => ({
      paymentId: row.payment_id,
      attempts: row.attempts,
      token: row.claim_token,
      charge: { amountCents: Number(row.amount_cents), currency: row.currency, paymentMethod: row.payment_method },
    }));
    return { claims, moreDue: rows.some((row) => row.more_due) };
  }

  private async renew(claim: Claim): Promise<void> {
    await this.pool.query(
      `UPDATE ${this.service.schema}.pending_charges SET not_before = now() + make_interval(secs => $3::double precision / 1000)
       WHERE payment_id = $1 AND claim_token = $2 AND status = 'pending'`,
      [claim.paymentId, claim.token, this.options.leaseMs],
    );
  }

  private async release(claim: Claim): Promise<void> {
    await this.pool.query(
      `UPDATE ${this.service.schema}.pending_charges SET not_before = now(), claim_token = NULL WHERE payment_id = $1 AND claim_token = $2 AND status = 'pending'`,
      [claim.paymentId, claim.token],
    );
  }

  /**
   * Records the provider's answer and closes the charge, if the claim is still this worker's: a
   * lease that expired meanwhile belongs to the worker that took it over, and that one records.
   */
  private async record(claim: Claim, outcome: ChargeOutcome): Promise<void> {
    const s = this.service.schema;
    await inTransaction(this.pool, async (tx) => {
      // Marked done first, which also locks the row: the mark commits with the outcome or not at all.
      const held = await tx.query<{ order_id: string }>(
        `UPDATE ${s}.pending_charges SET status = 'done', done_at = now(), claim_token = NULL WHERE payment_id = $1 AND claim_token = $2 AND status = 'pending' RETURNING order_id`,
        [claim.paymentId, claim.token],
      );
      const row = held.rows[0];
      if (!row) {
        this.logger.warn(`lease of payment ${claim.paymentId} was lost while the provider answered; its new holder records the outcome`);
        return;
      }
      await this.commands.execute(new RecordChargeOutcome(claim.paymentId, row.order_id, outcome, tx));
    });
  }

  /** Hands the charge back for a retry after a backoff that grows with its failed attempts. */
  private async postpone(claim: Claim, error: unknown): Promise<void> {
    const delay = Math.min(this.options.retryBackoffMs * 2 ** claim.attempts, this.options.maxBackoffMs);
    this.logger.warn(`charge of payment ${claim.paymentId} failed (attempt ${claim.attempts + 1}), retrying in ${delay} ms: ${(error as Error).message}`);
    await this.pool.query(
      `UPDATE ${this.service.schema}.pending_charges
       SET attempts = attempts + 1, last_error = $3, not_before = now() + make_interval(secs => $4::double precision / 1000), claim_token = NULL
       WHERE payment_id = $1 AND claim_token = $2 AND status = 'pending'`,
      [claim.paymentId, claim.token, (error as Error).message.slice(0, 1_000), delay],
    );
  }

  /** The provider's answer, or Abandoned at shutdown: the row then stays pending for the next start (same idempotency key). */
  private abandonable<T>(work: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.inFlight.add(reject);
      work.then(resolve, reject).finally(() => this.inFlight.delete(reject));
    });
  }
}
