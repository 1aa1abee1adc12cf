import { testSettings } from '@causeway/testing';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ServiceProxy } from './service-proxy';

/** ServiceProxy against a real HTTP server standing in for user-service. */
describe('ServiceProxy', () => {
  let upstream: Server;
  let proxy: ServiceProxy;
  let received: Array<{ method?: string; url?: string; headers: IncomingMessage['headers']; body: string; clientPort?: number }> = [];

  beforeAll(async () => {
    upstream = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (c: Buffer) => chunks.push(c));
      request.on('end', () => {
        received.push({ method: request.method, url: request.url, headers: request.headers, body: Buffer.concat(chunks).toString(), clientPort: request.socket.remotePort });
        if (request.url === '/users/slow') return; // never answers
        response.writeHead(201, { 'content-type': 'application/json', etag: '"3"', location: '/users/42', 'idempotent-replayed': 'true', 'x-internal': 'secret' });
        response.end('{"id":"42"}');
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const settings = testSettings();
    const url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    proxy = new ServiceProxy({ ...settings, http: { ...settings.http, request_timeout: 300 }, services: { ...settings.services, user_service_url: url } });
  });
  beforeEach(() => (received = []));
  afterAll(async () => {
    await proxy.onModuleDestroy();
    upstream.closeAllConnections();
    await new Promise((resolve) => upstream.close(resolve));
  });

  it('forwards method, path, allowed headers and the JSON body; returns status, allowed headers (Location under /api) and body', async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const answer = await proxy.forward('users', 'POST', '/users?x=1', { 'content-type': 'application/json', 'if-match': '"2"', 'idempotency-key': 'k-1', traceparent, cookie: 'no' }, { email: 'a@b.c' });
    expect(answer).toEqual({ status: 201, headers: { 'content-type': 'application/json', etag: '"3"', location: '/api/users/42', 'idempotent-replayed': 'true' }, body: '{"id":"42"}' });
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ method: 'POST', url: '/users?x=1', body: '{"email":"a@b.c"}', headers: { 'if-match': '"2"', 'idempotency-key': 'k-1', 'content-type': 'application/json', traceparent } });
    expect(received[0].headers['cookie']).toBeUndefined();
  });

  it('reuses connections (keep-alive) across requests', async () => {
    for (let i = 0; i < 6; i++) await proxy.forward('users', 'GET', `/users/${i}`, {}, undefined);
    expect(received).toHaveLength(6);
    // Sequential requests share the pool's open connections (a new one may open while the last is being released).
    expect(new Set(received.map((r) => r.clientPort)).size).toBeLessThanOrEqual(2);
  });

  it('answers 504 when the service does not answer within the request timeout', async () => {
    const started = Date.now();
    const answer = await proxy.forward('users', 'GET', '/users/slow', {}, undefined);
    expect(answer.status).toBe(504);
    expect(JSON.parse(answer.body)).toEqual({ statusCode: 504, error: 'Gateway Timeout', message: 'user-service did not answer within 300 ms' });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('answers 503 when nothing listens', async () => {
    const settings = testSettings();
    const down = new ServiceProxy({ ...settings, services: { ...settings.services, user_service_url: 'http://127.0.0.1:9' } });
    try {
      const answer = await down.forward('users', 'GET', '/users/1', {}, undefined);
      expect(answer.status).toBe(503);
    } finally {
      await down.onModuleDestroy();
    }
  });
});
