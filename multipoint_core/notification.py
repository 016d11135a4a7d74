"""Recipient notifications outbox.

Other code calls ``Notification.enqueue(parcels, kind, ...)`` in its own
transaction, so a message exists exactly when the change it reports is
committed. The cron ``send_pending`` delivers the due messages through the
gateway of their channel (see gateway.py) and records the outcome:

- accepted by the gateway: ``sent`` with the gateway's message id;
- refused, garbage answer, time-out, connection refused: still ``pending``,
  one more attempt, next attempt after 1, 2, 4, 8… minutes (at most 1 h);
  after ``max_attempts`` (8) attempts: ``failed``; an owner may retry it;
- a channel without a configured gateway: the message is not tried and not
  counted (counting would fail every message after a few minutes of a
  missing setting); it waits with ``last_error`` saying why and goes out
  once the gateway is configured.

Delivery is at least once: a message is sent before the transaction that
records it commits, so a crash between the two sends it again on the next
run. The rows being sent are locked (SKIP LOCKED on PostgreSQL), so two
cron processes never send the same message.

Service messages (every kind but ``promo``) never ask for a consent: they
are the service. A ``promo`` message is marketing: it is queued only for
recipients with a valid marketing consent for its channel (consent.py), and
checked again when sent, so that a withdrawal between the two stops it: it
is then ``withheld`` and never sent.

The issue code is in the body of the ``code`` message only: never in
another field, an event or a log line. Only owners may read bodies, and the
code is masked in the body once the message has left the outbox.
"""
import datetime as dt
import logging

from trytond import config
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access

from .exceptions import MultipointError
from .gateway import SECTION, GatewayError, GatewayUnavailable, get_gateway

logger = logging.getLogger(__name__)

KINDS = [
    ('arrived', "Arrived"),
    ('reminder', "Reminder"),
    ('extended', "Storage Extended"),
    ('code', "Issue Code"),
    ('promo', "Advertising and News"),
    ]
# Kinds sent only with the recipient's consent; the others are the service
MARKETING_KINDS = {'promo'}
PURPOSES = [
    ('service', "Service"),
    ('marketing', "Marketing"),
    ]
CHANNELS = [
    ('sms', "SMS"),
    ('email', "E-mail"),
    ('telegram', "Telegram"),
    ]
# Texts for the recipients: Russian whatever the language of the user who
# caused them; placeholders: order, point, address, deadline, code
TEMPLATES = {
    'arrived': ("Заказ {order} прибыл в пункт выдачи {point}, {address}. "
        "Срок хранения — до {deadline}."),
    'reminder': ("Напоминаем: заказ {order} ждёт вас в пункте {point}, "
        "{address}, до {deadline}. Затем он вернётся отправителю."),
    'extended': ("Срок хранения заказа {order} в пункте {point} продлён "
        "до {deadline}."),
    'code': ("Заказ {order} ждёт вас в пункте {point}, {address}, "
        "до {deadline}. Код получения: {code}"),
    'promo': "{text}",
    }
SUBJECTS = {
    'arrived': "Заказ {order} прибыл в пункт выдачи",
    'reminder': "Заказ {order} ждёт вас",
    'extended': "Срок хранения заказа {order} продлён",
    'code': "Код получения заказа {order}",
    'promo': "Новости пункта выдачи {point}",
    }
CODE_MASK = '******'
MAX_DELAY = dt.timedelta(hours=1)


class NotificationError(MultipointError):
    api_code = 'notification'


