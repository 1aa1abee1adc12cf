// @ts-check
/** What an answer of GET /api/events means to the inspector page. */

/** @typedef {import('./causation-tree.js').InspectedEvent} InspectedEvent */

/**
 * - `events`: the matches, the services that did not answer (their events are not there) and
 *   those that had more matches than they sent (`truncated`: each sends its oldest);
 * - `token-refused`: 401, the page asks for the admin token again;
 * - `failed`: anything else, with what to show (for a 400, the API's own message).
 * @typedef {{ kind: 'events', items: InspectedEvent[], unavailable: string[], truncated: string[] }
 *   | { kind: 'token-refused' }
 *   | { kind: 'failed', message: string }} EventsAnswer
 */

/** @param {string} text @returns {any} */
function parsed(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** @param {unknown} message */
function asText(message) {
  if (typeof message === 'string') return message;
  if (Array.isArray(message)) return message.map(String).join('; ');
  return undefined;
}

/**
 * @param {number} status
 * @param {string} text the response body
 * @returns {EventsAnswer}
 */
export function readEventsAnswer(status, text) {
  const body = parsed(text);
  if (status === 401) return { kind: 'token-refused' };
  if (status === 200 && body && Array.isArray(body.items)) {
    /** @param {unknown} list */
    const names = (list) => (Array.isArray(list) ? list.map(String) : []);
    return { kind: 'events', items: body.items, unavailable: names(body.unavailable), truncated: names(body.truncated) };
  }
  const message = asText(body?.message);
  if (status === 400) return { kind: 'failed', message: message ?? 'The search was refused (400).' };
  const reason = typeof body?.error === 'string' ? ` ${body.error}` : '';
  return { kind: 'failed', message: `${status}${reason}: ${message ?? (text.slice(0, 300) || 'no explanation given')}` };
}
