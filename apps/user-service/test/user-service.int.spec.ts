import { EVENT_STORE, QueryCache, REDIS } from '@causeway/service-runtime';
import type Redis from 'ioredis';
import { parsePrometheus, sampleValue, testSettings, uniqueName, waitFor } from '@causeway/testing';
import type { PostgresEventStore } from '@causeway/eventsourcing';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { startUserService } from './start-user-service';

/**
 * The user-service in-process against real PostgreSQL, Kafka and Redis, in a schema of its own:
 * command → events stored → published → projected → query → cache hit → update invalidates.
 */
describe('user-service (real PostgreSQL, Kafka, Redis)', () => {
  const settings = testSettings();
  const schema = uniqueName('user_it');
  const kafka = new Kafka({ clientId: 'user-service-it', brokers: settings.kafka.brokers, logLevel: logLevel.NOTHING });
  const published = new Map<string, { eventType: string; headers: Record<string, string> }>();
  let app: NestFastifyApplication;
  let consumer: Consumer;

  const http = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: object, headers: Record<string, string> = {}) =>
    app.getHttpAdapter().getInstance().inject({ method, url, payload: body, headers });

  beforeAll(async () => {
    consumer = kafka.consumer({ groupId: uniqueName('user_it_reader') });
    await consumer.connect();
    await consumer.subscribe({ topics: ['user_events', 'system_events'], fromBeginning: false });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const event = JSON.parse(String(message.value));
        published.set(event.eventId, { eventType: event.eventType, headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])) });
      },
    });
    await waitFor('the reader to be assigned partitions', async () => (await kafka.admin().describeGroups([])).groups !== undefined);
    app = await startUserService(schema, settings);
  });

  afterAll(async () => {
    await app?.close();
    await consumer?.disconnect();
    const pool = new Pool({ connectionString: settings.event_store.database_url });
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pool.end();
  });

  it('creates a user: event stored with metadata, published to user_events, projected, cached, invalidated by an update', async () => {
    const created = await http('POST', '/users', { email: 'Ada@Example.com', givenName: 'Ada', familyName: 'Lovelace' }, { 'x-correlation-id': 'corr-user-it' });
    expect(created.statusCode).toBe(201);
    const { id, version } = created.json();
    expect(version).toBe(1);
    expect(created.headers['etag']).toBe('"1"');
    expect(created.headers['x-correlation-id']).toBe('corr-user-it');

    const store = app.get<PostgresEventStore>(EVENT_STORE);
    const [event] = await store.readStream(id);
    expect(event).toMatchObject({ eventType: 'UserCreated', version: 1, data: { email: 'ada@example.com', givenName: 'Ada' }, metadata: { correlationId: 'corr-user-it', source: 'user-service' } });

    await waitFor('UserCreated on Kafka', () => published.get(event.eventId), { timeoutMs: 15_000 });
    expect(published.get(event.eventId)?.headers['correlation-id']).toBe('corr-user-it');

    // Retried on 202 as a client would: under load the view may need longer than the server waits.
    const first = await waitFor('the view at version 1', async () => {
      const response = await http('GET', `/users/${id}?minVersion=1`);
      return response.statusCode === 200 && response;
    }, { timeoutMs: 20_000 });
    expect(first.json()).toMatchObject({ id, email: 'ada@example.com', givenName: 'Ada', familyName: 'Lovelace', status: 'active', version: 1 });
    expect(first.headers['etag']).toBe('"1"');

    const cache = app.get(QueryCache);
    const hitsBefore = cache.stats.hits;
    const second = await http('GET', `/users/${id}`);
    expect(second.headers['x-cache']).toBe('hit');
    expect(cache.stats.hits).toBe(hitsBefore + 1);
    // A hit sends the cached JSON as is: the same answer as the view serialized after the miss.
    expect(first.headers['x-cache']).toBe('miss');
    expect([second.body, second.headers['content-type'], second.headers['etag']]).toEqual([first.body, first.headers['content-type'], '"1"']);

    const updated = await http('PATCH', `/users/${id}`, { givenName: 'Augusta Ada' }, { 'if-match': '"1"' });
    expect(updated.statusCode).toBe(200);
    expect(updated.json()).toEqual({ id, version: 2 });
    // The projection's commit invalidates the cache entry: the next read is a miss with the new name.
    await waitFor('the update to reach the view', async () => {
      const view = await http('GET', `/users/${id}`);
      return view.json().version === 2 && view;
    });
    const after = await http('GET', `/users/${id}`);
    expect(after.json()).toMatchObject({ givenName: 'Augusta Ada', version: 2 });
  });

  it('refuses a second user with the same email, even under concurrency (409), and frees it on delete', async () => {
    const attempts = await Promise.all(Array.from({ length: 8 }, () => http('POST', '/users', { email: 'race@example.com', givenName: 'R', familyName: 'C' })));
    const statuses = attempts.map((r) => r.statusCode).sort();
    expect(statuses).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
    const winner = attempts.find((r) => r.statusCode === 201)?.json();
    expect(attempts.find((r) => r.statusCode === 409)?.json()).toMatchObject({ statusCode: 409, error: 'Conflict', details: [{ field: 'email', errors: ['already in use'] }] });

    const stale = await http('DELETE', `/users/${winner.id}`, undefined, { 'if-match': '"7"' });
    expect(stale.statusCode).toBe(409);
    expect(stale.json()).toMatchObject({ details: { expectedVersion: 7, actualVersion: 1 } });
    expect((await http('DELETE', `/users/${winner.id}`, undefined, { 'if-match': '"1"' })).statusCode).toBe(200);
    expect((await http('PATCH', `/users/${winner.id}`, { givenName: 'X' })).json()).toMatchObject({ statusCode: 422, details: { code: 'user_deleted' } });
    expect((await http('POST', '/users', { email: 'race@example.com', givenName: 'R2', familyName: 'C' })).statusCode).toBe(201);
  });

  it('creates one user per Idempotency-Key: repeats, also concurrent, answer 201 with it; the key with another request is 422', async () => {
    const key = { 'idempotency-key': randomUUID() };
    const body = { email: 'keyed@example.com', givenName: 'Kay', familyName: 'Eyed' };
    const answers = await Promise.all(Array.from({ length: 4 }, () => http('POST', '/users', body, key)));
    expect(answers.map((r) => r.statusCode)).toEqual([201, 201, 201, 201]);
    const ids = new Set(answers.map((r) => r.json().id));
    expect(ids.size).toBe(1);
    expect(answers.filter((r) => r.headers['idempotent-replayed'] === 'true')).toHaveLength(3);
    const [id] = ids;
    expect(answers.find((r) => r.headers['idempotent-replayed'] === 'true')?.json()).toEqual({ id, version: 1, replayed: true });
    expect((await app.get<PostgresEventStore>(EVENT_STORE).readStream(id)).map((e) => e.eventType)).toEqual(['UserCreated']);

    expect((await http('POST', '/users', { ...body, givenName: 'Other' }, key)).json()).toMatchObject({ statusCode: 422, details: { code: 'idempotency_key_reused' } });
    // The email is still one user's: another key (or none) meets the reservation.
    expect((await http('POST', '/users', body, { 'idempotency-key': randomUUID() })).statusCode).toBe(409);
    expect((await http('POST', '/users', body)).statusCode).toBe(409);
  });

  it('lists with filters and a stable cursor, and counts sign-ups in user_stats', async () => {
    for (let i = 0; i < 5; i++) expect((await http('POST', '/users', { email: `list${i}@example.com`, givenName: `L${i}`, familyName: 'S' })).statusCode).toBe(201);
    await waitFor('the list to show the new users', async () => (await http('GET', '/users?limit=100')).json().items.filter((u: { email: string }) => u.email.startsWith('list')).length === 5);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = (await http('GET', `/users?status=active&limit=2${cursor ? `&cursor=${cursor}` : ''}`)).json();
      seen.push(...page.items.map((u: { email: string }) => u.email));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen.filter((e) => e.startsWith('list'))).toEqual(['list0@example.com', 'list1@example.com', 'list2@example.com', 'list3@example.com', 'list4@example.com']);
    expect(new Set(seen).size).toBe(seen.length);
    expect((await http('GET', '/users?cursor=garbage')).statusCode).toBe(400);

    await waitFor('user_stats refreshed', async () => {
      const stats = (await http('GET', '/users/stats')).json();
      return stats.byStatus.active >= 5 && stats;
    });
    const stats = (await http('GET', '/users/stats')).json();
    expect(stats.signupsPerDay.at(-1)).toEqual({ day: new Date().toISOString().slice(0, 10), count: expect.any(Number) });
  });

  it('answers 202 when the view cannot reach minVersion in time, 404 for an unknown user, 400 for bad input', async () => {
    const { id } = (await http('POST', '/users', { email: 'ryw@example.com', givenName: 'R', familyName: 'W' })).json();
    const ahead = await http('GET', `/users/${id}?minVersion=5`);
    expect(ahead.statusCode).toBe(202);
    expect(ahead.json()).toMatchObject({ details: { currentVersion: 1, minVersion: 5 } });
    expect((await http('GET', '/users/7a1f2c3e-1111-4c36-9f5b-0a9c7a4f5d11')).statusCode).toBe(404);
    const badId = await http('GET', '/users/not-a-uuid');
    expect(badId.statusCode).toBe(400);
    expect(badId.json().details).toEqual([{ field: 'id', errors: ['id must be a UUID'] }]);
    const badVersion = await http('GET', `/users/${id}?minVersion=0`);
    expect(badVersion.statusCode).toBe(400);
    expect(badVersion.json().details).toEqual([{ field: 'minVersion', errors: ['minVersion must be an integer not less than 1'] }]);
    const bad = await http('POST', '/users', { email: 'nope', givenName: '', familyName: 'x', admin: true });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().details.map((d: { field: string }) => d.field).sort()).toEqual(['admin', 'email', 'givenName']);
  });
  it('moves its /metrics by what it did: N users → N UserCreated appended, published and projected, N POSTs answered 201; lag and backlog gauges settle at 0', async () => {
    const scrape = async () => parsePrometheus((await http('GET', '/metrics')).body);
    const before = await scrape();
    const N = 5;
    for (let i = 0; i < N; i++) expect((await http('POST', '/users', { email: `metrics${i}.${schema}@example.com`, givenName: 'M', familyName: String(i) })).statusCode).toBe(201);
    const moved = (families: Awaited<ReturnType<typeof scrape>>, name: string, labels: Record<string, string> = {}) => sampleValue(families, name, labels) - sampleValue(before, name, labels);
    const after = await scrape();
    expect(moved(after, 'causeway_events_appended_total', { event_type: 'UserCreated' })).toBe(N);
    expect(moved(after, 'http_requests_total', { method: 'POST', route: '/users', status_code: '201' })).toBe(N);
    expect(moved(after, 'causeway_events_appended_total', { event_type: 'CommandAudited' })).toBe(N);
    // Published (the audit records too) and projected, then nothing left behind.
    const settled = await waitFor('the relay and the projections to catch up', async () => {
      const families = await scrape();
      // (The counters move just after their commits, the gauges read the database: wait for both.)
      const caughtUp =
        moved(families, 'causeway_events_published_total') >= 2 * N &&
        moved(families, 'causeway_events_projected_total', { projection: 'users' }) >= 2 * N &&
        sampleValue(families, 'causeway_outbox_backlog') === 0 &&
        sampleValue(families, 'causeway_projection_lag_events', { projection: 'users' }) === 0;
      return caughtUp && families;
    }, { timeoutMs: 15_000 });
    expect(sampleValue(settled, 'causeway_outbox_oldest_age_seconds')).toBe(0);
    expect(sampleValue(settled, 'causeway_projection_lag_seconds', { projection: 'users' })).toBe(0);
    // No prepared transaction in the database (the test server, as the shipped one, allows none).
    expect(sampleValue(settled, 'causeway_prepared_transaction_oldest_age_seconds')).toBe(0);
  });
  it('rebuilds the users read model on request: replayed from the log, a stale cached view replaced, ProjectionRebuilt published once', async () => {
    const { id } = (await http('POST', '/users', { email: `rebuild.${schema}@example.com`, givenName: 'Grace', familyName: 'Hopper' })).json();
    await waitFor('the view', async () => (await http('GET', `/users/${id}?minVersion=1`)).statusCode === 200, { timeoutMs: 20_000 });
    // What a faulty projection would have left behind, in the table and in the cache.
    const admin = new Pool({ connectionString: settings.event_store.database_url });
    try {
      await admin.query(`UPDATE ${schema}.users SET given_name = 'Wrong' WHERE id = $1`, [id]);
      await app.get<Redis>(REDIS).del(`user-service:user:${id}`); // QueryCache's key: the next read caches the wrong row
      expect((await http('GET', `/users/${id}`)).json()).toMatchObject({ givenName: 'Wrong' });
      expect((await http('GET', `/users/${id}`)).headers['x-cache']).toBe('hit');
      const { rows: [{ n: logged }] } = await admin.query(`SELECT count(*)::int AS n FROM ${schema}.events`);

      const started = await http('POST', '/admin/projections/users/rebuild');
      expect(started.statusCode).toBe(202);
      expect(started.json()).toMatchObject({ service: 'user-service', name: 'users', checkpoint: { transactionId: '0', position: '0' } });

      const rebuilt = await waitFor('the rebuild to end', async () => {
        const [users] = (await http('GET', '/admin/projections')).json().items;
        return users.rebuild === undefined && users.lag.events === 0 && users;
      }, { timeoutMs: 20_000 });
      expect(rebuilt).toMatchObject({ service: 'user-service', name: 'users', lag: { events: 0, seconds: 0 } });
      const view = await http('GET', `/users/${id}`);
      expect(view.json()).toMatchObject({ givenName: 'Grace', version: 1 });
      expect(view.headers['x-cache']).toBe('miss');

      const { rows } = await admin.query(`SELECT event_id, data FROM ${schema}.events WHERE event_type = 'ProjectionRebuilt'`);
      expect(rows).toHaveLength(1);
      // Every event logged before the request, and perhaps the request's own audit record, appended just after it began.
      expect(rows[0].data).toEqual({ projection: 'users', service: 'user-service', eventsReplayed: expect.any(Number) });
      expect([logged, logged + 1]).toContain(rows[0].data.eventsReplayed);
      await waitFor('ProjectionRebuilt on system_events', () => published.get(rows[0].event_id)?.eventType === 'ProjectionRebuilt', { timeoutMs: 15_000 });
    } finally {
      await admin.end();
    }
    expect((await http('POST', '/admin/projections/nothing/rebuild')).json()).toMatchObject({ statusCode: 404, message: 'user-service has no projection nothing' });
  });
});
