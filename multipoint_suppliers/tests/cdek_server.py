"""A local stand-in for CDEK's API v2: OAuth2 client credentials with
tokens that expire, orders looked up by CDEK number, IM number or uuid,
webhook subscriptions, and CDEK's error bodies. Behaviours for the tests:
tokens revoked or refused, a not-found answer as 404 or 400, an error
answer, sleep, 429 with Retry-After, a truncated body."""
import datetime as dt
import json
import time
import urllib.parse
import uuid

from trytond.modules.multipoint_suppliers import stand_in

BASE = '/v2'


class Handler(stand_in.Handler):

    def do_POST(self):
        self.route('POST')

    def do_GET(self):
        self.route('GET')

    def route(self, method):
        server = self.supplier
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        body = self.read_body()
        path = url.path[len(BASE):]
        if self.throttled():
            return
        if not url.path.startswith(BASE + '/'):
            # another address: the web server's page
            self.reply(404, b'Not Found', 'text/html')
            return
        if path == '/oauth/token' and method == 'POST':
            form = dict(query, **dict(urllib.parse.parse_qsl(
                        body.decode())))
            self.json(*server.token(form), truncate=False)
            return
        server.requests.append((method, path, query,
                self.headers.get('Authorization')))
        self.pause()
        if not server.authorized(self.headers.get('Authorization')):
            self.json(401, {'requests': [request_state('AUTH',
                            'INVALID', 'v2_token_expired',
                            "Токен доступа недействителен")]})
            return
        if server.fail:
            self.json(*server.fail)
        elif method == 'GET' and path == '/orders':
            self.json(*server.get_order(
                    cdek_number=query.get('cdek_number'),
                    number=query.get('im_number')))
        elif method == 'GET' and path.startswith('/orders/'):
            self.json(*server.get_order(uuid=path[len('/orders/'):]))
        elif method == 'POST' and path == '/webhooks':
            self.json(*server.subscribe(json.loads(body)))
        else:
            self.json(404, {'errors': [{'code': 'v2_not_found',
                            'message': "Метод не найден"}]})


class CdekServer(stand_in.LocalServer):
    Handler = Handler
    path = BASE + '/'

    def __init__(self, client_id='cdek-client-id',
            client_secret='cdek-client-secret'):
        super().__init__()
        self.client_id, self.client_secret = client_id, client_secret
        self.reset()

    def reset(self):
        # CDEK's order entities
        self.orders = []
        # the lifetime a token answer announces, and the one the server
        # really gives (None: the same)
        self.expires_in, self.lifetime = 3600, None
        # token -> time.monotonic() of its issue
        self.tokens = {}
        self.token_requests = 0
        # every bearer refused (the account's rights withdrawn)
        self.refuse_tokens = False
        self.not_found_status = 404
        # (HTTP status, body) answered to every API call
        self.fail = None
        self.sleep = 0
        # answer 429 this many times, with this Retry-After
        self.throttle, self.retry_after = 0, '1'
        self.truncate = False
        # (method, path, query, Authorization) of the API calls
        self.requests = []
        self.webhooks = []

    def revoke_tokens(self):
        "CDEK forgets the tokens it gave (before they said they expire)"
        self.tokens.clear()

    def order(self, number):
        return next(o for o in self.orders
            if number in {o['cdek_number'], o['number']})

    def set_status(self, number, code, date, city="Москва"):
        "A new status of an order (CDEK lists the newest first)"
        self.order(number)['statuses'].insert(0, status(code, date, city))

    def token(self, form):
        self.token_requests += 1
        if (form.get('grant_type') != 'client_credentials'
                or form.get('client_id') != self.client_id
                or form.get('client_secret') != self.client_secret):
            return 401, {'error': 'invalid_client',
                'error_description': "Bad client credentials"}
        token = uuid.uuid4().hex
        self.tokens[token] = time.monotonic()
        return 200, {'access_token': token, 'token_type': 'bearer',
            'expires_in': self.expires_in, 'scope': 'order:all payment:all',
            'jti': str(uuid.uuid4())}

    def authorized(self, header):
        if self.refuse_tokens or not (header or '').startswith('Bearer '):
            return False
        issued = self.tokens.get(header[len('Bearer '):])
        lifetime = self.lifetime or self.expires_in
        return issued is not None and time.monotonic() - issued < lifetime

    def get_order(self, cdek_number=None, number=None, uuid=None):
        for order in self.orders:
            if ((cdek_number and order['cdek_number'] == cdek_number)
                    or (number and order['number'] == number)
                    or (uuid and order['uuid'] == uuid)):
                return 200, {'entity': order,
                    'requests': [request_state('GET', 'SUCCESSFUL')],
                    'related_entities': []}
        return self.not_found_status, {'requests': [request_state('GET',
                    'INVALID', 'v2_entity_not_found',
                    "Заказ не найден")]}

    def subscribe(self, request):
        if request.get('type') != 'ORDER_STATUS' or not request.get('url'):
            return 400, {'requests': [request_state('CREATE', 'INVALID',
                        'v2_field_is_empty', "Не заполнено поле url")]}
        subscription = dict(request, uuid=str(uuid.uuid4()))
        self.webhooks.append(subscription)
        return 200, {'entity': {'uuid': subscription['uuid']},
            'requests': [request_state('CREATE', 'ACCEPTED')]}


