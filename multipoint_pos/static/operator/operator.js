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
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
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
      error.message || `Ошибка сервера (${response.status})`);
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

let flashTimer = null;
function flash(message, kind = 'ok', sound = false) {
  const node = $('#flash');
  node.textContent = message;
  node.className = `flash ${kind}`;
  if (sound) beep(kind);
  clearTimeout(flashTimer);
  flashTimer = setTimeout(() => { node.className = 'flash'; }, 2500);
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
  mode = name;
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
  if (isEditable(document.activeElement)) return;
  $('#scan').focus();
}

async function onScan(code) {
  code = code.trim();
  if (!code) return;
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
        flash(`Ячейка ${cell.name}: посылок ${cell.parcels}`, 'ok', true);
        return;
      }
    } catch (e) { /* not a cell either */ }
    flash('Ничего не найдено', 'warn', true);
    renderIssue([], []);
    return;
  }
  beep('ok');
  renderIssue(data.parcels, data.matched);
}

function renderIssue(parcels, matched) {
  issue.parcels = parcels;
  issue.matched = new Set(matched);
  issue.chosen = {};
  issue.quote = null;
  for (const parcel of parcels) {
    issue.chosen[parcel.id] = {selected: issue.matched.has(parcel.id),
      code: '', idCheck: '', refused: {}};
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
    el('span', {class: 'cell', title: 'Ячейка'}, parcel.cell ? parcel.cell.name : 'без ячейки')),
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
      autocomplete: 'off', onkeydown: submitOnEnter, oninput: (event) => {
        choice.code = event.target.value.trim();
        if (choice.code) choice.selected = true;
        syncCheckbox(parcel.id);
        updateIssue();
      }}),
  rules.id_check_required || rules.id_check_replaces_code
    ? el('input', {class: 'code', placeholder: 'Документ, напр. паспорт ****1234',
      autocomplete: 'off', onkeydown: submitOnEnter, oninput: (event) => {
        choice.idCheck = event.target.value.trim();
        updateIssue();
      }})
    : '');
  return card;
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
    renderIssue([], []);
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
    updateIssue();
  }
}

async function refuseParcels() {
  const chosen = chosenParcels();
  if (!chosen.length) return;
  const reason = window.prompt('Причина отказа от посылок:', 'Отказ получателя');
  if (!reason) return;
  try {
    // the supplier's terms may charge the delivery even on a full refusal
    const parcels = chosen.map((p) => ({id: p.id, refuse: reason}));
    const quote = await api.post('issue/quote', withPoint({parcels}));
    const fee = toKop(quote.total);
    let data;
    if (fee) {
      const method = issue.method === 'mixed' ? 'cash' : issue.method;
      const names = {cash: 'наличными', card: 'картой', sbp: 'по СБП'};
      if (!window.confirm(`По условиям поставщика при отказе оплачивается доставка: `
        + `${money(quote.total)} ₽. Принять оплату ${names[method]}?`)) return;
      data = await api.post('issue/pay', withPoint({parcels,
        payments: [{method, amount: fromKop(fee)}]}));
      refreshShift();
    } else {
      data = await api.post('issue/refuse', withPoint({
        parcels: chosen.map((p) => p.id), reason}));
    }
    renderIssue([], []);
    showIssueResult(data, `Отказ оформлен, посылок: ${(data.refused || []).length}`);
    flash(`Отказ оформлен, посылок: ${(data.refused || []).length}`, 'warn', true);
  } catch (error) {
    showError(error);
  }
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
    const hint = data.cell ? `рекомендуемая ячейка: ${data.cell.name}` : 'подходящей ячейки нет';
    placementState(`${parcel.supplier.name} № ${parcel.order_number}`
      + (parcel.cell ? ` (сейчас в ${parcel.cell.name})` : '') + ` — ${hint}. Сканируйте ячейку.`);
    beep('ok');
    return;
  }
  const parcelCode = placement.parcel;
  try {
    const parcel = await api.post('placements', {parcel: parcelCode, cell: code});
    const text = `${parcel.supplier.name} № ${parcel.order_number} → ${parcel.cell ? parcel.cell.name : code}`;
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
  $('#inventory-cell').textContent = data.current_cell ? data.current_cell.name : '—';
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
    text = `Ячейка ${cell ? cell.name : item.body.barcode}`;
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
  flushQueue();
}

async function logout() {
  if (loadQueue().length
    && !window.confirm('В очереди есть неотправленные сканы. Выйти всё равно?')) return;
  try {
    await fetch(`${ROOT}/rpc/`, {method: 'POST', credentials: 'same-origin',
      headers: {'Content-Type': 'application/json', ...authHeader()},
      body: JSON.stringify({id: 2, method: 'common.db.logout', params: []})});
  } catch (e) { /* offline: the session expires by itself */ }
  session = null;
  saveSession();
  show('login');
  $('#login-name').focus();
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
  $('#reception-open').addEventListener('submit', openReception);
  $('#reception-close').addEventListener('click', closeReception);
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
