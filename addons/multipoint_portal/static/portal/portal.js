/* Supplier portal: plain JS, no build step.
 *
 * Talks only to the portal JSON API (/<db>/multipoint/portal/api). The
 * session is an HttpOnly cookie the script never sees; every POST carries
 * X-Requested-With and the X-CSRF-Token the login (or /me) answered.
 */
'use strict';

const DB = decodeURIComponent(location.pathname.split('/')[1] || '');
const BASE = `/${encodeURIComponent(DB)}/multipoint/portal`;
const API = `${BASE}/api`;
const POLL_MS = 1000;

const $ = (selector, root = document) => root.querySelector(selector);
const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function money(value) {
  if (value === null || value === undefined || value === '') return '—';
  return Number(value).toLocaleString('ru-RU',
    {minimumFractionDigits: 2, maximumFractionDigits: 2});
}

function formatDate(value) {
  if (!value) return '—';
  const [y, m, d] = String(value).slice(0, 10).split('-');
  return d ? `${d}.${m}.${y}` : String(value);
}

function formatDateTime(value) {
  if (!value) return '—';
  // the server's timestamps are UTC
  const date = new Date(String(value).replace(' ', 'T') + 'Z');
  if (Number.isNaN(date.getTime())) return String(value);
  return date.toLocaleString('ru-RU', {dateStyle: 'short', timeStyle: 'short'});
}

/* ---------- API ---------- */

let csrf = null;

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function request(method, path, body) {
  const headers = {'X-Requested-With': 'XMLHttpRequest'};
  if (csrf) headers['X-CSRF-Token'] = csrf;
  let payload;
  if (body instanceof FormData) {
    payload = body;
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(`${API}/${path}`, {
      method, headers, body: payload, credentials: 'same-origin'});
  } catch (e) {
    throw new ApiError(0, 'network', 'Нет связи с сервером. Проверьте подключение и повторите.');
  }
  let data = null;
  try { data = await response.json(); } catch (e) { data = null; }
  if (!response.ok) {
    const error = (data && data.error) || {};
    if (response.status === 401 && path !== 'login') showLogin();
    throw new ApiError(response.status, error.code || 'error',
      error.message || `Ошибка сервера (${response.status})`);
  }
  return data;
}

const api = {
  get: (path) => request('GET', path),
  post: (path, body) => request('POST', path, body === undefined ? {} : body),
};

function flash(message, kind = 'error') {
  const box = $('#flash');
  box.textContent = message || '';
  box.className = `flash ${kind}`;
}

function report(error) {
  flash(error.message || String(error));
}

/* ---------- login, logout, password ---------- */

function showOnly(selector) {
  for (const form of ['#login-form', '#reset-form', '#password-form']) {
    $(form).hidden = form !== selector;
  }
  $('#login').hidden = false;
  $('#app').hidden = true;
}

function showLogin() {
  csrf = null;
  showOnly('#login-form');
  $('#login-email').focus();
}

function startApp(me) {
  csrf = me.csrf;
  $('#supplier-name').textContent = me.supplier.name;
  $('#user-email').textContent = me.email;
  const features = me.features || {};
  $('[data-tab=tickets]').hidden = !features.tickets;
  $('[data-tab=claims]').hidden = !features.claims;
  $('[data-tab=settlements]').hidden = !features.settlements;
  $('#login').hidden = true;
  $('#app').hidden = false;
  flash('', 'info');
  loadFilters().catch(report);
  showTab(location.hash.slice(1) || 'parcels');
}

$('#login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  $('#login-error').textContent = '';
  try {
    const me = await api.post('login', {
      email: $('#login-email').value, password: $('#login-password').value});
    $('#login-password').value = '';
    startApp(me);
  } catch (error) {
    $('#login-error').textContent = error.message;
  }
});

$('#forgot').addEventListener('click', () => {
  $('#reset-email').value = $('#login-email').value;
  $('#reset-message').textContent = '';
  showOnly('#reset-form');
});

for (const button of $$('.back-to-login')) {
  button.addEventListener('click', () => {
    history.replaceState(null, '', location.pathname);
    showLogin();
  });
}

$('#reset-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    const result = await api.post('password/reset', {email: $('#reset-email').value});
    $('#reset-message').textContent = result.message;
  } catch (error) {
    $('#reset-message').textContent = error.message;
  }
});

