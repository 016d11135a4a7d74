"""Recipients' consents to the processing of their personal data (152-FZ as
amended from 1 September 2025): each consent is its own document, for one
purpose and one channel, never bundled with the service.

- Keyed by the normalized phone of the recipient; a consent given at the
  desk or on the tracking page takes the phone of the recipient's parcel.
- A consent is never rewritten nor deleted: it is given (created), then
  withdrawn by its transition; a new consent after a withdrawal is a new
  record, so the history is the proof.
- A consent is valid while given and not past ``valid_until`` (the term the
  document states, ``[multipoint] consent_days``, 3 years).
- Service notifications (arrival, issue code, reminders, extension) never
  ask for a consent: they are the service, which may not be refused for
  the lack of one. Marketing notifications go out only with a valid consent
  for the phone and the channel, checked again when sent (notification.py).
- Retention: the phone of a consent withdrawn or expired more than
  ``retention_days`` ago is replaced by a placeholder; the record stays as
  the proof of what was agreed and when.
"""
import datetime as dt

from sql import Null
from sql.functions import CurrentTimestamp

from trytond import config
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access

from .exceptions import MultipointError
from .guard import Workflow, is_privileged
from .notification import CHANNELS
from .parcel import normalize_phone
from .personal_data_access import PersonalDataReadMixin
from .security import PLACEHOLDER, SECTION, is_owner, retention_days

PURPOSES = [
    ('service', "Service Notifications"),
    ('marketing', "Advertising and News"),
    ]
SOURCES = [
    ('tracking', "Tracking Page"),
    ('desk', "Point Desk"),
    ('supplier', "Supplier"),
    ('owner', "Owner"),
    ]
# The consent documents a recipient is shown, one per purpose; a new text
# takes a new version (the consent keeps the text it was given for)
DOCUMENTS = {
    'marketing': ('marketing-2025-09', (
            "Я даю согласие на обработку моего номера телефона для "
            "получения рекламы, новостей и предложений пунктов выдачи "
            "заказов по выбранному каналу связи. Согласие действует "
            "{years} года со дня его предоставления и может быть отозвано "
            "в любой момент на странице отслеживания заказа или в пункте "
            "выдачи. Отказ от согласия не влияет на получение и выдачу "
            "заказов.")),
    'service': ('service-2025-09', (
            "Я даю согласие на обработку моего номера телефона для "
            "сообщений о моих заказах: прибытии, коде получения, сроке "
            "хранения. Согласие действует {years} года со дня его "
            "предоставления и может быть отозвано в любой момент.")),
    }


class ConsentError(MultipointError):
    api_code = 'consent'


def consent_days():
    return config.getint(SECTION, 'consent_days', default=3 * 365)


def document(purpose):
    "The version and text of the consent document of purpose"
    version, text = DOCUMENTS[purpose]
    return version, text.format(years=round(consent_days() / 365))


