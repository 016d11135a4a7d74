"""Settlements with suppliers: the agent's report (отчёт агента).

A settlement covers one supplier at one point (or at all points) over a
period of local dates. Its lines are the supplier's parcels that were
issued, partially issued, refused at the desk or lost in the period, and
those whose customer return was refunded in it, each with the money taken
at the desk by payment type (the agent sales of multipoint_pos), the
refunds, the value refused, the commission the supplier's terms give the
point and the fine of a lost parcel. Fines that no data shows (damage, a
wrong issue, a late acceptance) are added by hand.

Net = collected - refunded - commission + fines: positive, the point owes
it to the supplier; negative, the supplier owes the point.

compute() reads everything with a few set-based queries (no ORM record per
parcel) and writes the lines with the bulk insert of the imports, so a
month of 100,000 parcels takes seconds. Confirming posts the move that
clears the principal settlement account the POS sales credited: debit that
account (the supplier as party) by the money collected net of refunds,
credit the commission to revenue, debit the fines to expense and credit
the net to the supplier's payable account (or debit its receivable).
"""
import datetime as dt
from collections import defaultdict
from decimal import Decimal
from itertools import islice

from sql import Literal, Null
from sql.operators import Equal

from trytond import backend
from trytond.i18n import gettext
from trytond.model import (
    Exclude, Index, ModelSingleton, ModelSQL, ModelView, fields)
from trytond.modules.multipoint_core.guard import Workflow
from trytond.modules.multipoint_suppliers.bulk import insert
from trytond.modules.multipoint_suppliers.migration import move_records
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval, If
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access

from .exceptions import SettlementError

ZERO = Decimal('0.00')
CENT = Decimal('0.01')
_money = {'digits': (16, 2)}
STATES = [
    ('draft', "Draft"),
    ('confirmed', "Confirmed"),
    ('sent', "Sent"),
    ('agreed', "Agreed"),
    ('disputed', "Disputed"),
    ('paid', "Paid"),
    ]
LINE_STATUSES = [
    ('issued', "Issued"),
    ('partially_issued', "Partially Issued"),
    ('refused', "Refused"),
    ('returned', "Returned by Customer"),
    ('lost', "Lost"),
    ]
# parcel states whose event in the period puts the parcel in the report
EVENT_STATES = ['issued', 'partially_issued', 'refused', 'lost']
# sales whose money is taken (open ones wait for their receipt only)
SALE_STATES = ['open', 'done', 'posted']
METHODS = ['cash', 'card', 'sbp']
# the money columns of a line, in the order of the exports
LINE_AMOUNTS = [
    'cod_amount', 'delivery_fee', 'goods', 'delivery', 'cash', 'card',
    'sbp', 'refunded', 'amount', 'refused_amount', 'commission', 'fine',
    'net']
LINE_CHUNK = 10000
TOTALS = [
    'parcel_count', 'cash', 'card', 'sbp', 'collected', 'refunded',
    'refused_amount', 'commission', 'fine_amount', 'net_amount']

# what this module defines, for the databases where multipoint_suppliers
# did (migration.move_records)
MODELS = [
    'multipoint.settlement.configuration', 'multipoint.settlement',
    'multipoint.settlement.line', 'multipoint.settlement.fine',
    'multipoint.settlement.reconciliation',
    'multipoint.settlement.reconciliation.line',
    'multipoint.supplier.account.report_column']
FIELDS = [('multipoint.supplier.account', 'report_columns')]


