"""Reconciliation (сверка) of a settlement with the supplier's own report.

The supplier's report (CSV or XLSX) is read by the manifest reader with
header aliases: the usual Russian and English headers, the account's own
headers first (its report columns, and its manifest header of the order
number). It is matched with the settlement's lines by order number:

- an order of the supplier's report missing in ours, or ours missing in
  theirs;
- the amount collected (net of refunds), the status and, when the report
  has it, the commission differing;
- an order repeated in the supplier's report.

Each difference is a line the accountant resolves with a decision and a
comment; who resolved it and when is recorded. Reading the file and
comparing are done in memory over one query of the lines, so a report of
100,000 orders reconciles in seconds.
"""
import datetime as dt
from decimal import Decimal

from sql.aggregate import Count

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.modules.multipoint_core.guard import Workflow
from trytond.modules.multipoint_suppliers.bulk import insert
from trytond.modules.multipoint_suppliers.manifest import (
    COLUMNS as MANIFEST_COLUMNS, map_columns, normalize_header,
    parse_decimal, read_table)
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, If
from trytond.transaction import Transaction

from .exceptions import ReconciliationError
from .settlement import LINE_STATUSES, in_, slices

_money = {'digits': (16, 2)}
ZERO = Decimal('0.00')
# (key, required, header aliases); the first alias is the one shown
REPORT_COLUMNS = [
    ('order_number', True, dict(
            (k, a) for k, _, a in MANIFEST_COLUMNS)['order_number']),
    ('amount', True, [
            "Сумма", "Получено", "Получено от получателя",
            "Принято от получателя", "Сумма получена", "Оплачено",
            "Сумма оплаты", "Amount", "Collected", "amount"]),
    ('status', False, [
            "Статус", "Статус заказа", "Статус отправления", "Status",
            "status"]),
    ('commission', False, [
            "Вознаграждение", "Вознаграждение агента", "Комиссия",
            "Commission", "commission"]),
    ]
REPORT_COLUMN_NAMES = [
    ('order_number', "Order Number"),
    ('amount', "Amount Collected"),
    ('status', "Status"),
    ('commission', "Commission"),
    ]
# the supplier's words for our statuses, compared as headers are
STATUS_ALIASES = {
    'issued': [
        "выдан", "выдано", "вручен", "вручено", "доставлен", "получен",
        "выкуплен", "issued", "delivered"],
    'partially_issued': [
        "частично выдан", "выдан частично", "частичная выдача",
        "частичный выкуп", "частично выкуплен", "partially issued",
        "partial"],
    'refused': [
        "отказ", "отказ получателя", "отказ от получения", "не выкуплен",
        "refused", "rejected"],
    'returned': [
        "возврат", "возврат покупателя", "возвращен покупателем",
        "возврат от покупателя", "returned", "customer return"],
    'lost': ["утерян", "утеря", "потерян", "lost"],
    }
KINDS = [
    ('missing_ours', "Missing in our report"),
    ('missing_theirs', "Missing in the supplier's report"),
    ('amount', "Amount differs"),
    ('status', "Status differs"),
    ('commission', "Commission differs"),
    ('duplicate', "Repeated in the supplier's report"),
    ]
RESOLUTIONS = [
    (None, ""),
    ('ours', "Our figure stands"),
    ('theirs', "Supplier's figure accepted"),
    ('corrected', "Corrected in the next settlement"),
    ('written_off', "Written off"),
    ]
MAX_ERRORS = 10


def default_report_aliases():
    return {key: list(aliases) for key, _, aliases in REPORT_COLUMNS}


def report_aliases(account=None):
    "{column: [header, ...]} with the account's own headers first"
    aliases = default_report_aliases()
    if account:
        for column in account.columns:
            if column.column == 'order_number':
                aliases['order_number'].insert(0, column.header)
        for column in account.report_columns:
            aliases[column.column].insert(0, column.header)
    return aliases


def status_of(text):
    "Our status for the supplier's words, or None"
    key = normalize_header(text)
    for status, words in STATUS_ALIASES.items():
        if key in words:
            return status
    return None


