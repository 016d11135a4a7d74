"""A local stand-in for PickPoint's API: POST JSON to /api/<call>, a
session from /api/login {Login, Password} -> {SessionId} carried in every
body, errors as {"ErrorCode", "Error"} (login: {"ErrorMessage"}).
Behaviours for the tests: sessions expired by the server, sleep, a
truncated body, invoices left out of a tracksendings answer or answered
with their own error."""
import json
import uuid

from trytond.modules.multipoint_suppliers import stand_in

BASE = '/api'
# PickPoint's texts are not published: these are the connector's [INF]
SESSION_EXPIRED = {'ErrorCode': -2001,
    'Error': "Сессия не найдена или истекла"}


class Handler(stand_in.Handler):

    def do_POST(self):
        server = self.supplier
        call = self.path[len(BASE) + 1:]
        try:
            body = json.loads(self.read_body())
        except ValueError:
            body = None
        server.requests.append((call, body))
        self.pause()
        if not isinstance(body, dict):
            self.json(200, {'ErrorCode': -1, 'Error': "Неверный запрос"})
        elif call == 'login':
            self.json(200, server.do_login(body))
        elif (body.get('SessionId') not in server.sessions
                or server.refuse_sessions):
            self.json(200, SESSION_EXPIRED)
        elif call == 'sendinginfo':
            self.json(200, server.sending_info(body))
        elif call == 'tracksendings':
            self.json(200, server.track_sendings(body))
        else:
            self.reply(404, b'Not Found', 'text/html')


class PickPointServer(stand_in.LocalServer):
    Handler = Handler
    path = BASE + '/'

    def __init__(self, login='pp-login', password='pp-secret'):
        super().__init__()
        self.login, self.password = login, password
        self.sessions = set()
        self.logins = 0
        # every session is refused (a login that gives dead sessions)
        self.refuse_sessions = False
        # invoice number -> sendinginfo record
        self.sendings = {}
        # invoice number -> [state, ...]
        self.states = {}
        # invoices left out of tracksendings, or answered with an error
        self.omitted = set()
        self.failing = set()
        # (call, body) of each request
        self.requests = []

    def expire_sessions(self):
        self.sessions.clear()

    def calls(self, name):
        return [b for c, b in self.requests if c == name]

    def do_login(self, body):
        if (body.get('Login'), body.get('Password')) != (
                self.login, self.password):
            return {'SessionId': None,
                'ErrorMessage': "Неверный логин или пароль"}
        self.logins += 1
        session = uuid.uuid4().hex
        self.sessions.add(session)
        return {'SessionId': session, 'ErrorMessage': None}

    def sending_info(self, body):
        number = body.get('InvoiceNumber')
        return [self.sendings[number]] if number in self.sendings else []

    def track_sendings(self, body):
        invoices = []
        for number in body.get('Invoices') or []:
            if number in self.omitted:
                continue
            if number in self.failing:
                invoices.append({'InvoiceNumber': number, 'ErrorCode': -3,
                        'Error': "Временная ошибка"})
                continue
            invoices.append({
                    'InvoiceNumber': number,
                    'SenderInvoiceNumber': f'shop-{number}',
                    'States': self.states.get(number, []),
                    })
        return {'Invoices': invoices}


def sending(number, point='7701-001', total='2490.00', postage='10003',
        places=None, **values):
    "A sendinginfo record with the fields of PickPoint's creation request"
    return dict({
            'InvoiceNumber': number,
            'SenderInvoiceNumber': f'shop-{number}',
            'Barcode': f'PP{number}',
            'PostamatNumber': point,
            'RecipientName': "Кузнецов Илья",
            'MobilePhone': '+79037654321',
            'PostageType': postage,
            'Sum': total,
            'InsuareValue': '2490.00',
            'Places': places if places is not None else [{
                    'GSBarCode': '', 'Weight': 0.8, 'SubEncloses': [{
                            'Line': 1, 'GoodsCode': 'G-7',
                            'Name': "Наушники", 'Price': '2490.00'}]}],
            }, **values)


def state(code, text, when):
    "One state of tracksendings, ChangeDT as dd.mm.yy HH:MM"
    return {'State': code, 'StateMessage': text, 'ChangeDT': when}
