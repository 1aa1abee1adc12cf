// @ts-check
/**
 * What the inspector page shows of an answer of GET /api/events, kept free of the DOM so that
 * Jest tests it as the browser runs it (inspector.js only turns these results into elements).
 */

/**
 * One stored event as GET /api/events lists it.
 * @typedef {object} InspectedEvent
 * @property {string} eventId
 * @property {string} eventType
 * @property {string} aggregateType
 * @property {string} aggregateId
 * @property {number} version
 * @property {string} timestamp ISO 8601, UTC
 * @property {string} service the service whose store holds it
 * @property {string} position its place in that service's event log (a decimal string: a bigint)
 * @property {number} [schemaVersion]
 * @property {unknown} data
 * @property {{ correlationId: string, causationId?: string, source?: string, userId?: string, traceparent?: string }} metadata
 */

/**
 * @typedef {object} EventNode
 * @property {InspectedEvent} event
 * @property {EventNode[]} children the events it caused, in time order
 */

/**
 * A root of the tree: what caused its events from outside the list.
 * - `command`: a command, known by its audit record (CommandAudited's causationId is the command's id);
 * - `missing`: an id that is neither an event of the list nor an audited command: an event of a
 *   service that did not answer, of another correlation, or a command that left no audit record;
 * - `cycle`: events whose causes lead back to themselves (malformed metadata), shown rather than lost.
 * @typedef {object} CauseNode
 * @property {'command' | 'missing' | 'cycle'} kind
 * @property {string | undefined} causeId undefined when the events carry no causationId at all
 * @property {InspectedEvent | undefined} audit the command's CommandAudited record, for `command`
 * @property {EventNode[]} children
 */

export const AUDIT_EVENT_TYPE = 'CommandAudited';

/** @param {string} timestamp */
function instant(timestamp) {
  const ms = Date.parse(timestamp);
  // Unreadable times sort last and among themselves by the tie-breaks: the order stays total.
  return Number.isNaN(ms) ? Number.POSITIVE_INFINITY : ms;
}

/**
 * Decimal strings of any length (bigint positions) in numeric order, anything else as text.
 * @param {string} a
 * @param {string} b
 */
function comparePositions(a, b) {
  const digits = /^\d+$/;
  if (digits.test(a) && digits.test(b) && a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Time order, as the gateway merges its answer: by timestamp, then service, then position in that
 * service's log (which orders one service's events of the same millisecond as they were appended),
 * then event id, so that equal timestamps never leave the order to chance.
 * @param {InspectedEvent} a
 * @param {InspectedEvent} b
 */
export function compareEvents(a, b) {
  const byTime = instant(a.timestamp) - instant(b.timestamp);
  if (byTime < 0 || byTime > 0) return byTime;
  if (a.service !== b.service) return a.service < b.service ? -1 : 1;
  const byPosition = comparePositions(String(a.position), String(b.position));
  if (byPosition !== 0) return byPosition;
  return a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0;
}

/**
 * The causation tree of one correlation's events (ARCHITECTURE §2): each event under the event
 * whose id is its metadata.causationId; the events whose cause is not in the list grouped under
 * that cause (a command, or one that is missing). Siblings and roots in time order; every event
 * appears exactly once.
 * @param {readonly InspectedEvent[]} events
 * @returns {CauseNode[]}
 */
export function buildCausationTree(events) {
  const sorted = [...events].sort(compareEvents);
  const ids = new Set(sorted.map((e) => e.eventId));
  /** @type {Map<string, InspectedEvent[]>} */
  const caused = new Map();
  for (const event of sorted) {
    const causeId = event.metadata?.causationId;
    if (causeId === undefined || !ids.has(causeId)) continue;
    const siblings = caused.get(causeId);
    if (siblings) siblings.push(event);
    else caused.set(causeId, [event]);
  }
  /** @type {Map<string, InspectedEvent>} */
  const audits = new Map();
  for (const event of sorted) {
    const commandId = event.metadata?.causationId;
    if (event.eventType === AUDIT_EVENT_TYPE && commandId !== undefined && !audits.has(commandId)) audits.set(commandId, event);
  }

  /** @type {Set<InspectedEvent>} */
  const placed = new Set();
  /** @param {InspectedEvent} event @returns {EventNode} */
  const nodeOf = (event) => {
    placed.add(event);
    /** @type {EventNode[]} */
    const children = [];
    // `placed` also stops a cycle, and an event id listed twice from growing the same subtree twice.
    for (const child of caused.get(event.eventId) ?? []) if (!placed.has(child)) children.push(nodeOf(child));
    return { event, children };
  };

  /** @type {CauseNode[]} */
  const roots = [];
  /** @type {Map<string | undefined, CauseNode>} */
  const byCause = new Map();
  for (const event of sorted) {
    const causeId = event.metadata?.causationId;
    if (causeId !== undefined && ids.has(causeId)) continue;
    let root = byCause.get(causeId);
    if (!root) {
      const audit = causeId === undefined ? undefined : audits.get(causeId);
      root = { kind: audit ? 'command' : 'missing', causeId, audit, children: [] };
      byCause.set(causeId, root);
      roots.push(root);
    }
    root.children.push(nodeOf(event));
  }
  for (const event of sorted) {
    if (!placed.has(event)) roots.push({ kind: 'cycle', causeId: event.metadata?.causationId, audit: undefined, children: [nodeOf(event)] });
  }
  return roots;
}

/**
 * The events whose cause is missing from the list (see CauseNode `missing`): with one
 * correlation's events, where its story has a hole.
 * @param {readonly InspectedEvent[]} events
 * @returns {InspectedEvent[]}
 */
export function eventsWithMissingCause(events) {
  return buildCausationTree(events)
    .filter((root) => root.kind === 'missing')
    .flatMap((root) => root.children.map((child) => child.event));
}
