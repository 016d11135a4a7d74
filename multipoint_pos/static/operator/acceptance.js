/* Acceptance mode (F2): open a reception (manifest and courier optional),
 * scan its places (through the offline queue), mark the next one damaged,
 * close it (the act in PDF) or cancel it while nothing is accepted.
 */
import {api, openPdf} from './api.js';
import {defineMode} from './modes.js';
import {SCAN_KIND, handleScans, hasQueued, replaceQueued, sendScan} from './queue.js';
import {updateSession, withPoint} from './session.js';
import {damagedPlaceButton, renderReceptionTicket} from './tickets.js';
import {$, el, flash, showError} from './ui.js';

// the open reception
const reception = {current: null};

/* the open reception's id, or null */
export function openReceptionId() {
  return reception.current ? reception.current.id : null;
}

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

/* show a reception (null: none); an open one is remembered in the session */
export function renderReception(data) {
  reception.current = data && data.state === 'open' ? data : null;
  updateSession({reception: openReceptionId()});
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
  if (hasQueued('reception')) {
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

/* A reception with nothing accepted is cancelled (the server refuses when
 * something is: then close it instead); true when it was */
export async function cancelReception(id) {
  const own = openReceptionId() === id;
  if (own && hasQueued('reception')) {
    flash('В очереди есть неотправленные сканы: дождитесь связи', 'bad', true);
    return false;
  }
  try {
    const data = await api.post(`receptions/${id}/cancel`);
    if (own) {
      renderReception(null);
      $('#reception-scans').replaceChildren();
    }
    flash(`Приёмка ${(data && data.number) || id} отменена`, 'ok', true);
    return true;
  } catch (error) {
    if (error.status === 404 || error.status === 405) {
      flash('Отмена приёмки на сервере пока недоступна', 'bad', true);
    } else {
      showError(error);
    }
    return false;
  }
}

export function initAcceptance() {
  defineMode('reception', {
    scan: receptionScan,
    placeholder: () => 'Сканируйте места поставки',
  });
  handleScans('reception', {list: '#reception-scans', done: receptionScanned});
  $('#reception-open').addEventListener('submit', openReception);
  $('#reception-close').addEventListener('click', closeReception);
  $('#reception-cancel').addEventListener('click', () => {
    if (reception.current) cancelReception(reception.current.id);
  });
}