def slices(ids):
    "ids in groups the database takes in one IN"
    return grouped_slice(ids, backend.MAX_QUERY_PARAMS // 2)


def in_(column, ids):
    return fields.SQL_OPERATORS['in'](column, ids)


def money(value):
    return (value or ZERO).quantize(CENT)


class Configuration(ModelSingleton, ModelSQL, ModelView):
    "Settlement Configuration"
    __name__ = 'multipoint.settlement.configuration'
    commission_account = fields.Many2One(
        'account.account', "Commission Revenue Account",
        domain=[
            ('type.revenue', '=', True),
            ('closed', '!=', True),
            ('company', '=', Eval('context', {}).get('company', -1)),
            ],
        help="The point's income: the commission of the settlements.")
    fine_account = fields.Many2One(
        'account.account', "Fine Expense Account",
        domain=[
            ('type.expense', '=', True),
            ('closed', '!=', True),
            ('company', '=', Eval('context', {}).get('company', -1)),
            ],
        help="Where the fines charged by the suppliers are booked.")
    journal = fields.Many2One(
        'account.journal', "Journal",
        help="Leave empty to use the journal of the point of sale.")
    sequence = fields.Many2One(
        'ir.sequence', "Settlement Sequence", required=True,
        domain=[('sequence_type', '=', Eval('sequence_type', -1))])
    sequence_type = fields.Function(
        fields.Many2One('ir.sequence.type', "Sequence Type"),
        'get_sequence_type')

    @classmethod
    def __register__(cls, module):
        # first of the module's classes (tryton.cfg): a database of the
        # time settlements were part of multipoint_suppliers gives them
        # to this module before anything of it is written
        move_records(module, models=MODELS, fields=FIELDS)
        super().__register__(module)

    @classmethod
    def default_sequence(cls):
        ModelData = Pool().get('ir.model.data')
        try:
            return ModelData.get_id(
                'multipoint_suppliers', 'sequence_settlement')
        except KeyError:
            return None

    def get_sequence_type(self, name=None):
        ModelData = Pool().get('ir.model.data')
        return ModelData.get_id(
            'multipoint_suppliers', 'sequence_type_settlement')


class Settlement(Workflow, ModelSQL, ModelView):
    "Supplier Settlement"
    __name__ = 'multipoint.settlement'
    _draft = {'readonly': Eval('state') != 'draft'}

    number = fields.Char("Number", readonly=True)
    company = fields.Many2One(
        'company.company', "Company", required=True, states=_draft)
    supplier = fields.Many2One(
        'party.party', "Supplier", required=True, ondelete='RESTRICT',
        states=_draft, context={'company': Eval('company', -1)},
        depends={'company'})
    point = fields.Many2One(
        'multipoint.point', "Point", ondelete='RESTRICT', states=_draft,
        domain=[('company', '=', Eval('company', -1))],
        help="Leave empty to settle every point.")
    period_start = fields.Date("From", required=True, states=_draft)
    period_end = fields.Date("To", required=True, states=_draft)
    date = fields.Date(
        "Report Date", required=True, states=_draft,
        help="The date of the agent's report and of its accounting move.")
    lines = fields.One2Many(
        'multipoint.settlement.line', 'settlement', "Lines", readonly=True)
    fines = fields.One2Many(
        'multipoint.settlement.fine', 'settlement', "Fines", states=_draft,
        help="The fines of the period: lost parcels found by the "
        "computation, others added by hand.")
    reconciliations = fields.One2Many(
        'multipoint.settlement.reconciliation', 'settlement',
        "Reconciliations", readonly=True)
    parcel_count = fields.Integer("Parcels", readonly=True)
    cash = fields.Numeric("Cash", **_money, readonly=True)
    card = fields.Numeric("Card", **_money, readonly=True)
    sbp = fields.Numeric("SBP", **_money, readonly=True)
    collected = fields.Numeric(
        "Collected", **_money, readonly=True,
        help="Taken at the desk for the supplier, every payment type.")
    refunded = fields.Numeric(
        "Refunded", **_money, readonly=True,
        help="Given back to recipients for customer returns.")
    refused_amount = fields.Numeric(
        "Refused Value", **_money, readonly=True,
        help="The COD value of the items and parcels refused.")
    commission = fields.Numeric("Commission", **_money, readonly=True)
    fine_amount = fields.Numeric("Fines", **_money, readonly=True)
    net_amount = fields.Numeric(
        "Net Amount", **_money, readonly=True,
        help="Collected - refunded - commission + fines: positive, payable "
        "to the supplier; negative, receivable from it.")
    payable = fields.Function(
        fields.Numeric("Payable to Supplier", **_money), 'get_direction')
    receivable = fields.Function(
        fields.Numeric("Receivable from Supplier", **_money),
        'get_direction')
    computed_at = fields.Timestamp("Computed At", readonly=True)
    move = fields.Many2One(
        'account.move', "Accounting Move", readonly=True,
        ondelete='RESTRICT')
    confirmed_by = fields.Many2One('res.user', "Confirmed By", readonly=True)
    confirmed_at = fields.Timestamp("Confirmed At", readonly=True)
    sent_at = fields.Timestamp("Sent At", readonly=True)
    answered_at = fields.Timestamp(
        "Answered At", readonly=True,
        help="When the supplier agreed or disputed.")
    dispute_comment = fields.Text(
        "Dispute Comment",
        states={'readonly': ~Eval('state').in_(['sent', 'disputed'])})
    paid_at = fields.Timestamp("Paid At", readonly=True)
    state = fields.Selection(
        STATES, "State", readonly=True, required=True, sort=False)
    del _draft

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.supplier, Index.Equality()),
                    (t.period_start, Index.Range())),
                Index(t, (t.state, Index.Equality(cardinality='low'))),
                })
        cls._order = [('period_start', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'confirmed'),
            ('confirmed', 'sent'),
            ('sent', 'agreed'),
            ('sent', 'disputed'),
            ('disputed', 'agreed'),
            ('disputed', 'sent'),
            ('agreed', 'paid'),
            }
        cls._buttons.update({
                'compute': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'confirm': {
                    'invisible': Eval('state') != 'draft',
                    'readonly': ~Bool(Eval('computed_at')),
                    'depends': ['state', 'computed_at'],
                    },
                'send': {
                    'invisible': ~Eval('state').in_(
                        ['confirmed', 'disputed']),
                    'depends': ['state'],
                    },
                'agree': {
                    'invisible': ~Eval('state').in_(['sent', 'disputed']),
                    'depends': ['state'],
                    },
                'dispute': {
                    'invisible': Eval('state') != 'sent',
                    'depends': ['state'],
                    },
                'pay': {
                    'invisible': Eval('state') != 'agreed',
                    'depends': ['state'],
                    },
                'reconcile': {
                    'invisible': ~Eval('state').in_(
                        ['confirmed', 'sent', 'agreed', 'disputed']),
                    'depends': ['state'],
                    },
                })

    @staticmethod
    def default_company():
        return Transaction().context.get('company')

    @staticmethod
    def default_state():
        return 'draft'

    @staticmethod
    def default_date():
        return Pool().get('ir.date').today()

    def get_rec_name(self, name):
        period = (f'{self.period_start:%d.%m.%Y}'
            f'–{self.period_end:%d.%m.%Y}')
        name = f'{self.supplier.rec_name} {period}'
        if self.point:
            name += f' @ {self.point.code}'
        return f'{self.number} {name}' if self.number else name

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, operand, *extra = clause
        bool_op = 'AND' if operator.startswith(('!', 'not ')) else 'OR'
        return [bool_op,
            ('number', operator, operand, *extra),
            ('supplier.rec_name', operator, operand, *extra),
            ]

    @classmethod
    def get_direction(cls, settlements, names):
        result = {n: {} for n in names}
        for settlement in settlements:
            net = settlement.net_amount or ZERO
            if 'payable' in result:
                result['payable'][settlement.id] = max(net, ZERO)
            if 'receivable' in result:
                result['receivable'][settlement.id] = max(-net, ZERO)
        return result

    @classmethod
    def validate_fields(cls, settlements, field_names):
        super().validate_fields(settlements, field_names)
        for settlement in settlements:
            if settlement.period_end < settlement.period_start:
                raise SettlementError(gettext(
                        'multipoint_settlement.msg_settlement_period_order',
                        settlement=settlement.rec_name))

    @classmethod
    def check_modification(
            cls, mode, settlements, values=None, external=False):
        super().check_modification(
            mode, settlements, values=values, external=external)
        if mode == 'delete':
            for settlement in settlements:
                if settlement.state != 'draft':
                    raise SettlementError(gettext(
                            'multipoint_settlement.msg_settlement_delete',
                            settlement=settlement.rec_name))

    @classmethod
    def copy(cls, settlements, default=None):
        default = default.copy() if default is not None else {}
        for name in ['number', 'lines', 'reconciliations', 'computed_at',
                'move', 'confirmed_by', 'confirmed_at', 'sent_at',
                'answered_at', 'paid_at', 'dispute_comment']:
            default.setdefault(name)
        default.setdefault('fines.automatic', False)
        return super().copy(settlements, default=default)

    @classmethod
    def delete(cls, settlements):
        # the lines of a big settlement go in one statement
        cls._delete_lines(settlements)
        super().delete(settlements)

    # -- computation ---------------------------------------------------

    def points(self):
        "The points the settlement covers"
        Point = Pool().get('multipoint.point')
        if self.point:
            return [self.point]
        with without_check_access():
            return Point.search([('company', '=', self.company.id)],
                order=[('code', 'ASC')])

    def utc_bounds(self, point):
        "The UTC moments of the period's local start and end at point"
        zone = point.tzinfo
        start = dt.datetime.combine(self.period_start, dt.time(), zone)
        end = dt.datetime.combine(
            self.period_end + dt.timedelta(days=1), dt.time(), zone)
        utc = dt.timezone.utc
        return (start.astimezone(utc).replace(tzinfo=None),
            end.astimezone(utc).replace(tzinfo=None))

    @classmethod
    @ModelView.button
    def compute(cls, settlements):
        "Read the period's parcels and money again and write the lines"
        pool = Pool()
        Fine = pool.get('multipoint.settlement.fine')
        Line = pool.get('multipoint.settlement.line')
        for settlement in settlements:
            if settlement.state != 'draft':
                raise SettlementError(gettext(
                        'multipoint_settlement.msg_settlement_not_draft',
                        settlement=settlement.rec_name))
        cls.lock(settlements)
        cls._delete_lines(settlements)
        Fine.delete(Fine.search([
                    ('settlement', 'in', [s.id for s in settlements]),
                    ('automatic', '=', True),
                    ]))
        now = dt.datetime.utcnow()
        for settlement in settlements:
            fines = []
            with without_check_access():
                lines = settlement._compute_lines(fines)
                # written in pieces: a month of a big supplier is never
                # held twice in memory
                while chunk := list(islice(lines, LINE_CHUNK)):
                    insert(Line, chunk)
            if fines:
                Fine.create(fines)
            settlement.computed_at = now
        cls.save(settlements)
        cls.update_totals(settlements)

    @classmethod
    def _delete_lines(cls, settlements):
        Line = Pool().get('multipoint.settlement.line')
        line = Line.__table__()
        cursor = Transaction().connection.cursor()
        for sub in slices([s.id for s in settlements]):
            cursor.execute(*line.delete(
                    where=in_(line.settlement, list(sub))))

    @classmethod
    def update_totals(cls, settlements):
        """Store the sums of the lines and fines. The rows are summed in
        Python: SQLite's SUM of NUMERIC columns is a float."""
        pool = Pool()
        Line = pool.get('multipoint.settlement.line')
        Fine = pool.get('multipoint.settlement.fine')
        line, fine = Line.__table__(), Fine.__table__()
        cursor = Transaction().connection.cursor()
        ids = [s.id for s in settlements]
        names = ['cash', 'card', 'sbp', 'refunded', 'refused_amount',
            'commission', 'net']
        counts = defaultdict(int)
        sums = defaultdict(lambda: dict.fromkeys(names, ZERO))
        for sub in slices(ids):
            cursor.execute(*line.select(line.settlement,
                    *[getattr(line, n) for n in names],
                    where=in_(line.settlement, list(sub))))
            while rows := cursor.fetchmany(10000):
                for settlement_id, *values in rows:
                    counts[settlement_id] += 1
                    total = sums[settlement_id]
                    for name, value in zip(names, values):
                        total[name] += _decimal(value)
        manual = defaultdict(Decimal)
        all_fines = defaultdict(Decimal)
        for sub in slices(ids):
            cursor.execute(*fine.select(
                    fine.settlement, fine.automatic, fine.amount,
                    where=in_(fine.settlement, list(sub))))
            for settlement_id, automatic, amount in cursor:
                all_fines[settlement_id] += _decimal(amount)
                if not automatic:
                    manual[settlement_id] += _decimal(amount)
        settlements = cls.browse(settlements)
        for settlement in settlements:
            values = {k: money(v) for k, v in sums[settlement.id].items()}
            settlement.parcel_count = counts[settlement.id]
            for name in ['cash', 'card', 'sbp', 'refunded',
                    'refused_amount', 'commission']:
                setattr(settlement, name, values[name])
            settlement.collected = money(sum(
                    (values[m] for m in METHODS), ZERO))
            settlement.fine_amount = money(all_fines[settlement.id])
            settlement.net_amount = money(
                values['net'] + manual[settlement.id])
        cls.save(settlements)

    def _compute_lines(self, fines):
        """The values of the lines of the settlement in the report's order
        (point, date, order number), read in a few queries; the values of
        the automatic fines are appended to fines"""
        pool = Pool()
        Terms = pool.get('multipoint.supplier.terms')
        points = self.points()
        parcels = self._period_parcels(points)
        # the money of the parcels issued or refused in the period; a
        # parcel refunded now but issued before brings its refund only
        money_ = self._payments(points, set(parcels))
        refused = self._refused_values(points)
        refunds, refund_dates = self._refunds(points)
        missing = set(refunds) - set(parcels)
        if missing:
            parcels.update(self._parcel_rows(missing, refund_dates))
        terms = Terms.for_parcels(
            {(self.supplier.id, r['point']) for r in parcels.values()})
        codes = {p.id: p.code for p in points}
        zones = {p.id: p.tzinfo for p in points}
        utc = dt.timezone.utc
        for row in parcels.values():
            moment = row['date'] or row.get('refund_date')
            if isinstance(moment, dt.datetime):
                moment = moment.replace(tzinfo=utc).astimezone(
                    zones[row['point']]).date()
            row['day'] = moment
        order = sorted(parcels, key=lambda p: (
                codes.get(parcels[p]['point'], ''),
                parcels[p]['day'] or dt.date.min,
                parcels[p]['order_number']))
        commissions = {}
        volumes = {}
        if any(t and t.commission_rule == 'volume_tiers'
                for t in terms.values()):
            volumes = self._monthly_volumes(points)
        settlement_id, supplier_id = self.id, self.supplier.id

        for parcel_id in order:
            row = parcels.pop(parcel_id)
            status = row['status'] or 'returned'
            goods, delivery, by_method = money_.pop(
                parcel_id, (ZERO, ZERO, {}))
            refunded = refunds.get(parcel_id, ZERO)
            term = terms.get((supplier_id, row['point']))
            commission = ZERO
            if status in {'issued', 'partially_issued'} and term:
                # the terms' own rule, once per amount (and month's volume)
                volume = 0
                if term.commission_rule == 'volume_tiers' and row['day']:
                    volume = volumes.get((row['point'],
                            row['day'].year, row['day'].month), 0)
                key = (term.id, goods, volume)
                if key not in commissions:
                    commissions[key] = money(term.commission(goods, volume))
                commission = commissions[key]
            if status == 'refused':
                refused_amount = row['cod_amount']
            else:
                refused_amount = refused.get(parcel_id, ZERO)
            fine = ZERO
            if status == 'lost' and row['state'] == 'lost':
                fine = self._lost_fine(term, row)
                if fine:
                    fines.append({
                            'settlement': settlement_id,
                            'kind': 'lost',
                            'parcel': parcel_id,
                            'amount': fine,
                            'automatic': True,
                            })
            amount = goods + delivery - refunded
            yield {
                'settlement': settlement_id,
                'parcel': parcel_id,
                'point': row['point'],
                'order_number': row['order_number'],
                'date': row['day'],
                'status': status,
                'prepaid': bool(row['prepaid']),
                'cod_amount': money(row['cod_amount']),
                'delivery_fee': money(row['delivery_fee']),
                'goods': money(goods),
                'delivery': money(delivery),
                'cash': money(by_method.get('cash')),
                'card': money(by_method.get('card')),
                'sbp': money(by_method.get('sbp')),
                'refunded': money(refunded),
                'amount': money(amount),
                'refused_amount': money(refused_amount),
                'commission': commission,
                'fine': fine,
                'net': money(amount - commission + fine),
                }

    @staticmethod
    def _lost_fine(term, row):
        "The fine the terms set for a lost parcel"
        fine = None
        for candidate in (term.fines if term else []):
            if candidate.kind == 'lost':
                fine = candidate
                break
        if not fine:
            return ZERO
        if fine.amount:
            return money(fine.amount)
        value = row['declared_value'] or row['cod_amount'] or ZERO
        return money(value * (fine.percent_of_value or ZERO) / 100)

    def _period_query(self, points, *columns, states=EVENT_STATES):
        """A query of columns (of the tables event, parcel given to the
        callables) over the state events of the supplier's parcels at
        points in the period, each point's local days"""
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        Event = pool.get('multipoint.parcel.event')
        parcel, event = Parcel.__table__(), Event.__table__()
        by_zone = defaultdict(list)
        for point in points:
            by_zone[self.utc_bounds(point)].append(point.id)
        moments = Literal(False)
        for (start, end), point_ids in by_zone.items():
            moments |= (parcel.point.in_(point_ids)
                & (event.date >= start) & (event.date < end))
        return event.join(parcel,
            condition=event.parcel == parcel.id).select(
            *[c(event, parcel) for c in columns],
            where=(parcel.supplier == self.supplier.id)
            & (parcel.company == self.company.id)
            & (event.kind == 'state')
            & event.to_state.in_(states)
            & moments)

    def _monthly_volumes(self, points):
        """{(point id, year, month): parcels of the supplier issued at the
        point in that local month}, over the whole months of the period:
        tiers by monthly volume count the month, not the settlement"""
        first = self.period_start.replace(day=1)
        last = self.period_end.replace(day=1) + dt.timedelta(days=31)
        months = self.__class__(supplier=self.supplier, company=self.company,
            period_start=first,
            period_end=last.replace(day=1) - dt.timedelta(days=1))
        zones = {p.id: p.tzinfo for p in points}
        utc = dt.timezone.utc
        cursor = Transaction().connection.cursor()
        cursor.execute(*months._period_query(points,
                lambda e, p: e.parcel, lambda e, p: p.point,
                lambda e, p: e.date,
                states=['issued', 'partially_issued']))
        issued = defaultdict(set)
        while rows := cursor.fetchmany(10000):
            for parcel_id, point_id, date in rows:
                day = _datetime(date).replace(tzinfo=utc).astimezone(
                    zones[point_id])
                issued[(point_id, day.year, day.month)].add(parcel_id)
        return {k: len(v) for k, v in issued.items()}

    def _period_parcels(self, points):
        """{parcel id: row} of the supplier's parcels with an issue,
        refusal or loss in the period at points; the last such event of a
        parcel gives its status"""
        cursor = Transaction().connection.cursor()
        cursor.execute(*self._period_query(points,
                lambda e, p: e.parcel, lambda e, p: e.to_state,
                lambda e, p: e.date, lambda e, p: e.id,
                lambda e, p: p.point, lambda e, p: p.order_number,
                lambda e, p: p.cod_amount, lambda e, p: p.delivery_fee,
                lambda e, p: p.prepaid, lambda e, p: p.declared_value,
                lambda e, p: p.state))
        result = {}
        while rows := cursor.fetchmany(10000):
            for (parcel_id, to_state, date, event_id, point_id, number,
                    cod, fee, prepaid, declared, state) in rows:
                date = _datetime(date)
                known = result.get(parcel_id)
                if known and (known['date'], known['event']) > (
                        date, event_id):
                    continue
                result[parcel_id] = {
                    'status': to_state, 'date': date, 'event': event_id,
                    'point': point_id, 'order_number': number,
                    'cod_amount': _decimal(cod),
                    'delivery_fee': _decimal(fee), 'prepaid': prepaid,
                    'declared_value': _decimal(declared), 'state': state,
                    }
        return result

    def _parcel_rows(self, parcel_ids, dates):
        "{parcel id: row} of parcels that are in the report by a refund"
        Parcel = Pool().get('multipoint.parcel')
        parcel = Parcel.__table__()
        cursor = Transaction().connection.cursor()
        result = {}
        for sub in slices(list(parcel_ids)):
            cursor.execute(*parcel.select(
                    parcel.id, parcel.point, parcel.order_number,
                    parcel.cod_amount, parcel.delivery_fee, parcel.prepaid,
                    parcel.declared_value, parcel.state,
                    where=in_(parcel.id, list(sub))))
            for (parcel_id, point_id, number, cod, fee, prepaid, declared,
                    state) in cursor:
                result[parcel_id] = {
                    'status': None, 'date': None, 'event': None,
                    'point': point_id, 'order_number': number,
                    'cod_amount': _decimal(cod),
                    'delivery_fee': _decimal(fee), 'prepaid': prepaid,
                    'declared_value': _decimal(declared), 'state': state,
                    'refund_date': dates.get(parcel_id),
                    }
        return result

    def _payments(self, points, parcel_ids):
        """{parcel id: (goods, delivery, {method kind: amount})} taken by
        the payment sales of the period's parcels. A sale paying several
        parcels spreads its payments over them in the order of the
        parcels, as the desk and the outbox do."""
        pool = Pool()
        Sale = pool.get('sale.point.sale')
        Line = pool.get('sale.point.sale.line')
        Payment = pool.get('sale.point.payment')
        Method = pool.get('sale.point.payment.method')
        sale, line, paying = (
            Sale.__table__(), Line.__table__(), Line.__table__())
        payment, method = Payment.__table__(), Method.__table__()
        cursor = Transaction().connection.cursor()
        sales = paying.join(sale, condition=paying.sale == sale.id).select(
            paying.sale,
            where=paying.parcel.in_(self._period_query(
                    points, lambda e, p: e.parcel))
            & (sale.supplier == self.supplier.id)
            & (sale.multipoint_kind == 'payment')
            & sale.state.in_(SALE_STATES))
        sales_lines = defaultdict(list)
        cursor.execute(*line.select(
                line.sale, line.parcel, line.agent_kind, line.quantity,
                line.unit_gross_price,
                where=line.sale.in_(sales) & (line.parcel != Null)))
        while rows := cursor.fetchmany(10000):
            for sale_id, parcel_id, kind, quantity, price in rows:
                sales_lines[sale_id].append(
                    (parcel_id, kind, _amount(quantity, price)))
        pieces = defaultdict(list)
        cursor.execute(*payment.join(method,
                condition=payment.method == method.id).select(
                payment.sale, payment.id, method.multipoint_kind,
                payment.amount,
                where=payment.sale.in_(sales)))
        while rows := cursor.fetchmany(10000):
            for sale_id, payment_id, kind, amount in rows:
                pieces[sale_id].append(
                    (payment_id, kind or 'other', _decimal(amount)))

        goods = defaultdict(Decimal)
        delivery = defaultdict(Decimal)
        methods = defaultdict(lambda: defaultdict(Decimal))
        for sale_id in sorted(sales_lines):
            due = defaultdict(Decimal)
            for parcel_id, kind, amount in sales_lines[sale_id]:
                due[parcel_id] += amount
                if parcel_id in parcel_ids:
                    if kind == 'delivery':
                        delivery[parcel_id] += amount
                    else:
                        goods[parcel_id] += amount
            left = [[kind, amount] for _, kind, amount in sorted(
                    pieces[sale_id])]
            for parcel_id in sorted(due):
                need = due[parcel_id]
                while need > 0 and left:
                    take = min(need, left[0][1])
                    if parcel_id in parcel_ids:
                        methods[parcel_id][left[0][0]] += take
                    need -= take
                    left[0][1] -= take
                    if not left[0][1]:
                        left.pop(0)
        return {p: (goods[p], delivery[p], dict(methods[p]))
            for p in set(goods) | set(delivery) | set(methods)}

    def _refunds(self, points):
        """({parcel id: amount refunded}, {parcel id: last refund date})
        by the refund sales of the period at points (sale dates are the
        points' local dates)"""
        pool = Pool()
        Sale = pool.get('sale.point.sale')
        Line = pool.get('sale.point.sale.line')
        sale, line = Sale.__table__(), Line.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*line.join(sale,
                condition=line.sale == sale.id).select(
                line.parcel, line.quantity, line.unit_gross_price,
                sale.date,
                where=(sale.supplier == self.supplier.id)
                & (sale.company == self.company.id)
                & (sale.multipoint_kind == 'refund')
                & sale.state.in_(SALE_STATES)
                & sale.pickup_point.in_([p.id for p in points])
                & (sale.date >= self.period_start)
                & (sale.date <= self.period_end)
                & (line.parcel != Null)))
        refunds = defaultdict(Decimal)
        dates = {}
        for parcel_id, quantity, price, date in cursor:
            refunds[parcel_id] -= _amount(quantity, price)
            date = _date(date)
            dates[parcel_id] = max(dates.get(parcel_id, date), date)
        return dict(refunds), dates

    def _refused_values(self, points):
        "{parcel id: value of its refused items} of the partial issues"
        ParcelLine = Pool().get('multipoint.parcel.line')
        line = ParcelLine.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*line.select(
                line.parcel, line.refused_quantity, line.unit_price,
                where=line.parcel.in_(self._period_query(points,
                        lambda e, p: e.parcel,
                        states=['partially_issued']))
                & (line.refused_quantity > 0)))
        result = defaultdict(Decimal)
        for parcel_id, quantity, price in cursor:
            result[parcel_id] += Decimal(quantity) * _decimal(price)
        return result

    # -- workflow ------------------------------------------------------

    @classmethod
    @ModelView.button
    @Workflow.transition('confirmed')
    def confirm(cls, settlements):
        """The owner confirms the report: it gets its number and its move
        is posted"""
        pool = Pool()
        Config = pool.get('multipoint.settlement.configuration')
        Move = pool.get('account.move')
        config = Config(1)
        for settlement in settlements:
            if not settlement.computed_at:
                raise SettlementError(gettext(
                        'multipoint_settlement.msg_settlement_not_computed',
                        settlement=settlement.rec_name))
        cls._check_overlap(settlements)
        moves = []
        user = Transaction().user or None
        now = dt.datetime.utcnow()
        for settlement in settlements:
            settlement.confirmed_by = user
            settlement.confirmed_at = now
            with without_check_access():
                move = settlement._get_move(config)
            if move:
                moves.append(move)
                settlement.move = move
        with without_check_access():
            Move.save(moves)
            Move.post(moves)
        # The numbers are taken last: saving and posting the moves may
        # restart the transaction to take a lock (the journal's period,
        # the fiscal year's sequence) and on PostgreSQL a number taken
        # before would be lost, leaving a gap between agent reports.
        for settlement in settlements:
            if not settlement.number:
                with Transaction().set_context(
                        company=settlement.company.id):
                    settlement.number = config.sequence.get()
        cls.save(settlements)

    @classmethod
    def _check_overlap(cls, settlements):
        "No parcel is settled twice: confirmed periods may not overlap"
        for settlement in settlements:
            domain = [
                ('id', '!=', settlement.id),
                ('company', '=', settlement.company.id),
                ('supplier', '=', settlement.supplier.id),
                ('state', '!=', 'draft'),
                ('period_start', '<=', settlement.period_end),
                ('period_end', '>=', settlement.period_start),
                ]
            if settlement.point:
                domain.append(['OR',
                        ('point', '=', None),
                        ('point', '=', settlement.point.id)])
            with without_check_access():
                others = cls.search(domain, limit=1)
            if others:
                raise SettlementError(gettext(
                        'multipoint_settlement.msg_settlement_overlap',
                        settlement=settlement.rec_name,
                        other=others[0].rec_name))

    def _point_sums(self):
        "{point id: (amount collected net of refunds, commission)}"
        Line = Pool().get('multipoint.settlement.line')
        line = Line.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*line.select(
                line.point, line.amount, line.commission,
                where=line.settlement == self.id))
        sums = defaultdict(lambda: [ZERO, ZERO])
        while rows := cursor.fetchmany(10000):
            for point_id, amount, commission in rows:
                sums[point_id][0] += _decimal(amount)
                sums[point_id][1] += _decimal(commission)
        return {p: (money(a), money(c)) for p, (a, c) in sums.items()}

    def _get_move(self, config):
        """The move clearing the principal settlement account: commission
        to revenue, fines to expense, the net to the supplier"""
        pool = Pool()
        Move = pool.get('account.move')
        MoveLine = pool.get('account.move.line')
        Period = pool.get('account.period')
        Point = pool.get('multipoint.point')
        lines = []
        supplier = self.supplier
        journal = config.journal

        def line(account, amount, party=None, description=None):
            if not amount:
                return
            move_line = MoveLine(
                account=account,
                debit=amount if amount > 0 else ZERO,
                credit=-amount if amount < 0 else ZERO,
                description=description)
            if account.party_required:
                move_line.party = party or supplier
            lines.append(move_line)

        for point_id, (amount, commission) in sorted(
                self._point_sums().items()):
            if not amount and not commission:
                continue
            point = Point(point_id)
            sale_point = point.get_sale_point()
            if not sale_point.agent_account:
                raise SettlementError(gettext(
                        'multipoint_pos.msg_pos_agent_account_missing',
                        pos=sale_point.rec_name))
            journal = journal or sale_point.journal
            # the debt the POS sales credited to the supplier is cleared
            line(sale_point.agent_account, amount, description=point.code)
            if commission:
                if not config.commission_account:
                    raise SettlementError(gettext(
                            'multipoint_settlement'
                            '.msg_settlement_commission_account'))
                line(config.commission_account, -commission,
                    description=point.code)
        if self.fine_amount:
            if not config.fine_account:
                raise SettlementError(gettext(
                        'multipoint_settlement.msg_settlement_fine_account'))
            line(config.fine_account, self.fine_amount)
        net = self.net_amount or ZERO
        if net > 0:
            line(supplier.account_payable_used, -net)
        elif net < 0:
            line(supplier.account_receivable_used, -net)
        if not lines:
            return None
        if not journal:
            raise SettlementError(gettext(
                    'multipoint_settlement.msg_settlement_journal'))
        return Move(
            company=self.company,
            journal=journal,
            period=Period.find(self.company, date=self.date),
            date=self.date,
            origin=self,
            description=self.rec_name,
            lines=lines)

    @classmethod
    @ModelView.button
    @Workflow.transition('sent')
    def send(cls, settlements):
        now = dt.datetime.utcnow()
        cls.write(settlements, {'sent_at': now, 'answered_at': None})

    @classmethod
    @ModelView.button
    @Workflow.transition('agreed')
    def agree(cls, settlements):
        cls.write(settlements, {'answered_at': dt.datetime.utcnow()})

    @classmethod
    @ModelView.button
    @Workflow.transition('disputed')
    def dispute(cls, settlements):
        for settlement in settlements:
            if not (settlement.dispute_comment or '').strip():
                raise SettlementError(gettext(
                        'multipoint_settlement.msg_settlement_dispute_comment',
                        settlement=settlement.rec_name))
        cls.write(settlements, {'answered_at': dt.datetime.utcnow()})

    @classmethod
    @ModelView.button
    @Workflow.transition('paid')
    def pay(cls, settlements):
        cls.write(settlements, {'paid_at': dt.datetime.utcnow()})

    @classmethod
    @ModelView.button_action(
        'multipoint_settlement.act_reconciliation_new')
    def reconcile(cls, settlements):
        pass


