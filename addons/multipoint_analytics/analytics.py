"""Reporting models of the network: SQL views (table_query) over the parcel
journal, the reception scans and the parcels, read through a context model
(dates, period, point, supplier) the way Tryton's sale reporting is.

Every figure is counted in the point's own time zone: an event belongs to
the calendar day of the point where it happened. PostgreSQL converts with
``AT TIME ZONE``; on SQLite the same conversion is a Python function
registered on the connection (``MP_LOCAL_PERIOD``).
"""
import datetime as dt
from zoneinfo import ZoneInfo

from sql import Cast, Column, Literal, Null, Union, Window
from sql.aggregate import Avg, Count, Max, Min, Sum
from sql.conditionals import Case, Coalesce
from sql.functions import (
    AtTimeZone, DateTrunc, Extract, Function, RowNumber)

from trytond import backend
from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval, If, PYSONEncoder
from trytond.transaction import Transaction
from trytond.wizard import StateAction, Wizard

# the widest offsets of a time zone from UTC are +14 h and -12 h: a UTC
# range this much wider holds every event of the local days
UTC_MARGIN = dt.timedelta(hours=15)
PERIODS = [
    ('day', "Day"),
    ('week', "Week"),
    ('month', "Month"),
    ]
# parcels at the point (core's ON_SITE_STATES)
ON_SITE_STATES = ['accepted', 'stored', 'refused', 'to_return']


class LocalPeriod(Function):
    "SQLite: the local date (day, week or month start) of a UTC timestamp"
    __slots__ = ()
    _function = 'MP_LOCAL_PERIOD'


def truncate(date, period):
    "The first day of the period (day, ISO week, month) holding date"
    if period == 'week':
        return date - dt.timedelta(days=date.weekday())
    if period == 'month':
        return date.replace(day=1)
    return date


def local_date(moment, timezone):
    "The calendar date at timezone of a naive UTC datetime"
    return moment.replace(tzinfo=dt.timezone.utc).astimezone(
        ZoneInfo(timezone or 'UTC')).date()


def utc_bounds(start, end, timezone):
    """The naive UTC datetimes [from, to) of the local days start..end
    (inclusive) at timezone"""
    zone = ZoneInfo(timezone or 'UTC')

    def utc(day):
        return dt.datetime.combine(day, dt.time(), tzinfo=zone).astimezone(
            dt.timezone.utc).replace(tzinfo=None)
    return utc(start), utc(end + dt.timedelta(days=1))


def _sqlite_local_period(value, timezone, period):
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return truncate(local_date(value, timezone), period).isoformat()


def local_period(column, timezone, period='day'):
    """SQL expression: the date of the period (day, week, month) holding
    the UTC timestamp column in the time zone named by the timezone
    column"""
    if backend.name == 'sqlite':
        Transaction().connection.create_function(
            'MP_LOCAL_PERIOD', 3, _sqlite_local_period, deterministic=True)
        return LocalPeriod(column, timezone, period)
    local = AtTimeZone(AtTimeZone(column, 'UTC'), timezone)
    if period != 'day':
        local = DateTrunc(period, local)
    return Cast(local, 'DATE')


class LocalPart(Function):
    "SQLite: the local hour (0-23) or ISO weekday (1-7) of a UTC timestamp"
    __slots__ = ()
    _function = 'MP_LOCAL_PART'


def _sqlite_local_part(value, timezone, part):
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    local = value.replace(tzinfo=dt.timezone.utc).astimezone(
        ZoneInfo(timezone or 'UTC'))
    return local.hour if part == 'hour' else local.isoweekday()


def local_part(column, timezone, part):
    """SQL expression: the local hour of the day (part 'hour') or the ISO
    weekday, 1 for Monday (part 'isodow'), of the UTC timestamp column"""
    if backend.name == 'sqlite':
        Transaction().connection.create_function(
            'MP_LOCAL_PART', 3, _sqlite_local_part, deterministic=True)
        return LocalPart(column, timezone, part)
    local = AtTimeZone(AtTimeZone(column, 'UTC'), timezone)
    return Cast(Extract(part.upper(), local), 'INTEGER')


