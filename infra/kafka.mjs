// Local Apache Kafka: the real broker, resolved from Maven Central, run in KRaft mode
// (combined broker + controller, one node). No Docker, no stand-in.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import {
  CACHE_DIR,
  DEFAULT_KAFKA_BROKERS,
  DEFAULT_PARTITIONS,
  KAFKA_CONTROLLER_PORT,
  KAFKA_VERSION,
  LOG4J_VERSION,
  RETENTION_MS,
  SCALA_VERSION,
  TOPICS,
  env,
} from './defaults.mjs';
import { InfraError, commandExists, isAlive, log, portOpen, readPid, removeFile, stopPid, waitFor, writePid } from './lib/process.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const libsDir = join(CACHE_DIR, 'kafka', `${SCALA_VERSION}-${KAFKA_VERSION}`, 'libs');
const stateDir = join(CACHE_DIR, 'run', 'kafka');
const pidFile = join(stateDir, 'kafka.pid');
const logFile = join(stateDir, 'kafka.log');
const heap = env('KAFKA_HEAP') ?? '512m';

export function kafkaBrokers() {
  return (env('KAFKA_BROKERS') ?? DEFAULT_KAFKA_BROKERS).split(',').map((b) => b.trim());
}

function javaMajorVersion() {
  const result = spawnSync('java', ['-version'], { encoding: 'utf8' });
  const match = /version "(\d+)(?:\.(\d+))?/.exec(`${result.stderr}${result.stdout}`);
  if (!match) return undefined;
  // Java 8 and older report "1.8.0_x".
  return match[1] === '1' ? Number(match[2]) : Number(match[1]);
}

function requireJava() {
  if (!commandExists('java')) {
    throw new InfraError('Java is not installed; the local Kafka broker needs Java 17+.',
      'Install it (Debian: apt-get install -y openjdk-17-jre-headless), or set KAFKA_BROKERS to use a running Kafka.');
  }
  const major = javaMajorVersion();
  if (major === undefined || major < 17) {
    throw new InfraError(`Java ${major ?? '(unknown version)'} found; Kafka ${KAFKA_VERSION} needs Java 17+.`,
      'Install Java 17+ and put it first on PATH, or set KAFKA_BROKERS to use a running Kafka.');
  }
}

/** Resolves the broker's jars into the cache once; later runs re-use them. */
function ensureJars() {
  const marker = join(libsDir, '.complete');
  if (existsSync(marker)) return;
  if (!commandExists('mvn')) {
    throw new InfraError('Maven is not installed; it fetches the Kafka broker from Maven Central.',
      'Install it (Debian: apt-get install -y maven), or set KAFKA_BROKERS to use a running Kafka.');
  }
  log('kafka', `fetching org.apache.kafka:kafka_${SCALA_VERSION}:${KAFKA_VERSION} and its runtime dependencies into ${libsDir}`);
  mkdirSync(libsDir, { recursive: true });
  const result = spawnSync('mvn', [
    '-B', '-q', '-f', join(here, 'kafka', 'pom.xml'),
    'dependency:copy-dependencies',
    `-DoutputDirectory=${libsDir}`, '-DincludeScope=runtime',
    `-Dkafka.version=${KAFKA_VERSION}`, `-Dscala.binary.version=${SCALA_VERSION}`, `-Dlog4j.version=${LOG4J_VERSION}`,
  ], { encoding: 'utf8' });
  if (result.status !== 0) {
    const output = `${result.stdout}${result.stderr}`.trim().split('\n').slice(-15).join('\n');
    throw new InfraError(`Downloading Kafka from Maven Central failed (mvn exit ${result.status}):\n${output}`,
      'Check network access to Maven Central (and ~/.m2/settings.xml mirrors/proxies), then run again.');
  }
  if (!readdirSync(libsDir).some((f) => f.startsWith(`kafka_${SCALA_VERSION}-`))) {
    throw new InfraError(`Maven finished but ${libsDir} holds no kafka_${SCALA_VERSION} jar.`);
  }
  writeFileSync(marker, `${new Date().toISOString()}\n`);
}

/**
 * Writes server.properties for a single-node KRaft broker in `dir`, formats its storage if new,
 * and returns the java arguments that run it. Used for the local broker and by tests that need
 * a broker of their own to stop and restart. `sasl` ({ port, username, password }) adds a
 * SASL_PLAINTEXT listener that admits that one user by SASL/PLAIN, for tests of authenticated
 * clients (as managed Kafka services require); the local broker has none.
 */
export function prepareBroker({ host, port, controllerPort, dir, sasl }) {
  requireJava();
  ensureJars();
  mkdirSync(dir, { recursive: true });
  const propertiesFile = serverProperties({ host, port, controllerPort, dir, sasl });
  formatStorage(propertiesFile, join(dir, 'data'));
  return java(['kafka.Kafka', propertiesFile]);
}

