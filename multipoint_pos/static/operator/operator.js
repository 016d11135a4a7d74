/* Operator screen of a pickup point (ПВЗ): plain JS, no build step.
 *
 * Talks only to the operator JSON API (/<db>/multipoint/api/v1, see
 * openapi.yaml). The session is kept in sessionStorage and sent in the
 * "Authorization: Session base64(login:user_id:token)" header: trytond's
 * session cookie is Secure and may not be stored over plain http.
 * Scans of receptions and inventories carry a client id; when the server is
 * unreachable they wait in localStorage and are resent in order.
 */
'use strict';

const DB = decodeURIComponent(location.pathname.split('/')[1] || '');
const ROOT = `/${encodeURIComponent(DB)}`;
const API = `${ROOT}/multipoint/api/v1`;
const SESSION_KEY = `multipoint.operator.${DB}`;
const QUEUE_KEY = `multipoint.operator.queue.${DB}`;
const MODES = ['issue', 'reception', 'placement', 'returns', 'inventory', 'shift'];
const FKEYS = {F1: 'issue', F2: 'reception', F3: 'placement', F4: 'returns',
  F5: 'inventory', F6: 'shift'};

const $ = (selector, root = document) => root.querySelector(selector);
const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (key in node && typeof value !== 'string') node[key] = value;
    else node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/* a cell as the barcode on its label, the code a person scans */
function cellCode(cell) {
  return cell ? (cell.barcode || cell.name) : '';
}

function money(value) {
  const number = Number(value || 0);
  return number.toLocaleString('ru-RU', {minimumFractionDigits: 2, maximumFractionDigits: 2});
}

/* Amounts are kept in kopecks (integers): no float arithmetic on money. */
function toKop(value) {
  const text = String(value === undefined || value === null ? '' : value)
    .replace(/\s/g, '').replace(',', '.');
  if (!text) return 0;
  if (!/^\d+(\.\d{0,2})?$/.test(text)) return NaN;
  const [rubles, kopecks = ''] = text.split('.');
  return Number(rubles) * 100 + Number((kopecks + '00').slice(0, 2));
}

function fromKop(kop) {
  return `${Math.trunc(kop / 100)}.${String(kop % 100).padStart(2, '0')}`;
}

function formatDate(value) {
  if (!value) return '—';
  const [y, m, d] = String(value).slice(0, 10).split('-');
  return d ? `${d}.${m}.${y}` : value;
}

function clientId() {
  if (window.crypto && crypto.randomUUID) {
    try { return crypto.randomUUID(); } catch (e) { /* insecure context */ }
  }
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/* ---------- session ---------- */

let session = loadSession();

function loadSession() {
  try { return JSON.parse(sessionStorage.getItem(SESSION_KEY)) || null; }
  catch (e) { return null; }
}

function saveSession() {
  if (session) sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  else sessionStorage.removeItem(SESSION_KEY);
}

function authHeader() {
  if (!session) return {};
  const raw = `${session.login}:${session.userId}:${session.token}`;
  const bytes = new TextEncoder().encode(raw);
  let binary = '';
  bytes.forEach((b) => { binary += String.fromCharCode(b); });
  return {Authorization: `Session ${btoa(binary)}`};
}

/* ---------- HTTP ---------- */

class NetworkError extends Error {}
class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details || {};
  }
}

async function request(method, url, body) {
  const headers = {Accept: 'application/json', ...authHeader()};
  const options = {method, headers, credentials: 'same-origin'};
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, options);
  } catch (error) {
    setOnline(false);
    throw new NetworkError('Нет связи с сервером');
  }
  setOnline(true);
  let data = null;
  const type = response.headers.get('Content-Type') || '';
  if (type.includes('json')) {
    try { data = await response.json(); } catch (e) { data = null; }
  }
  if (response.status === 401) {
    onUnauthorized();
    throw new ApiError(401, 'unauthorized', 'Сеанс истёк, войдите снова');
  }
  if (!response.ok) {
    const error = (data && data.error) || {};
    throw new ApiError(response.status, error.code || 'http',
      error.message || `Ошибка сервера (${response.status})`, error.details);
  }
  return data;
}

const api = {
  get: (path, params) => {
    const query = params ? '?' + new URLSearchParams(params) : '';
    return request('GET', `${API}/${path}${query}`);
  },
  post: (path, body = {}) => request('POST', `${API}/${path}`, body),
};

function withPoint(body = {}) {
  return session && session.point ? {point: session.point.id, ...body} : body;
}

async function openPdf(path) {
  // the act needs the session header, so fetch it and open the blob
  try {
    const response = await fetch(`${API}/${path}`, {headers: authHeader(),
      credentials: 'same-origin'});
    if (!response.ok) {
      let message = `Ошибка сервера (${response.status})`;
      try { message = (await response.json()).error.message; } catch (e) { /* */ }
      flash(message, 'bad');
      return;
    }
    const url = URL.createObjectURL(await response.blob());
    window.open(url, '_blank', 'noopener');
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  } catch (error) {
    flash('Нет связи с сервером', 'bad');
  }
}

/* ---------- feedback: flash and beep ---------- */

let audio = null;
function beep(kind) {
  try {
    audio = audio || new (window.AudioContext || window.webkitAudioContext)();
    const tones = {ok: [[1000, 0.08]], warn: [[600, 0.12], [600, 0.12]],
      bad: [[220, 0.35]]}[kind] || [[800, 0.1]];
    let start = audio.currentTime;
    for (const [frequency, length] of tones) {
      const oscillator = audio.createOscillator();
      const gain = audio.createGain();
      oscillator.frequency.value = frequency;
      oscillator.type = kind === 'bad' ? 'square' : 'sine';
      gain.gain.value = 0.15;
      oscillator.connect(gain).connect(audio.destination);
      oscillator.start(start);
      oscillator.stop(start + length);
      start += length + 0.05;
    }
  } catch (e) { /* no sound available */ }
}

/* A message belongs to the mode it was said in: it stays until the next
 * action there (a scan, a click that says something else) or a mode change. */
let flashTimer = null;
function flash(message, kind = 'ok', sound = false) {
  const node = $('#flash');
  node.textContent = message;
  node.className = `flash ${kind}`;
  node.dataset.mode = mode;
  if (sound) beep(kind);
  clearTimeout(flashTimer);
  flashTimer = setTimeout(() => { node.className = 'flash'; }, 2500);
}

function clearFlash() {
  clearTimeout(flashTimer);
  const node = $('#flash');
  node.textContent = '';
  node.className = 'flash';
}

function showError(error) {
  flash(error.message || String(error), 'bad', true);
}

function setOnline(online) {
  const node = $('#net');
  node.textContent = online ? 'в сети' : 'нет связи';
  node.className = `net ${online ? 'ok' : 'down'}`;
}

/* ---------- offline queue of scans ---------- */

function loadQueue() {
  try { return JSON.parse(localStorage.getItem(QUEUE_KEY)) || []; }
  catch (e) { return []; }
}
function saveQueue(queue) {
  localStorage.setItem(QUEUE_KEY, JSON.stringify(queue));
  const node = $('#queue');
  node.textContent = `Очередь: ${queue.length}`;
  node.classList.toggle('pending', queue.length > 0);
}

let flushing = false;
let retryTimer = null;

/* Send a scan (kind: reception | inventory); answers go to the handler of
 * that kind. Scans wait behind the queue so that their order is kept. */
async function sendScan(kind, target, body) {
  const item = {kind, target, body: {...body, client_id: clientId()},
    at: new Date().toISOString()};
  const queue = loadQueue();
  queue.push(item);
  saveQueue(queue);
  showPending(item);
  await flushQueue();
}

