/* Issue mode (F1): the recipient's parcels at this point across suppliers,
 * found by a place barcode, the order number, the phone's last 4 digits, the
 * issue code or the surname; the code (or document) per parcel, items
 * refused where the supplier allows a partial buyout, the amount due as the
 * server recomputes it, the payment (payment.js), then «Выдать».
 */
import {api} from './api.js';
import {cellCode, money, toKop} from './format.js';
import {defineMode} from './modes.js';
import {parcelCard, triesText} from './parcel_card.js';
import {paymentBody, paymentProblem, payments, receiptList, setPayMethod,
  updatePayment} from './payment.js';
import {withPoint} from './session.js';
import {refreshShift} from './shift.js';
import {on} from './state.js';
import {$, $$, beep, el, flash, showError} from './ui.js';

// the parcels listed, those the search matched, and per parcel what the
// operator chose: {selected, code, idCheck, refused: {line: quantity},
// triesLeft}; quote: the server's amount per parcel
const issue = {parcels: [], matched: new Set(), chosen: {}, quote: null};
let quoteTimer = null;

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

/* list parcels (matched: the ids the search found, chosen at once) */
export function renderIssue(parcels, matched, code = null) {
  issue.parcels = parcels;
  issue.matched = new Set(matched);
  issue.chosen = {};
  issue.quote = null;
  for (const parcel of parcels) {
    const found = issue.matched.has(parcel.id);
    issue.chosen[parcel.id] = {selected: found,
      code: found && code && !parcel.code_locked ? code : '', idCheck: '', refused: {},
      marking: {},
      triesLeft: null};
  }
  const grid = el('div', {class: 'parcels'}, parcels.map((parcel) => parcelCard(parcel,
    issue.chosen[parcel.id], issue.matched.has(parcel.id),
    {changed: updateIssue, submitOnEnter})));
  $('#issue-parcels').replaceChildren(parcels.length ? grid : '');
  $('#issue-signature').checked = false;
  $('#issue-actions').hidden = !parcels.length;
  setPayMethod('cash');
  updateIssue(parcels.length > 0);
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

export function chosenParcels() {
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
  return !paymentProblem(dueKop());
}

/* ---------- the amount due ---------- */

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

function dueKop() {
  return Math.round(localTotal() * 100);
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

/* the cards, the total, the payment and the buttons after a change;
 * requote: ask the server for the amount again */
export function updateIssue(requote = false) {
  $$('.parcel').forEach((card) => {
    const choice = issue.chosen[card.dataset.id];
    card.classList.toggle('chosen', Boolean(choice && choice.selected));
  });
  $('#issue-refuse').disabled = !chosenParcels().length;
  $('#issue-total').textContent = money(localTotal());
  updatePayment(dueKop(), chosenParcels().length > 0);
  $('#issue-submit').disabled = !issueReady();
  if (requote) {
    clearTimeout(quoteTimer);
    quoteTimer = setTimeout(requestQuote, 250);
  }
}

/* ---------- issuing ---------- */

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
    // the codes scanned from marked items, by item id
    const marking = Object.assign({}, ...chosenParcels().map(
      (parcel) => issue.chosen[parcel.id].marking));
    if (Object.keys(marking).length) body.marking_codes = marking;
    const list = payments(dueKop());
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
export function keepRemaining(data) {
  const done = new Set([...(data.issued || []), ...(data.refused || [])].map((p) => p.id));
  renderIssue(issue.parcels.filter((p) => !done.has(p.id)), []);
}

/* what was issued or refused, the change and the receipts */
export function showIssueResult(data, title) {
  const rows = [...(data.issued || []), ...(data.refused || [])].map((p) => el('li', {},
    `${p.supplier.name} № ${p.order_number} — ${p.state_name}`));
  const change = toKop(data.change);
  $('#issue-result').replaceChildren(el('div', {class: 'card'},
    el('b', {}, title),
    change ? el('p', {class: 'big-text'}, `Сдача: ${money(data.change)} ₽`) : '',
    el('ul', {}, rows),
    receiptList(data.receipts || []),
    data.print_error ? el('p', {class: 'error'}, `Печать: ${data.print_error}`) : ''));
}

/* the search's answer and its result cleared (a new login) */
export function clearIssue() {
  renderIssue([], []);
  $('#issue-result').replaceChildren();
}

export function initIssue() {
  defineMode('issue', {
    scan: issueSearch,
    placeholder: () => 'Штрихкод, номер заказа, телефон (4 цифры), код или фамилия',
  });
  // whether a payment can be taken depends on the shift
  on('shift', () => updateIssue());
  $('#issue-signature').addEventListener('change', () => updateIssue());
  $('#issue-submit').addEventListener('click', submitIssue);
  for (const id of ['#pay-cash', '#pay-card', '#pay-sbp', '#pay-tendered']) {
    $(id).addEventListener('keydown', submitOnEnter);
  }
}
