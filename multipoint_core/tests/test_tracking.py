"The public tracking page"
import datetime as dt
from decimal import Decimal

from trytond.modules.company.tests import create_company, set_company
from trytond.modules.multipoint_core.tests.tools import (
    committed, create_parcel, create_point, create_supplier)
from trytond.pool import Pool
from trytond.tests.test_tryton import RouteTestCase
from trytond.transaction import Transaction


class TrackingTestCase(RouteTestCase):
    "Test the public tracking page"
    module = 'multipoint_core'
    language = 'ru'

    @classmethod
    def setUpDatabase(cls):
        company = create_company()
        with set_company(company):
            point = create_point(company, 'MSK1')
            Point = Pool().get('multipoint.point')
            Point.write([point], {'city': "Москва",
                    'opening_hours': "Пн–Вс 10:00–21:00"})
            cdek = create_supplier("СДЭК", storage_days=5,
                max_extension_days=3)
            for order, phone in [('C-1', '+79161112233'),
                    ('C-2', '+79164445566'), ('C-3', '+79167778899')]:
                create_parcel(point, cdek, order, [f'{order}-box'],
                    recipient_name="Смирнов Иван",
                    recipient_phone=phone, prepaid=True)
        cls.point, cls.company = point.id, company.id

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        committed(cls.accept)

    @classmethod
    def accept(cls):
        Reception = Pool().get('multipoint.reception')
        with Transaction().set_context(company=cls.company):
            reception, = Reception.create([{'point': cls.point}])
            for order in ['C-1', 'C-2', 'C-3']:
                reception.scan(f'{order}-box')
            Reception.close([reception])

    def track(self, path='', ip='10.1.1.1', **data):
        return self.client().post(
            f'/{self.db_name}/multipoint/track{path}', json=data,
            environ_base={'REMOTE_ADDR': ip})

    def test_page_is_served(self):
        response = self.client().get(f'/{self.db_name}/multipoint/track')
        self.assertEqual(response.status_code, 200)
        self.assertIn("Где мой заказ", response.data.decode())
        # the extension's confirmation has its place on the page
        self.assertIn('id="done"', response.data.decode())

    def test_amounts_written_the_russian_way(self):
        from trytond.modules.multipoint_core.tracking import rub
        self.assertEqual(rub(Decimal('480')), "480,00 ₽")
        self.assertEqual(rub(Decimal('1480.5')), "1 480,50 ₽")
        self.assertEqual(rub(Decimal('1234567.00')), "1 234 567,00 ₽")
        self.assertEqual(rub(None), "0,00 ₽")
        response = self.track(ip='10.3.3.3', order='C-1', phone='2233')
        self.assertEqual(
            response.json['parcels'][0]['amount_due_text'], "0,00 ₽")

    def test_status_without_personal_data(self):
        response = self.track(order='C-1', phone='2233')
        self.assertEqual(response.status_code, 200, response.data)
        parcel, = response.json['parcels']
        self.assertEqual(parcel['state'], 'accepted')
        self.assertEqual(parcel['point']['address'],
            "Москва, ул. Тестовая, MSK1")
        self.assertIn('yandex.ru/maps', parcel['point']['map_url'])
        self.assertEqual(parcel['can_extend_days'], 3)
        self.assertTrue(parcel['storage_deadline'])
        body = response.data.decode()
        for secret in ["Смирнов", "79161112233", "C-2", "C-3"]:
            self.assertNotIn(secret, body)

    def test_wrong_digits_are_limited_per_network(self):
        for attempt in range(10):
            response = self.track(ip='10.9.9.1', order='C-2', phone='0000')
            self.assertEqual(response.status_code, 404)
            self.assertIn("не найден", response.json['error']['message'])
        # the whole network is refused now, even with the right digits
        response = self.track(ip='10.9.9.77', order='C-2', phone='5566')
        self.assertEqual(response.status_code, 429)
        # another client is not
        response = self.track(ip='10.7.7.7', order='C-2', phone='5566')
        self.assertEqual(response.status_code, 200)

    def test_recipient_extends_storage(self):
        before = self.track(ip='10.2.2.2', order='C-3', phone='8899').json
        deadline = dt.date.fromisoformat(
            before['parcels'][0]['storage_deadline'])
        response = self.track('/extend', ip='10.2.2.2', order='C-3',
            phone='8899', days=2)
        self.assertEqual(response.status_code, 200, response.data)
        parcel, = response.json['parcels']
        self.assertEqual(dt.date.fromisoformat(parcel['storage_deadline']),
            deadline + dt.timedelta(days=2))
        self.assertEqual(parcel['can_extend_days'], 1)
        # the recipient is told the new deadline
        new = (deadline + dt.timedelta(days=2)).strftime('%d.%m.%Y')
        self.assertEqual(parcel['storage_deadline_text'], new)
        self.assertIn("продлено", response.json['message'])
        self.assertIn(new, response.json['message'])
        response = self.track('/extend', ip='10.2.2.2', order='C-3',
            phone='8899', days=2)
        self.assertEqual(response.status_code, 422)
        self.assertIn("не более", response.json['error']['message'])


del RouteTestCase
