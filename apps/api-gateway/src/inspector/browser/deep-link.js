// @ts-check
/**
 * The inspector's searches as URL fragments (`/inspector#correlationId=…`), so that an id pasted
 * from a log line opens its events. A fragment never reaches a server or a Referer header; the
 * admin token never goes into it.
 */

/** The filters of GET /api/events, in the order the page offers them. */
export const SEARCH_KINDS = /** @type {const} */ (['correlationId', 'aggregateId', 'type']);

/** @typedef {typeof SEARCH_KINDS[number]} SearchKind */
/** @typedef {{ kind: SearchKind, value: string }} Search */

/**
 * @param {string} name
 * @returns {name is SearchKind}
 */
function isSearchKind(name) {
  return /** @type {readonly string[]} */ (SEARCH_KINDS).includes(name);
}

/**
 * `#correlationId=abc` → { kind: 'correlationId', value: 'abc' }; undefined for an empty fragment
 * or one that is not a search (the caller tells the two apart by the fragment itself).
 * Decoded with decodeURIComponent, not URLSearchParams: a `+` in a client's correlation id is a
 * plus, not a space.
 * @param {string} hash location.hash, with or without its `#`
 * @returns {Search | undefined}
 */
export function parseSearchHash(hash) {
  const fragment = hash.startsWith('#') ? hash.slice(1) : hash;
  const equals = fragment.indexOf('=');
  if (equals < 0) return undefined;
  const kind = fragment.slice(0, equals);
  if (!isSearchKind(kind)) return undefined;
  let value;
  try {
    value = decodeURIComponent(fragment.slice(equals + 1)).trim();
  } catch {
    return undefined; // a malformed %-escape
  }
  return value ? { kind, value } : undefined;
}

/**
 * The fragment that opens `search`: parseSearchHash(searchHash(s)) equals s (for a trimmed value).
 * @param {Search} search
 */
export function searchHash(search) {
  return `#${search.kind}=${encodeURIComponent(search.value)}`;
}

/**
 * The query string of GET /api/events for `search`, each service returning at most `limit` events.
 * @param {Search} search
 * @param {number} limit
 */
export function eventsQuery(search, limit) {
  return new URLSearchParams({ [search.kind]: search.value, limit: String(limit) }).toString();
}
