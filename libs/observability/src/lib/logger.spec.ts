import { Writable } from 'node:stream';
import { JsonLogger } from './logger';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, stream };
}

describe('JsonLogger', () => {
  it('writes one JSON object per line with service, level, time, Nest context and the caller’s correlation id', () => {
    const { lines, stream } = capture();
    let current: Record<string, string> | undefined = { correlationId: 'corr-1' };
    const logger = new JsonLogger('order-service', 'info', () => current, stream);
    logger.log('order placed', 'PlaceOrder');
    current = undefined;
    logger.warn('no context here');
    expect(lines).toEqual([
      { level: 'info', time: expect.any(String), service: 'order-service', correlationId: 'corr-1', context: 'PlaceOrder', msg: 'order placed' },
      { level: 'warn', time: expect.any(String), service: 'order-service', msg: 'no context here' },
    ]);
    expect(Number.isNaN(Date.parse(lines[0]['time'] as string))).toBe(false);
  });

  it('honours the level, keeps an error’s stack, and maps Nest’s verbose to trace', () => {
    const { lines, stream } = capture();
    const logger = new JsonLogger('user-service', 'warn', undefined, stream);
    logger.log('dropped');
    logger.debug('dropped');
    logger.error('projection failed', 'Error: boom\n    at x (y.ts:1:1)', 'ProjectionRunner');
    expect(lines).toEqual([{ level: 'error', time: expect.any(String), service: 'user-service', context: 'ProjectionRunner', stack: 'Error: boom\n    at x (y.ts:1:1)', msg: 'projection failed' }]);
    const verbose = capture();
    new JsonLogger('x', 'trace', undefined, verbose.stream).verbose('fine detail');
    expect(verbose.lines[0]).toMatchObject({ level: 'trace', msg: 'fine detail' });
  });
});
