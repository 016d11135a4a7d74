"""Manifest files of local suppliers: CSV (UTF-8 or CP1251, `;` or `,`)
or XLSX, one row per place; the rows of one order share its number.

parse() turns the bytes into ParcelData and Russian (the user's language)
row errors without touching the database; the checks that need the
database (barcodes of other orders, point codes) are the upsert's.
"""
import csv
import dataclasses
import datetime as dt
import io
import re
from decimal import Decimal, InvalidOperation

from trytond.i18n import gettext
from trytond.modules.multipoint_core.marking import (
    MarkingCodeError, normalize_gtin)
from trytond.modules.multipoint_core.marking import parse as parse_marking
from trytond.modules.multipoint_core.parcel import normalize_phone

from .connector import LineData, ParcelData, PlaceData

# (key, required, header aliases matched case- and ё-insensitively); the
# first alias is the header of the downloadable template
COLUMNS = [
    ('order_number', True, [
            "Номер заказа", "№ заказа", "Номер отправления", "Заказ",
            "Order Number", "order_number", "order"]),
    ('barcode', False, [
            "ШК места", "Штрихкод места", "Штрихкод", "ШК", "Barcode",
            "Place Barcode", "barcode"]),
    ('recipient_name', True, [
            "ФИО получателя", "Получатель", "ФИО", "Recipient",
            "Recipient Name", "recipient_name"]),
    ('recipient_phone', True, [
            "Телефон", "Телефон получателя", "Phone", "Recipient Phone",
            "recipient_phone"]),
    ('cod_amount', False, [
            "Наложенный платёж", "Наложенный платеж", "НП",
            "Сумма к оплате", "COD Amount", "COD", "cod_amount"]),
    ('delivery_fee', False, [
            "Стоимость доставки", "Доставка", "Delivery Fee",
            "delivery_fee"]),
    ('declared_value', False, [
            "Объявленная ценность", "Оценочная стоимость",
            "Declared Value", "declared_value"]),
    ('prepaid', False, [
            "Предоплачен", "Оплачен", "Prepaid", "prepaid"]),
    ('weight', False, [
            "Вес, кг", "Вес", "Weight", "Weight (kg)", "weight_kg",
            "weight"]),
    ('manifest', False, [
            "Номер накладной", "Накладная", "Номер акта", "Manifest",
            "manifest_number"]),
    ('point_code', False, [
            "Код ПВЗ", "ПВЗ", "Point Code", "point_code"]),
    ('storage_until', False, [
            "Хранить до", "Срок хранения до", "Storage Until",
            "storage_until"]),
    ('cancelled', False, [
            "Отменён", "Отменен", "Отмена", "Cancelled", "cancelled"]),
    ('item_name', False, [
            "Наименование товара", "Товар", "Item", "Item Name",
            "item_name"]),
    ('item_article', False, [
            "Артикул", "Article", "SKU", "item_sku"]),
    ('item_quantity', False, [
            "Количество", "Кол-во", "Quantity", "item_qty"]),
    ('item_price', False, [
            "Цена товара", "Цена", "Item Price", "item_price"]),
    ('item_vat', False, [
            "Ставка НДС", "НДС", "VAT", "item_vat"]),
    # marked goods (Честный знак): the item's code, or only the mark that
    # it is scanned at the desk, and its GTIN when known
    ('item_marking', False, [
            "Код маркировки", "КИЗ", "Marking Code", "item_marking"]),
    ('item_marked', False, [
            "Маркировка", "Маркированный", "Marked", "item_marked"]),
    ('item_gtin', False, ["GTIN", "item_gtin"]),
    ]
COLUMN_KEYS = [key for key, _, _ in COLUMNS]
# order-level values that every row of one order must repeat identically
ORDER_KEYS = [
    'point_code', 'recipient_name', 'recipient_phone', 'cod_amount',
    'delivery_fee', 'declared_value', 'prepaid', 'manifest',
    'storage_until', 'cancelled']
