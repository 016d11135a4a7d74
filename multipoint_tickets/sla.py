"""The SLA table: how many hours a ticket has to be resolved, by its type
and priority. The most specific row wins: type and priority, then the type
alone, then the priority alone, then a row for any ticket, then the
default of the configuration. Hours are calendar hours (the points work
every day)."""
from trytond.model import Index, ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool

from .ticket_types import PRIORITIES, TYPES


class TicketSLA(ModelSQL, ModelView):
    "Ticket SLA"
    __name__ = 'multipoint.ticket.sla'
    type = fields.Selection(
        [(None, "Any")] + TYPES, "Type", sort=False,
        help="Leave empty for every type.")
    priority = fields.Selection(
        [(None, "Any")] + PRIORITIES, "Priority", sort=False,
        help="Leave empty for every priority.")
    hours = fields.Integer(
        "Hours", required=True, domain=[('hours', '>', 0)],
        help="Hours from the opening of the ticket to its deadline.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('type_priority_unique', Unique(t, t.type, t.priority),
                'multipoint_tickets.msg_sla_unique'),
            ]
        cls._sql_indexes.add(Index(t, (t.type, Index.Equality())))
        cls._order = [('type', 'ASC NULLS FIRST'), ('priority', 'ASC'),
            ('id', 'ASC')]

    @classmethod
    def hours_for(cls, keys):
        """Hours of the deadline for each (type, priority) of keys, in one
        search: {(type, priority): hours}"""
        pool = Pool()
        Configuration = pool.get('multipoint.configuration')
        keys = set(keys)
        # a few dozen rows at most
        rows = cls.search([])
        table = {(r.type, r.priority): r.hours for r in rows}
        default = Configuration(1).get_ticket_sla_hours()
        result = {}
        for type_, priority in keys:
            for key in [(type_, priority), (type_, None), (None, priority),
                    (None, None)]:
                if key in table:
                    result[(type_, priority)] = table[key]
                    break
            else:
                result[(type_, priority)] = default
        return result