function serverProperties({ host, port, controllerPort, dir, sasl }) {
  const file = join(dir, 'server.properties');
  const saslListener = sasl ? [`,SASL_PLAINTEXT://${host}:${sasl.port}`] : [''];
  const jaasQuote = (value) => JSON.stringify(String(value));
  writeFileSync(file, [
    '# Written by infra/kafka.mjs: single-node KRaft (combined broker + controller) for local development.',
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@${host}:${controllerPort}`,
    `listeners=PLAINTEXT://${host}:${port},CONTROLLER://${host}:${controllerPort}${saslListener}`,
    `advertised.listeners=PLAINTEXT://${host}:${port}${saslListener}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    `listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT${sasl ? ',SASL_PLAINTEXT:SASL_PLAINTEXT' : ''}`,
    ...(sasl
      ? [
          'listener.name.sasl_plaintext.sasl.enabled.mechanisms=PLAIN',
          `listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=${jaasQuote(sasl.username)} password=${jaasQuote(sasl.password)} user_${sasl.username}=${jaasQuote(sasl.password)};`,
        ]
      : []),
    `log.dirs=${join(dir, 'data')}`,
    `num.partitions=${partitionCount()}`,
    // Topics are created on purpose (infra up, tests), so a typo in a topic name fails loudly.
    'auto.create.topics.enable=false',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=10',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    // A single developer's consumer groups should not wait 3s for members that will never come.
    'group.initial.rebalance.delay.ms=0',
    `log.retention.ms=${RETENTION_MS}`,
    '',
  ].join('\n'));
  return file;
}

function java(args) {
  return [
    `-Xms${heap}`, `-Xmx${heap}`, '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${join(here, 'kafka', 'log4j2.properties')}`,
    '-cp', `${libsDir}/*`, ...args,
  ];
}

function formatStorage(propertiesFile, dataDir) {
  if (existsSync(join(dataDir, 'meta.properties'))) return;
  // Kafka cluster ids are 16 random bytes in URL-safe base64 without padding.
  const clusterId = randomBytes(16).toString('base64url');
  log('kafka', `formatting KRaft storage in ${dataDir}`);
  const result = spawnSync('java', java(['kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', propertiesFile]), { encoding: 'utf8' });
  if (result.status !== 0) {
    throw new InfraError(`Formatting Kafka storage failed:\n${result.stdout}${result.stderr}`,
      `Remove ${dataDir} and run again.`);
  }
}

function logTail(lines = 30) {
  if (!existsSync(logFile)) return '';
  return readFileSync(logFile, 'utf8').trim().split('\n').slice(-lines).join('\n');
}

function client(brokers, retries) {
  return new Kafka({ clientId: 'causeway-infra', brokers, ...kafkaSecurity(), logLevel: logLevel.NOTHING, retry: { retries } });
}

function admin(brokers, retries = 0) {
  return client(brokers, retries).admin();
}

/**
 * TLS and SASL to a Kafka given by KAFKA_BROKERS, from the same variables the apps' settings read
 * (config/causeway.tsk: KAFKA_SSL, KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD),
 * so infra checks and prepares the Kafka the apps will use. The local broker has neither.
 */
function kafkaSecurity() {
  const mechanism = env('KAFKA_SASL_MECHANISM');
  return {
    ...(env('KAFKA_SSL') === 'true' ? { ssl: true } : {}),
    ...(mechanism ? { sasl: { mechanism, username: env('KAFKA_SASL_USERNAME') ?? '', password: env('KAFKA_SASL_PASSWORD') ?? '' } } : {}),
  };
}

async function answersMetadata(brokers) {
  const client = admin(brokers);
  try {
    await client.connect();
    const cluster = await client.describeCluster();
    return cluster.brokers.length > 0 && cluster.controller !== null && cluster.controller !== -1;
  } finally {
    await client.disconnect().catch(() => {});
  }
}

function partitionCount() {
  const raw = env('KAFKA_PARTITIONS') ?? String(DEFAULT_PARTITIONS);
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new InfraError(`KAFKA_PARTITIONS must be a positive integer, got "${raw}".`);
  return n;
}

/**
 * A broker that answers metadata may still be creating __consumer_offsets and __transaction_state;
 * the first consumer group or idempotent producer would then see "coordinator is loading".
 * Wait until both coordinators answer, so the first test or service does not pay for it.
 */
async function waitForCoordinators(brokers) {
  await waitFor('Kafka transaction coordinator', async () => {
    const producer = client(brokers, 3).producer({ idempotent: true, maxInFlightRequests: 1 });
    try {
      await producer.connect(); // InitProducerId
      return true;
    } finally {
      await producer.disconnect().catch(() => {});
    }
  }, { timeoutMs: 60_000, intervalMs: 500 });
  // Group ids hash onto the partitions of __consumer_offsets; probe enough of them to touch every one.
  const probes = Array.from({ length: 64 }, (_, i) => `causeway-infra-probe-${i}`);
  await waitFor('Kafka group coordinator', async () => {
    const client = admin(brokers, 3);
    try {
      await client.connect();
      const { groups } = await client.describeGroups(probes);
      return groups.every((g) => g.errorCode === 0);
    } finally {
      await client.disconnect().catch(() => {});
    }
  }, { timeoutMs: 60_000, intervalMs: 500 });
}

/** ARCHITECTURE §4 topics and their `.dlq` twins; existing topics are left as they are. */
export async function ensureTopics(brokers) {
  const client = admin(brokers);
  await client.connect();
  try {
    const existing = new Set(await client.listTopics());
    const wanted = TOPICS.flatMap((t) => [t, `${t}.dlq`]).filter((t) => !existing.has(t));
    if (wanted.length === 0) return;
    await client.createTopics({
      waitForLeaders: true,
      topics: wanted.map((topic) => ({
        topic,
        numPartitions: partitionCount(),
        replicationFactor: 1,
        configEntries: [{ name: 'retention.ms', value: String(RETENTION_MS) }],
      })),
    });
    log('kafka', `created topics: ${wanted.join(', ')}`);
  } finally {
    await client.disconnect();
  }
}

export async function kafkaUp() {
  if (env('KAFKA_BROKERS')) {
    const brokers = kafkaBrokers();
    log('kafka', `KAFKA_BROKERS is set; using ${brokers.join(',')}`);
    await waitFor(`Kafka at ${brokers.join(',')}`, () => answersMetadata(brokers), { timeoutMs: 30_000 });
    await waitForCoordinators(brokers);
    await ensureTopics(brokers);
    return { started: false };
  }
  const brokers = [DEFAULT_KAFKA_BROKERS];
  const [host, port] = DEFAULT_KAFKA_BROKERS.split(':');
  mkdirSync(stateDir, { recursive: true });

  const running = readPid(pidFile, 'kafka.Kafka');
  if (running) {
    log('kafka', `re-using the broker this project started (pid ${running})`);
    await waitFor('Kafka', () => answersMetadata(brokers), { timeoutMs: 60_000, onTimeout: () => `Log: ${logFile}\n${logTail()}` });
    await ensureTopics(brokers);
    return { started: false };
  }
  for (const p of [Number(port), KAFKA_CONTROLLER_PORT]) {
    if (await portOpen(host, p)) {
      throw new InfraError(`Port ${host}:${p} is busy, but not with a broker this project started.`,
        `Free the port, or if a Kafka already listens there set KAFKA_BROKERS=${DEFAULT_KAFKA_BROKERS} to use it.`);
    }
  }
  const args = prepareBroker({ host, port: Number(port), controllerPort: KAFKA_CONTROLLER_PORT, dir: stateDir });

  log('kafka', `starting Kafka ${KAFKA_VERSION} on ${DEFAULT_KAFKA_BROKERS} (heap ${heap}, log ${logFile})`);
  const out = openSync(logFile, 'a');
  const child = spawn('java', args, { detached: true, stdio: ['ignore', out, out] });
  child.unref();
  writePid(pidFile, child.pid);

  const t0 = Date.now();
  await waitFor('Kafka', async () => {
    if (!isAlive(child.pid)) throw new InfraError(`Kafka exited during start-up. Last lines of ${logFile}:\n${logTail()}`);
    return answersMetadata(brokers);
  }, { timeoutMs: 90_000, intervalMs: 500, onTimeout: () => `Log: ${logFile}\n${logTail()}` }).catch((error) => {
    if (!isAlive(child.pid)) removeFile(pidFile);
    throw error;
  });
  await waitForCoordinators(brokers);
  log('kafka', `ready in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  await ensureTopics(brokers);
  return { started: true };
}

export async function kafkaDown() {
  const pid = readPid(pidFile, 'kafka.Kafka');
  if (!pid) {
    log('kafka', 'no broker started by this project is running');
    return;
  }
  log('kafka', `stopping broker (pid ${pid})`);
  await stopPid(pid, { name: 'kafka', timeoutMs: 60_000 });
  removeFile(pidFile);
}

export function kafkaStatus() {
  const pid = readPid(pidFile, 'kafka.Kafka');
  return pid ? `running (pid ${pid}, log ${logFile})` : env('KAFKA_BROKERS') ? `external: ${env('KAFKA_BROKERS')}` : 'not running';
}

export const kafkaPaths = { libsDir, stateDir, logFile, pidFile };
