"""Downloadable manifest templates (XLSX and CSV) with the headers the
import recognises, the account's own first"""
import csv
import io

from trytond.i18n import gettext
from trytond.pool import Pool
from trytond.report import Report

from .manifest import COLUMNS, default_aliases

EXAMPLE = {
    'order_number': 'A-1001',
    'barcode': '2000000010010',
    'recipient_name': 'Иванова Алёна Петровна',
    'recipient_phone': '+79161234567',
    'cod_amount': '1590.00',
    'delivery_fee': '199.00',
    'declared_value': '1500.00',
    'prepaid': '0',
    'weight': '1.25',
    'manifest': 'НК-2026-001',
    'point_code': '',
    'storage_until': '',
    'cancelled': '0',
    'item_name': 'Чашка керамическая',
    'item_article': 'ART-1',
    'item_quantity': '1',
    'item_price': '1590.00',
    'item_vat': '22',
    'item_marking': '',
    'item_marked': '0',
    'item_gtin': '',
    }


def _headers(records):
    aliases = records[0].aliases() if records else default_aliases()
    return [(key, required, aliases[key][0]) for key, required, _ in COLUMNS]


def _(message_id):
    return gettext('multipoint_suppliers.' + message_id)


def _column_names():
    "The translated name of each column"
    Column = Pool().get('multipoint.supplier.account.column')
    selection = Column.fields_get(['column'])['column']['selection']
    return dict(selection)


class ManifestTemplateXLSX(Report):
    "Manifest Template (XLSX)"
    __name__ = 'multipoint.supplier.manifest.template.xlsx'

    @classmethod
    def _execute(cls, records, header, data, action):
        import xlsxwriter
        headers = _headers(records)
        names = _column_names()
        out = io.BytesIO()
        workbook = xlsxwriter.Workbook(out, {'in_memory': True})
        bold = workbook.add_format({'bold': True})
        text = workbook.add_format({'num_format': '@'})
        sheet = workbook.add_worksheet(_('msg_template_sheet_rows'))
        for col, (key, required, title) in enumerate(headers):
            sheet.write_string(0, col, title, bold)
            # as text: Excel must not turn barcodes and phones into numbers
            sheet.set_column(col, col, max(14, len(title) + 2), text)
            sheet.write_string(1, col, EXAMPLE[key])
        sheet.freeze_panes(1, 0)
        help_ = workbook.add_worksheet(_('msg_template_sheet_columns'))
        for col, title in enumerate([_('msg_template_header'),
                    _('msg_template_column'), _('msg_template_required')]):
            help_.write_string(0, col, title, bold)
        for row, (key, required, title) in enumerate(headers, 1):
            help_.write_row(row, 0, [
                    title, names.get(key, key), '+' if required else ''])
        help_.set_column(0, 1, 30)
        workbook.close()
        return 'xlsx', out.getvalue()


class ManifestTemplateCSV(Report):
    "Manifest Template (CSV)"
    __name__ = 'multipoint.supplier.manifest.template.csv'

    @classmethod
    def _execute(cls, records, header, data, action):
        headers = _headers(records)
        out = io.StringIO()
        writer = csv.writer(out, delimiter=';', lineterminator='\r\n')
        writer.writerow([title for _, _, title in headers])
        writer.writerow([EXAMPLE[key] for key, _, _ in headers])
        # with a BOM and `;` Excel opens it in Russian locales as it is
        return 'csv', ('\ufeff' + out.getvalue()).encode('utf-8')
