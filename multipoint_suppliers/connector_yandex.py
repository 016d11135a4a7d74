"""Yandex Market's Partner API for the outlet of a DBS seller
(../shared/docs/suppliers.md §8): the pickup point is the seller's own
outlet ("точка продаж"), the seller delivers the orders there, and the
point reports them to the Market with the seller's API key.

The account:

- token: the Api-Key (sent as the `Api-Key` header; the scope
  inventory-and-order-processing);
- login: the campaign ID ("Идентификатор кампании", digits): every order
  URL names it, so one account is one shop of the seller. The login field
  carries it because an Api-Key has no login of its own; a login that is
  not a number is refused before any call;
- url: the base of the API, https://api.partner.market.yandex.ru when
  empty;
- the supplier's code of a point: the outlet code (delivery.outletCode).

What the connector does:

- fetch_inbound: GET orders of the campaign in DELIVERY (on the way to the
  outlet), PICKUP (at the outlet) and CANCELLED (so an expected parcel
  learns it will not come), updated since the cursor, 50 a page by
  page_token/nextPageToken; the orders of other outlets are left out. The
  cursor is the latest updatedAt read with the ids read at that second
  (updatedAtFrom is inclusive): the next sync asks from that second and
  drops those ids, so it fetches nothing that did not change. The buyer's
  phone is not in an order: GET …/buyer gives it (DELIVERY and PICKUP
  only).
- lookup: GET one order.
- push_events: PUT …/status, one order a call: accepted → PICKUP /
  PICKUP_SERVICE_RECEIVED, issued and partially issued → DELIVERED /
  DELIVERY_SERVICE_DELIVERED, refused → CANCELLED / USER_REFUSED_PRODUCT,
  returned (the storage expired) → CANCELLED / PICKUP_EXPIRED. When the
  Market refuses a change, the order is read: already in the target
  status counts as acknowledged, so a resend after a crash neither fails
  nor changes anything twice (push_idempotent). Lost and damaged have no
  status at a DBS outlet: acknowledged without a call. A refused parcel
  that goes back later finds its order already cancelled: acknowledged.
- extend_storage: PUT …/delivery/storage-limit {newDate}: the Market
  extends a PICKUP order once, by at most 30 days; both rules are checked
  on the order first and refused with a message, without the call.
- verify_code: PUT …/verifyEac {code} → ACCEPTED, REJECTED (attemptsLeft)
  or NEED_UPDATE (the attempts are used up, the Market sends a new code).

Money: a POSTPAID order's goods (buyerItemsTotal) are the COD amount and
its deliveryTotal the delivery fee, so the amount due at the desk is the
buyer's total; a PREPAID order has nothing to collect. The storage date
(outletStorageLimitDate) is taken from PICKUP orders only: it is the
Market's deadline once the outlet has accepted the order.

Limits: the Market answers 420 to a login with more than 2 requests in
flight. All connectors of one API key in this process share 2 slots (a
semaphore), so the threads of one process never exceed it; a 420 all the
same (another process, another program using the key) is retried a few
times after a short wait, then fails with a Russian message.

The HTTP calls run without the ORM (they may run in worker threads): the
account is read once, in the thread of the transaction (_setup), and the
failures are translated there.

Read in the Market's documentation (suppliers.md §8, DragonSigh's crawl)
but not checked against the Market itself: the list filter `status` is
sent repeated (status=DELIVERY&status=PICKUP…, OpenAPI's default for an
array in a query); the code a refused status change answers is not
relied on (the order is read instead).
"""
import concurrent.futures
import dataclasses
import datetime as dt
import hashlib
import json
import logging
import threading
import time
from decimal import Decimal

from trytond.i18n import gettext

from .connector import (
    ConnectorError, LineData, ParcelData, PlaceData, register)
from .connector_http import Failure, HttpConnector, decode, retry_after, send
from .values import amount as _amount, first as _first, text as _text