def read_report(data, aliases):
    """[(row number, order number, amount, status text or None,
    commission or None)] of the supplier's report; raises
    ReconciliationError with the rows that can't be read"""
    try:
        _, _, table = read_table(data)
    except Exception as exception:
        raise ReconciliationError(gettext(
                'multipoint_suppliers.msg_manifest_unreadable',
                error=str(exception)))
    table = [(n, r) for n, r in table if any(_text(c) for c in r)]
    if len(table) < 2:
        raise ReconciliationError(gettext(
                'multipoint_suppliers.msg_manifest_empty'))
    (_, headers), rows = table[0], table[1:]
    mapping = map_columns(headers, aliases)
    found = set(mapping.values())
    for key, required, _ in REPORT_COLUMNS:
        if required and key not in found:
            raise ReconciliationError(gettext(
                    'multipoint_suppliers.msg_manifest_column_missing',
                    column=aliases[key][0],
                    aliases=', '.join(f'«{a}»' for a in aliases[key])))
    index = {key: i for i, key in mapping.items()}
    header = {key: str(headers[i]) for i, key in mapping.items()}

    def cell(cells, key):
        i = index.get(key)
        if i is None or i >= len(cells):
            return ''
        return _text(cells[i])

    result, errors = [], []
    for number, cells in rows:
        order = cell(cells, 'order_number')
        if not order:
            errors.append(gettext('multipoint_suppliers.msg_row_prefix',
                    row=number, message=gettext(
                        'multipoint_suppliers.msg_row_order_missing',
                        row=number, column=header['order_number'])))
            continue
        amounts = {}
        for key in ['amount', 'commission']:
            text = cell(cells, key)
            if key not in index or (key == 'commission' and not text):
                amounts[key] = None
                continue
            amount = parse_decimal(text or '0')
            if amount is None:
                errors.append(gettext(
                        'multipoint_suppliers.msg_row_prefix', row=number,
                        message=gettext(
                            'multipoint_suppliers.msg_row_number_invalid',
                            row=number, column=header[key], value=text)))
            amounts[key] = amount
        status = cell(cells, 'status') if 'status' in index else None
        result.append((number, order, amounts['amount'], status,
                amounts['commission']))
    if errors:
        more = len(errors) - MAX_ERRORS
        text = '\n'.join(errors[:MAX_ERRORS])
        if more > 0:
            text += '\n' + gettext(
                'multipoint_settlement.msg_reconciliation_more_errors',
                count=more)
        raise ReconciliationError(gettext(
                'multipoint_settlement.msg_reconciliation_rows',
                errors=text))
    return result


def _text(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value if value is not None else '').replace(
        '\u00a0', ' ').strip()


class Account(metaclass=PoolMeta):
    __name__ = 'multipoint.supplier.account'
    report_columns = fields.One2Many(
        'multipoint.supplier.account.report_column', 'account',
        "Report Column Headers",
        help="The headers of this supplier's settlement reports, besides "
        "the usual ones.")


class AccountReportColumn(ModelSQL, ModelView):
    "Supplier Account Report Column Header"
    __name__ = 'multipoint.supplier.account.report_column'
    account = fields.Many2One(
        'multipoint.supplier.account', "Account", required=True,
        ondelete='CASCADE')
    column = fields.Selection(REPORT_COLUMN_NAMES, "Column", required=True)
    header = fields.Char(
        "Header", required=True,
        help="The header of the column in this supplier's reports.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('account')
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.account, Index.Equality())))


