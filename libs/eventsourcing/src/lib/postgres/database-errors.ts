/**
 * Whether `error` says PostgreSQL could not be reached or could not serve at the moment, rather
 * than that the statement was wrong: a refused, dropped or timed-out connection, no free pool
 * connection within the pool's timeout, a server shutting down, starting up or out of
 * connections. Such an error is nobody's input's fault and goes away by itself: an HTTP request
 * gets a 503 to retry, a consumer waits for the database instead of counting it as an attempt.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  // Duck-typed: socket errors come from Node's own realm, where `instanceof Error` can fail (Jest, vm).
  if (typeof error !== 'object' || error === null) return false;
  const { code, message, cause } = error as { code?: unknown; message?: unknown; cause?: unknown };
  if (typeof code === 'string') {
    // SQLSTATE class 08 (connection exception), 57P01–57P03 (shutdown, crash, cannot connect
    // now), 53300 (too many connections); then the socket's own errors.
    if (code.startsWith('08') || /^57P0[123]$/.test(code) || code === '53300') return true;
    if (SOCKET_ERRORS.has(code)) return true;
  }
  if (typeof message === 'string' && POOL_AND_CLIENT_MESSAGES.has(message)) return true;
  return cause !== undefined && cause !== error && isDatabaseUnavailable(cause);
}

const SOCKET_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** What pg and pg-pool throw, as plain Errors, when a connection fails or none is free in time. */
const POOL_AND_CLIENT_MESSAGES = new Set([
  'timeout exceeded when trying to connect',
  'Connection terminated due to connection timeout',
  'Connection terminated unexpectedly',
  'Client has encountered a connection error and is not queryable',
  'timeout expired',
]);
