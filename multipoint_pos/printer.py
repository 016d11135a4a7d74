"""Slips on the desk's ESC/POS network printer (python-escpos).

The printer of a point is its own "Slip Printer Host/Port", or else the
trytond configuration::

    [multipoint_printer]
    host = 192.168.1.50
    port = 9100
    timeout = 5            ; seconds to connect and send
    profile =              ; a python-escpos printer profile (default)
    codepage = CP866       ; the code page of the Cyrillic text
    columns = 42           ; characters per line (font A; 32 on 58 mm)

``SlipPrinter.for_point(point)`` gives the printer; its ``print_*`` methods
render a document and send it, and raise ``PrinterError`` (translated) when
the printer cannot be reached. A failed print never undoes the operation it
follows: print after the operation is done and catch the error, or use
``try_print(printer.print_issue_slip, ...)`` which returns the error message
(None when printed) for the caller to show.

A document is rendered to bytes first (``render_*``), then sent in one
connection, so nothing is half printed because of a rendering error.
"""
import contextlib
import datetime as dt
import io
import logging
import textwrap
from decimal import Decimal

from escpos.exceptions import DeviceNotFoundError, Error as EscposError
from escpos.printer import Dummy, Network

from trytond import config
from trytond.i18n import gettext
from trytond.modules.multipoint_core.exceptions import MultipointError

logger = logging.getLogger(__name__)
SECTION = 'multipoint_printer'
# characters a cp866 printer lacks, and what to print instead
REPLACEMENTS = {
    '₽': 'руб.', '«': '"', '»': '"', '„': '"', '“': '"', '”': '"',
    '—': '-', '–': '-', '…': '...', '\u00a0': ' ', '\u202f': ' ',
    }


class PrinterError(MultipointError):
    "The slip printer cannot print; the operation itself stands"
    api_code = 'printer'


def _(name, **variables):
    return gettext(f'multipoint_pos.msg_slip_{name}', **variables)


def money(amount):
    "1 500,00"
    amount = Decimal(amount or 0).quantize(Decimal('0.01'))
    return f'{amount:,.2f}'.replace(',', ' ').replace('.', ',')


def quantity(value):
    value = Decimal(value or 0)
    if value == value.to_integral_value():
        return str(int(value))
    return str(value.normalize()).replace('.', ',')


def sanitize(text):
    text = str(text if text is not None else '')
    for char, replacement in REPLACEMENTS.items():
        text = text.replace(char, replacement)
    return text


class Job:
    "An ESC/POS document built in memory"

    def __init__(self, profile=None, codepage='CP866', columns=42):
        self.columns = columns
        self.printer = Dummy(profile=profile) if profile else Dummy()
        self.printer.hw('INIT')
        self.printer.charcode(codepage)

    def text(self, text='', align='left', bold=False, big=False):
        p = self.printer
        styled = bold or big or align != 'left'
        if styled:
            p.set(align=align, bold=bold, double_height=big,
                double_width=big)
        width = self.columns // 2 if big else self.columns
        for line in sanitize(text).splitlines() or ['']:
            for part in textwrap.wrap(line, width) or ['']:
                p.textln(part)
        if styled:
            p.set_with_default()

    def pair(self, left, right, bold=False):
        "left text and right text on one line (right aligned)"
        left, right = sanitize(left), sanitize(right)
        space = self.columns - len(right) - 1
        lines = textwrap.wrap(left, max(space, 1)) or ['']
        if bold:
            self.printer.set(bold=True)
        for line in lines[:-1]:
            self.printer.textln(line)
        last = lines[-1]
        self.printer.textln(
            last + ' ' * (self.columns - len(last) - len(right)) + right)
        if bold:
            self.printer.set_with_default()

    def rule(self, char='-'):
        self.printer.textln(char * self.columns)

    def barcode(self, code):
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                # python-escpos says which renderer it uses on stdout
                self.printer.barcode('{B' + code, 'CODE128', height=80,
                    width=2, pos='BELOW', function_type='B')
        except EscposError:
            raise PrinterError(_('barcode_invalid', barcode=code))
        self.printer.set_with_default()

    def cut(self, partial=False):
        self.printer.cut(mode='PART' if partial else 'FULL')

    @property
    def output(self):
        return self.printer.output


