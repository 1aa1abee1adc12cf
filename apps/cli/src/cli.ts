import { ConfigError, loadSettings, type Settings } from '@causeway/config';
import { parseArgs } from 'node:util';
import { AdminApi, AdminApiError } from './admin-api';
import { showEvents, type EventFilter } from './commands/events.command';
import { listProjections, rebuildProjection } from './commands/projections.command';
import { tailTopics } from './commands/tail.command';
import { createTopics } from './commands/topics.command';
import type { Output } from './output';

export const USAGE = `causeway — operate a running Causeway stack

  causeway projections                               every service's projections: checkpoint, lag, rebuilds
  causeway projections rebuild <service> <name>      replay one from its service's event log, and wait
      [--no-wait] [--timeout <seconds>]              (default 600) until it has caught up
  causeway events --correlation-id <id>              stored events across services, in time order
  causeway events --aggregate-id <id> | --type <T>   (--json: one JSON envelope per line; --limit <n>,
                                                     default 200, the oldest n per service)
  causeway tail <topic>... [--from-beginning]        print events as they arrive on Kafka (Ctrl-C stops)
      [--json]
  causeway topics create [--replication-factor <n>]  the topics and their .dlq twins, where missing
      [--partitions <n>]                             (default: kafka.topic_partitions, replication 1)

  --gateway <url>   the API gateway (default: CAUSEWAY_GATEWAY_URL, else http://127.0.0.1:<http.gateway_port>)
  projections and events are admin endpoints: the token is ADMIN_TOKEN (settings http.admin_token);
  tail and topics talk to Kafka directly (KAFKA_BROKERS, KAFKA_SSL, KAFKA_SASL_*: settings [kafka]).`;

/** A command line the CLI cannot run: said with the usage, exit code 2. */
export class UsageError extends Error {}

export interface CliContext {
  output: Output;
  env: NodeJS.ProcessEnv;
  /** Resolves when a long-running command (tail) should stop. */
  interrupted: Promise<void>;
  /** Settings as the services load them (config/causeway.tsk + environment); tests pass their own. */
  settings?: Settings;
}

/** Runs one command line; resolves to the exit code. */
export async function runCli(argv: readonly string[], context: CliContext): Promise<number> {
  const { output } = context;
  try {
    return await dispatch(argv, context);
  } catch (error) {
    if (error instanceof UsageError) {
      output.err(`causeway: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    output.err(`causeway: ${describe(error)}`);
    return 1;
  }
}

/** What an operator can act on is said as it is (Kafka's refusals with their reasons); anything else is a bug, with its stack. */
function describe(error: unknown): string {
  if (error instanceof AdminApiError || error instanceof ConfigError) return error.message;
  if (error instanceof Error && error.name.startsWith('KafkaJS')) {
    const causes = (error as Error & { errors?: Array<{ message?: string }> }).errors?.map((e) => e.message).filter(Boolean) ?? [];
    return `${error.name}: ${[...new Set([error.message, ...causes])].join('; ')}`;
  }
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

async function dispatch(argv: readonly string[], context: CliContext): Promise<number> {
  const { values, positionals } = parse(argv);
  const [command, ...rest] = positionals;
  if (values.help || command === undefined || command === 'help') {
    context.output.out(USAGE);
    return command === undefined && !values.help ? 2 : 0;
  }
  const settings = context.settings ?? loadSettings();
  const api = () => new AdminApi(values.gateway ?? context.env['CAUSEWAY_GATEWAY_URL'] ?? `http://127.0.0.1:${settings.http.gateway_port}`, settings.http.admin_token);
  switch (command) {
    case 'projections': {
      if (rest.length === 0) return listProjections(api(), context.output);
      const [sub, service, name, ...extra] = rest;
      if (sub !== 'rebuild' || !service || !name || extra.length > 0) throw new UsageError(`projections takes nothing, or: rebuild <service> <name>`);
      const timeout = values.timeout === undefined ? 600 : Number(values.timeout);
      if (!Number.isFinite(timeout) || timeout <= 0) throw new UsageError(`--timeout must be a positive number of seconds, not ${values.timeout}`);
      return rebuildProjection(api(), context.output, service, name, { wait: !values['no-wait'], timeoutMs: timeout * 1_000, pollMs: 500 });
    }
    case 'events': {
      if (rest.length > 0) throw new UsageError(`events takes options only, not ${rest.join(' ')}`);
      const limit = values.limit === undefined ? 200 : Number(values.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError(`--limit must be a whole number from 1 to 1000, not ${values.limit}`);
      return showEvents(api(), context.output, eventFilter(values), { json: values.json === true, limit });
    }
    case 'tail':
      if (rest.length === 0) throw new UsageError('tail needs at least one topic, e.g. causeway tail order_events payment_events');
      return tailTopics({ kafka: settings.kafka, topics: rest, fromBeginning: values['from-beginning'] === true, json: values.json === true, until: context.interrupted }, context.output);
    case 'topics': {
      if (rest.length !== 1 || rest[0] !== 'create') throw new UsageError('topics takes: create');
      const count = (flag: 'partitions' | 'replication-factor', fallback: number) => {
        const value = values[flag] === undefined ? fallback : Number(values[flag]);
        if (!Number.isInteger(value) || value < 1) throw new UsageError(`--${flag} must be a whole number of at least 1, not ${values[flag]}`);
        return value;
      };
      return createTopics(
        {
          kafka: settings.kafka,
          prefix: settings.kafka.topic_prefix,
          partitions: count('partitions', settings.kafka.topic_partitions),
          replicationFactor: count('replication-factor', 1),
          retentionMs: settings.kafka.retention,
        },
        context.output,
      );
    }
    default:
      throw new UsageError(`unknown command ${command}`);
  }
}

function parse(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        gateway: { type: 'string' },
        json: { type: 'boolean' },
        'no-wait': { type: 'boolean' },
        timeout: { type: 'string' },
        'correlation-id': { type: 'string' },
        'aggregate-id': { type: 'string' },
        type: { type: 'string' },
        limit: { type: 'string' },
        'from-beginning': { type: 'boolean' },
        partitions: { type: 'string' },
        'replication-factor': { type: 'string' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function eventFilter(values: ReturnType<typeof parse>['values']): EventFilter {
  const given: EventFilter[] = [];
  if (values['correlation-id'] !== undefined) given.push({ correlationId: values['correlation-id'] });
  if (values['aggregate-id'] !== undefined) given.push({ aggregateId: values['aggregate-id'] });
  if (values.type !== undefined) given.push({ type: values.type });
  if (given.length !== 1) throw new UsageError('events needs exactly one of --correlation-id, --aggregate-id, --type');
  return given[0];
}