def _decimal(value):
    if value is None:
        return ZERO
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value))


def _amount(quantity, price):
    "The amount of a POS line as sale_point rounds it"
    return (Decimal(str(quantity or 0)) * _decimal(price)).quantize(CENT)


def _datetime(value):
    if isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    return value


def _date(value):
    if isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value


class SettlementLine(ModelSQL, ModelView):
    "Supplier Settlement Line"
    __name__ = 'multipoint.settlement.line'
    _log = False
    settlement = fields.Many2One(
        'multipoint.settlement', "Settlement", required=True,
        ondelete='CASCADE', readonly=True)
    parcel = fields.Many2One(
        'multipoint.parcel', "Parcel", ondelete='RESTRICT', readonly=True)
    point = fields.Many2One(
        'multipoint.point', "Point", readonly=True, ondelete='RESTRICT')
    order_number = fields.Char("Order Number", readonly=True)
    date = fields.Date("Date", readonly=True)
    status = fields.Selection(
        LINE_STATUSES, "Status", readonly=True, sort=False)
    prepaid = fields.Boolean("Prepaid", readonly=True)
    cod_amount = fields.Numeric("COD Amount", **_money, readonly=True)
    delivery_fee = fields.Numeric("Delivery Fee", **_money, readonly=True)
    goods = fields.Numeric("Goods Paid", **_money, readonly=True)
    delivery = fields.Numeric("Delivery Paid", **_money, readonly=True)
    cash = fields.Numeric("Cash", **_money, readonly=True)
    card = fields.Numeric("Card", **_money, readonly=True)
    sbp = fields.Numeric("SBP", **_money, readonly=True)
    refunded = fields.Numeric("Refunded", **_money, readonly=True)
    amount = fields.Numeric(
        "Collected Net", **_money, readonly=True,
        help="Goods and delivery paid less the refunds.")
    refused_amount = fields.Numeric(
        "Refused Value", **_money, readonly=True)
    commission = fields.Numeric("Commission", **_money, readonly=True)
    fine = fields.Numeric("Fine", **_money, readonly=True)
    net = fields.Numeric(
        "Net", **_money, readonly=True,
        help="Collected net - commission + fine.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('settlement')
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.settlement, Index.Equality()),
                    (t.order_number, Index.Equality())),
                Index(t, (t.parcel, Index.Equality())),
                })
        cls._order = [('settlement', 'DESC'), ('id', 'ASC')]

    def get_rec_name(self, name):
        return self.order_number or str(self.id)

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('order_number',) + tuple(clause[1:])]


