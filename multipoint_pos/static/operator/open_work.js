/* Work left open: after a new login, the receptions and inventories the
 * operator left open at the point are offered to resume (an empty reception
 * also to cancel). */
import {cancelReception, openReceptionId, renderReception} from './acceptance.js';
import {api} from './api.js';
import {openInventoryId, renderInventory} from './inventory.js';
import {setMode} from './modes.js';
import {withPoint} from './session.js';
import {$, el, flash, showError} from './ui.js';

export async function loadOpenWork() {
  let data;
  try {
    data = await api.get('open_work', withPoint());
  } catch (error) {
    return;  // an older server or no connection: nothing offered
  }
  const items = [];
  for (const r of data.receptions || []) {
    if (openReceptionId() === r.id) continue;
    items.push(el('li', {'data-reception': r.id},
      el('span', {}, `Приёмка ${r.number || r.id}: принято ${r.scanned} из ${r.expected}`),
      el('button', {type: 'button', class: 'primary', onclick: () => resumeReception(r.id)},
        'Продолжить'),
      el('button', {type: 'button', class: 'danger', onclick: async () => {
        if (await cancelReception(r.id)) dropResumeItem(`[data-reception="${r.id}"]`);
      }}, 'Отменить')));
  }
  for (const i of data.inventories || []) {
    if (openInventoryId() === i.id) continue;
    const c = i.counts || {};
    items.push(el('li', {'data-inventory': i.id},
      el('span', {}, `Инвентаризация ${i.number || i.id}: отсканировано ${c.scanned ?? 0}`
        + ` из ${c.expected ?? 0}`),
      el('button', {type: 'button', class: 'primary', onclick: () => resumeInventory(i.id)},
        'Продолжить')));
  }
  $('#resume-list').replaceChildren(...items);
  $('#resume').hidden = !items.length;
}

function dropResumeItem(selector) {
  const item = $(`#resume-list ${selector}`);
  if (item) item.remove();
  $('#resume').hidden = !$('#resume-list').children.length;
}

async function resumeReception(id) {
  try {
    renderReception(await api.get(`receptions/${id}`));
    $('#reception-scans').replaceChildren();
    dropResumeItem(`[data-reception="${id}"]`);
    setMode('reception');
    flash('Приёмка продолжена: сканируйте места', 'ok');
  } catch (error) {
    showError(error);
  }
}

async function resumeInventory(id) {
  try {
    renderInventory(await api.get(`inventories/${id}`));
    $('#inventory-scans').replaceChildren();
    dropResumeItem(`[data-inventory="${id}"]`);
    setMode('inventory');
    flash('Инвентаризация продолжена: сканируйте ячейку', 'ok');
  } catch (error) {
    showError(error);
  }
}

/* nothing offered any more (a logout) */
export function clearOpenWork() {
  $('#resume').hidden = true;
}
