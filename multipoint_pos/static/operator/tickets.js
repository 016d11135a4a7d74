/* Tickets and today's tasks on the operator screen (the organizer and
 * helpdesk of multipoint_tickets, through its part of the operator API).
 *
 * "Сегодня": a drawer opened from the scan bar's button (or F7) over
 * whatever mode the operator is in; the button counts the open tasks and
 * turns red when one is overdue, so a busy desk sees it without leaving
 * the issue and without a mode of its own.
 * "Создать обращение": one dialog, opened from an acceptance with
 * discrepancies, a damaged place or an inventory difference; the server
 * fills the ticket in from that source, the operator adds a comment and
 * photos. Uses the helpers of operator.js.
 */
'use strict';

const TODAY_REFRESH_MS = 5 * 60 * 1000;
const MAX_PHOTOS = 10;
const MAX_PHOTO_BYTES = 10 * 1024 * 1024;  // the server's limit per file
// a camera picture above this is scaled down before it is sent: a box's
// dent stays readable and the upload stays short on a shop's connection
const SHRINK_ABOVE_BYTES = 1536 * 1024;
const SHRINK_TO_PX = 1920;
const PRIORITIES = [['normal', 'Обычная'], ['high', 'Высокая'],
  ['urgent', 'Срочная'], ['low', 'Низкая']];

/* ---------- today's tasks ---------- */

// available: null until the server has answered once
const today = {date: null, tasks: [], available: null};

async function loadToday() {
  if (!session || !session.point) return;
  try {
    const data = await api.get('tasks/today', withPoint());
    today.date = data.date;
    today.tasks = data.tasks || [];
    today.available = true;
  } catch (error) {
    if (error instanceof NetworkError) return;  // keep the last list
    // a server without the organizer answers 500: no button then
    if (error.status >= 500) today.available = false;
    else if (error.status !== 401) showError(error);
  }
  renderToday();
}

function renderToday() {
  const open = today.tasks.filter((task) => task.state === 'open');
  const overdue = open.filter((task) => task.overdue).length;
  const button = $('#today-toggle');
  button.hidden = !today.available;
  button.textContent = `Сегодня: ${open.length}`;
  button.classList.toggle('overdue', overdue > 0);
  button.title = overdue ? `Просрочено задач: ${overdue} (F7)` : 'Задачи на сегодня (F7)';
  if (!today.available) $('#today').hidden = true;
  // the same module answers tickets: without it, no ticket buttons either
  document.body.classList.toggle('no-tickets', today.available === false);
  $('#today-list').replaceChildren(...(today.tasks.length ? today.tasks.map(taskItem)
    : [el('li', {class: 'muted'}, 'На сегодня задач нет')]));
}

function taskTime(task) {
  // "YYYY-MM-DDTHH:MM" at the point; the date only when it is not today
  const [date, time] = String(task.due_local).split('T');
  return date === today.date ? time : `${formatDate(date).slice(0, 5)} ${time}`;
}

function taskItem(task) {
  const done = task.state === 'done';
  const details = [
    task.assignee ? `исполнитель: ${task.assignee.name}` : '',
    task.overdue ? 'просрочена' : '',
    done ? `выполнил(а): ${task.done_by || '—'}` : '',
  ].filter(Boolean).join(' · ');
  return el('li', {class: `task ${done ? 'ok' : task.overdue ? 'bad' : 'warn'}`,
    'data-task': task.id},
  el('div', {class: 'task-head'},
    el('span', {class: 'task-time'}, taskTime(task)),
    el('b', {class: 'task-title'}, task.title),
    done
      ? el('button', {type: 'button', onclick: (event) => markTask(task, false, event.target)},
        'Вернуть')
      : el('button', {type: 'button', class: 'primary',
        onclick: (event) => markTask(task, true, event.target)}, 'Выполнено')),
  task.notes ? el('div', {class: 'task-notes'}, task.notes) : '',
  details ? el('div', {class: 'muted'}, details) : '');
}

