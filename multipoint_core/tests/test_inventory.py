"Inventory counts: scans, differences, their resolution, access and API"
from trytond import backend
from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.multipoint_core.exceptions import (
    BarcodeEmptyError, CellError, MultipointError)
from trytond.modules.multipoint_core.inventory import (
    InventoryClosedError, InventoryError, InventoryResolveError)
from trytond.modules.multipoint_core.tests.tools import (
    OPERATOR_PASSWORD, DBTestCase, accept_and_store, cell, committed,
    create_parcel, create_point, create_supplier, create_user)
from trytond.pool import Pool
from trytond.tests.test_tryton import RouteTestCase, with_transaction
from trytond.transaction import Transaction, check_access


def accept(parcels):
    "Bring expected parcels through a reception, without placing them"
    Reception = Pool().get('multipoint.reception')
    point = parcels[0].point
    reception, = Reception.create([{
                'point': point.id, 'company': point.company.id}])
    for parcel in parcels:
        for place in parcel.places:
            reception.scan(place.barcode)
    Reception.close([reception])


def stock_point(company):
    """A point whose parcels K-1..K-7 are stored in A-1, A-1, A-2, A-2,
    B-1, nowhere (accepted) and B-1 (then lost), and a parcel of another
    point"""
    pool = Pool()
    Parcel = pool.get('multipoint.parcel')
    msk = create_point(company, 'MSK1')
    kzn = create_point(company, 'KZN1')
    supplier = create_supplier("DPD", storage_days=7, max_extension_days=7)
    parcels = [create_parcel(msk, supplier, f'K-{i}') for i in range(1, 8)]
    homes = dict(zip(['K-1', 'K-2', 'K-3', 'K-4', 'K-5', 'K-7'],
            ['A-1', 'A-1', 'A-2', 'A-2', 'B-1', 'B-1']))
    stored = [p for p in parcels if p.order_number in homes]
    accept_and_store(stored,
        cell_for=lambda p: cell(msk, homes[p.order_number]))
    accept([parcels[5]])
    Parcel.mark_lost([Parcel(parcels[6].id)])
    create_parcel(kzn, supplier, 'Z-1')
    return msk, kzn, {p.order_number: Parcel(p.id) for p in parcels}


def start_inventory(point, cells=()):
    Inventory = Pool().get('multipoint.inventory')
    inventory, = Inventory.create([{
                'point': point.id,
                'cells': [('add', [cell(point, c).id for c in cells])],
                }])
    Inventory.start([inventory])
    return Inventory(inventory.id)


