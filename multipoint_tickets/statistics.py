"""Tickets opened and resolved per day, with the average time to resolve:
the data of the graphs. Days are the points' local dates (the ticket
stores them). Only owners, staff managers and analysts read it: the
query counts every point of the company."""
import datetime as dt

from sql import Literal, Null, Union
from sql.aggregate import Avg, Count, Min
from sql.conditionals import Coalesce

from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.transaction import Transaction

from .ticket_types import TYPES


class TicketStatistics(ModelSQL, ModelView):
    "Ticket Statistics"
    __name__ = 'multipoint.ticket.statistics'
    date = fields.Date("Date", readonly=True)
    opened = fields.Integer("Opened", readonly=True)
    resolved = fields.Integer("Resolved", readonly=True)
    resolve_hours = fields.Float(
        "Average Hours to Resolve", digits=(16, 1), readonly=True,
        help="Of the tickets resolved that day.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'ASC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        pool = Pool()
        Ticket = pool.get('multipoint.ticket')
        Point = pool.get('multipoint.point')
        context = Transaction().context

        def rows(date, opened):
            "One row per ticket opened (or resolved) on its date"
            ticket = Ticket.__table__()
            point = Point.__table__()
            where = point.company == context.get('company', -1)
            if not opened:
                where &= ticket.resolved_date != Null
            for name in ['point', 'supplier', 'type']:
                if context.get(name):
                    where &= getattr(ticket, name) == context[name]
            return ticket.join(point,
                condition=ticket.point == point.id).select(
                    getattr(ticket, date).as_('date'),
                    (ticket.id if opened else no_id).as_('opened_id'),
                    (no_id if opened else ticket.id).as_('resolved_id'),
                    (no_hours if opened else ticket.resolve_hours).as_(
                        'hours'),
                    where=where)
        # typed NULLs: PostgreSQL needs the type of a column of a union
        no_id = Ticket.id.sql_cast(Literal(None))
        no_hours = Ticket.resolve_hours.sql_cast(Literal(None))
        union = Union(
            rows('opened_date', True), rows('resolved_date', False),
            all_=True)
        where = union.date != Null
        if context.get('from_date'):
            where &= union.date >= context['from_date']
        if context.get('to_date'):
            where &= union.date <= context['to_date']
        # unique positive ids: a day with openings is named by its first
        # ticket (even id), a day of resolutions only by the first resolved
        # one (odd id); a ticket is opened on one day, resolved on one day
        return union.select(
            Coalesce(Min(union.opened_id) * 2,
                Min(union.resolved_id) * 2 + 1).as_('id'),
            union.date.as_('date'),
            Count(union.opened_id).as_('opened'),
            Count(union.resolved_id).as_('resolved'),
            Avg(union.hours).as_('resolve_hours'),
            where=where,
            group_by=[union.date])


class TicketStatisticsContext(ModelView):
    "Ticket Statistics Context"
    __name__ = 'multipoint.ticket.statistics.context'
    company = fields.Many2One('company.company', "Company", required=True)
    from_date = fields.Date(
        "From Date",
        domain=[If(Eval('to_date') & Eval('from_date'),
                ('from_date', '<=', Eval('to_date')), ())])
    to_date = fields.Date(
        "To Date",
        domain=[If(Eval('from_date') & Eval('to_date'),
                ('to_date', '>=', Eval('from_date')), ())])
    point = fields.Many2One('multipoint.point', "Point")
    supplier = fields.Many2One('party.party', "Supplier")
    type = fields.Selection([(None, "")] + TYPES, "Type", sort=False)

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_from_date(cls):
        Date = Pool().get('ir.date')
        return Date.today() - dt.timedelta(days=30)

    @classmethod
    def default_to_date(cls):
        return Pool().get('ir.date').today()