logger = logging.getLogger(__name__)
URL = 'https://api.partner.market.yandex.ru'
# the Market's limit of requests in flight per login
PARALLEL = 2
# orders per page (the Market's maximum)
PAGE_SIZE = 50
# pages read by one call when none has an order of the outlet: then the
# call returns nothing, the cursor keeps the page, the next sync goes on
PAGES_PER_CALL = 20
# the Market filters updatedAt over 30 days at most: a first sync reads
# 29 days back, an older cursor is brought within the 30 days
FIRST_SYNC = dt.timedelta(days=29)
OLDEST = dt.timedelta(days=30) - dt.timedelta(hours=1)
# the waits before the retries of a 420 answer; then the call fails
RETRY_DELAYS = (0.2, 0.5)
# the Market's dates and times are Moscow time
MSK = dt.timezone(dt.timedelta(hours=3), 'MSK')
INBOUND_STATUSES = ['DELIVERY', 'PICKUP', 'CANCELLED']
# the statuses whose buyer (and phone) the Market gives
BUYER_STATUSES = {'DELIVERY', 'PICKUP'}
# outbox kind -> (status, substatus)
PUSHED = {
    'accepted': ('PICKUP', 'PICKUP_SERVICE_RECEIVED'),
    'issued': ('DELIVERED', 'DELIVERY_SERVICE_DELIVERED'),
    'partially_issued': ('DELIVERED', 'DELIVERY_SERVICE_DELIVERED'),
    'refused': ('CANCELLED', 'USER_REFUSED_PRODUCT'),
    'returned': ('CANCELLED', 'PICKUP_EXPIRED'),
    }
# the Market's own limit of one storage extension
MAX_EXTENSION = dt.timedelta(days=30)
VAT_RATES = {
    'NO_VAT': 'none',
    'VAT_0': '0',
    'VAT_05': '5',
    'VAT_05_105': '5',
    'VAT_07': '7',
    'VAT_07_107': '7',
    'VAT_10': '10',
    'VAT_10_110': '10',
    'VAT_20': '20',
    'VAT_20_120': '20',
    'VAT_22': '22',
    'VAT_22_122': '22',
    }

_slots = {}
_slots_lock = threading.Lock()


def _slot(api_key):
    "The semaphore of the requests in flight of api_key in this process"
    digest = hashlib.sha256(api_key.encode()).hexdigest()
    with _slots_lock:
        return _slots.setdefault(
            digest, threading.BoundedSemaphore(PARALLEL))


@dataclasses.dataclass
class CodeCheck:
    """The Market's answer to a code: true when it accepted the code;
    attempts_left after a wrong one; renewed when the attempts are used up
    and the Market sends the buyer a new code"""
    accepted: bool
    attempts_left: int | None = None
    renewed: bool = False

    def __bool__(self):
        return self.accepted


class _Api:
    "HTTP calls of one campaign; no ORM, safe in any thread"

    def __init__(self, url, campaign, api_key, timeout):
        self.base = f'{url.rstrip("/")}/v2/campaigns/{campaign}/'
        self.api_key = api_key
        self.timeout = timeout

    def call(self, method, path, params=None, body=None):
        "The decoded answer to method path, or Failure"
        slot = _slot(self.api_key)
        for delay in RETRY_DELAYS + (None,):
            with slot:
                response = send(method, self.base + path, self.timeout,
                    params=params, json=body, headers={
                        'Api-Key': self.api_key,
                        'Accept': 'application/json',
                        })
            if response.status_code != 420:
                break
            if delay is None:
                raise Failure('msg_connector_rate_limited', status=420,
                    seconds=retry_after(
                        response.headers.get('Retry-After')) or 1)
            # outside the slot: the others go on meanwhile
            time.sleep(delay)
        return _decode(response)


def _decode(response):
    "The JSON object of an answer; Failure for the Market's errors"
    status = response.status_code
    data = decode(response)
    errors = data.get('errors') if isinstance(data, dict) else None
    errors = [e for e in errors or [] if isinstance(e, dict)]
    codes = [str(e.get('code') or '') for e in errors]
    text = '; '.join(str(e.get('message') or e.get('code') or '')
        for e in errors) or response.reason or ''
    if status in {401, 403}:
        raise Failure('msg_connector_api_key', status=status, codes=codes,
            error=' '.join(filter(None, [f'HTTP {status}', *codes])))
    if status >= 400 or (isinstance(data, dict)
            and data.get('status') == 'ERROR'):
        raise Failure('msg_connector_supplier_error', status=status,
            codes=codes, code=f'HTTP {status}', name=', '.join(codes),
            error=text[:500])
    if not isinstance(data, dict):
        raise Failure('msg_connector_bad_response', status=status,
            error=type(data).__name__)
    return data


