from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Id

DEFAULT_SLA_HOURS = 72


class Configuration(metaclass=PoolMeta):
    __name__ = 'multipoint.configuration'
    # not required: the configuration row may predate this module; the
    # getters below fall back to the defaults
    ticket_sequence = fields.Many2One(
        'ir.sequence', "Ticket Sequence",
        domain=[('sequence_type', '=',
                Id('multipoint_tickets', 'sequence_type_ticket'))],
        help="Leave empty for the sequence of the module (prefix ОБ-).")
    ticket_sla_hours = fields.Integer(
        "Default SLA (hours)",
        domain=['OR', ('ticket_sla_hours', '=', None),
            ('ticket_sla_hours', '>', 0)],
        help="The time to resolve a ticket when no row of the SLA table "
        "matches its type and priority (72 hours when empty).")
    ticket_escalation_owner = fields.Many2One(
        'res.user', "Escalation Owner",
        help="The owner overdue tickets are escalated to: they become its "
        "assignee. Leave empty to notify every owner and keep the "
        "assignee.")

    @classmethod
    def default_ticket_sequence(cls):
        ModelData = Pool().get('ir.model.data')
        try:
            return ModelData.get_id('multipoint_tickets', 'sequence_ticket')
        except KeyError:
            return None

    @staticmethod
    def default_ticket_sla_hours():
        return DEFAULT_SLA_HOURS

    def get_ticket_number(self):
        pool = Pool()
        Sequence = pool.get('ir.sequence')
        ModelData = pool.get('ir.model.data')
        sequence = self.ticket_sequence or Sequence(
            ModelData.get_id('multipoint_tickets', 'sequence_ticket'))
        return sequence.get()

    def get_ticket_sla_hours(self):
        return self.ticket_sla_hours or DEFAULT_SLA_HOURS