const resetParams = new URLSearchParams(location.search);

$('#password-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const message = $('#password-message');
  if ($('#password-new').value !== $('#password-repeat').value) {
    message.textContent = 'Пароли не совпадают.';
    return;
  }
  try {
    const result = await api.post('password/set', {
      email: resetParams.get('email'), token: resetParams.get('token'),
      password: $('#password-new').value});
    message.textContent = result.message;
    history.replaceState(null, '', location.pathname);
    $('#login-email').value = resetParams.get('email') || '';
    setTimeout(showLogin, 1500);
  } catch (error) {
    message.textContent = error.message;
  }
});

$('#logout').addEventListener('click', async () => {
  try { await api.post('logout'); } catch (e) { /* signed out anyway */ }
  stopPolling();
  showLogin();
});

/* ---------- tabs ---------- */

const tabs = {};

function showTab(name) {
  const button = $(`#tabs [data-tab="${CSS.escape(name)}"]`);
  if (!tabs[name] || !button || button.hidden) name = 'parcels';
  for (const button of $$('#tabs [data-tab]')) {
    button.classList.toggle('active', button.dataset.tab === name);
  }
  for (const section of $$('main .tab')) {
    section.hidden = section.dataset.tab !== name;
  }
  if (location.hash !== `#${name}`) history.replaceState(null, '', `#${name}`);
  // a new key's secret is shown once
  $('#key-new').hidden = true;
  $('#key-secret').textContent = '';
  tabs[name]().catch(report);
}

for (const button of $$('#tabs [data-tab]')) {
  button.addEventListener('click', () => showTab(button.dataset.tab));
}

/* ---------- parcels ---------- */

const parcelQuery = {page: 1};

async function loadFilters() {
  const [states, points] = await Promise.all([api.get('states'), api.get('points')]);
  const stateSelect = $('#filter-state');
  stateSelect.replaceChildren(el('option', {value: ''}, 'Все'),
    ...states.states.map((s) => el('option', {value: s.state}, s.name)));
  const pointSelect = $('#filter-point');
  pointSelect.replaceChildren(el('option', {value: ''}, 'Все'),
    ...points.points.map((p) => el('option', {value: p.id}, `${p.code} — ${p.name}`)));
}

function parcelParams() {
  const params = new URLSearchParams();
  const values = {
    q: $('#filter-q').value.trim(), state: $('#filter-state').value,
    point: $('#filter-point').value, from: $('#filter-from').value,
    to: $('#filter-to').value, page: parcelQuery.page};
  for (const [key, value] of Object.entries(values)) {
    if (value) params.set(key, value);
  }
  return params;
}

async function loadParcels() {
  const result = await api.get(`parcels?${parcelParams()}`);
  $('#parcel-rows').replaceChildren(...result.parcels.map((p) => el('tr',
    {class: 'clickable', 'data-id': p.id, onclick: () => openParcel(p.id).catch(report)},
    el('td', {}, p.order_number),
    el('td', {class: 'mono'}, p.barcodes.join(', ')),
    el('td', {}, `${p.point.code} — ${p.point.name}`),
    el('td', {}, el('span', {class: `state state-${p.state}`}, p.state_name)),
    el('td', {class: 'num'}, p.prepaid ? 'оплачена' : money(p.amount_due)),
    el('td', {}, formatDateTime(p.created)),
    el('td', {}, formatDate(p.storage_deadline)))));
  if (!result.parcels.length) {
    $('#parcel-rows').append(el('tr', {}, el('td', {colspan: 7, class: 'empty'},
      'Посылок не найдено')));
  }
  $('#parcel-total').textContent = `Найдено посылок: ${result.total}`;
  $('#page-info').textContent = `Страница ${result.page} из ${result.pages}`;
  $('#page-prev').disabled = result.page <= 1;
  $('#page-next').disabled = result.page >= result.pages;
}
tabs.parcels = loadParcels;