async function flushQueue() {
  if (flushing || !session) return;
  flushing = true;
  clearTimeout(retryTimer);
  try {
    for (;;) {
      const queue = loadQueue();
      if (!queue.length) break;
      const item = queue[0];
      const path = item.kind === 'reception' ? `receptions/${item.target}/scans`
        : `inventories/${item.target}/scans`;
      let result = null;
      let failure = null;
      try {
        result = await api.post(path, item.body);
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
      else scanDone(item, result);
    }
  } finally {
    flushing = false;
  }
}

function showPending(item) {
  // a row for the scan until the server answers (replaced then)
  const list = item.kind === 'reception' ? $('#reception-scans') : $('#inventory-scans');
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
  const list = item.kind === 'reception' ? $('#reception-scans') : $('#inventory-scans');
  const row = el('li', {class: 'bad'}, `${item.body.barcode} — ${error.message}`);
  replaceQueued(list, item, row);
  showError(error);
}

function scanDone(item, result) {
  if (item.kind === 'reception') receptionScanned(item, result);
  else inventoryScanned(item, result);
}

function replaceQueued(list, item, row) {
  const old = list.querySelector(`[data-client="${item.body.client_id}"]`);
  if (old) old.replaceWith(row);
  else list.prepend(row);
  while (list.children.length > 200) list.lastChild.remove();
}

/* ---------- modes and the scan field ---------- */

let mode = 'issue';

function setMode(name) {
  if (name !== mode) clearFlash();
  mode = name;
  $('#today').hidden = true;
  if (typeof stopCamera === 'function') stopCamera();
  $$('#modes button').forEach((b) => b.classList.toggle('active', b.dataset.mode === name));
  $$('main .mode').forEach((s) => s.classList.toggle('active', s.dataset.mode === name));
  const placeholders = {
    issue: 'Штрихкод, номер заказа, телефон (4 цифры), код или фамилия',
    reception: 'Сканируйте места поставки',
    placement: placement.parcel ? 'Сканируйте ячейку' : 'Сканируйте посылку',
    returns: 'Сканируйте посылку для возврата',
    inventory: 'Сканируйте ячейку, затем места в ней',
    shift: 'Смена: пересчёт, инкассация, X- и Z-отчёты',
  };
  $('#scan').placeholder = placeholders[name];
  if (typeof renderShiftStatus === 'function') renderShiftStatus();
  if (name === 'returns' && !returns.batch) loadPending();
  if (name === 'shift') showShift();
  focusScan();
}

function isEditable(node) {
  return node && (node.tagName === 'INPUT' || node.tagName === 'TEXTAREA'
    || node.tagName === 'SELECT') && node.id !== 'scan';
}

function focusScan() {
  if ($('#app').hidden) return;
  if (document.querySelector('dialog[open]')) return;
  if (isEditable(document.activeElement)) return;
  $('#scan').focus();
}

async function onScan(code) {
  code = code.trim();
  if (!code) return;
  clearFlash();
  try {
    switch (mode) {
      case 'issue': await issueSearch(code); break;
      case 'reception': await receptionScan(code); break;
      case 'placement': await placementScan(code); break;
      case 'returns': await returnsScan(code); break;
      case 'inventory': await inventoryScan(code); break;
      default: flash('В режиме «Смена» сканирование не нужно', 'warn');
    }
  } catch (error) {
    showError(error);
  }
}

/* ---------- issue ---------- */

const issue = {parcels: [], matched: new Set(), chosen: {}, quote: null,
  method: 'cash'};
// the open shift of the point (shift.js keeps it current)
let currentShift = null;

async function issueSearch(query) {
  $('#issue-result').replaceChildren();
  const data = await api.post('issue/search', withPoint({query}));
  if (!data.parcels.length) {
    // maybe a cell label
    try {
      const found = await api.get('lookup', {code: query});
      if (found.type === 'cell') {
        const cell = found.cells[0];
        flash(`Ячейка ${cellCode(cell)}: посылок ${cell.parcels}`, 'ok', true);
        return;
      }
    } catch (e) { /* not a cell either */ }
    flash('Ничего не найдено', 'warn', true);
    renderIssue([], []);
    return;
  }
  beep('ok');
  renderIssue(data.parcels, data.matched, searchedCode(query, data));
}

/* The query was the issue code itself (search.py tries it after the place
 * barcode, the order number and the phone's last 4 digits): the code field
 * of the parcel it found is filled in. */
function searchedCode(query, data) {
  if (!/^\d+$/.test(query)) return null;
  const matched = data.parcels.filter((p) => data.matched.includes(p.id));
  if (!matched.length) return null;
  for (const parcel of matched) {
    if (parcel.order_number === query) return null;
    if ((parcel.places || []).some((place) => place.barcode === query)) return null;
    const phone = String(parcel.recipient_phone || '').replace(/\D/g, '');
    if (query.length === 4 && phone.endsWith(query)) return null;
  }
  return query;
}

function renderIssue(parcels, matched, code = null) {
  issue.parcels = parcels;
  issue.matched = new Set(matched);
  issue.chosen = {};
  issue.quote = null;
  for (const parcel of parcels) {
    const found = issue.matched.has(parcel.id);
    issue.chosen[parcel.id] = {selected: found,
      code: found && code && !parcel.code_locked ? code : '', idCheck: '', refused: {},
      triesLeft: null};
  }
  const grid = el('div', {class: 'parcels'}, parcels.map(parcelCard));
  $('#issue-parcels').replaceChildren(parcels.length ? grid : '');
  $('#issue-signature').checked = false;
  $('#issue-actions').hidden = !parcels.length;
  setPayMethod('cash');
  updateIssue(parcels.length > 0);
}

function parcelCard(parcel) {
  const choice = issue.chosen[parcel.id];
  const rules = parcel.rules || {};
  const notes = [];
  if (rules.id_check_required) notes.push('нужна проверка документа');
  if (rules.id_check_replaces_code) notes.push('документ заменяет код');
  if (rules.signature_required) notes.push('нужна подпись');
  if (rules.partial_buyout) notes.push('частичный выкуп разрешён');
  const lines = (parcel.lines || []).map((line) => el('li', {},
    rules.partial_buyout && line.refusable
      ? el('label', {class: 'check'},
        el('input', {type: 'checkbox', onchange: (event) => {
          if (event.target.checked) choice.refused[line.id] = line.quantity;
          else delete choice.refused[line.id];
          updateIssue(true);
        }}), 'отказ: ')
      : '',
    `${line.name} × ${line.quantity} — ${money(line.unit_price)} ₽`));
  const card = el('article', {class: `parcel${issue.matched.has(parcel.id) ? ' matched' : ''}`,
    'data-id': parcel.id},
  el('header', {},
    el('label', {class: 'check'},
      el('input', {type: 'checkbox', checked: choice.selected, onchange: (event) => {
        choice.selected = event.target.checked;
        updateIssue(true);
      }}),
      el('span', {class: 'order'}, `${parcel.supplier.name} № ${parcel.order_number}`)),
    parcel.cell
      ? el('span', {class: 'cell', title: `Ячейка (${parcel.cell.name})`}, cellCode(parcel.cell))
      : el('span', {class: 'cell none'}, 'без ячейки')),
  el('div', {class: 'meta'},
    `${parcel.recipient_name || ''} ${parcel.recipient_phone || ''} · ${parcel.state_name}`
    + ` · хранение до ${formatDate(parcel.storage_deadline)}`
    + ` · мест: ${(parcel.places || []).length}`),
  el('div', {class: 'due'}, parcel.prepaid ? 'Оплачено' : 'К оплате: ',
    parcel.prepaid ? '' : el('span', {class: 'amount'}, `${money(parcel.amount_due)} ₽`)),
  notes.length ? el('div', {class: 'rules'}, notes.join(' · ')) : '',
  lines.length ? el('ul', {}, lines) : '',
  parcel.code_locked
    ? el('div', {class: 'error'}, 'Ввод кода заблокирован после неверных попыток')
    : el('input', {class: 'code', placeholder: 'Код получения', inputmode: 'numeric',
      autocomplete: 'off', value: choice.code, onkeydown: submitOnEnter, oninput: (event) => {
        choice.code = event.target.value.trim();
        if (choice.code) choice.selected = true;
        syncCheckbox(parcel.id);
        updateIssue();
      }}),
  el('div', {class: 'tries', hidden: choice.triesLeft === null},
    choice.triesLeft === null ? '' : triesText(choice.triesLeft)),
  rules.id_check_required || rules.id_check_replaces_code
    ? el('input', {class: 'code', placeholder: 'Документ, напр. паспорт ****1234',
      autocomplete: 'off', onkeydown: submitOnEnter, oninput: (event) => {
        choice.idCheck = event.target.value.trim();
        updateIssue();
      }})
    : '');
  return card;
}

function triesText(left) {
  if (!left) return 'Неверный код. Ввод кода заблокирован: попробуйте позже';
  return `Неверный код. Осталось попыток: ${left}`;
}

/* a wrong code: each card says how many tries it has left before the lock */
function showCodeTries(error) {
  const tries = (error.details && error.details.tries_left) || {};
  for (const [id, left] of Object.entries(tries)) {
    const choice = issue.chosen[id];
    const card = $(`.parcel[data-id="${id}"]`);
    if (!choice || !card) continue;
    choice.triesLeft = left;
    const node = $('.tries', card);
    node.textContent = triesText(left);
    node.hidden = false;
    const input = $('input.code', card);
    if (input) {
      input.value = '';
      choice.code = '';
      if (!left) input.disabled = true;
    }
  }
  updateIssue();
}

function submitOnEnter(event) {
  if (event.key === 'Enter') {
    event.preventDefault();
    if (issueReady()) submitIssue();
  }
}

function syncCheckbox(id) {
  const box = $(`.parcel[data-id="${id}"] header input`);
  if (box) box.checked = issue.chosen[id].selected;
}

function chosenParcels() {
  return issue.parcels.filter((p) => issue.chosen[p.id].selected);
}

function issueReady() {
  const chosen = chosenParcels();
  if (!chosen.length) return false;
  let signature = false;
  for (const parcel of chosen) {
    const choice = issue.chosen[parcel.id];
    const rules = parcel.rules || {};
    const byDocument = rules.id_check_replaces_code && choice.idCheck;
    if (!choice.code && !byDocument) return false;
    if (rules.id_check_required && !choice.idCheck) return false;
    if (rules.signature_required) signature = true;
  }
  if (signature && !$('#issue-signature').checked) return false;
  return paymentReady();
}

/* ---------- payment at issue ---------- */

function dueKop() {
  return Math.round(localTotal() * 100);
}

function setPayMethod(method) {
  issue.method = method;
  $$('#issue-payment [data-pay]').forEach((b) =>
    b.classList.toggle('active', b.dataset.pay === method));
  for (const kind of ['cash', 'card', 'sbp']) {
    const input = $(`#pay-${kind}`);
    input.value = '';
    input.disabled = method !== 'mixed' && method !== kind;
  }
  $('#pay-tendered').value = '';
  $('#pay-tendered').disabled = method !== 'cash' && method !== 'mixed';
  updatePayment();
}

function payments() {
  const due = dueKop();
  const list = [];
  for (const kind of ['cash', 'card', 'sbp']) {
    const amount = issue.method === kind ? due
      : issue.method === 'mixed' ? toKop($(`#pay-${kind}`).value) : 0;
    if (amount) list.push({method: kind, amount});
  }
  const tendered = toKop($('#pay-tendered').value);
  const cash = list.find((p) => p.method === 'cash');
  if (cash && tendered) cash.tendered = tendered;
  return list;
}

function paymentProblem() {
  const due = dueKop();
  if (!due) return '';
  if (!currentShift) return 'Смена не открыта: откройте её в режиме «Смена» (F6)';
  const list = payments();
  if (list.some((p) => Number.isNaN(p.amount) || Number.isNaN(p.tendered))) {
    return 'Неверная сумма';
  }
  const paid = list.reduce((sum, p) => sum + p.amount, 0);
  if (paid < due) return `Не хватает ${money(fromKop(due - paid))} ₽`;
  if (paid > due) return `Больше суммы к оплате на ${money(fromKop(paid - due))} ₽`;
  const cash = list.find((p) => p.method === 'cash');
  if (cash && cash.tendered !== undefined && cash.tendered < cash.amount) {
    return 'Получено наличными меньше суммы наличными';
  }
  return '';
}

function paymentReady() {
  return !paymentProblem();
}

function updatePayment() {
  const due = dueKop();
  $('#issue-payment').hidden = !due || !chosenParcels().length;
  if (issue.method !== 'mixed') {
    for (const kind of ['cash', 'card', 'sbp']) {
      $(`#pay-${kind}`).value = issue.method === kind ? money(fromKop(due)) : '';
    }
  }
  const cash = payments().find((p) => p.method === 'cash');
  const change = cash && cash.tendered > cash.amount ? cash.tendered - cash.amount : 0;
  $('#pay-change').textContent = money(fromKop(change));
  const problem = paymentProblem();
  $('#pay-status').textContent = problem || (due ? 'Оплата сходится' : '');
  $('#pay-status').className = problem ? 'error' : 'muted';
}

function paymentBody(list) {
  return list.map((p) => {
    const item = {method: p.method, amount: fromKop(p.amount)};
    if (p.tendered !== undefined) item.tendered = fromKop(p.tendered);
    return item;
  });
}

function showIssueResult(data, title) {
  const issued = data.issued || [];
  const refused = data.refused || [];
  const rows = issued.map((p) => el('li', {},
    `${p.supplier.name} № ${p.order_number} — ${p.state_name}`))
    .concat(refused.map((p) => el('li', {},
      `${p.supplier.name} № ${p.order_number} — ${p.state_name}`)));
  const change = toKop(data.change);
  $('#issue-result').replaceChildren(el('div', {class: 'card'},
    el('b', {}, title),
    change ? el('p', {class: 'big-text'}, `Сдача: ${money(data.change)} ₽`) : '',
    el('ul', {}, rows),
    receiptList(data.receipts || []),
    data.print_error ? el('p', {class: 'error'}, `Печать: ${data.print_error}`) : ''));
}

function receiptList(receipts) {
  if (!receipts.length) return '';
  return el('ul', {class: 'log receipts'}, receipts.map((receipt) => {
    const failed = receipt.state !== 'done';
    const item = el('li', {class: failed ? 'bad receipt-failed' : 'ok'},
      `Чек ${receipt.supplier}: ${money(receipt.total)} ₽ — ${receipt.state_name}`,
      receipt.error ? el('div', {class: 'error'}, receipt.error) : '');
    if (failed) {
      item.append(el('button', {class: 'primary', onclick: async (event) => {
        event.target.disabled = true;
        try {
          const done = await api.post(`receipts/${receipt.id}/send`);
          item.replaceWith(receiptList([done]).firstChild);
          flash(done.state === 'done' ? 'Чек пробит' : `Чек не пробит: ${done.error || ''}`,
            done.state === 'done' ? 'ok' : 'bad', true);
        } catch (error) {
          showError(error);
          event.target.disabled = false;
        }
      }}, 'Пробить чек повторно'));
    }
    return item;
  }));
}

let quoteTimer = null;
function updateIssue(requote = false) {
  $$('.parcel').forEach((card) => {
    const choice = issue.chosen[card.dataset.id];
    card.classList.toggle('chosen', Boolean(choice && choice.selected));
  });
  $('#issue-submit').disabled = !issueReady();
  $('#issue-refuse').disabled = !chosenParcels().length;
  $('#issue-total').textContent = money(localTotal());
  updatePayment();
  $('#issue-submit').disabled = !issueReady();
  if (requote) {
    clearTimeout(quoteTimer);
    quoteTimer = setTimeout(requestQuote, 250);
  }
}

function localTotal() {
  let total = 0;
  for (const parcel of chosenParcels()) {
    if (parcel.prepaid) continue;
    const quoted = issue.quote && issue.quote[parcel.id];
    if (quoted !== undefined) { total += Number(quoted); continue; }
    let due = Number(parcel.amount_due || 0);
    for (const line of parcel.lines || []) {
      const refused = issue.chosen[parcel.id].refused[line.id];
      if (refused) due -= refused * Number(line.unit_price || 0);
    }
    total += Math.max(due, 0);
  }
  return total;
}

function refusedLines(choice) {
  return Object.entries(choice.refused).map(([line, quantity]) =>
    ({line: Number(line), quantity}));
}

async function requestQuote() {
  const chosen = chosenParcels();
  if (!chosen.length) { issue.quote = null; updateIssue(); return; }
  try {
    const data = await api.post('issue/quote', withPoint({parcels: chosen.map((p) =>
      ({id: p.id, refused: refusedLines(issue.chosen[p.id])}))}));
    issue.quote = {};
    for (const row of data.parcels || []) {
      issue.quote[row.id] = Number(row.goods || 0) + Number(row.delivery_fee || 0);
    }
  } catch (e) {
    issue.quote = null;  // fall back to the local estimate
  }
  updateIssue();
}

async function submitIssue() {
  if (!issueReady()) return;
  const button = $('#issue-submit');
  button.disabled = true;
  try {
    const body = withPoint({
      signature: $('#issue-signature').checked,
      parcels: chosenParcels().map((parcel) => {
        const choice = issue.chosen[parcel.id];
        const item = {id: parcel.id};
        if (choice.code) item.code = choice.code;
        if (choice.idCheck) item.id_check = choice.idCheck;
        const refused = refusedLines(choice);
        if (refused.length) item.refused = refused;
        return item;
      }),
    });
    const list = payments();
    let data;
    if (list.length) {
      body.payments = paymentBody(list);
      data = await api.post('issue/pay', body);
    } else {
      data = await api.post('issue', body);
    }
    const issued = data.issued || [];
    keepRemaining(data);
    showIssueResult(data, `Выдано посылок: ${issued.length}`);
    if (data.fiscalized === false) {
      flash('Выдано, но чек не пробит: пробейте его повторно', 'bad', true);
    } else {
      flash(`Выдано посылок: ${issued.length}`, 'ok', true);
    }
    if (list.length) refreshShift();
  } catch (error) {
    showError(error);
    $('#issue-result').replaceChildren(el('p', {class: 'error'}, error.message));
    if (error.code === 'code_wrong') showCodeTries(error);
    updateIssue();
  }
}

/* the recipient's other parcels stay listed after some are issued or refused */
function keepRemaining(data) {
  const done = new Set([...(data.issued || []), ...(data.refused || [])].map((p) => p.id));
  renderIssue(issue.parcels.filter((p) => !done.has(p.id)), []);
}

/* ---------- refusal: a dialog with the reason, the fee and what follows ---------- */

const refusal = {parcels: [], fee: 0, method: 'cash'};
const PAY_NAMES = {cash: 'Наличные', card: 'Карта', sbp: 'СБП'};

function acceptedMethods() {
  const methods = session && session.point && session.point.payment_methods;
  return methods && methods.length ? methods.filter((m) => PAY_NAMES[m])
    : ['cash', 'card', 'sbp'];
}

function refusalReason() {
  const choice = $('#refuse-reason').value;
  if (choice === 'other') return $('#refuse-other').value.trim();
  return choice;
}

function refusalProblem() {
  if (!refusalReason()) {
    return $('#refuse-reason').value === 'other' ? 'Опишите причину отказа'
      : 'Выберите причину отказа';
  }
  if (refusal.fee && !currentShift) return 'Смена не открыта: откройте её, чтобы принять оплату доставки';
  return '';
}

function updateRefusal() {
  $('#refuse-other-label').hidden = $('#refuse-reason').value !== 'other';
  $$('#refuse-fee [data-pay]').forEach((b) =>
    b.classList.toggle('active', b.dataset.pay === refusal.method));
  $('#refuse-submit').disabled = Boolean(refusalProblem());
}

/* What happens to the refused items and to the money: the items go back to
 * their supplier in a return batch; what was paid in advance (on the
 * supplier's site) is the supplier's to refund, nothing is paid back at the
 * desk; the delivery is charged on a full refusal only when the supplier's
 * terms say so (the quote knows). */
function refusalStatement(parcels) {
  const suppliers = [...new Set(parcels.map((p) => p.supplier.name))].join(', ');
  const items = [el('li', {}, `Посылки вернутся поставщику (${suppliers}) с ближайшим возвратом: `
    + 'они попадут в режим «Возвраты» (F4).')];
  const prepaid = parcels.filter((p) => p.prepaid);
  if (prepaid.length) {
    items.push(el('li', {}, `Оплачено заранее: № ${prepaid.map((p) => p.order_number).join(', ')}. `
      + 'Деньги получателю возвращает поставщик по своим условиям (на карту или счёт, '
      + 'которыми платили); в пункте выдачи деньги не выдаются.'));
  }
  if (prepaid.length < parcels.length) {
    items.push(el('li', {}, 'За товар при получении ничего не платили: возвращать получателю нечего.'));
  }
  items.push(el('li', {}, refusal.fee
    ? `По условиям поставщика при отказе оплачивается доставка: ${money(fromKop(refusal.fee))} ₽.`
    : 'Доставку при отказе оплачивать не нужно.'));
  return items;
}

async function refuseParcels() {
  const chosen = chosenParcels();
  if (!chosen.length) return;
  refusal.parcels = chosen;
  refusal.fee = 0;
  refusal.method = acceptedMethods()[0];
  $('#refuse-reason').value = '';
  $('#refuse-other').value = '';
  $('#refuse-error').textContent = '';
  $('#refuse-parcels').textContent = chosen.map((p) =>
    `${p.supplier.name} № ${p.order_number}`).join(', ');
  $('#refuse-fee').replaceChildren();
  $('#refuse-what').replaceChildren(el('li', {class: 'muted'}, 'Считаем условия поставщика…'));
  updateRefusal();
  $('#refuse-dialog').showModal();
  try {
    // the supplier's terms may charge the delivery even on a full refusal
    const quote = await api.post('issue/quote', withPoint({parcels: chosen.map((p) =>
      ({id: p.id, refuse: 'расчёт'}))}));
    refusal.fee = toKop(quote.total);
  } catch (error) {
    $('#refuse-error').textContent = error.message;
  }
  if (refusal.fee) {
    $('#refuse-fee').replaceChildren(
      el('b', {}, `Оплата доставки: `, el('span', {class: 'num'}, `${money(fromKop(refusal.fee))} ₽`)),
      el('div', {class: 'methods', role: 'group', 'aria-label': 'Способ оплаты доставки'},
        acceptedMethods().map((method) => el('button', {type: 'button', 'data-pay': method,
          onclick: () => { refusal.method = method; updateRefusal(); }}, PAY_NAMES[method]))));
  }
  $('#refuse-what').replaceChildren(...refusalStatement(chosen));
  updateRefusal();
}

async function submitRefusal(event) {
  event.preventDefault();
  const problem = refusalProblem();
  if (problem) { $('#refuse-error').textContent = problem; return; }
  const reason = refusalReason();
  const button = $('#refuse-submit');
  button.disabled = true;
  try {
    let data;
    if (refusal.fee) {
      data = await api.post('issue/pay', withPoint({
        parcels: refusal.parcels.map((p) => ({id: p.id, refuse: reason})),
        payments: [{method: refusal.method, amount: fromKop(refusal.fee)}]}));
      refreshShift();
    } else {
      data = await api.post('issue/refuse', withPoint({
        parcels: refusal.parcels.map((p) => p.id), reason}));
    }
    $('#refuse-dialog').close();
    keepRemaining(data);
    const count = (data.refused || []).length;
    showIssueResult(data, `Отказ оформлен, посылок: ${count}. Они ждут возврата поставщику.`);
    flash(`Отказ оформлен, посылок: ${count}`, 'warn', true);
  } catch (error) {
    $('#refuse-error').textContent = error.message;
    button.disabled = false;
  }
}

function initRefusal() {
  $('#refuse-form').addEventListener('submit', submitRefusal);
  $('#refuse-reason').addEventListener('change', () => {
    updateRefusal();
    if ($('#refuse-reason').value === 'other') $('#refuse-other').focus();
  });
  $('#refuse-other').addEventListener('input', updateRefusal);
  $('#refuse-cancel').addEventListener('click', () => $('#refuse-dialog').close());
}

/* ---------- acceptance ---------- */

const reception = {current: null};

async function openReception(event) {
  event.preventDefault();
  try {
    const body = withPoint({});
    const manifest = $('#reception-manifest').value.trim();
    const courier = $('#reception-courier').value.trim();
    if (manifest) body.manifest = manifest;
    if (courier) body.courier_name = courier;
    renderReception(await api.post('receptions', body));
    $('#reception-scans').replaceChildren();
    flash('Приёмка открыта, сканируйте места', 'ok');
  } catch (error) {
    showError(error);
  }
  $('#scan').focus();
}

function renderReception(data) {
  reception.current = data && data.state === 'open' ? data : null;
  session.reception = reception.current ? reception.current.id : null;
  saveSession();
  $('#reception-open').hidden = Boolean(reception.current);
  $('#reception-view').hidden = !data;
  if (!data) return;
  $('#reception-number').textContent = `Приёмка ${data.number || data.id}`
    + (data.state === 'open' ? '' : ' — закрыта');
  $('#reception-bar').style.width = `${Math.min(100, Math.round((data.progress || 0) * 100))}%`;
  $('#reception-counts').textContent = `Принято ${data.scanned} из ${data.expected}`
    + ` · излишки: ${data.surplus} · повреждено: ${data.damaged}`;
  $('#reception-close').hidden = data.state !== 'open';
  $('#reception-cancel').hidden = data.state !== 'open' || Boolean(data.scanned);
  $('#reception-damaged').parentNode.hidden = data.state !== 'open';
  renderReceptionTicket(data);
}

async function receptionScan(code) {
  if (!reception.current) {
    flash('Сначала начните приёмку', 'warn', true);
    return;
  }
  const body = {barcode: code};
  if ($('#reception-damaged').checked) {
    body.damaged = true;
    $('#reception-damaged').checked = false;
  }
  await sendScan('reception', reception.current.id, body);
}

const SCAN_KIND = {accepted: 'ok', ok: 'ok', duplicate: 'warn', other_supplier: 'warn',
  surplus: 'bad', misplaced: 'warn', unexpected: 'bad', unknown: 'bad', missing: 'bad'};

function receptionScanned(item, data) {
  const scan = data.scan;
  const kind = SCAN_KIND[scan.result] || 'warn';
  const text = `${scan.barcode} — ${scan.result_name}${scan.detail ? ': ' + scan.detail : ''}`
    + (scan.damaged ? ' (повреждено)' : '');
  replaceQueued($('#reception-scans'), item, el('li', {class: kind}, text,
    scan.damaged && scan.parcel ? [' ', damagedPlaceButton(scan.barcode)] : ''));
  flash(text, kind, true);
  if (reception.current && data.reception.id === reception.current.id) {
    renderReception(data.reception);
  }
}

async function closeReception() {
  if (!reception.current) return;
  if (loadQueue().some((q) => q.kind === 'reception')) {
    flash('В очереди есть неотправленные сканы: дождитесь связи', 'bad', true);
    return;
  }
  if (!window.confirm('Закрыть приёмку? Неотсканированные места станут недостающими.')) return;
  try {
    const id = reception.current.id;
    const data = await api.post(`receptions/${id}/close`);
    renderReception(data);
    $('#reception-counts').append(' · ',
      el('button', {class: 'link', onclick: () => openPdf(`receptions/${id}/act`)},
        'Акт приёмки (PDF)'));
    flash('Приёмка закрыта', 'ok', true);
  } catch (error) {
    showError(error);
  }
}

/* ---------- placement ---------- */

const placement = {parcel: null};

function placementState(text) {
  $('#placement-state').textContent = text;
  $('#scan').placeholder = placement.parcel ? 'Сканируйте ячейку' : 'Сканируйте посылку';
}

async function placementScan(code) {
  if (!placement.parcel) {
    const data = await api.get('placements/suggestion', {parcel: code});
    placement.parcel = code;
    const parcel = data.parcel;
    const hint = data.cell ? `рекомендуемая ячейка: ${cellCode(data.cell)}` : 'подходящей ячейки нет';
    placementState(`${parcel.supplier.name} № ${parcel.order_number}`
      + (parcel.cell ? ` (сейчас в ${cellCode(parcel.cell)})` : '') + ` — ${hint}. Сканируйте ячейку.`);
    beep('ok');
    return;
  }
  const parcelCode = placement.parcel;
  try {
    const parcel = await api.post('placements', {parcel: parcelCode, cell: code});
    const text = `${parcel.supplier.name} № ${parcel.order_number} → ${parcel.cell ? cellCode(parcel.cell) : code}`;
    $('#placement-log').prepend(el('li', {class: 'ok'}, text, ' ', damagedPlaceButton(parcelCode)));
    flash(text, 'ok', true);
    placement.parcel = null;
    placementState('Ожидается посылка');
  } catch (error) {
    if (error.code === 'barcode_unknown' || error.status === 404) {
      // not a cell: keep the parcel, the operator scans a cell again
      showError(error);
      return;
    }
    placement.parcel = null;
    placementState('Ожидается посылка');
    throw error;
  }
}

/* ---------- returns ---------- */

const returns = {batch: null};

async function loadPending() {
  const box = $('#returns-pending');
  box.hidden = false;
  $('#returns-batch').hidden = true;
  try {
    const data = await api.get('returns/pending', withPoint({}));
    const suppliers = data.suppliers || [];
    if (!suppliers.length) {
      box.replaceChildren(el('p', {class: 'muted'}, 'Нет посылок к возврату'));
      return;
    }
    box.replaceChildren(el('table', {},
      el('thead', {}, el('tr', {}, el('th', {}, 'Поставщик'), el('th', {}, 'Посылок'),
        el('th', {}, 'Заказы'), el('th', {}, ''))),
      el('tbody', {}, suppliers.map((row) => el('tr', {},
        el('td', {}, row.supplier.name),
        el('td', {}, row.parcels.length),
        el('td', {}, row.parcels.slice(0, 8).map((p) => p.order_number).join(', ')
          + (row.parcels.length > 8 ? '…' : '')),
        el('td', {}, el('button', {class: 'primary', onclick: () => openBatch(row.supplier)},
          'Открыть возврат')))))));
  } catch (error) {
    box.replaceChildren(el('p', {class: 'error'}, error.message));
  }
}

async function openBatch(supplier) {
  try {
    renderBatch(await api.post('returns', withPoint({supplier: supplier.id})));
    flash(`Возврат для ${supplier.name} открыт`, 'ok');
  } catch (error) {
    showError(error);
  }
  $('#scan').focus();
}

function renderBatch(batch) {
  returns.batch = batch;
  $('#returns-pending').hidden = true;
  $('#returns-batch').hidden = false;
  $('#returns-number').textContent = `Возврат ${batch.number || batch.id} · ${batch.supplier.name}`
    + (batch.state === 'done' ? ' — передан' : '');
  $('#returns-hand-over').hidden = batch.state !== 'draft';
  $('#returns-parcels').replaceChildren(...(batch.parcels || []).map((p) =>
    el('li', {class: 'ok'}, `№ ${p.order_number} — ${p.state_name}`)),
  ...(batch.customer_returns || []).map((n) => el('li', {class: 'warn'}, `возврат покупателя № ${n}`)));
}

async function returnsScan(code) {
  if (!returns.batch || returns.batch.state !== 'draft') {
    flash('Сначала откройте возврат для поставщика', 'warn', true);
    return;
  }
  try {
    const data = await api.post(`returns/${returns.batch.id}/scans`, {barcode: code});
    renderBatch(data.batch);
    flash(`№ ${data.parcel.order_number} добавлена в возврат`, 'ok', true);
  } catch (error) {
    if (error instanceof NetworkError) {
      flash('Нет связи: повторите скан позже', 'bad', true);
      return;
    }
    throw error;
  }
}

async function handOver() {
  if (!returns.batch) return;
  if (!window.confirm('Курьер подписал акт? Посылки покинут пункт.')) return;
  try {
    renderBatch(await api.post(`returns/${returns.batch.id}/hand_over`));
    flash('Возврат передан курьеру', 'ok', true);
  } catch (error) {
    showError(error);
  }
}

/* ---------- inventory ---------- */

const inventory = {current: null};

async function openInventory(event) {
  event.preventDefault();
  const cells = $('#inventory-cells').value.split(/[,;\s]+/).map((c) => c.trim()).filter(Boolean);
  try {
    renderInventory(await api.post('inventories', withPoint({cells})));
    $('#inventory-scans').replaceChildren();
    $('#inventory-lines').replaceChildren();
    flash('Инвентаризация начата: сканируйте ячейку', 'ok');
  } catch (error) {
    showError(error);
  }
  $('#scan').focus();
}

function renderInventory(data) {
  inventory.current = data && data.state === 'in_progress' ? data : null;
  session.inventory = inventory.current ? inventory.current.id : null;
  saveSession();
  $('#inventory-open').hidden = Boolean(inventory.current);
  $('#inventory-view').hidden = !data;
  if (!data) return;
  $('#inventory-number').textContent = `Инвентаризация ${data.number || data.id} · ${data.state_name}`;
  $('#inventory-cell').textContent = data.current_cell ? cellCode(data.current_cell) : '—';
  const c = data.counts || {};
  $('#inventory-counts').textContent = `Ожидается ${c.expected ?? 0} · отсканировано ${c.scanned ?? 0}`
    + ` · на месте ${c.ok ?? 0} · не на своём месте ${c.misplaced ?? 0}`
    + ` · лишние ${c.unexpected ?? 0} · не найдено ${c.missing ?? 0}`;
  $('#inventory-complete').hidden = data.state !== 'in_progress';
  if (data.lines) renderDifferences(data.lines);
}

function renderDifferences(lines) {
  const box = $('#inventory-lines');
  if (!lines.length) {
    box.replaceChildren(el('p', {class: 'muted'}, 'Расхождений нет'));
    return;
  }
  box.replaceChildren(el('h2', {}, 'Расхождения'), el('table', {},
    el('thead', {}, el('tr', {}, ['Вид', 'Посылка', 'Этикетка', 'Найдена в', 'Числится в', 'Примечание',
      'Обращение'].map((h) => el('th', {}, h)))),
    el('tbody', {}, lines.map((line) => el('tr', {},
      el('td', {}, line.kind_name),
      el('td', {}, line.parcel ? `№ ${line.parcel.order_number}` : '—'),
      el('td', {}, line.barcode || '—'),
      el('td', {}, line.cell || '—'),
      el('td', {}, line.recorded_cell || '—'),
      el('td', {}, line.detail || ''),
      el('td', {}, inventoryTicketButton(line)))))));
}

async function inventoryScan(code) {
  if (!inventory.current) {
    flash('Сначала начните инвентаризацию', 'warn', true);
    return;
  }
  await sendScan('inventory', inventory.current.id, {barcode: code});
}

function inventoryScanned(item, data) {
  const scan = data.scan;
  let kind = 'ok';
  let text;
  if (!scan) {
    const cell = data.inventory.current_cell;
    text = `Ячейка ${cell ? cellCode(cell) : item.body.barcode}`;
  } else {
    kind = SCAN_KIND[scan.result] || 'warn';
    text = `${scan.barcode} — ${scan.result_name}${scan.detail ? ': ' + scan.detail : ''}`;
  }
  replaceQueued($('#inventory-scans'), item, el('li', {class: kind}, text));
  flash(text, kind, true);
  if (inventory.current && data.inventory.id === inventory.current.id) {
    renderInventory(data.inventory);
  }
}

async function completeInventory() {
  if (!inventory.current) return;
  if (loadQueue().some((q) => q.kind === 'inventory')) {
    flash('В очереди есть неотправленные сканы: дождитесь связи', 'bad', true);
    return;
  }
  if (!window.confirm('Завершить инвентаризацию?')) return;
  try {
    renderInventory(await api.post(`inventories/${inventory.current.id}/complete`));
    flash('Инвентаризация завершена', 'ok', true);
  } catch (error) {
    showError(error);
  }
}

/* ---------- login and points ---------- */

function show(screen) {
  $('#login').hidden = screen !== 'login';
  $('#choose-point').hidden = screen !== 'point';
  $('#app').hidden = screen !== 'app';
}

function onUnauthorized() {
  session = null;
  saveSession();
  show('login');
  $('#login-error').textContent = 'Сеанс истёк, войдите снова';
  $('#login-name').focus();
}

async function login(event) {
  event.preventDefault();
  const name = $('#login-name').value.trim();
  const password = $('#login-password').value;
  $('#login-error').textContent = '';
  let response;
  try {
    // JSON-RPC login answers the session token, which the page sends in
    // the Authorization header
    response = await fetch(`${ROOT}/rpc/`, {method: 'POST',
      headers: {'Content-Type': 'application/json'}, credentials: 'same-origin',
      body: JSON.stringify({id: 1, method: 'common.db.login',
        params: [name, {password}, 'ru']})});
  } catch (error) {
    $('#login-error').textContent = 'Нет связи с сервером';
    return;
  }
  if (response.status === 429) {
    $('#login-error').textContent = 'Слишком много попыток, подождите';
    return;
  }
  let data = null;
  try { data = await response.json(); } catch (e) { /* */ }
  if (!response.ok || !data || !Array.isArray(data.result)) {
    $('#login-error').textContent = 'Неверный логин или пароль';
    return;
  }
  const [userId, token] = data.result;
  session = {login: name, userId, token, point: null};
  saveSession();
  $('#login-password').value = '';
  await choosePoint();
}

async function choosePoint() {
  let points;
  try {
    points = (await request('GET', `${ROOT}/multipoint/operator/points`)).points;
  } catch (error) {
    if (error.status === 401) return;
    show('point');
    $('#point-error').textContent = error.message;
    return;
  }
  if (points.length === 1) {
    startApp(points[0]);
    return;
  }
  show('point');
  $('#point-error').textContent = points.length ? '' : 'Вы не назначены ни на один пункт';
  $('#point-list').replaceChildren(...points.map((point) => el('button', {
    class: 'primary', onclick: () => startApp(point)},
  `${point.code} — ${point.name}${point.city ? ', ' + point.city : ''}`)));
}

async function startApp(point) {
  session.point = point;
  saveSession();
  show('app');
  $('#point-name').textContent = `${point.code} ${point.name}`;
  $('#user-name').textContent = session.login;
  currentShift = null;
  shiftKnown = false;
  setMode(mode);
  saveQueue(loadQueue());
  refreshShift();
  loadToday();
  // resume an open reception or inventory after a reload
  if (session.reception) {
    try { renderReception(await api.get(`receptions/${session.reception}`)); }
    catch (e) { renderReception(null); }
  }
  if (session.inventory) {
    try { renderInventory(await api.get(`inventories/${session.inventory}`)); }
    catch (e) { renderInventory(null); }
  }
  loadOpenWork();
  flushQueue();
}

/* ---------- work left open: resume or cancel after a new login ---------- */

async function loadOpenWork() {
  let data;
  try {
    data = await api.get('open_work', withPoint());
  } catch (error) {
    return;  // an older server or no connection: nothing offered
  }
  const items = [];
  for (const r of data.receptions || []) {
    if (reception.current && reception.current.id === r.id) continue;
    items.push(el('li', {'data-reception': r.id},
      el('span', {}, `Приёмка ${r.number || r.id}: принято ${r.scanned} из ${r.expected}`),
      el('button', {type: 'button', class: 'primary', onclick: () => resumeReception(r.id)},
        'Продолжить'),
      el('button', {type: 'button', class: 'danger', onclick: (event) =>
        cancelReception(r.id, event.target.closest('li'))}, 'Отменить')));
  }
  for (const i of data.inventories || []) {
    if (inventory.current && inventory.current.id === i.id) continue;
    const c = i.counts || {};
    items.push(el('li', {'data-inventory': i.id},
      el('span', {}, `Инвентаризация ${i.number || i.id}: отсканировано ${c.scanned ?? 0}`
        + ` из ${c.expected ?? 0}`),
      el('button', {type: 'button', class: 'primary', onclick: () => resumeInventory(i.id)},
        'Продолжить')));
  }
  $('#resume-list').replaceChildren(...items);
  $('#resume').hidden = !items.length;
}

function dropResumeItem(selector) {
  const item = $(`#resume-list ${selector}`);
  if (item) item.remove();
  $('#resume').hidden = !$('#resume-list').children.length;
}

async function resumeReception(id) {
  try {
    renderReception(await api.get(`receptions/${id}`));
    $('#reception-scans').replaceChildren();
    dropResumeItem(`[data-reception="${id}"]`);
    setMode('reception');
    flash('Приёмка продолжена: сканируйте места', 'ok');
  } catch (error) {
    showError(error);
  }
}

async function resumeInventory(id) {
  try {
    renderInventory(await api.get(`inventories/${id}`));
    $('#inventory-scans').replaceChildren();
    dropResumeItem(`[data-inventory="${id}"]`);
    setMode('inventory');
    flash('Инвентаризация продолжена: сканируйте ячейку', 'ok');
  } catch (error) {
    showError(error);
  }
}

/* a reception with nothing accepted is cancelled (the server refuses when
 * something is: then close it instead) */
async function cancelReception(id, item = null) {
  const own = reception.current && reception.current.id === id;
  if (own && loadQueue().some((q) => q.kind === 'reception')) {
    flash('В очереди есть неотправленные сканы: дождитесь связи', 'bad', true);
    return;
  }
  try {
    const data = await api.post(`receptions/${id}/cancel`);
    if (own) {
      renderReception(null);
      $('#reception-scans').replaceChildren();
    }
    if (item) dropResumeItem(`[data-reception="${id}"]`);
    flash(`Приёмка ${(data && data.number) || id} отменена`, 'ok', true);
  } catch (error) {
    if (error.status === 404 || error.status === 405) {
      flash('Отмена приёмки на сервере пока недоступна', 'bad', true);
    } else {
      showError(error);
    }
  }
}

async function logout() {
  if (loadQueue().length
    && !window.confirm('В очереди есть неотправленные сканы. Выйти всё равно?')) return;
  try {
    await fetch(`${ROOT}/rpc/`, {method: 'POST', credentials: 'same-origin',
      headers: {'Content-Type': 'application/json', ...authHeader()},
      body: JSON.stringify({id: 2, method: 'common.db.logout', params: []})});
  } catch (e) { /* offline: the session expires by itself */ }
  // the next login starts clean: what is left open the server offers again
  stopCamera();
  renderReception(null);
  renderInventory(null);
  renderIssue([], []);
  $('#issue-result').replaceChildren();
  $('#resume').hidden = true;
  clearFlash();
  session = null;
  saveSession();
  show('login');
  $('#login-name').focus();
}

/* ---------- camera scanning (phones and tablets without a scanner) ----------
 * The rear camera reads 1D codes (Code 128, EAN-13...), QR and DataMatrix; a
 * code read goes through the same path as a typed or scanned one (onScan).
 * The browser's BarcodeDetector decodes where it has one; elsewhere (desktop
 * Chromium on Linux, Firefox, Safari) @zxing/library does, loaded from the
 * server only the first time the camera is used (vendor/zxing.min.js,
 * installed by scripts/setup.sh). In issue mode the camera closes after a
 * code; in the other modes it stays open for the next one (a place, then its
 * cell), and a code still in view is not read twice. */

const CAMERA_FORMATS = ['code_128', 'code_39', 'ean_13', 'ean_8', 'itf', 'upc_a',
  'qr_code', 'data_matrix'];
// the same code again only after it has been out of view this long
const CAMERA_REPEAT_MS = 3000;
const camera = {stream: null, decode: null, timer: null, run: 0,
  last: null, lastSeen: 0};
let zxingLoading = null;

function cameraAvailable() {
  return Boolean(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
}

function renderCameraButton() {
  // without getUserMedia (a page over plain HTTP) the button explains why
  $('#camera-toggle').hidden = !cameraAvailable() && window.isSecureContext;
}

/* @zxing/library's UMD build, once per page: it defines window.ZXing */
function loadZxing() {
  if (window.ZXing) return Promise.resolve(window.ZXing);
  if (!zxingLoading) {
    zxingLoading = new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = 'vendor/zxing.min.js';
      script.async = true;
      script.onload = () => (window.ZXing ? resolve(window.ZXing)
        : reject(new Error('zxing')));
      script.onerror = () => reject(new Error('zxing'));
      document.head.append(script);
    }).catch((error) => { zxingLoading = null; throw error; });
  }
  return zxingLoading;
}

