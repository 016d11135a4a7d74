/* Refusal at issue: a dialog with the reason (from a list or in the
 * operator's words), the delivery fee when the supplier's terms charge one
 * (taken by any method the point accepts), and what follows for the items
 * and the money.
 */
import {api} from './api.js';
import {fromKop, money, toKop} from './format.js';
import {chosenParcels, keepRemaining, showIssueResult} from './issue.js';
import {session, withPoint} from './session.js';
import {refreshShift} from './shift.js';
import {state} from './state.js';
import {$, $$, el, flash} from './ui.js';

const refusal = {parcels: [], fee: 0, method: 'cash'};
const PAY_NAMES = {cash: 'Наличные', card: 'Карта', sbp: 'СБП'};

function acceptedMethods() {
  const point = session() && session().point;
  const methods = point && point.payment_methods;
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
  if (refusal.fee && !state.shift) return 'Смена не открыта: откройте её, чтобы принять оплату доставки';
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

export function initRefusal() {
  $('#issue-refuse').addEventListener('click', refuseParcels);
  $('#refuse-form').addEventListener('submit', submitRefusal);
  $('#refuse-reason').addEventListener('change', () => {
    updateRefusal();
    if ($('#refuse-reason').value === 'other') $('#refuse-other').focus();
  });
  $('#refuse-other').addEventListener('input', updateRefusal);
  $('#refuse-cancel').addEventListener('click', () => $('#refuse-dialog').close());
}
