"""Marked goods from the suppliers: the manifest's marking columns, a
connector's item codes (malformed ones dropped with a warning), Boxberry's
marking_crpt, the supplier API's item fields"""
from decimal import Decimal

from trytond.modules.company.tests import create_company, set_company
from trytond.modules.multipoint_core.marking import GS
from trytond.modules.multipoint_core.tests.tools import (
    DBTestCase, create_point, create_supplier)
from trytond.modules.multipoint_suppliers.connector import LineData
from trytond.modules.multipoint_suppliers.tests.boxberry_server import (
    BoxberryServer, parcel_info)
from trytond.modules.multipoint_suppliers.tests.tools import (
    HEADERS, MemoryConnector, create_account, csv_bytes, parcel_data)
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction

RU = {'language': 'ru'}
SIGNATURE = 'Y3J5cHRvdGFpbDQ0Y2hhcmFjdGVyc2Jhc2U2NGxpa2Ux'
SHOES = f'0104601234567893215Abc!d{GS}91EE06{GS}92{SIGNATURE}'
ITEM_HEADERS = HEADERS + [
    "Наименование товара", "Количество", "Цена товара", "Код маркировки",
    "Маркировка", "GTIN"]


def order(number, *items):
    "Rows of one one-place order, one per item"
    return [[number, f'{number}-1', "Получатель", '8 916 123-45-67',
            '0', '199.00', '', '1', *item] for item in items]


class SupplierMarkingTestCase(DBTestCase):
    module = 'multipoint_suppliers'
    language = 'ru'

    def setUp(self):
        super().setUp()
        MemoryConnector.pages = {}
        MemoryConnector.calls = []
        MemoryConnector.fail_with = None

    def fixture(self, **values):
        company = create_company()
        msk = create_point(company, 'MSK1')
        shop = create_supplier("Ромашка", storage_days=5,
            max_extension_days=2)
        account = create_account(company, shop, {msk: 'R-MSK'}, **values)
        return company, msk, shop, account

    def items(self, shop, number):
        Parcel = Pool().get('multipoint.parcel')
        parcel, = Parcel.search([('supplier', '=', shop.id),
                ('order_number', '=', number)])
        return [(l.name, l.quantity, bool(l.marked), l.gtin, l.marking_code)
            for l in parcel.lines]

    @with_transaction(context=RU)
    def test_manifest_columns(self):
        pool = Pool()
        SyncLog = pool.get('multipoint.supplier.sync.log')
        company, msk, shop, account = self.fixture()
        with set_company(company):
            table = order('M-1',
                ["Туфли", '1', '3000', SHOES.replace(GS, '\\u001d'), '', ''],
                ["Кеды", '2', '2000', '', 'да', '4601234567893'],
                ["Чайник", '1', '1590', '', '', ''])
            log = SyncLog.create_import(account, msk,
                csv_bytes(table, ITEM_HEADERS), 'manifest.csv')
            SyncLog.process([log])
            self.assertEqual(SyncLog(log.id).state, 'done')
            self.assertEqual(self.items(shop, 'M-1'), [
                    ("Туфли", 1, True, '04601234567893', SHOES),
                    ("Кеды", 1, True, '04601234567893', None),
                    ("Кеды", 1, True, '04601234567893', None),
                    ("Чайник", 1, False, None, None)])

            bad = order('M-2',
                ["Туфли", '1', '3000', '0104601234567894215Abc!d', '', ''])
            log = SyncLog.create_import(account, msk,
                csv_bytes(bad, ITEM_HEADERS), 'manifest.csv')
            SyncLog.process([log])
            log = SyncLog(log.id)
            self.assertEqual(log.state, 'failed')
            self.assertIn("не код маркировки", log.lines[0].message)

    @with_transaction(context=RU)
    def test_connector_codes(self):
        pool = Pool()
        SyncLog = pool.get('multipoint.supplier.sync.log')
        company, msk, shop, account = self.fixture(
            connector='test_memory', password='pw')
        with set_company(company):
            MemoryConnector.pages = {'R-MSK': [[parcel_data('C-1', lines=[
                                LineData("Туфли", unit_price=Decimal(3000),
                                    marking_code=SHOES.replace(GS, '')),
                                LineData("Ботинки", unit_price=Decimal(4000),
                                    marking_code='01046012345678932'),
                                ])]]}
            log, = SyncLog.queue_syncs([account])
            SyncLog.run_sync([log])
            log = SyncLog(log.id)
            self.assertEqual((log.state, log.created), ('done', 1))
            warning, = [l for l in log.lines if l.level == 'warning']
            self.assertIn("marking_code", warning.message)
            self.assertEqual(self.items(shop, 'C-1'), [
                    ("Туфли", 1, True, '04601234567893', SHOES),
                    ("Ботинки", 1, True, None, None)])

            # the same codes again: nothing changes
            account.points[0].cursor = None
            account.points[0].save()
            log, = SyncLog.queue_syncs([account])
            SyncLog.run_sync([log])
            self.assertEqual(SyncLog(log.id).updated, 0)

    @with_transaction(context=RU)
    def test_boxberry_marking_crpt(self):
        with BoxberryServer() as server:
            company, msk, shop, account = self.fixture(
                connector='boxberry', url=server.url, token=server.token)
            record = parcel_info('BB-1')
            record['products'][0]['marking_crpt'] = SHOES
            server.parcels['BB-1'] = record
            server.parcels['BB-2'] = parcel_info('BB-2')
            with set_company(company):
                connector = account.get_connector()
                line, = connector.lookup('BB-1').lines
                self.assertEqual(line.marking_code, SHOES)
                line, = connector.lookup('BB-2').lines
                self.assertIsNone(line.marking_code)
