// @ts-check
/**
 * The inspector page's DOM: every value goes in as text (textContent, never innerHTML): event
 * data is user input. What is worth testing lives in the pure modules it imports.
 */
import { buildCausationTree, compareEvents } from './causation-tree.js';
import { eventsQuery, parseSearchHash, searchHash, SEARCH_KINDS } from './deep-link.js';
import { readEventsAnswer } from './events-answer.js';

/** @typedef {import('./causation-tree.js').InspectedEvent} InspectedEvent */
/** @typedef {import('./causation-tree.js').EventNode} EventNode */
/** @typedef {import('./causation-tree.js').CauseNode} CauseNode */
/** @typedef {import('./deep-link.js').Search} Search */

// sessionStorage: the token lives as long as this tab, is not shared with other tabs and never
// enters a URL (which would leave it in history, logs and Referer headers).
const TOKEN_KEY = 'causeway.inspector.adminToken';
// Each service answers at most this many matches (GET /events allows up to 1000).
const LIMIT = 500;

/**
 * @template {HTMLElement} T
 * @param {string} id
 * @param {new () => T} type
 * @returns {T}
 */
function byId(id, type) {
  const element = document.getElementById(id);
  if (!(element instanceof type)) throw new Error(`the page has no ${type.name} #${id}`);
  return element;
}

const ui = {
  tokenPanel: byId('token-panel', HTMLElement),
  tokenForm: byId('token-form', HTMLFormElement),
  tokenInput: byId('token-input', HTMLInputElement),
  tokenMessage: byId('token-message', HTMLElement),
  forgetToken: byId('forget-token', HTMLButtonElement),
  searchForm: byId('search-form', HTMLFormElement),
  searchKind: byId('search-kind', HTMLSelectElement),
  searchValue: byId('search-value', HTMLInputElement),
  status: byId('status', HTMLElement),
  problem: byId('problem', HTMLElement),
  results: byId('results', HTMLElement),
  rows: byId('event-rows', HTMLTableSectionElement),
  treePanel: byId('tree-panel', HTMLElement),
  tree: byId('tree', HTMLUListElement),
  details: byId('details', HTMLElement),
  detailsTitle: byId('details-title', HTMLElement),
  detailsData: byId('details-data', HTMLElement),
  detailsMetadata: byId('details-metadata', HTMLElement),
};

/**
 * @param {string} tag
 * @param {string} [text]
 * @param {string} [className]
 */
function element(tag, text, className) {
  const created = document.createElement(tag);
  if (text !== undefined) created.textContent = text;
  if (className) created.className = className;
  return created;
}

/**
 * A button that looks like a link and searches for `search`.
 * @param {Search} search
 * @param {string} [label]
 */
function searchLink(search, label = search.value) {
  const button = /** @type {HTMLButtonElement} */ (element('button', label, 'link'));
  button.type = 'button';
  button.title = `search by ${search.kind}`;
  button.addEventListener('click', (clicked) => {
    clicked.stopPropagation();
    go(search);
  });
  return button;
}

/** @param {string} message */
function showProblem(message) {
  ui.problem.textContent = message;
  ui.problem.hidden = false;
}

/** @param {string} [message] */
function askForToken(message = '') {
  ui.tokenMessage.textContent = message;
  ui.tokenPanel.hidden = false;
  ui.forgetToken.hidden = true;
  ui.tokenInput.focus();
}

/** @param {InspectedEvent} event */
function showDetails(event) {
  ui.detailsTitle.textContent = `${event.eventType} v${event.version} — ${event.eventId}`;
  ui.detailsData.textContent = JSON.stringify(event.data, null, 2);
  ui.detailsMetadata.textContent = JSON.stringify(event.metadata, null, 2);
  ui.details.hidden = false;
  for (const selected of document.querySelectorAll('.selected')) selected.classList.remove('selected');
  for (const shown of document.querySelectorAll(`[data-event-id="${CSS.escape(event.eventId)}"]`)) shown.classList.add('selected');
}

/**
 * A clickable element showing `event`'s details, by mouse or keyboard.
 * @param {HTMLElement} target
 * @param {InspectedEvent} event
 */
function opensDetails(target, event) {
  target.dataset['eventId'] = event.eventId;
  target.tabIndex = 0;
  target.addEventListener('click', () => showDetails(event));
  target.addEventListener('keydown', (pressed) => {
    if (pressed.key === 'Enter' && pressed.target === target) showDetails(event);
  });
}

/** @param {readonly InspectedEvent[]} events */
function renderTable(events) {
  const rows = [...events].sort(compareEvents).map((event) => {
    const row = element('tr');
    const aggregate = element('td');
    aggregate.append(element('span', `${event.aggregateType} `), searchLink({ kind: 'aggregateId', value: event.aggregateId }));
    const correlation = element('td');
    correlation.append(searchLink({ kind: 'correlationId', value: event.metadata?.correlationId ?? '' }));
    row.append(
      element('td', event.timestamp, 'time'),
      element('td', event.service),
      element('td', event.eventType, 'type'),
      aggregate,
      element('td', String(event.version), 'number'),
      element('td', String(event.position), 'number'),
      correlation,
    );
    opensDetails(row, event);
    return row;
  });
  ui.rows.replaceChildren(...rows);
}

