/* Placement mode (F3): scan a parcel (the server suggests a cell), then the
 * cell it goes in. Esc forgets the parcel scanned. */
import {api} from './api.js';
import {cellCode} from './format.js';
import {defineMode} from './modes.js';
import {damagedPlaceButton} from './tickets.js';
import {$, beep, el, flash, showError} from './ui.js';

// the barcode of the parcel waiting for its cell
const placement = {parcel: null};

function placeholder() {
  return placement.parcel ? 'Сканируйте ячейку' : 'Сканируйте посылку';
}

function placementState(text) {
  $('#placement-state').textContent = text;
  $('#scan').placeholder = placeholder();
}

function forgetParcel() {
  placement.parcel = null;
  placementState('Ожидается посылка');
}

async function placementScan(code) {
  if (!placement.parcel) {
    const data = await api.get('placements/suggestion', {parcel: code});
    placement.parcel = code;
    const parcel = data.parcel;
    const hint = data.cell ? `рекомендуемая ячейка: ${cellCode(data.cell)}` : 'подходящей ячейки нет';
    placementState(`${parcel.supplier.name} № ${parcel.order_number}`
      + (parcel.cell ? ` (сейчас в ${cellCode(parcel.cell)})` : '') + ` — ${hint}. Сканируйте ячейку.`);
    beep('ok');
    return;
  }
  const parcelCode = placement.parcel;
  try {
    const parcel = await api.post('placements', {parcel: parcelCode, cell: code});
    const text = `${parcel.supplier.name} № ${parcel.order_number} → ${parcel.cell ? cellCode(parcel.cell) : code}`;
    $('#placement-log').prepend(el('li', {class: 'ok'}, text, ' ', damagedPlaceButton(parcelCode)));
    flash(text, 'ok', true);
    forgetParcel();
  } catch (error) {
    if (error.code === 'barcode_unknown' || error.status === 404) {
      // not a cell: keep the parcel, the operator scans a cell again
      showError(error);
      return;
    }
    forgetParcel();
    throw error;
  }
}

export function initPlacement() {
  defineMode('placement', {
    scan: placementScan,
    placeholder,
    escape: () => { if (placement.parcel) forgetParcel(); },
  });
}