def parse_moment(value):
    "An aware datetime of the Market's DD-MM-YYYY HH:MM:SS (Moscow time)"
    return dt.datetime.strptime(value, '%d-%m-%Y %H:%M:%S').replace(
        tzinfo=MSK)


def parse_date(value):
    "A date of the Market's DD-MM-YYYY"
    if value in (None, ''):
        return None
    return dt.datetime.strptime(value, '%d-%m-%Y').date()


def _load_cursor(cursor):
    """{'from': ISO moment, 'seen': [ids read at that moment], and during
    a run 'page': the next page token, 'top' and 'top_ids': the latest
    moment read so far and its ids}"""
    now = dt.datetime.now(MSK).replace(microsecond=0)
    state = {}
    if cursor:
        try:
            state = json.loads(cursor)
            dt.datetime.fromisoformat(state['from'])
        except (ValueError, TypeError, KeyError):
            state = {}
    if not state or dt.datetime.fromisoformat(state['from']) < now - OLDEST:
        # the Market answers 30 days at most: older changes are lost
        # to any cursor, start from the earliest it gives
        state = {'from': (now - FIRST_SYNC).isoformat(), 'seen': []}
    return state


def _dump_cursor(state):
    return json.dumps(state, sort_keys=True, separators=(',', ':'))


