"""Messages to staff and suppliers about tickets and tasks, through
multipoint_core's notification outbox.

The outbox was made for the recipients of parcels, but its delivery is
what tickets need too (gateways per channel, retries with back-off, rows
locked against a second sender, bodies readable by owners only). So this
module adds its kinds to it: such a notification has no parcel, names its
ticket when there is one, and gets a fixed subject per kind (the outbox
asks the subject from the kind only).

Staff are written to by e-mail (res.user e-mail), else by SMS to their
login mobile, and always in the web client (res.notification: the bell of
sao), so an assignee without e-mail or mobile still learns of it.
Suppliers are written to at the e-mail of their party. The texts are in
the language of each recipient (Russian when they have none).
"""
import datetime as dt

from sql import Null

from trytond.i18n import gettext
from trytond.model import Index, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access

KINDS = [
    ('ticket', "Ticket"),
    ('ticket_escalated', "Ticket Escalated"),
    ('task_reminder', "Task Reminder"),
    ]
OWN_KINDS = [k for k, _ in KINDS]


class Notification(metaclass=PoolMeta):
    __name__ = 'multipoint.notification'
    ticket = fields.Many2One(
        'multipoint.ticket', "Ticket", readonly=True, ondelete='RESTRICT',
        states={'invisible': ~Eval('ticket')})

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.kind.selection = cls.kind.selection + KINDS
        # the ticket and task kinds are about no parcel
        cls.parcel.required = False
        cls.parcel.states = {
            'required': ~Eval('kind').in_(OWN_KINDS),
            'invisible': Eval('kind').in_(OWN_KINDS),
            }
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t, (t.ticket, Index.Equality()), where=t.ticket != Null))

    @classmethod
    def subject(cls, kind, parcel):
        if kind in OWN_KINDS:
            return gettext(f'multipoint_tickets.msg_subject_{kind}')
        return super().subject(kind, parcel)

    def get_rec_name(self, name):
        if self.parcel:
            return super().get_rec_name(name)
        what = self.ticket.rec_name if self.ticket else self.recipient
        return f'{self.kind_string}: {what}'

    @classmethod
    def search_rec_name(cls, name, clause):
        return ['OR',
            super().search_rec_name(name, clause),
            [('ticket.rec_name', *clause[1:])],
            ]

    @classmethod
    def notify(cls, kind, recipients, point, render, record):
        """Queue one message of kind to each recipient (res.user or
        party.party) about record (a ticket or a task); return the outbox
        rows.

        render(record) gives (label, text); it is called in the language
        of each recipient, with record read in that language."""
        pool = Pool()
        User = pool.get('res.user')
        ticket = record if record.__name__ == 'multipoint.ticket' else None
        now = dt.datetime.utcnow().replace(microsecond=0)
        outbox = []
        # the caller may write to people whose contacts it may not read
        with without_check_access():
            for recipient in recipients:
                if isinstance(recipient, User):
                    language = recipient.language
                    contact = _user_contact(recipient)
                else:
                    language = recipient.lang
                    mechanism = recipient.contact_mechanism_get('email')
                    contact = ('email', mechanism.value.strip()) \
                        if mechanism else None
                label, text = _render(render, record, language)
                if isinstance(recipient, User):
                    # saved with the transaction, shown by the web client;
                    # its description is a one-line field
                    record.__class__.notify_user([record],
                        'tryton-notification', label,
                        description=' '.join(text.split())[:500],
                        user=recipient.id)
                if contact:
                    channel, address = contact
                    outbox.append({
                            'kind': kind,
                            'ticket': ticket.id if ticket else None,
                            'point': point.id,
                            'channel': channel,
                            'recipient': address,
                            'body': text,
                            'next_attempt_at': now,
                            })
            return cls.create(outbox)


def _user_contact(user):
    "(channel, address) to write to a member of staff, or None"
    if user.email:
        return 'email', user.email.strip()
    if user.multipoint_mobile:
        return 'sms', user.multipoint_mobile
    return None


def _render(render, record, language):
    code = language.code if language else 'ru'
    with Transaction().set_context(language=code):
        return render(record.__class__(record.id))
