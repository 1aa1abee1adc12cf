import { parsePrometheus, sampleValue, testSettings } from '@causeway/testing';
import { Controller, Get, Logger, Module } from '@nestjs/common';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Writable } from 'node:stream';
import { createHttpApp } from './bootstrap';

@Controller('probe')
class ProbeController {
  private readonly logger = new Logger('Probe');

  @Get(':id')
  async get(): Promise<{ ok: true }> {
    this.logger.log('handling');
    await new Promise((resolve) => setImmediate(resolve)); // a line after an await still belongs to the request
    this.logger.warn('still handling');
    return { ok: true };
  }
}

@Module({ controllers: [ProbeController] })
class ProbeModule {}

/** createHttpApp's cross-cutting conventions, on a one-route app: log lines, metrics. */
describe('createHttpApp', () => {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  let app: NestFastifyApplication;

  beforeAll(async () => {
    const settings = testSettings();
    app = await createHttpApp(ProbeModule, { ...settings, logging: { ...settings.logging, level: 'info' } }, { name: 'probe-service', logDestination: destination });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });
  afterAll(() => app.close());

  const inject = (url: string, headers: Record<string, string> = {}) => app.getHttpAdapter().getInstance().inject({ method: 'GET', url, headers });

  it('writes every log line of a request as JSON with the service and that request’s correlation id', async () => {
    await Promise.all([inject('/probe/1', { 'x-correlation-id': 'corr-a' }), inject('/probe/2', { 'x-correlation-id': 'corr-b' })]);
    const ours = lines.filter((l) => l['context'] === 'Probe');
    expect(ours).toHaveLength(4);
    expect(ours.every((l) => l['service'] === 'probe-service' && typeof l['time'] === 'string')).toBe(true);
    expect(ours.filter((l) => l['correlationId'] === 'corr-a').map((l) => l['msg']).sort()).toEqual(['handling', 'still handling']);
    expect(ours.filter((l) => l['correlationId'] === 'corr-b').map((l) => l['msg']).sort()).toEqual(['handling', 'still handling']);
  });

  it('adds the active span’s traceId and spanId to a line when tracing is on', () => {
    const manager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(manager);
    try {
      const span = trace.wrapSpanContext({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1 });
      context.with(trace.setSpan(context.active(), span), () => new Logger('Traced').warn('inside a span'));
      new Logger('Traced').warn('outside');
    } finally {
      context.disable();
    }
    expect(lines.filter((l) => l['context'] === 'Traced')).toEqual([
      expect.objectContaining({ msg: 'inside a span', traceId: 'a'.repeat(32), spanId: 'b'.repeat(16) }),
      expect.not.objectContaining({ traceId: expect.anything() }),
    ]);
  });

  it('serves GET /metrics in Prometheus text format with RED metrics by route template', async () => {
    const value = async () => sampleValue(parsePrometheus((await inject('/metrics')).body), 'http_requests_total', { route: '/probe/:id', status_code: '200' });
    const before = await value();
    await inject('/probe/3');
    await inject('/probe/4');
    expect(await value()).toBe(before + 2);
    const response = await inject('/metrics');
    expect(response.headers['content-type']).toContain('text/plain');
    expect(response.body).toContain('# TYPE http_request_duration_seconds histogram');
  });
});