class InventoryTestCase(DBTestCase):
    "Test inventory counts"

    @with_transaction()
    def test_count_and_resolve_every_difference(self):
        pool = Pool()
        Inventory = pool.get('multipoint.inventory')
        Line = pool.get('multipoint.inventory.line')
        Parcel = pool.get('multipoint.parcel')
        Event = pool.get('multipoint.parcel.event')
        company = create_company()
        with set_company(company):
            msk, kzn, parcels = stock_point(company)
            inventory, = Inventory.create([{'point': msk.id}])
            self.assertTrue(inventory.number.startswith('ИН-'))
            with self.assertRaises(InventoryClosedError):
                inventory.scan('K-1-1')
            Inventory.start([inventory])
            inventory = Inventory(inventory.id)
            self.assertTrue(inventory.started_at)

            def scan(barcode, **kwargs):
                scan = Inventory(inventory.id).scan(barcode, **kwargs)
                return scan.result if scan else None

            # the accepted parcel outside the cells, before any cell
            self.assertEqual(scan('K-6-1'), 'ok')
            self.assertIsNone(scan('A-1'))
            self.assertEqual(Inventory(inventory.id).current_cell,
                cell(msk, 'A-1'))
            self.assertEqual(scan('K-1-1'), 'ok')
            self.assertEqual(scan('K-1-1'), 'duplicate')
            self.assertIsNone(scan('B-1'))
            self.assertEqual(scan('K-3-1'), 'misplaced')
            self.assertEqual(scan('K-7-1'), 'unexpected')  # lost
            self.assertEqual(scan('Z-1-1'), 'unexpected')  # another point
            self.assertEqual(scan('NOPE-1'), 'unknown')
            self.assertIsNone(scan('A-2'))
            first = Inventory(inventory.id).scan('K-5-1', client_id='t:1')
            self.assertEqual(first.result, 'misplaced')
            self.assertEqual(first.recorded_cell, cell(msk, 'B-1'))
            # a resent scan is recorded once
            self.assertEqual(
                Inventory(inventory.id).scan('K-5-1', client_id='t:1'),
                first)
            with self.assertRaises(BarcodeEmptyError):
                scan('  ')
            with self.assertRaises(CellError):
                scan('K-2-1', cell_barcode='Z-9')
            self.assertTrue(issubclass(InventoryError, MultipointError))

            inventory = Inventory(inventory.id)
            self.assertEqual(inventory.expected_count, 6)
            self.assertEqual(inventory.scanned_count, 7)
            self.assertEqual(inventory.ok_count, 2)
            self.assertEqual(inventory.misplaced_count, 2)
            self.assertEqual(inventory.unexpected_count, 3)
            self.assertEqual(inventory.duplicate_count, 1)
            self.assertEqual(inventory.missing_count, 2)
            other, = [s for s in inventory.scans if s.barcode == 'Z-1-1']
            self.assertIsNone(other.parcel)
            self.assertIn('KZN1', other.detail)

            Inventory.complete([inventory])
            inventory = Inventory(inventory.id)
            self.assertEqual(inventory.state, 'done')
            self.assertIsNone(inventory.current_cell)
            with self.assertRaises(InventoryClosedError):
                inventory.scan('K-2-1')
            self.assertEqual(inventory.expected_count, 6)
            self.assertEqual(inventory.missing_count, 2)
            self.assertEqual(inventory.open_count, 7)

            def line(kind, what):
                line, = [l for l in inventory.lines if l.kind == kind and (
                            (l.parcel and l.parcel.order_number == what)
                            or l.barcode == what)]
                return line
            self.assertEqual(line('missing', 'K-2').recorded_cell,
                cell(msk, 'A-1'))
            line('missing', 'K-4')
            self.assertEqual(line('misplaced', 'K-3').cell, cell(msk, 'B-1'))
            self.assertEqual(line('misplaced', 'K-5').recorded_cell,
                cell(msk, 'B-1'))
            line('unexpected', 'K-7')
            self.assertIsNone(line('unexpected', 'Z-1-1').parcel)
            line('unexpected', 'NOPE-1')

            # resolutions need a reason and fitting differences
            with self.assertRaises(InventoryResolveError):
                Line.resolve([line('misplaced', 'K-3')], 'moved', '  ')
            with self.assertRaises(InventoryResolveError):
                Line.resolve([line('missing', 'K-2')], 'moved', "Ищем")
            with self.assertRaises(InventoryResolveError):
                Line.resolve([line('unexpected', 'NOPE-1')], 'lost', "?")
            with self.assertRaises(InventoryResolveError):
                Line.resolve([line('missing', 'K-2')], 'stolen', "?")

            Line.resolve([line('misplaced', 'K-3')], 'moved',
                "Переложили при приёмке")
            k3 = Parcel(parcels['K-3'].id)
            self.assertEqual((k3.state, k3.cell), ('stored', cell(msk, 'B-1')))
            self.assertTrue(Event.search([('parcel', '=', k3.id),
                        ('kind', '=', 'move')]))
            Line.resolve([line('missing', 'K-4')], 'sent_to_supplier',
                "Отдали курьеру DPD без акта")
            k4 = Parcel(parcels['K-4'].id)
            self.assertEqual((k4.state, k4.cell), ('returned', None))
            Line.resolve([line('misplaced', 'K-5')], 'found',
                "Лежит в A-2, там и оставили")
            k5 = Parcel(parcels['K-5'].id)
            self.assertEqual(k5.cell, cell(msk, 'A-2'))
            Line.resolve([line('missing', 'K-2')], 'lost', "Не нашли")
            k2 = Parcel(parcels['K-2'].id)
            self.assertEqual((k2.state, k2.cell), ('lost', None))
            Line.resolve([line('unexpected', 'K-7')], 'found',
                "Нашлась на стеллаже B")
            k7 = Parcel(parcels['K-7'].id)
            self.assertEqual((k7.state, k7.cell), ('stored', cell(msk, 'B-1')))
            Line.resolve([line('unexpected', 'Z-1-1')], 'found',
                "Передаём в KZN1")
            Line.resolve([line('unexpected', 'NOPE-1')], 'sent_to_supplier',
                "Коробка без накладной отдана DPD")
            with self.assertRaises(InventoryResolveError):
                Line.resolve([line('missing', 'K-2')], 'found', "Ещё раз")

            inventory = Inventory(inventory.id)
            self.assertEqual(inventory.open_count, 0)
            for l in inventory.lines:
                self.assertEqual(l.state, 'resolved')
                self.assertTrue(l.resolved_at)
                self.assertEqual(l.resolved_by.id, Transaction().user)
            reasons = {
                'K-2': "Не нашли", 'K-3': "Переложили при приёмке",
                'K-4': "Отдали курьеру DPD без акта",
                'K-5': "Лежит в A-2, там и оставили",
                'K-7': "Нашлась на стеллаже B",
                }
            for number, reason in reasons.items():
                event, = Event.search([
                        ('parcel', '=', parcels[number].id),
                        ('kind', '=', 'inventory')])
                self.assertIn(reason, event.detail)
                self.assertIn(inventory.number, event.detail)
            for number in ['K-1', 'K-6']:
                self.assertFalse(Event.search([
                            ('parcel', '=', parcels[number].id),
                            ('kind', '=', 'inventory')]))

    @with_transaction()
    def test_count_of_some_cells(self):
        pool = Pool()
        Inventory = pool.get('multipoint.inventory')
        company = create_company()
        with set_company(company):
            msk, kzn, parcels = stock_point(company)
            inventory = start_inventory(msk, ['A-1'])
            self.assertEqual(inventory.expected_count, 2)
            with self.assertRaises(InventoryError):
                inventory.scan('K-1-1')  # no cell scanned yet
            with self.assertRaises(InventoryError):
                inventory.scan('A-2')  # not counted
            scan = inventory.scan('K-3-1', cell_barcode='A-1')
            self.assertEqual(scan.result, 'misplaced')
            self.assertEqual(scan.cell, cell(msk, 'A-1'))
            self.assertEqual(
                Inventory(inventory.id).scan('K-1-1').result, 'ok')

            # counts of the same cells can't run at once
            for cells in [['A-1', 'B-1'], []]:
                other, = Inventory.create([{
                            'point': msk.id,
                            'cells': [('add',
                                    [cell(msk, c).id for c in cells])],
                            }])
                with self.assertRaises(InventoryError):
                    Inventory.start([other])
                Inventory.delete([other])
            start_inventory(msk, ['B-1'])

            Inventory.complete([inventory])
            inventory = Inventory(inventory.id)
            self.assertEqual(
                sorted((l.kind, l.parcel.order_number)
                    for l in inventory.lines),
                [('misplaced', 'K-3'), ('missing', 'K-2')])
            with self.assertRaises(InventoryError):
                Inventory.delete([inventory])

    @with_transaction()
    def test_web_client_wizards(self):
        "Scan and resolve from the web client"
        pool = Pool()
        Inventory = pool.get('multipoint.inventory')
        Parcel = pool.get('multipoint.parcel')
        Event = pool.get('multipoint.parcel.event')
        ScanWizard = pool.get('multipoint.inventory.scan_places',
            type='wizard')
        ResolveWizard = pool.get('multipoint.inventory.line.resolve',
            type='wizard')
        company = create_company()
        with set_company(company):
            msk, kzn, parcels = stock_point(company)
            inventory = start_inventory(msk, ['A-1'])
            with Transaction().set_context(
                    active_model=Inventory.__name__,
                    active_id=inventory.id, active_ids=[inventory.id]):
                session_id, _, _ = ScanWizard.create()
                form = ScanWizard.execute(session_id, {}, 'start')
                self.assertIn('0', form['view']['defaults']['progress'])
                for barcode in ['A-1', 'K-1-1']:
                    result = ScanWizard.execute(session_id, {
                            'start': {'barcode': barcode}}, 'scan')
                defaults = result['view']['defaults']
                self.assertIn('K-1-1', defaults['last_result'])
                self.assertEqual(
                    defaults['current_cell'], cell(msk, 'A-1').id)
                ScanWizard.delete(session_id)
            Inventory.complete([inventory])
            line, = Inventory(inventory.id).lines  # K-2 missing
            with Transaction().set_context(
                    active_model=line.__name__,
                    active_id=line.id, active_ids=[line.id]):
                session_id, _, _ = ResolveWizard.create()
                ResolveWizard.execute(session_id, {'start': {
                            'resolution': 'sent_to_supplier',
                            'reason': "Забрал курьер поставщика"}},
                    'resolve')
                ResolveWizard.delete(session_id)
            self.assertEqual(Parcel(parcels['K-2'].id).state, 'returned')
            self.assertTrue(Event.search([
                        ('parcel', '=', parcels['K-2'].id),
                        ('kind', '=', 'inventory')]))

    @with_transaction()
    def test_scan_cost_does_not_grow_with_the_point(self):
        "A scan is a fixed number of queries, however many parcels"
        if backend.name != 'sqlite':
            self.skipTest("statements are counted with SQLite's tracer")
        pool = Pool()
        Inventory = pool.get('multipoint.inventory')
        company = create_company()
        with set_company(company):
            supplier = create_supplier("DPD", storage_days=7)
            costs = []
            for code, count in [('SMALL', 2), ('LARGE', 40)]:
                point = create_point(company, code,
                    cells=[('A-1', None, None), ('A-2', None, None)])
                parcels = [create_parcel(point, supplier, f'{code}-{i}')
                    for i in range(count)]
                accept_and_store(parcels,
                    cell_for=lambda p: cell(point, 'A-1'))
                inventory = start_inventory(point)

                def scans(parcel):
                    "misplaced, then a cell, then a duplicate"
                    Inventory(inventory.id).scan('A-2')
                    Inventory(inventory.id).scan(f'{code}-{parcel}-1')
                    Inventory(inventory.id).scan('A-1')
                    Inventory(inventory.id).scan(f'{code}-{parcel}-1')
                scans(0)  # warm the caches
                statements = []
                connection = Transaction().connection
                connection.set_trace_callback(statements.append)
                try:
                    scans(1)
                finally:
                    connection.set_trace_callback(None)
                costs.append(len(statements))
            self.assertEqual(costs[0], costs[1])
            self.assertLess(costs[0], 40)

    @with_transaction()
    def test_operators_count_only_their_points(self):
        pool = Pool()
        Inventory = pool.get('multipoint.inventory')
        company = create_company()
        with set_company(company):
            msk, kzn, parcels = stock_point(company)
            op_msk = create_user('op_msk', ['operator'], [msk], company)
            op_kzn = create_user('op_kzn', ['operator'], [kzn], company)
            accountant = create_user('acc', ['accountant'], [], company)
        with Transaction().set_user(op_msk.id), check_access(), \
                Transaction().set_context(company=company.id):
            inventory, = Inventory.create([{'point': msk.id}])
            Inventory.start([inventory])
            self.assertEqual(
                Inventory(inventory.id).scan('A-1'), None)
            self.assertEqual(
                Inventory(inventory.id).scan('K-1-1').result, 'ok')
            # a parcel of another point is reported, not revealed
            self.assertEqual(
                Inventory(inventory.id).scan('Z-1-1').result, 'unexpected')
        with Transaction().set_user(op_kzn.id), check_access():
            self.assertEqual(Inventory.search([]), [])
            with self.assertRaises(AccessError):
                Inventory.read([inventory.id], ['number'])
            with self.assertRaises(AccessError):
                Inventory(inventory.id).scan('K-2-1')
        with Transaction().set_user(accountant.id), check_access():
            self.assertEqual(Inventory.search([]), [inventory])
            with self.assertRaises(AccessError):
                Inventory(inventory.id).scan('K-2-1')
        # last: a refused create leaves its row in the transaction
        with Transaction().set_user(op_msk.id), check_access(), \
                Transaction().set_context(company=company.id):
            with self.assertRaises(UserError):
                Inventory.create([{'point': kzn.id}])


