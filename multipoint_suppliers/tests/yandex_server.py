"""A local stand-in for Yandex Market's Partner API (the DBS orders of one
campaign): the `Api-Key` header, the paths and JSON shapes of getOrders
(updatedAtFrom, status, limit, page_token → paging.nextPageToken),
getOrder, getOrderBuyerInfo, updateOrderStatus, updateOrderStorageLimit and
verifyOrderEac, and the error body {"status": "ERROR", "errors": [{"code",
"message"}]}.

Like the Market it answers 420 (Enhance Your Calm) to a key with more than
2 requests in flight, and it counts them: `max_in_flight`, `throttled`.
Behaviours for the tests: `latency` (every answer, so that requests
overlap), `sleep` (a slow answer), `force_420` (the next n answers),
`truncate` (half a body after the first `intact` answers), `errors` (an
error answer for a route) and `broken` (records that are not orders, sent
with the first page)."""
import base64
import datetime as dt
import json
import threading
import time
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

from trytond.modules.multipoint_suppliers import stand_in

MSK = dt.timezone(dt.timedelta(hours=3))
MOMENT = '%d-%m-%Y %H:%M:%S'
DAY = '%d-%m-%Y'
# the status changes a DBS seller may make at its outlet
TRANSITIONS = {
    'DELIVERY': {'PICKUP', 'CANCELLED'},
    'PICKUP': {'DELIVERED', 'CANCELLED'},
    }


class Handler(stand_in.Handler):

    def do_GET(self):
        self.handle_call('GET')

    def do_PUT(self):
        self.handle_call('PUT')

    def handle_call(self, method):
        server = self.supplier
        url = urlsplit(self.path)
        body = self.read_body()
        with server.lock:
            server.in_flight += 1
            server.max_in_flight = max(
                server.max_in_flight, server.in_flight)
            calm = server.in_flight > server.parallel
            server.throttled += calm
            forced = server.force_420 > 0
            server.force_420 -= forced
        try:
            if server.latency:
                time.sleep(server.latency)
            if calm or forced:
                answer = error(420, 'TOO_MANY_REQUESTS', 'Enhance Your Calm')
            else:
                self.pause()
                answer = server.answer(method, url.path,
                    parse_qs(url.query), body, self.headers)
        finally:
            # before the answer goes out: the client's next request may
            # follow it at once
            with server.lock:
                server.in_flight -= 1
        self.json(*answer, truncate=server.truncate
            and len(server.requests) > server.intact)


