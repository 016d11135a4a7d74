"Record rules of tickets and tasks filter on the user's points; cron jobs"
from trytond.pool import Pool, PoolMeta

TICKET_RULED_MODELS = {
    'multipoint.ticket',
    'multipoint.task',
    }
# the groups that read the internal notes of tickets
STAFF_GROUPS = [
    'group_owner', 'group_staff_manager', 'group_operator',
    'group_accountant']


class Rule(metaclass=PoolMeta):
    __name__ = 'ir.rule'

    @classmethod
    def multipoint_point_models(cls):
        return super().multipoint_point_models() | TICKET_RULED_MODELS

    @classmethod
    def _get_context(cls, model_name):
        context = super()._get_context(model_name)
        if model_name == 'multipoint.ticket.message':
            # (the user's groups are in the cache key already)
            context['multipoint_ticket_staff'] = is_staff(context['groups'])
        return context


def is_staff(groups):
    ModelData = Pool().get('ir.model.data')
    return any(ModelData.get_id('multipoint_core', g) in groups
        for g in STAFF_GROUPS)


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.extend([
                ('multipoint.ticket|escalate_overdue',
                    "Escalate Overdue Tickets"),
                ('multipoint.task|send_reminders', "Send Task Reminders"),
                ])