class DatePeriod(Function):
    "SQLite: the first day of the period (day, week, month) of a date"
    __slots__ = ()
    _function = 'MP_DATE_PERIOD'


def _sqlite_date_period(value, period):
    if value is None:
        return None
    if not isinstance(value, dt.date):
        value = dt.date.fromisoformat(str(value)[:10])
    return truncate(value, period).isoformat()


def date_period(column, period='day'):
    "SQL expression: the first day of the period holding the date column"
    if backend.name == 'sqlite':
        Transaction().connection.create_function(
            'MP_DATE_PERIOD', 2, _sqlite_date_period, deterministic=True)
        return DatePeriod(column, period)
    if period == 'day':
        return column
    return Cast(DateTrunc(period, column), 'DATE')


def period_end(start, period):
    "The last day of the period that begins on start"
    if period == 'week':
        return start + dt.timedelta(days=6)
    if period == 'month':
        return (start.replace(day=28) + dt.timedelta(days=4)).replace(
            day=1) - dt.timedelta(days=1)
    return start


def flag(condition):
    return Case((condition, 1), else_=0)


def context_dates():
    """from_date, to_date of the context, this month by default"""
    context = Transaction().context
    Date = Pool().get('ir.date')
    to_date = context.get('to_date') or Date.today()
    from_date = context.get('from_date') or to_date.replace(day=1)
    if isinstance(from_date, dt.datetime):
        from_date = from_date.date()
    if isinstance(to_date, dt.datetime):
        to_date = to_date.date()
    return from_date, to_date


def context_period():
    period = Transaction().context.get('period')
    return period if period in dict(PERIODS) else 'day'


# the figures counted from the journal, each a condition on the event
def _event_figures(event):
    state = event.kind == 'state'
    return [
        ('expected', event.kind == 'created'),
        ('accepted', state & (event.to_state == 'accepted')
            & (event.from_state == 'expected')),
        ('stored', state & (event.to_state == 'stored')),
        ('issued', state & (event.to_state == 'issued')),
        ('partially_issued', state
            & (event.to_state == 'partially_issued')),
        ('refused', state & (event.to_state == 'refused')),
        ('returned', state & (event.to_state == 'returned')),
        # queued for return by the storage-deadline job, which gives its
        # reason; a manager's "to return" and a refusal give none or come
        # from another state
        ('expired', state & (event.to_state == 'to_return')
            & event.from_state.in_(['accepted', 'stored'])
            & (event.detail != Null)),
        ('lost', state & (event.to_state == 'lost')),
        ('missing', event.kind == 'missing'),
        ('damaged', event.kind == 'damaged'),
        ('extended', event.kind == 'extension'),
        ('served', event.kind == 'service'),
        ]


FIGURES = [
    'expected', 'accepted', 'stored', 'issued', 'partially_issued',
    'refused', 'returned', 'expired', 'lost', 'missing', 'damaged',
    'extended', 'served']


# the columns of a row of facts(), in order
FACT_COLUMNS = ['id', 'point', 'company', 'day', 'date',
    *FIGURES, 'surplus', 'recipients']