class Reconciliation(Workflow, ModelSQL, ModelView):
    "Settlement Reconciliation"
    __name__ = 'multipoint.settlement.reconciliation'
    _draft = {'readonly': Eval('state') != 'draft'}
    settlement = fields.Many2One(
        'multipoint.settlement', "Settlement", required=True,
        ondelete='CASCADE', states=_draft,
        domain=[('state', 'in',
                ['confirmed', 'sent', 'agreed', 'disputed', 'paid'])])
    supplier = fields.Function(
        fields.Many2One('party.party', "Supplier"),
        'on_change_with_supplier')
    account = fields.Many2One(
        'multipoint.supplier.account', "Supplier Account", states=_draft,
        domain=[If(Eval('supplier'),
                ('supplier', '=', Eval('supplier', -1)), ())],
        help="Its column headers are used to read the report.")
    file = fields.Binary(
        "Supplier's Report", filename='file_name', states=_draft)
    file_name = fields.Char("File Name", states=_draft)
    matched_by = fields.Many2One('res.user', "Matched By", readonly=True)
    matched_at = fields.Timestamp("Matched At", readonly=True)
    rows = fields.Integer("Rows", readonly=True)
    matched = fields.Integer(
        "Matching Orders", readonly=True,
        help="Orders found on both sides with the same figures.")
    difference_count = fields.Integer("Differences", readonly=True)
    pending_count = fields.Function(
        fields.Integer("Pending"), 'get_pending_count')
    lines = fields.One2Many(
        'multipoint.settlement.reconciliation.line', 'reconciliation',
        "Differences", readonly=True)
    state = fields.Selection([
            ('draft', "Draft"),
            ('matched', "Matched"),
            ('done', "Done"),
            ], "State", readonly=True, required=True, sort=False)
    del _draft

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.settlement, Index.Equality())))
        cls._order = [('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'matched'),
            ('matched', 'done'),
            ('matched', 'draft'),
            }
        cls._buttons.update({
                'match': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'draft': {
                    'invisible': Eval('state') != 'matched',
                    'depends': ['state'],
                    },
                'done': {
                    'invisible': Eval('state') != 'matched',
                    'depends': ['state'],
                    },
                })

    @staticmethod
    def default_state():
        return 'draft'

    @fields.depends('settlement', '_parent_settlement.supplier')
    def on_change_with_supplier(self, name=None):
        if self.settlement and self.settlement.supplier:
            return self.settlement.supplier.id

    @fields.depends('settlement', 'account', '_parent_settlement.supplier')
    def on_change_settlement(self):
        Account = Pool().get('multipoint.supplier.account')
        if self.settlement and not self.account:
            accounts = Account.search([
                    ('supplier', '=', self.settlement.supplier.id)],
                limit=1)
            self.account = accounts[0] if accounts else None

    def get_rec_name(self, name):
        return self.settlement.rec_name

    @classmethod
    def get_pending_count(cls, reconciliations, name):
        Line = Pool().get('multipoint.settlement.reconciliation.line')
        line = Line.__table__()
        cursor = Transaction().connection.cursor()
        counts = {r.id: 0 for r in reconciliations}
        for sub in slices(list(counts)):
            cursor.execute(*line.select(
                    line.reconciliation, Count(line.id),
                    where=in_(line.reconciliation, list(sub))
                    & (line.state == 'pending'),
                    group_by=[line.reconciliation]))
            counts.update(dict(cursor))
        return counts

    @classmethod
    def check_modification(
            cls, mode, reconciliations, values=None, external=False):
        super().check_modification(
            mode, reconciliations, values=values, external=external)
        if mode == 'delete':
            for reconciliation in reconciliations:
                if reconciliation.state == 'done':
                    raise ReconciliationError(gettext(
                            'multipoint_settlement'
                            '.msg_reconciliation_delete_done',
                            reconciliation=reconciliation.rec_name))

    @classmethod
    def _delete_lines(cls, reconciliations):
        Line = Pool().get('multipoint.settlement.reconciliation.line')
        line = Line.__table__()
        cursor = Transaction().connection.cursor()
        ids = [r.id for r in reconciliations]
        for sub in slices(ids):
            cursor.execute(*line.delete(
                    where=in_(line.reconciliation, list(sub))))

    @classmethod
    def delete(cls, reconciliations):
        cls._delete_lines(reconciliations)
        super().delete(reconciliations)

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, reconciliations):
        "Back to the file: its differences go, resolved ones included"
        for reconciliation in reconciliations:
            if any(l.state == 'resolved' for l in reconciliation.lines):
                raise ReconciliationError(gettext(
                        'multipoint_settlement.msg_reconciliation_resolved',
                        reconciliation=reconciliation.rec_name))
        cls._delete_lines(reconciliations)

    @classmethod
    @ModelView.button
    @Workflow.transition('matched')
    def match(cls, reconciliations):
        "Read the supplier's report and list the differences"
        Line = Pool().get('multipoint.settlement.reconciliation.line')
        cls.lock(reconciliations)
        cls._delete_lines(reconciliations)
        now = dt.datetime.utcnow()
        user = Transaction().user or None
        for reconciliation in reconciliations:
            if not reconciliation.file:
                raise ReconciliationError(gettext(
                        'multipoint_settlement.msg_reconciliation_no_file',
                        reconciliation=reconciliation.rec_name))
            rows = read_report(reconciliation.file,
                report_aliases(reconciliation.account))
            lines, matched = reconciliation.compare(rows)
            insert(Line, lines)
            reconciliation.rows = len(rows)
            reconciliation.matched = matched
            reconciliation.difference_count = len(lines)
            reconciliation.matched_by = user
            reconciliation.matched_at = now
        cls.save(reconciliations)

    def _ours(self):
        "{order number: (line id, status, amount, commission)}"
        SettlementLine = Pool().get('multipoint.settlement.line')
        line = SettlementLine.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*line.select(
                line.order_number, line.id, line.status, line.amount,
                line.commission,
                where=line.settlement == self.settlement.id))
        ours = {}
        while rows := cursor.fetchmany(10000):
            for number, line_id, status, amount, commission in rows:
                ours[number] = (line_id, status, _decimal(amount),
                    _decimal(commission))
        return ours

    def compare(self, rows):
        """(values of the difference lines, count of orders matching)
        of the supplier's rows against the settlement's lines"""
        ours = self._ours()
        seen = {}
        lines = []
        matched = 0

        def difference(kind, number, row=None, ours_=None, **values):
            line_id, status, amount, commission = ours_ or (
                None, None, None, None)
            values = dict({
                    'reconciliation': self.id,
                    'order_number': number,
                    'kind': kind,
                    'row': row,
                    'settlement_line': line_id,
                    'our_status': status,
                    'our_amount': amount,
                    'state': 'pending',
                    }, **values)
            if (values.get('their_amount') is not None
                    and values.get('our_amount') is not None):
                values['difference'] = (
                    values['their_amount'] - values['our_amount'])
            lines.append(values)

        for number, order, amount, status_text, commission in rows:
            if order in seen:
                difference('duplicate', order, number, ours.get(order),
                    their_amount=amount, their_status=status_text)
                continue
            seen[order] = number
            mine = ours.get(order)
            if mine is None:
                difference('missing_ours', order, number,
                    their_amount=amount, their_status=status_text)
                continue
            _, status, our_amount, our_commission = mine
            same = True
            if amount != our_amount:
                same = False
                difference('amount', order, number, mine,
                    their_amount=amount)
            if status_text is not None and status_of(status_text) != status:
                same = False
                difference('status', order, number, mine,
                    their_status=status_text, their_amount=amount)
            if commission is not None and commission != our_commission:
                same = False
                difference('commission', order, number, mine,
                    our_amount=our_commission, their_amount=commission)
            if same:
                matched += 1
        for order in sorted(set(ours) - set(seen)):
            difference('missing_theirs', order, None, ours[order])
        return lines, matched

    @classmethod
    @ModelView.button
    @Workflow.transition('done')
    def done(cls, reconciliations):
        for reconciliation in reconciliations:
            if reconciliation.pending_count:
                raise ReconciliationError(gettext(
                        'multipoint_settlement.msg_reconciliation_pending',
                        reconciliation=reconciliation.rec_name,
                        count=reconciliation.pending_count))


