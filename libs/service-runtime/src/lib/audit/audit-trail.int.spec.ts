import { topicOf } from '@causeway/contracts';
import { catalogSchemas, inTransaction, migrateEventStore, PostgresEventStore } from '@causeway/eventsourcing';
import { createTestDatabase, type TestDatabase } from '@causeway/testing';
import { randomUUID } from 'node:crypto';
import { AuditTrail } from './audit-trail';

/** The audit record of a command and the command's effect commit together (real PostgreSQL). */
describe('AuditTrail', () => {
  let db: TestDatabase;
  let audit: AuditTrail;
  let store: PostgresEventStore;

  beforeAll(async () => {
    db = await createTestDatabase('audit_trail');
    await migrateEventStore(db.pool, { schema: db.schema, partitions: 2 });
    await db.pool.query(`CREATE TABLE ${db.schema}.effects (command_id uuid PRIMARY KEY)`);
    store = new PostgresEventStore(db.pool, { schema: db.schema, schemas: { ...catalogSchemas, topic: topicOf } });
    audit = new AuditTrail(store, 'test-service');
  });
  afterAll(() => db?.dispose());

  const recordsOf = async (commandId: string) =>
    (
      await db.pool.query<{ outcome: string; reason: string | null; transaction_id: string }>(
        `SELECT data->>'outcome' AS outcome, data->>'reason' AS reason, transaction_id::text FROM ${db.schema}.events
         WHERE event_type = 'CommandAudited' AND metadata->>'causationId' = $1`,
        [commandId],
      )
    ).rows;
  /** The command's own event: any event of the catalogue will do (this one is not looked for). */
  const thingDone = (commandId: string) => ({
    eventId: randomUUID(),
    eventType: 'CommandAudited',
    schemaVersion: 1,
    data: { actor: 'test', command: 'Effect', outcome: 'accepted' },
    metadata: { correlationId: commandId, causationId: randomUUID(), source: 'test-service' },
  });
  const effectsOf = async (commandId: string) => (await db.pool.query(`SELECT 1 FROM ${db.schema}.effects WHERE command_id = $1`, [commandId])).rowCount;

  it('records an accepted command in the transaction that commits its effect', async () => {
    const commandId = randomUUID();
    const xid = await audit.run('DoThing', 'target-1', commandId, (recordAccepted) =>
      inTransaction(db.pool, async (tx) => {
        await tx.query(`INSERT INTO ${db.schema}.effects (command_id) VALUES ($1)`, [commandId]);
        await recordAccepted(tx);
        return (await tx.query<{ xid: string }>('SELECT pg_current_xact_id()::text AS xid')).rows[0].xid;
      }),
    );
    expect(await effectsOf(commandId)).toBe(1);
    expect(await recordsOf(commandId)).toEqual([{ outcome: 'accepted', reason: null, transaction_id: xid }]);
  });

  it('keeps no accepted record when that transaction rolls back: the command is recorded as rejected', async () => {
    const commandId = randomUUID();
    await expect(
      audit.run('DoThing', 'target-2', commandId, (recordAccepted) =>
        inTransaction(db.pool, async (tx) => {
          await tx.query(`INSERT INTO ${db.schema}.effects (command_id) VALUES ($1)`, [commandId]);
          await recordAccepted(tx);
          throw new Error('the write after it failed');
        }),
      ),
    ).rejects.toThrow('the write after it failed');
    expect(await effectsOf(commandId)).toBe(0);
    expect(await recordsOf(commandId)).toEqual([{ outcome: 'rejected', reason: 'the write after it failed', transaction_id: expect.any(String) }]);
  });

  it('writes the record in the statement of the command’s own append when made before it', async () => {
    const commandId = randomUUID();
    const effect = randomUUID();
    let sent = 0;
    await audit.run('DoThing', effect, commandId, (recordAccepted) =>
      inTransaction(db.pool, async (tx) => {
        await recordAccepted(tx);
        const query = tx.query;
        tx.query = ((...args: Parameters<typeof tx.query>) => (sent++, query.apply(tx, args))) as typeof tx.query;
        try {
          await store.append({ aggregateId: effect, aggregateType: 'Thing', expectedVersion: 0, events: [thingDone(commandId)], transaction: tx });
        } finally {
          tx.query = query;
        }
      }),
    );
    expect(sent).toBe(1);
    expect(await recordsOf(commandId)).toEqual([{ outcome: 'accepted', reason: null, transaction_id: expect.any(String) }]);
  });

  it('records a command accepted once it returns when the transaction with its record rolled back (a replay answered anyway)', async () => {
    const commandId = randomUUID();
    const answer = await audit.run('DoThing', 'target-3', commandId, async (recordAccepted) => {
      try {
        return await inTransaction(db.pool, async (tx) => {
          await recordAccepted(tx);
          throw new Error('taken by an earlier request with the same key');
        });
      } catch {
        return 'the earlier answer';
      }
    });
    expect(answer).toBe('the earlier answer');
    expect(await recordsOf(commandId)).toEqual([{ outcome: 'accepted', reason: null, transaction_id: expect.any(String) }]);
  });

  it('records a command that did not record itself as accepted once it returns', async () => {
    const commandId = randomUUID();
    expect(await audit.run('DoThing', undefined, commandId, async () => 42)).toBe(42);
    expect(await recordsOf(commandId)).toEqual([{ outcome: 'accepted', reason: null, transaction_id: expect.any(String) }]);
  });
  it('records a reaction in the consumer transaction, caused by the event it reacted to and in its correlation', async () => {
    const cause = { eventId: randomUUID(), metadata: { correlationId: `corr-${randomUUID()}` } };
    await inTransaction(db.pool, async (tx) => {
      await audit.recordReaction('ReactToThing', 'target-4', cause, tx);
      await store.append({ aggregateId: randomUUID(), aggregateType: 'Thing', expectedVersion: 0, events: [thingDone(randomUUID())], transaction: tx });
    });
    const { rows } = await db.pool.query(`SELECT data, metadata FROM ${db.schema}.events WHERE metadata->>'causationId' = $1`, [cause.eventId]);
    expect(rows).toEqual([
      { data: { actor: 'test-service', command: 'ReactToThing', outcome: 'accepted', targetId: 'target-4' }, metadata: { correlationId: cause.metadata.correlationId, causationId: cause.eventId, source: 'test-service' } },
    ]);
  });
});
