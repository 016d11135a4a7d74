"""The agent's report of a settlement as XLSX and PDF.

Both stream the lines from the database in pages of LINE_PAGE ordered by
id (the computation wrote them in the report's order) and never hold them
all: the XLSX with xlsxwriter's constant_memory mode (a row is written to
disk as soon as the next begins), the PDF page by page with reportlab's
canvas. The PDF embeds a TTF font with Cyrillic (see font()) and numbers
its pages "N of M" through a form drawn once the count is known.
"""
import datetime as dt
import glob
import io
import os

from trytond.i18n import gettext
from trytond.modules.multipoint_core import pdf as core_pdf
from trytond.modules.multipoint_pos.receipt import supplier_inn
from trytond.pool import Pool
from trytond.report import Report
from trytond.transaction import Transaction

from .exceptions import SettlementError

LINE_PAGE = 5000
EXCEL_EPOCH = dt.date(1899, 12, 30)
# the columns of the lines sheet: (field of the line, kind)
XLSX_COLUMNS = [
    ('point', 'text'),
    ('order_number', 'text'),
    ('date', 'date'),
    ('status', 'text'),
    ('cod_amount', 'money'),
    ('cash', 'money'),
    ('card', 'money'),
    ('sbp', 'money'),
    ('refunded', 'money'),
    ('refused_amount', 'money'),
    ('commission', 'money'),
    ('fine', 'money'),
    ('net', 'money'),
    ]
PDF_COLUMNS = [
    ('point', 'text', 16),
    ('order_number', 'text', 34),
    ('date', 'date', 18),
    ('status', 'text', 30),
    ('cod_amount', 'money', 22),
    ('collected', 'money', 22),
    ('refunded', 'money', 20),
    ('refused_amount', 'money', 22),
    ('commission', 'money', 20),
    ('fine', 'money', 18),
    ('net', 'money', 24),
    ]
TOTAL_FIELDS = [
    'parcel_count', 'cash', 'card', 'sbp', 'collected', 'refunded',
    'refused_amount', 'commission', 'fine_amount', 'net_amount']
POINT_FIELDS = [
    'cash', 'card', 'sbp', 'refunded', 'commission', 'fine', 'net']
BOLD_FONT = 'MultipointSansBold'
FONT_DIRS = [
    '/usr/share/fonts', '/usr/local/share/fonts',
    os.path.expanduser('~/.fonts'), os.path.expanduser('~/.local/share/fonts'),
    ]
FONT_NAMES = [
    'DejaVuSans.ttf', 'LiberationSans-Regular.ttf', 'NotoSans-Regular.ttf',
    'FreeSans.ttf', 'PTSans-Regular.ttf', 'Arial.ttf', 'arial.ttf']
BOLD_NAMES = {
    'DejaVuSans.ttf': 'DejaVuSans-Bold.ttf',
    'LiberationSans-Regular.ttf': 'LiberationSans-Bold.ttf',
    'NotoSans-Regular.ttf': 'NotoSans-Bold.ttf',
    'FreeSans.ttf': 'FreeSansBold.ttf',
    'PTSans-Regular.ttf': 'PTSans-Bold.ttf',
    'Arial.ttf': 'Arial Bold.ttf',
    'arial.ttf': 'arialbd.ttf',
    }


def _(message_id, **kwargs):
    return gettext('multipoint_settlement.msg_settlement_' + message_id,
        **kwargs)


def labels():
    "The translated labels of the fields of settlements and lines"
    pool = Pool()
    Settlement = pool.get('multipoint.settlement')
    Line = pool.get('multipoint.settlement.line')
    Fine = pool.get('multipoint.settlement.fine')
    lines = Line.fields_get()
    result = {
        'line': {n: f['string'] for n, f in lines.items()},
        'settlement': {n: f['string']
            for n, f in Settlement.fields_get().items()},
        'fine': {n: f['string'] for n, f in Fine.fields_get().items()},
        'status': dict(lines['status']['selection']),
        'fine_kind': dict(Fine.get_kinds()),
        'state': dict(Settlement.fields_get(['state'])['state']['selection']),
        }
    result['line']['collected'] = result['settlement']['collected']
    return result