def journal(from_date, to_date, point=None, supplier=None, company=None,
        join_parcel=False):
    """The journal events that may fall on the local days from_date..to_date
    (a UTC range wider by the widest offsets, which the (point, date) index
    serves), joined to their point and filtered by the context's point,
    company and supplier: (event, point, parcel or None, from item, where)"""
    pool = Pool()
    Event = pool.get('multipoint.parcel.event')
    Point = pool.get('multipoint.point')
    Parcel = pool.get('multipoint.parcel')
    utc_from = dt.datetime.combine(from_date, dt.time()) - UTC_MARGIN
    utc_to = (dt.datetime.combine(to_date, dt.time())
        + dt.timedelta(days=1) + UTC_MARGIN)
    event = Event.__table__()
    point_t = Point.__table__()
    from_item = event.join(point_t, condition=event.point == point_t.id)
    where = (event.date >= utc_from) & (event.date < utc_to)
    if point:
        where &= event.point == point
    if company:
        where &= point_t.company == company
    parcel = None
    if supplier or join_parcel:
        parcel = Parcel.__table__()
        from_item = from_item.join(
            parcel, condition=event.parcel == parcel.id)
        if supplier:
            where &= parcel.supplier == supplier
    return event, point_t, parcel, from_item, where


def facts(from_date, to_date, period='day', point=None, supplier=None,
        company=None):
    """The rows (FACT_COLUMNS) the figures of the local days
    from_date..to_date are summed from: the daily summary up to the last
    day it holds, the journal itself after it"""
    Day = Pool().get('multipoint.analytics.day')
    filters = dict(point=point, supplier=supplier, company=company)
    through = Day.summarized_through()
    if through is None or through < from_date:
        return live_facts(from_date, to_date, period, **filters)
    summary = Day.facts(from_date, min(to_date, through), period, **filters)
    if to_date <= through:
        return summary
    live_from = through + dt.timedelta(days=1)
    live = live_facts(live_from, to_date, period, **filters)
    # the journal's wider UTC range also holds summarized days: left out
    live = live.select(*[Column(live, c) for c in FACT_COLUMNS],
        where=Column(live, 'day') >= live_from)
    return Union(summary, live, all_=True)


def live_facts(from_date, to_date, period='day', point=None, supplier=None,
        company=None, by_supplier=False):
    """One row per journal event, per recipient served and per surplus
    scan of the local days from_date..to_date (and some hours around):
    FACT_COLUMNS, a 0/1 column per figure, surplus and recipients.
    by_supplier (the daily summary's build) adds the parcel's supplier after
    company, and recipients_all at the end: a recipient served counts once
    in recipients per supplier of the parcels handed over, and once in all
    (supplier NULL)"""
    pool = Pool()
    Point = pool.get('multipoint.point')
    Scan = pool.get('multipoint.reception.scan')
    Reception = pool.get('multipoint.reception')
    event, point_t, parcel, from_item, where = journal(
        from_date, to_date, point, supplier, company,
        join_parcel=by_supplier)

    def supplier_column(value):
        return [value.as_('supplier')] if by_supplier else []
    # a typed NULL, which PostgreSQL unions with the parcels' supplier ids
    no_supplier = Cast(Literal(None), 'INTEGER')

    def all_column(value):
        return [Literal(value).as_('recipients_all')] if by_supplier else []

    events = from_item.select(
        (event.id * 4).as_('id'),
        event.point.as_('point'),
        point_t.company.as_('company'),
        *supplier_column(parcel.supplier if by_supplier else None),
        local_period(event.date, point_t.timezone).as_('day'),
        local_period(event.date, point_t.timezone, period).as_('date'),
        *[flag(cond).as_(name) for name, cond in _event_figures(event)],
        Literal(0).as_('surplus'),
        Literal(0).as_('recipients'),
        *all_column(0),
        where=where)

    # one row per recipient served: the events of one issue share their
    # moment; counted apart so that every figure is a plain sum (no
    # DISTINCT, which would sort all the rows)
    def recipients(per_supplier, all_):
        keys = [event.point, point_t.company, point_t.timezone, event.date]
        if per_supplier:
            keys.append(parcel.supplier)
        served = from_item.select(
            Min(event.id).as_('id'),
            event.point.as_('point'),
            point_t.company.as_('company'),
            point_t.timezone.as_('timezone'),
            event.date.as_('moment'),
            *([parcel.supplier.as_('supplier')] if per_supplier else []),
            where=where & (event.kind == 'service'),
            group_by=keys)
        moment = Column(served, 'moment')
        timezone = Column(served, 'timezone')
        return served.select(
            (Column(served, 'id') * 4 + 2).as_('id'),
            Column(served, 'point').as_('point'),
            Column(served, 'company').as_('company'),
            *supplier_column(
                Column(served, 'supplier') if per_supplier else no_supplier),
            local_period(moment, timezone).as_('day'),
            local_period(moment, timezone, period).as_('date'),
            *[Literal(0).as_(name) for name in FIGURES],
            Literal(0).as_('surplus'),
            Literal(0 if all_ else 1).as_('recipients'),
            *all_column(1 if all_ else 0))

    parts = [events]
    if by_supplier:
        parts += [recipients(True, False), recipients(False, True)]
    else:
        parts.append(recipients(False, False))
    if supplier:
        # a surplus place belongs to no known supplier
        return Union(*parts, all_=True)

    utc_from = dt.datetime.combine(from_date, dt.time()) - UTC_MARGIN
    utc_to = (dt.datetime.combine(to_date, dt.time())
        + dt.timedelta(days=1) + UTC_MARGIN)
    scan = Scan.__table__()
    reception = Reception.__table__()
    point_s = Point.__table__()
    where = ((scan.result == 'surplus')
        & (scan.date >= utc_from) & (scan.date < utc_to))
    if point:
        where &= reception.point == point
    if company:
        where &= point_s.company == company
    scans = (scan
        .join(reception, condition=scan.reception == reception.id)
        .join(point_s, condition=reception.point == point_s.id)
        .select(
            (scan.id * 4 + 1).as_('id'),
            reception.point.as_('point'),
            point_s.company.as_('company'),
            *supplier_column(no_supplier),
            local_period(scan.date, point_s.timezone).as_('day'),
            local_period(scan.date, point_s.timezone, period).as_('date'),
            *[Literal(0).as_(name) for name in FIGURES],
            Literal(1).as_('surplus'),
            Literal(0).as_('recipients'),
            *all_column(0),
            where=where))
    return Union(*parts, scans, all_=True)