class Consent(PersonalDataReadMixin, Workflow, ModelSQL, ModelView):
    "Personal Data Consent"
    __name__ = 'multipoint.consent'
    _rec_name = 'phone_last4'
    _personal_data_fields = {'phone'}
    _created = {'readonly': Eval('id', -1) >= 0}

    phone = fields.Char(
        "Phone", required=True, states=_created,
        help="The recipient's phone; taken from the parcel when one is "
        "given.")
    phone_last4 = fields.Char("Phone Last Digits", readonly=True)
    parcel = fields.Many2One(
        'multipoint.parcel', "Parcel", states=_created, ondelete='RESTRICT',
        help="The parcel through which the consent was given.")
    point = fields.Many2One(
        'multipoint.point', "Point", readonly=True, ondelete='RESTRICT')
    purpose = fields.Selection(
        PURPOSES, "Purpose", required=True, states=_created)
    channel = fields.Selection(
        CHANNELS, "Channel", required=True, states=_created)
    source = fields.Selection(
        SOURCES, "Source", required=True, states=_created,
        help="Where the recipient gave the consent.")
    given_at = fields.DateTime("Given At", readonly=True)
    valid_until = fields.DateTime(
        "Valid Until", readonly=True,
        help="The end of the term the consent document states.")
    withdrawn_at = fields.DateTime("Withdrawn At", readonly=True)
    withdrawal_source = fields.Selection(
        [(None, "")] + SOURCES, "Withdrawn Through", readonly=True)
    document_version = fields.Char("Document Version", readonly=True)
    document_text = fields.Text("Document Text", readonly=True)
    state = fields.Selection([
            ('given', "Given"),
            ('withdrawn', "Withdrawn"),
            ], "State", required=True, readonly=True, sort=False)
    del _created

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.phone, Index.Equality()),
                    (t.purpose, Index.Equality(cardinality='low')),
                    where=t.state == 'given'),
                Index(t, (t.point, Index.Equality())),
                Index(t, (t.parcel, Index.Equality())),
                })
        cls._order = [('given_at', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {('given', 'withdrawn')}
        cls._buttons.update({
                'withdraw': {
                    'invisible': Eval('state') != 'given',
                    'depends': ['state'],
                    },
                })

    @staticmethod
    def default_state():
        return 'given'

    @staticmethod
    def default_channel():
        return 'sms'

    @staticmethod
    def default_purpose():
        return 'marketing'

    @classmethod
    def default_source(cls):
        return 'owner' if is_owner(Transaction().user) else 'desk'

    @classmethod
    def preprocess_values(cls, mode, values):
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        values = super().preprocess_values(mode, values)
        if mode != 'create':
            return values
        if values.get('parcel'):
            # the desk does not read the phone: the parcel gives it
            with without_check_access():
                parcel = Parcel(values['parcel'])
                values['phone'] = parcel.recipient_phone
                values['point'] = parcel.point.id
        phone = normalize_phone(values.get('phone'))
        if not phone:
            raise ConsentError(gettext(
                    'multipoint_core.msg_consent_phone_invalid'))
        now = dt.datetime.utcnow().replace(microsecond=0)
        version, text = document(values.get('purpose') or 'marketing')
        values.update({
                'phone': phone,
                'phone_last4': phone[-4:],
                'given_at': now,
                'valid_until': now + dt.timedelta(days=consent_days()),
                'document_version': version,
                'document_text': text,
                })
        return values

    @classmethod
    def create(cls, vlist):
        transaction = Transaction()
        if (transaction.user and transaction.check_access
                and not is_privileged()
                and not is_owner(transaction.user)):
            # the staff records what the recipient says at the desk,
            # for a parcel of their point (the record rule)
            for values in vlist:
                if (values.get('source', cls.default_source()) != 'desk'
                        or not values.get('parcel')):
                    raise ConsentError(gettext(
                            'multipoint_core.msg_consent_desk_only'))
        return super().create(vlist)

    def get_rec_name(self, name):
        return f'***{self.phone_last4 or ""}'

    @classmethod
    def check_modification(cls, mode, consents, values=None, external=False):
        super().check_modification(
            mode, consents, values=values, external=external)
        if mode == 'delete' and Transaction().user:
            raise ConsentError(gettext('multipoint_core.msg_consent_delete'))
        if mode == 'write' and external and not is_privileged():
            raise ConsentError(gettext('multipoint_core.msg_consent_write'))

    @classmethod
    def validate(cls, consents):
        super().validate(consents)
        cls._check_single_valid(consents)

    @classmethod
    def _check_single_valid(cls, consents):
        "At most one valid consent per phone, purpose and channel"
        given = [c for c in consents if c.state == 'given']
        if not given:
            return
        valid = cls.search([
                ('phone', 'in', list({c.phone for c in given})),
                ('state', '=', 'given'),
                ('valid_until', '>', dt.datetime.utcnow()),
                ])
        seen = set()
        for consent in valid:
            key = (consent.phone, consent.purpose, consent.channel)
            if key in seen:
                raise ConsentError(gettext(
                        'multipoint_core.msg_consent_already_given',
                        consent=consent.rec_name))
            seen.add(key)

    @classmethod
    def valid_phones(cls, phones, purpose, channel):
        "The phones among phones with a valid consent for purpose, channel"
        phones = list({p for p in phones if p})
        if not phones:
            return set()
        with without_check_access():
            consents = cls.search([
                    ('phone', 'in', phones),
                    ('purpose', '=', purpose),
                    ('channel', '=', channel),
                    ('state', '=', 'given'),
                    ('valid_until', '>', dt.datetime.utcnow()),
                    ])
            return {c.phone for c in consents}

    @classmethod
    def give(cls, parcels, purpose, channel, source):
        """Record the consent of the recipients of parcels, unless one is
        valid already; return the consents created"""
        with without_check_access():
            have = cls.valid_phones(
                [p.recipient_phone for p in parcels], purpose, channel)
            vlist, phones = [], set()
            for parcel in parcels:
                if parcel.recipient_phone in have | phones:
                    continue
                phones.add(parcel.recipient_phone)
                vlist.append({
                        'parcel': parcel.id,
                        'purpose': purpose,
                        'channel': channel,
                        'source': source,
                        })
            return cls.create(vlist)

    @classmethod
    def withdraw_phones(cls, phones, purpose, channel, source):
        "Withdraw the valid consents of phones; return them"
        with without_check_access():
            consents = cls.search([
                    ('phone', 'in', list(phones)),
                    ('purpose', '=', purpose),
                    ('channel', '=', channel),
                    ('state', '=', 'given'),
                    ])
            cls._withdraw(consents, source)
            return consents

    @classmethod
    @ModelView.button
    def withdraw(cls, consents):
        "The recipient withdraws the consent (at the desk or to an owner)"
        source = 'owner' if is_owner(Transaction().user) else 'desk'
        cls._withdraw(consents, source)

    @classmethod
    @Workflow.transition('withdrawn')
    def _withdraw(cls, consents, source):
        cls.write(consents, {
                'withdrawn_at': dt.datetime.utcnow().replace(microsecond=0),
                'withdrawal_source': source,
                })

    @classmethod
    def purge_personal_data(cls):
        """Replace the phone of the consents withdrawn or expired more than
        retention_days ago by a placeholder, in one UPDATE; return their
        number"""
        days = retention_days()
        if days is None or days < 0:
            return 0
        limit = dt.datetime.utcnow() - dt.timedelta(days=days)
        table = cls.__table__()
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        cursor.execute(*table.update(
                [table.phone, table.phone_last4,
                    table.write_uid, table.write_date],
                [PLACEHOLDER, Null, transaction.user, CurrentTimestamp()],
                where=(table.phone != PLACEHOLDER)
                & (((table.state == 'withdrawn')
                        & (table.withdrawn_at < limit))
                    | (table.valid_until < limit))))
        count = max(cursor.rowcount, 0)
        if count:
            for cache in transaction.cache.values():
                cache.pop(cls.__name__, None)
        return count
