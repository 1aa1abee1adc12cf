import { join } from 'node:path';
import { loadSettings, settingsFromText } from './load-settings';
import { ConfigError } from './tsk-parser';

const shipped = join(__dirname, '../../../../config/causeway.tsk');

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadSettings', () => {
  it('loads config/causeway.tsk into typed settings with the seed knobs', () => {
    const s = loadSettings({ file: shipped, env: {} });
    expect(s.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(s.kafka.retention).toBe(7 * 24 * 3600 * 1000);
    expect(s.redis.cache_ttl).toBe(3600 * 1000);
    expect(s.processing).toMatchObject({ worker_threads: 4, batch_size: 100, processing_timeout: 30_000, inbox_retention: 15 * 24 * 3600 * 1000 });
    expect(s.tracing.trace_sampling).toBe(0.1);
    expect(s.event_store.database_url).toBe('postgres://postgres@127.0.0.1:5432/causeway');
    expect(s.event_store.snapshot_interval).toBeGreaterThan(0);
    expect(s.http.gateway_port).toBe(3000);
  });

  it('takes URLs from @env variables', () => {
    const s = loadSettings({ file: shipped, env: { KAFKA_BROKERS: 'a:9092, b:9092', DATABASE_URL: 'postgresql://u:p@db:5432/x', PORT: '8080' } });
    expect(s.kafka.brokers).toEqual(['a:9092', 'b:9092']);
    expect(s.event_store.database_url).toBe('postgresql://u:p@db:5432/x');
    expect(s.http.gateway_port).toBe(8080);
  });

  it('connects to the local broker without TLS or SASL, and to a managed one with both, from the environment', () => {
    expect(loadSettings({ file: shipped, env: {} }).kafka).toMatchObject({ ssl: false, sasl_mechanism: '', sasl_username: '', sasl_password: '' });
    const managed = loadSettings({ file: shipped, env: { KAFKA_SSL: 'true', KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'causeway', KAFKA_SASL_PASSWORD: 's3cret' } });
    expect(managed.kafka).toMatchObject({ ssl: true, sasl_mechanism: 'scram-sha-512', sasl_username: 'causeway', sasl_password: 's3cret' });
  });

  it('refuses a SASL mechanism without its credentials, or one Kafka clients do not speak, naming the setting', () => {
    expect(() => loadSettings({ file: shipped, env: { KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'causeway' } })).toThrow(/kafka\.sasl_password: is required with kafka\.sasl_mechanism plain/);
    expect(() => loadSettings({ file: shipped, env: { KAFKA_SASL_MECHANISM: 'gssapi', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' } })).toThrow(/invalid value for kafka\.sasl_mechanism/);
  });

  it('lets a CAUSEWAY__SECTION__KEY override win over the file and over @env', () => {
    const s = loadSettings({
      file: shipped,
      env: { CAUSEWAY__PROCESSING__BATCH_SIZE: '50', REDIS_URL: 'redis://a:1', CAUSEWAY__REDIS__URL: 'redis://b:2', CAUSEWAY__SAGA__PAYMENT_DEADLINE: '2s' },
    });
    expect(s.processing.batch_size).toBe(50);
    expect(s.redis.url).toBe('redis://b:2');
    expect(s.saga.payment_deadline).toBe(2000);
  });

  it('reports a bad value with file, line and reason', () => {
    const text = '[processing]\nworker_threads: 4\nbatch_size: -3\n';
    const error = configError(() => settingsFromText(text, 'svc.tsk', {}));
    expect(error.message).toMatch(/^svc\.tsk:3: invalid value for processing\.batch_size/);
  });

  it('reports a bad duration with its line', () => {
    const error = configError(() => loadSettings({ file: shipped, env: { CAUSEWAY__OUTBOX__POLL_INTERVAL: 'soon' } }));
    expect(error.message).toMatch(/invalid value for outbox\.poll_interval.*CAUSEWAY__OUTBOX__POLL_INTERVAL.*invalid duration "soon"/);
  });

  it('reports a missing required value: @env without default and the variable unset', () => {
    const text = '[event_store]\ndatabase_url: @env(\'NOPE_DB_URL\')\n';
    const error = configError(() => settingsFromText(text, 'svc.tsk', {}));
    expect(error.line).toBe(2);
    expect(error.message).toMatch(/missing required value for event_store\.database_url: environment variable NOPE_DB_URL is not set/);
  });

  it('refuses an inbox retention not longer than Kafka keeps messages, naming the setting', () => {
    const error = configError(() => loadSettings({ file: shipped, env: { CAUSEWAY__PROCESSING__INBOX_RETENTION: '7d' } }));
    expect(error.message).toMatch(/invalid value for processing\.inbox_retention.*must be longer than kafka\.retention/);
  });

  it('reports a missing section and an unknown key', () => {
    expect(configError(() => settingsFromText('[redis]\nurl: "redis://x"\n', 'a.tsk', {})).message).toMatch(/missing required value for event_store/);
    const unknown = configError(() => loadSettings({ file: shipped, env: { CAUSEWAY__KAFKA__BROKER: 'x:1' } }));
    expect(unknown.message).toMatch(/unknown setting broker in \[kafka\]/);
  });

  it('reports an unreadable file by name', () => {
    expect(configError(() => loadSettings({ file: '/nonexistent/causeway.tsk', env: {} })).message).toMatch(/^\/nonexistent\/causeway\.tsk: cannot read config file/);
  });
});