def request_state(kind, state, code=None, message=None):
    request = {'request_uuid': str(uuid.uuid4()), 'type': kind,
        'state': state, 'date_time': _cdek_date(dt.datetime.now(
                dt.timezone.utc))}
    if code:
        request['errors'] = [{'code': code, 'message': message}]
    return request


def _cdek_date(date):
    "CDEK writes the offset without a colon: 2026-11-20T10:00:00+0300"
    return date.strftime('%Y-%m-%dT%H:%M:%S%z')


def status(code, date, city="Москва"):
    "date: an aware datetime"
    return {'code': code, 'name': code.replace('_', ' ').capitalize(),
        'date_time': _cdek_date(date), 'city': city}


MSK = dt.timezone(dt.timedelta(hours=3))


def order(cdek_number, number, point='MSK-CDEK-1', statuses=(),
        items=(("Кроссовки", 'SN-42', 2, 1500, 20),), fee=199,
        recipient="Иванова Анна", phone='+79161234567'):
    """An order entity as GET orders answers it; items are (name, ware
    key, amount, payment per unit, VAT rate); statuses (code, aware date)
    oldest first"""
    return {
        'uuid': str(uuid.uuid4()),
        'type': 1,
        'is_return': False,
        'is_reverse': False,
        'cdek_number': cdek_number,
        'number': number,
        'tariff_code': 136,
        'delivery_point': point,
        'delivery_recipient_cost': {'value': fee, 'vat_sum': 0,
            'vat_rate': None},
        'recipient': {'name': recipient, 'phones': [{'number': phone}]},
        'packages': [{
                'number': '1',
                'barcode': f'{cdek_number}01',
                'weight': 1200,
                'length': 30, 'width': 20, 'height': 10,
                'items': [{
                        'name': name, 'ware_key': key, 'amount': amount,
                        'payment': {'value': pay, 'vat_rate': vat},
                        'cost': pay or 1000, 'weight': 600,
                        } for name, key, amount, pay, vat in items],
                }],
        'statuses': [status(c, d) for c, d in reversed(statuses)],
        }


def webhook(order, code, date, city="Москва"):
    "The body of CDEK's ORDER_STATUS webhook for a status of order"
    when = _cdek_date(date)
    return {
        'type': 'ORDER_STATUS',
        'date_time': when,
        'uuid': order['uuid'],
        'attributes': {
            'is_return': False,
            'cdek_number': order['cdek_number'],
            'number': order['number'],
            'status_code': code,
            'code': code,
            'status_date_time': when,
            'city_name': city,
            'city_code': '44',
            },
        }
