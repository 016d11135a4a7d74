"""Marked goods at issue: the code in the agent receipt's ATOL task, the
register's check, a refused marked item's code going back"""
import base64
from decimal import Decimal

from trytond.modules.company.tests import create_company, set_company
from trytond.modules.multipoint_core.exceptions import IssueError
from trytond.modules.multipoint_core.marking import GS
from trytond.modules.multipoint_core.tests.tools import DBTestCase
from trytond.modules.multipoint_pos.tests.devices import AtolServer
from trytond.modules.multipoint_pos.tests.pos_tools import (
    fiscalize, pos_point, settings, setup_accounting, stored_parcel,
    supplier)
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction

D = Decimal
SIGNATURE = 'Y3J5cHRvdGFpbDQ0Y2hhcmFjdGVyc2Jhc2U2NGxpa2Ux'
SHOES = f'0104601234567893215Abc!d{GS}91EE06{GS}92{SIGNATURE}'
BAG = f'010460700000001421bagSerial0001{GS}91K9ZZ{GS}92{SIGNATURE}'


class MarkingReceiptTestCase(DBTestCase):
    "Marked items issued with payment"
    module = 'multipoint_pos'
    language = 'ru'

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.atol = AtolServer()

    @classmethod
    def tearDownClass(cls):
        cls.atol.stop()
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        self.atol.reset()
        self.enterContext(settings('multipoint_fiscal', driver='atol',
                url=self.atol.url, timeout=1, request_timeout=0.5,
                poll_interval=0.02, taxation_type='osn'))

    def marked_parcel(self, company):
        "A stored parcel of shoes (code to scan) and a bag (code sent)"
        pool = Pool()
        Line = pool.get('multipoint.parcel.line')
        Session = pool.get('sale.point.cash.session')
        point = pos_point(company, 'MSK1', setup_accounting(company))
        shop = supplier("Лавка", partial_buyout=True)
        parcel, code = stored_parcel(point, shop, 'M-1',
            [("Туфли", 1, '3000'), ("Сумка", 1, '1500')])
        shoes, bag = parcel.lines
        Line.write([shoes], {'marked': True, 'gtin': '04601234567893'},
            [bag], {'marking_code': BAG})
        Session.open_shift(point, D(0))
        return point, Pool().get('multipoint.parcel')(parcel.id), code

    @with_transaction()
    def test_marked_item_issued_with_its_code_in_the_receipt(self):
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        Line = pool.get('multipoint.parcel.line')
        company = create_company()
        with set_company(company):
            point, parcel, code = self.marked_parcel(company)
            shoes, bag = parcel.lines
            pay = [{'method': 'card', 'amount': D('4699.00')}]
            with self.assertRaises(IssueError) as cm:
                Parcel.issue_with_payment([parcel], point,
                    {parcel: ('code', code)}, pay)
            self.assertIn("Туфли", cm.exception.message)

            Line.scan_marking_codes({shoes: SHOES.replace(GS, '\\u001d')})
            result = Parcel.issue_with_payment([parcel], point,
                {parcel: ('code', code)}, pay)
            fiscalize(result)

            receipt, = result['receipts']
            self.assertEqual(receipt.state, 'done')
            self.assertEqual(
                [(l.name, l.marking_code, l.payment_object)
                    for l in receipt.lines],
                [("Туфли", SHOES, 'commodity_marked'),
                    ("Сумка", BAG, 'commodity_marked'),
                    ("Доставка заказа M-1", None, 'service')])
            task, = self.atol.posts[0]['request']
            self.assertIs(task['validateMarkingCodes'], True)
            goods = task['items'][:2]
            self.assertEqual([i['paymentObject'] for i in goods],
                ['commodityWithMarking'] * 2)
            self.assertEqual(goods[0]['imcParams'], {
                    'imcType': 'auto',
                    'imc': base64.b64encode(SHOES.encode()).decode(),
                    'itemEstimatedStatus': 'itemPieceSold',
                    'imcModeProcessing': 0,
                    })
            self.assertEqual(
                base64.b64decode(goods[1]['imcParams']['imc']).decode(), BAG)
            self.assertNotIn('imcParams', task['items'][2])

    @with_transaction()
    def test_register_refuses_a_code_out_of_circulation(self):
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        Line = pool.get('multipoint.parcel.line')
        company = create_company()
        with set_company(company):
            point, parcel, code = self.marked_parcel(company)
            Line.scan_marking_codes({parcel.lines[0]: SHOES})
            self.atol.rejected.add(BAG)
            result = Parcel.issue_with_payment([parcel], point,
                {parcel: ('code', code)},
                [{'method': 'cash', 'amount': D('4699.00')}])
            fiscalize(result)
            receipt, = result['receipts']
            # the register's own words are kept on the failed receipt
            self.assertEqual(receipt.state, 'failed')
            self.assertIn("Код маркировки не прошёл проверку",
                receipt.error_message)

    @with_transaction(context={'language': 'ru'})
    def test_refused_marked_item_code_goes_back(self):
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        Line = pool.get('multipoint.parcel.line')
        Batch = pool.get('multipoint.return.batch')
        Act = pool.get('multipoint.return.act', type='report')
        company = create_company()
        with set_company(company):
            point, parcel, code = self.marked_parcel(company)
            shoes, bag = parcel.lines
            Line.scan_marking_codes({shoes: SHOES})
            # the bag is refused: its code is not sold, the shoes' is
            result = Parcel.issue_with_payment([parcel], point,
                {parcel: ('code', code)},
                [{'method': 'card', 'amount': D('3199.00')}],
                refused={bag: 1})
            fiscalize(result)
            task, = self.atol.posts[0]['request']
            self.assertEqual(
                [base64.b64decode(i['imcParams']['imc']).decode()
                    for i in task['items'] if 'imcParams' in i], [SHOES])

            batch, = Batch.create([{'point': point.id,
                        'supplier': parcel.supplier.id}])
            batch.add('M-1-1')
            (order, places, what), = Act.rows(batch)
            self.assertEqual(order, 'M-1')
            self.assertEqual(what,
                "Сумка × 1 (КМ 010460700000001421bagSerial0001)")