$('#parcel-filters').addEventListener('submit', (event) => {
  event.preventDefault();
  parcelQuery.page = 1;
  $('#parcel-detail').hidden = true;
  loadParcels().catch(report);
});
$('#parcel-filters').addEventListener('reset', () => {
  parcelQuery.page = 1;
  setTimeout(() => loadParcels().catch(report));
});
$('#page-prev').addEventListener('click', () => {
  parcelQuery.page -= 1;
  loadParcels().catch(report);
});
$('#page-next').addEventListener('click', () => {
  parcelQuery.page += 1;
  loadParcels().catch(report);
});

async function openParcel(id) {
  const p = await api.get(`parcels/${id}`);
  const detail = $('#parcel-detail');
  detail.replaceChildren(
    el('button', {class: 'link close', onclick: () => { detail.hidden = true; }}, 'Закрыть'),
    el('h2', {}, `Заказ ${p.order_number}`),
    el('dl', {class: 'summary'},
      el('dt', {}, 'Состояние'), el('dd', {}, p.state_name),
      el('dt', {}, 'Пункт выдачи'), el('dd', {}, `${p.point.code} — ${p.point.name}, ${p.point.address || ''}`),
      el('dt', {}, 'Получатель'), el('dd', {}, `${p.recipient_name} (${p.recipient_phone || '—'})`),
      el('dt', {}, 'Наложенный платёж'), el('dd', {}, p.prepaid ? 'предоплачена' : money(p.cod_amount)),
      el('dt', {}, 'Стоимость доставки'), el('dd', {}, money(p.delivery_fee)),
      el('dt', {}, 'Объявленная ценность'), el('dd', {}, money(p.declared_value)),
      el('dt', {}, 'Накладная'), el('dd', {}, p.manifest || '—'),
      el('dt', {}, 'Поступила'), el('dd', {}, formatDateTime(p.arrival_date)),
      el('dt', {}, 'Хранение до'), el('dd', {}, formatDate(p.storage_deadline))),
    el('h3', {}, 'Места'),
    el('ul', {class: 'places'}, p.places.map((place) => el('li', {},
      el('span', {class: 'mono'}, place.barcode), ` — ${place.state_name}`))),
    el('h3', {}, 'История'),
    el('table', {class: 'grid events'},
      el('thead', {}, el('tr', {}, el('th', {}, 'Дата'), el('th', {}, 'Событие'),
        el('th', {}, 'Пункт'), el('th', {}, 'Подробности'))),
      el('tbody', {}, p.events.map((e) => el('tr', {},
        el('td', {}, formatDateTime(e.date)),
        el('td', {}, e.to_state_name && e.kind === 'state'
          ? `${e.kind_name}: ${e.from_state_name || '—'} → ${e.to_state_name}` : e.kind_name),
        el('td', {}, e.point ? e.point.code : '—'),
        el('td', {}, e.detail || ''))))));
  detail.hidden = false;
  detail.scrollIntoView({block: 'nearest'});
}

/* ---------- manifest imports ---------- */

let accounts = [];
let pendingForm = null;
let pollTimer = null;

function stopPolling() {
  if (pollTimer) clearTimeout(pollTimer);
  pollTimer = null;
}

function fillPoints() {
  const account = accounts.find((a) => String(a.id) === $('#import-account').value);
  $('#import-point').replaceChildren(...(account ? account.points : []).map(
    (p) => el('option', {value: p.id}, `${p.code} — ${p.name} (код у вас: ${p.supplier_code})`)));
}

async function loadImports() {
  const [accountList, list] = await Promise.all([api.get('accounts'), api.get('imports')]);
  accounts = accountList.accounts;
  const select = $('#import-account');
  const selected = select.value;
  select.replaceChildren(...accounts.map((a) => el('option', {value: a.id}, a.name)));
  if (selected) select.value = selected;
  fillPoints();
  if (!accounts.length) {
    flash('Нет учётных записей для загрузки файлов: обратитесь в сеть пунктов выдачи.', 'info');
  }
  $('#import-rows').replaceChildren(...list.imports.map((log) => el('tr', {},
    el('td', {}, formatDateTime(log.created_at)),
    el('td', {}, log.file_name || '—'),
    el('td', {}, log.point.code),
    el('td', {}, el('span', {class: `import import-${log.state}`}, log.state_name)),
    el('td', {class: 'num'}, log.rows),
    el('td', {class: 'num'}, log.created),
    el('td', {class: 'num'}, log.updated),
    el('td', {class: 'num'}, log.failed))));
}
tabs.imports = loadImports;