/* The browser's own detector, or null when it has none for our formats */
async function nativeDecoder() {
  if (!('BarcodeDetector' in window)) return null;
  try {
    let formats = CAMERA_FORMATS;
    if (BarcodeDetector.getSupportedFormats) {
      const supported = await BarcodeDetector.getSupportedFormats();
      formats = CAMERA_FORMATS.filter((f) => supported.includes(f));
    }
    if (!formats.length) return null;
    const detector = new BarcodeDetector({formats});
    return async (video) => {
      const found = await detector.detect(video);
      return found.length ? found[0].rawValue : null;
    };
  } catch (e) {
    return null;
  }
}

/* zxing reading a frame of the video drawn on a canvas */
async function zxingDecoder() {
  const ZXing = await loadZxing();
  const F = ZXing.BarcodeFormat;
  const hints = new Map();
  hints.set(ZXing.DecodeHintType.POSSIBLE_FORMATS, [F.CODE_128, F.CODE_39,
    F.EAN_13, F.EAN_8, F.ITF, F.UPC_A, F.QR_CODE, F.DATA_MATRIX]);
  hints.set(ZXing.DecodeHintType.TRY_HARDER, true);
  const reader = new ZXing.MultiFormatReader();
  reader.setHints(hints);
  const canvas = document.createElement('canvas');
  const context = canvas.getContext('2d', {willReadFrequently: true});
  return async (video) => {
    const width = video.videoWidth;
    const height = video.videoHeight;
    if (!width || !height) return null;
    // a phone's 1920 px frame is more than a label needs and slow to read
    const scale = Math.min(1, 1280 / Math.max(width, height));
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    const source = new ZXing.HTMLCanvasElementLuminanceSource(canvas);
    const bitmap = new ZXing.BinaryBitmap(new ZXing.HybridBinarizer(source));
    try {
      return reader.decodeWithState(bitmap).getText();
    } catch (e) {
      return null;  // no code in this frame
    } finally {
      reader.reset();
    }
  };
}

