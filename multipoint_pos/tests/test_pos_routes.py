"Shifts and payment at issue through the operator JSON API, in Russian"
from decimal import Decimal

from trytond.modules.company.tests import create_company, set_company
from trytond.modules.multipoint_core.tests.tools import (
    OPERATOR_PASSWORD, committed, create_parcel, create_user)
from trytond.modules.multipoint_pos.tests.devices import (
    PrinterServer, cp866)
from trytond.modules.multipoint_pos.tests.pos_tools import (
    free_port, pos_point, settings, setup_accounting, supplier)
from trytond.pool import Pool
from trytond.tests.test_tryton import RouteTestCase
from trytond.transaction import Transaction

D = Decimal


class PosAPITestCase(RouteTestCase):
    "Test the shift and payment routes"
    module = 'multipoint_pos'
    language = 'ru'

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # in transactions of their own: the fiscal year and the reception
        # lock tables, which PostgreSQL takes at the start of a transaction
        committed(cls.create_data, user=1)
        cls.codes = committed(cls.accept_parcels)
        cls.enterClassContext(settings('multipoint_fiscal', driver='demo'))

    @classmethod
    def create_data(cls):
        company = create_company()
        with set_company(company):
            accounts = setup_accounting(company)
            msk = pos_point(company, 'MSK1', accounts)
            kzn = pos_point(company, 'KZN1', accounts)
            runcrm = supplier("runCRM shop", partial_buyout=True,
                delivery_fee_rule='below_threshold',
                free_delivery_threshold=D('2000'),
                standard_delivery_fee=D('250'))
            hermes = supplier("Hermes")
            parcels = [
                create_parcel(msk, runcrm, 'R-1', ['RB-1'],
                    cod_amount=D('3000'), delivery_fee=D(0),
                    lines=[('create', [
                                {'name': "Платье", 'quantity': 1,
                                    'unit_price': D('1500')},
                                {'name': "Юбка", 'quantity': 1,
                                    'unit_price': D('1500')}])]),
                create_parcel(msk, hermes, 'H-1', ['HB-1'],
                    cod_amount=D('1500'), delivery_fee=D('199')),
                create_parcel(kzn, hermes, 'HK-1', ['HKB-1'],
                    cod_amount=D('990'), delivery_fee=D(0)),
                ]
            create_user('op_msk', ['operator'], [msk], company)
            create_user('op_kzn', ['operator'], [kzn], company)
        cls.ids = {p.order_number: p.id for p in parcels}
        cls.msk, cls.kzn, cls.company = msk.id, kzn.id, company.id

    @classmethod
    def accept_parcels(cls):
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        Reception = pool.get('multipoint.reception')
        with Transaction().set_context(company=cls.company):
            reception, = Reception.create([{'point': cls.msk}])
            for barcode in ['RB-1', 'HB-1']:
                reception.scan(barcode)
            other, = Reception.create([{'point': cls.kzn}])
            other.scan('HKB-1')
            Reception.close([reception, other])
            codes = Parcel.generate_codes(
                Parcel.browse(list(cls.ids.values())))
        return {p.order_number: code for p, code in codes.items()}

    def login(self, login='op_msk'):
        client = self.client()
        response = client.post(f'/{self.db_name}/session/login',
            json={'params': [login, {'password': OPERATOR_PASSWORD}, 'ru']})
        self.assertEqual(response.status_code, 200)
        return client

    def api(self, path):
        return f'/{self.db_name}/multipoint/api/v1/{path}'

    def assertError(self, response, status, code):
        self.assertEqual(response.status_code, status, response.data)
        error = response.json['error']
        self.assertEqual(error['code'], code)
        self.assertRegex(error['message'], '[А-Яа-яЁё]')
        return error['message']

    def ok(self, response, status=200):
        self.assertEqual(response.status_code, status, response.data)
        return response.json

    def test_login_required(self):
        response = self.client().get(self.api('shifts/current'))
        self.assertError(response, 401, 'unauthorized')

    def test_shift_pay_and_close(self):
        client = self.login()
        self.assertIsNone(
            self.ok(client.get(self.api('shifts/current')))['shift'])
        # no payment without a shift
        message = self.assertError(client.post(self.api('issue/pay'), json={
                    'parcels': [{'id': self.ids['H-1'],
                            'code': self.codes['H-1']}],
                    'payments': [{'method': 'cash', 'amount': '1699'}]}),
            422, 'shift_closed')
        self.assertIn("смена не открыта", message)

        shift = self.ok(client.post(self.api('shifts/open'),
                json={'float': '5000.00'}), 201)
        self.assertEqual(shift['number'], 1)
        self.assertEqual(shift['point'], self.msk)
        self.assertEqual(shift['cash_expected'], '5000.00')
        message = self.assertError(client.post(self.api('shifts/open'),
                json={'float': 5000}), 422, 'shift_open')
        self.assertIn("уже открыта смена", message)
        current = self.ok(client.get(self.api('shifts/current')))['shift']
        self.assertEqual(current['id'], shift['id'])

        # runCRM: the skirt refused, 1,500 left, the delivery fee due again
        skirt = self.skirt_line()
        parcel = {'id': self.ids['R-1'], 'code': self.codes['R-1'],
            'refused': [{'line': skirt, 'quantity': 1}]}
        quote = self.ok(client.post(self.api('issue/quote'),
                json={'parcels': [parcel]}))
        self.assertEqual(quote['total'], '1750.00')
        self.assertEqual(quote['parcels'][0]['delivery_fee'], '250.00')
        message = self.assertError(client.post(self.api('issue/pay'), json={
                    'parcels': [parcel],
                    'payments': [{'method': 'card', 'amount': '1500'}]}),
            422, 'payment_mismatch')
        self.assertIn("1750.00", message)
        self.assertEqual(self.state('R-1'), 'accepted')
        printer = PrinterServer()
        self.addCleanup(printer.stop)
        with settings('multipoint_printer', host='127.0.0.1',
                port=printer.port, timeout=2):
            paid = self.ok(client.post(self.api('issue/pay'), json={
                        'parcels': [parcel, {'id': self.ids['H-1'],
                                'code': self.codes['H-1']}],
                        'payments': [{'method': 'card', 'amount': '1750'},
                            {'method': 'cash', 'amount': 1699,
                                'tendered': 2000}]}))
        # the issue slip: both orders, the refused skirt, the payments
        self.assertIsNone(paid['print_error'])
        slip = printer.wait(1)
        for text in ["R-1", "H-1", "Юбка", "3 449,00", "1 750,00"]:
            self.assertIn(cp866(text), slip)
        self.assertEqual(paid['total'], '3449.00')
        self.assertEqual(paid['change'], '301.00')
        self.assertEqual(sorted(p['state'] for p in paid['issued']),
            ['issued', 'partially_issued'])
        sales = {s['supplier']['name']: s for s in paid['sales']}
        self.assertEqual(sales['runCRM shop']['total'], '1750.00')
        self.assertEqual(
            [(l['description'], l['amount'])
                for l in sales['runCRM shop']['lines']],
            [("Платье", '1500.00'), ("Доставка заказа R-1", '250.00')])
        self.assertEqual(sales['Hermes']['payments'], [{
                    'method': 'cash', 'amount': '1699.00',
                    'tendered': '2000.00', 'change': '301.00'}])
        # each supplier's sale has its agent receipt, made by the register
        self.assertTrue(paid['fiscalized'])
        self.assertEqual(
            sorted((r['supplier'], r['state'], r['total'])
                for r in paid['receipts']),
            [('Hermes', 'done', '1699.00'),
                ('runCRM shop', 'done', '1750.00')])
        self.assertEqual({s['state'] for s in paid['sales']}, {'done'})

        report = self.ok(client.get(
                self.api(f"shifts/{shift['id']}/x_report")))
        self.assertEqual(report['taken'],
            {'cash': '1699.00', 'card': '1750.00', 'sbp': '0.00'})
        self.assertEqual(report['cash_expected'], '6699.00')
        self.assertEqual(len(report['suppliers']), 2)
        # cash collection during the shift; the X-report printed on demand
        message = self.assertError(client.post(
                self.api(f"shifts/{shift['id']}/collect"),
                json={'amount': '99999'}), 422, 'shift_count')
        self.assertRegex(message, '[А-Яа-яЁё]')
        collected = self.ok(client.post(
                self.api(f"shifts/{shift['id']}/collect"),
                json={'amount': '1000'}))
        self.assertEqual(collected['cash_expected'], '5699.00')
        with settings('multipoint_printer', host='127.0.0.1',
                port=printer.port, timeout=2):
            report = self.ok(client.get(
                    self.api(f"shifts/{shift['id']}/x_report?print=1")))
        self.assertIsNone(report['print_error'])
        self.assertTrue(report['printed'])
        self.assertEqual(report['collected'], '1000.00')
        x_slip = printer.wait(2)
        self.assertIn(cp866("Hermes"), x_slip)
        self.assertIn(cp866("5 699,00"), x_slip)
        # no printer at the point: said, not «sent to the printer»
        report = self.ok(client.get(
                self.api(f"shifts/{shift['id']}/x_report?print=1")))
        self.assertIs(report['printed'], False)
        self.assertIn("не настроен принтер", report['print_error'])
        self.assertNotIn('printed', self.ok(client.get(
                    self.api(f"shifts/{shift['id']}/x_report"))))

        # another point's operator sees nothing of it
        other = self.login('op_kzn')
        self.assertError(other.get(
                self.api(f"shifts/{shift['id']}/x_report")), 404,
            'not_found')
        self.assertError(other.post(
                self.api(f"shifts/{shift['id']}/close"),
                json={'counts': []}), 404, 'not_found')
        self.assertError(other.post(self.api('shifts/open'),
                json={'point': self.msk, 'float': '0'}), 422, 'bad_request')

        counts = [{'denomination': 5000, 'quantity': 1},
            {'denomination': 500, 'quantity': 1},
            {'denomination': 100, 'quantity': 1},
            {'denomination': 50, 'quantity': 1},
            {'denomination': 0.5, 'quantity': 2}]
        message = self.assertError(client.post(
                self.api(f"shifts/{shift['id']}/close"),
                json={'counts': counts}), 422, 'shift_count')
        self.assertIn("укажите причину", message)
        self.assertError(client.post(
                self.api(f"shifts/{shift['id']}/close"),
                json={'counts': 'много'}), 422, 'bad_request')
        # the printer is off: the shift closes all the same, with a message
        with settings('multipoint_printer', host='127.0.0.1',
                port=free_port(), timeout=1):
            z = self.ok(client.post(
                    self.api(f"shifts/{shift['id']}/close"),
                    json={'counts': counts, 'reason': "Ошибка сдачи"}))
        self.assertRegex(z['print_error'], '[А-Яа-яЁё]')
        self.assertEqual(z['counted'], '5651.00')
        self.assertEqual(z['difference'], '-48.00')
        self.assertEqual(z['shift']['state'], 'closed')
        self.assertEqual(z['counts'][-1],
            {'denomination': '0.50', 'quantity': 2, 'amount': '1.00'})
        self.assertEqual(
            {s['supplier']['name']: s['total'] for s in z['suppliers']},
            {'runCRM shop': '1750.00', 'Hermes': '1699.00'})
        self.assertIsNone(
            self.ok(client.get(self.api('shifts/current')))['shift'])
        self.assertError(client.get(self.api('shifts/999999/x_report')),
            404, 'not_found')

    def test_wrong_code_tries_left(self):
        "A wrong code answers the tries left before the lock"
        client = self.login('op_kzn')
        parcel = self.ids['HK-1']
        for left in [4, 3]:
            response = client.post(self.api('issue'), json={
                    'parcels': [{'id': parcel, 'code': '000000'}]})
            self.assertError(response, 422, 'code_wrong')
            self.assertEqual(response.json['error']['details'],
                {'tries_left': {str(parcel): left}})

    def test_open_work(self):
        "The receptions and inventories the user left open at the point"
        client = self.login('op_kzn')
        self.assertEqual(self.ok(client.get(self.api('open_work'))),
            {'receptions': [], 'inventories': []})
        reception = self.ok(client.post(self.api('receptions'),
                json={'point': self.kzn}), 201)
        inventory = self.ok(client.post(self.api('inventories'),
                json={'point': self.kzn, 'cells': []}), 201)
        work = self.ok(client.get(self.api('open_work')))
        self.assertEqual([r['id'] for r in work['receptions']],
            [reception['id']])
        self.assertEqual(work['receptions'][0]['state'], 'open')
        self.assertEqual([i['id'] for i in work['inventories']],
            [inventory['id']])
        # another user of another point sees none of it
        other = self.login('op_msk')
        self.assertEqual(self.ok(other.get(self.api('open_work'))),
            {'receptions': [], 'inventories': []})
        self.ok(client.post(
                self.api(f"inventories/{inventory['id']}/complete")))
        self.assertEqual(
            self.ok(client.get(self.api('open_work')))['inventories'], [])

    def test_receipt_failure_keeps_the_sale_open(self):
        """The register is unreachable: the parcel is paid and issued, its
        sale waits for the receipt, the shift can't close; sent again when
        the register is back, the sale is done and the shift closes"""
        client = self.login('op_kzn')
        shift = self.ok(client.post(self.api('shifts/open'),
                json={'float': '0'}), 201)
        refused = settings('multipoint_fiscal', driver='atol',
            url=f'http://127.0.0.1:{free_port()}', request_timeout=0.5)
        with refused:
            paid = self.ok(client.post(self.api('issue/pay'), json={
                        'parcels': [{'id': self.ids['HK-1'],
                                'code': self.codes['HK-1']}],
                        'payments': [{'method': 'cash', 'amount': '990'}]}))
        self.assertFalse(paid['fiscalized'])
        receipt, = paid['receipts']
        self.assertEqual(receipt['state'], 'failed')
        self.assertRegex(receipt['error'], '[А-Яа-яЁё]')
        self.assertEqual(paid['sales'][0]['state'], 'open')
        self.assertEqual(self.state('HK-1'), 'issued')
        pending = self.ok(client.get(self.api('receipts/pending')))
        self.assertEqual([r['id'] for r in pending['receipts']],
            [receipt['id']])
        # nobody else sees it
        self.assertEqual(self.ok(self.login().get(
                    self.api('receipts/pending')))['receipts'], [])
        self.assertError(self.login().post(
                self.api(f"receipts/{receipt['id']}/send")), 404,
            'not_found')

        counts = [{'denomination': 500, 'quantity': 1},
            {'denomination': 100, 'quantity': 4},
            {'denomination': 50, 'quantity': 1},
            {'denomination': 10, 'quantity': 4}]
        message = self.assertError(client.post(
                self.api(f"shifts/{shift['id']}/close"),
                json={'counts': counts}), 422, 'receipts_pending')
        self.assertIn("ждут чека", message)

        done = self.ok(client.post(
                self.api(f"receipts/{receipt['id']}/send")))
        self.assertEqual(done['state'], 'done')
        self.assertTrue(done['fiscal_sign'])
        self.assertEqual(self.ok(client.get(
                    self.api('receipts/pending')))['receipts'], [])
        z = self.ok(client.post(self.api(f"shifts/{shift['id']}/close"),
                json={'counts': counts}))
        self.assertEqual(z['difference'], '0.00')
        self.assertEqual(z['shift']['state'], 'closed')

    def skirt_line(self):
        with Transaction().start(self.db_name, 0):
            Parcel = Pool().get('multipoint.parcel')
            return Parcel(self.ids['R-1']).lines[1].id

    def state(self, order_number):
        with Transaction().start(self.db_name, 0):
            Parcel = Pool().get('multipoint.parcel')
            return Parcel(self.ids[order_number]).state
