import { Query, type PoolClient, type QueryConfig, type QueryResult } from 'pg';
import type { PreparedStatement } from './prepared-name';

/** The parts of pg's protocol connection this file drives (not in pg's types). */
interface ProtocolConnection {
  parsedStatements: Record<string, string>;
  bind(config: { statement: string; values: unknown[] }): void;
  execute(config: object): void;
}

/** The steps of pg's Query that CarryingQuery extends (not in pg's types). */
interface QuerySteps {
  prepare(connection: ProtocolConnection): void;
  handleCommandComplete(message: unknown, connection: ProtocolConnection): void;
}

type Callback = (error: Error | null, result: QueryResult) => void;

/**
 * A statement sent together with deferred statements that must run just before it (BEGIN, SET
 * LOCAL, SAVEPOINT): one write and one round trip for all, as PostgreSQL's JDBC driver sends
 * BEGIN. The deferred statements, prepared on the connection earlier, are bound and executed
 * ahead of the statement's own messages, under its Sync; the server answers them first, and
 * their completions are left out of the statement's result. An error in any of them fails the
 * statement (the server skips to the Sync), and the caller rolls back as after any failure.
 */
class CarryingQuery extends Query {
  private carriedLeft: number;

  constructor(
    config: QueryConfig,
    private readonly carried: readonly string[],
    callback: Callback,
  ) {
    super({ ...config, callback } as QueryConfig);
    this.carriedLeft = carried.length;
  }

  prepare(connection: ProtocolConnection): void {
    for (const statement of this.carried) {
      connection.bind({ statement, values: [] });
      connection.execute({});
    }
    (Query.prototype as unknown as QuerySteps).prepare.call(this, connection);
  }

  handleCommandComplete(message: unknown, connection: ProtocolConnection): void {
    if (this.carriedLeft > 0) {
      this.carriedLeft--;
      return;
    }
    (Query.prototype as unknown as QuerySteps).handleCommandComplete.call(this, message, connection);
  }
}

/** What a client's next statement carries, as the deferring call left it. */
interface Deferred {
  /** Prepared statement names, in order. */
  names: string[];
  /** They begin a transaction: if no statement follows, there is none to commit or roll back. */
  opensTransaction: boolean;
  /** The `query` set on the client that sends them with the next statement… */
  first: unknown;
  /** …over the client's own `query`, if it had one. */
  covered?: PropertyDescriptor;
}

const deferred = new WeakMap<PoolClient, Deferred>();

/**
 * The statement as a config, when deferred statements can ride with it: pg sends it by the
 * extended protocol (it is named, or has values) and it wants a promise and all rows at once (no
 * callback, not a Submittable, no row count per fetch).
 */
function carrier(config: unknown, values: unknown, callback: unknown): QueryConfig | undefined {
  if (callback !== undefined || typeof values === 'function') return undefined;
  const own = (typeof config === 'string' ? { text: config, values } : config) as (QueryConfig & { submit?: unknown; callback?: unknown; rows?: unknown }) | null;
  if (typeof own !== 'object' || own === null || own.submit !== undefined || own.callback !== undefined || own.rows !== undefined) return undefined;
  if (typeof config === 'object' && values !== undefined) return undefined;
  return own.name || (Array.isArray(own.values) && own.values.length > 0) ? own : undefined;
}

/**
 * Runs `statements` on `client` just before its next statement, in that statement's round trip
 * (CarryingQuery), once the connection has prepared them: the first time on a connection they
 * are sent at once, on their own, which prepares them. A next statement pg sends as plain text
 * (no name, no values) is preceded by them, on their own, as if sent at once.
 * `opensTransaction`: they begin a transaction (see `takeDeferred`).
 */
export async function deferToNextStatement(client: PoolClient, statements: readonly PreparedStatement[], opensTransaction = false): Promise<void> {
  const parsed = (client as unknown as { connection?: Partial<ProtocolConnection> }).connection?.parsedStatements;
  // Not prepared on this connection yet (or not a pg connection): sent now (after any deferred before them).
  if (!parsed || statements.some((statement) => parsed[statement.name] === undefined)) {
    for (const statement of statements) await client.query(statement);
    return;
  }
  const names = statements.map((statement) => statement.name);
  const waiting = deferred.get(client);
  if (waiting) {
    waiting.names.push(...names);
    return;
  }
  const covered = Object.getOwnPropertyDescriptor(client, 'query');
  const ownQuery = client.query as (...args: unknown[]) => unknown;
  const first = (config: unknown, values?: unknown, callback?: unknown): unknown => {
    const carried = takeDeferred(client);
    // Kept by a caller that wrapped `query` meanwhile (a test counting statements): a plain query, then.
    if (!carried) return ownQuery.call(client, config, values, callback);
    const statement = carrier(config, values, callback);
    if (!statement) {
      return (async () => {
        for (const name of carried.names) await ownQuery.call(client, { name });
        return ownQuery.call(client, config, values, callback);
      })();
    }
    return new Promise<QueryResult>((resolve, reject) => {
      ownQuery.call(client, new CarryingQuery(statement, carried.names, (error, result) => (error ? reject(error) : resolve(result))));
    });
  };
  deferred.set(client, { names, opensTransaction, first, covered });
  Object.assign(client, { query: first });
}

/**
 * Takes what `client`'s next statement was to carry off it, if anything: the caller then sends
 * it, or drops it when no statement is left to run (at commit or rollback; if it opens the
 * transaction, there is no transaction to end).
 */
export function takeDeferred(client: PoolClient): Pick<Deferred, 'names' | 'opensTransaction'> | undefined {
  const waiting = deferred.get(client);
  if (!waiting) return undefined;
  deferred.delete(client);
  if (Object.getOwnPropertyDescriptor(client, 'query')?.value === waiting.first) {
    if (waiting.covered) Object.defineProperty(client, 'query', waiting.covered);
    else delete (client as unknown as { query?: unknown }).query;
  }
  return waiting;
}
