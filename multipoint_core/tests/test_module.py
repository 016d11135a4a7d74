import datetime as dt
from decimal import Decimal

from trytond.exceptions import UserError
from trytond.model.exceptions import (
    AccessButtonError, AccessError, SQLConstraintError)
from trytond.modules.company.tests import (
    CompanyTestMixin, create_company, set_company)
from trytond.modules.multipoint_core.exceptions import (
    BarcodeEmptyError, BarcodeInvalidError, CellError, CellFullError, EventImmutableError,
    ParcelStateError, ParcelValidationError, PlacementError, PointError,
    ReceptionClosedError, ReceptionError)
from trytond.modules.multipoint_core.placement import (
    find_cell, place_parcel, suggest_cell)
from trytond.modules.multipoint_core.tests.tools import (
    accept_and_store, cell, create_parcel, create_point, create_supplier,
    create_user)
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction, check_access


class MultipointCoreTestCase(CompanyTestMixin, ModuleTestCase):
    "Test multipoint_core module"
    module = 'multipoint_core'
    language = 'ru'

    @with_transaction()
    def test_point_gets_warehouse_and_cells(self):
        "A new point owns a warehouse whose storage holds its cells"
        Point = Pool().get('multipoint.point')
        company = create_company()
        with set_company(company):
            point = create_point(company, 'MSK1')
            self.assertEqual(point.state, 'active')
            self.assertEqual(point.warehouse.type, 'warehouse')
            self.assertEqual(
                point.storage_location.parent, point.warehouse)
            a1 = cell(point, 'A-1')
            self.assertEqual(a1.multipoint_point, point)
            self.assertEqual(a1.size_class, 'm')
            self.assertTrue(a1.fits('s'))
            self.assertFalse(a1.fits('xl'))
            # closing frees nothing and refuses deletion of an active point
            with self.assertRaises(PointError):
                Point.delete([point])

    @with_transaction()
    def test_cell_barcode_unique_within_point(self):
        Location = Pool().get('stock.location')
        company = create_company()
        with set_company(company):
            msk = create_point(company, 'MSK1')
            create_point(company, 'KZN1')  # same barcodes at another point
            rack = cell(msk, 'A-1').parent
            with self.assertRaises(SQLConstraintError):
                Location.create([{
                            'name': "dup", 'type': 'storage',
                            'storage_kind': 'cell', 'parent': rack.id,
                            'barcode': 'A-1'}])

    @with_transaction()
    def test_point_code_unique(self):
        company = create_company()
        with set_company(company):
            create_point(company, 'MSK1')
            with self.assertRaises(SQLConstraintError):
                create_point(company, 'MSK1')

    @with_transaction()
    def test_manual_parcel_entry(self):
        "Typing in an expected parcel normalises and validates it"
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        Event = pool.get('multipoint.parcel.event')
        company = create_company()
        with set_company(company):
            point = create_point(company, 'MSK1')
            shop = create_supplier("Лавка", storage_days=5,
                max_extension_days=2)
            parcel, = Parcel.create([{
                        'point': point.id, 'supplier': shop.id,
                        'order_number': 'L-1',
                        'recipient_name': "  Семёнов  Пётр ",
                        'recipient_phone': '8 (903) 555-12-34',
                        'lines': [('create', [
                                    {'name': "Чашка", 'quantity': 2,
                                        'unit_price': Decimal('350.00'),
                                        'vat_rate': '22'}])],
                        }])
            self.assertEqual(parcel.recipient_phone, '+79035551234')
            self.assertEqual(parcel.phone_last4, '1234')
            self.assertEqual(parcel.recipient_key, 'семенов петр')
            self.assertEqual(parcel.state, 'expected')
            # no box barcode given: the order number labels the only place
            self.assertEqual([p.barcode for p in parcel.places], ['L-1'])
            self.assertEqual(parcel.lines[0].amount, Decimal('700.00'))
            events = Event.search([('parcel', '=', parcel.id)])
            self.assertEqual([e.kind for e in events], ['created'])

            with self.assertRaises(ParcelValidationError):
                create_parcel(point, shop, 'L-2', recipient_phone='12-34')
            self.assertEqual(Parcel.search_count([]), 1)
            with self.assertRaises(ParcelStateError):
                Parcel.delete([parcel])
            # (a validation error makes the caller roll back the transaction)
            with self.assertRaises(UserError):
                create_parcel(point, shop, 'L-4', cod_amount=Decimal(-1))

    # A database constraint error aborts the transaction on PostgreSQL,
    # so each of these tests ends with the one it checks.
    @with_transaction()
    def test_order_number_unique_per_supplier(self):
        company = create_company()
        with set_company(company):
            point = create_point(company, 'MSK1')
            shop = create_supplier("Лавка", storage_days=5,
                max_extension_days=2)
            other = create_supplier("Другая лавка", storage_days=5,
                max_extension_days=2)
            create_parcel(point, shop, 'L-1')
            create_parcel(point, other, 'L-1', barcodes=['O-1'])
            with self.assertRaises(SQLConstraintError):
                create_parcel(point, shop, 'L-1', barcodes=['X-9'])

    @with_transaction()
    def test_place_barcode_unique_per_supplier(self):
        company = create_company()
        with set_company(company):
            point = create_point(company, 'MSK1')
            shop = create_supplier("Лавка", storage_days=5,
                max_extension_days=2)
            create_parcel(point, shop, 'L-1', barcodes=['BOX-1'])
            with self.assertRaises(SQLConstraintError):
                create_parcel(point, shop, 'L-3', barcodes=['BOX-1'])

    @with_transaction()
    def test_prepaid_parcel_has_nothing_due(self):
        company = create_company()
        with set_company(company):
            point = create_point(company, 'MSK1')
            shop = create_supplier("Лавка", storage_days=5,
                max_extension_days=2)
            parcel = create_parcel(point, shop, 'P-1', prepaid=True)
            self.assertEqual(parcel.cod_amount, Decimal('0.00'))
            self.assertEqual(parcel.amount_due, Decimal('0.00'))
            cod = create_parcel(point, shop, 'P-2')
            self.assertEqual(cod.amount_due, Decimal('1699.00'))

    @with_transaction()
    def test_terms_and_commission(self):
        "Point terms override the general ones; commissions per rule"
        pool = Pool()
        Terms = pool.get('multipoint.supplier.terms')
        company = create_company()
        with set_company(company):
            msk = create_point(company, 'MSK1')
            kzn = create_point(company, 'KZN1')
            dpd = create_supplier("DPD", storage_days=7,
                max_extension_days=7, commission_rule='percent',
                commission_percent=Decimal('2.5'))
            Terms.create([{'supplier': dpd.id, 'point': kzn.id,
                        'storage_days': 3, 'max_extension_days': 0,
                        'commission_rule': 'tiers',
                        'commission_tiers': [('create', [
                                    {'from_amount': Decimal(0),
                                        'amount': Decimal('30')},
                                    {'from_amount': Decimal('5000'),
                                        'amount': Decimal('60')}])]}])
            terms = Terms.for_parcels([(dpd.id, msk.id), (dpd.id, kzn.id)])
            self.assertEqual(terms[(dpd.id, msk.id)].storage_days, 7)
            self.assertEqual(terms[(dpd.id, kzn.id)].storage_days, 3)
            self.assertEqual(
                terms[(dpd.id, msk.id)].commission(Decimal('1000')),
                Decimal('25.00'))
            kzn_terms = terms[(dpd.id, kzn.id)]
            self.assertEqual(kzn_terms.commission(Decimal('100')),
                Decimal('30'))
            self.assertEqual(kzn_terms.commission(Decimal('7000')),
                Decimal('60'))
            with self.assertRaises(UserError):
                Terms.create([{'supplier': dpd.id, 'point': msk.id,
                            'storage_days': 1, 'max_extension_days': 0,
                            'commission_percent': Decimal(120)}])
            with self.assertRaises(SQLConstraintError):
                Terms.create([{'supplier': dpd.id, 'point': kzn.id,
                            'storage_days': 1, 'max_extension_days': 0}])

    @with_transaction()
    def test_reception_with_discrepancies(self):
        """A courier brings part of the manifest, a surplus box, a box for
        another point, a damaged box; a place is scanned twice"""
        pool = Pool()
        Reception = pool.get('multipoint.reception')
        Parcel = pool.get('multipoint.parcel')
        Event = pool.get('multipoint.parcel.event')
        Attachment = pool.get('ir.attachment')
        Act = pool.get('multipoint.reception.act', type='report')
        Scan = pool.get('multipoint.reception.scan')
        company = create_company()
        with set_company(company):
            msk = create_point(company, 'MSK1')
            nsk = create_point(company, 'NSK1', timezone='Asia/Novosibirsk')
            dpd = create_supplier("DPD", storage_days=7,
                max_extension_days=7)
            hermes = create_supplier("Hermes", storage_days=3,
                max_extension_days=0)
            full = create_parcel(msk, dpd, 'D-1', ['D-1-1', 'D-1-2'],
                manifest='M-77')
            partial = create_parcel(msk, dpd, 'D-2', ['D-2-1', 'D-2-2'],
                manifest='M-77')
            absent = create_parcel(msk, dpd, 'D-3', ['D-3-1'],
                manifest='M-77')
            other_supplier = create_parcel(msk, hermes, 'H-1', ['H-1-1'])
            elsewhere = create_parcel(nsk, dpd, 'D-4', ['D-4-1'])

            reception, = Reception.create([{
                        'point': msk.id, 'manifest': 'M-77',
                        'suppliers': [('add', [dpd.id])],
                        'courier_name': "Петров", 'vehicle': "А123ВС"}])
            self.assertTrue(reception.number)
            self.assertEqual(reception.expected_count, 5)

            results = [reception.scan(b).result
                for b in ['D-1-1', 'D-1-2', 'D-2-1', 'D-1-1']]
            self.assertEqual(results,
                ['accepted', 'accepted', 'accepted', 'duplicate'])
            self.assertEqual(reception.scan('H-1-1').result, 'other_supplier')
            surplus = reception.scan('NO-SUCH-BOX')
            self.assertEqual(surplus.result, 'surplus')
            misrouted = reception.scan('D-4-1')
            self.assertEqual(misrouted.result, 'surplus')
            self.assertIn('NSK1', misrouted.detail)
            damaged = reception.scan('D-2-2-X', damaged=True)
            self.assertEqual(damaged.result, 'surplus')
            # a client retry of the same scan is not recorded twice
            first = reception.scan('D-3-1', damaged=True, note="мокрая",
                photo=b'\xff\xd8jpeg', client_id='dev1-42')
            again = reception.scan('D-3-1', client_id='dev1-42')
            self.assertEqual(first.id, again.id)
            self.assertEqual(Attachment.search_count(
                    [('resource', '=', str(first))]), 1)

            reception = Reception(reception.id)
            self.assertEqual(reception.scanned_count, 5)
            self.assertEqual(reception.surplus_count, 3)
            self.assertEqual(reception.damaged_count, 2)
            with self.assertRaises(BarcodeEmptyError):
                reception.scan('  ')
            # what cannot be a label is refused and nothing is recorded
            scans = Scan.search_count([('reception', '=', reception.id)])
            for junk in ["мусор ;;; %%%", "D-1\x001", "D\x1d1-1",
                    "7" * 200]:
                with self.assertRaises(BarcodeInvalidError):
                    reception.scan(junk)
            self.assertEqual(
                Scan.search_count([('reception', '=', reception.id)]), scans)
            self.assertEqual(reception.scan('ZZ-UNKNOWN-0001').result,
                'surplus')

            Reception.close([reception])
            self.assertEqual(reception.state, 'closed')
            for parcel in [full, partial, absent, other_supplier]:
                parcel = Parcel(parcel.id)
                self.assertEqual(parcel.state, 'accepted')
                self.assertEqual(parcel.reception, reception)
            self.assertEqual(Parcel(elsewhere.id).state, 'expected')
            partial = Parcel(partial.id)
            self.assertTrue(partial.incomplete)
            self.assertEqual(
                {p.barcode: p.state for p in partial.places},
                {'D-2-1': 'received', 'D-2-2': 'missing'})
            self.assertTrue(Parcel(absent.id).places[0].damaged)
            # deadline = arrival date at the point + the supplier's days
            full = Parcel(full.id)
            self.assertEqual(full.storage_deadline,
                msk.local_date(full.arrival_date) + dt.timedelta(days=7))
            self.assertEqual(Parcel(other_supplier.id).storage_deadline,
                msk.local_date(full.arrival_date) + dt.timedelta(days=3))
            missing = [s.barcode for s in reception.scans
                if s.result == 'missing']
            self.assertEqual(missing, ['D-2-2'])
            kinds = [(e.kind, e.to_state) for e in Event.search(
                    [('parcel', '=', partial.id)], order=[('id', 'ASC')])]
            self.assertEqual(kinds, [('created', 'expected'),
                    ('scan', None), ('missing', None),
                    ('state', 'accepted')])

            with self.assertRaises(ReceptionClosedError):
                reception.scan('D-2-2')
            self.assertEqual(Parcel(partial.id).places[1].state, 'missing')

            ext, content, _, name = Act.execute([reception.id], {})
            self.assertEqual(ext, 'pdf')
            self.assertTrue(content.startswith(b'%PDF'))

    @with_transaction()
    def test_reception_close_and_cancel_rules(self):
        Reception = Pool().get('multipoint.reception')
        company = create_company()
        with set_company(company):
            point = create_point(company, 'MSK1')
            dpd = create_supplier("DPD", storage_days=7,
                max_extension_days=7)
            create_parcel(point, dpd, 'D-1')
            empty, scanned = Reception.create([
                    {'point': point.id}, {'point': point.id}])
            with self.assertRaises(ReceptionError):
                Reception.close([empty])
            Reception.cancel([empty])
            self.assertEqual(empty.state, 'cancelled')
            scanned.scan('D-1-1')
            with self.assertRaises(ReceptionError):
                Reception.cancel([scanned])
            Point = Pool().get('multipoint.point')
            Point.close([point])
            with self.assertRaises(UserError):
                # receptions are opened only at active points
                Reception.create([{'point': point.id}])

    @with_transaction()
    def test_placement(self):
        """Suggest a cell next to the recipient's other parcels; refuse a
        full, too small or foreign cell; record moves"""
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        Event = pool.get('multipoint.parcel.event')
        Reception = pool.get('multipoint.reception')
        company = create_company()
        with set_company(company):
            msk = create_point(company, 'MSK1')
            kzn = create_point(company, 'KZN1')
            cdek = create_supplier("СДЭК", storage_days=7,
                max_extension_days=7)
            first = create_parcel(msk, cdek, 'C-1', size_class='s')
            second = create_parcel(msk, cdek, 'C-2', size_class='s')
            third = create_parcel(msk, cdek, 'C-3', size_class='s',
                recipient_phone='+79990001122', recipient_name="Другой")
            big = create_parcel(msk, cdek, 'C-4', size_class='xl',
                recipient_phone='+79990001133', recipient_name="Третий")
            reception, = Reception.create([{'point': msk.id}])
            for b in ['C-1-1', 'C-2-1', 'C-3-1', 'C-4-1']:
                reception.scan(b)
            Reception.close([reception])

            # smallest fitting cell first
            self.assertEqual(suggest_cell(Parcel(first.id)).barcode, 'A-2')
            place_parcel(Parcel(first.id), cell(msk, 'B-1'))
            # the same recipient's parcels go together
            self.assertEqual(suggest_cell(Parcel(second.id)).barcode, 'B-1')
            place_parcel(Parcel(second.id), cell(msk, 'A-2'))
            place_parcel(Parcel(third.id), cell(msk, 'A-2'))
            with self.assertRaises(CellFullError):
                place_parcel(Parcel(first.id), cell(msk, 'A-2'))
            with self.assertRaises(CellError):
                place_parcel(Parcel(big.id), cell(msk, 'A-1'))
            self.assertIsNone(suggest_cell(Parcel(big.id)))
            with self.assertRaises(CellError):
                place_parcel(Parcel(big.id), cell(kzn, 'B-1'))
            with self.assertRaises(CellError):
                find_cell(msk, 'Z-404')
            with self.assertRaises(PlacementError):
                place_parcel(Parcel(first.id), cell(msk, 'B-1'))
            self.assertEqual(Parcel(big.id).state, 'accepted')

            place_parcel(Parcel(first.id), cell(msk, 'A-1'))
            first = Parcel(first.id)
            self.assertEqual((first.state, first.cell.barcode),
                ('stored', 'A-1'))
            kinds = [(e.kind, e.cell.barcode if e.cell else None)
                for e in Event.search([('parcel', '=', first.id)],
                    order=[('id', 'ASC')])]
            self.assertEqual(kinds[-2:], [('state', 'B-1'), ('move', 'A-1')])
            self.assertEqual(cell(msk, 'A-2').parcel_count, 2)

            expected = create_parcel(msk, cdek, 'C-5')
            with self.assertRaises(PlacementError):
                place_parcel(expected, cell(msk, 'B-1'))

    @with_transaction()
    def test_event_journal_is_append_only(self):
        pool = Pool()
        Event = pool.get('multipoint.parcel.event')
        company = create_company()
        with set_company(company):
            point = create_point(company, 'MSK1')
            shop = create_supplier("Лавка", storage_days=5,
                max_extension_days=2)
            create_parcel(point, shop, 'L-1')
            event, = Event.search([])
            operator = create_user('op', ['operator'], [point], company)
            with Transaction().set_user(operator.id):
                with self.assertRaises(EventImmutableError):
                    Event.write([event], {'detail': "подчистка"})
                with self.assertRaises(EventImmutableError):
                    Event.delete([event])
            self.assertEqual(Event.search_count([]), 1)

    @with_transaction()
    def test_parcel_workflow_records_every_transition(self):
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        Event = pool.get('multipoint.parcel.event')
        company = create_company()
        with set_company(company):
            point = create_point(company, 'MSK1')
            shop = create_supplier("Лавка", storage_days=5,
                max_extension_days=2)
            kept, lost, returned, cancelled = [
                create_parcel(point, shop, f'W-{i}') for i in range(4)]
            accept_and_store([kept, lost, returned])
            Parcel.cancel([cancelled])
            Parcel.refuse([Parcel(returned.id)])
            Parcel.to_return([Parcel(returned.id)])
            Parcel.return_([Parcel(returned.id)])
            Parcel.mark_lost([Parcel(lost.id)])
            Parcel.found([Parcel(lost.id)])
            Parcel.issue([Parcel(kept.id)])
            self.assertEqual(
                [Parcel(p.id).state for p in
                    [kept, lost, returned, cancelled]],
                ['issued', 'accepted', 'returned', 'cancelled'])
            self.assertIsNone(Parcel(kept.id).cell)
            chain = [(e.from_state, e.to_state) for e in Event.search([
                        ('parcel', '=', returned.id), ('kind', '=', 'state')],
                    order=[('id', 'ASC')])]
            self.assertEqual(chain, [('expected', 'accepted'),
                    ('accepted', 'stored'), ('stored', 'refused'),
                    ('refused', 'to_return'), ('to_return', 'returned')])
            # a transition from a wrong state is ignored, not recorded
            before = Event.search_count([])
            Parcel.issue([Parcel(cancelled.id)])
            self.assertEqual(Parcel(cancelled.id).state, 'cancelled')
            self.assertEqual(Event.search_count([]), before)

    @with_transaction()
    def test_cell_labels_pdf(self):
        pool = Pool()
        Labels = pool.get('multipoint.cell.labels', type='report')
        company = create_company()
        with set_company(company):
            point = create_point(company, 'MSK1')
            cells = [cell(point, b) for b in ['A-1', 'A-2', 'B-1']]
            ext, content, _, _ = Labels.execute([c.id for c in cells], {})
            self.assertEqual(ext, 'pdf')
            self.assertTrue(content.startswith(b'%PDF'))
            self.assertGreater(len(content), 2000)

    @with_transaction()
    def test_operator_sees_only_own_points(self):
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        Place = pool.get('multipoint.parcel.place')
        Point = pool.get('multipoint.point')
        Reception = pool.get('multipoint.reception')
        Location = pool.get('stock.location')
        Event = pool.get('multipoint.parcel.event')
        company = create_company()
        with set_company(company):
            msk = create_point(company, 'MSK1')
            kzn = create_point(company, 'KZN1')
            dpd = create_supplier("DPD", storage_days=7,
                max_extension_days=7)
            mine = create_parcel(msk, dpd, 'D-1')
            theirs = create_parcel(kzn, dpd, 'D-2')
            their_reception, = Reception.create([{'point': kzn.id}])
            operator = create_user('op', ['operator'], [msk], company)
            with Transaction().set_user(operator.id), \
                    Transaction().set_context(company=company.id), \
                    check_access():
                self.assertEqual(Parcel.search([]), [mine])
                self.assertEqual(Point.search([]), [msk])
                self.assertEqual(
                    [p.barcode for p in Place.search([])], ['D-1-1'])
                self.assertEqual(
                    {e.parcel for e in Event.search([])}, {mine})
                with self.assertRaises(AccessError):
                    Parcel.read([theirs.id], ['recipient_name'])
                with self.assertRaises(AccessError):
                    Parcel.write([Parcel(theirs.id)],
                        {'recipient_name': "X"})
                with self.assertRaises(AccessError):
                    Reception.read([their_reception.id], ['number'])
                self.assertEqual(Reception.search([]), [])
                cells = Location.search([('storage_kind', '=', 'cell')])
                self.assertEqual({c.multipoint_point for c in cells}, {msk})
                with self.assertRaises(AccessError):
                    Reception.create([{'point': kzn.id}])
                # the operator does their own work
                reception, = Reception.create([{'point': msk.id}])
                self.assertEqual(reception.scan('D-1-1').result, 'accepted')
                # a barcode of another point is invisible, hence surplus
                self.assertEqual(reception.scan('D-2-1').result, 'surplus')
                Reception.close([reception])
                place_parcel(Parcel(mine.id), cell(msk, 'A-1'))
                with self.assertRaises(AccessButtonError):
                    Parcel.mark_lost([Parcel(mine.id)])
                with self.assertRaises(AccessError):
                    Point.write([msk], {'name': "Мой пункт"})
            self.assertEqual(Parcel(mine.id).state, 'stored')

    @with_transaction()
    def test_roles_denials(self):
        "Accountants read but do not change; staff managers see no parcels"
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        Terms = pool.get('multipoint.supplier.terms')
        Point = pool.get('multipoint.point')
        company = create_company()
        with set_company(company):
            msk = create_point(company, 'MSK1')
            kzn = create_point(company, 'KZN1')
            dpd = create_supplier("DPD", storage_days=7,
                max_extension_days=7)
            parcels = [create_parcel(msk, dpd, 'D-1'),
                create_parcel(kzn, dpd, 'D-2')]
            accountant = create_user('acc', ['accountant'], [], company)
            manager = create_user('hr', ['staff_manager'], [], company)
            owner = create_user('boss', ['owner'], [], company)
            nobody = create_user('nobody', [], [], company)
            context = {'company': company.id}
            with Transaction().set_user(accountant.id), \
                    Transaction().set_context(context), check_access():
                self.assertEqual(len(Parcel.search([])), 2)
                with self.assertRaises(AccessError):
                    Parcel.write(parcels, {'recipient_name': "X"})
                with self.assertRaises(AccessError):
                    Terms.create([{'supplier': dpd.id, 'point': msk.id,
                                'storage_days': 1, 'max_extension_days': 0}])
            with Transaction().set_user(manager.id), \
                    Transaction().set_context(context), check_access():
                with self.assertRaises(AccessError):
                    Parcel.search([])
                self.assertEqual(len(Point.search([])), 2)
            with Transaction().set_user(nobody.id), \
                    Transaction().set_context(context), check_access():
                with self.assertRaises(AccessError):
                    Parcel.search([])
                with self.assertRaises(AccessError):
                    Point.search([])
            with Transaction().set_user(owner.id), \
                    Transaction().set_context(context), check_access():
                self.assertEqual(len(Parcel.search([])), 2)
                Point.close([kzn])
                self.assertEqual(kzn.state, 'closed')


del ModuleTestCase
