/* Money, dates and cells as the operator reads them. Amounts are kept in
 * kopecks (integers): no float arithmetic on money. */

export function money(value) {
  const number = Number(value || 0);
  return number.toLocaleString('ru-RU', {minimumFractionDigits: 2, maximumFractionDigits: 2});
}

/* "1 500,50", "1500.5" -> 150050; NaN when it is no amount */
export function toKop(value) {
  const text = String(value === undefined || value === null ? '' : value)
    .replace(/\s/g, '').replace(',', '.');
  if (!text) return 0;
  if (!/^\d+(\.\d{0,2})?$/.test(text)) return NaN;
  const [rubles, kopecks = ''] = text.split('.');
  return Number(rubles) * 100 + Number((kopecks + '00').slice(0, 2));
}

/* 150050 -> "1500.50", the API's decimal string */
export function fromKop(kop) {
  return `${Math.trunc(kop / 100)}.${String(kop % 100).padStart(2, '0')}`;
}

export function formatDate(value) {
  if (!value) return '—';
  const [y, m, d] = String(value).slice(0, 10).split('-');
  return d ? `${d}.${m}.${y}` : value;
}

/* a cell as the barcode on its label, the code a person scans */
export function cellCode(cell) {
  return cell ? (cell.barcode || cell.name) : '';
}
