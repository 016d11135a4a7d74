"""CDEK's API v2 (../shared/docs/suppliers.md §5). CDEK publishes no API for
partner pickup points, only the sender's: a point reads the orders of a
sender account that travel to it.

- OAuth2 client credentials: POST oauth/token (grant_type,
  client_id = the account's login, client_secret = its password) gives a
  bearer token and its lifetime (expires_in, about an hour). The token is
  kept per account in the process until shortly before it expires; a 401
  of an API call gets one new token and one more try.
- lookup: GET orders?cdek_number= (then ?im_number=, the sender's own
  number), or GET orders/{uuid} when CDEK's uuid of the order is known.
- fetch_events is the reconciliation poll behind the ORDER_STATUS
  webhooks (routes_cdek_webhook.py): the current status of the account's
  parcels still on their way or at the point, a batch per run (CDEK looks
  orders up one by one), the cursor being the last parcel polled. A status the
  webhook already brought is not recorded twice (cdek_webhook.CdekStatus).

Errors come as {"errors": [{code, message}]} or in
{"requests": [{state: "INVALID", errors: [...]}]}; their messages (in
Russian) go to the sync log as they are.
"""
import datetime as dt
import functools
import hashlib
import threading
import time
from decimal import Decimal

import requests

from trytond.i18n import gettext
from trytond.pool import Pool
from trytond.transaction import Transaction

from .connector import (
    ConnectorError, LineData, ParcelData, PlaceData, register)
from .connector_http import HttpConnector
from .values import amount, text as _text

URL = 'https://api.cdek.ru/v2/'
# a token is renewed this long before CDEK says it expires (a short-lived
# one half-way through its life)
TOKEN_MARGIN = 60
# parcels polled per run: CDEK has no bulk lookup, one request each
POLL_BATCH = 200
NOT_FOUND_CODES = {'v2_entity_not_found', 'v2_order_not_found'}
# CDEK status code -> what it means for the point (suppliers.md §13);
# codes not listed are "in transit"
STATUS_KINDS = {
    'ACCEPTED': 'registered',
    'CREATED': 'registered',
    'SENT_TO_RECIPIENT_CITY': 'expected',
    'ACCEPTED_IN_RECIPIENT_CITY': 'expected',
    'ACCEPTED_AT_RECIPIENT_CITY_WAREHOUSE': 'expected',
    'READY_TO_SHIP_IN_RECIPIENT_CITY': 'expected',
    'ACCEPTED_AT_PICK_UP_POINT': 'accepted',
    'POSTOMAT_POSTED': 'accepted',
    'DELIVERED': 'issued',
    'POSTOMAT_RECEIVED': 'issued',
    # refused by the recipient or kept beyond the storage term
    'NOT_DELIVERED': 'refused',
    'POSTOMAT_SEIZED': 'refused',
    'RETURNED_TO_RECIPIENT_CITY_WAREHOUSE': 'returned',
    'SENT_TO_SENDER_CITY': 'returned',
    'ACCEPTED_IN_SENDER_CITY': 'returned',
    'RETURNED_TO_SENDER_CITY_WAREHOUSE': 'returned',
    'REMOVED': 'cancelled',
    'INVALID': 'cancelled',
    }
# after these the order never comes back to the point: no more polling
FINAL_KINDS = {'issued', 'returned', 'cancelled'}
FINAL_CODES = {c for c, k in STATUS_KINDS.items() if k in FINAL_KINDS}
# our parcel states after which CDEK's news change nothing for the point
FINAL_STATES = ['issued', 'partially_issued', 'returned', 'cancelled', 'lost']
VAT_RATES = {'0', '5', '7', '10', '20', '22'}

# (database, account, credentials digest) -> (token, time.monotonic() to
# renew at): the tokens of this process
_tokens = {}
_tokens_lock = threading.Lock()


class NotFound(ConnectorError):
    "CDEK does not know the order"


def status_kind(code):
    return STATUS_KINDS.get(code, 'in_transit')