AMOUNT_KEYS = {'cod_amount', 'delivery_fee', 'declared_value', 'item_price'}
VAT_RATES = {
    'без ндс': 'none', 'none': 'none', '0': '0', '5': '5', '7': '7',
    '10': '10', '20': '20', '22': '22'}
TRUE = {'1', 'да', 'yes', 'true', 'y', 'д', '+', 'истина'}
FALSE = {'0', 'нет', 'no', 'false', 'n', 'н', '-', 'ложь'}
XLSX_MAGIC = b'PK\x03\x04'


@dataclasses.dataclass
class RowError:
    row: int | None
    message: str
    order_number: str | None = None
    barcode: str | None = None
    level: str = 'error'


@dataclasses.dataclass
class Manifest:
    "What parse() found: the parcels, the number of rows and the errors"
    parcels: list
    rows: int = 0
    errors: list = dataclasses.field(default_factory=list)
    encoding: str | None = None
    delimiter: str | None = None
    columns: dict = dataclasses.field(default_factory=dict)


def normalize_header(header):
    header = str(header or '').lower().replace('ё', 'е')
    header = re.sub(r'[\s\u00a0]+', ' ', header)
    return header.strip(' :*.')


def decode(data):
    "The text of CSV bytes and the encoding found: UTF-8 (BOM or not), CP1251"
    if data.startswith(b'\xef\xbb\xbf'):
        return data[3:].decode('utf-8'), 'utf-8-sig'
    try:
        return data.decode('utf-8'), 'utf-8'
    except UnicodeDecodeError:
        return data.decode('cp1251'), 'cp1251'


def sniff_delimiter(text):
    """`;`, `,` or a tab: the one found most often in the header line
    outside quotes (a header rarely holds one)"""
    header = text.split('\n', 1)[0]
    header = re.sub(r'"[^"]*"', '', header)
    counts = {d: header.count(d) for d in (';', ',', '\t')}
    best = max(counts, key=lambda d: (counts[d], d == ';'))
    return best if counts[best] else ';'


def read_table(data):
    """(encoding, delimiter, list of (row number, list of cells)) of CSV or
    XLSX bytes; row numbers count from 1 with the header"""
    if data.startswith(XLSX_MAGIC):
        return 'xlsx', None, list(_read_xlsx(data))
    text, encoding = decode(data)
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=''), delimiter=delimiter)
    return encoding, delimiter, [
        (reader.line_num, row) for row in reader]