class Context(ModelView):
    "Analytics Context"
    __name__ = 'multipoint.analytics.context'

    from_date = fields.Date(
        "From Date", required=True,
        domain=[If(Eval('to_date') & Eval('from_date'),
                ('from_date', '<=', Eval('to_date')), ())])
    to_date = fields.Date(
        "To Date", required=True,
        domain=[If(Eval('from_date') & Eval('to_date'),
                ('to_date', '>=', Eval('from_date')), ())])
    period = fields.Selection(PERIODS, "Period", required=True)
    point = fields.Many2One('multipoint.point', "Point")
    supplier = fields.Many2One('party.party', "Supplier")

    @classmethod
    def default_from_date(cls):
        context = Transaction().context
        if context.get('from_date'):
            return context['from_date']
        return Pool().get('ir.date').today().replace(day=1)

    @classmethod
    def default_to_date(cls):
        context = Transaction().context
        if context.get('to_date'):
            return context['to_date']
        return Pool().get('ir.date').today()

    @classmethod
    def default_period(cls):
        return Transaction().context.get('period', 'day')

    @classmethod
    def default_point(cls):
        return Transaction().context.get('point')

    @classmethod
    def default_supplier(cls):
        return Transaction().context.get('supplier')


class _FiguresMixin:
    "The journal figures, as integer columns"
    __slots__ = ()
    expected = fields.Integer(
        "Expected", help="Parcels registered as expected.")
    accepted = fields.Integer(
        "Accepted", help="Parcels accepted from a courier.")
    stored = fields.Integer("Stored", help="Parcels placed into a cell.")
    issued = fields.Integer("Issued")
    partially_issued = fields.Integer("Partially Issued")
    refused = fields.Integer("Refused")
    returned = fields.Integer(
        "Returned", help="Parcels handed back to their supplier.")
    expired = fields.Integer(
        "Expired", help="Parcels queued for return when their storage "
        "deadline passed.")
    lost = fields.Integer("Lost")
    missing = fields.Integer(
        "Missing Places", help="Parcels accepted with places missing.")
    surplus = fields.Integer(
        "Surplus", help="Places scanned at acceptance that nobody expected.")
    damaged = fields.Integer("Damaged", help="Places accepted damaged.")
    extended = fields.Integer(
        "Extensions", help="Storage deadline extensions.")
    served = fields.Integer(
        "Parcels Served", help="Parcels handed to recipients.")
    recipients = fields.Integer(
        "Recipients Served", help="Recipients served: one per issue.")
    parcels_per_recipient = fields.Float(
        "Parcels per Recipient", digits=(16, 2))

    @classmethod
    def _figure_columns(cls, facts):
        served = Sum(facts.served)
        recipients = Sum(facts.recipients)
        return [
            *[Sum(Column(facts, name)).as_(name)
                for name in FIGURES + ['surplus']],
            recipients.as_('recipients'),
            Case((recipients > 0,
                    cls.parcels_per_recipient.sql_cast(served)
                    / cls.parcels_per_recipient.sql_cast(recipients)),
                else_=Null).as_('parcels_per_recipient'),
            ]


