/* Inventory mode (F5): start one (some cells or the whole point), scan a
 * cell then the places in it (through the offline queue), complete it; the
 * differences are listed with a ticket button each. */
import {api} from './api.js';
import {cellCode} from './format.js';
import {defineMode} from './modes.js';
import {SCAN_KIND, handleScans, hasQueued, replaceQueued, sendScan} from './queue.js';
import {updateSession, withPoint} from './session.js';
import {inventoryTicketButton} from './tickets.js';
import {$, el, flash, showError} from './ui.js';

// the inventory in progress
const inventory = {current: null};

/* the id of the inventory in progress, or null */
export function openInventoryId() {
  return inventory.current ? inventory.current.id : null;
}

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

/* show an inventory (null: none); one in progress is remembered in the
 * session */
export function renderInventory(data) {
  inventory.current = data && data.state === 'in_progress' ? data : null;
  updateSession({inventory: openInventoryId()});
  $('#inventory-open').hidden = Boolean(inventory.current);
  $('#inventory-view').hidden = !data;
  if (!data) return;
  $('#inventory-number').textContent = `Инвентаризация ${data.number || data.id} · ${data.state_name}`;
  $('#inventory-cell').textContent = data.current_cell ? cellCode(data.current_cell) : '—';
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
    text = `Ячейка ${cell ? cellCode(cell) : item.body.barcode}`;
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
  if (hasQueued('inventory')) {
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

export function initInventory() {
  defineMode('inventory', {
    scan: inventoryScan,
    placeholder: () => 'Сканируйте ячейку, затем места в ней',
  });
  handleScans('inventory', {list: '#inventory-scans', done: inventoryScanned});
  $('#inventory-open').addEventListener('submit', openInventory);
  $('#inventory-complete').addEventListener('click', completeInventory);
}
