"Search and issue to the recipient"
import datetime as dt
from decimal import Decimal

from trytond.modules.company.tests import create_company, set_company
from trytond.modules.multipoint_core.exceptions import IssueError
from trytond.modules.multipoint_core.search import find_for_issue
from trytond.modules.multipoint_core.tests.tools import (
    DBTestCase, accept_and_store, create_parcel, create_point,
    create_supplier)
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction


def waiting_parcels(point):
    "Two suppliers' parcels for one recipient and one for another"
    hermes = create_supplier("Hermes", storage_days=7,
        max_extension_days=7, partial_buyout=True)
    boxberry = create_supplier("Boxberry", storage_days=5,
        max_extension_days=0, id_check_replaces_code=True,
        signature_required=True)
    shoes = create_parcel(point, hermes, 'H-100', ['H-100-1'], prepaid=True,
        recipient_name="Фёдорова Алёна", recipient_phone='+79161234567',
        lines=[('create', [
                    {'name': "Туфли", 'quantity': 1,
                        'unit_price': Decimal('3000'), 'refusable': True},
                    {'name': "Сумка", 'quantity': 1,
                        'unit_price': Decimal('1500'), 'refusable': True},
                    ])])
    book = create_parcel(point, boxberry, 'B-200', ['B-200-1'],
        prepaid=True, recipient_name="Федорова Алена Игоревна",
        recipient_phone='+7 916 123-45-67',
        lines=[('create', [{'name': "Книга", 'quantity': 2,
                        'unit_price': Decimal('500'), 'refusable': True}])])
    other = create_parcel(point, hermes, 'H-300', ['H-300-1'],
        recipient_name="Петров Пётр", recipient_phone='+79035550000')
    accept_and_store([shoes, book, other])
    Parcel = Pool().get('multipoint.parcel')
    return Parcel.browse([shoes, book, other])