class Notification(ModelSQL, ModelView):
    "Multipoint Notification"
    __name__ = 'multipoint.notification'
    parcel = fields.Many2One(
        'multipoint.parcel', "Parcel", required=True, readonly=True,
        ondelete='RESTRICT')
    point = fields.Many2One(
        'multipoint.point', "Point", required=True, readonly=True,
        ondelete='RESTRICT', help="The point of the parcel.")
    kind = fields.Selection(KINDS, "Kind", required=True, readonly=True)
    kind_string = kind.translated('kind')
    purpose = fields.Selection(
        PURPOSES, "Purpose", required=True, readonly=True,
        help="Marketing messages are sent only with the recipient's "
        "consent.")
    channel = fields.Selection(
        CHANNELS, "Channel", required=True, readonly=True)
    recipient = fields.Char(
        "Recipient", required=True, readonly=True,
        help="Phone number, e-mail address or Telegram chat id, "
        "depending on the channel.")
    recipient_masked = fields.Function(
        fields.Char("Recipient"), 'get_recipient_masked')
    body = fields.Text("Text", required=True, readonly=True)
    state = fields.Selection([
            ('pending', "Pending"),
            ('sent', "Sent"),
            ('failed', "Failed"),
            ('withheld', "Withheld (No Consent)"),
            ], "State", required=True, readonly=True, sort=False)
    attempts = fields.Integer("Attempts", readonly=True)
    next_attempt_at = fields.DateTime(
        "Next Attempt", readonly=True,
        states={'invisible': Eval('state') != 'pending'})
    last_error = fields.Char("Last Error", readonly=True)
    sent_at = fields.DateTime("Sent At", readonly=True)
    gateway_id = fields.Char(
        "Gateway Message ID", readonly=True,
        help="The id the gateway gave the message.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.state, Index.Equality(cardinality='low')),
                    (t.next_attempt_at, Index.Range()),
                    where=t.state == 'pending'),
                Index(t, (t.parcel, Index.Equality())),
                Index(t, (t.point, Index.Equality()),
                    (t.create_date, Index.Range())),
                })
        cls._order = [('create_date', 'DESC'), ('id', 'DESC')]
        cls._buttons.update({
                'retry': {
                    'invisible': Eval('state') != 'failed',
                    'depends': ['state'],
                    },
                })

    @staticmethod
    def default_state():
        return 'pending'

    @staticmethod
    def default_attempts():
        return 0

    @staticmethod
    def default_purpose():
        return 'service'

    def get_rec_name(self, name):
        return f'{self.kind_string}: {self.parcel.rec_name}'

    def get_recipient_masked(self, name):
        "Only owners read the full address (field access): others its end"
        recipient = self.recipient or ''
        return f'***{recipient[-4:]}' if recipient else ''

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('parcel.rec_name', *clause[1:])]

    @staticmethod
    def max_attempts():
        return config.getint(SECTION, 'max_attempts', default=8)

    @staticmethod
    def delay(attempts):
        "The wait after a failed attempt: 1, 2, 4… minutes, at most 1 h"
        return min(dt.timedelta(minutes=2 ** min(attempts - 1, 10)),
            MAX_DELAY)

    @classmethod
    def render(cls, kind, parcel, code=None, text=None):
        "The text of a kind of message about parcel"
        return TEMPLATES[kind].format(
            **cls._placeholders(parcel, code), text=text)

    @classmethod
    def subject(cls, kind, parcel):
        return SUBJECTS[kind].format(**cls._placeholders(parcel))

    @staticmethod
    def _placeholders(parcel, code=None):
        point = parcel.point
        address = ', '.join(filter(None, (line.strip(' ,')
                    for line in (point.address or '').splitlines())))
        return {
            'order': parcel.order_number,
            'point': point.name,
            'address': address,
            'deadline': parcel.storage_end_text or '—',
            'code': code,
            }

    @classmethod
    def enqueue(cls, parcels, kind, code=None, contacts=None, text=None):
        """Queue one kind of message to the recipient of each parcel, in
        one create; return the notifications.

        code: the plain issue code (one parcel) or {parcel: code}, for the
        'code' kind only. contacts: optional {parcel: {'email': address,
        'telegram_chat_id': chat id}}; the channel is Telegram when a chat
        id is given, else e-mail when an address is given, else SMS to the
        parcel's phone. Parcels with none of these get no message.
        text: the text of a 'promo' message, queued only to the recipients
        with a valid marketing consent for the channel.
        """
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        Consent = pool.get('multipoint.consent')
        assert kind in TEMPLATES, kind
        purpose = 'marketing' if kind in MARKETING_KINDS else 'service'
        if purpose == 'marketing' and not (text or '').strip():
            raise ValueError('no text for a marketing message')
        codes = code if isinstance(code, dict) else {}
        contacts = contacts or {}
        now = dt.datetime.utcnow().replace(microsecond=0)
        vlist = []
        # the caller may queue messages it may not read itself
        with without_check_access():
            for parcel in Parcel.browse(parcels):
                parcel_code = codes.get(parcel) if codes else code
                if kind == 'code' and not parcel_code:
                    raise ValueError(
                        f'no issue code for parcel {parcel.id}')
                contact = contacts.get(parcel) or {}
                if contact.get('telegram_chat_id'):
                    channel = 'telegram'
                    recipient = str(contact['telegram_chat_id'])
                elif contact.get('email'):
                    channel, recipient = 'email', contact['email'].strip()
                elif parcel.recipient_phone:
                    channel, recipient = 'sms', parcel.recipient_phone
                else:
                    continue
                vlist.append({
                        'purpose': purpose,
                        'parcel': parcel.id,
                        'point': parcel.point.id,
                        'kind': kind,
                        'channel': channel,
                        'recipient': recipient,
                        'body': cls.render(
                            kind, parcel,
                            parcel_code if kind == 'code' else None, text),
                        'next_attempt_at': now,
                        })
            if purpose == 'marketing':
                vlist = cls._with_consent(vlist, Parcel, Consent)
            return cls.create(vlist)

    @staticmethod
    def _with_consent(vlist, Parcel, Consent):
        "The values of the messages whose recipient consented to them"
        phones = {p.id: p.recipient_phone
            for p in Parcel.browse([v['parcel'] for v in vlist])}
        allowed = {channel: Consent.valid_phones(
                phones.values(), 'marketing', channel)
            for channel in {v['channel'] for v in vlist}}
        return [v for v in vlist
            if phones[v['parcel']] in allowed[v['channel']]]

    @classmethod
    def send_pending(cls, limit=None):
        """Send the due pending notifications, at most limit attempts,
        and record the outcome of each; return the notifications tried"""
        now = dt.datetime.utcnow().replace(microsecond=0)
        gateways = {}
        for channel, _ in CHANNELS:
            gateway = get_gateway(channel)
            if gateway:
                gateways[channel] = gateway
            else:
                cls._flag_unconfigured(channel)
        tried = []
        for channel, gateway in gateways.items():
            left = None if limit is None else limit - len(tried)
            if left is not None and left <= 0:
                break
            due = cls._lock_due(channel, now, left)
            for notification in cls._without_consent(due, channel):
                notification._withhold(now)
                tried.append(notification)
            for notification in due:
                if notification.state != 'pending':
                    continue
                tried.append(notification)
                try:
                    gateway_id = gateway.send(
                        notification.recipient, notification.body,
                        subject=cls.subject(
                            notification.kind, notification.parcel))
                except GatewayError as error:
                    notification._failed(str(error), now)
                    logger.warning(
                        'notification %s through %s: %s',
                        notification.id, channel, error)
                    if isinstance(error, GatewayUnavailable):
                        # the others of the channel wait for the next run
                        break
                except Exception as error:
                    # a bug in a gateway must not roll back the record of
                    # the messages already sent (they would go out twice);
                    # no traceback: its text could quote the message
                    logger.error(
                        'notification %s through %s: unexpected %s',
                        notification.id, channel, type(error).__name__)
                    notification._failed(type(error).__name__, now)
                else:
                    notification._sent(gateway_id, now)
                    logger.info('notification %s sent through %s as %s',
                        notification.id, channel, gateway_id)
        cls.save(tried)
        return tried

    @classmethod
    def _lock_due(cls, channel, now, limit):
        "The due notifications of channel, locked against another sender"
        transaction = Transaction()
        database = transaction.database
        table = cls.__table__()
        query = table.select(table.id,
            where=(table.state == 'pending')
            & (table.channel == channel)
            & (table.next_attempt_at <= now),
            order_by=[table.next_attempt_at.asc, table.id.asc],
            limit=limit)
        if database.has_select_for():
            For = database.get_select_for_skip_locked()
            query.for_ = For('UPDATE')
        cursor = transaction.connection.cursor()
        cursor.execute(*query)
        return cls.browse([id_ for id_, in cursor])

    @classmethod
    def _flag_unconfigured(cls, channel):
        "Say on the waiting notifications of channel why they wait"
        channels = dict(cls.fields_get(['channel'])['channel']['selection'])
        error = gettext('multipoint_core.msg_notification_no_gateway',
            channel=channels[channel])
        waiting = cls.search([
                ('state', '=', 'pending'),
                ('channel', '=', channel),
                ['OR',
                    ('last_error', '=', None),
                    ('last_error', '!=', error),
                    ],
                ])
        if waiting:
            cls.write(waiting, {'last_error': error})

    @classmethod
    def _without_consent(cls, notifications, channel):
        "The marketing notifications whose recipient's consent is not valid"
        Consent = Pool().get('multipoint.consent')
        marketing = [n for n in notifications if n.purpose == 'marketing']
        if not marketing:
            return []
        with without_check_access():
            allowed = Consent.valid_phones(
                [n.parcel.recipient_phone for n in marketing],
                'marketing', channel)
            return [n for n in marketing
                if n.parcel.recipient_phone not in allowed]

    def _withhold(self, now):
        "Never send it: the recipient has no valid consent (any more)"
        self.state = 'withheld'
        self.next_attempt_at = None
        self.last_error = gettext('multipoint_core.msg_notification_withheld')

    def _sent(self, gateway_id, now):
        self.attempts = (self.attempts or 0) + 1
        self.state = 'sent'
        self.sent_at = now
        self.gateway_id = gateway_id
        self.next_attempt_at = None
        self.last_error = None
        self._mask_code()

    def _failed(self, error, now):
        self.attempts = (self.attempts or 0) + 1
        self.last_error = error[:200]
        if self.attempts >= self.max_attempts():
            self.state = 'failed'
            self.next_attempt_at = None
        else:
            self.next_attempt_at = now + self.delay(self.attempts)

    def _mask_code(self):
        "Keep no usable issue code once the message left the outbox"
        if self.kind == 'code':
            self.body = self.render('code', self.parcel, CODE_MASK)

    @classmethod
    def check_modification(
            cls, mode, notifications, values=None, external=False):
        super().check_modification(
            mode, notifications, values=values, external=external)
        if mode in {'write', 'delete'}:
            for notification in notifications:
                if notification.state == 'sent':
                    raise NotificationError(gettext(
                            'multipoint_core.msg_notification_sent',
                            notification=notification.rec_name))

    @classmethod
    @ModelView.button
    def retry(cls, notifications):
        "Give failed notifications a new series of attempts"
        now = dt.datetime.utcnow().replace(microsecond=0)
        cls.write([n for n in notifications if n.state == 'failed'], {
                'state': 'pending',
                'attempts': 0,
                'next_attempt_at': now,
                })