class InventoryAPITestCase(RouteTestCase):
    "Test inventories through the operator API"
    module = 'multipoint_core'
    language = 'ru'

    @classmethod
    def setUpDatabase(cls):
        company = create_company()
        with set_company(company):
            msk = create_point(company, 'MSK1')
            kzn = create_point(company, 'KZN1')
            supplier = create_supplier("DPD", storage_days=7)
            parcels = [create_parcel(msk, supplier, f'I-{i}')
                for i in range(1, 5)]
            parcels.append(create_parcel(kzn, supplier, 'J-1'))
            create_user('op_msk', ['operator'], [msk], company)
            create_user('op_kzn', ['operator'], [kzn], company)
        cls.msk, cls.kzn, cls.company = msk.id, kzn.id, company.id
        cls.parcels = [p.id for p in parcels]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        committed(cls.store_parcels)

    @classmethod
    def store_parcels(cls):
        "I-1, I-2 in A-1, I-3 in B-1, I-4 accepted; J-1 in KZN1's A-1"
        Parcel = Pool().get('multipoint.parcel')
        homes = {'I-1': 'A-1', 'I-2': 'A-1', 'I-3': 'B-1', 'J-1': 'A-1'}
        with Transaction().set_context(company=cls.company):
            i1, i2, i3, i4, j1 = Parcel.browse(cls.parcels)
            for parcels in [[i1, i2, i3], [j1]]:
                accept_and_store(parcels, cell_for=lambda p: cell(
                        p.point, homes[p.order_number]))
            accept([i4])

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
        self.assertEqual(response.json['error']['code'], code)
        self.assertTrue(response.json['error']['message'])
        return response.json['error']['message']

    def test_inventory_through_the_api(self):
        client = self.login()
        response = client.post(self.api('inventories'),
            json={'point': self.msk})
        self.assertEqual(response.status_code, 201, response.data)
        inventory = response.json
        self.assertEqual(inventory['state'], 'in_progress')
        self.assertEqual(inventory['counts']['expected'], 4)
        scans = self.api(f"inventories/{inventory['id']}/scans")

        def scan(barcode, **extra):
            response = client.post(scans, json=dict(barcode=barcode, **extra))
            self.assertEqual(response.status_code, 200, response.data)
            return response.json

        self.assertEqual(scan('I-4-1')['scan']['result'], 'ok')
        cell_scan = scan('A-1')
        self.assertIsNone(cell_scan['scan'])
        self.assertEqual(
            cell_scan['inventory']['current_cell']['barcode'], 'A-1')
        first = scan('I-1-1', client_id='tablet:1')
        self.assertEqual(first['scan']['result'], 'ok')
        again = scan('I-1-1', client_id='tablet:1')
        self.assertEqual(again['scan']['id'], first['scan']['id'])
        self.assertEqual(scan('I-1-1')['scan']['result'], 'duplicate')
        misplaced = scan('I-3-1', cell='A-2')
        self.assertEqual(misplaced['scan']['result'], 'misplaced')
        self.assertEqual(misplaced['scan']['recorded_cell'], 'B-1')
        other = scan('J-1-1')['scan']
        self.assertEqual(other['result'], 'unexpected')
        self.assertIsNone(other['parcel'])
        self.assertEqual(scan('NOPE')['scan']['result'], 'unknown')
        # junk is refused, not recorded as unknown
        for junk in ["мусор ;;; %%%", "I-1\x071", "Q" * 100]:
            self.assertError(client.post(scans, json={'barcode': junk}),
                422, 'barcode_invalid')
        message = self.assertError(client.post(scans, json={'barcode': ' '}),
            422, 'barcode_empty')
        self.assertRegex(message, '[А-Яа-яЁё]')
        self.assertError(client.post(scans,
                json={'barcode': 'I-2-1', 'cell': 'Z-9'}), 422, 'cell')
        self.assertError(client.post(scans, json={'barcode': 7}),
            422, 'bad_request')

        # the other point's operator sees nothing of it
        intruder = self.login('op_kzn')
        self.assertError(intruder.get(
                self.api(f"inventories/{inventory['id']}")), 404, 'not_found')
        self.assertError(intruder.post(scans, json={'barcode': 'I-2-1'}),
            404, 'not_found')

        response = client.post(
            self.api(f"inventories/{inventory['id']}/complete"))
        self.assertEqual(response.status_code, 200, response.data)
        done = response.json
        self.assertEqual(done['state'], 'done')
        self.assertEqual(done['counts']['missing'], 1)
        self.assertEqual(done['counts']['unresolved'], 4)
        kinds = sorted((l['kind'], l['barcode'] or l['parcel']['order_number'])
            for l in done['lines'])
        self.assertEqual(kinds, [('misplaced', 'I-3-1'), ('missing', 'I-2'),
                ('unexpected', 'J-1-1'), ('unexpected', 'NOPE')])
        self.assertError(client.post(scans, json={'barcode': 'I-2-1'}),
            422, 'inventory_closed')

        lines = {l['kind'] + (l['barcode'] or ''): l for l in done['lines']}
        missing = lines['missing']
        resolve = self.api(
            f"inventories/{inventory['id']}/lines/{missing['id']}/resolve")
        # the reason is required by the request's schema
        self.assertError(client.post(resolve, json={'resolution': 'lost'}),
            422, 'bad_request')
        # writing a parcel off is the owner's decision
        self.assertError(client.post(resolve,
                json={'resolution': 'lost', 'reason': "Не нашли"}),
            403, 'access_denied')
        response = client.post(resolve, json={'resolution': 'found',
                'reason': "Нашлась за стеллажом, вернули в A-1"})
        self.assertEqual(response.status_code, 200, response.data)
        self.assertEqual(response.json['state'], 'resolved')
        self.assertEqual(response.json['resolution'], 'found')
        self.assertEqual(response.json['parcel']['state'], 'stored')
        self.assertEqual(response.json['parcel']['cell'], 'A-1')
        self.assertError(client.post(resolve,
                json={'resolution': 'found', 'reason': "Ещё раз"}),
            422, 'inventory_resolve')
        moved = lines['misplacedI-3-1']
        response = client.post(self.api(
                f"inventories/{inventory['id']}/lines/{moved['id']}/resolve"),
            json={'resolution': 'moved', 'reason': "Переложена"})
        self.assertEqual(response.status_code, 200, response.data)
        self.assertEqual(response.json['parcel']['cell'], 'A-2')
        self.assertError(client.post(self.api(
                    f"inventories/{inventory['id']}/lines/999999/resolve"),
                json={'resolution': 'found', 'reason': "?"}),
            404, 'not_found')
        response = client.get(self.api(f"inventories/{inventory['id']}"))
        self.assertEqual(response.json['counts']['unresolved'], 2)

    def test_open_refusals(self):
        client = self.login('op_kzn')
        self.assertError(client.post(self.api('inventories'),
                json={'point': self.msk}), 422, 'bad_request')
        self.assertError(client.post(self.api('inventories'),
                json={'point': self.kzn, 'cells': ['Z-9']}), 422, 'cell')
        response = client.post(self.api('inventories'),
            json={'point': self.kzn, 'cells': ['A-1']})
        self.assertEqual(response.status_code, 201, response.data)
        self.assertEqual(response.json['cells'], ['A-1'])
        self.assertEqual(response.json['counts']['expected'], 1)
        self.assertError(client.post(self.api('inventories'),
                json={'point': self.kzn}), 422, 'inventory')


del RouteTestCase