$('#import-account').addEventListener('change', fillPoints);

function importForm() {
  const form = new FormData();
  form.set('account', $('#import-account').value);
  form.set('point', $('#import-point').value);
  form.set('file', $('#import-file').files[0]);
  return form;
}

function errorRows(errors) {
  return errors.map((e) => el('tr', {},
    el('td', {class: 'num'}, e.row || '—'),
    el('td', {}, e.order_number || ''),
    el('td', {class: 'mono'}, e.barcode || ''),
    el('td', {}, e.message)));
}

$('#import-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  if (!$('#import-file').files.length) {
    flash('Выберите файл для загрузки.');
    return;
  }
  stopPolling();
  $('#import-progress').hidden = true;
  pendingForm = importForm();
  try {
    const preview = await api.post('imports/preview', pendingForm);
    showPreview(preview);
  } catch (error) {
    report(error);
  }
});

function showPreview(preview) {
  const summary = [
    ['Файл', preview.file_name || '—'],
    ['Формат', [preview.format, preview.delimiter && `разделитель «${preview.delimiter}»`]
      .filter(Boolean).join(', ') || '—'],
    ['Колонки', preview.columns.join(', ') || '—'],
    ['Строк', preview.rows],
    ['Заказов', preview.parcels],
    ['Будет создано', preview.created],
    ['Будет обновлено', preview.updated],
    ['Без изменений', preview.skipped],
    ['Ошибок', preview.errors_total],
  ];
  $('#preview-summary').replaceChildren(...summary.flatMap(
    ([term, value]) => [el('dt', {}, term), el('dd', {}, String(value))]));
  const status = $('#preview-status');
  status.className = preview.valid ? 'ok' : 'error';
  status.textContent = preview.valid
    ? 'Ошибок нет: файл можно загрузить.'
    : 'Файл не может быть загружен: исправьте ошибки и проверьте его снова.';
  const rows = errorRows(preview.errors.concat(preview.warnings));
  $('#preview-errors tbody').replaceChildren(...rows);
  $('#preview-errors').hidden = !rows.length;
  $('#import-confirm').disabled = !preview.valid;
  $('#import-preview').hidden = false;
}

$('#import-cancel').addEventListener('click', () => {
  pendingForm = null;
  $('#import-preview').hidden = true;
});

$('#import-confirm').addEventListener('click', async () => {
  if (!pendingForm) return;
  $('#import-confirm').disabled = true;
  try {
    const result = await api.post('imports', pendingForm);
    pendingForm = null;
    $('#import-preview').hidden = true;
    $('#import-form').reset();
    fillPoints();
    showImport(result.import);
  } catch (error) {
    $('#import-confirm').disabled = false;
    report(error);
  }
});

const FINISHED = new Set(['done', 'failed']);

function showImport(log) {
  $('#import-progress').hidden = false;
  const bar = $('#import-bar');
  if (log.state === 'done') bar.value = 1;
  else if (log.progress !== null && log.progress !== undefined) bar.value = log.progress;
  else bar.removeAttribute('value');
  let text = `${log.file_name || 'Файл'}: ${log.state_name}.`;
  if (log.state === 'done') {
    text += ` Создано: ${log.created}, обновлено: ${log.updated}, без изменений: ${log.skipped}.`;
  } else if (log.state === 'failed') {
    text += ' Ничего не загружено.';
  }
  $('#import-state').textContent = text;
  $('#import-state').className = log.state === 'failed' ? 'error' : (log.state === 'done' ? 'ok' : '');
  const lines = log.lines || [];
  $('#import-lines tbody').replaceChildren(...lines.map((l) => el('tr', {},
    el('td', {class: 'num'}, l.row || '—'), el('td', {}, l.order_number || ''),
    el('td', {}, l.message))));
  $('#import-lines').hidden = !lines.length;
  if (FINISHED.has(log.state)) {
    loadImports().catch(report);
  } else {
    pollTimer = setTimeout(async () => {
      try { showImport(await api.get(`imports/${log.id}`)); } catch (e) { report(e); }
    }, POLL_MS);
  }
}

/* ---------- settlements (agent's reports) ---------- */

const settlementView = {id: null, page: 1};

