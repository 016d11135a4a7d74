/* «Создать обращение»: one dialog (a ticket of multipoint_tickets, through
 * its part of the operator API), opened from an acceptance with
 * discrepancies, a damaged place (next to its scan in acceptance or
 * placement, or asking for its barcode) or an inventory difference; the
 * server fills the ticket in from that source, the operator adds a priority,
 * a comment and photos. Without multipoint_tickets (features) the body gets
 * the class no-tickets and the CSS hides the buttons.
 */
import {api} from './api.js';
import {readPhotos} from './photos.js';
import {withPoint} from './session.js';
import {$, beep, el, flash, focusScan} from './ui.js';

const PRIORITIES = [['normal', 'Обычная'], ['high', 'Высокая'],
  ['urgent', 'Срочная'], ['low', 'Низкая']];

// tickets made on this screen, by source key: the button of a source that
// has one shows its number instead (no second ticket by a double tap)
const ticketsMade = new Map();
let ticketSource = null;

function ticketDialog() {
  return el('dialog', {id: 'ticket-dialog', class: 'ticket-dialog card',
    'aria-labelledby': 'ticket-heading'},
  el('form', {id: 'ticket-form', onsubmit: submitTicket},
    el('h2', {id: 'ticket-heading'}, 'Создать обращение'),
    el('p', {id: 'ticket-source', class: 'hint'}),
    el('label', {id: 'ticket-barcode-field'}, 'Штрихкод повреждённого места',
      el('input', {id: 'ticket-barcode', autocomplete: 'off', spellcheck: 'false',
        placeholder: 'Сканируйте место', onkeydown: (event) => {
          // a scanner ends with Enter: go on to the comment, do not send yet
          if (event.key === 'Enter') {
            event.preventDefault();
            $('#ticket-comment').focus();
          }
        }})),
    el('label', {}, 'Срочность',
      el('select', {id: 'ticket-priority'},
        PRIORITIES.map(([value, name]) => el('option', {value}, name)))),
    el('label', {}, 'Комментарий',
      el('textarea', {id: 'ticket-comment', rows: 3,
        placeholder: 'Что случилось, что сказал курьер'})),
    el('label', {}, 'Фото (необязательно, до 10)',
      el('input', {id: 'ticket-photos', type: 'file', accept: 'image/*',
        capture: 'environment', multiple: true, onchange: listPhotos})),
    el('p', {id: 'ticket-photo-list', class: 'muted'}),
    el('p', {id: 'ticket-error', class: 'error', role: 'alert'}),
    el('div', {class: 'row'},
      el('button', {id: 'ticket-submit', type: 'submit', class: 'primary'}, 'Отправить обращение'),
      el('button', {type: 'button', onclick: () => $('#ticket-dialog').close()}, 'Отмена'))));
}

/* source: {kind, key, label: what the dialog says it is about, body: the
 * source's fields of POST /tickets, barcode: true for a damaged place (the
 * barcode is asked, maybe prefilled; it is then the key), done(text):
 * called with the ticket's line once it exists} */
function openTicketForm(source) {
  ticketSource = source;
  const dialog = $('#ticket-dialog');
  $('#ticket-form').reset();
  $('#ticket-source').textContent = source.label;
  $('#ticket-barcode-field').hidden = !source.barcode;
  $('#ticket-barcode').value = source.body.barcode || '';
  $('#ticket-photo-list').textContent = '';
  $('#ticket-error').textContent = '';
  $('#ticket-submit').disabled = false;
  dialog.showModal();
  (source.barcode && !source.body.barcode ? $('#ticket-barcode') : $('#ticket-comment')).focus();
}

function listPhotos() {
  const files = Array.from($('#ticket-photos').files);
  $('#ticket-photo-list').textContent = files.length
    ? `Фото: ${files.map((file) => file.name).join(', ')}` : '';
}

async function submitTicket(event) {
  event.preventDefault();
  const source = ticketSource;
  const body = withPoint({source: source.kind, ...source.body,
    priority: $('#ticket-priority').value});
  if (source.barcode) {
    body.barcode = $('#ticket-barcode').value.trim();
    if (!body.barcode) {
      $('#ticket-error').textContent = 'Сканируйте или введите штрихкод места';
      $('#ticket-barcode').focus();
      return;
    }
  }
  const comment = $('#ticket-comment').value.trim();
  if (comment) body.description = comment;
  const button = $('#ticket-submit');
  button.disabled = true;
  $('#ticket-error').textContent = '';
  try {
    body.photos = await readPhotos($('#ticket-photos').files);
    const ticket = await api.post('tickets', body);
    const text = `Обращение ${ticket.number} создано`
      + (ticket.photos ? ` · фото: ${ticket.photos}` : '');
    ticketsMade.set(source.barcode ? `place:${body.barcode}` : source.key, text);
    $('#ticket-dialog').close();
    flash(text, 'ok', true);
    source.done(text);
  } catch (error) {
    // the dialog keeps what was typed: the operator sends it again
    $('#ticket-error').textContent = error.message;
    beep('bad');
    button.disabled = false;
  }
}

/* A button opening the dialog for a source; once the ticket exists, its
 * line in place of the button */
function ticketButton(title, source) {
  const made = ticketsMade.get(source.key);
  if (made) return el('span', {class: 'ticket-made'}, made);
  const button = el('button', {type: 'button', class: 'ticket-button', onclick: () =>
    openTicketForm({...source, done: (text) =>
      button.replaceWith(el('span', {class: 'ticket-made'}, text))})}, title);
  return button;
}

/* ---------- the sources ---------- */

function receptionHasDiscrepancy(data) {
  // the server decides (422 when there is none); this only shows the button
  return data.state !== 'cancelled' && (data.surplus > 0 || data.damaged > 0
    || (data.state === 'closed' && data.scanned < data.expected)
    || (data.last_scans || []).some((scan) => scan.result === 'other_supplier'));
}

/* the button of a reception with discrepancies (#reception-ticket) */
export function renderReceptionTicket(data) {
  const box = $('#reception-ticket');
  box.hidden = !data || !receptionHasDiscrepancy(data);
  if (box.hidden) return;
  const number = data.number || data.id;
  box.replaceChildren(ticketButton('Создать обращение по расхождениям', {
    key: `reception:${data.id}`, kind: 'reception', body: {reception: data.id},
    label: `Расхождения приёмки ${number}: недостающие, лишние и повреждённые места`
      + ' с фото сканов попадут в обращение.'}));
}

/* a button next to a scanned place (acceptance, placement) */
export function damagedPlaceButton(barcode) {
  return ticketButton('Повреждено — обращение', {
    key: `place:${barcode}`, kind: 'damaged_place', body: {barcode}, barcode: true,
    label: `Повреждённое место ${barcode}: посылка и фото скана попадут в обращение.`});
}

/* a button in the row of an inventory difference */
export function inventoryTicketButton(line) {
  const what = line.parcel ? `№ ${line.parcel.order_number}` : line.barcode || '';
  return ticketButton('Создать обращение', {
    key: `inventory:${line.id}`, kind: 'inventory', body: {inventory_line: line.id},
    label: `Расхождение инвентаризации (${line.kind_name || line.kind}): ${what}`});
}

export function initTickets() {
  document.body.append(ticketDialog());
  $('#ticket-dialog').addEventListener('close', focusScan);
  $('#placement-damaged').addEventListener('click', () => openTicketForm({
    kind: 'damaged_place', body: {}, barcode: true,
    label: 'Посылка повреждённого места и фото его скана попадут в обращение.',
    done: () => {}}));
}