class YandexServer(stand_in.LocalServer):
    Handler = Handler

    def __init__(self, campaign='21045678', api_key='ACMA:pvz-key:1a2b'):
        super().__init__()
        self.defaults = campaign, api_key
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        "No order, no behaviour, nothing counted"
        self.campaign, self.api_key = self.defaults
        # order id -> order (keys starting with _ are the server's own)
        self.orders = {}
        self.page_size = 50
        self.parallel = 2
        self.latency = 0
        self.sleep = 0
        self.force_420 = 0
        self.truncate = False
        # with truncate: the first answers left whole
        self.intact = 0
        # (method, route) -> (HTTP status, code, message) for every call
        self.errors = {}
        self.broken = []
        # the Market's clock: the orders are updated at it (a day ago: the
        # Market lists 30 days of changes)
        self.clock = (dt.datetime.now(MSK) - dt.timedelta(days=1)).replace(
            microsecond=0)
        self.storage_days = 7
        self.in_flight = self.max_in_flight = self.throttled = 0
        # (method, route, query, JSON body, Api-Key, order id)
        self.requests = []
        # (order id, status, substatus) of the changes made
        self.transitions = []
        # (order id, new date) of the storage extensions made
        self.extensions = []

    def add(self, *orders):
        for order in orders:
            self.orders[order['id']] = order

    def tick(self):
        "The Market's clock one second on, as an updatedAt"
        self.clock += dt.timedelta(seconds=1)
        return self.clock.strftime(MOMENT)

    def calls(self, route=None, method=None):
        return [r for r in self.requests
            if (route is None or r[1] == route)
            and (method is None or r[0] == method)]

    # -- the API -------------------------------------------------------------

    def answer(self, method, path, query, body, headers):
        "(HTTP status, JSON) of one call"
        parts = path.strip('/').split('/')
        route, order_id = self._route(method, parts)
        with self.lock:
            self.requests.append((method, route, query,
                    json.loads(body) if body else None,
                    headers.get('Api-Key'), order_id))
        if headers.get('Api-Key') != self.api_key:
            return error(401, 'UNAUTHORIZED', "Api-Key is missing or wrong")
        if parts[:2] != ['v2', 'campaigns'] or len(parts) < 4:
            return error(404, 'NOT_FOUND', "No such resource")
        if parts[2] != self.campaign:
            return error(403, 'FORBIDDEN',
                f"Access to campaign {parts[2]} is denied")
        if (method, route) in self.errors:
            return error(*self.errors[(method, route)])
        if route == 'orders':
            return 200, self.list_orders(query)
        if route is None:
            return error(404, 'NOT_FOUND', "No such resource")
        with self.lock:
            order = self.orders.get(order_id)
            if order is None:
                return error(404, 'NOT_FOUND', f"Order {parts[4]} not found")
            request = json.loads(body) if body else {}
            return getattr(self, route.replace('-', '_'))(order, request)

    @staticmethod
    def _route(method, parts):
        "The name of the call of parts, and its order id"
        if len(parts) < 4 or parts[3] != 'orders':
            return None, None
        rest = parts[4:]
        if not rest:
            return ('orders' if method == 'GET' else None), None
        if not rest[0].isdigit():
            return None, None
        return {
            ('GET', ()): 'order',
            ('GET', ('buyer',)): 'buyer',
            ('PUT', ('status',)): 'status',
            ('PUT', ('verifyEac',)): 'verifyEac',
            ('PUT', ('delivery', 'storage-limit')): 'storage-limit',
            }.get((method, tuple(rest[1:]))), int(rest[0])

    def list_orders(self, query):
        statuses = {s for v in query.get('status', []) for s in v.split(',')}
        since = query.get('updatedAtFrom')
        since = dt.datetime.fromisoformat(since[0]) if since else None
        limit = min(int(query.get('limit', ['50'])[0]), 50, self.page_size)
        token = query.get('page_token')
        offset = int(base64.b64decode(token[0])) if token else 0
        with self.lock:
            records = sorted((o for o in self.orders.values()
                    if (not statuses or o['status'] in statuses)
                    and (since is None or moment(o['updatedAt']) >= since)),
                key=lambda o: (moment(o['updatedAt']), o['id']))
            page = [public(o) for o in records[offset:offset + limit]]
        if not offset:
            page = list(self.broken) + page
        paging = {}
        if offset + limit < len(records):
            paging['nextPageToken'] = base64.b64encode(
                str(offset + limit).encode()).decode()
        return {'pager': {'total': len(records), 'pageSize': limit},
            'orders': page, 'paging': paging}

    def order(self, order, request):
        return 200, {'order': public(order)}

    def buyer(self, order, request):
        if order['status'] not in {'PROCESSING', 'DELIVERY', 'PICKUP'}:
            return error(400, 'STATUS_NOT_ALLOWED',
                f"No buyer data in status {order['status']}")
        buyer = dict(order['buyer'], phone=order['_phone'])
        if not buyer['phone']:
            del buyer['phone']
        return 200, {'status': 'OK', 'result': buyer}

    def status(self, order, request):
        change = request.get('order') or {}
        target = change.get('status')
        if target not in TRANSITIONS.get(order['status'], ()):
            return error(400, 'STATUS_NOT_ALLOWED',
                f"Status {target} is not allowed for order {order['id']} "
                f"in status {order['status']}")
        order['status'] = target
        order['substatus'] = change.get('substatus')
        order['updatedAt'] = self.tick()
        if target == 'PICKUP':
            order['delivery']['outletStorageLimitDate'] = (
                self.clock.date() + dt.timedelta(days=self.storage_days)
                ).strftime(DAY)
        self.transitions.append((order['id'], target, order['substatus']))
        return 200, {'order': public(order)}

    def storage_limit(self, order, request):
        if order['status'] != 'PICKUP':
            return error(400, 'STATUS_NOT_ALLOWED',
                f"Order {order['id']} is not at the pickup point")
        if order.get('_extended'):
            return error(400, 'STORAGE_LIMIT_ALREADY_EXTENDED',
                "The storage limit can be extended only once")
        try:
            new = dt.date.fromisoformat(request['newDate'])
        except (KeyError, TypeError, ValueError):
            return error(400, 'BAD_REQUEST', "newDate must be YYYY-MM-DD")
        limit = dt.datetime.strptime(
            order['delivery']['outletStorageLimitDate'], DAY).date()
        if not limit < new <= limit + dt.timedelta(days=30):
            return error(400, 'BAD_REQUEST',
                "The new date must be at most 30 days later")
        order['delivery']['outletStorageLimitDate'] = new.strftime(DAY)
        order['_extended'] = True
        order['updatedAt'] = self.tick()
        self.extensions.append((order['id'], new))
        return 200, {'status': 'OK'}

    def verifyEac(self, order, request):
        if not order.get('_eac'):
            return error(400, 'EAC_NOT_SUPPORTED',
                "The order has no confirmation code")
        if request.get('code') == order['_eac']:
            result = 'ACCEPTED'
        else:
            order['_attempts'] -= 1
            result = 'REJECTED' if order['_attempts'] > 0 else 'NEED_UPDATE'
            if result == 'NEED_UPDATE':
                # a new code goes to the buyer
                order['_eac'] = order['_eac'][::-1]
                order['_attempts'] = 3
        return 200, {'status': 'OK', 'result': {
                'verificationResult': result,
                'attemptsLeft': order['_attempts']}}


