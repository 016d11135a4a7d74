"""The daily summary: the journal's figures summed per point, supplier and
local day, so that a year of figures reads a few thousand rows instead of
millions of events.

A cron job keeps it: it summarizes every local day that has ended at every
point (through the day before yesterday's noon in UTC: the day has ended
even at UTC−12) and sums again the days of the events and surplus scans
written since its last run (a journal row dated in the past, a late
import). The tables read the summary up to the last day it holds and the
journal itself after it, so a figure is the same whether the job ran or
not (tests/test_summary.py runs every table's test on both)."""
import datetime as dt
from itertools import groupby

from sql import Column, Literal
from sql.aggregate import Max, Min, Sum

from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction

from .analytics import FIGURES, date_period, live_facts, local_period

# a local day has ended everywhere this long after its UTC midnight
LATEST_OFFSET = dt.timedelta(hours=12)
# days of late rows closer than this are summed again in one statement
RUN_GAP = 7


class Day(ModelSQL, ModelView):
    "Analytics Daily Summary"
    __name__ = 'multipoint.analytics.day'

    company = fields.Many2One('company.company', "Company", readonly=True)
    point = fields.Many2One('multipoint.point', "Point", readonly=True)
    supplier = fields.Many2One(
        'party.party', "Supplier", readonly=True,
        context={'company': Eval('company', -1)}, depends={'company'},
        help="Empty on the row of the recipients served and the surplus "
        "places, which belong to no supplier.")
    day = fields.Date("Day", readonly=True, help="The point's local day.")
    expected = fields.Integer("Expected", readonly=True)
    accepted = fields.Integer("Accepted", readonly=True)
    stored = fields.Integer("Stored", readonly=True)
    issued = fields.Integer("Issued", readonly=True)
    partially_issued = fields.Integer("Partially Issued", readonly=True)
    refused = fields.Integer("Refused", readonly=True)
    returned = fields.Integer("Returned", readonly=True)
    expired = fields.Integer("Expired", readonly=True)
    lost = fields.Integer("Lost", readonly=True)
    missing = fields.Integer("Missing Places", readonly=True)
    damaged = fields.Integer("Damaged", readonly=True)
    extended = fields.Integer("Extensions", readonly=True)
    served = fields.Integer("Parcels Served", readonly=True)
    surplus = fields.Integer("Surplus", readonly=True)
    recipients = fields.Integer(
        "Recipients of the Supplier", readonly=True)
    recipients_all = fields.Integer("Recipients Served", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        table = cls.__table__()
        cls._sql_indexes.add(Index(table,
                (table.day, Index.Range()), (table.point, Index.Range())))
        cls._order = [('day', 'DESC'), ('point', 'ASC'), ('id', 'ASC')]

    @classmethod
    def summarized_through(cls):
        "The last local day the summary holds, None before its first run"
        State = Pool().get('multipoint.analytics.day.state')
        state = State.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*state.select(state.through, limit=1))
        row = cursor.fetchone()
        through = row[0] if row else None
        if isinstance(through, str):  # SQLite
            through = dt.date.fromisoformat(through)
        return through

    @classmethod
    def facts(cls, from_date, to_date, period='day', point=None,
            supplier=None, company=None):
        """The summary's rows of the local days from_date..to_date in the
        shape of analytics.live_facts: ids 4 × id + 3 (the journal's are
        4 × n, + 1 and + 2)"""
        table = cls.__table__()
        where = (table.day >= from_date) & (table.day <= to_date)
        if point:
            where &= table.point == point
        if company:
            where &= table.company == company
        if supplier:
            where &= table.supplier == supplier
            recipients = table.recipients
        else:
            recipients = table.recipients_all
        return table.select(
            (table.id * 4 + 3).as_('id'),
            table.point.as_('point'),
            table.company.as_('company'),
            table.day.as_('day'),
            date_period(table.day, period).as_('date'),
            *[Column(table, name).as_(name) for name in FIGURES],
            table.surplus.as_('surplus'),
            recipients.as_('recipients'),
            where=where)

    @classmethod
    def refresh(cls, now=None):
        """Summarize the days that ended since the last run and sum again
        the days of the journal rows written since"""
        pool = Pool()
        State = pool.get('multipoint.analytics.day.state')
        Event = pool.get('multipoint.parcel.event')
        Scan = pool.get('multipoint.reception.scan')
        cursor = Transaction().connection.cursor()
        now = now or dt.datetime.utcnow()
        through = (now - LATEST_OFFSET).date() - dt.timedelta(days=1)

        state = State.get()
        event, scan = Event.__table__(), Scan.__table__()
        cursor.execute(*event.select(Max(event.id)))
        last_event, = cursor.fetchone()
        cursor.execute(*scan.select(Max(scan.id)))
        last_scan, = cursor.fetchone()

        if state.through is None:
            cursor.execute(*event.select(Min(event.date)))
            first, = cursor.fetchone()
            if isinstance(first, str):  # SQLite
                first = dt.datetime.fromisoformat(first)
            # the earliest local day is at most a day before the UTC one
            new_from = (first.date() - dt.timedelta(days=1)
                if first else through + dt.timedelta(days=1))
        else:
            new_from = state.through + dt.timedelta(days=1)
            # days already summarized that got rows since the last run
            for point, days in cls._late_days(
                    state, last_event, last_scan, min(state.through,
                        through)):
                for first_day, last_day in _runs(days):
                    cls._summarize(first_day, last_day, point=point)
        if new_from <= through:
            cls._summarize(new_from, through)
        else:
            through = state.through
        state.through = through
        state.last_event = last_event or 0
        state.last_scan = last_scan or 0
        state.refreshed_at = now
        state.save()

    @classmethod
    def _late_days(cls, state, last_event, last_scan, through):
        "[(point, sorted local days ≤ through)] of the rows since the marks"
        pool = Pool()
        Event = pool.get('multipoint.parcel.event')
        Scan = pool.get('multipoint.reception.scan')
        Reception = pool.get('multipoint.reception')
        Point = pool.get('multipoint.point')
        cursor = Transaction().connection.cursor()
        event, scan = Event.__table__(), Scan.__table__()
        reception, point_e, point_s = (Reception.__table__(),
            Point.__table__(), Point.__table__())
        days = set()
        if last_event and last_event > state.last_event:
            cursor.execute(*_distinct(event
                    .join(point_e, condition=event.point == point_e.id)
                    .select(event.point.as_('point'),
                        local_period(event.date, point_e.timezone).as_('day'),
                        where=(event.id > state.last_event)
                        & (event.id <= last_event))))
            days.update(cursor)
        if last_scan and last_scan > state.last_scan:
            cursor.execute(*_distinct(scan
                    .join(reception, condition=scan.reception == reception.id)
                    .join(point_s, condition=reception.point == point_s.id)
                    .select(reception.point.as_('point'),
                        local_period(scan.date, point_s.timezone).as_('day'),
                        where=(scan.id > state.last_scan)
                        & (scan.id <= last_scan)
                        & (scan.result == 'surplus'))))
            days.update(cursor)
        days = sorted((p, _date(d)) for p, d in days)
        return [(point, [d for _, d in group if d <= through])
            for point, group in groupby(days, key=lambda r: r[0])]

    @classmethod
    def _summarize(cls, from_date, to_date, point=None):
        "Replace the summary of the local days from_date..to_date"
        cursor = Transaction().connection.cursor()
        table = cls.__table__()
        where = (table.day >= from_date) & (table.day <= to_date)
        if point:
            where &= table.point == point
        cursor.execute(*table.delete(where=where))

        live = live_facts(from_date, to_date, point=point, by_supplier=True)
        keys = [Column(live, c) for c in
            ['company', 'point', 'supplier', 'day']]
        sums = [Column(live, c) for c in
            [*FIGURES, 'surplus', 'recipients', 'recipients_all']]
        day = Column(live, 'day')
        rows = live.select(
            *keys, *[Sum(c) for c in sums],
            Literal(0), Literal(dt.datetime.utcnow()),
            where=(day >= from_date) & (day <= to_date),
            group_by=keys)
        cursor.execute(*table.insert(
                [Column(table, c.name) for c in keys + sums]
                + [table.create_uid, table.create_date],
                rows))


def _distinct(query):
    """The distinct (point, day) of query, grouped on plain columns: the
    day's expression holds bound parameters, which PostgreSQL does not
    match between the select and the GROUP BY"""
    keys = [Column(query, 'point'), Column(query, 'day')]
    return query.select(*keys, group_by=keys)


def _date(value):
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _runs(days):
    "(first, last) of the runs of days closer than RUN_GAP"
    runs = []
    for day in days:
        if runs and (day - runs[-1][1]).days < RUN_GAP:
            runs[-1][1] = day
        else:
            runs.append([day, day])
    return [tuple(r) for r in runs]


class DayState(ModelSQL):
    "Analytics Daily Summary State"
    __name__ = 'multipoint.analytics.day.state'

    through = fields.Date("Summarized Through")
    last_event = fields.Integer("Last Journal Row")
    last_scan = fields.Integer("Last Scan")
    refreshed_at = fields.DateTime("Refreshed At")

    @classmethod
    def get(cls):
        "The one state row, created on the first run"
        states = cls.search([], limit=1)
        if states:
            return states[0]
        return cls(through=None, last_event=0, last_scan=0)