function period(s) {
  return `${formatDate(s.period_start)} — ${formatDate(s.period_end)}`;
}

async function loadSettlements() {
  const result = await api.get('settlements');
  $('#settlement-rows').replaceChildren(...result.settlements.map((s) => el('tr',
    {class: 'clickable', onclick: () => openSettlement(s.id, 1).catch(report)},
    el('td', {}, s.number || '—'),
    el('td', {}, period(s)),
    el('td', {}, s.point ? s.point.code : 'все пункты'),
    el('td', {}, el('span', {class: `state settlement-${s.state}`}, s.state_name)),
    el('td', {class: 'num'}, s.parcel_count),
    el('td', {class: 'num'}, money(s.collected)),
    el('td', {class: 'num'}, money(s.commission)),
    el('td', {class: 'num'}, money(s.net_amount)))));
  if (!result.settlements.length) {
    $('#settlement-rows').append(el('tr', {}, el('td', {colspan: 8, class: 'empty'},
      'Отчётов пока нет')));
  }
}
tabs.settlements = loadSettlements;

async function openSettlement(id, page) {
  const s = await api.get(`settlements/${id}?page=${page}`);
  settlementView.id = s.id;
  settlementView.page = s.page;
  $('#settlement-title').textContent = `Отчёт агента ${s.number || ''} за ${period(s)}`;
  $('#settlement-xlsx').href = `${API}/settlements/${s.id}/xlsx`;
  $('#settlement-pdf').href = `${API}/settlements/${s.id}/pdf`;
  const net = Number(s.net_amount || 0);
  $('#settlement-summary').replaceChildren(...[
    ['Состояние', s.state_name],
    ['Пункт выдачи', s.point ? `${s.point.code} — ${s.point.name}` : 'все пункты'],
    ['Посылок', s.parcel_count],
    ['Наличные', money(s.cash)], ['Карта', money(s.card)], ['СБП', money(s.sbp)],
    ['Принято всего', money(s.collected)],
    ['Возвращено покупателям', money(s.refunded)],
    ['Стоимость отказов', money(s.refused_amount)],
    ['Вознаграждение', money(s.commission)],
    ['Штрафы', money(s.fine_amount)],
    [net >= 0 ? 'К перечислению вам' : 'К оплате вами', money(Math.abs(net))],
    ['Отправлен', formatDateTime(s.sent_at)],
    ['Ваш ответ', s.answered_at ? formatDateTime(s.answered_at) : '—'],
    ['Разногласия', s.dispute_comment || '—'],
  ].flatMap(([term, value]) => [el('dt', {}, term), el('dd', {}, String(value))]));
  $('#settlement-answer').hidden = !s.can_answer;
  $('#settlement-dispute').hidden = !s.can_dispute;
  $('#dispute-comment').closest('label').hidden = !s.can_dispute;
  $('#settlement-fines').replaceChildren(...(s.fines.length ? s.fines.map((f) => el('li', {},
    `${f.kind_name || f.kind}${f.order_number ? `, заказ ${f.order_number}` : ''}: ${money(f.amount)}`,
    f.description ? ` — ${f.description}` : '')) : [el('li', {}, 'нет')]));
  $('#settlement-lines tbody').replaceChildren(...s.lines.map((l) => el('tr', {},
    el('td', {}, l.order_number), el('td', {}, formatDate(l.date)), el('td', {}, l.point || '—'),
    el('td', {}, l.status_name || ''),
    ...['cash', 'card', 'sbp', 'refunded', 'commission', 'fine', 'net'].map(
      (name) => el('td', {class: 'num'}, money(l[name]))))));
  $('#lines-info').textContent = `Страница ${s.page} из ${s.pages} (посылок: ${s.lines_total})`;
  $('#lines-prev').disabled = s.page <= 1;
  $('#lines-next').disabled = s.page >= s.pages;
  $('#settlement-detail').hidden = false;
}

$('#settlement-close').addEventListener('click', () => {
  $('#settlement-detail').hidden = true;
});
$('#lines-prev').addEventListener('click', () =>
  openSettlement(settlementView.id, settlementView.page - 1).catch(report));
$('#lines-next').addEventListener('click', () =>
  openSettlement(settlementView.id, settlementView.page + 1).catch(report));

