/* The offline queue of scans (acceptance and inventory).
 *
 * Each scan carries a client id and waits in localStorage until the server
 * has answered it, so scans made while the server is unreachable are resent
 * in order and the server applies each once even when an answer was lost.
 * A mode says where its scans are listed and what to do with an answer:
 * handleScans('reception', {list: '#reception-scans', done(item, answer)}).
 */
import {api, NetworkError} from './api.js';
import {DB, session} from './session.js';
import {$, el, flash, showError} from './ui.js';

// how the server's scan results are shown (the class of the row and flash)
export const SCAN_KIND = {accepted: 'ok', ok: 'ok', duplicate: 'warn', other_supplier: 'warn',
  surplus: 'bad', misplaced: 'warn', unexpected: 'bad', unknown: 'bad', missing: 'bad'};

const QUEUE_KEY = `multipoint.operator.queue.${DB}`;
const handlers = {};
let flushing = false;
let retryTimer = null;

export function handleScans(kind, handler) {
  handlers[kind] = handler;
}

export function loadQueue() {
  try { return JSON.parse(localStorage.getItem(QUEUE_KEY)) || []; }
  catch (e) { return []; }
}

function saveQueue(queue) {
  localStorage.setItem(QUEUE_KEY, JSON.stringify(queue));
  showQueue(queue);
}

/* the «Очередь: N» counter of the top bar */
export function showQueue(queue = loadQueue()) {
  const node = $('#queue');
  node.textContent = `Очередь: ${queue.length}`;
  node.classList.toggle('pending', queue.length > 0);
}

/* whether scans of this kind still wait for the server */
export function hasQueued(kind) {
  return loadQueue().some((q) => q.kind === kind);
}

function clientId() {
  if (window.crypto && crypto.randomUUID) {
    try { return crypto.randomUUID(); } catch (e) { /* insecure context */ }
  }
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function scanPath(item) {
  return item.kind === 'reception' ? `receptions/${item.target}/scans`
    : `inventories/${item.target}/scans`;
}

/* Send a scan (kind: reception | inventory) of target (its id); scans wait
 * behind the queue so that their order is kept */
export async function sendScan(kind, target, body) {
  const item = {kind, target, body: {...body, client_id: clientId()},
    at: new Date().toISOString()};
  const queue = loadQueue();
  queue.push(item);
  saveQueue(queue);
  showPending(item);
  await flushQueue();
}

export async function flushQueue() {
  if (flushing || !session()) return;
  flushing = true;
  clearTimeout(retryTimer);
  try {
    for (;;) {
      const queue = loadQueue();
      if (!queue.length) break;
      const item = queue[0];
      let result = null;
      let failure = null;
      try {
        result = await api.post(scanPath(item), item.body);
      } catch (error) {
        if (error instanceof NetworkError) {
          scanQueued(item);
          retryTimer = setTimeout(flushQueue, 3000);
          break;
        }
        if (error.status === 401) break;  // kept until the next login
        failure = error;
      }
      const rest = loadQueue().filter((q) => q.body.client_id !== item.body.client_id);
      saveQueue(rest);
      if (failure) scanFailed(item, failure);
      else handlers[item.kind].done(item, result);
    }
  } finally {
    flushing = false;
  }
}

function scanList(item) {
  return $(handlers[item.kind].list);
}

function showPending(item) {
  // a row for the scan until the server answers (replaced then)
  const list = scanList(item);
  if (!list.querySelector(`[data-client="${item.body.client_id}"]`)) {
    list.prepend(el('li', {class: 'queued', 'data-client': item.body.client_id},
      `${item.body.barcode} — в очереди`));
  }
}

function scanQueued(item) {
  const waiting = loadQueue().length;
  flash(`Нет связи: сканов в очереди ${waiting}, отправим при восстановлении связи`,
    'warn', true);
  showPending(item);
}

function scanFailed(item, error) {
  const row = el('li', {class: 'bad'}, `${item.body.barcode} — ${error.message}`);
  replaceQueued(scanList(item), item, row);
  showError(error);
}

/* the scan's row in list, once the server has answered */
export function replaceQueued(list, item, row) {
  const old = list.querySelector(`[data-client="${item.body.client_id}"]`);
  if (old) old.replaceWith(row);
  else list.prepend(row);
  while (list.children.length > 200) list.lastChild.remove();
}

export function initQueue() {
  window.addEventListener('online', flushQueue);
  // another tab of the same database queued or sent scans
  window.addEventListener('storage', (event) => {
    if (event.key === QUEUE_KEY) showQueue();
  });
  setInterval(() => { if (loadQueue().length) flushQueue(); }, 10000);
  showQueue();
}