class IssueTestCase(DBTestCase):
    "Test search and issue"
    module = 'multipoint_core'

    @with_transaction()
    def test_search_keys_and_recipient_group(self):
        company = create_company()
        with set_company(company):
            point = create_point(company, 'MSK1')
            elsewhere = create_point(company, 'KZN1')
            shoes, book, other = waiting_parcels(point)
            codes = Pool().get('multipoint.parcel').generate_codes([book])
            for query in ['H-100-1', 'H-100', '4567', 'федорова',
                    'ФЁДОРОВА АЛЁ', codes[book]]:
                matched, group = find_for_issue(query, point)
                self.assertTrue(matched, query)
                self.assertEqual(set(group), {shoes, book}, query)
            self.assertEqual(find_for_issue('0000', point)[0], [other])
            self.assertEqual(find_for_issue('нет такого', point), ([], []))
            self.assertEqual(find_for_issue('H-100-1', elsewhere), ([], []))

    @with_transaction()
    def test_codes_are_hashed_and_locked_after_wrong_attempts(self):
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        Event = pool.get('multipoint.parcel.event')
        company = create_company()
        with set_company(company):
            point = create_point(company, 'MSK1')
            shoes, book, other = waiting_parcels(point)
            # acceptance gave every parcel a code, stored only as a hash
            self.assertTrue(all(p.issue_code_hash for p in [shoes, book]))
            code = Parcel.generate_codes([book])[book]
            self.assertEqual(len(code), 6)
            self.assertNotIn(code, Parcel(book.id).issue_code_hash)
            wrong = '000000' if code != '000000' else '111111'
            for attempt in range(4):
                self.assertIn(book, Parcel.check_codes({book: wrong}))
            self.assertFalse(Event.search([('kind', '=', 'code_locked')]))
            Parcel.check_codes({book: wrong})  # the fifth
            book = Parcel(book.id)
            self.assertGreater(book.code_locked_until, dt.datetime.utcnow())
            self.assertEqual(len(Event.search([
                            ('parcel', '=', book.id),
                            ('kind', '=', 'code_locked')])), 1)
            # even the right code is refused while locked
            self.assertIn(book, Parcel.check_codes({book: code}))
            book.code_locked_until = (
                dt.datetime.utcnow() - dt.timedelta(seconds=1))
            book.save()
            self.assertEqual(Parcel.check_codes({book: code}), {})

    @with_transaction()
    def test_issue_with_code_and_service_time(self):
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        Event = pool.get('multipoint.parcel.event')
        company = create_company()
        with set_company(company):
            point = create_point(company, 'MSK1')
            shoes, book, other = waiting_parcels(point)
            code = Parcel.generate_codes([shoes])[shoes]
            Event.log([shoes], 'search')
            with self.assertRaises(IssueError):
                Parcel.issue_to_recipient([shoes], point,
                    {shoes: ('code', 'nope')})
            Parcel.issue_to_recipient([shoes], point,
                {shoes: ('code', code)})
            shoes = Parcel(shoes.id)
            self.assertEqual(shoes.state, 'issued')
            self.assertIsNone(shoes.cell)
            self.assertEqual(shoes.verification, 'code')
            service, = Event.search([
                    ('parcel', '=', shoes.id), ('kind', '=', 'service')])
            self.assertIsNotNone(service.duration)
            # a second issue of the same parcel is refused
            with self.assertRaises(IssueError):
                Parcel.issue_to_recipient([shoes], point,
                    {shoes: ('code', code)})
            # a COD parcel needs the payment of the workplace module
            cod_code = Parcel.generate_codes([other])[other]
            with self.assertRaises(IssueError):
                Parcel.issue_to_recipient([other], point,
                    {other: ('code', cod_code)})
            self.assertEqual(Parcel(other.id).state, 'stored')

    @with_transaction()
    def test_id_check_and_signature_rules(self):
        Parcel = Pool().get('multipoint.parcel')
        company = create_company()
        with set_company(company):
            point = create_point(company, 'MSK1')
            shoes, book, other = waiting_parcels(point)
            # Hermes does not accept a document instead of the code
            with self.assertRaises(IssueError):
                Parcel.issue_to_recipient([shoes], point,
                    {shoes: ('id_check', "паспорт 4510 ****12")})
            # Boxberry does, but wants a signature and a document number
            with self.assertRaises(IssueError):
                Parcel.issue_to_recipient([book], point,
                    {book: ('id_check', "паспорт 4510 ****12")})
            with self.assertRaises(IssueError):
                Parcel.issue_to_recipient([book], point,
                    {book: ('proxy', "  ")}, signature=True)
            Parcel.issue_to_recipient([book], point,
                {book: ('proxy', "доверенность №17 от 01.11.2026")},
                signature=True)
            self.assertEqual(Parcel(book.id).verification, 'proxy')

    @with_transaction()
    def test_partial_buyout(self):
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        Event = pool.get('multipoint.parcel.event')
        company = create_company()
        with set_company(company):
            point = create_point(company, 'MSK1')
            shoes, book, other = waiting_parcels(point)
            codes = Parcel.generate_codes([shoes, book])
            bag = [l for l in shoes.lines if l.name == "Сумка"][0]
            everything = {l: l.quantity for l in shoes.lines}
            with self.assertRaises(IssueError):
                Parcel.issue_to_recipient([shoes], point,
                    {shoes: ('code', codes[shoes])}, refused=everything)
            with self.assertRaises(IssueError):
                Parcel.issue_to_recipient([shoes], point,
                    {shoes: ('code', codes[shoes])}, refused={bag: 2})
            # Boxberry's terms don't allow partial buyout
            with self.assertRaises(IssueError):
                Parcel.issue_to_recipient([book], point,
                    {book: ('code', codes[book])},
                    refused={book.lines[0]: 1}, signature=True)
            Parcel.issue_to_recipient([shoes], point,
                {shoes: ('code', codes[shoes])}, refused={bag: 1})
            shoes = Parcel(shoes.id)
            self.assertEqual(shoes.state, 'partially_issued')
            self.assertEqual(
                {l.name: l.refused_quantity for l in shoes.lines},
                {"Туфли": 0, "Сумка": 1})
            self.assertTrue(Event.search([('parcel', '=', shoes.id),
                        ('to_state', '=', 'partially_issued')]))

    @with_transaction()
    def test_issue_several_parcels_at_once(self):
        Parcel = Pool().get('multipoint.parcel')
        company = create_company()
        with set_company(company):
            point = create_point(company, 'MSK1')
            shoes, book, other = waiting_parcels(point)
            codes = Parcel.generate_codes([shoes, book])
            Parcel.issue_to_recipient([shoes, book], point, {
                    shoes: ('code', codes[shoes]),
                    book: ('code', codes[book])}, signature=True)
            self.assertEqual([Parcel(p.id).state for p in [shoes, book]],
                ['issued', 'issued'])
