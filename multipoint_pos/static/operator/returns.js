/* Returns mode (F4): the parcels waiting to go back, per supplier; open a
 * return for one, scan its parcels, hand it over to the courier (the act in
 * PDF). */
import {api, NetworkError, openPdf} from './api.js';
import {defineMode} from './modes.js';
import {withPoint} from './session.js';
import {$, el, flash, showError} from './ui.js';

// the return batch open on the screen
const returns = {batch: null};

async function loadPending() {
  const box = $('#returns-pending');
  box.hidden = false;
  $('#returns-batch').hidden = true;
  try {
    const data = await api.get('returns/pending', withPoint({}));
    const suppliers = data.suppliers || [];
    if (!suppliers.length) {
      box.replaceChildren(el('p', {class: 'muted'}, 'Нет посылок к возврату'));
      return;
    }
    box.replaceChildren(el('table', {},
      el('thead', {}, el('tr', {}, el('th', {}, 'Поставщик'), el('th', {}, 'Посылок'),
        el('th', {}, 'Заказы'), el('th', {}, ''))),
      el('tbody', {}, suppliers.map((row) => el('tr', {},
        el('td', {}, row.supplier.name),
        el('td', {}, row.parcels.length),
        el('td', {}, row.parcels.slice(0, 8).map((p) => p.order_number).join(', ')
          + (row.parcels.length > 8 ? '…' : '')),
        el('td', {}, el('button', {class: 'primary', onclick: () => openBatch(row.supplier)},
          'Открыть возврат')))))));
  } catch (error) {
    box.replaceChildren(el('p', {class: 'error'}, error.message));
  }
}

async function openBatch(supplier) {
  try {
    renderBatch(await api.post('returns', withPoint({supplier: supplier.id})));
    flash(`Возврат для ${supplier.name} открыт`, 'ok');
  } catch (error) {
    showError(error);
  }
  $('#scan').focus();
}

function renderBatch(batch) {
  returns.batch = batch;
  $('#returns-pending').hidden = true;
  $('#returns-batch').hidden = false;
  $('#returns-number').textContent = `Возврат ${batch.number || batch.id} · ${batch.supplier.name}`
    + (batch.state === 'done' ? ' — передан' : '');
  $('#returns-hand-over').hidden = batch.state !== 'draft';
  $('#returns-parcels').replaceChildren(...(batch.parcels || []).map((p) =>
    el('li', {class: 'ok'}, `№ ${p.order_number} — ${p.state_name}`)),
  ...(batch.customer_returns || []).map((n) => el('li', {class: 'warn'}, `возврат покупателя № ${n}`)));
}

async function returnsScan(code) {
  if (!returns.batch || returns.batch.state !== 'draft') {
    flash('Сначала откройте возврат для поставщика', 'warn', true);
    return;
  }
  try {
    const data = await api.post(`returns/${returns.batch.id}/scans`, {barcode: code});
    renderBatch(data.batch);
    flash(`№ ${data.parcel.order_number} добавлена в возврат`, 'ok', true);
  } catch (error) {
    if (error instanceof NetworkError) {
      flash('Нет связи: повторите скан позже', 'bad', true);
      return;
    }
    throw error;
  }
}

async function handOver() {
  if (!returns.batch) return;
  if (!window.confirm('Курьер подписал акт? Посылки покинут пункт.')) return;
  try {
    renderBatch(await api.post(`returns/${returns.batch.id}/hand_over`));
    flash('Возврат передан курьеру', 'ok', true);
  } catch (error) {
    showError(error);
  }
}

export function initReturns() {
  defineMode('returns', {
    scan: returnsScan,
    placeholder: () => 'Сканируйте посылку для возврата',
    enter: () => { if (!returns.batch) loadPending(); },
  });
  $('#returns-hand-over').addEventListener('click', handOver);
  $('#returns-act').addEventListener('click', (event) => {
    event.preventDefault();
    if (returns.batch) openPdf(`returns/${returns.batch.id}/act`);
  });
  $('#returns-back').addEventListener('click', () => { returns.batch = null; loadPending(); });
}