def status_text(code, city=None):
    "What a status means for the point (user's language), CDEK's code"
    kind = gettext(f'multipoint_suppliers.msg_cdek_status_{status_kind(code)}')
    return f"{kind} ({', '.join(filter(None, [code, city]))})"


def parse_datetime(value):
    """A naive UTC datetime of CDEK's ISO 8601 dates (offsets written
    +0700 or +07:00)"""
    date = dt.datetime.fromisoformat(str(value).replace('Z', '+00:00'))
    if date.tzinfo:
        date = date.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return date.replace(microsecond=0)


def _amount(value):
    "A CDEK amount: not given is zero"
    return amount(value) or Decimal('0.00')


def _errors(data):
    "[(code, message)] of a CDEK answer, top-level and per request"
    errors = list(data.get('errors') or [])
    for request in data.get('requests') or []:
        if isinstance(request, dict):
            errors.extend(request.get('errors') or [])
    return [(str(e.get('code') or ''), str(e.get('message') or ''))
        for e in errors if isinstance(e, dict)]


def _invalid(data):
    return any(isinstance(r, dict) and r.get('state') == 'INVALID'
        for r in data.get('requests') or [])


@register
class CdekConnector(HttpConnector):
    name = 'cdek'
    string = "CDEK (API v2)"
    capabilities = frozenset({'lookup', 'fetch_events'})
    supplier = "CDEK"
    # a 401 gets a new token once (_call)
    auth_statuses = frozenset()

    def __init__(self, account):
        super().__init__(account)
        # keep-alive for the poll's many small requests
        self.session = requests.Session()

    @functools.cached_property
    def base_url(self):
        return (self.credentials['url'] or URL).rstrip('/') + '/'

    # -- transport ---------------------------------------------------------

    def _send(self, method, url, **kwargs):
        """(response, its JSON object) of a request: {} for an empty body or
        an error answer that is not a JSON object"""
        response, data = self._request(method, url, **kwargs)
        if data is None:
            return response, {}
        if not isinstance(data, dict):
            if response.status_code >= 400:
                return response, {}
            raise self._error('msg_connector_bad_response',
                error=type(data).__name__)
        return response, data

    @functools.cached_property
    def _token_key(self):
        "The account's key in _tokens: new credentials, another token"
        credentials = self.credentials
        digest = hashlib.sha256('\0'.join([self.base_url,
                    credentials['login'] or '',
                    credentials['password'] or '']).encode()).hexdigest()
        return (Transaction().database.name, self.account.id, digest)

    def _token(self, renew=False):
        "A bearer token of the account: the one kept, or a new one"
        key = self._token_key
        with _tokens_lock:
            token, until = _tokens.get(key, (None, 0))
        if token and not renew and time.monotonic() < until:
            return token
        credentials = self.credentials
        form = {
            'grant_type': 'client_credentials',
            'client_id': credentials['login'] or '',
            'client_secret': credentials['password'] or '',
            }
        response, data = self._send('POST', self.base_url + 'oauth/token',
            data=form)
        if response.status_code in {400, 401, 403}:
            error = (data.get('error_description') or data.get('error')
                or '; '.join(m or c for c, m in _errors(data))
                or f'HTTP {response.status_code}')
            raise self._error('msg_connector_auth', error=error)
        self._check(response, data)
        token = data.get('access_token')
        try:
            lifetime = int(data.get('expires_in') or 0)
        except (TypeError, ValueError):
            lifetime = 0
        if not token or lifetime <= 0:
            raise self._error('msg_connector_bad_response',
                error="access_token")
        until = time.monotonic() + lifetime - min(TOKEN_MARGIN, lifetime / 2)
        with _tokens_lock:
            _tokens[key] = (token, until)
        return token

    def _forget_token(self, token):
        key = self._token_key
        with _tokens_lock:
            if _tokens.get(key, (None,))[0] == token:
                del _tokens[key]

    def _check(self, response, data):
        "Raise the error of a CDEK answer, if it is one"
        errors = _errors(data)
        # CDEK's own "not found", not a wrong address (a bare 404)
        if any(c in NOT_FOUND_CODES for c, _ in errors):
            raise NotFound('; '.join(m for _, m in errors))
        if response.status_code >= 400 or _invalid(data):
            code, message = errors[0] if errors else (
                f'HTTP {response.status_code}', response.reason or '')
            raise self._error('msg_connector_supplier_error',
                code=code, name=f'(HTTP {response.status_code})'
                if errors else '',
                error='; '.join(m for _, m in errors) or message)

    def _call(self, method, path, **kwargs):
        """The decoded answer of an API call with the account's token; a
        401 gets a new token once"""
        token = self._token()
        for attempt in range(2):
            response, data = self._send(method, self.base_url + path,
                headers={'Authorization': f'Bearer {token}',
                    'Accept': 'application/json'}, **kwargs)
            if response.status_code != 401:
                break
            self._forget_token(token)
            if attempt:
                raise self._error('msg_connector_auth',
                    error='HTTP 401')
            token = self._token(renew=True)
        self._check(response, data)
        return data

    # -- orders ------------------------------------------------------------

    def get_order(self, number=None, uuid=None):
        "CDEK's order (the entity) by its uuid, CDEK number or IM number"
        if uuid:
            return self._entity(self._call('GET', f'orders/{uuid}'))
        if number.isdigit():
            try:
                return self._entity(self._call('GET', 'orders',
                        params={'cdek_number': number}))
            except NotFound:
                pass
        return self._entity(self._call('GET', 'orders',
                params={'im_number': number}))

    def _entity(self, data):
        entity = data.get('entity')
        if not isinstance(entity, dict):
            raise self._error('msg_connector_bad_response', error="entity")
        return entity

    def lookup(self, number):
        number = str(number).strip()
        try:
            order = self.get_order(number)
        except NotFound:
            return None
        return self.parcel(order, source=f'GET orders {number}')

    def parcel(self, order, source=None):
        "The ParcelData of a CDEK order"
        number = _text(order.get('cdek_number')) or _text(order.get('number'))
        try:
            packages = [p for p in order.get('packages') or []
                if isinstance(p, dict)]
            items = [i for p in packages for i in p.get('items') or []
                if isinstance(i, dict)]
            lines = [LineData(
                    name=_text(i.get('name')) or _text(i.get('ware_key'))
                    or '?',
                    quantity=int(i.get('amount') or 1),
                    unit_price=_amount((i.get('payment') or {}).get('value')),
                    article=_text(i.get('ware_key')),
                    vat_rate=_vat((i.get('payment') or {}).get('vat_rate')),
                    # the Честный знак code of a marked item
                    marking_code=_text(i.get('marking')))
                for i in items]
            # the goods to pay at the point apart from the delivery
            goods = sum((l.unit_price * l.quantity for l in lines),
                Decimal('0.00'))
            fee = _amount((order.get('delivery_recipient_cost') or {})
                .get('value'))
            declared = sum((_amount(i.get('cost')) * int(i.get('amount') or 1)
                    for i in items), Decimal('0.00'))
            grams = sum(int(p.get('weight') or 0) for p in packages)
            places = [PlaceData(
                    _text(p.get('barcode')) or _text(p.get('number'))
                    or f'{number}-{i}',
                    weight=int(p['weight']) / 1000 if p.get('weight')
                    else None)
                for i, p in enumerate(packages, 1)]
        except (ValueError, TypeError, AttributeError) as exception:
            # an error of this order only
            return ParcelData(order_number=number or '?',
                error=str(exception), source=source)
        recipient = order.get('recipient') or {}
        phones = [p.get('number') for p in recipient.get('phones') or []
            if isinstance(p, dict) and p.get('number')]
        statuses = _statuses(order)
        return ParcelData(
            order_number=number,
            point_code=_text(order.get('delivery_point')),
            recipient_name=_text(recipient.get('name')),
            recipient_phone=_text(phones[0]) if phones else None,
            cod_amount=goods,
            delivery_fee=fee,
            declared_value=declared or None,
            prepaid=not (goods or fee),
            weight=grams / 1000 if grams else None,
            cancelled=bool(statuses)
            and status_kind(statuses[-1][0]) == 'cancelled',
            # an order without packages is one box
            places=places or [PlaceData(number)],
            lines=lines,
            source=source)

    # -- reconciliation poll -----------------------------------------------

    def fetch_events(self, cursor=None):
        """The current CDEK status of the next batch of the account's
        parcels still in play, when it is one not received before: (order
        number, status, date) each, and the last parcel polled as cursor
        ('0': start again)"""
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        Status = pool.get('multipoint.supplier.cdek.status')
        account = self.account
        domain = [
            ('company', '=', account.company.id),
            ('supplier', '=', account.supplier.id),
            ('state', 'not in', FINAL_STATES),
            ('id', '>', int(cursor or 0)),
            ]
        if account.points:
            # the parcels of another contract are another account's
            domain.append(
                ('point', 'in', [p.point.id for p in account.points]))
        parcels = Parcel.search(domain, order=[('id', 'ASC')],
            limit=POLL_BATCH)
        known = Status.known(account, parcels)
        received = []
        for parcel in parcels:
            codes = known.get(parcel.id, {})
            if codes.keys() & FINAL_CODES:
                continue
            uuids = [u for u in codes.values() if u]
            try:
                order = self._poll_order(parcel.order_number, uuids)
            except NotFound:
                continue
            statuses = _statuses(order)
            if statuses:
                code, date, city = statuses[-1]
                received.append(Received(parcel.order_number, code, date,
                        city, order_uuid=_text(order.get('uuid'))))
        events = Status.store(account, received, 'poll')
        if len(parcels) < POLL_BATCH:
            # all polled: the next run starts again from the first
            return events, '0'
        return events, str(parcels[-1].id)

    def _poll_order(self, number, uuids):
        "The order by the uuid CDEK gave for it, else by its number"
        if uuids:
            try:
                return self.get_order(uuid=uuids[0])
            except NotFound:
                pass
        return self.get_order(number)

    # -- webhooks ----------------------------------------------------------

    def register_webhook(self, url):
        "Subscribe url to CDEK's ORDER_STATUS webhooks: CDEK's uuid of it"
        data = self._call('POST', 'webhooks',
            json={'type': 'ORDER_STATUS', 'url': url})
        return _text(self._entity(data).get('uuid'))