class SlipPrinter:
    "A network ESC/POS printer and the documents it prints"

    def __init__(self, host, port=9100, timeout=5, profile=None,
            codepage='CP866', columns=42):
        self.host = host
        self.port = port
        self.timeout = timeout
        self.profile = profile
        self.codepage = codepage
        self.columns = columns

    @classmethod
    def for_point(cls, point=None):
        "The printer of the point, or of the configuration"
        host = getattr(point, 'printer_host', None) if point else None
        port = getattr(point, 'printer_port', None) if point else None
        host = host or config.get(SECTION, 'host', default=None)
        if not host:
            raise PrinterError(_('printer_not_configured',
                    point=point.rec_name if point else '-'))
        return cls(host,
            port=port or config.getint(SECTION, 'port', default=9100),
            timeout=config.getfloat(SECTION, 'timeout', default=5),
            profile=config.get(SECTION, 'profile', default=None) or None,
            codepage=config.get(SECTION, 'codepage', default='CP866'),
            columns=config.getint(SECTION, 'columns', default=42))

    @property
    def name(self):
        return f'{self.host}:{self.port}'

    def job(self):
        return Job(self.profile, self.codepage, self.columns)

    def send(self, data):
        "Send the rendered bytes; PrinterError when the printer is offline"
        device = Network(self.host, self.port, timeout=self.timeout)
        try:
            device.open()
            device._raw(data)
        except (DeviceNotFoundError, OSError) as exception:
            logger.warning('printer %s: %s', self.name, exception)
            raise PrinterError(_('printer_offline', printer=self.name))
        finally:
            device.close()

    # --- documents ------------------------------------------------------
    @staticmethod
    def _local(point, moment=None):
        moment = moment or dt.datetime.utcnow()
        tzinfo = point.tzinfo if point else dt.timezone.utc
        return moment.replace(tzinfo=dt.timezone.utc).astimezone(
            tzinfo).strftime('%d.%m.%Y %H:%M')

    def _header(self, job, title, point, moment=None, cashier=None):
        job.text(title, align='center', bold=True, big=True)
        if point:
            job.text(_('point', point=point.rec_name))
            if point.address:
                job.text(' '.join(point.address.split()))
        job.text(_('date', date=self._local(point, moment)))
        if cashier:
            job.text(_('cashier', cashier=getattr(
                        cashier, 'name', None) or cashier))
        job.rule()

    @staticmethod
    def _cell(parcel):
        "The parcel's cell, or the last one it was in (an issued parcel)"
        if parcel.cell:
            return parcel.cell.name
        for event in parcel.events:  # newest first
            if event.cell:
                return event.cell.name
        return None

    def render_issue_slip(self, point, parcels, cashier, amounts=None,
            payments=None, date=None, cells=None):
        """The slip of parcels issued together: order numbers, cell, items
        taken and refused, amounts. amounts: {parcel id: amount paid} when
        it differs from the parcel's amount due (partial buyout); payments:
        (method, amount) pairs or dicts with method and amount; cells:
        {parcel id: cell name} to override the parcel's cell"""
        job = self.job()
        self._header(job, _('issue_title'), point, date, cashier)
        total = Decimal(0)
        for parcel in parcels:
            job.text(_('order', order=parcel.order_number,
                    supplier=parcel.supplier.rec_name), bold=True)
            cell = (cells or {}).get(parcel.id) or self._cell(parcel)
            if cell:
                job.text(_('cell', cell=cell))
            job.text(_('recipient', recipient=parcel.recipient_name))
            for line in parcel.lines:
                taken = line.quantity - (line.refused_quantity or 0)
                if taken:
                    job.text(line.name)
                    job.pair(f'  {taken} x {money(line.unit_price)}',
                        money(taken * line.unit_price))
                if line.refused_quantity:
                    job.text(_('refused', item=line.name,
                            quantity=line.refused_quantity))
            due = (amounts or {}).get(parcel.id)
            if due is None:
                due = parcel.amount_due or Decimal(0)
                if parcel.delivery_fee and not parcel.prepaid:
                    job.pair(_('delivery_fee'), money(parcel.delivery_fee))
            job.pair(_('parcel_due'), money(due))
            total += due
            job.rule()
        job.pair(_('total_due'), money(total), bold=True)
        for method, amount in _payments(payments):
            job.pair(_('paid_' + method), money(amount))
        job.text()
        job.text(_('signature'))
        job.cut()
        return job.output

    def print_issue_slip(self, *args, **kwargs):
        self.send(self.render_issue_slip(*args, **kwargs))

    def render_receipt_copy(self, receipt):
        "A non-fiscal copy of a receipt with its agent and fiscal data"
        job = self.job()
        job.text(_('non_fiscal'), align='center', bold=True)
        self._header(job, _('receipt_copy'), receipt.point,
            receipt.fiscal_date or receipt.create_date, receipt.cashier)
        job.text(receipt.kind_string, align='center', bold=True)
        if receipt.session:
            job.text(_('shift', shift=receipt.session.rec_name))
        for line in receipt.lines:
            job.text(line.name)
            job.pair(f'  {quantity(line.quantity)} x '
                f'{money(line.unit_price)}', money(line.amount))
            rate = dict(line.fields_get(['vat_rate'])['vat_rate'][
                    'selection'])[line.vat_rate]
            if line.vat_rate in {'none'}:
                job.text('  ' + rate)
            else:
                job.pair(f'  {_("vat")} {rate}', money(line.vat_amount))
            if line.agent_type:
                job.text('  ' + _('agent', agent=dict(line.fields_get(
                                ['agent_type'])['agent_type']['selection'])[
                            line.agent_type]))
        job.text(_('supplier', supplier=receipt.supplier_name))
        job.text(_('supplier_inn', inn=receipt.supplier_inn))
        if receipt.supplier_phone:
            job.text(_('supplier_phone', phone=receipt.supplier_phone))
        job.rule()
        job.pair(_('total'), money(receipt.total), bold=True)
        if receipt.total_cash:
            job.pair(_('paid_cash'), money(receipt.total_cash))
        if receipt.total_electronic:
            job.pair(_('paid_electronic'), money(receipt.total_electronic))
        if receipt.total_vat:
            job.pair(_('vat_total'), money(receipt.total_vat))
        if receipt.state == 'done':
            job.rule()
            job.pair(_('fd'), receipt.fiscal_document_number or '')
            job.pair(_('fpd'), receipt.fiscal_sign or '')
            job.pair(_('fn'), receipt.fiscal_storage_number or '')
            if receipt.fiscal_shift_number is not None:
                job.pair(_('fiscal_shift'), str(receipt.fiscal_shift_number))
        job.text(_('non_fiscal'), align='center', bold=True)
        job.cut()
        return job.output

    def print_receipt_copy(self, receipt):
        self.send(self.render_receipt_copy(receipt))

    def render_shift_report(self, kind, totals, point=None):
        """An X (kind='X') or Z (kind='Z') summary of a shift from a plain
        dict; every key is optional:
        shift, opened_at, closed_at (UTC datetimes), cashier, start_amount,
        sales and refunds ({'cash'|'card'|'sbp': Decimal}), collections,
        deposits, expected_cash, counted_cash, difference,
        difference_reason, receipts, refund_receipts (counts), suppliers
        (dicts with name, sales, refunds, count)"""
        job = self.job()
        title = _('z_title') if kind.upper() == 'Z' else _('x_title')
        self._header(job, title, point, totals.get('closed_at'),
            totals.get('cashier'))
        if totals.get('shift') is not None:
            job.text(_('shift', shift=totals['shift']))
        if totals.get('opened_at'):
            job.text(_('opened', date=self._local(point, totals['opened_at'])))
        if totals.get('closed_at'):
            job.text(_('closed', date=self._local(point, totals['closed_at'])))
        if totals.get('start_amount') is not None:
            job.pair(_('start_amount'), money(totals['start_amount']))
        for key in ['sales', 'refunds']:
            values = totals.get(key)
            if values is None:
                continue
            job.text(_(key), bold=True)
            for method in ['cash', 'card', 'sbp']:
                if method in values:
                    job.pair('  ' + _('method_' + method),
                        money(values[method]))
            job.pair('  ' + _('total'), money(sum(values.values(),
                        Decimal(0))))
        for key in ['collections', 'deposits', 'expected_cash',
                'counted_cash', 'difference']:
            if totals.get(key) is not None:
                job.pair(_(key), money(totals[key]), bold=key == 'difference')
        if totals.get('difference_reason'):
            job.text(_('difference_reason',
                    reason=totals['difference_reason']))
        for key in ['receipts', 'refund_receipts']:
            if totals.get(key) is not None:
                job.pair(_(key), str(totals[key]))
        if totals.get('suppliers'):
            job.rule()
            job.text(_('by_supplier'), bold=True)
            for supplier in totals['suppliers']:
                job.text(supplier['name'])
                if supplier.get('count') is not None:
                    job.pair('  ' + _('receipts'), str(supplier['count']))
                job.pair('  ' + _('sales'), money(supplier.get('sales')))
                if supplier.get('refunds'):
                    job.pair('  ' + _('refunds'), money(supplier['refunds']))
        job.cut()
        return job.output

    def print_shift_report(self, kind, totals, point=None):
        self.send(self.render_shift_report(kind, totals, point=point))

    def render_cell_labels(self, cells):
        "One label per cell: the point, the cell in large type, CODE128"
        job = self.job()
        for cell in cells:
            point = getattr(cell, 'multipoint_point', None)
            if point:
                job.text(point.rec_name, align='center')
            job.text(cell.name, align='center', bold=True, big=True)
            job.barcode(cell.barcode or cell.name)
            job.cut(partial=True)
        return job.output

    def print_cell_labels(self, cells):
        self.send(self.render_cell_labels(cells))


def _payments(payments):
    for payment in payments or []:
        if isinstance(payment, dict):
            yield payment['method'], payment['amount']
        else:
            yield payment


def try_print(method, *args, **kwargs):
    """Call a print method; return None when printed, else the message of
    the PrinterError for the caller to show (the operation stands)"""
    try:
        method(*args, **kwargs)
    except PrinterError as error:
        return error.message
    return None