def iter_lines(settlement):
    """The lines of the settlement as dicts, in the report's order, read
    LINE_PAGE at a time"""
    pool = Pool()
    Line = pool.get('multipoint.settlement.line')
    Point = pool.get('multipoint.point')
    line = Line.__table__()
    names = ['point', 'order_number', 'date', 'status', 'cod_amount',
        'cash', 'card', 'sbp', 'refunded', 'amount', 'refused_amount',
        'commission', 'fine', 'net']
    columns = [line.id] + [getattr(line, n) for n in names]
    cursor = Transaction().connection.cursor()
    codes = {}
    last = 0
    while True:
        cursor.execute(*line.select(*columns,
                where=(line.settlement == settlement.id) & (line.id > last),
                order_by=[line.id.asc], limit=LINE_PAGE))
        rows = cursor.fetchall()
        if not rows:
            return
        missing = {r[1] for r in rows} - set(codes)
        if missing:
            codes.update((p.id, p.code) for p in Point.browse(
                    [p for p in missing if p]))
        for row in rows:
            values = dict(zip(names, row[1:]))
            values['point'] = codes.get(values['point'], '')
            values['collected'] = sum(
                (values[m] or 0 for m in ['cash', 'card', 'sbp']), 0)
            yield values
        last = rows[-1][0]


class PointTotals:
    "The lines' totals by point, added up as the lines go by"

    def __init__(self):
        self.totals = {}

    def add(self, values):
        count, sums = self.totals.setdefault(
            values['point'], [0, dict.fromkeys(POINT_FIELDS, 0)])
        self.totals[values['point']][0] = count + 1
        for name in POINT_FIELDS:
            sums[name] += values[name] or 0

    def rows(self):
        "[(point code, parcels, {field: total})]"
        return [(code, count, sums)
            for code, (count, sums) in sorted(self.totals.items())]


def party_requisites(party):
    "(name, INN, address, phone) of a party"
    if not party:
        return '', '', '', ''
    address = party.address_get()
    return (party.full_name or party.rec_name, supplier_inn(party) or '',
        (address.full_address or '').replace('\n', ', ') if address else '',
        getattr(party, 'phone', None) or '')


def amount_text(value):
    "1\u00a0234,50: Russian grouping and decimal comma"
    return f'{value or 0:,.2f}'.replace(',', '\u00a0').replace('.', ',')


def period_text(settlement):
    return _('period', start=settlement.period_start.strftime('%d.%m.%Y'),
        end=settlement.period_end.strftime('%d.%m.%Y'))


def title_text(settlement):
    return _('report_title', number=settlement.number or '—')


# -- XLSX --------------------------------------------------------------