class PointPeriod(_FiguresMixin, ModelSQL, ModelView):
    "Point Figures per Period"
    __name__ = 'multipoint.analytics.point_period'

    company = fields.Many2One('company.company', "Company")
    point = fields.Many2One('multipoint.point', "Point")
    date = fields.Date("Date", help="The first day of the period.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('point', 'ASC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        context = Transaction().context
        from_date, to_date = context_dates()
        inner = facts(from_date, to_date, context_period(),
            point=context.get('point'), supplier=context.get('supplier'),
            company=context.get('company'))
        # the rows of the local days asked for (the UTC range is wider)
        outer = inner.select(
            Min(Column(inner, 'id')).as_('id'),
            Column(inner, 'point').as_('point'),
            Column(inner, 'company').as_('company'),
            Column(inner, 'date').as_('date'),
            *cls._figure_columns(inner),
            where=(Column(inner, 'day') >= from_date)
            & (Column(inner, 'day') <= to_date),
            group_by=[Column(inner, 'point'), Column(inner, 'company'),
                Column(inner, 'date')])
        return outer

    def get_rec_name(self, name):
        return f'{self.point.rec_name if self.point else ""} {self.date}'

    def period_bounds(self):
        "The local days (first, last) of this row's period in the context"
        from_date, to_date = context_dates()
        return (max(self.date, from_date),
            min(period_end(self.date, context_period()), to_date))


class Network(ModelSQL, ModelView):
    "Network of Points"
    __name__ = 'multipoint.analytics.network'

    company = fields.Many2One('company.company', "Company")
    point = fields.Many2One('multipoint.point', "Point")
    accepted = fields.Integer("Accepted")
    accepted_previous = fields.Integer("Accepted Before")
    accepted_change = fields.Integer("Accepted Change")
    issued = fields.Integer("Issued")
    issued_previous = fields.Integer("Issued Before")
    issued_change = fields.Integer("Issued Change")
    refused = fields.Integer("Refused")
    refused_previous = fields.Integer("Refused Before")
    refused_change = fields.Integer("Refused Change")
    returned = fields.Integer("Returned")
    returned_previous = fields.Integer("Returned Before")
    returned_change = fields.Integer("Returned Change")
    expired = fields.Integer("Expired")
    expired_previous = fields.Integer("Expired Before")
    expired_change = fields.Integer("Expired Change")
    recipients = fields.Integer("Recipients Served")
    recipients_previous = fields.Integer("Recipients Before")
    recipients_change = fields.Integer("Recipients Change")

    COMPARED = [
        'accepted', 'issued', 'refused', 'returned', 'expired', 'recipients']

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('point', 'ASC'), ('id', 'ASC')]

    @staticmethod
    def previous_dates(from_date, to_date):
        "The period of the same length just before from_date..to_date"
        length = (to_date - from_date).days + 1
        return (from_date - dt.timedelta(days=length),
            from_date - dt.timedelta(days=1))

    @classmethod
    def table_query(cls):
        context = Transaction().context
        from_date, to_date = context_dates()
        previous_from, _ = cls.previous_dates(from_date, to_date)
        inner = facts(previous_from, to_date, 'day',
            point=context.get('point'), supplier=context.get('supplier'),
            company=context.get('company'))
        day = Column(inner, 'day')
        current = day >= from_date
        columns = []
        for name in cls.COMPARED:
            value = Column(inner, name)
            now = Sum(Case((current, value), else_=0))
            before = Sum(Case((current, 0), else_=value))
            columns += [now.as_(name), before.as_(f'{name}_previous'),
                (now - before).as_(f'{name}_change')]
        return inner.select(
            Column(inner, 'point').as_('id'),
            Column(inner, 'point').as_('point'),
            Column(inner, 'company').as_('company'),
            *columns,
            where=(day >= previous_from) & (day <= to_date),
            group_by=[Column(inner, 'point'), Column(inner, 'company')])

    def get_rec_name(self, name):
        return self.point.rec_name if self.point else ''

    def period_bounds(self):
        return context_dates()


