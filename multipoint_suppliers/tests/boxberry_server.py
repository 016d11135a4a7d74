"""A local stand-in for Boxberry's json.php: one endpoint, the method and
the token in the query (GET) or in the JSON body (POST), answers as JSON
arrays or objects, errors as {"err": ...} with HTTP 200. Behaviours for
the tests: sleep, a truncated body, an error answer to every call."""
import json
from urllib.parse import parse_qsl, urlsplit

from trytond.modules.multipoint_suppliers import stand_in

PATH = '/json.php'


class Handler(stand_in.Handler):

    def do_GET(self):
        url = urlsplit(self.path)
        self.answer(url.path, dict(parse_qsl(url.query)))

    def do_POST(self):
        try:
            params = json.loads(self.read_body())
        except ValueError:
            params = None
        if not isinstance(params, dict):
            self.json(200, {'err': 'Некорректный JSON'})
            return
        self.answer(urlsplit(self.path).path, params)

    def answer(self, path, params):
        server = self.supplier
        if path != PATH:
            self.reply(404, b'Not Found', 'text/html')
            return
        # json.php answers 200 whatever happened
        method = params.get('method')
        server.requests.append((method, params))
        self.pause()
        if params.get('token') != server.token:
            self.json(200, {'err': 'Указан неверный ключ интеграции '
                    '(token)'})
        elif server.error is not None:
            self.json(200, server.error)
        elif method == 'ParcelInfo':
            self.json(200, server.parcel_info(params))
        elif method == 'ListStatusesFull':
            self.json(200, server.list_statuses_full(params),
                truncate=server.truncate
                or params.get('ImId') in server.broken)
        else:
            self.json(200, {'err': f'Метод {method} не найден'})


class BoxberryServer(stand_in.LocalServer):
    Handler = Handler
    path = PATH

    def __init__(self, token='bb-token-0001'):
        super().__init__()
        self.token = token
        # track number -> ParcelInfo record
        self.parcels = {}
        # track number -> ListStatusesFull answer
        self.statuses = {}
        # track numbers whose ListStatusesFull answer is cut in half
        self.broken = set()
        # an answer (HTTP 200) to every call instead of the real one
        self.error = None
        # (method, parameters) of each call
        self.requests = []

    def calls(self, method):
        return [p for m, p in self.requests if m == method]

    def parcel_info(self, params):
        found = [self.parcels[p.get('track')]
            for p in params.get('parcels') or []
            if isinstance(p, dict) and p.get('track') in self.parcels]
        if not found:
            return {'err': 'Посылка не найдена'}
        return found

    def list_statuses_full(self, params):
        track = params.get('ImId')
        if track not in self.statuses:
            return {'err': f'Посылка {track} не найдена'}
        return self.statuses[track]


def parcel_info(track, point='77001', payment='1590', phone='79161234567',
        boxes=None, **values):
    "A ParcelInfo record as Boxberry's SDK documents it"
    return dict({
            'order_id': f'shop-{track}',
            'track_number': track,
            'declared_cost': '2000',
            'payment_amount': payment,
            'delivery_cost': '247',
            'delivery_type': 1,
            'pickup_point': {
                'pickup_point_code': point,
                'pickup_point_address': "Москва, ул. Тестовая, 1",
                },
            'recipient_data': {
                'full_name': "Смирнова Ольга Игоревна",
                'email': None,
                'phone': phone,
                },
            'products': [{
                    'vendor_code': 'SKU-1', 'name': "Чайник", 'nds': '20',
                    'price': 1590, 'quantity': 1, 'marking_crpt': ''}],
            'boxes_data': boxes if boxes is not None else [
                {'weight': 1250, 'barcode': '', 'x': None, 'y': None,
                    'z': None}],
            'issue_type': 0,
            }, **values)


def statuses(*names, start='20.11.2026 10:00', **values):
    """A ListStatusesFull answer: statuses one hour apart from start, given
    as names or (name, "dd.mm.yyyy HH:MM")"""
    import datetime as dt
    date = dt.datetime.strptime(start, '%d.%m.%Y %H:%M')
    rows = []
    for i, name in enumerate(names):
        if isinstance(name, tuple):
            name, when = name
        else:
            when = (date + dt.timedelta(hours=i)).strftime('%d.%m.%Y %H:%M')
        rows.append({'Date': when, 'Name': name, 'Comment': ''})
    return dict({
            'PD': False, 'sum': 1590, 'deliveryDate': '0001-01-01',
            'Weight': 1.25, 'PaymentMethod': '', 'statuses': rows,
            'products': [],
            }, **values)
