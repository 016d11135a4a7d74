"""The tickets and organizer part of the operator JSON API, through
trytond's WSGI app, in Russian"""
import base64
import datetime as dt

from trytond.modules.multipoint_core.tests.tools import (
    OPERATOR_PASSWORD, committed)
from trytond.modules.multipoint_tickets.tests.tools import (
    create_network, load_network)
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME, RouteTestCase
from trytond.transaction import Transaction

PHOTO = b'\xff\xd8\xff\xe0 a photo of a dent'


def b64(data):
    return base64.b64encode(data).decode()


class TicketAPITestCase(RouteTestCase):
    "Test the ticket and task routes"
    module = 'multipoint_tickets'
    language = 'ru'

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.net = committed(create_network, user=1)
        cls.ids = committed(cls.create_documents, user=1)

    @classmethod
    def create_documents(cls):
        """At MSK: a reception with a damaged place (photographed), a
        missing place and a surplus label; an inventory that misses the
        accepted parcel; tasks of today and tomorrow (and one at KZN)"""
        pool = Pool()
        Reception = pool.get('multipoint.reception')
        Inventory = pool.get('multipoint.inventory')
        Task = pool.get('multipoint.task')
        net = load_network(cls.net)
        msk, kzn = net['msk'], net['kzn']
        with Transaction().set_context(company=net['company'].id):
            reception, = Reception.create([{'point': msk.id}])
            reception.scan('D-1-1', damaged=True, note="Вмятина",
                photo=PHOTO, photo_name='dent.jpg')
            reception.scan('X-999')
            Reception.close([reception])
            inventory, = Inventory.create([{'point': msk.id}])
            Inventory.start([inventory])
            Inventory.complete([inventory])
            line, = Inventory(inventory.id).lines
            today = msk.local_date()
            # 00:01 and tomorrow 12:00 at the point, in UTC
            start = dt.datetime.combine(today, dt.time(0, 1)).replace(
                tzinfo=msk.tzinfo).astimezone(dt.timezone.utc).replace(
                tzinfo=None)
            tasks = Task.create([
                    {'title': "Инкассация", 'point': msk.id, 'due': start,
                        'recurrence': 'daily'},
                    {'title': "Инвентаризация зоны A", 'point': msk.id,
                        'due': start + dt.timedelta(hours=36)},
                    {'title': "Казань", 'point': kzn.id, 'due': start},
                    {'title': "Позвонить в DPD", 'point': msk.id,
                        'due': start + dt.timedelta(minutes=1)},
                    ])
        return {
            'reception': reception.id,
            'inventory_line': line.id,
            'line_parcel': line.parcel.id,
            'tasks': [t.id for t in tasks],
            }

    def login(self, login='t_op_msk'):
        client = self.client()
        response = client.post(f'/{self.db_name}/session/login',
            json={'params': [login, {'password': OPERATOR_PASSWORD}, 'ru']})
        self.assertEqual(response.status_code, 200)
        return client

    def api(self, path):
        return f'/{self.db_name}/multipoint/api/v1/{path}'

    def ok(self, response, status=200):
        self.assertEqual(response.status_code, status, response.data)
        return response.json

    def assertError(self, response, status, code):
        self.assertEqual(response.status_code, status, response.data)
        error = response.json['error']
        self.assertEqual(error['code'], code)
        self.assertRegex(error['message'], '[А-Яа-яЁё]')
        return error['message']

    def attachments(self, ticket_id):
        "(name, data) of the files of a ticket"
        with Transaction().start(DB_NAME, 0):
            Attachment = Pool().get('ir.attachment')
            return sorted((a.name, a.data) for a in Attachment.search([
                        ('resource', '=', f'multipoint.ticket,{ticket_id}'),
                        ]))

    def ticket_count(self):
        with Transaction().start(DB_NAME, 0):
            return Pool().get('multipoint.ticket').search_count([])

    def test_login_required(self):
        for method, path in [('post', 'tickets'), ('get', 'tasks/today'),
                ('post', f'tasks/{self.ids["tasks"][0]}/done')]:
            response = getattr(self.client(), method)(self.api(path))
            self.assertError(response, 401, 'unauthorized')

    def test_ticket_from_reception(self):
        "An acceptance discrepancy: the scans' photo and one more"
        client = self.login()
        ticket = self.ok(client.post(self.api('tickets'), json={
                    'source': 'reception',
                    'reception': self.ids['reception'],
                    'description': "Курьер ждал акт",
                    'photos': [{'name': 'box.jpg', 'data': b64(b'box')}],
                    }), 201)
        self.assertRegex(ticket['number'], r'^ОБ-\d{6}$')
        self.assertEqual((ticket['type'], ticket['type_name'],
                ticket['state']), ('mismatch', "Несоответствие", 'new'))
        self.assertRegex(ticket['title'], "^Расхождение при приёмке ПР-")
        self.assertEqual(ticket['supplier']['name'], "DPD")
        self.assertEqual([p['order_number'] for p in ticket['parcels']],
            ['D-1'])
        description = ticket['description']
        for text in ['D-1-1', 'повреждено', 'Вмятина', 'D-1-2',
                'X-999', "Курьер ждал акт"]:
            self.assertIn(text, description)
        self.assertEqual(ticket['photos'], 2)
        self.assertEqual(self.attachments(ticket['id']),
            [('box.jpg', b'box'), ('dent.jpg', PHOTO)])

    def test_ticket_from_damaged_place(self):
        client = self.login()
        ticket = self.ok(client.post(self.api('tickets'), json={
                    'source': 'damaged_place', 'barcode': 'D-1-1',
                    'priority': 'high'}), 201)
        self.assertEqual((ticket['type'], ticket['priority']),
            ('damaged', 'high'))
        self.assertEqual(ticket['title'],
            "Повреждено место D-1-1 заказа D-1")
        self.assertEqual(ticket['description'], "Вмятина")
        self.assertEqual(self.attachments(ticket['id']),
            [('dent.jpg', PHOTO)])

    def test_ticket_from_inventory(self):
        client = self.login()
        ticket = self.ok(client.post(self.api('tickets'), json={
                    'source': 'inventory',
                    'inventory_line': self.ids['inventory_line']}), 201)
        self.assertEqual(ticket['type'], 'lost')
        self.assertEqual([p['id'] for p in ticket['parcels']],
            [self.ids['line_parcel']])
        self.assertRegex(ticket['title'], "^Инвентаризация ИН-")

    def test_ticket_refused(self):
        "Bad requests and other points' documents create nothing"
        client = self.login()
        parcels = self.net['parcels']
        before = self.ticket_count()
        self.assertError(client.post(self.api('tickets'), json={
                    'parcels': [parcels['D-2']]}), 422, 'ticket')
        self.assertError(client.post(self.api('tickets'), json={
                    'title': "Фото", 'photos': [{'data': 'не base64!'}]}),
            422, 'bad_request')
        self.assertError(client.post(self.api('tickets'), json={
                    'title': "Чужая", 'parcels': [parcels['D-3']]}),
            422, 'bad_request')
        self.assertError(client.post(self.api('tickets'), json={
                    'source': 'telepathy', 'title': "?"}), 422, 'bad_request')
        self.assertError(client.post(self.api('tickets'), json={
                    'title': ["?"]}), 422, 'bad_request')
        self.assertError(client.post(self.api('tickets'), json={
                    'title': "Тип", 'type': 'alien'}), 422, 'invalid')
        self.assertError(client.post(self.api('tickets'), json={
                    'source': 'damaged_place', 'barcode': 'NOPE'}),
            404, 'barcode_unknown')
        self.assertError(client.post(self.api('tickets'), json={
                    'source': 'reception', 'reception': 'ПР-1'}),
            422, 'bad_request')
        other = self.login('t_op_kzn')
        self.assertError(other.post(self.api('tickets'), json={
                    'source': 'reception',
                    'reception': self.ids['reception']}), 404, 'not_found')
        self.assertError(other.post(self.api('tickets'), json={
                    'source': 'inventory',
                    'inventory_line': self.ids['inventory_line']}),
            422, 'bad_request')
        self.assertEqual(self.ticket_count(), before)

        ticket = self.ok(client.post(self.api('tickets'), json={
                    'title': "Нет сдачи в кассе", 'type': 'technical',
                    'parcels': [parcels['D-2']]}), 201)
        self.assertEqual((ticket['type'], ticket['point']),
            ('technical', self.net['msk']))
        self.assertEqual(self.ticket_count(), before + 1)

    def test_tasks_today_and_done(self):
        client = self.login()
        daily, tomorrow, kzn, call = self.ids['tasks']
        today = self.ok(client.get(self.api('tasks/today')))
        self.assertEqual(today['point'], self.net['msk'])
        self.assertEqual([t['id'] for t in today['tasks']], [daily, call])
        first = today['tasks'][0]
        self.assertEqual((first['title'], first['state'],
                first['recurrence']), ("Инкассация", 'open', 'daily'))
        self.assertTrue(first['due_local'].endswith('T00:01'))

        done = self.ok(client.post(self.api(f'tasks/{daily}/done')))
        self.assertEqual(done['task']['state'], 'done')
        self.assertEqual(done['task']['done_by'], 't_op_msk')
        following = done['next']
        self.assertTrue(following['due_local'].endswith('T00:01'))
        self.assertEqual(
            dt.date.fromisoformat(following['due_local'][:10])
            - dt.date.fromisoformat(first['due_local'][:10]),
            dt.timedelta(days=1))
        # a tap sent twice: no error, no second occurrence
        again = self.ok(client.post(self.api(f'tasks/{daily}/done')))
        self.assertEqual(again['next']['id'], following['id'])
        # done today: still in today's list
        today = self.ok(client.get(self.api('tasks/today')))
        self.assertEqual([(t['id'], t['state']) for t in today['tasks']],
            [(daily, 'done'), (call, 'open')])

        undone = self.ok(client.post(self.api(f'tasks/{call}/undo')))
        self.assertEqual(undone['task']['state'], 'open')

        other = self.login('t_op_kzn')
        self.assertError(other.post(self.api(f'tasks/{call}/done')),
            404, 'not_found')
        self.assertEqual([t['id'] for t in self.ok(
                    other.get(self.api('tasks/today')))['tasks']], [kzn])
