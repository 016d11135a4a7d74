/* The X- and Z-report of a shift as tables: taken and refunded by method,
 * the cash drawer, and the net per supplier. */
import {fromKop, money, toKop} from './format.js';
import {el} from './ui.js';

const METHOD_NAMES = {cash: 'Наличные', card: 'Карта', sbp: 'СБП'};

function methodTable(title, values) {
  return el('table', {},
    el('tr', {}, el('th', {colspan: 2}, title)),
    Object.keys(METHOD_NAMES).map((kind) => el('tr', {},
      el('td', {}, METHOD_NAMES[kind]), el('td', {class: 'num'}, `${money(values[kind])} ₽`))));
}

export function reportView(report) {
  const suppliers = report.suppliers || [];
  return el('div', {},
    el('div', {class: 'report-grid'},
      methodTable('Принято', report.taken || {}),
      methodTable('Возвращено покупателям', report.refunded || {}),
      el('table', {},
        el('tr', {}, el('th', {colspan: 2}, 'Касса')),
        el('tr', {}, el('td', {}, 'На начало'),
          el('td', {class: 'num'}, `${money(fromKop(toKop(report.start_amount) + toKop(report.float)))} ₽`)),
        el('tr', {}, el('td', {}, 'Инкассировано'), el('td', {class: 'num'}, `${money(report.collected)} ₽`)),
        el('tr', {}, el('td', {}, 'Ожидается'), el('td', {class: 'num'}, `${money(report.cash_expected)} ₽`)),
        el('tr', {}, el('td', {}, 'Оплат / возвратов'), el('td', {}, `${report.sales} / ${report.refunds}`)))),
    suppliers.length ? el('table', {},
      el('tr', {}, el('th', {}, 'Поставщик'), el('th', {}, 'Посылок'),
        el('th', {}, 'Наличные'), el('th', {}, 'Карта'), el('th', {}, 'СБП'),
        el('th', {}, 'Итого')),
      suppliers.map((row) => el('tr', {},
        el('td', {}, row.supplier ? row.supplier.name : '—'),
        el('td', {}, row.parcels),
        el('td', {class: 'num'}, money(row.net.cash)), el('td', {class: 'num'}, money(row.net.card)),
        el('td', {class: 'num'}, money(row.net.sbp)), el('td', {class: 'num'}, money(row.total))))) : '');
}
