import { parsePrometheus, sampleValue, testSettings } from '@causeway/testing';
import { Controller, Get, Logger, Module } from '@nestjs/common';
import { context, trace } from '@opentelemetry/api';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Writable } from 'node:stream';
import { runWithContext } from '../request-context';
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

  it('adds the active span’s traceId and spanId to a line when tracing is on, and nothing for a placeholder span', () => {
    const span = trace.wrapSpanContext({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1 });
    // What the messaging library's consumer spans are without an SDK: all-zero ids.
    const placeholder = trace.wrapSpanContext({ traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 0 });
    runWithContext({ correlationId: 'corr-t', actor: 'anonymous' }, () => {
      context.with(trace.setSpan(context.active(), span), () => new Logger('Traced').warn('inside a span'));
      context.with(trace.setSpan(context.active(), placeholder), () => new Logger('Traced').warn('inside a placeholder'));
      new Logger('Traced').warn('outside');
    });
    const traced = lines.filter((l) => l['context'] === 'Traced');
    expect(traced).toEqual([
      expect.objectContaining({ msg: 'inside a span', correlationId: 'corr-t', traceId: 'a'.repeat(32), spanId: 'b'.repeat(16) }),
      expect.objectContaining({ msg: 'inside a placeholder', correlationId: 'corr-t' }),
      expect.objectContaining({ msg: 'outside', correlationId: 'corr-t' }),
    ]);
    expect(traced.filter((l) => 'traceId' in l).map((l) => l['msg'])).toEqual(['inside a span']);
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