async function answerSettlement(action, body) {
  try {
    await api.post(`settlements/${settlementView.id}/${action}`, body);
    flash(action === 'agree' ? 'Отчёт согласован.' : 'Разногласия отправлены.', 'info');
    $('#dispute-comment').value = '';
    await openSettlement(settlementView.id, 1);
    await loadSettlements();
  } catch (error) {
    report(error);
  }
}

$('#settlement-agree').addEventListener('click', () => {
  if (window.confirm('Согласовать отчёт агента? Изменить ответ будет нельзя.')) {
    answerSettlement('agree');
  }
});
$('#settlement-dispute').addEventListener('click', () =>
  answerSettlement('dispute', {comment: $('#dispute-comment').value}));

/* ---------- tickets ---------- */

let openTicketId = null;

async function loadTickets() {
  const result = await api.get('tickets');
  $('#ticket-rows').replaceChildren(...result.tickets.map((t) => el('tr',
    {class: 'clickable', onclick: () => openTicket(t.id).catch(report)},
    el('td', {}, t.number || '—'),
    el('td', {}, t.title),
    el('td', {}, t.type_name),
    el('td', {}, t.point.code),
    el('td', {}, el('span', {class: `state ticket-${t.state}`}, t.state_name)),
    el('td', {}, formatDateTime(t.opened_at)),
    el('td', {class: 'num'}, t.message_count))));
  if (!result.tickets.length) {
    $('#ticket-rows').append(el('tr', {}, el('td', {colspan: 7, class: 'empty'},
      'Обращений нет')));
  }
}
tabs.tickets = loadTickets;

function fileLinks(files) {
  return files.map((f) => el('li', {}, el('a',
    {href: `${API}/tickets/attachments/${f.id}`, download: f.name}, f.name)));
}

async function openTicket(id) {
  const t = await api.get(`tickets/${id}`);
  openTicketId = t.id;
  $('#ticket-title').textContent = `${t.number || ''} ${t.title}`;
  $('#ticket-summary').replaceChildren(
    el('dt', {}, 'Тип'), el('dd', {}, t.type_name),
    el('dt', {}, 'Состояние'), el('dd', {}, t.state_name),
    el('dt', {}, 'Пункт выдачи'), el('dd', {}, `${t.point.code} — ${t.point.name}`),
    el('dt', {}, 'Посылки'), el('dd', {}, t.parcels.join(', ') || '—'),
    el('dt', {}, 'Открыто'), el('dd', {}, formatDateTime(t.opened_at)),
    el('dt', {}, 'Описание'), el('dd', {class: 'body'}, t.description || '—'));
  $('#ticket-files').replaceChildren(...fileLinks(t.attachments));
  $('#ticket-thread').replaceChildren(...t.messages.map((m) => el('li',
    {class: m.from_supplier ? 'mine' : ''},
    el('div', {class: 'meta'}, `${formatDateTime(m.date)} · `,
      m.from_supplier ? (m.author || 'Вы') : `Пункт выдачи ${t.point.code}`),
    el('div', {class: 'body'}, m.body),
    m.attachments.length ? el('ul', {class: 'places'}, fileLinks(m.attachments)) : null)));
  $('#ticket-detail').hidden = false;
  $('#ticket-detail').scrollIntoView({block: 'nearest'});
}

$('#ticket-close').addEventListener('click', () => {
  $('#ticket-detail').hidden = true;
  openTicketId = null;
});

$('#reply-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  if (!openTicketId) return;
  const form = new FormData();
  form.set('body', $('#reply-body').value);
  for (const file of $('#reply-files').files) form.append('attachments', file);
  try {
    await api.post(`tickets/${openTicketId}/reply`, form);
    $('#reply-form').reset();
    flash('Ответ отправлен.', 'info');
    await openTicket(openTicketId);
    await loadTickets();
  } catch (error) {
    report(error);
  }
});

/* ---------- claims ---------- */