async function markTask(task, done, button) {
  button.disabled = true;
  try {
    const data = done ? await api.post(`tasks/${task.id}/done`)
      : await api.post(`tasks/${task.id}/undo`);
    today.tasks = today.tasks.map((t) => (t.id === task.id ? data.task : t));
    renderToday();
    if (done) {
      const next = data.next ? ` Следующий раз: ${formatDate(data.next.due_local)}`
        + ` ${data.next.due_local.slice(11, 16)}` : '';
      flash(`Выполнено: ${task.title}.${next}`, 'ok', true);
    } else {
      flash(`Снова к выполнению: ${task.title}`, 'warn');
    }
  } catch (error) {
    showError(error);
    button.disabled = false;
  }
}

function toggleToday(show = $('#today').hidden) {
  if (!today.available) return;
  const drawer = $('#today');
  drawer.style.top = `${Math.max(0, $('#scan-form').getBoundingClientRect().bottom) + 6}px`;
  drawer.hidden = !show;
  if (show) loadToday();
}

/* ---------- the ticket dialog ---------- */

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

async function readPhotos(fileList) {
  const files = Array.from(fileList || []);
  if (files.length > MAX_PHOTOS) throw new Error(`Не больше ${MAX_PHOTOS} фото в одном обращении`);
  return Promise.all(files.map(async (file) => {
    const blob = file.size > SHRINK_ABOVE_BYTES ? await shrinkPhoto(file) : file;
    if (blob.size > MAX_PHOTO_BYTES) throw new Error(`Фото «${file.name}» больше 10 МБ`);
    const name = blob === file ? file.name : file.name.replace(/\.[^.]*$/, '') + '.jpg';
    return {name, data: await base64Of(blob)};
  }));
}

async function shrinkPhoto(file) {
  // a picture the browser cannot decode (HEIC on some systems) goes as it is
  try {
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(1, SHRINK_TO_PX / Math.max(bitmap.width, bitmap.height));
    const canvas = el('canvas', {width: Math.round(bitmap.width * scale),
      height: Math.round(bitmap.height * scale)});
    canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.85));
    return blob && blob.size < file.size ? blob : file;
  } catch (e) {
    return file;
  }
}

function base64Of(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(',')[1] || '');
    reader.onerror = () => reject(new Error('Не удалось прочитать фото'));
    reader.readAsDataURL(blob);
  });
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

/* called by renderReception (operator.js) */
function renderReceptionTicket(data) {
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
function damagedPlaceButton(barcode) {
  return ticketButton('Повреждено — обращение', {
    key: `place:${barcode}`, kind: 'damaged_place', body: {barcode}, barcode: true,
    label: `Повреждённое место ${barcode}: посылка и фото скана попадут в обращение.`});
}

/* a button in the row of an inventory difference */
function inventoryTicketButton(line) {
  const what = line.parcel ? `№ ${line.parcel.order_number}` : line.barcode || '';
  return ticketButton('Создать обращение', {
    key: `inventory:${line.id}`, kind: 'inventory', body: {inventory_line: line.id},
    label: `Расхождение инвентаризации (${line.kind_name || line.kind}): ${what}`});
}

function initTickets() {
  document.body.append(ticketDialog());
  $('#ticket-dialog').addEventListener('close', focusScan);
  $('#today-toggle').addEventListener('click', () => toggleToday());
  $('#today-close').addEventListener('click', () => toggleToday(false));
  $('#placement-damaged').addEventListener('click', () => openTicketForm({
    kind: 'damaged_place', body: {}, barcode: true,
    label: 'Посылка повреждённого места и фото его скана попадут в обращение.',
    done: () => {}}));
  document.addEventListener('keydown', (event) => {
    if (event.key === 'F7' && !$('#app').hidden) {
      event.preventDefault();
      toggleToday();
    }
  });
  setInterval(loadToday, TODAY_REFRESH_MS);
}
