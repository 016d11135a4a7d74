/* Shift mode of the operator screen: open with the counted float, X-report,
 * cash collection, receipts the register has not made, the cash count by
 * denomination and the close (Z-report). Uses the helpers of operator.js.
 */
'use strict';

const DENOMINATIONS = ['5000', '2000', '1000', '500', '200', '100', '50', '10',
  '5', '2', '1', '0.50', '0.10'];
const METHOD_NAMES = {cash: 'Наличные', card: 'Карта', sbp: 'СБП'};

// null until shifts/current has answered for the point
let shiftKnown = false;

async function refreshShift() {
  try {
    currentShift = (await api.get('shifts/current', withPoint())).shift;
    shiftKnown = true;
  } catch (error) {
    if (!(error instanceof NetworkError)) showError(error);
  }
  if (typeof updateIssue === 'function') updateIssue();
  renderShiftStatus();
  if (mode === 'shift') renderShift();
}

/* Whether the point's shift is open, said up front: a chip in the top bar
 * and, while it is closed, a banner that offers to open it. */
function renderShiftStatus() {
  const chip = $('#shift-chip');
  chip.hidden = !shiftKnown;
  chip.textContent = currentShift ? 'Смена открыта' : 'Смена закрыта';
  chip.classList.toggle('closed', !currentShift);
  const closed = shiftKnown && !currentShift;
  $('#shift-banner').hidden = !closed || mode === 'shift';
  $('#shift-banner-text').textContent = closed
    ? 'Смена на этом пункте не открыта: без неё нельзя принять оплату.' : '';
  $('#shift-banner-open').hidden = !closed;
}

function goOpenShift() {
  setMode('shift');
  renderShift();  // the form shows now, not after shifts/current answers
  const field = $('#shift-float');
  field.focus();
  field.select();
}

async function showShift() {
  $('#shift-z').replaceChildren();
  await refreshShift();
}

function renderShift() {
  $('#shift-open').hidden = Boolean(currentShift);
  $('#shift-view').hidden = !currentShift;
  if (!currentShift) return;
  $('#shift-name').textContent = currentShift.name;
  $('#shift-cash').textContent = money(currentShift.cash_expected);
  loadXReport();
  loadPendingReceipts();
}

function methodTable(title, values) {
  return el('table', {},
    el('tr', {}, el('th', {colspan: 2}, title)),
    Object.keys(METHOD_NAMES).map((kind) => el('tr', {},
      el('td', {}, METHOD_NAMES[kind]), el('td', {class: 'num'}, `${money(values[kind])} ₽`))));
}

function reportView(report) {
  const suppliers = report.suppliers || [];
  return el('div', {},
    el('div', {class: 'report-grid'},
      methodTable('Принято', report.taken || {}),
      methodTable('Возвращено покупателям', report.refunded || {}),
      el('table', {},
        el('tr', {}, el('th', {colspan: 2}, 'Касса')),
        el('tr', {}, el('td', {}, 'На начало'),
          el('td', {class: 'num'}, `${money(fromKop(toKop(report.start_amount) + toKop(report.float)))} ₽`)),
        el('tr', {}, el('td', {}, 'Инкассировано'), el('td', {class: 'num'}, `${money(report.collected)} ₽`)),
        el('tr', {}, el('td', {}, 'Ожидается'), el('td', {class: 'num'}, `${money(report.cash_expected)} ₽`)),
        el('tr', {}, el('td', {}, 'Оплат / возвратов'), el('td', {}, `${report.sales} / ${report.refunds}`)))),
    suppliers.length ? el('table', {},
      el('tr', {}, el('th', {}, 'Поставщик'), el('th', {}, 'Посылок'),
        el('th', {}, 'Наличные'), el('th', {}, 'Карта'), el('th', {}, 'СБП'),
        el('th', {}, 'Итого')),
      suppliers.map((row) => el('tr', {},
        el('td', {}, row.supplier ? row.supplier.name : '—'),
        el('td', {}, row.parcels),
        el('td', {class: 'num'}, money(row.net.cash)), el('td', {class: 'num'}, money(row.net.card)),
        el('td', {class: 'num'}, money(row.net.sbp)), el('td', {class: 'num'}, money(row.total))))) : '');
}

async function loadXReport(print = false) {
  if (!currentShift) return;
  try {
    const report = await api.get(`shifts/${currentShift.id}/x_report`,
      print ? {print: 1} : undefined);
    $('#shift-report').replaceChildren(el('h3', {}, 'X-отчёт'), reportView(report));
    $('#shift-cash').textContent = money(report.cash_expected);
    currentShift.cash_expected = report.cash_expected;
    updateCounted();
    if (print) {
      if (report.print_error) flash(`X-отчёт не напечатан. ${report.print_error}`, 'warn', true);
      else if (report.printed) flash('X-отчёт отправлен на печать', 'ok');
      else flash('X-отчёт не напечатан', 'warn', true);
    }
  } catch (error) {
    showError(error);
  }
}