def _read_xlsx(data):
    import openpyxl
    workbook = openpyxl.load_workbook(
        io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        for number, row in enumerate(sheet.iter_rows(values_only=True), 1):
            yield number, [_xlsx_cell(v) for v in row]
    finally:
        workbook.close()


def _xlsx_cell(value):
    "A cell as the text a CSV would hold; dates kept as dates"
    if value is None:
        return ''
    if isinstance(value, bool):
        return '1' if value else '0'
    if isinstance(value, float):
        # barcodes and phones typed as numbers must not become 2.0E12
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value
    return str(value)


def map_columns(headers, aliases):
    """{column index: key} for headers; aliases is {key: [header, ...]},
    the account's own headers first"""
    by_alias = {}
    for key, headers_ in aliases.items():
        for alias in headers_:
            by_alias.setdefault(normalize_header(alias), key)
    mapping, seen = {}, set()
    for index, header in enumerate(headers):
        key = by_alias.get(normalize_header(header))
        if key and key not in seen:
            mapping[index] = key
            seen.add(key)
    return mapping


def default_aliases():
    return {key: list(aliases) for key, _, aliases in COLUMNS}


def parse(data, aliases=None):
    "The Manifest of a CSV or XLSX file"
    aliases = aliases or default_aliases()
    try:
        encoding, delimiter, table = read_table(data)
    except Exception as exception:
        return Manifest([], errors=[RowError(None, gettext(
                        'multipoint_suppliers.msg_manifest_unreadable',
                        error=str(exception)))])
    table = [(n, r) for n, r in table if any(_text(c) for c in r)]
    manifest = Manifest([], encoding=encoding, delimiter=delimiter)
    if not table:
        manifest.errors.append(RowError(None, gettext(
                    'multipoint_suppliers.msg_manifest_empty')))
        return manifest
    (_, headers), rows = table[0], table[1:]
    mapping = map_columns(headers, aliases)
    manifest.columns = {key: str(headers[i]) for i, key in mapping.items()}
    for key, required, _ in COLUMNS:
        if required and key not in manifest.columns:
            manifest.errors.append(RowError(None, gettext(
                        'multipoint_suppliers.msg_manifest_column_missing',
                        column=aliases[key][0] if aliases.get(key)
                        else key,
                        aliases=', '.join(
                            f'«{a}»' for a in aliases.get(key, [])))))
    if not rows:
        manifest.errors.append(RowError(None, gettext(
                    'multipoint_suppliers.msg_manifest_empty')))
    if manifest.errors:
        return manifest
    manifest.rows = len(rows)
    _Builder(manifest).build(rows, mapping)
    return manifest


def _text(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value if value is not None else '').replace(
        '\u00a0', ' ').strip()


class _Builder:
    "Rows to ParcelData, collecting the errors of every row"

    def __init__(self, manifest):
        self.manifest = manifest
        self.orders = {}            # order number -> (ParcelData, row, values)
        self.barcodes = {}          # barcode -> (order number, row)

    def error(self, message_id, row, values=None, **kwargs):
        values = values or {}
        self.manifest.errors.append(RowError(row, gettext(
                    'multipoint_suppliers.' + message_id, row=row, **kwargs),
                order_number=values.get('order_number'),
                barcode=values.get('barcode')))

    def build(self, rows, mapping):
        for number, cells in rows:
            raw = {key: cells[i] if i < len(cells) else ''
                for i, key in mapping.items()}
            values = self.convert(number, raw)
            if values is not None:
                self.add(number, values)
        self.manifest.parcels = [p for p, _, _ in self.orders.values()]

    def column(self, key):
        return self.manifest.columns.get(key, key)

    def convert(self, row, raw):
        "The typed values of one row, or None when it has errors"
        values, ok = {}, True
        for key, value in raw.items():
            text = _text(value)
            values[key] = None
            if not text:
                continue
            try:
                values[key] = self.convert_value(key, value, text)
            except ValueError as exception:
                ok = False
                self.error(exception.args[0], row, raw,
                    column=self.column(key), value=text)
        order_number = values.get('order_number')
        if not order_number:
            self.error('msg_row_order_missing', row, values,
                column=self.column('order_number'))
            return None
        for key in ['recipient_name', 'recipient_phone']:
            if not values.get(key) and _text(raw.get(key)) == '':
                ok = False
                self.error('msg_row_value_missing', row, values,
                    column=self.column(key))
        if values.get('item_name') is None and any(values.get(k) is not None
                for k in ['item_quantity', 'item_price', 'item_article',
                    'item_marking', 'item_marked', 'item_gtin']):
            ok = False
            self.error('msg_row_value_missing', row, values,
                column=self.column('item_name'))
        return values if ok else None

    def convert_value(self, key, value, text):
        if key == 'recipient_phone':
            phone = normalize_phone(text)
            if not phone:
                raise ValueError('msg_row_phone_invalid')
            return phone
        if key in AMOUNT_KEYS:
            amount = parse_decimal(text)
            if amount is None:
                raise ValueError('msg_row_number_invalid')
            if amount < 0:
                raise ValueError('msg_row_amount_negative')
            return amount
        if key == 'weight':
            weight = parse_decimal(text, digits=3)
            if weight is None:
                raise ValueError('msg_row_number_invalid')
            if weight <= 0:
                raise ValueError('msg_row_weight_invalid')
            return float(weight)
        if key == 'item_quantity':
            quantity = parse_decimal(text, digits=3)
            if quantity is None or quantity <= 0 or quantity % 1:
                raise ValueError('msg_row_quantity_invalid')
            return int(quantity)
        if key == 'item_marking':
            try:
                return parse_marking(value if isinstance(value, str)
                    else text).code
            except MarkingCodeError:
                raise ValueError('msg_row_marking_invalid')
        if key == 'item_gtin':
            gtin = normalize_gtin(text)
            if not gtin:
                raise ValueError('msg_row_gtin_invalid')
            return gtin
        if key in {'prepaid', 'cancelled', 'item_marked'}:
            flag = text.lower()
            if flag in TRUE:
                return True
            if flag in FALSE:
                return False
            raise ValueError('msg_row_flag_invalid')
        if key == 'storage_until':
            date = parse_date(value)
            if date is None:
                raise ValueError('msg_row_date_invalid')
            return date
        if key == 'item_vat':
            rate = VAT_RATES.get(text.lower().rstrip(' %'))
            if rate is None:
                raise ValueError('msg_row_vat_invalid')
            return rate
        return text

    def add(self, row, values):
        order_number = values['order_number']
        barcode = values.get('barcode') or order_number
        values['barcode'] = barcode
        has_item = values.get('item_name') is not None
        found = self.barcodes.get(barcode)
        if found and (found[0] != order_number or not has_item):
            # rows of items may repeat the barcode of their box
            self.error('msg_row_barcode_duplicate', row, values,
                barcode=barcode, first=found[1])
            return
        if order_number in self.orders:
            parcel, first, first_values = self.orders[order_number]
            for key in ORDER_KEYS:
                if (values.get(key) is not None
                        and values.get(key) != first_values.get(key)):
                    self.error('msg_row_order_mismatch', row, values,
                        column=self.column(key), order=order_number,
                        first=first)
                    return
        else:
            parcel = ParcelData(order_number=order_number,
                source=str(row), **{k: values.get(k) for k in ORDER_KEYS
                    if k != 'cancelled'})
            parcel.cancelled = bool(values.get('cancelled'))
            self.orders[order_number] = parcel, row, values
        if not found:
            self.barcodes[barcode] = (order_number, row)
            parcel.places.append(PlaceData(barcode, values.get('weight')))
            if values.get('weight'):
                parcel.weight = (parcel.weight or 0) + values['weight']
        if has_item:
            parcel.lines.append(LineData(
                    name=values['item_name'],
                    quantity=values.get('item_quantity') or 1,
                    unit_price=values.get('item_price') or Decimal('0.00'),
                    article=values.get('item_article'),
                    vat_rate=values.get('item_vat'),
                    marked=bool(values.get('item_marked')),
                    gtin=values.get('item_gtin'),
                    marking_code=values.get('item_marking')))


def parse_decimal(text, digits=2):
    """Decimal of "1 590,00", "1590.5", "1 590 ₽", "1,590.00"; None if it
    is not a number"""
    text = re.sub(r'[\s\u00a0₽]|руб\.?|р\.', '', str(text).lower())
    if ',' in text and '.' in text:
        # the first one separates thousands
        if text.index(',') < text.index('.'):
            text = text.replace(',', '')
        else:
            text = text.replace('.', '').replace(',', '.')
    else:
        text = text.replace(',', '.')
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    if not number.is_finite():
        return None
    return number.quantize(Decimal(1).scaleb(-digits))


def parse_date(value):
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for format_ in ['%Y-%m-%d', '%d.%m.%Y', '%d.%m.%y', '%d/%m/%Y']:
        try:
            return dt.datetime.strptime(text, format_).date()
        except ValueError:
            continue
    return None
