/* Payment at issue: cash (with the change from the cash received), card,
 * SBP or mixed, adding up exactly to the amount due (in kopecks); and the
 * receipts the register made (or did not) for a payment.
 *
 * The issue mode owns the amount due and calls updatePayment(due, chosen)
 * whenever it changes.
 */
import {api} from './api.js';
import {fromKop, money, toKop} from './format.js';
import {state} from './state.js';
import {$, $$, el, flash, showError} from './ui.js';

const KINDS = ['cash', 'card', 'sbp'];
let method = 'cash';

export function setPayMethod(name) {
  method = name;
  $$('#issue-payment [data-pay]').forEach((b) =>
    b.classList.toggle('active', b.dataset.pay === name));
  for (const kind of KINDS) {
    const input = $(`#pay-${kind}`);
    input.value = '';
    input.disabled = name !== 'mixed' && name !== kind;
  }
  $('#pay-tendered').value = '';
  $('#pay-tendered').disabled = name !== 'cash' && name !== 'mixed';
}

/* [{method, amount, tendered?}] in kopecks for due kopecks */
export function payments(due) {
  const list = [];
  for (const kind of KINDS) {
    const amount = method === kind ? due
      : method === 'mixed' ? toKop($(`#pay-${kind}`).value) : 0;
    if (amount) list.push({method: kind, amount});
  }
  const tendered = toKop($('#pay-tendered').value);
  const cash = list.find((p) => p.method === 'cash');
  if (cash && tendered) cash.tendered = tendered;
  return list;
}

/* what keeps the payment of due kopecks from being taken, '' when nothing */
export function paymentProblem(due) {
  if (!due) return '';
  if (!state.shift) return 'Смена не открыта: откройте её в режиме «Смена» (F6)';
  const list = payments(due);
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

/* the payment box for due kopecks; chosen: whether parcels are chosen */
export function updatePayment(due, chosen) {
  $('#issue-payment').hidden = !due || !chosen;
  if (method !== 'mixed') {
    for (const kind of KINDS) {
      $(`#pay-${kind}`).value = method === kind ? money(fromKop(due)) : '';
    }
  }
  const cash = payments(due).find((p) => p.method === 'cash');
  const change = cash && cash.tendered > cash.amount ? cash.tendered - cash.amount : 0;
  $('#pay-change').textContent = money(fromKop(change));
  const problem = paymentProblem(due);
  $('#pay-status').textContent = problem || (due ? 'Оплата сходится' : '');
  $('#pay-status').className = problem ? 'error' : 'muted';
}

/* the payments as the API takes them (decimal strings) */
export function paymentBody(list) {
  return list.map((p) => {
    const item = {method: p.method, amount: fromKop(p.amount)};
    if (p.tendered !== undefined) item.tendered = fromKop(p.tendered);
    return item;
  });
}

/* the receipts of a payment, with «Пробить чек повторно» on a failed one */
export function receiptList(receipts) {
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

/* buttons: the method buttons; changed(): the issue recomputes */
export function initPayment(changed) {
  $$('#issue-payment [data-pay]').forEach((b) =>
    b.addEventListener('click', () => { setPayMethod(b.dataset.pay); changed(); }));
  for (const id of ['#pay-cash', '#pay-card', '#pay-sbp', '#pay-tendered']) {
    $(id).addEventListener('input', () => changed());
  }
}
