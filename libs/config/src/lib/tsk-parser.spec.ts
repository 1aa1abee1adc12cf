import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, parseTsk } from './tsk-parser';

const fixture = join(__dirname, '../../test/fixtures/seed-config.tsk');

function errorOf(text: string): ConfigError {
  try {
    parseTsk(text, 'bad.tsk', {});
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('parseTsk', () => {
  it('reads every config block of the seed', () => {
    const doc = parseTsk(readFileSync(fixture, 'utf8'), fixture, { REDIS_URL: 'redis://cache:6379' });
    expect(Object.keys(doc.sections)).toHaveLength(30);
    expect(doc.sections['event_categories']['order_events']).toEqual(['OrderPlaced', 'OrderConfirmed', 'OrderShipped', 'OrderDelivered']);
    expect(doc.sections['kafka_config']['brokers']).toEqual(['kafka-1:9092', 'kafka-2:9092', 'kafka-3:9092']);
    expect(doc.sections['processing_config']).toEqual({ worker_threads: 4, batch_size: 100, processing_timeout: '30s' });
    expect(doc.sections['tracing_config']['trace_sampling']).toBe(0.1);
    expect(doc.sections['architecture_principles']['event_first']).toBe(true);
    const store = doc.sections['store_config'] as Record<string, Record<string, unknown>>;
    expect(store['kafka']).toEqual({ brokers: ['kafka-1:9092', 'kafka-2:9092'], topic_prefix: 'events', retention: '7d' });
    expect(store['redis']['connection_string']).toBe('redis://cache:6379');
    // EVENT_STORE_DB_URL is unset and has no default: parsed, but recorded as missing.
    expect(doc.entries.get('store_config.postgresql.connection_string')).toMatchObject({ missingEnv: 'EVENT_STORE_DB_URL' });
    expect(doc.entries.get('processing_config.batch_size')?.line).toBe(readFileSync(fixture, 'utf8').split('\n').indexOf('batch_size: 100') + 1);
  });

  it('resolves @env with and without a default', () => {
    const text = `[s]\na: @env('A')\nb: @env('B', 'fallback')\nc: @env("C", 7)\nd: @env('D', 7)\n`;
    const doc = parseTsk(text, 'x.tsk', { A: 'from-env', D: '12' });
    expect(doc.sections['s']).toEqual({ a: 'from-env', b: 'fallback', c: 7, d: 12 });
  });

  it('reads strings, numbers, booleans, null, lists and comments', () => {
    const text = [
      '# a comment',
      '[types]',
      `s1: "double # not a comment"   # a comment`,
      `s2: 'single \\'quoted\\''`,
      'n1: -42',
      'n2: 3.5e2',
      'b: false',
      'z: null',
      'l: [1, "two", true, []]',
    ].join('\n');
    expect(parseTsk(text, 'x.tsk', {}).sections['types']).toEqual({
      s1: 'double # not a comment', s2: "single 'quoted'", n1: -42, n2: 350, b: false, z: null, l: [1, 'two', true, []],
    });
  });

  it.each([
    ['invalid section header', '[ok]\na: 1\n[broken section\n', 3, /invalid section header/],
    ['unterminated string', '[s]\na: 1\nb: "no end\n', 3, /unterminated string/],
    ['bad number', '[s]\n\nbatch_size: 10x0\n', 3, /bad number "10x0"/],
    ['key before any section', 'a: 1\n', 1, /before any \[section\]/],
    ['key without a value or block', '[s]\na:\n[t]\n', 2, /missing value for "s.a"/],
    ['unquoted word', '[s]\na: hello\n', 2, /unquoted value "hello"/],
    ['duplicate key', '[s]\na: 1\na: 2\n', 3, /duplicate key "a"/],
    ['unterminated list', '[s]\na: [1, 2\n', 2, /unterminated list/],
    ['malformed @env', '[s]\na: @env(VAR)\n', 2, /malformed @env/],
  ])('reports %s with its line', (_name, text, line, reason) => {
    const error = errorOf(text);
    expect(error.line).toBe(line);
    expect(error.message).toMatch(reason);
    expect(error.message.startsWith(`bad.tsk:${line}: `)).toBe(true);
  });
});
