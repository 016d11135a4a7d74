"""The organizer of a point: tasks with a due moment, a reminder and a
recurrence.

A recurring task is one open occurrence at a time: completing it creates
the next one (recurrence.py), from its rule and its due moment, skipping
the dates already past. So the calendar and the operator's "today" list
show what is to be done, a missed day does not leave a pile of copies,
and no cron has to generate a horizon of future rows (nor clean them up
when the rule changes). The cost: the calendar does not show the
occurrences after the open one.
"""
import datetime as dt

from sql import Null

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.modules.multipoint_core.guard import Workflow
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction

from . import clock
from .recurrence import RECURRENCES, WEEKDAYS, next_due, to_local, to_utc

# reminders are looked for this far ahead; a longer one is not allowed
MAX_REMINDER_MINUTES = 7 * 24 * 60


class Task(Workflow, ModelSQL, ModelView):
    "Task"
    __name__ = 'multipoint.task'
    _rec_name = 'title'
    _open = {'readonly': Eval('state') != 'open'}

    title = fields.Char("Title", required=True, states=_open)
    notes = fields.Text("Notes")
    point = fields.Many2One(
        'multipoint.point', "Point", required=True, ondelete='RESTRICT',
        states=_open)
    assignee = fields.Many2One(
        'res.user', "Assignee", ondelete='SET NULL', states=_open,
        help="Leave empty for the whole staff of the point.")
    due = fields.DateTime("Due", required=True, states=_open)
    recurrence = fields.Selection(
        RECURRENCES, "Repeat", required=True, sort=False, states=_open)
    weekdays = fields.MultiSelection(
        WEEKDAYS, "Weekdays", sort=False,
        states={
            'invisible': Eval('recurrence') != 'weekly',
            'readonly': _open['readonly'],
            },
        help="Leave empty for the weekday of the due date.")
    month_day = fields.Integer(
        "Day of Month",
        domain=['OR', ('month_day', '=', None),
            [('month_day', '>=', 1), ('month_day', '<=', 31)]],
        states={
            'invisible': Eval('recurrence') != 'monthly',
            'readonly': _open['readonly'],
            },
        help="29, 30 and 31 fall on the last day of shorter months. "
        "Leave empty for the day of the due date.")
    reminder_minutes = fields.Integer(
        "Reminder (minutes before)", states=_open,
        domain=['OR', ('reminder_minutes', '=', None),
            [('reminder_minutes', '>=', 0),
                ('reminder_minutes', '<=', MAX_REMINDER_MINUTES)]],
        help="Leave empty for no reminder.")
    reminded_at = fields.DateTime("Reminded At", readonly=True)
    state = fields.Selection([
            ('open', "To Do"),
            ('done', "Done"),
            ], "State", required=True, readonly=True, sort=False)
    done_by = fields.Many2One('res.user', "Done By", readonly=True)
    done_at = fields.DateTime("Done At", readonly=True)
    previous = fields.Many2One(
        'multipoint.task', "Previous Occurrence", readonly=True,
        ondelete='SET NULL')
    next_occurrence = fields.Many2One(
        'multipoint.task', "Next Occurrence", readonly=True,
        ondelete='SET NULL')
    del _open

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.point, Index.Equality()),
                    (t.due, Index.Range())),
                Index(t, (t.due, Index.Range()),
                    where=(t.state == 'open') & (t.reminded_at == Null)
                    & (t.reminder_minutes != Null)),
                Index(t, (t.assignee, Index.Equality()),
                    where=t.assignee != Null),
                })
        cls._order = [('due', 'ASC'), ('id', 'ASC')]
        cls._transitions |= {('open', 'done'), ('done', 'open')}
        cls._buttons.update({
                'complete': {
                    'invisible': Eval('state') != 'open',
                    'depends': ['state'],
                    },
                'undo': {
                    'invisible': Eval('state') != 'done',
                    'depends': ['state'],
                    },
                })

    @staticmethod
    def default_state():
        return 'open'

    @staticmethod
    def default_recurrence():
        return 'none'

    @classmethod
    def default_point(cls):
        return Transaction().context.get('multipoint_point')

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if mode == 'write' and ('due' in values
                or 'reminder_minutes' in values):
            # a new moment, a new reminder
            values['reminded_at'] = None
        return values

    @classmethod
    def on_modification(cls, mode, tasks, field_names=None):
        super().on_modification(mode, tasks, field_names=field_names)
        if mode == 'create' or (mode == 'write' and field_names & {
                    'recurrence', 'due', 'weekdays', 'month_day'}):
            cls._complete_rule(tasks)

    @classmethod
    def _complete_rule(cls, tasks):
        """Write the rule down from the due date: the day of the month (so
        the 31st stays the 31st after a short month) or the weekday"""
        to_save = []
        for task in tasks:
            if task.recurrence == 'monthly' and not task.month_day:
                task.month_day = task.local_due.day
                to_save.append(task)
            elif task.recurrence == 'weekly' and not task.weekdays:
                task.weekdays = [str(task.local_due.weekday())]
                to_save.append(task)
        cls.save(to_save)

    @classmethod
    def copy(cls, tasks, default=None):
        default = default.copy() if default is not None else {}
        for name in ['reminded_at', 'done_by', 'done_at', 'previous',
                'next_occurrence']:
            default.setdefault(name, None)
        return super().copy(tasks, default=default)

    @property
    def local_due(self):
        return to_local(self.due, self.point.tzinfo)

    @classmethod
    @ModelView.button
    @Workflow.transition('done')
    def complete(cls, tasks):
        """Mark the tasks done by the user; a recurring one gets its next
        occurrence (once, even when done, undone and done again)"""
        now = clock.utcnow()
        cls.write(tasks, {
                'done_by': Transaction().user or None,
                'done_at': now,
                })
        cls._create_next([t for t in tasks
                if t.recurrence != 'none' and not t.next_occurrence], now)

    @classmethod
    @ModelView.button
    @Workflow.transition('open')
    def undo(cls, tasks):
        cls.write(tasks, {'done_by': None, 'done_at': None})

    @classmethod
    def _create_next(cls, tasks, now):
        vlist, spawning = [], []
        for task in tasks:
            due = next_due(task.recurrence, task.due, task.point.tzinfo,
                after=now, weekdays=task.weekdays, month_day=task.month_day)
            if due:
                vlist.append({
                        'title': task.title,
                        'notes': task.notes,
                        'point': task.point.id,
                        'assignee': (task.assignee.id
                            if task.assignee else None),
                        'due': due,
                        'recurrence': task.recurrence,
                        'weekdays': task.weekdays,
                        'month_day': task.month_day,
                        'reminder_minutes': task.reminder_minutes,
                        'previous': task.id,
                        })
                spawning.append(task)
        created = cls.create(vlist)
        for task, following in zip(spawning, created):
            task.next_occurrence = following
        cls.save(spawning)
        return created

    @classmethod
    def today(cls, point, now=None):
        """The tasks of point for its local today: due today, and those
        still open from before"""
        now = now or clock.utcnow()
        local = to_local(now, point.tzinfo)
        start = dt.datetime.combine(local.date(), dt.time())
        end = start + dt.timedelta(days=1)
        tz = point.tzinfo
        return cls.search([
                ('point', '=', point.id),
                ('due', '<', to_utc(end, tz)),
                ['OR',
                    ('state', '=', 'open'),
                    ('due', '>=', to_utc(start, tz)),
                    ],
                ], order=[('due', 'ASC'), ('id', 'ASC')])

    @classmethod
    def send_reminders(cls):
        """Remind the assignee (else the staff of the point) of the open
        tasks whose reminder time has come; run by ir.cron"""
        Notification = Pool().get('multipoint.notification')
        now = clock.utcnow()
        tasks = cls.search([
                ('state', '=', 'open'),
                ('reminded_at', '=', None),
                ('reminder_minutes', '!=', None),
                ('due', '<=', now + dt.timedelta(
                        minutes=MAX_REMINDER_MINUTES)),
                ])
        due = [t for t in tasks
            if t.due - dt.timedelta(minutes=t.reminder_minutes) <= now]
        for task in due:
            recipients = ([task.assignee] if task.assignee
                else [u for u in task.point.staff if u.active])
            Notification.notify('task_reminder', recipients, task.point,
                _render_reminder, task)
        cls.write(due, {'reminded_at': now})
        return due


def _render_reminder(task):
    label = gettext('multipoint_tickets.msg_notify_task_label',
        task=task.title)
    return label, gettext('multipoint_tickets.msg_notify_task',
        task=task.title, point=task.point.rec_name,
        due=task.local_due.strftime('%d.%m.%Y %H:%M'),
        notes=task.notes or '')