class SettlementFine(ModelSQL, ModelView):
    "Supplier Settlement Fine"
    __name__ = 'multipoint.settlement.fine'
    _readonly = {
        'readonly': (Eval('settlement_state', 'draft') != 'draft')
        | Eval('automatic', False),
        }
    settlement = fields.Many2One(
        'multipoint.settlement', "Settlement", required=True,
        ondelete='CASCADE', states=_readonly)
    kind = fields.Selection('get_kinds', "Kind", required=True,
        states=_readonly)
    parcel = fields.Many2One(
        'multipoint.parcel', "Parcel", ondelete='RESTRICT',
        domain=[If(Eval('supplier'),
                ('supplier', '=', Eval('supplier', -1)), ())],
        states=_readonly)
    amount = fields.Numeric(
        "Amount", **_money, required=True, states=_readonly,
        domain=[('amount', '>', 0)])
    description = fields.Char("Description", states=_readonly)
    automatic = fields.Boolean(
        "Automatic", readonly=True,
        help="Found by the computation (a lost parcel); computed again "
        "with the settlement.")
    supplier = fields.Function(
        fields.Many2One('party.party', "Supplier"),
        'on_change_with_supplier')
    settlement_state = fields.Function(
        fields.Selection(STATES, "Settlement State"),
        'on_change_with_settlement_state')
    del _readonly

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('settlement')
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.settlement, Index.Equality())))
        cls._sql_constraints += [
            ('automatic_parcel_unique', Exclude(t,
                    (t.settlement, Equal), (t.parcel, Equal),
                    where=(t.automatic == Literal(True))),
                'multipoint_settlement.msg_settlement_fine_unique'),
            ]

    @classmethod
    def get_kinds(cls):
        Fine = Pool().get('multipoint.supplier.terms.fine')
        return Fine.fields_get(['kind'])['kind']['selection']

    @staticmethod
    def default_automatic():
        return False

    @fields.depends('settlement', '_parent_settlement.supplier')
    def on_change_with_supplier(self, name=None):
        if self.settlement and self.settlement.supplier:
            return self.settlement.supplier.id

    @fields.depends('settlement', '_parent_settlement.state')
    def on_change_with_settlement_state(self, name=None):
        if self.settlement:
            return self.settlement.state

    @fields.depends(
        'kind', 'parcel', 'amount', 'settlement',
        '_parent_settlement.supplier')
    def on_change_parcel(self):
        "The amount the supplier's terms set for the kind"
        Terms = Pool().get('multipoint.supplier.terms')
        if not (self.parcel and self.kind) or self.amount:
            return
        term = Terms.for_parcels([(self.parcel.supplier.id,
                    self.parcel.point.id)]).get(
            (self.parcel.supplier.id, self.parcel.point.id))
        for fine in (term.fines if term else []):
            if fine.kind == self.kind:
                if fine.amount:
                    self.amount = fine.amount
                elif fine.percent_of_value:
                    value = (self.parcel.declared_value
                        or self.parcel.cod_amount or ZERO)
                    self.amount = money(value * fine.percent_of_value / 100)
                break

    @classmethod
    def check_modification(cls, mode, fines, values=None, external=False):
        super().check_modification(
            mode, fines, values=values, external=external)
        for fine in fines:
            if fine.settlement.state != 'draft':
                raise SettlementError(gettext(
                        'multipoint_settlement.msg_settlement_not_draft',
                        settlement=fine.settlement.rec_name))

    @classmethod
    def on_modification(cls, mode, fines, field_names=None):
        super().on_modification(mode, fines, field_names=field_names)
        if mode != 'delete':
            Settlement = Pool().get('multipoint.settlement')
            Settlement.update_totals(list({f.settlement for f in fines}))

    @classmethod
    def on_delete(cls, fines):
        callback = super().on_delete(fines)
        settlements = list({f.settlement for f in fines})
        if settlements:
            Settlement = Pool().get('multipoint.settlement')
            ids = [s.id for s in settlements]
            callback.append(lambda: Settlement.update_totals(
                    Settlement.browse(
                        Settlement.search([('id', 'in', ids)]))))
        return callback


class Move(metaclass=PoolMeta):
    __name__ = 'account.move'

    @classmethod
    def _get_origin(cls):
        return super()._get_origin() + ['multipoint.settlement']