async function cameraDecoder() {
  return (await nativeDecoder()) || zxingDecoder();
}

function cameraError(error) {
  const name = error && error.name;
  if (name === 'NotAllowedError' || name === 'SecurityError') {
    return 'Нет доступа к камере: разрешите его в настройках браузера для этого сайта';
  }
  if (name === 'NotFoundError' || name === 'OverconstrainedError' || name === 'DevicesNotFoundError') {
    return 'Камера не найдена на этом устройстве';
  }
  if (name === 'NotReadableError' || name === 'AbortError') {
    return 'Камера занята другим приложением или не отвечает';
  }
  return 'Камера недоступна';
}

async function startCamera() {
  if (camera.stream || camera.run) { stopCamera(); return; }
  if (!cameraAvailable()) {
    flash('Камера недоступна: браузер даёт её только странице, открытой по HTTPS', 'bad', true);
    return;
  }
  const run = Date.now();
  camera.run = run;
  camera.last = null;
  $('#camera').hidden = false;
  $('#camera-status').textContent = 'Включение камеры…';
  $('#camera-toggle').classList.add('active');
  // the permission prompt and the decoder's download go together
  const decoding = cameraDecoder().catch(() => null);
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia(
      {video: {facingMode: 'environment'}, audio: false});
  } catch (error) {
    if (camera.run !== run) return;
    stopCamera();
    flash(cameraError(error), 'bad', true);
    return;
  }
  if (camera.run !== run) {  // closed while the browser asked
    stream.getTracks().forEach((track) => track.stop());
    return;
  }
  camera.stream = stream;
  const video = $('#camera-video');
  video.srcObject = stream;
  try { await video.play(); } catch (e) { /* autoplay: it plays muted anyway */ }
  $('#camera-status').textContent = 'Загрузка распознавания штрихкодов…';
  const decode = await decoding;
  if (camera.run !== run) return;
  if (!decode) {
    stopCamera();
    flash('Распознавание штрихкодов камерой не установлено на сервере: введите код вручную', 'bad', true);
    return;
  }
  camera.decode = decode;
  $('#camera-status').textContent = 'Наведите камеру на штрихкод';
  detectLoop(run);
}

