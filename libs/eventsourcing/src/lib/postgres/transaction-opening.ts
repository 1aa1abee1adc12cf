import { Query, type PoolClient, type QueryConfig, type QueryResult } from 'pg';
import type { PreparedStatement } from './prepared-name';

/** The parts of pg's protocol connection this file drives (not in pg's types). */
interface ProtocolConnection {
  parsedStatements: Record<string, string>;
  bind(config: { statement: string; values: unknown[] }): void;
  execute(config: object): void;
}

/** The steps of pg's Query that OpeningQuery extends (not in pg's types). */
interface QuerySteps {
  prepare(connection: ProtocolConnection): void;
  handleCommandComplete(message: unknown, connection: ProtocolConnection): void;
}

type Callback = (error: Error | null, result: QueryResult) => void;

/**
 * A statement sent together with the statements that open its transaction (BEGIN, SET LOCAL …):
 * one write and one round trip for all, as PostgreSQL's JDBC driver sends BEGIN. The opening
 * statements, prepared on the connection earlier, are bound and executed just ahead of the
 * statement's own messages, under its Sync; the server answers them first, and their
 * completions are left out of the statement's result. An error in any of them fails the
 * statement (the server skips to the Sync), and the caller rolls back as after any failure.
 */
class OpeningQuery extends Query {
  private openingLeft: number;

  constructor(
    config: QueryConfig,
    private readonly opening: readonly string[],
    callback: Callback,
  ) {
    super({ ...config, callback } as QueryConfig);
    this.openingLeft = opening.length;
  }

  prepare(connection: ProtocolConnection): void {
    for (const statement of this.opening) {
      connection.bind({ statement, values: [] });
      connection.execute({});
    }
    (Query.prototype as unknown as QuerySteps).prepare.call(this, connection);
  }

  handleCommandComplete(message: unknown, connection: ProtocolConnection): void {
    if (this.openingLeft > 0) {
      this.openingLeft--;
      return;
    }
    (Query.prototype as unknown as QuerySteps).handleCommandComplete.call(this, message, connection);
  }
}

/**
 * Clients whose transaction is opened but not sent yet: the `query` set on the client that will
 * send it with their first statement, and the client's own `query` it covers, if it had one.
 */
const unsent = new WeakMap<PoolClient, { first: unknown; covered?: PropertyDescriptor }>();

/**
 * The statement as a config, when the opening can ride with it: pg sends it by the extended
 * protocol (it is named, or has values) and it wants a promise and all rows at once (no
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
 * Opens a transaction on `client` with `opening` (BEGIN first). Once the connection has prepared
 * these statements (its first transaction sends them on their own), they are not sent now but
 * with the transaction's first statement, which then costs no extra round trip; a transaction
 * that runs no statement sends nothing at all (`takeUnsentOpening`). A first statement pg sends
 * as plain text (no name, no values) is preceded by the opening, on its own, as before.
 */
export async function openTransaction(client: PoolClient, opening: readonly PreparedStatement[]): Promise<void> {
  const parsed = (client as unknown as { connection?: Partial<ProtocolConnection> }).connection?.parsedStatements;
  // Not prepared on this connection yet (or not a pg connection): sent now, on their own.
  if (!parsed || opening.some((statement) => parsed[statement.name] === undefined)) {
    for (const statement of opening) await client.query(statement);
    return;
  }
  const names = opening.map((statement) => statement.name);
  const covered = Object.getOwnPropertyDescriptor(client, 'query');
  const ownQuery = client.query as (...args: unknown[]) => unknown;
  const first = (config: unknown, values?: unknown, callback?: unknown): unknown => {
    // Kept by a caller that wrapped `query` meanwhile (a test counting statements): a plain query, then.
    if (!takeUnsentOpening(client)) return ownQuery.call(client, config, values, callback);
    const statement = carrier(config, values, callback);
    if (!statement) {
      return (async () => {
        for (const step of opening) await client.query(step);
        return ownQuery.call(client, config, values, callback);
      })();
    }
    return new Promise<QueryResult>((resolve, reject) => {
      ownQuery.call(client, new OpeningQuery(statement, names, (error, result) => (error ? reject(error) : resolve(result))));
    });
  };
  unsent.set(client, { first, covered });
  Object.assign(client, { query: first });
}

/**
 * Takes `client`'s unsent opening off it: true when there was one. Then either the caller sends
 * it (the first statement), or no statement ran and there is no transaction to commit or roll back.
 */
export function takeUnsentOpening(client: PoolClient): boolean {
  const waiting = unsent.get(client);
  if (!waiting) return false;
  unsent.delete(client);
  if (Object.getOwnPropertyDescriptor(client, 'query')?.value === waiting.first) {
    if (waiting.covered) Object.defineProperty(client, 'query', waiting.covered);
    else delete (client as unknown as { query?: unknown }).query;
  }
  return true;
}
