"""Tickets: the helpdesk of the network.

A ticket is about a point, maybe a supplier and some of the point's
parcels. Its SLA deadline comes from the SLA table (sla.py) when it is
opened, when its type or priority changes and when it is reopened; the
cron job escalate_overdue hands the overdue ones to the owner.

Every change of state, assignee or priority is written into the thread
by the ticket itself (on_write), so nobody has to remember to. The thread
(TicketMessage) is append-only. Internal notes are for staff only; the
rest is what the supplier reads in the portal (portal.py).
"""
import datetime as dt
from collections import defaultdict

from sql import Null

from trytond.i18n import gettext
from trytond.model import (
    Index, ModelSQL, ModelView, Unique, fields)
from trytond.modules.multipoint_core.guard import Workflow
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction

from . import clock
from .exceptions import MessageImmutableError, TicketError
from .portal import TicketSupplierMixin
from .ticket_types import OPEN_STATES, PRIORITIES, STATES, TYPES

# the changes of a ticket its thread records
TRACKED = ['state', 'assignee', 'priority']
# the states a supplier is told of: it has to act, or it is settled
SUPPLIER_STATES = {'waiting_supplier', 'resolved'}


class Ticket(TicketSupplierMixin, Workflow, ModelSQL, ModelView):
    "Ticket"
    __name__ = 'multipoint.ticket'
    _rec_name = 'number'
    _editable = {'readonly': ~Eval('state').in_(OPEN_STATES)}

    number = fields.Char("Number", readonly=True)
    title = fields.Char("Subject", required=True, states=_editable)
    type = fields.Selection(
        TYPES, "Type", required=True, sort=False, states=_editable)
    type_string = type.translated('type')
    priority = fields.Selection(
        PRIORITIES, "Priority", required=True, sort=False,
        states=_editable)
    priority_string = priority.translated('priority')
    point = fields.Many2One(
        'multipoint.point', "Point", required=True, ondelete='RESTRICT',
        states=_editable)
    supplier = fields.Many2One(
        'party.party', "Supplier", ondelete='RESTRICT', states=_editable,
        help="The supplier the ticket is about: it reads the ticket in the "
        "portal, without the internal notes.")
    parcels = fields.Many2Many(
        'multipoint.ticket-multipoint.parcel', 'ticket', 'parcel',
        "Parcels", states=_editable,
        domain=[('point', '=', Eval('point', -1))])
    description = fields.Text("Description", states=_editable)
    assignee = fields.Many2One(
        'res.user', "Assignee", ondelete='SET NULL', states=_editable)
    opened_at = fields.DateTime("Opened At", readonly=True)
    opened_date = fields.Date(
        "Opened On", readonly=True, help="The date at the point.")
    sla_start = fields.DateTime(
        "SLA Start", readonly=True,
        help="When the SLA clock started: the opening or the last reopening.")
    sla_deadline = fields.DateTime("SLA Deadline", readonly=True)
    overdue = fields.Function(
        fields.Boolean("Overdue"), 'get_overdue', searcher='search_overdue')
    escalated = fields.Boolean("Escalated", readonly=True)
    escalated_at = fields.DateTime("Escalated At", readonly=True)
    resolved_at = fields.DateTime("Resolved At", readonly=True)
    resolved_date = fields.Date(
        "Resolved On", readonly=True, help="The date at the point.")
    resolve_hours = fields.Float(
        "Hours to Resolve", digits=(16, 1), readonly=True,
        help="From the opening to the last resolution.")
    closed_at = fields.DateTime("Closed At", readonly=True)
    messages = fields.One2Many(
        'multipoint.ticket.message', 'ticket', "Messages",
        states={'readonly': Eval('state') == 'closed'})
    state = fields.Selection(
        STATES, "State", readonly=True, required=True, sort=False)
    state_string = state.translated('state')
    del _editable

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('number_unique', Unique(t, t.number),
                'multipoint_tickets.msg_ticket_number_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.point, Index.Equality()),
                    (t.state, Index.Equality(cardinality='low'))),
                Index(t, (t.sla_deadline, Index.Range()),
                    where=t.state.in_(OPEN_STATES)),
                Index(t, (t.assignee, Index.Equality()),
                    where=t.assignee != Null),
                Index(t, (t.supplier, Index.Equality()),
                    where=t.supplier != Null),
                Index(t, (t.opened_date, Index.Range())),
                Index(t, (t.resolved_date, Index.Range()),
                    where=t.resolved_date != Null),
                })
        cls._order = [('opened_at', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('new', 'in_progress'),
            ('new', 'waiting_supplier'),
            ('new', 'waiting_point'),
            ('new', 'resolved'),
            ('in_progress', 'waiting_supplier'),
            ('in_progress', 'waiting_point'),
            ('in_progress', 'resolved'),
            ('waiting_supplier', 'in_progress'),
            ('waiting_supplier', 'waiting_point'),
            ('waiting_supplier', 'resolved'),
            ('waiting_point', 'in_progress'),
            ('waiting_point', 'waiting_supplier'),
            ('waiting_point', 'resolved'),
            ('resolved', 'closed'),
            ('resolved', 'in_progress'),
            ('closed', 'in_progress'),
            }
        cls._buttons.update({
                'start': {
                    'invisible': ~Eval('state').in_(
                        ['new', 'waiting_supplier', 'waiting_point']),
                    'depends': ['state'],
                    },
                'wait_supplier': {
                    'invisible': ~Eval('state').in_(
                        ['new', 'in_progress', 'waiting_point']),
                    'depends': ['state'],
                    },
                'wait_point': {
                    'invisible': ~Eval('state').in_(
                        ['new', 'in_progress', 'waiting_supplier']),
                    'depends': ['state'],
                    },
                'resolve': {
                    'invisible': ~Eval('state').in_(OPEN_STATES),
                    'depends': ['state'],
                    },
                'close': {
                    'invisible': Eval('state') != 'resolved',
                    'depends': ['state'],
                    },
                'reopen': {
                    'invisible': ~Eval('state').in_(['resolved', 'closed']),
                    'depends': ['state'],
                    },
                })

    @staticmethod
    def default_state():
        return 'new'

    @staticmethod
    def default_priority():
        return 'normal'

    @staticmethod
    def default_type():
        return 'other'

    @staticmethod
    def default_escalated():
        return False

    @classmethod
    def default_point(cls):
        return Transaction().context.get('multipoint_point')

    def get_rec_name(self, name):
        if self.number:
            return f'{self.number} {self.title}'
        return self.title

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, operand, *extra = clause
        if operator.startswith('!') or operator.startswith('not '):
            bool_op = 'AND'
        else:
            bool_op = 'OR'
        return [bool_op,
            ('number', operator, operand, *extra),
            ('title', operator, operand, *extra),
            ]

    @classmethod
    def get_overdue(cls, tickets, name):
        now = clock.utcnow()
        return {t.id: bool(t.state in OPEN_STATES and t.sla_deadline
                and t.sla_deadline < now) for t in tickets}

    @classmethod
    def search_overdue(cls, name, clause):
        _, operator, value = clause
        now = clock.utcnow()
        overdue = [
            ('state', 'in', OPEN_STATES),
            ('sla_deadline', '<', now),
            ]
        if (operator in {'=', '!='}) and (bool(value) == (operator == '=')):
            return overdue
        return ['OR',
            ('state', 'not in', OPEN_STATES),
            ('sla_deadline', '=', None),
            ('sla_deadline', '>=', now),
            ]

    @classmethod
    def preprocess_values(cls, mode, values):
        pool = Pool()
        Configuration = pool.get('multipoint.configuration')
        Point = pool.get('multipoint.point')
        values = super().preprocess_values(mode, values)
        if mode == 'create':
            now = clock.utcnow()
            if not values.get('number'):
                values['number'] = Configuration(1).get_ticket_number()
            values['opened_at'] = values['sla_start'] = now
            if values.get('point'):
                values['opened_date'] = Point(
                    values['point']).local_date(now)
        return values

    @classmethod
    def on_modification(cls, mode, tickets, field_names=None):
        pool = Pool()
        Message = pool.get('multipoint.ticket.message')
        super().on_modification(mode, tickets, field_names=field_names)
        if mode == 'create':
            cls._set_deadlines(tickets)
            # the first assignee is a change like the others: recorded and
            # told
            Message.create([Message.change_values(t, 'assignee', None,
                        t.assignee) for t in tickets if t.assignee])
        elif mode == 'write' and field_names & {'type', 'priority'}:
            cls._set_deadlines(tickets)

    @classmethod
    def on_write(cls, tickets, values):
        callbacks = super().on_write(tickets, values)
        tracked = [f for f in TRACKED if f in values]
        if tracked:
            before = {t.id: {f: getattr(t, f) for f in tracked}
                for t in tickets}
            callbacks.append(lambda: cls._record_changes(before))
        return callbacks

    @classmethod
    def _record_changes(cls, before):
        "Write into the threads what changed since before"
        Message = Pool().get('multipoint.ticket.message')
        vlist = []
        for ticket in cls.browse(list(before)):
            for field, old in before[ticket.id].items():
                new = getattr(ticket, field)
                if old != new:
                    vlist.append(
                        Message.change_values(ticket, field, old, new))
        Message.create(vlist)

    @classmethod
    def _set_deadlines(cls, tickets):
        SLA = Pool().get('multipoint.ticket.sla')
        hours = SLA.hours_for((t.type, t.priority) for t in tickets)
        now = clock.utcnow()
        for ticket in tickets:
            ticket.sla_deadline = ticket.sla_start + dt.timedelta(
                hours=hours[(ticket.type, ticket.priority)])
            if ticket.escalated and ticket.sla_deadline > now:
                # a new priority gave it time again
                ticket.escalated = False
                ticket.escalated_at = None
        cls.save(tickets)

    @classmethod
    def _reopen(cls, tickets):
        "Clear the resolution and start a new SLA period"
        now = clock.utcnow()
        for ticket in tickets:
            ticket.resolved_at = ticket.resolved_date = None
            ticket.resolve_hours = ticket.closed_at = None
            ticket.sla_start = now
            ticket.escalated = False
            ticket.escalated_at = None
        cls.save(tickets)
        cls._set_deadlines(tickets)

    @classmethod
    @ModelView.button
    @Workflow.transition('in_progress')
    def start(cls, tickets):
        "Take the ticket: the user becomes its assignee when it has none"
        user = Transaction().user
        cls._reopen([t for t in tickets if t.state in {'resolved', 'closed'}])
        free = [t for t in tickets if not t.assignee]
        if user and free:
            cls.write(free, {'assignee': user})

    @classmethod
    @ModelView.button
    @Workflow.transition('waiting_supplier')
    def wait_supplier(cls, tickets):
        for ticket in tickets:
            if not ticket.supplier:
                raise TicketError(gettext(
                        'multipoint_tickets.msg_ticket_no_supplier',
                        ticket=ticket.rec_name))

    @classmethod
    @ModelView.button
    @Workflow.transition('waiting_point')
    def wait_point(cls, tickets):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('resolved')
    def resolve(cls, tickets):
        now = clock.utcnow()
        for ticket in tickets:
            ticket.resolved_at = now
            ticket.resolved_date = ticket.point.local_date(now)
            ticket.resolve_hours = round(
                (now - ticket.opened_at).total_seconds() / 3600, 1)
        cls.save(tickets)

    @classmethod
    @ModelView.button
    @Workflow.transition('closed')
    def close(cls, tickets):
        cls.write(tickets, {'closed_at': clock.utcnow()})

    @classmethod
    @ModelView.button
    @Workflow.transition('in_progress')
    def reopen(cls, tickets):
        cls._reopen([t for t in tickets if t.state in {'resolved', 'closed'}])

    @classmethod
    def escalate_overdue(cls):
        """Hand the open tickets past their SLA deadline to the owner:
        flag them, say it in their thread and tell the owners. Run by
        ir.cron; a ticket is escalated once per SLA period."""
        pool = Pool()
        Configuration = pool.get('multipoint.configuration')
        Message = pool.get('multipoint.ticket.message')
        Notification = pool.get('multipoint.notification')
        now = clock.utcnow()
        tickets = cls.search([
                ('state', 'in', OPEN_STATES),
                ('sla_deadline', '<', now),
                ('escalated', '=', False),
                ], order=[('sla_deadline', 'ASC'), ('id', 'ASC')])
        if not tickets:
            return []
        owner = Configuration(1).ticket_escalation_owner
        owners = [owner] if owner else cls._owners()
        values = {'escalated': True, 'escalated_at': now}
        if owner:
            values['assignee'] = owner.id
        # the owners hear of it once, by the escalation message below
        with Transaction().set_context(_ticket_escalation=True):
            cls.write(tickets, values)
        names = ', '.join(o.rec_name for o in owners)
        Message.create([{
                    'ticket': t.id,
                    'kind': 'escalation',
                    'internal': True,
                    'body': gettext(
                        'multipoint_tickets.msg_ticket_escalated_note',
                        deadline=_format_moment(t.sla_deadline, t.point),
                        owners=names or '—'),
                    } for t in tickets])
        for ticket in tickets:
            Notification.notify('ticket_escalated', owners, ticket.point,
                _render_escalation, ticket)
        return tickets

    @staticmethod
    def _owners():
        "The active users of the owner group"
        pool = Pool()
        Group = pool.get('res.group')
        ModelData = pool.get('ir.model.data')
        group = Group(ModelData.get_id('multipoint_core', 'group_owner'))
        return [u for u in group.users if u.active]


def _format_moment(moment, point):
    "A UTC moment as the local time of point, for a text"
    if not moment:
        return '—'
    local = moment.replace(tzinfo=dt.timezone.utc).astimezone(point.tzinfo)
    return local.strftime('%d.%m.%Y %H:%M')


def _render_escalation(ticket):
    label = gettext('multipoint_tickets.msg_notify_escalated_label',
        ticket=ticket.number)
    return label, gettext('multipoint_tickets.msg_notify_escalated',
        ticket=ticket.number, title=ticket.title,
        point=ticket.point.rec_name,
        deadline=_format_moment(ticket.sla_deadline, ticket.point),
        assignee=ticket.assignee.rec_name if ticket.assignee else '—')


class TicketParcel(ModelSQL):
    "Ticket - Parcel"
    __name__ = 'multipoint.ticket-multipoint.parcel'
    ticket = fields.Many2One(
        'multipoint.ticket', "Ticket", required=True, ondelete='CASCADE')
    parcel = fields.Many2One(
        'multipoint.parcel', "Parcel", required=True, ondelete='RESTRICT')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('ticket')
        t = cls.__table__()
        cls._sql_constraints += [
            ('ticket_parcel_unique', Unique(t, t.ticket, t.parcel),
                'multipoint_tickets.msg_ticket_parcel_unique'),
            ]
        cls._sql_indexes.add(Index(t, (t.parcel, Index.Equality())))


class TicketMessage(ModelSQL, ModelView):
    "Ticket Message"
    __name__ = 'multipoint.ticket.message'
    _written = {'readonly': Eval('id', -1) >= 0}

    ticket = fields.Many2One(
        'multipoint.ticket', "Ticket", required=True, ondelete='CASCADE',
        states=_written)
    date = fields.DateTime("Date", readonly=True)
    author = fields.Many2One('res.user', "Author", readonly=True)
    supplier = fields.Many2One(
        'party.party', "Written by Supplier", readonly=True,
        help="Set when the supplier wrote the message in the portal.")
    author_name = fields.Function(fields.Char("From"), 'get_author_name')
    kind = fields.Selection([
            ('comment', "Comment"),
            ('change', "Change"),
            ('escalation', "Escalation"),
            ], "Kind", required=True, readonly=True)
    change = fields.Selection([
            (None, ""),
            ('state', "State"),
            ('assignee', "Assignee"),
            ('priority', "Priority"),
            ], "Changed Field", readonly=True)
    old_value = fields.Char("Old Value", readonly=True)
    new_value = fields.Char("New Value", readonly=True)
    body = fields.Text("Message", required=True, states=_written)
    internal = fields.Boolean(
        "Internal Note", states=_written,
        help="For the staff only: the supplier never sees it.")
    attachments = fields.One2Many(
        'ir.attachment', 'resource', "Attachments",
        help="Photos of the damage, acts.")
    del _written

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('ticket')
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t, (t.ticket, Index.Equality()), (t.date, Index.Range())))
        cls._order = [('date', 'ASC'), ('id', 'ASC')]

    @staticmethod
    def default_kind():
        return 'comment'

    @staticmethod
    def default_internal():
        return False

    def get_rec_name(self, name):
        return f'{self.ticket.rec_name}: {self.author_name}'

    def get_author_name(self, name):
        if self.supplier:
            return self.supplier.rec_name
        if self.author:
            return self.author.rec_name
        return gettext('multipoint_tickets.msg_author_system')

    @classmethod
    def change_values(cls, ticket, field, old, new):
        "The values of the message recording a change of field"
        def key(value):
            return str(value.id) if hasattr(value, 'id') else value

        def label(value):
            if value is None:
                return '—'
            if field == 'assignee':
                return value.rec_name
            selection = ticket.fields_get([field])[field]['selection']
            return dict(selection).get(value, value)
        return {
            'ticket': ticket.id,
            'kind': 'change',
            'change': field,
            'old_value': key(old),
            'new_value': key(new),
            # the state is the supplier's business; whom it is assigned to
            # and how urgent it is for us are not
            'internal': field != 'state',
            'body': gettext(f'multipoint_tickets.msg_change_{field}',
                old=label(old), new=label(new)),
            }

    @classmethod
    def preprocess_values(cls, mode, values):
        pool = Pool()
        Ticket = pool.get('multipoint.ticket')
        values = super().preprocess_values(mode, values)
        if mode == 'create':
            values['date'] = clock.utcnow()
            if not values.get('supplier'):
                values.setdefault('author', Transaction().user or None)
            ticket = Ticket(values['ticket']) if values.get('ticket') \
                else None
            if (values.get('kind', 'comment') == 'comment'
                    and ticket and ticket.state == 'closed'):
                raise TicketError(gettext(
                        'multipoint_tickets.msg_ticket_closed',
                        ticket=ticket.rec_name))
        return values

    @classmethod
    def check_modification(cls, mode, messages, values=None, external=False):
        super().check_modification(
            mode, messages, values=values, external=external)
        # the thread is a record: only attachments may be added later, and
        # only the database owner (root) may repair it
        if mode != 'create' and Transaction().user and (mode == 'delete'
                or set(values) - {'attachments'}):
            raise MessageImmutableError(gettext(
                    'multipoint_tickets.msg_message_immutable'))

    @classmethod
    def on_modification(cls, mode, messages, field_names=None):
        super().on_modification(mode, messages, field_names=field_names)
        if mode == 'create':
            cls._notify(messages)

    @classmethod
    def _notify(cls, messages):
        """Tell the assignee what others wrote or assigned to them, and the
        supplier what is not internal and concerns it"""
        Notification = Pool().get('multipoint.notification')
        escalation = Transaction().context.get('_ticket_escalation')
        todo = defaultdict(list)
        for message in messages:
            ticket = message.ticket
            assignee = ticket.assignee
            to_assignee = to_supplier = False
            if message.kind == 'comment':
                to_assignee = assignee and (
                    message.supplier or assignee != message.author)
                to_supplier = not (message.internal or message.supplier)
            elif message.kind == 'change':
                to_assignee = (message.change == 'assignee'
                    and assignee and assignee != message.author
                    and not escalation)
                to_supplier = (message.change == 'state'
                    and message.new_value in SUPPLIER_STATES)
            if to_assignee:
                todo[ticket, assignee].append(message.id)
            if to_supplier and ticket.supplier:
                todo[ticket, ticket.supplier].append(message.id)
        for (ticket, recipient), ids in todo.items():
            Notification.notify('ticket', [recipient], ticket.point,
                lambda t, ids=ids: _render_thread(t, ids), ticket)


def _render_thread(ticket, message_ids):
    Message = Pool().get('multipoint.ticket.message')
    label = gettext('multipoint_tickets.msg_notify_ticket_label',
        ticket=ticket.number, title=ticket.title)
    lines = [label] + [
        gettext('multipoint_tickets.msg_notify_ticket_line',
            author=m.author_name, body=m.body)
        for m in Message.browse(message_ids)]
    return label, '\n'.join(lines)