async function detectLoop(run) {
  if (camera.run !== run || !camera.stream) return;
  const video = $('#camera-video');
  let code = null;
  if (video.readyState >= 2) {
    try {
      code = await camera.decode(video);
    } catch (e) { /* a frame it could not read */ }
  }
  if (camera.run !== run) return;
  code = code && code.trim();
  const now = Date.now();
  if (code && code === camera.last && now - camera.lastSeen < CAMERA_REPEAT_MS) {
    camera.lastSeen = now;  // still in view: read once
    code = null;
  }
  if (code) {
    camera.last = code;
    camera.lastSeen = now;
    beep('ok');
    $('#camera-status').textContent = `Прочитан код ${code}`;
    if (mode === 'issue') stopCamera();
    await onScan(code);
    if (camera.run !== run) return;
  }
  camera.timer = setTimeout(() => detectLoop(run), 150);
}

function stopCamera() {
  clearTimeout(camera.timer);
  camera.run = 0;
  camera.decode = null;
  if (camera.stream) camera.stream.getTracks().forEach((track) => track.stop());
  camera.stream = null;
  const video = $('#camera-video');
  if (video) video.srcObject = null;
  $('#camera').hidden = true;
  $('#camera-toggle').classList.remove('active');
}

/* ---------- wiring ---------- */