async function loadPendingReceipts() {
  try {
    const data = await api.get('receipts/pending', withPoint());
    const receipts = data.receipts || [];
    $('#shift-receipts').replaceChildren(receipts.length
      ? el('div', {class: 'card'},
        el('b', {class: 'error'}, `Чеки, которые касса ещё не пробила: ${receipts.length}`),
        receiptList(receipts))
      : '');
  } catch (error) {
    showError(error);
  }
}

function renderCounts() {
  $('#shift-counts').replaceChildren(
    el('tr', {}, el('th', {}, 'Номинал, ₽'), el('th', {}, 'Количество'), el('th', {}, 'Сумма, ₽')),
    ...DENOMINATIONS.map((denomination) => el('tr', {},
      el('td', {}, money(denomination)),
      el('td', {}, el('input', {type: 'number', min: 0, step: 1, inputmode: 'numeric',
        'data-denomination': denomination, oninput: updateCounted})),
      el('td', {class: 'sum'}, ''))));
}

function countedKop() {
  let total = 0;
  for (const input of $$('#shift-counts input')) {
    const quantity = Math.max(parseInt(input.value || '0', 10) || 0, 0);
    const amount = toKop(input.dataset.denomination) * quantity;
    input.closest('tr').querySelector('.sum').textContent = quantity ? money(fromKop(amount)) : '';
    total += amount;
  }
  return total;
}

function updateCounted() {
  const counted = countedKop();
  const expected = currentShift ? toKop(currentShift.cash_expected) : 0;
  $('#shift-counted').textContent = money(fromKop(counted));
  const difference = counted - expected;
  $('#shift-difference').textContent = (difference < 0 ? '−' : '')
    + money(fromKop(Math.abs(difference)));
  $('#shift-reason').required = difference !== 0;
}

async function openShift(event) {
  event.preventDefault();
  const float = toKop($('#shift-float').value);
  if (Number.isNaN(float)) { flash('Неверная сумма', 'bad', true); return; }
  try {
    currentShift = await api.post('shifts/open', withPoint({float: fromKop(float)}));
    flash(`Смена открыта: ${currentShift.name}`, 'ok', true);
    renderShift();
    renderShiftStatus();
    updateIssue();
  } catch (error) {
    showError(error);
  }
}

async function collectCash(event) {
  event.preventDefault();
  const amount = toKop($('#shift-collect-amount').value);
  if (!amount || Number.isNaN(amount)) { flash('Укажите сумму инкассации', 'warn', true); return; }
  try {
    currentShift = await api.post(`shifts/${currentShift.id}/collect`, {amount: fromKop(amount)});
    $('#shift-collect-amount').value = '';
    flash(`Инкассация ${money(fromKop(amount))} ₽ проведена`, 'ok', true);
    renderShift();
  } catch (error) {
    showError(error);
  }
}

async function closeShift(event) {
  event.preventDefault();
  const counts = $$('#shift-counts input')
    .map((input) => ({denomination: input.dataset.denomination,
      quantity: Math.max(parseInt(input.value || '0', 10) || 0, 0)}))
    .filter((count) => count.quantity);
  const reason = $('#shift-reason').value.trim();
  try {
    const z = await api.post(`shifts/${currentShift.id}/close`, {counts, reason});
    currentShift = null;
    renderShiftStatus();
    renderCounts();
    $('#shift-reason').value = '';
    renderShift();
    $('#shift-z').replaceChildren(el('div', {class: 'card'},
      el('h3', {}, `Z-отчёт: ${z.shift.name}`),
      el('p', {}, `Пересчитано ${money(z.counted)} ₽, расхождение ${money(z.difference)} ₽`
        + (z.reason ? ` (${z.reason})` : '')),
      z.print_error ? el('p', {class: 'error'}, `Печать: ${z.print_error}`) : '',
      reportView(z)));
    flash('Смена закрыта', 'ok', true);
    updateIssue();
  } catch (error) {
    showError(error);
    if (error.code === 'receipts_pending') loadPendingReceipts();
  }
}

function initShift() {
  renderCounts();
  $('#shift-open').addEventListener('submit', openShift);
  $('#shift-collect').addEventListener('submit', collectCash);
  $('#shift-close').addEventListener('submit', closeShift);
  $('#shift-refresh').addEventListener('click', () => loadXReport());
  $('#shift-print-x').addEventListener('click', () => loadXReport(true));
  $('#shift-banner-open').addEventListener('click', goOpenShift);
  $('#shift-chip').addEventListener('click', () => setMode('shift'));
}