@register
class YandexMarketConnector(HttpConnector):
    name = 'yandex_market'
    string = "Yandex Market (Partner API, DBS outlet)"
    capabilities = frozenset({'fetch_inbound', 'lookup', 'push_events',
            'extend_storage', 'verify_code'})
    # a resend finds its order in the target status: acknowledged
    push_idempotent = True

    def __init__(self, account):
        super().__init__(account)
        self._api = None

    @property
    def supplier(self):
        return gettext('multipoint_suppliers.msg_yandex_market')

    def _setup(self):
        "The API of the account, read in the thread of the transaction"
        if self._api is None:
            credentials = self.credentials
            campaign = (credentials['login'] or '').strip()
            if not campaign.isdigit():
                raise ConnectorError(gettext(
                        'multipoint_suppliers.msg_yandex_campaign',
                        account=self.account.rec_name))
            if not credentials['token']:
                raise ConnectorError(gettext(
                        'multipoint_suppliers.msg_yandex_api_key_missing',
                        account=self.account.rec_name))
            self._api = _Api(credentials['url'] or URL, campaign,
                credentials['token'], self.timeout)
        return self._api

    # -- inbound ---------------------------------------------------------

    def fetch_inbound(self, point_code, cursor=None):
        api = self._setup()
        state = _load_cursor(cursor)
        try:
            parcels, state = self._fetch(api, point_code, state)
        except Failure as failure:
            raise self._failed(failure)
        return parcels, _dump_cursor(state)

    def _fetch(self, api, point_code, state):
        """The parcels of the next pages until one has some for point_code
        (or the last page), and the next state of the cursor"""
        since = dt.datetime.fromisoformat(state['from'])
        seen = set(state.get('seen') or [])
        top = dt.datetime.fromisoformat(state.get('top') or state['from'])
        top_ids = set(state.get('top_ids') or seen)
        token = state.get('page')
        for _ in range(PAGES_PER_CALL):
            params = {
                'status': INBOUND_STATUSES,
                'updatedAtFrom': since.isoformat(),
                'limit': PAGE_SIZE,
                }
            if token:
                params['page_token'] = token
            data = api.call('GET', 'orders', params=params)
            orders = data.get('orders') or []
            paging = data.get('paging')
            if not isinstance(orders, list) or not isinstance(
                    paging or {}, dict):
                raise Failure('msg_connector_bad_response', error='orders')
            token = (paging or {}).get('nextPageToken') or None
            mine = []
            for order in orders:
                number = _text(order.get('id')) if isinstance(
                    order, dict) else None
                if number is None:
                    # not an order: nothing to read, nothing to remember
                    continue
                try:
                    updated = parse_moment(order.get('updatedAt'))
                except (TypeError, ValueError):
                    updated = None
                if updated is not None:
                    if updated == since and number in seen:
                        continue
                    if updated > top:
                        top, top_ids = updated, set()
                    if updated == top:
                        top_ids.add(number)
                delivery = order.get('delivery')
                if (isinstance(delivery, dict)
                        and delivery.get('outletCode') == point_code):
                    mine.append(order)
            parcels = self._parcels(api, mine, 'getOrders')
            if parcels or not token:
                break
        if token:
            state = {'from': since.isoformat(), 'seen': sorted(seen),
                'page': token, 'top': top.isoformat(),
                'top_ids': sorted(top_ids)}
        else:
            state = {'from': top.isoformat(), 'seen': sorted(top_ids)}
        return parcels, state

    def _parcels(self, api, orders, source):
        "The ParcelData of orders, their buyers' phones asked in parallel"
        pairs = [(self._parcel(o, f'{source} #{o.get("id")}'), o)
            for o in orders]
        pairs = [(p, o) for p, o in pairs if p is not None]
        ask = [p for p, o in pairs
            if not p.error and not p.recipient_phone
            and o.get('status') in BUYER_STATUSES]
        if ask:
            with concurrent.futures.ThreadPoolExecutor(PARALLEL) as pool:
                phones = list(pool.map(
                        lambda p: self._phone(api, p.order_number), ask))
            for parcel, phone in zip(ask, phones):
                parcel.recipient_phone = phone
        return [p for p, _ in pairs]

    @staticmethod
    def _phone(api, number):
        "The buyer's phone of the order, None when the Market gives none"
        try:
            data = api.call('GET', f'orders/{number}/buyer')
        except Failure as failure:
            if failure.status is None or failure.status in {401, 403, 420}:
                raise
            # the order's own refusal: its phone stays unknown
            return None
        result = data.get('result')
        return _text(result.get('phone')) if isinstance(
            result, dict) else None

    def _parcel(self, order, source):
        "The ParcelData of one order; None when it has no id"
        number = _text(order.get('id'))
        if not number:
            return None
        try:
            delivery = order.get('delivery') or {}
            buyer = order.get('buyer') or {}
            address = delivery.get('address') or {}
            lines = [LineData(
                    name=str(i.get('offerName') or i.get('offerId') or '?'),
                    quantity=int(i.get('count') or 1),
                    unit_price=_amount(
                        _first(i, 'buyerPrice', 'price')) or Decimal('0.00'),
                    article=_text(_first(i, 'offerId', 'shopSku')),
                    vat_rate=VAT_RATES.get(i.get('vat')))
                for i in order.get('items') or []]
            goods = _amount(_first(order, 'buyerItemsTotal', 'itemsTotal'))
            if goods is None:
                goods = sum((l.unit_price * l.quantity for l in lines),
                    Decimal('0.00'))
            fee = _amount(_first(order, 'deliveryTotal')) or Decimal('0.00')
            storage = (parse_date(delivery.get('outletStorageLimitDate'))
                if order.get('status') == 'PICKUP' else None)
            name = ' '.join(filter(None, (_text(buyer.get(n))
                        for n in ['lastName', 'firstName', 'middleName'])))
            name = name or _text(address.get('recipient'))
            phone = _text(address.get('phone'))
            outlet = _text(delivery.get('outletCode'))
        except (ValueError, TypeError, AttributeError) as exception:
            # an error of this order only: the others go on
            return ParcelData(order_number=number, error=str(exception),
                source=source)
        # "If this parameter is omitted, the order will be paid upon
        # receipt"
        prepaid = order.get('paymentType') == 'PREPAID'
        return ParcelData(
            order_number=number,
            point_code=outlet,
            recipient_name=name,
            recipient_phone=phone,
            cod_amount=Decimal('0.00') if prepaid else goods,
            delivery_fee=Decimal('0.00') if prepaid else fee,
            declared_value=goods,
            prepaid=prepaid,
            storage_until=storage,
            cancelled=order.get('status') == 'CANCELLED',
            # the seller's own delivery: the order number is on the box
            places=[PlaceData(number)],
            lines=lines,
            source=source)

    def lookup(self, number):
        number = str(number or '').strip()
        if not number.isdigit():
            # the Market's order ids are numbers
            return None
        api = self._setup()
        try:
            order = self._order(api, number)
            if order is None:
                return None
            parcel, = self._parcels(api, [order], 'getOrder') or [None]
        except Failure as failure:
            raise self._failed(failure)
        return parcel

    @staticmethod
    def _order(api, number):
        "The order number as the Market has it; None when unknown"
        try:
            data = api.call('GET', f'orders/{number}')
        except Failure as failure:
            if failure.status == 404:
                return None
            raise
        order = data.get('order')
        if not isinstance(order, dict):
            raise Failure('msg_connector_bad_response', error='order')
        return order

    # -- outbound --------------------------------------------------------

    def push_events(self, events):
        """The status of each order; the keys acknowledged: changed, found
        already in the target status, or with nothing to send"""
        api = self._setup()
        acked, jobs = [], []
        for event in events:
            target = PUSHED.get(event['kind'])
            if target is None:
                acked.append(event['key'])
            elif str(event['order_number']).isdigit():
                jobs.append((event['key'], str(event['order_number']),
                        target))
            else:
                # not an order of the Market: never acknowledged
                logger.info("yandex_market: %s is not an order number",
                    event['order_number'])
        try:
            with concurrent.futures.ThreadPoolExecutor(PARALLEL) as pool:
                done = list(pool.map(lambda job: self._push(api, *job[1:]),
                        jobs))
        except Failure as failure:
            # nothing is lost: the outbox sends them again, and a resend
            # finds what went through already done
            raise self._failed(failure)
        acked.extend(key for (key, _, _), ok in zip(jobs, done) if ok)
        return acked

    @staticmethod
    def _push(api, number, target):
        "Whether order number is in the target (status, substatus) now"
        status, substatus = target
        try:
            api.call('PUT', f'orders/{number}/status', body={
                    'order': {'status': status, 'substatus': substatus}})
            return True
        except Failure as failure:
            if failure.status is None or failure.status in {
                    401, 403, 420} or failure.status >= 500:
                raise
            refusal = failure
        # the Market refused the change: maybe it is done already
        order = YandexMarketConnector._order(api, number)
        if order is not None and order.get('status') == status:
            return True
        logger.info("yandex_market: order %s not moved to %s/%s: %s",
            number, status, substatus, refusal.kwargs.get('error'))
        return False

    def extend_storage(self, parcel, date):
        """Ask the Market to keep the order of parcel until date; its own
        rules (PICKUP only, once, 30 days at most) are checked first"""
        api = self._setup()
        number = parcel.order_number
        if (parcel.extended_days or 0) > 0:
            raise ConnectorError(gettext(
                    'multipoint_suppliers.msg_yandex_extension_once',
                    order=number))
        try:
            order = self._order(api, number) if number.isdigit() else None
            if order is None:
                raise Failure('msg_yandex_order_unknown', status=404,
                    order=number)
            if order.get('status') != 'PICKUP':
                raise ConnectorError(gettext(
                        'multipoint_suppliers.msg_yandex_extension_state',
                        order=number, status=order.get('status') or '?'))
            try:
                limit = parse_date((order.get('delivery') or {}).get(
                        'outletStorageLimitDate'))
            except (TypeError, ValueError, AttributeError):
                limit = None
            if limit and date <= limit:
                # the Market keeps it that long already
                return
            if limit and date > limit + MAX_EXTENSION:
                raise ConnectorError(gettext(
                        'multipoint_suppliers.msg_yandex_extension_limit',
                        order=number, days=MAX_EXTENSION.days,
                        date=(limit + MAX_EXTENSION).strftime('%d.%m.%Y')))
            api.call('PUT', f'orders/{number}/delivery/storage-limit',
                body={'newDate': date.isoformat()})
        except Failure as failure:
            raise self._failed(failure)

    def verify_code(self, parcel, code):
        "The Market's CodeCheck of the buyer's code of parcel's order"
        api = self._setup()
        number = parcel.order_number
        try:
            if not number.isdigit():
                raise Failure('msg_yandex_order_unknown', status=404,
                    order=number)
            data = api.call('PUT', f'orders/{number}/verifyEac',
                body={'code': str(code).strip()})
        except Failure as failure:
            raise self._failed(failure)
        result = data.get('result')
        verdict = result.get('verificationResult') if isinstance(
            result, dict) else None
        if verdict not in {'ACCEPTED', 'REJECTED', 'NEED_UPDATE'}:
            raise self._error('msg_connector_bad_response',
                error=f'verificationResult: {verdict}')
        attempts = result.get('attemptsLeft')
        return CodeCheck(accepted=verdict == 'ACCEPTED',
            attempts_left=attempts if isinstance(attempts, int) else None,
            renewed=verdict == 'NEED_UPDATE')