def error(status, code, message):
    return status, {'status': 'ERROR',
        'errors': [{'code': code, 'message': message}]}


def moment(value):
    return dt.datetime.strptime(value, MOMENT).replace(tzinfo=MSK)


def public(order):
    return {k: v for k, v in order.items() if not k.startswith('_')}


def order(number, updated, outlet='YM-OUT-1', status='DELIVERY',
        payment='POSTPAID', items=(("Кроссовки беговые", 'SN-42', 1,
                '4990.50', 'VAT_20'),), delivery_total='199.00',
        buyer=("Иванова", "Анна", "Сергеевна"), phone='+79161234567',
        eac='5731', storage=None, substatus=None):
    """An order of a DBS campaign as getOrders returns it; items:
    (name, offer id, count, buyer price, vat)"""
    total = sum(Decimal(p) * c for _, _, c, p, _ in items)
    last, first, middle = buyer
    return {
        'id': number,
        'status': status,
        'substatus': substatus or (
            'DELIVERY_SERVICE_RECEIVED' if status == 'DELIVERY' else None),
        'creationDate': '18-11-2026 09:12:41',
        'updatedAt': updated,
        'currency': 'RUR',
        # JSON numbers, as the Market writes them
        'itemsTotal': float(total),
        'buyerItemsTotal': float(total),
        'deliveryTotal': float(delivery_total),
        'buyerTotal': float(total + Decimal(delivery_total)),
        'paymentType': payment,
        'paymentMethod': ('CASH_ON_DELIVERY' if payment == 'POSTPAID'
            else 'YANDEX'),
        'fake': False,
        'taxSystem': 'OSN',
        'items': [{
                'id': 100 + i,
                'offerId': offer,
                'offerName': name,
                'count': count,
                'price': float(price),
                'buyerPrice': float(price),
                'vat': vat,
                } for i, (name, offer, count, price, vat) in enumerate(items)],
        'delivery': {
            'type': 'PICKUP',
            'dispatchType': 'SHOP_OUTLET',
            'serviceName': "Собственная служба",
            'price': float(delivery_total),
            'outletCode': outlet,
            'outletStorageLimitDate': storage,
            'deliveryPartnerType': 'SHOP',
            },
        'buyer': {'id': f'b{number}', 'lastName': last, 'firstName': first,
            'middleName': middle, 'type': 'PERSON'},
        '_phone': phone,
        '_eac': eac,
        '_attempts': 3,
        }