def write_xlsx(settlement, out):
    """Write the settlement's agent report as XLSX to out (a file object):
    a sheet of lines and a sheet of totals"""
    import xlsxwriter
    names = labels()
    workbook = xlsxwriter.Workbook(out, {
            'constant_memory': True,
            'tmpdir': os.environ.get('TMPDIR') or None,
            })
    try:
        header = workbook.add_format({
                'bold': True, 'text_wrap': True, 'valign': 'top',
                'bg_color': '#EEEEEE', 'border': 1})
        money_ = workbook.add_format({'num_format': '#,##0.00'})
        date_ = workbook.add_format({'num_format': 'dd.mm.yyyy'})
        bold = workbook.add_format({'bold': True})
        bold_money = workbook.add_format(
            {'bold': True, 'num_format': '#,##0.00'})
        title = workbook.add_format({'bold': True, 'font_size': 13})

        sheet = workbook.add_worksheet(_('sheet_lines'))
        for col, (name, kind) in enumerate(XLSX_COLUMNS):
            sheet.write_string(0, col, names['line'][name], header)
            width = {'text': 14, 'date': 11, 'money': 13}[kind]
            if name == 'order_number':
                width = 20
            elif name == 'status':
                width = 18
            sheet.set_column(col, col, width)
        sheet.set_row(0, 30)
        sheet.freeze_panes(1, 0)
        statuses = names['status']
        row = 0
        write_string = sheet.write_string
        write_number = sheet.write_number
        write_blank = sheet.write_blank
        money_columns = [(c, n) for c, (n, k) in enumerate(XLSX_COLUMNS)
            if k == 'money']
        by_point = PointTotals()
        for values in iter_lines(settlement):
            row += 1
            by_point.add(values)
            write_string(row, 0, values['point'])
            write_string(row, 1, values['order_number'] or '')
            date = values['date']
            if date:
                # a date is a day number in a date format
                write_number(row, 2, (date - EXCEL_EPOCH).days, date_)
            else:
                write_blank(row, 2, None)
            write_string(row, 3, statuses.get(values['status'], ''))
            for col, name in money_columns:
                write_number(row, col, float(values[name] or 0), money_)
        sheet.autofilter(0, 0, max(row, 1), len(XLSX_COLUMNS) - 1)

        totals = workbook.add_worksheet(_('sheet_totals'))
        totals.set_column(0, 0, 34)
        totals.set_column(1, 9, 15)
        settlement_names = names['settlement']
        supplier = party_requisites(settlement.supplier)
        agent = party_requisites(settlement.company.party)
        rows = [
            (title_text(settlement), title),
            (period_text(settlement), None),
            (_('agent', name=agent[0], inn=agent[1]), None),
            (_('principal', name=supplier[0], inn=supplier[1]), None),
            (_('points', points=settlement.point.rec_name
                    if settlement.point else _('all_points')), None),
            (_('state', state=names['state'].get(settlement.state, '')),
                None),
            ]
        r = 0
        for text, fmt in rows:
            totals.write_string(r, 0, text, fmt)
            r += 1
        r += 1
        totals.write_string(r, 0, _('totals'), header)
        totals.write_string(r, 1, _('amount'), header)
        r += 1
        for name in TOTAL_FIELDS:
            value = getattr(settlement, name)
            totals.write_string(r, 0, settlement_names[name],
                bold if name == 'net_amount' else None)
            if name == 'parcel_count':
                totals.write_number(r, 1, value or 0)
            else:
                totals.write_number(r, 1, float(value or 0),
                    bold_money if name == 'net_amount' else money_)
            r += 1
        direction = 'payable' if (settlement.net_amount or 0) >= 0 \
            else 'receivable'
        totals.write_string(r, 0, settlement_names[direction], bold)
        totals.write_number(r, 1, float(abs(settlement.net_amount or 0)),
            bold_money)
        r += 2

        totals.write_string(r, 0, _('by_point'), bold)
        r += 1
        heads = [names['line']['point'], settlement_names['parcel_count']] \
            + [names['line'][n] for n in POINT_FIELDS]
        for col, text in enumerate(heads):
            totals.write_string(r, col, text, header)
        r += 1
        for code, count, sums in by_point.rows():
            totals.write_string(r, 0, code)
            totals.write_number(r, 1, count)
            for col, name in enumerate(POINT_FIELDS, 2):
                totals.write_number(r, col, float(sums[name]), money_)
            r += 1
        if settlement.fines:
            r += 1
            totals.write_string(r, 0, settlement_names['fines'], bold)
            r += 1
            for col, name in enumerate(
                    ['kind', 'parcel', 'amount', 'description']):
                totals.write_string(r, col, names['fine'][name], header)
            r += 1
            for fine in settlement.fines:
                totals.write_string(r, 0,
                    names['fine_kind'].get(fine.kind, fine.kind))
                totals.write_string(r, 1,
                    fine.parcel.order_number if fine.parcel else '')
                totals.write_number(r, 2, float(fine.amount), money_)
                totals.write_string(r, 3, fine.description or '')
                r += 1
    finally:
        workbook.close()


# -- PDF ---------------------------------------------------------------


def _cyrillic(path):
    "The TTF at path draws Cyrillic"
    try:
        from reportlab.pdfbase.ttfonts import TTFontFile
        face = TTFontFile(path)
        return all(ord(c) in face.charToGlyph for c in 'ЖжЁё')
    except Exception:
        return False


def _find_font(names):
    "The first font file of names found in the usual folders"
    for folder in FONT_DIRS:
        if not os.path.isdir(folder):
            continue
        for name in names:
            for path in glob.glob(os.path.join(folder, '**', name),
                    recursive=True):
                if _cyrillic(path):
                    return path
    return None


def font():
    """(regular, bold) names of registered fonts with Cyrillic: the
    multipoint_core one (MULTIPOINT_PDF_FONT or DejaVu / Liberation in
    the usual places), else any known Cyrillic TTF found under the font
    folders; the bold one is the regular when no bold file is found"""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    registered = pdfmetrics.getRegisteredFontNames()
    if core_pdf.FONT in registered and BOLD_FONT in registered:
        return core_pdf.FONT, BOLD_FONT
    try:
        regular = core_pdf._register_font()
    except RuntimeError:
        path = _find_font(FONT_NAMES)
        if not path:
            raise SettlementError(_('font_missing'))
        pdfmetrics.registerFont(TTFont(core_pdf.FONT, path))
        regular = core_pdf.FONT
    path = pdfmetrics.getFont(regular).face.filename
    bold_path = None
    base = os.path.basename(path)
    if base in BOLD_NAMES:
        candidate = os.path.join(os.path.dirname(path), BOLD_NAMES[base])
        if os.path.exists(candidate):
            bold_path = candidate
    pdfmetrics.registerFont(TTFont(BOLD_FONT, bold_path or path))
    return regular, BOLD_FONT