function init() {
  $('#login-form').addEventListener('submit', login);
  $('#scan-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = $('#scan');
    const code = input.value;
    input.value = '';
    onScan(code);
  });
  $$('#modes button').forEach((b) => b.addEventListener('click', () => setMode(b.dataset.mode)));
  document.addEventListener('keydown', (event) => {
    if ($('#app').hidden) return;
    if (FKEYS[event.key]) {
      event.preventDefault();
      setMode(FKEYS[event.key]);
    } else if (event.key === 'Escape') {
      if (mode === 'placement' && placement.parcel) {
        placement.parcel = null;
        placementState('Ожидается посылка');
      }
      document.activeElement.blur();
      focusScan();
    }
  });
  // the scan field keeps the focus unless the operator types elsewhere
  document.addEventListener('focusout', () => setTimeout(focusScan, 0));
  document.addEventListener('click', () => setTimeout(focusScan, 0));
  $('#issue-signature').addEventListener('change', () => updateIssue());
  $('#issue-submit').addEventListener('click', submitIssue);
  $('#issue-refuse').addEventListener('click', refuseParcels);
  $$('#issue-payment [data-pay]').forEach((b) =>
    b.addEventListener('click', () => { setPayMethod(b.dataset.pay); updateIssue(); }));
  for (const id of ['#pay-cash', '#pay-card', '#pay-sbp', '#pay-tendered']) {
    $(id).addEventListener('input', () => updateIssue());
    $(id).addEventListener('keydown', submitOnEnter);
  }
  initShift();
  initTickets();
  initRefusal();
  renderCameraButton();
  $('#camera-toggle').addEventListener('click', startCamera);
  $('#camera-close').addEventListener('click', stopCamera);
  $('#reception-open').addEventListener('submit', openReception);
  $('#reception-close').addEventListener('click', closeReception);
  $('#reception-cancel').addEventListener('click', () => {
    if (reception.current) cancelReception(reception.current.id);
  });
  $('#returns-hand-over').addEventListener('click', handOver);
  $('#returns-act').addEventListener('click', (event) => {
    event.preventDefault();
    if (returns.batch) openPdf(`returns/${returns.batch.id}/act`);
  });
  $('#returns-back').addEventListener('click', () => { returns.batch = null; loadPending(); });
  $('#inventory-open').addEventListener('submit', openInventory);
  $('#inventory-complete').addEventListener('click', completeInventory);
  $('#point-name').addEventListener('click', choosePoint);
  $('#logout').addEventListener('click', logout);
  window.addEventListener('online', flushQueue);
  window.addEventListener('storage', (event) => {
    if (event.key === QUEUE_KEY) saveQueue(loadQueue());
  });
  setInterval(() => { if (loadQueue().length) flushQueue(); }, 10000);
  saveQueue(loadQueue());

  if (!session) {
    show('login');
    $('#login-name').focus();
  } else if (!session.point) {
    choosePoint();
  } else {
    startApp(session.point);
  }
}

if (typeof document !== 'undefined') init();