async function loadClaims() {
  const result = await api.get('claims');
  $('#claim-rows').replaceChildren(...result.claims.map((c) => el('tr',
    {class: 'clickable', onclick: () => openClaim(c.id).catch(report)},
    el('td', {}, c.number),
    el('td', {}, formatDate(c.sent_date)),
    el('td', {}, c.order_number || '—'),
    el('td', {}, c.point.code),
    el('td', {class: 'num'}, money(c.amount)),
    el('td', {}, el('span', {class: `state claim-${c.state}`},
      c.outcome_name || c.state_name)),
    el('td', {}, formatDate(c.deadline)))));
  if (!result.claims.length) {
    $('#claim-rows').append(el('tr', {}, el('td', {colspan: 7, class: 'empty'},
      'Претензий нет')));
  }
}
tabs.claims = loadClaims;

async function openClaim(id) {
  const c = await api.get(`claims/${id}`);
  $('#claim-title').textContent = `Претензия ${c.number}`;
  $('#claim-summary').replaceChildren(...[
    el('dt', {}, 'Заказ'), el('dd', {}, c.order_number || '—'),
    c.parcels.length > 1 ? el('dt', {}, 'Посылки') : null,
    c.parcels.length > 1 ? el('dd', {}, c.parcels.map((p) =>
      `${p.order_number}: ${money(p.amount)} ₽`).join('; ')) : null,
    el('dt', {}, 'Пункт выдачи'), el('dd', {}, `${c.point.code} — ${c.point.name}`),
    el('dt', {}, 'Удержание'), el('dd', {},
      `${money(c.amount)} ₽ от ${formatDate(c.charge_date)}: ${c.kind_name}`),
    el('dt', {}, 'Основание'), el('dd', {class: 'body'}, c.ground),
    el('dt', {}, 'Отправлена'), el('dd', {}, formatDate(c.sent_date)),
    el('dt', {}, 'Ответ до'), el('dd', {}, formatDate(c.deadline)),
    el('dt', {}, 'Состояние'), el('dd', {}, c.outcome_name || c.state_name),
    c.won_amount ? el('dt', {}, 'Отменено') : null,
    c.won_amount ? el('dd', {}, `${money(c.won_amount)} ₽`) : null,
    c.answer ? el('dt', {}, 'Ваш ответ') : null,
    c.answer ? el('dd', {class: 'body'}, c.answer) : null,
  ].filter(Boolean));
  $('#claim-text').textContent = c.text;
  $('#claim-detail').hidden = false;
  $('#claim-detail').scrollIntoView({block: 'nearest'});
}

$('#claim-close').addEventListener('click', () => {
  $('#claim-detail').hidden = true;
});

/* ---------- API keys ---------- */

const KEY_STATES = {validated: 'действует', cancelled: 'отозван', requested: 'запрошен'};

async function loadKeys() {
  const result = await api.get('keys');
  $('#api-url').textContent = `${location.origin}${result.api}`;
  $('#key-rows').replaceChildren(...result.keys.map((k) => el('tr', {'data-id': k.id},
    el('td', {class: 'mono'}, k.hint),
    el('td', {}, KEY_STATES[k.state] || k.state),
    el('td', {}, formatDateTime(k.created_at)),
    el('td', {}, k.state === 'validated'
      ? el('button', {class: 'revoke', onclick: () => revokeKey(k).catch(report)}, 'Отозвать')
      : ''))));
  if (!result.keys.length) {
    $('#key-rows').append(el('tr', {}, el('td', {colspan: 4, class: 'empty'}, 'Ключей нет')));
  }
}
tabs.keys = loadKeys;

async function revokeKey(key) {
  if (!window.confirm(`Отозвать ключ ${key.hint}? Системы, которые им пользуются, потеряют доступ.`)) return;
  await api.post(`keys/${key.id}/revoke`);
  $('#key-new').hidden = true;
  await loadKeys();
}

$('#key-create').addEventListener('click', async () => {
  try {
    const key = await api.post('keys');
    $('#key-secret').textContent = key.key;
    $('#key-new').hidden = false;
    await loadKeys();
  } catch (error) {
    report(error);
  }
});

/* ---------- start ---------- */

(async function start() {
  if (resetParams.get('token') && resetParams.get('email')) {
    $('#password-email').textContent = `Учётная запись: ${resetParams.get('email')}`;
    showOnly('#password-form');
    return;
  }
  try {
    startApp(await api.get('me'));
  } catch (error) {
    showLogin();
    if (error.status !== 401) $('#login-error').textContent = error.message;
  }
})();