class _PdfWriter:
    "The agent's report drawn page by page on a landscape A4 canvas"

    size = 7
    leading = 10.5

    def __init__(self, settlement, out):
        from reportlab.lib.pagesizes import A4, landscape
        from reportlab.lib.units import mm
        from reportlab.pdfgen import canvas
        self.mm = mm
        self.settlement = settlement
        self.font, self.bold = font()
        self.width, self.height = landscape(A4)
        self.margin = 12 * mm
        self.canvas = canvas.Canvas(out, pagesize=(self.width, self.height),
            pageCompression=1)
        self.canvas.setTitle(title_text(settlement))
        self.canvas.setAuthor(settlement.company.rec_name)
        self.page = 0
        self.names = labels()
        scale = (self.width - 2 * self.margin) / sum(
            w for _, _, w in PDF_COLUMNS)
        self.columns = []
        x = self.margin
        for name, kind, width in PDF_COLUMNS:
            self.columns.append((name, kind, x, x + width * scale))
            x += width * scale

    def new_page(self):
        if self.page:
            self.canvas.showPage()
        self.page += 1
        c = self.canvas
        c.setFont(self.font, 7)
        c.drawString(self.margin, self.margin / 2, '%s, %s' % (
                title_text(self.settlement), period_text(self.settlement)))
        label = _('page', page=self.page)
        right = self.width - self.margin
        c.drawRightString(right - 14, self.margin / 2, label)
        # the page count is drawn once known, in a form every page shows
        c.saveState()
        c.translate(right - 12, self.margin / 2)
        c.doForm('page_count')
        c.restoreState()
        self.y = self.height - self.margin

    def text(self, text, size=8, bold=False, gap=None):
        self.canvas.setFont(self.bold if bold else self.font, size)
        self.canvas.drawString(self.margin, self.y - size, text)
        self.y -= gap or size * 1.5

    def need(self, height):
        if self.y - height < self.margin:
            self.new_page()

    def header_block(self):
        settlement = self.settlement
        agent = party_requisites(settlement.company.party)
        principal = party_requisites(settlement.supplier)
        self.text(title_text(settlement), size=13, bold=True)
        self.text(period_text(settlement), size=9)
        for key, (name, inn, address, phone) in [
                ('agent_full', agent), ('principal_full', principal)]:
            self.text(_(key, name=name, inn=inn or '—',
                    address=address or '—', phone=phone or '—'), size=8)
        self.text(_('points', points=settlement.point.rec_name
                if settlement.point else _('all_points')), size=8,
            gap=16)

    def table_header(self):
        c = self.canvas
        c.setFont(self.bold, self.size)
        top = self.y
        c.setFillGray(0.92)
        c.rect(self.margin, top - 2 * self.leading,
            self.width - 2 * self.margin, 2 * self.leading, stroke=0,
            fill=1)
        c.setFillGray(0)
        for name, kind, left, right in self.columns:
            words = self.names['line'][name].split(' ')
            first = ' '.join(words[:len(words) // 2 or 1])
            second = ' '.join(words[len(words) // 2 or 1:])
            for i, part in enumerate([first, second]):
                y = top - (i + 1) * self.leading + 3
                if kind == 'money':
                    c.drawRightString(right - 2, y, part)
                else:
                    c.drawString(left + 2, y, part)
        self.y = top - 2 * self.leading - 2
        c.setFont(self.font, self.size)

    def lines(self):
        """The table of lines: one text object a page, each cell placed
        in it (a drawString per cell costs a text object each)"""
        from reportlab.pdfbase import pdfmetrics
        c = self.canvas
        statuses = self.names['status']
        face = pdfmetrics.getFont(self.font)
        scale = self.size / 1000
        widths = {}

        def width(text):
            total = 0
            for char in text:
                w = widths.get(char)
                if w is None:
                    w = widths[char] = face.stringWidth(char, 1000)
                total += w
            return total * scale

        columns = self.columns
        text = None
        for values in iter_lines(self.settlement):
            if text is None or self.y - self.leading < self.margin:
                if text is not None:
                    c.drawText(text)
                    self.new_page()
                self.table_header()
                text = c.beginText()
                text.setFont(self.font, self.size)
            y = self.y - self.leading + 3
            for name, kind, left, right in columns:
                value = values[name]
                if kind == 'money':
                    cell = amount_text(value)
                    x = right - 2 - width(cell)
                else:
                    if kind == 'date':
                        cell = value.strftime('%d.%m.%Y') if value else ''
                    elif name == 'status':
                        cell = statuses.get(value, '')
                    else:
                        cell = value or ''
                    x = left + 2
                if cell:
                    text.setTextOrigin(x, y)
                    text.textOut(cell)
            self.y -= self.leading
        if text is not None:
            c.drawText(text)
        else:
            self.table_header()

    def totals(self):
        settlement = self.settlement
        names = self.names['settlement']
        rows = [(names[n], getattr(settlement, n)) for n in TOTAL_FIELDS]
        direction = 'payable' if (settlement.net_amount or 0) >= 0 \
            else 'receivable'
        rows.append((names[direction], abs(settlement.net_amount or 0)))
        self.need(len(rows) * 12 + 30)
        self.y -= 8
        self.text(_('totals'), size=10, bold=True)
        c = self.canvas
        for i, (label, value) in enumerate(rows):
            bold = i >= len(rows) - 2
            c.setFont(self.bold if bold else self.font, 9)
            c.drawString(self.margin, self.y - 9, label)
            text = str(value or 0) if i == 0 else amount_text(value)
            c.drawRightString(self.margin + 110 * self.mm, self.y - 9, text)
            self.y -= 12
        if settlement.fines:
            self.need(30)
            self.y -= 6
            self.text(names['fines'], size=9, bold=True)
            kinds = self.names['fine_kind']
            for fine in settlement.fines:
                self.need(12)
                c.setFont(self.font, 8)
                c.drawString(self.margin, self.y - 8, '%s %s %s' % (
                        kinds.get(fine.kind, fine.kind),
                        fine.parcel.order_number if fine.parcel else '',
                        fine.description or ''))
                c.drawRightString(self.margin + 110 * self.mm, self.y - 8,
                    amount_text(fine.amount))
                self.y -= 11

    def signatures(self):
        settlement = self.settlement
        self.need(70)
        self.y -= 24
        c = self.canvas
        c.setFont(self.font, 9)
        half = (self.width - 2 * self.margin) / 2
        for i, (role, party) in enumerate([
                (_('signature_agent'), settlement.company.party),
                (_('signature_principal'), settlement.supplier)]):
            x = self.margin + i * half
            c.drawString(x, self.y, role)
            c.drawString(x, self.y - 14, party.rec_name if party else '')
            c.line(x, self.y - 40, x + 60 * self.mm, self.y - 40)
            c.line(x + 64 * self.mm, self.y - 40, x + 110 * self.mm,
                self.y - 40)
            c.setFont(self.font, 7)
            c.drawString(x, self.y - 48, _('signature'))
            c.drawString(x + 64 * self.mm, self.y - 48, _('signature_name'))
            c.drawString(x, self.y - 60, _('stamp'))
            c.setFont(self.font, 9)
        self.y -= 64

    def render(self):
        self.new_page()
        self.header_block()
        self.lines()
        self.totals()
        self.signatures()
        c = self.canvas
        c.beginForm('page_count')
        c.setFont(self.font, 7)
        c.drawString(0, 0, str(self.page))
        c.endForm()
        # compressed streams kept binary: ASCII85 would cost a fifth of
        # the time of a big report for nothing
        from reportlab import rl_config
        use_a85, rl_config.useA85 = rl_config.useA85, 0
        try:
            c.save()
        finally:
            rl_config.useA85 = use_a85


def write_pdf(settlement, out):
    "Write the settlement's agent report as PDF to out (a file object)"
    _PdfWriter(settlement, out).render()


class SettlementXLSX(Report):
    "Agent's Report (XLSX)"
    __name__ = 'multipoint.settlement.xlsx'

    @classmethod
    def _execute(cls, records, header, data, action):
        out = io.BytesIO()
        write_xlsx(records[0], out)
        return 'xlsx', out.getvalue()


class SettlementPDF(Report):
    "Agent's Report (PDF)"
    __name__ = 'multipoint.settlement.pdf'

    @classmethod
    def _execute(cls, records, header, data, action):
        out = io.BytesIO()
        write_pdf(records[0], out)
        return 'pdf', out.getvalue()