class Received:
    "A CDEK status of an order, as a webhook or the poll brought it"
    __slots__ = ('numbers', 'code', 'date', 'city', 'order_uuid')

    def __init__(self, numbers, code, date, city=None, order_uuid=None):
        # the order's numbers: CDEK's, then the sender's
        self.numbers = [numbers] if isinstance(numbers, str) else [
            n for n in numbers if n]
        self.code = code
        self.date = date
        self.city = city
        self.order_uuid = order_uuid

    @classmethod
    def from_webhook(cls, data):
        """The status of an ORDER_STATUS webhook's body; ValueError when it
        has none. CDEK's uuid there is the order's."""
        attributes = data.get('attributes')
        if not isinstance(attributes, dict):
            raise ValueError("attributes")
        numbers = [_text(attributes.get('cdek_number')),
            _text(attributes.get('number'))]
        # status_code is the older name of code
        code = _text(attributes.get('code') or attributes.get('status_code'))
        date = attributes.get('status_date_time') or data.get('date_time')
        if not any(numbers) or not code or not date:
            raise ValueError("cdek_number, code, status_date_time")
        return cls(numbers, code, parse_datetime(date),
            city=_text(attributes.get('city_name')),
            order_uuid=_text(data.get('uuid')))


def _statuses(order):
    "[(code, UTC date, city)] of an order, oldest first"
    statuses = []
    for status in order.get('statuses') or []:
        if not isinstance(status, dict) or not status.get('code'):
            continue
        try:
            date = parse_datetime(status.get('date_time'))
        except (TypeError, ValueError):
            continue
        statuses.append((str(status['code']), date, _text(status.get('city'))))
    return sorted(statuses, key=lambda s: s[1])


def _vat(rate):
    if rate in (None, ''):
        return None
    rate = str(rate).split('.')[0]
    return rate if rate in VAT_RATES else None
