"""Public tracking page: a recipient enters the order number and the last 4
digits of the phone to see the status, the point and the storage deadline,
and may extend the storage, and give or withdraw the consent to advertising
by SMS (consent.py) after reading its text. Nothing else is shown: no name,
no phone, no other parcel. Wrong attempts are limited per client network.

This file holds the attempts' model, how a recipient's parcels are found
and shown, and the wrapper of the page's requests (public); the routes are
in routes_tracking.py."""
import datetime as dt
import ipaddress
import urllib.parse
from decimal import Decimal
from http import HTTPStatus

from sql.aggregate import Count

from trytond import config
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, fields
from trytond.protocols.wrappers import with_pool, with_transaction
from trytond.transaction import Transaction

from .api import LANGUAGE, error_response, json_loads

MAX_FAILURES = config.getint('multipoint', 'tracking_max_failures', default=10)
WINDOW = dt.timedelta(minutes=config.getint(
        'multipoint', 'tracking_window_minutes', default=15))


class TrackingAttempt(ModelSQL):
    "Failed attempt on the public tracking page"
    __name__ = 'multipoint.tracking.attempt'
    network = fields.Char("Network", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t, (t.network, Index.Equality()),
                (t.create_date, Index.Range())))

    @staticmethod
    def network_of(address):
        "Count attempts per /24 (IPv4) or /56 (IPv6): one client network"
        try:
            ip = ipaddress.ip_address(address or '0.0.0.0')
        except ValueError:
            return str(address)
        prefix = 24 if ip.version == 4 else 56
        return str(ipaddress.ip_network(f'{ip}/{prefix}', strict=False))

    @classmethod
    def blocked(cls, address):
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(Count(table.id),
                where=(table.network == cls.network_of(address))
                & (table.create_date > dt.datetime.utcnow() - WINDOW)))
        count, = cursor.fetchone()
        return count >= MAX_FAILURES

    @classmethod
    def add(cls, address):
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        # forget old attempts as new ones come
        cursor.execute(*table.delete(
                where=table.create_date < dt.datetime.utcnow() - WINDOW))
        cls.create([{'network': cls.network_of(address)}])


def tracked_parcels(pool, data):
    Parcel = pool.get('multipoint.parcel')
    order = str(data.get('order') or '').strip()
    digits = ''.join(c for c in str(data.get('phone') or '') if c.isdigit())
    if not order or len(digits) != 4:
        return []
    return Parcel.search([
            ('order_number', '=', order),
            ('phone_last4', '=', digits),
            ], limit=5)


def rub(amount):
    "An amount written the Russian way: 1 480,00 ₽"
    amount = Decimal(amount or 0).quantize(Decimal('0.01'))
    text = f'{abs(amount):,.2f}'.replace(',', ' ').replace('.', ',')
    return f"{'-' if amount < 0 else ''}{text} ₽"


def tracking_json(parcel):
    point = parcel.point
    address = ', '.join(filter(None, [point.city, point.address]))
    return {
        'order': parcel.order_number,
        'supplier': parcel.supplier.rec_name,
        'state': parcel.state,
        'state_name': parcel.state_string,
        'storage_deadline': parcel.storage_deadline,
        'can_extend_days': parcel.can_extend(),
        'amount_due': str(parcel.amount_due),
        'amount_due_text': rub(parcel.amount_due),
        'storage_until': (parcel.storage_until.isoformat()
            if parcel.storage_until else None),
        'storage_deadline_text': parcel.storage_end_text,
        'point': {
            'name': point.name,
            'address': address,
            'opening_hours': point.opening_hours,
            'phone': point.phone,
            'map_url': 'https://yandex.ru/maps/?text='
            + urllib.parse.quote(address),
            },
        }


# What the page offers: news and advertising by SMS, to the parcel's phone
CONSENT_PURPOSE, CONSENT_CHANNEL = 'marketing', 'sms'


def consent_json(pool, parcels):
    "Whether the recipient consents to advertising, and the document's text"
    from .consent import document
    Consent = pool.get('multipoint.consent')
    phones = {p.recipient_phone for p in parcels}
    valid = Consent.valid_phones(phones, CONSENT_PURPOSE, CONSENT_CHANNEL)
    version, text = document(CONSENT_PURPOSE)
    return {
        'purpose': CONSENT_PURPOSE,
        'channel': CONSENT_CHANNEL,
        'given': bool(phones) and phones <= valid,
        'version': version,
        'text': text,
        }


def public(func):
    "Run as root in Russian, refusing clients with too many failures"
    @with_pool
    @with_transaction(context={'language': LANGUAGE})
    def wrapper(request, pool):
        Attempt = pool.get('multipoint.tracking.attempt')
        if Attempt.blocked(request.remote_addr):
            return error_response(HTTPStatus.TOO_MANY_REQUESTS,
                'too_many_attempts',
                gettext('multipoint_core.msg_tracking_too_many'))
        try:
            data = json_loads(request.data or b'{}', parse_float=float)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            data = {}
        parcels = tracked_parcels(pool, data)
        if not parcels:
            Attempt.add(request.remote_addr)
            return error_response(HTTPStatus.NOT_FOUND, 'not_found',
                gettext('multipoint_core.msg_tracking_not_found'))
        return func(request, pool, parcels, data)
    return wrapper