/** @param {EventNode} node @returns {HTMLLIElement} */
function eventItem(node) {
  const { event } = node;
  const item = /** @type {HTMLLIElement} */ (element('li'));
  const label = element('span', '', 'event');
  label.append(
    element('span', event.timestamp.slice(11, 23), 'time'),
    element('span', event.service, 'service'),
    element('span', event.eventType, 'type'),
    element('span', `${event.aggregateType} ${event.aggregateId} v${event.version}`, 'aggregate'),
  );
  opensDetails(label, event);
  item.append(label);
  if (node.children.length) {
    const list = element('ul');
    list.append(...node.children.map(eventItem));
    item.append(list);
  }
  return item;
}

/** @param {CauseNode} root */
function causeLabel(root) {
  const id = root.causeId ?? '(none)';
  if (root.kind === 'command') {
    const audited = /** @type {{ command?: unknown, actor?: unknown, outcome?: unknown }} */ (root.audit?.data ?? {});
    return `command ${String(audited.command ?? '')} by ${String(audited.actor ?? '?')}, ${String(audited.outcome ?? '?')} — ${id}`;
  }
  if (root.kind === 'cycle') return `causation cycle through ${id} (malformed metadata)`;
  return `cause not among these events: ${id} — an event of a service that did not answer or of another correlation, or an unaudited command`;
}

/** @param {readonly InspectedEvent[]} events */
function renderTree(events) {
  const roots = buildCausationTree(events).map((root) => {
    const item = element('li', undefined, `cause ${root.kind}`);
    const list = element('ul');
    list.append(...root.children.map(eventItem));
    item.append(element('span', causeLabel(root), 'cause-label'), list);
    return item;
  });
  ui.tree.replaceChildren(...roots);
}

let latest = 0;

/** @param {Search} search */
async function run(search) {
  ui.searchKind.value = search.kind;
  ui.searchValue.value = search.value;
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) {
    askForToken('Enter the admin token to search.');
    return;
  }
  const asked = ++latest;
  ui.problem.hidden = true;
  ui.status.textContent = `Searching ${search.kind} = ${search.value} …`;
  let answer;
  try {
    const response = await fetch(`/api/events?${eventsQuery(search, LIMIT)}`, { headers: { authorization: `Bearer ${token}` }, cache: 'no-store' });
    answer = readEventsAnswer(response.status, await response.text());
  } catch (error) {
    answer = { kind: /** @type {const} */ ('failed'), message: `The gateway did not answer: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (asked !== latest) return; // a later search is under way: its answer is the one to show
  ui.status.textContent = '';
  if (answer.kind === 'token-refused') {
    sessionStorage.removeItem(TOKEN_KEY);
    ui.results.hidden = true;
    askForToken('The token was refused (401): enter it again.');
    return;
  }
  if (answer.kind === 'failed') {
    ui.results.hidden = true;
    showProblem(answer.message);
    return;
  }
  const notes = [`${answer.items.length} event${answer.items.length === 1 ? '' : 's'} with ${search.kind} = ${search.value}.`];
  if (answer.truncated.length) notes.push(`Each service returns at most ${LIMIT} events, its oldest: ${answer.truncated.join(', ')} had more.`);
  ui.status.textContent = notes.join(' ');
  if (answer.unavailable.length) showProblem(`unavailable: ${answer.unavailable.join(', ')} did not answer; their events are missing here.`);
  ui.details.hidden = true;
  renderTable(answer.items);
  ui.treePanel.hidden = search.kind !== 'correlationId';
  if (search.kind === 'correlationId') renderTree(answer.items);
  else ui.tree.replaceChildren();
  ui.results.hidden = false;
}

/**
 * Searches through the fragment, so that the address bar is always a link to what is shown.
 * @param {Search} search
 */
function go(search) {
  const hash = searchHash(search);
  if (location.hash === hash) void run(search);
  else location.hash = hash; // hashchange runs it
}

function fromHash() {
  if (!location.hash || location.hash === '#') return;
  const search = parseSearchHash(location.hash);
  if (search) void run(search);
  else showProblem(`The link's ${location.hash.slice(0, 100)} is not a search: use #correlationId=…, #aggregateId=… or #type=….`);
}

for (const kind of SEARCH_KINDS) {
  if (![...ui.searchKind.options].some((option) => option.value === kind)) throw new Error(`the page offers no search by ${kind}`);
}

ui.searchForm.addEventListener('submit', (submitted) => {
  submitted.preventDefault();
  const value = ui.searchValue.value.trim();
  const kind = SEARCH_KINDS.find((k) => k === ui.searchKind.value);
  if (value && kind) go({ kind, value });
});

ui.tokenForm.addEventListener('submit', (submitted) => {
  submitted.preventDefault();
  const token = ui.tokenInput.value.trim();
  if (!token) return;
  sessionStorage.setItem(TOKEN_KEY, token);
  ui.tokenInput.value = '';
  ui.tokenPanel.hidden = true;
  ui.forgetToken.hidden = false;
  fromHash(); // the search that was waiting for the token, if any
});

ui.forgetToken.addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN_KEY);
  askForToken();
});

window.addEventListener('hashchange', fromHash);

if (sessionStorage.getItem(TOKEN_KEY)) ui.forgetToken.hidden = false;
else askForToken();
fromHash();