def _decimal(value):
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value))


class ReconciliationLine(ModelSQL, ModelView):
    "Settlement Reconciliation Difference"
    __name__ = 'multipoint.settlement.reconciliation.line'
    _log = False
    _pending = {'readonly': Eval('state') != 'pending'}
    reconciliation = fields.Many2One(
        'multipoint.settlement.reconciliation', "Reconciliation",
        required=True, ondelete='CASCADE', readonly=True)
    order_number = fields.Char("Order Number", readonly=True)
    kind = fields.Selection(KINDS, "Difference", readonly=True)
    row = fields.Integer(
        "Row", readonly=True, help="The row of the supplier's report.")
    settlement_line = fields.Many2One(
        'multipoint.settlement.line', "Settlement Line", readonly=True,
        ondelete='SET NULL')
    our_status = fields.Selection(
        [(None, "")] + LINE_STATUSES, "Our Status", readonly=True)
    their_status = fields.Char("Supplier's Status", readonly=True)
    our_amount = fields.Numeric("Our Amount", **_money, readonly=True)
    their_amount = fields.Numeric(
        "Supplier's Amount", **_money, readonly=True)
    difference = fields.Numeric(
        "Difference", **_money, readonly=True,
        help="The supplier's amount less ours.")
    resolution = fields.Selection(
        RESOLUTIONS, "Resolution", states=_pending)
    comment = fields.Text("Comment", states=_pending)
    resolved_by = fields.Many2One('res.user', "Resolved By", readonly=True)
    resolved_at = fields.Timestamp("Resolved At", readonly=True)
    state = fields.Selection([
            ('pending', "Pending"),
            ('resolved', "Resolved"),
            ], "State", readonly=True, required=True)
    del _pending

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('reconciliation')
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.reconciliation, Index.Equality()),
                    (t.state, Index.Equality(cardinality='low'))),
                })
        cls._order = [('reconciliation', 'DESC'), ('id', 'ASC')]
        cls._buttons.update({
                'resolve': {
                    'invisible': Eval('state') != 'pending',
                    'depends': ['state'],
                    },
                })

    @staticmethod
    def default_state():
        return 'pending'

    def get_rec_name(self, name):
        return self.order_number or str(self.id)

    @classmethod
    def check_modification(cls, mode, lines, values=None, external=False):
        super().check_modification(
            mode, lines, values=values, external=external)
        if mode == 'write' and external:
            for line in lines:
                if line.state != 'pending':
                    raise ReconciliationError(gettext(
                            'multipoint_settlement'
                            '.msg_reconciliation_line_resolved',
                            order=line.order_number))

    @classmethod
    @ModelView.button
    def resolve(cls, lines):
        "Record the decision on each difference: who, when, why"
        for line in lines:
            if line.state != 'pending':
                raise ReconciliationError(gettext(
                        'multipoint_settlement'
                        '.msg_reconciliation_line_resolved',
                        order=line.order_number))
            if not line.resolution or not (line.comment or '').strip():
                raise ReconciliationError(gettext(
                        'multipoint_settlement'
                        '.msg_reconciliation_resolution_needed',
                        order=line.order_number))
        cls.write(lines, {
                'state': 'resolved',
                'resolved_by': Transaction().user or None,
                'resolved_at': dt.datetime.utcnow(),
                })
