"""The reporting tables as XLSX (xlsxwriter): the rows chosen in the client,
in the columns of the table, with the context's dates in the title."""
import datetime as dt
import io

import xlsxwriter

from trytond.i18n import gettext
from trytond.pool import Pool
from trytond.report import Report
from trytond.transaction import Transaction

from .analytics import context_dates


class _TableXLSX(Report):
    __slots__ = ()
    # the fields of the model, in the order of the columns
    columns = []

    @classmethod
    def _execute(cls, records, header, data, action):
        Model = Pool().get(action.model or data.get('model'))
        out = io.BytesIO()
        write_table(Model, records, cls.columns, out)
        return 'xlsx', out.getvalue()


def write_table(Model, records, columns, out):
    "Write records' columns as one sheet with a header row and totals"
    definitions = Model.fields_get(columns)
    workbook = xlsxwriter.Workbook(out, {'in_memory': True})
    title = Model.__names__()['model']
    sheet = workbook.add_worksheet(
        ''.join(c for c in title if c not in '[]:*?/\\')[:31])
    bold = workbook.add_format({'bold': True})
    date_format = workbook.add_format({'num_format': 'dd.mm.yyyy'})
    datetime_format = workbook.add_format(
        {'num_format': 'dd.mm.yyyy hh:mm'})
    number_format = workbook.add_format({'num_format': '0.00'})
    context = Transaction().context
    if context.get('from_date') or context.get('to_date'):
        from_date, to_date = context_dates()
        title = gettext('multipoint_analytics.msg_export_title',
            name=title, from_date=from_date.strftime('%d.%m.%Y'),
            to_date=to_date.strftime('%d.%m.%Y'))
    sheet.write(0, 0, title, bold)
    for col, name in enumerate(columns):
        sheet.write(2, col, definitions[name]['string'], bold)
        sheet.set_column(col, col, 16)
    for row, record in enumerate(records, 3):
        for col, name in enumerate(columns):
            value = getattr(record, name)
            kind = definitions[name]['type']
            if value is None:
                continue
            if kind == 'many2one':
                sheet.write_string(row, col, value.rec_name)
            elif kind == 'datetime':
                sheet.write_datetime(row, col, value, datetime_format)
            elif kind == 'date':
                sheet.write_datetime(
                    row, col, dt.datetime.combine(value, dt.time()),
                    date_format)
            elif kind == 'float':
                sheet.write_number(row, col, value, number_format)
            elif kind == 'numeric':
                sheet.write_number(row, col, float(value), number_format)
            elif kind == 'integer':
                sheet.write_number(row, col, value)
            elif kind == 'selection':
                sheet.write_string(row, col, dict(
                        definitions[name]['selection']).get(value, value))
            else:
                sheet.write(row, col, str(value))
    workbook.close()


FIGURE_COLUMNS = [
    'expected', 'accepted', 'stored', 'issued', 'partially_issued',
    'refused', 'returned', 'expired', 'lost', 'missing', 'surplus',
    'damaged', 'extended', 'served', 'recipients', 'parcels_per_recipient']


class PointPeriodXLSX(_TableXLSX):
    "Point Figures (XLSX)"
    __name__ = 'multipoint.analytics.point_period.xlsx'
    columns = ['point', 'date'] + FIGURE_COLUMNS


class NetworkXLSX(_TableXLSX):
    "Network of Points (XLSX)"
    __name__ = 'multipoint.analytics.network.xlsx'
    columns = ['point'] + [f'{n}{s}'
        for n in ['accepted', 'issued', 'refused', 'returned', 'expired',
            'recipients']
        for s in ['', '_previous', '_change']]


SERVICE_COLUMNS = [
    'recipients', 'average', 'median', 'percentile_90', 'longest']


class ServicePointXLSX(_TableXLSX):
    "Service Time per Point (XLSX)"
    __name__ = 'multipoint.analytics.service.point.xlsx'
    columns = ['point'] + SERVICE_COLUMNS


class ServiceOperatorXLSX(_TableXLSX):
    "Service Time per Operator (XLSX)"
    __name__ = 'multipoint.analytics.service.operator.xlsx'
    columns = ['point', 'user'] + SERVICE_COLUMNS


class PeakXLSX(_TableXLSX):
    "Peak Hours (XLSX)"
    __name__ = 'multipoint.analytics.peak.xlsx'
    columns = ['point', 'weekday', 'hour', 'recipients']


class ShelfXLSX(_TableXLSX):
    "Parcels on the Shelf (XLSX)"
    __name__ = 'multipoint.analytics.shelf.xlsx'
    columns = ['point', 'on_site', 'in_cells', 'capacity', 'occupancy',
        'oldest_arrival', 'overdue']


class MoneyXLSX(_TableXLSX):
    "Money per Point and Supplier (XLSX)"
    __name__ = 'multipoint.analytics.money.xlsx'
    columns = ['point', 'supplier', 'date', 'cash', 'card', 'sbp',
        'collected', 'refunded', 'commission', 'fines']


class TicketXLSX(_TableXLSX):
    "Tickets per Point and Supplier (XLSX)"
    __name__ = 'multipoint.analytics.ticket.xlsx'
    columns = ['point', 'supplier', 'open', 'overdue', 'opened', 'closed',
        'closed_late']


class ChargeXLSX(_TableXLSX):
    "Charges per Supplier and Ground (XLSX)"
    __name__ = 'multipoint.analytics.charge.xlsx'
    columns = ['point', 'supplier', 'kind', 'date', 'charges', 'charged',
        'disputed', 'disputed_amount', 'won_back', 'lost_amount', 'borne']