class _ServiceMixin:
    """Time to serve a recipient, from the operator's search to the issue:
    one recipient per issue (its events share their moment), the longest
    wait of its parcels. The median and the 90th percentile are the
    nearest-rank ones: the value at rank ceil(p × n) of the sorted times."""
    __slots__ = ()
    company = fields.Many2One('company.company', "Company")
    point = fields.Many2One('multipoint.point', "Point")
    recipients = fields.Integer("Recipients Served")
    average = fields.Float(
        "Average (s)", digits=(16, 1),
        help="Seconds from the search to the issue.")
    median = fields.Integer("Median (s)")
    percentile_90 = fields.Integer("90th Percentile (s)")
    longest = fields.Integer("Longest (s)")

    _by_user = False

    @classmethod
    def table_query(cls):
        context = Transaction().context
        from_date, to_date = context_dates()
        event, point, _, from_item, where = journal(from_date, to_date,
            context.get('point'), context.get('supplier'),
            context.get('company'))
        where &= (event.kind == 'service') & (event.duration != Null)
        day = local_period(event.date, point.timezone)
        # one row per recipient served
        served = from_item.select(
            Min(event.id).as_('id'),
            event.point.as_('point'),
            point.company.as_('company'),
            Coalesce(event.user, 0).as_('user'),
            Max(event.duration).as_('duration'),
            day.as_('day'),
            where=where,
            group_by=[event.point, point.company, event.user, event.date,
                point.timezone])
        served = served.select(
            *[Column(served, c) for c in [
                    'id', 'point', 'company', 'user', 'duration']],
            where=(Column(served, 'day') >= from_date)
            & (Column(served, 'day') <= to_date))
        keys = [Column(served, 'point'), Column(served, 'company')]
        if cls._by_user:
            keys.append(Column(served, 'user'))
        window = Window(keys, order_by=[Column(served, 'duration')])
        ranked = served.select(
            *[Column(served, c) for c in [
                    'id', 'point', 'company', 'user', 'duration']],
            RowNumber(window=window).as_('rank'),
            Count(Literal(1), window=Window(keys)).as_('total'))
        duration = Column(ranked, 'duration')
        rank = Column(ranked, 'rank')
        total = Column(ranked, 'total')
        group = [Column(ranked, 'point'), Column(ranked, 'company')]
        columns = [
            Column(ranked, 'point').as_('point'),
            Column(ranked, 'company').as_('company'),
            ]
        if cls._by_user:
            group.append(Column(ranked, 'user'))
            user = Column(ranked, 'user')
            columns.append(
                Case((user == 0, Null), else_=user).as_('user'))
            columns.append(Min(Column(ranked, 'id')).as_('id'))
        else:
            columns.append(Column(ranked, 'point').as_('id'))
        return ranked.select(
            *columns,
            Count(Literal(1)).as_('recipients'),
            cls.average.sql_cast(Avg(duration)).as_('average'),
            # nearest rank: ceil(n / 2) and ceil(9 n / 10) in integers
            Min(Case((rank == (total + 1) / 2, duration),
                    else_=Null)).as_('median'),
            Min(Case((rank == (total * 9 + 9) / 10, duration),
                    else_=Null)).as_('percentile_90'),
            Max(duration).as_('longest'),
            group_by=group)

    def period_bounds(self):
        return context_dates()


