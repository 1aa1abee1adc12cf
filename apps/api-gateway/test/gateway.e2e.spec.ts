import { startUserServiceBehindGateway, testSettings, waitFor, type GatewayStack, type ServiceProcess } from '@causeway/testing';
import { Client } from 'pg';

// Response bodies are checked field by field below; their static type adds nothing here.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = (response: Response): Promise<any> => response.json();

/**
 * The gateway and user-service as separate processes on real PostgreSQL, Kafka and Redis, in a
 * database of this test's own, spoken to over real HTTP.
 */
describe('API gateway → user-service (e2e)', () => {
  const settings = testSettings();
  let stack: GatewayStack;
  let userService: ServiceProcess;
  let gateway: ServiceProcess;
  let api: string;


  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${api}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });

  /** GET with ?minVersion=, retried on 202 as a client would: the view may lag under load. */
  const readAtLeast = (path: string) => waitFor(`${path} at its version`, async () => {
    const response = await call('GET', path);
    return response.status === 200 && response;
  }, { timeoutMs: 20_000 });

  beforeAll(async () => {
    stack = await startUserServiceBehindGateway('causeway_e2e', { CAUSEWAY__HTTP__BODY_LIMIT_BYTES: '16384', CAUSEWAY__HTTP__REQUEST_TIMEOUT: '3s' });
    ({ userService, gateway } = stack);
    api = `${gateway.url}/api`;
  }, 120_000);

  afterAll(() => stack?.stop());

  it('creates, reads, updates, lists, counts and deletes a user', async () => {
    const created = await call('POST', '/users', { email: 'e2e@example.com', givenName: 'Edsger', familyName: 'Dijkstra' }, { 'x-correlation-id': 'e2e-corr-1' });
    expect(created.status).toBe(201);
    expect(created.headers.get('x-correlation-id')).toBe('e2e-corr-1');
    expect(created.headers.get('etag')).toBe('"1"');
    const { id, version } = await json(created);
    expect(created.headers.get('location')).toBe(`/api/users/${id}`);
    expect(version).toBe(1);

    const read = await readAtLeast(`/users/${id}?minVersion=1`);
    expect(await json(read)).toMatchObject({ id, email: 'e2e@example.com', givenName: 'Edsger', status: 'active', version: 1 });

    const updated = await call('PATCH', `/users/${id}`, { familyName: 'W. Dijkstra' }, { 'if-match': '"1"' });
    expect(updated.status).toBe(200);
    expect(updated.headers.get('etag')).toBe('"2"');
    expect((await json(await readAtLeast(`/users/${id}?minVersion=2`))).familyName).toBe('W. Dijkstra');

    await waitFor('the list to include the user', async () => (await json((await call('GET', '/users?email=e2e@example.com')))).items.length === 1);
    await waitFor('stats to count the sign-up', async () => (await json((await call('GET', '/users/stats')))).byStatus.active >= 1);

    const deleted = await call('DELETE', `/users/${id}`, undefined, { 'if-match': '"2"' });
    expect(deleted.status).toBe(200);
    expect((await json(await readAtLeast(`/users/${id}?minVersion=3`))).status).toBe('deleted');

    // The correlation id given at the edge is on the stored event.
    const client = new Client({ connectionString: stack.databaseUrl });
    await client.connect();
    const { rows } = await client.query(`SELECT metadata->>'correlationId' AS c FROM user_service.events WHERE aggregate_id = $1 AND version = 1`, [id]);
    await client.end();
    expect(rows[0].c).toBe('e2e-corr-1');
  });

  it('inspects stored events across services by correlation id (GET /api/events), for administrators only', async () => {
    const { id } = await json(await call('POST', '/users', { email: 'inspect@example.com', givenName: 'I', familyName: 'N' }, { 'x-correlation-id': 'e2e-inspect' }));
    for (const authorization of [undefined, 'Bearer wrong-token', settings.http.admin_token]) {
      const refused = await call('GET', '/events?correlationId=e2e-inspect', undefined, authorization ? { authorization } : {});
      expect({ status: refused.status, body: await json(refused) }).toMatchObject({ status: 401, body: { statusCode: 401, error: 'Unauthorized' } });
    }
    const admin = { authorization: `Bearer ${settings.http.admin_token}` };
    const response = await call('GET', '/events?correlationId=e2e-inspect', undefined, admin);
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body.items.map((e: { eventType: string }) => e.eventType).sort()).toEqual(['CommandAudited', 'UserCreated']);
    expect(body.items.find((e: { eventType: string }) => e.eventType === 'UserCreated')).toMatchObject({ aggregateId: id, service: 'user-service', version: 1 });
    // Only user-service runs in this test: the others are reported, not fatal.
    expect(body.unavailable).toEqual(['order-service', 'payment-service', 'notification-service']);
    expect(body.truncated).toBeUndefined();
    // Each service sends its oldest `limit` matches, and says when it had more.
    const cut = await json(await call('GET', '/events?correlationId=e2e-inspect&limit=1', undefined, admin));
    expect({ items: cut.items.length, truncated: cut.truncated }).toEqual({ items: 1, truncated: ['user-service'] });
    const unfiltered = await call('GET', '/events', undefined, admin);
    expect(unfiltered.status).toBe(400);
  });

  it('shows the projections and rebuilds one through /api/admin/projections, for administrators only', async () => {
    for (const authorization of [undefined, 'Bearer wrong-token']) {
      const refused = await call('GET', '/admin/projections', undefined, authorization ? { authorization } : {});
      expect({ status: refused.status, body: await json(refused) }).toMatchObject({ status: 401, body: { statusCode: 401, error: 'Unauthorized' } });
    }
    const admin = { authorization: `Bearer ${settings.http.admin_token}` };
    const { id } = await json(await call('POST', '/users', { email: 'rebuild@example.com', givenName: 'R', familyName: 'B' }));
    await readAtLeast(`/users/${id}?minVersion=1`);

    const listed = await json(await call('GET', '/admin/projections', undefined, admin));
    expect(listed.items).toEqual([expect.objectContaining({ service: 'user-service', name: 'users', lag: expect.any(Object) })]);
    expect(listed.unavailable).toEqual(['order-service', 'payment-service', 'notification-service']);

    const started = await call('POST', '/admin/projections/user-service/users/rebuild', undefined, admin);
    expect(started.status).toBe(202);
    expect(await json(started)).toMatchObject({ service: 'user-service', name: 'users', checkpoint: { position: '0' } });
    await waitFor('the rebuild to end', async () => {
      const [users] = (await json(await call('GET', '/admin/projections', undefined, admin))).items;
      return users.rebuild === undefined && users.lag.events === 0;
    }, { timeoutMs: 20_000 });
    expect(await json(await readAtLeast(`/users/${id}?minVersion=1`))).toMatchObject({ id, email: 'rebuild@example.com' });

    expect((await call('POST', '/admin/projections/user-service/users/rebuild')).status).toBe(401);
    const noService = await call('POST', '/admin/projections/nowhere/users/rebuild', undefined, admin);
    expect({ status: noService.status, body: await json(noService) }).toMatchObject({ status: 404, body: { message: expect.stringContaining('no service nowhere') } });
    const noProjection = await call('POST', '/admin/projections/user-service/nothing/rebuild', undefined, admin);
    expect({ status: noProjection.status, body: await json(noProjection) }).toMatchObject({ status: 404, body: { message: 'user-service has no projection nothing' } });
  });

  it('generates a correlation id when the client sends none, and returns it', async () => {
    const response = await call('GET', '/users?limit=1');
    expect(response.status).toBe(200);
    expect(response.headers.get('x-correlation-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it.each([
    ['email missing', { givenName: 'A', familyName: 'B' }, 'email'],
    ['email not an email', { email: 'not-an-email', givenName: 'A', familyName: 'B' }, 'email'],
    ['email too long', { email: `${'a'.repeat(250)}@example.com`, givenName: 'A', familyName: 'B' }, 'email'],
    ['givenName empty', { email: 'a@example.com', givenName: '', familyName: 'B' }, 'givenName'],
    ['givenName too long', { email: 'a@example.com', givenName: 'x'.repeat(101), familyName: 'B' }, 'givenName'],
    ['givenName not a string', { email: 'a@example.com', givenName: 42, familyName: 'B' }, 'givenName'],
    ['familyName missing', { email: 'a@example.com', givenName: 'A' }, 'familyName'],
    ['unknown field', { email: 'a@example.com', givenName: 'A', familyName: 'B', role: 'admin' }, 'role'],
  ])('rejects %s with 400 naming the field', async (_case, body, field) => {
    const response = await call('POST', '/users', body);
    expect(response.status).toBe(400);
    const error = await json(response);
    expect(error).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    expect(error.details.map((d: { field: string }) => d.field)).toContain(field);
    expect(error.message).toContain(field);
  });

  it('answers 409 to a stale If-Match, 404 to an unknown user, 422 to a rule violation', async () => {
    const { id } = await json(await call('POST', '/users', { email: 'stale@example.com', givenName: 'S', familyName: 'T' }));
    expect((await call('PATCH', `/users/${id}`, { givenName: 'U' }, { 'if-match': '"1"' })).status).toBe(200);
    const stale = await call('PATCH', `/users/${id}`, { givenName: 'V' }, { 'if-match': '"1"' });
    expect(stale.status).toBe(409);
    expect(await json(stale)).toMatchObject({ statusCode: 409, error: 'Conflict', details: { expectedVersion: 1, actualVersion: 2 } });

    const missing = await call('GET', '/users/3f1c2d7e-0000-4c36-9f5b-0a9c7a4f5d11');
    expect(missing.status).toBe(404);
    expect(await json(missing)).toMatchObject({ statusCode: 404, error: 'Not Found' });

    expect((await call('DELETE', `/users/${id}`)).status).toBe(200);
    const afterDelete = await call('DELETE', `/users/${id}`);
    expect(afterDelete.status).toBe(422);
    expect(await json(afterDelete)).toMatchObject({ statusCode: 422, details: { code: 'user_deleted' } });
  });

  it('takes a bodiless POST sent with Content-Type: application/json as having no body', async () => {
    const { id } = await json(await call('POST', '/users', { email: 'nobody@example.com', givenName: 'N', familyName: 'B' }));
    const response = await fetch(`${api}/users/${id}`, { method: 'DELETE', headers: { 'content-type': 'application/json' } });
    expect(response.status).toBe(200);
  });

  it('rejects malformed JSON with 400 and an oversized body with 413, as JSON errors', async () => {
    const malformed = await call('POST', '/users', '{"email": "x@example.com", ');
    expect(malformed.status).toBe(400);
    expect(await json(malformed)).toMatchObject({ statusCode: 400, error: 'Bad Request' });

    const oversized = await call('POST', '/users', { email: 'big@example.com', givenName: 'B', familyName: 'x'.repeat(20_000) });
    expect(oversized.status).toBe(413);
    expect(await json(oversized)).toMatchObject({ statusCode: 413, error: 'Payload Too Large' });
  });

  it('publishes the OpenAPI document of the public API at /api/docs', async () => {
    const response = await call('GET', '/docs');
    expect(response.status).toBe(200);
    const document = await json(response);
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/api/users', '/api/users/{id}', '/api/users/stats']));
    expect(document.components.schemas.CreateUserDto.required).toEqual(expect.arrayContaining(['email', 'givenName', 'familyName']));
  });

  it('answers 503 with a JSON error when the service is down, never a 500', async () => {
    await userService.stop();
    const response = await call('GET', '/users?limit=1');
    expect(response.status).toBe(503);
    expect(await json(response)).toEqual({ statusCode: 503, error: 'Service Unavailable', message: 'user-service is unavailable' });
  });
});
