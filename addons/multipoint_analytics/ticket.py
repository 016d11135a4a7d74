"""The tickets of the points (multipoint_tickets): per point and supplier,
the tickets open and overdue now and those opened, closed and closed late
in the context's dates. Registered when multipoint_tickets is activated;
operators read the rows of their points only."""
from sql import Literal
from sql.aggregate import Min, Sum

from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction

from .analytics import context_dates, flag

FIGURES = ['open', 'overdue', 'opened', 'closed', 'closed_late']


class Ticket(ModelSQL, ModelView):
    "Tickets per Point and Supplier"
    __name__ = 'multipoint.analytics.ticket'

    company = fields.Many2One('company.company', "Company")
    point = fields.Many2One('multipoint.point', "Point")
    supplier = fields.Many2One(
        'party.party', "Supplier", context={'company': Eval('company', -1)},
        depends={'company'})
    open = fields.Integer(
        "Open", help="Tickets not resolved now, whatever the dates.")
    overdue = fields.Integer(
        "Overdue", help="Open tickets past their SLA deadline now.")
    opened = fields.Integer(
        "Opened", help="Tickets opened in the dates (the point's day).")
    closed = fields.Integer(
        "Closed", help="Tickets resolved in the dates and not reopened "
        "since (resolved or closed).")
    closed_late = fields.Integer(
        "Closed Late", help="Tickets closed in the dates after their SLA "
        "deadline.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('point', 'ASC'), ('supplier', 'ASC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        pool = Pool()
        Ticket = pool.get('multipoint.ticket')
        Point = pool.get('multipoint.point')
        # imported here: the module is there only when tickets are
        from trytond.modules.multipoint_tickets import clock
        from trytond.modules.multipoint_tickets.ticket_types import (
            OPEN_STATES)
        context = Transaction().context
        from_date, to_date = context_dates()
        # the ticket's own notion of overdue (Ticket.search_overdue)
        now = clock.utcnow()

        ticket = Ticket.__table__()
        point = Point.__table__()
        open_ = ticket.state.in_(OPEN_STATES)
        opened = ((ticket.opened_date >= from_date)
            & (ticket.opened_date <= to_date))
        # a reopening clears the resolution: its date is the last one
        closed = ((ticket.resolved_date >= from_date)
            & (ticket.resolved_date <= to_date))
        figures = {
            'open': open_,
            'overdue': open_ & (ticket.sla_deadline < now),
            'opened': opened,
            'closed': closed,
            # the deadline of the SLA period the resolution ended
            'closed_late': closed & (ticket.resolved_at > ticket.sla_deadline),
            }
        where = Literal(True)
        if context.get('point'):
            where &= ticket.point == context['point']
        if context.get('supplier'):
            where &= ticket.supplier == context['supplier']
        if context.get('company'):
            where &= point.company == context['company']
        keys = [point.company, ticket.point, ticket.supplier]
        # every ticket of the point and supplier is in the group, so the id
        # (its first ticket) is the same whatever the dates; the groups
        # with nothing to show are left out
        return (ticket
            .join(point, condition=ticket.point == point.id)
            .select(
                Min(ticket.id).as_('id'),
                point.company.as_('company'),
                ticket.point.as_('point'),
                ticket.supplier.as_('supplier'),
                *[Sum(flag(figures[n])).as_(n) for n in FIGURES],
                where=where,
                group_by=keys,
                having=Sum(flag(open_ | opened | closed)) > 0))

    def get_rec_name(self, name):
        return ' '.join(filter(None, [
                    self.point.rec_name if self.point else '',
                    self.supplier.rec_name if self.supplier else '']))