class ServicePoint(_ServiceMixin, ModelSQL, ModelView):
    "Service Time per Point"
    __name__ = 'multipoint.analytics.service.point'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('point', 'ASC'), ('id', 'ASC')]

    def get_rec_name(self, name):
        return self.point.rec_name if self.point else ''


class ServiceOperator(_ServiceMixin, ModelSQL, ModelView):
    "Service Time per Operator"
    __name__ = 'multipoint.analytics.service.operator'
    user = fields.Many2One('res.user', "Operator")
    _by_user = True

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('point', 'ASC'), ('user', 'ASC'), ('id', 'ASC')]

    def get_rec_name(self, name):
        return ' '.join(filter(None, [
                    self.point.rec_name if self.point else '',
                    self.user.rec_name if self.user else '']))


class Peak(ModelSQL, ModelView):
    "Peak Hours"
    __name__ = 'multipoint.analytics.peak'

    company = fields.Many2One('company.company', "Company")
    point = fields.Many2One('multipoint.point', "Point")
    weekday = fields.Integer("Weekday", help="1 for Monday, 7 for Sunday.")
    hour = fields.Integer("Hour", help="The hour of the day at the point.")
    recipients = fields.Integer("Recipients Served")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [
            ('point', 'ASC'), ('weekday', 'ASC'), ('hour', 'ASC'),
            ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        context = Transaction().context
        from_date, to_date = context_dates()
        event, point, _, from_item, where = journal(from_date, to_date,
            context.get('point'), context.get('supplier'),
            context.get('company'))
        where &= event.kind == 'service'
        served = from_item.select(
            event.point.as_('point'),
            point.company.as_('company'),
            event.date.as_('moment'),
            local_period(event.date, point.timezone).as_('day'),
            local_part(event.date, point.timezone, 'isodow').as_('weekday'),
            local_part(event.date, point.timezone, 'hour').as_('hour'),
            where=where)
        keys = [Column(served, c) for c in [
                'point', 'company', 'weekday', 'hour']]
        point_c, _, weekday, hour = keys
        return served.select(
            (point_c * 1000 + weekday * 24 + hour).as_('id'),
            *[k.as_(k.name) for k in keys],
            Count(Column(served, 'moment'), distinct=True).as_(
                'recipients'),
            where=(Column(served, 'day') >= from_date)
            & (Column(served, 'day') <= to_date),
            group_by=keys)

    def get_rec_name(self, name):
        return f'{self.point.rec_name if self.point else ""} ' \
            f'{self.weekday} {self.hour:02d}:00'

    def period_bounds(self):
        return context_dates()


class Shelf(ModelSQL, ModelView):
    "Parcels on the Shelf"
    __name__ = 'multipoint.analytics.shelf'

    company = fields.Many2One('company.company', "Company")
    point = fields.Many2One('multipoint.point', "Point")
    on_site = fields.Integer(
        "At the Point", help="Parcels physically at the point now.")
    in_cells = fields.Integer("In Cells")
    capacity = fields.Integer(
        "Cell Capacity", help="The parcels the point's cells hold in all.")
    occupancy = fields.Float(
        "Occupancy (%)", digits=(16, 1),
        help="Parcels in cells against the cells' capacity.")
    oldest_arrival = fields.DateTime(
        "Oldest Arrival", help="When the oldest parcel at the point came.")
    overdue = fields.Integer(
        "Past Deadline", help="Parcels waiting past their storage "
        "deadline.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('point', 'ASC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        pool = Pool()
        Point = pool.get('multipoint.point')
        Parcel = pool.get('multipoint.parcel')
        Location = pool.get('stock.location')
        Date = pool.get('ir.date')
        context = Transaction().context
        point = Point.__table__()
        parcel = Parcel.__table__()
        location = Location.__table__()
        today = Date.today()

        parcels = parcel.select(
            parcel.point.as_('point'),
            Count(Literal(1)).as_('on_site'),
            Sum(flag(parcel.cell != Null)).as_('in_cells'),
            Min(parcel.arrival_date).as_('oldest_arrival'),
            Sum(flag(parcel.state.in_(['accepted', 'stored'])
                    & (parcel.storage_deadline < today))).as_('overdue'),
            where=parcel.state.in_(ON_SITE_STATES),
            group_by=[parcel.point])
        cells = location.select(
            location.multipoint_point.as_('point'),
            Sum(Coalesce(location.capacity, 0)).as_('capacity'),
            where=(location.storage_kind == 'cell')
            & (location.active == Literal(True)),
            group_by=[location.multipoint_point])
        where = point.active == Literal(True)
        if context.get('point'):
            where &= point.id == context['point']
        if context.get('company'):
            where &= point.company == context['company']
        in_cells = Coalesce(parcels.in_cells, 0)
        capacity = Coalesce(cells.capacity, 0)
        return (point
            .join(parcels, 'LEFT', condition=parcels.point == point.id)
            .join(cells, 'LEFT', condition=cells.point == point.id)
            .select(
                point.id.as_('id'),
                point.id.as_('point'),
                point.company.as_('company'),
                Coalesce(parcels.on_site, 0).as_('on_site'),
                in_cells.as_('in_cells'),
                capacity.as_('capacity'),
                Case((capacity > 0,
                        cls.occupancy.sql_cast(in_cells) * 100
                        / cls.occupancy.sql_cast(capacity)),
                    else_=Null).as_('occupancy'),
                parcels.oldest_arrival.as_('oldest_arrival'),
                Coalesce(parcels.overdue, 0).as_('overdue'),
                where=where))

    def get_rec_name(self, name):
        return self.point.rec_name if self.point else ''

    def period_bounds(self):
        return None


class OpenParcels(Wizard):
    "Open the Parcels of a Figure"
    __name__ = 'multipoint.analytics.open_parcels'
    start_state = 'open_'
    open_ = StateAction('multipoint_core.act_parcel_form')

    def do_open_(self, action):
        """The parcels with a journal event at the row's point in its local
        days (the parcels at the point now for the shelf)"""
        context = Transaction().context
        record = self.record
        point = record.point
        domain = [('point', '=', point.id)] if point else []
        bounds = record.period_bounds()
        if bounds is None:
            domain.append(('state', 'in', ON_SITE_STATES))
        elif point:
            utc_from, utc_to = utc_bounds(*bounds, point.timezone)
            where = [
                ('point', '=', point.id),
                ('date', '>=', utc_from),
                ('date', '<', utc_to),
                ]
            if getattr(record, 'user', None):
                where.append(('user', '=', record.user.id))
            domain.append(('events', 'where', where))
        supplier = getattr(record, 'supplier', None)
        if supplier:
            domain.append(('supplier', '=', supplier.id))
        elif context.get('supplier'):
            domain.append(('supplier', '=', context['supplier']))
        encoder = PYSONEncoder()
        action['pyson_domain'] = encoder.encode(domain)
        action['pyson_search_value'] = encoder.encode([])
        action['name'] += f' ({record.rec_name})'
        return action, {}
