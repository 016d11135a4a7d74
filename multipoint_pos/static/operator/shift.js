/* Shift mode (F6): open with the counted float, X-report, cash collection,
 * receipts the register has not made, the cash count by denomination and
 * the close (Z-report). Whether the point's shift is open is said up front:
 * a chip in the top bar and, while it is closed, a banner that offers to
 * open it. Says 'shift' (state.js) whenever the shift changes.
 */
import {api, NetworkError} from './api.js';
import {fromKop, money, toKop} from './format.js';
import {defineMode, setMode} from './modes.js';
import {receiptList} from './payment.js';
import {withPoint} from './session.js';
import {reportView} from './shift_report.js';
import {emit, on, state} from './state.js';
import {$, $$, el, flash, showError} from './ui.js';

const DENOMINATIONS = ['5000', '2000', '1000', '500', '200', '100', '50', '10',
  '5', '2', '1', '0.50', '0.10'];

function shiftChanged() {
  renderShiftStatus();
  emit('shift');
}

/* the point's shift asked again (after a payment, on entering the mode) */
export async function refreshShift() {
  try {
    state.shift = (await api.get('shifts/current', withPoint())).shift;
    state.shiftKnown = true;
  } catch (error) {
    if (!(error instanceof NetworkError)) showError(error);
  }
  shiftChanged();
  if (state.mode === 'shift') renderShift();
}

/* a new point or a new login: nothing known of its shift yet */
export function forgetShift() {
  state.shift = null;
  state.shiftKnown = false;
}

function renderShiftStatus() {
  const chip = $('#shift-chip');
  chip.hidden = !state.shiftKnown;
  chip.textContent = state.shift ? 'Смена открыта' : 'Смена закрыта';
  chip.classList.toggle('closed', !state.shift);
  const closed = state.shiftKnown && !state.shift;
  $('#shift-banner').hidden = !closed || state.mode === 'shift';
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
  const shift = state.shift;
  $('#shift-open').hidden = Boolean(shift);
  $('#shift-view').hidden = !shift;
  if (!shift) return;
  $('#shift-name').textContent = shift.name;
  $('#shift-cash').textContent = money(shift.cash_expected);
  loadXReport();
  loadPendingReceipts();
}

async function loadXReport(print = false) {
  if (!state.shift) return;
  try {
    const report = await api.get(`shifts/${state.shift.id}/x_report`,
      print ? {print: 1} : undefined);
    $('#shift-report').replaceChildren(el('h3', {}, 'X-отчёт'), reportView(report));
    $('#shift-cash').textContent = money(report.cash_expected);
    state.shift.cash_expected = report.cash_expected;
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

/* ---------- the cash count by denomination ---------- */

function renderCounts() {
  $('#shift-counts').replaceChildren(
    el('tr', {}, el('th', {}, 'Номинал, ₽'), el('th', {}, 'Количество'), el('th', {}, 'Сумма, ₽')),
    ...DENOMINATIONS.map((denomination) => el('tr', {},
      el('td', {}, money(denomination)),
      el('td', {}, el('input', {type: 'number', min: 0, step: 1, inputmode: 'numeric',
        'data-denomination': denomination, oninput: updateCounted})),
      el('td', {class: 'sum'}, ''))));
}

function quantityOf(input) {
  return Math.max(parseInt(input.value || '0', 10) || 0, 0);
}

function countedKop() {
  let total = 0;
  for (const input of $$('#shift-counts input')) {
    const quantity = quantityOf(input);
    const amount = toKop(input.dataset.denomination) * quantity;
    input.closest('tr').querySelector('.sum').textContent = quantity ? money(fromKop(amount)) : '';
    total += amount;
  }
  return total;
}

function updateCounted() {
  const counted = countedKop();
  const expected = state.shift ? toKop(state.shift.cash_expected) : 0;
  $('#shift-counted').textContent = money(fromKop(counted));
  const difference = counted - expected;
  $('#shift-difference').textContent = (difference < 0 ? '−' : '')
    + money(fromKop(Math.abs(difference)));
  $('#shift-reason').required = difference !== 0;
}

/* ---------- open, collect, close ---------- */

async function openShift(event) {
  event.preventDefault();
  const float = toKop($('#shift-float').value);
  if (Number.isNaN(float)) { flash('Неверная сумма', 'bad', true); return; }
  try {
    state.shift = await api.post('shifts/open', withPoint({float: fromKop(float)}));
    flash(`Смена открыта: ${state.shift.name}`, 'ok', true);
    renderShift();
    shiftChanged();
  } catch (error) {
    showError(error);
  }
}

async function collectCash(event) {
  event.preventDefault();
  const amount = toKop($('#shift-collect-amount').value);
  if (!amount || Number.isNaN(amount)) { flash('Укажите сумму инкассации', 'warn', true); return; }
  try {
    state.shift = await api.post(`shifts/${state.shift.id}/collect`, {amount: fromKop(amount)});
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
    .map((input) => ({denomination: input.dataset.denomination, quantity: quantityOf(input)}))
    .filter((count) => count.quantity);
  const reason = $('#shift-reason').value.trim();
  try {
    const z = await api.post(`shifts/${state.shift.id}/close`, {counts, reason});
    state.shift = null;
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
    shiftChanged();
  } catch (error) {
    showError(error);
    if (error.code === 'receipts_pending') loadPendingReceipts();
  }
}

export function initShift() {
  defineMode('shift', {
    placeholder: () => 'Смена: пересчёт, инкассация, X- и Z-отчёты',
    enter: showShift,
  });
  on('mode', renderShiftStatus);
  renderCounts();
  $('#shift-open').addEventListener('submit', openShift);
  $('#shift-collect').addEventListener('submit', collectCash);
  $('#shift-close').addEventListener('submit', closeShift);
  $('#shift-refresh').addEventListener('click', () => loadXReport());
  $('#shift-print-x').addEventListener('click', () => loadXReport(true));
  $('#shift-banner-open').addEventListener('click', goOpenShift);
  $('#shift-chip').addEventListener('click', () => setMode('shift'));
}
