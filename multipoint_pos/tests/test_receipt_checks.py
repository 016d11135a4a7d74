"""Receipts refused before printing (supplier's card, agent attribute, VAT
rate in force), the 22 % and 22/122 rates, and the owner's correction
receipts: the real ORM with access checks and the ATOL driver against the
local ATOL Web Server"""
import datetime as dt
from decimal import Decimal

from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.multipoint_core.tests.tools import (
    DBTestCase, create_point, create_user)
from trytond.modules.multipoint_pos.receipt import ReceiptError
from trytond.modules.multipoint_pos.tests.devices import AtolServer
from trytond.modules.multipoint_pos.tests.pos_tools import settings
from trytond.modules.multipoint_pos.vat import in_force, rates_in_force
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction, check_access

RU = {'language': 'ru'}
INN = '7707083893'


class ReceiptChecksTestCase(DBTestCase):
    "Test the checks before printing and the correction receipts"
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

    def fiscal(self):
        return settings('multipoint_fiscal', driver='atol',
            url=self.atol.url, timeout=1, request_timeout=0.5,
            poll_interval=0.02)

    def setup_point(self, company):
        Party = Pool().get('party.party')
        point = create_point(company, 'MSK1', timezone='Europe/Moscow')
        supplier, = Party.create([{
                    'name': "ООО «Лавка»",
                    'identifiers': [('create', [{
                                    'type': 'ru_vat', 'code': INN}])],
                    'contact_mechanisms': [('create', [{
                                    'type': 'phone',
                                    'value': '+74951234567'}])],
                    }])
        cashier = create_user('kassir', ['operator'], [point], company)
        return point, supplier, cashier

    def receipt(self, point, supplier, cashier, rates=('22',), **kwargs):
        Receipt = Pool().get('multipoint.receipt')
        lines = [{'name': f"Товар {i}", 'quantity': Decimal(1),
                'unit_price': Decimal('1220.00'), 'vat_rate': rate}
            for i, rate in enumerate(rates, 1)]
        total = Decimal('1220.00') * len(rates)
        return Receipt.create_for_sale(point, supplier, lines,
            [('cash', total)], cashier, **kwargs)

    def assert_refused(self, call, *words):
        "Refused with a message holding words; the register got nothing"
        with self.assertRaises(ReceiptError) as cm:
            call()
        for word in words:
            self.assertIn(word, cm.exception.message)
        self.assertEqual(self.atol.posts, [])
        return cm.exception.message

    # --- the rates in force ------------------------------------------------
    def test_rate_periods(self):
        "20 % until 31.12.2025, 22 % from 01.01.2026; others have no limit"
        new_year = dt.date(2026, 1, 1)
        eve = dt.date(2025, 12, 31)
        for rate in ('20', '20/120'):
            self.assertTrue(in_force(rate, eve))
            self.assertFalse(in_force(rate, new_year))
        for rate in ('22', '22/122'):
            self.assertFalse(in_force(rate, eve))
            self.assertTrue(in_force(rate, new_year))
        for rate in ('none', '0', '10', '10/110', '5', '7/107'):
            self.assertTrue(in_force(rate, eve) and in_force(rate, new_year))
        self.assertEqual(rates_in_force(new_year), ['22 %', '22/122'])

    # --- refusals -----------------------------------------------------------
    @with_transaction(context=RU)
    def test_refused_before_printing(self):
        """A receipt the register must not get is refused when it is made
        (the money is not taken) and when it is sent (it stays a draft);
        fixed in the supplier's card, it is printed"""
        pool = Pool()
        Receipt = pool.get('multipoint.receipt')
        Identifier = pool.get('party.identifier')
        Contact = pool.get('party.contact_mechanism')
        company = create_company()
        with set_company(company), self.fiscal():
            point, supplier, cashier = self.setup_point(company)
            made = lambda **kw: self.receipt(  # noqa: E731
                point, supplier, cashier, **kw)
            message = self.assert_refused(
                lambda: made(rates=('22', '20')), "Товар 2", "20 %",
                "22 %, 22/122", "ООО «Лавка»")
            self.assertTrue(message.startswith("Чек нельзя напечатать"))
            self.assert_refused(lambda: made(rates=('20/120',)), "20/120")

            # a draft made when the card was right, its data then lost in
            # both the draft and the card
            draft = made()
            identifier, = supplier.identifiers
            phone, = supplier.contact_mechanisms
            Identifier.delete([identifier])
            Receipt.write([draft], {'supplier_inn': None})
            self.assert_refused(lambda: Receipt.send([draft]),
                "нет ИНН", "(тег 1226)", "карточке поставщика")
            self.assertEqual((draft.state, draft.attempts), ('draft', 0))
            Receipt.write([draft], {'supplier_inn': '7707083894'})
            self.assert_refused(lambda: Receipt.send([draft]),
                "ИНН «7707083894»", "неверен")
            Contact.delete([phone])
            Receipt.write([draft], {'supplier_phone': None})
            Identifier.create([{'party': supplier.id, 'type': 'ru_vat',
                        'code': INN}])
            self.assert_refused(lambda: Receipt.send([draft]),
                "нет телефона", "(тег 1171)")
            self.assertEqual(Receipt(draft.id).state, 'draft')

            # fixed in the card: the draft takes the card's data and prints
            Contact.create([{'party': supplier.id, 'type': 'phone',
                        'value': '8 (495) 765-43-21'}])
            Receipt.send([draft])
            self.assertEqual(draft.state, 'done')
            supplier_info = self.atol.posts[0]['request'][0]['items'][0][
                'supplierInfo']
            self.assertEqual(supplier_info['vatin'], INN)
            self.assertEqual(supplier_info['phones'], ['+74957654321'])

    @with_transaction(context=RU)
    def test_agent_attribute_required(self):
        "An agent receipt's item without the agent attribute is refused"
        Receipt = Pool().get('multipoint.receipt')
        company = create_company()
        with set_company(company), self.fiscal():
            point, supplier, cashier = self.setup_point(company)
            self.assert_refused(lambda: Receipt.create_for_sale(point,
                    supplier, [{'name': "Кроссовки", 'quantity': 1,
                            'unit_price': Decimal('100.00'),
                            'vat_rate': '22', 'agent_type': None}],
                    [('cash', Decimal('100.00'))], cashier),
                "«Кроссовки»", "нет признака агента", "1222")

    @with_transaction(context=RU)
    def test_refund_at_rate_of_original(self):
        """A refund takes the rate of its sale's day at the point: a sale
        of 31.12.2025 at 23:30 in Moscow is refunded at 20 %, one of 00:30
        on 01.01.2026 is not"""
        Receipt = Pool().get('multipoint.receipt')
        company = create_company()
        with set_company(company), self.fiscal():
            point, supplier, cashier = self.setup_point(company)
            original = self.receipt(point, supplier, cashier)
            line = [{'name': "Товар", 'quantity': 1,
                    'unit_price': Decimal('1200.00'), 'vat_rate': '20'}]
            pay = [('cash', Decimal('1200.00'))]
            Receipt.write([original], {'state': 'done',
                    'fiscal_date': dt.datetime(2025, 12, 31, 20, 30)})
            refund = Receipt.create_refund(original, line, pay, cashier)
            self.assertEqual(refund.settlement_date(), dt.date(2025, 12, 31))
            Receipt.write([original], {
                    'fiscal_date': dt.datetime(2025, 12, 31, 21, 30)})
            self.assert_refused(
                lambda: Receipt.create_refund(original, line, pay, cashier),
                "01.01.2026")

    # --- the 22 % and 22/122 rates at the register --------------------------
    @with_transaction(context=RU)
    def test_vat_22_and_122(self):
        "22 % and the calculated 22/122 go to ATOL as vat22 and vat122"
        Receipt = Pool().get('multipoint.receipt')
        company = create_company()
        with set_company(company), self.fiscal():
            point, supplier, cashier = self.setup_point(company)
            receipt = self.receipt(point, supplier, cashier,
                rates=('22', '22/122'))
            # 1220 x 22 / 122 = 220.00 each
            self.assertEqual(receipt.total_vat, Decimal('440.00'))
            self.assertEqual([l.vat_amount for l in receipt.lines],
                [Decimal('220.00')] * 2)
            Receipt.send([receipt])
            self.assertEqual(receipt.state, 'done')
            task, = self.atol.posts[0]['request']
            self.assertEqual([i['tax'] for i in task['items']],
                [{'type': 'vat22'}, {'type': 'vat122'}])
            self.assertEqual(task['total'], 2440.0)

    # --- correction receipts ------------------------------------------------
    def correct(self, receipt, **values):
        "Run the correction wizard on receipt; the correction it made"
        pool = Pool()
        Correct = pool.get('multipoint.receipt.correct', type='wizard')
        Receipt = pool.get('multipoint.receipt')
        session_id, _, _ = Correct.create()
        with Transaction().set_context(active_model='multipoint.receipt',
                active_id=receipt.id, active_ids=[receipt.id]):
            start = Correct(session_id).default_start(None)
            start.update(values)
            result = Correct.execute(session_id, {'start': start}, 'correct')
        action, = result['actions']
        # the newest correction (a refused one stays in this transaction)
        correction = Receipt.search([
                ('kind', 'in', ['correction', 'correction_refund']),
                ], order=[('id', 'DESC')], limit=1)[0]
        self.assertIn(str(correction.id), action[0]['pyson_domain'])
        return correction

    @with_transaction(context=RU)
    def test_correction_missed_receipt(self):
        """The owner corrects a receipt that never printed: a correction of
        its items, with the reason, through the same driver"""
        pool = Pool()
        Receipt = pool.get('multipoint.receipt')
        company = create_company()
        with set_company(company), self.fiscal():
            point, supplier, cashier = self.setup_point(company)
            owner = create_user('owner', ['owner'], [], company)
            missed = self.receipt(point, supplier, cashier)
            Receipt.write([missed], {'state': 'failed'})
            with Transaction().set_user(owner.id), check_access():
                with self.assertRaises(UserError):
                    # the reason is required
                    self.correct(missed, correction_type='instruction',
                        base_number='12/345', reason=None)
                correction = self.correct(missed,
                    correction_type='instruction', base_number='12/345',
                    reason="Касса не работала, чек не пробит")
                self.assertEqual(
                    (correction.kind, correction.correction_reason,
                        Receipt(missed.id).state),
                    ('correction', "Касса не работала, чек не пробит",
                        'cancelled'))
                Receipt.send([correction])
                self.assertEqual(correction.state, 'done')
            task, = self.atol.posts[0]['request']
            self.assertEqual(
                (task['type'], task['correctionType'],
                    task['correctionBaseDate'],
                    task['correctionBaseNumber']),
                ('sellCorrection', 'instruction',
                    point.local_date(missed.create_date).strftime('%Y.%m.%d'),
                    '12/345'))
            self.assertEqual(task['items'][0]['agentInfo'],
                {'agents': ['payingAgent']})
            self.assertEqual(task['total'], 1220.0)

    @with_transaction(context=RU)
    def test_correction_wrong_receipt(self):
        """A wrong fiscalized receipt is reversed by a refund correction;
        a correction of a 2025 settlement keeps the 20 % of its day"""
        Receipt = Pool().get('multipoint.receipt')
        company = create_company()
        with set_company(company), self.fiscal():
            point, supplier, cashier = self.setup_point(company)
            owner = create_user('owner', ['owner'], [], company)
            wrong = self.receipt(point, supplier, cashier)
            Receipt.send([wrong])
            with Transaction().set_user(owner.id), check_access():
                reversal = self.correct(wrong, reason="Неверная сумма")
                self.assertEqual(reversal.original_receipt, wrong)
                Receipt.send([reversal])
                self.assertEqual(reversal.state, 'done')
                old = Receipt.create_correction(point, supplier, [{
                            'name': "Товар", 'quantity': 1,
                            'unit_price': Decimal('1200.00'),
                            'vat_rate': '20'}],
                    [('cash', Decimal('1200.00'))], owner, 'self',
                    dt.date(2025, 12, 20), reason="Чек 20.12.2025 не пробит")
                Receipt.send([old])
            tasks = [p['request'][0] for p in self.atol.posts]
            self.assertEqual([t['type'] for t in tasks],
                ['sell', 'sellReturnCorrection', 'sellCorrection'])
            self.assertEqual(tasks[2]['correctionBaseDate'], '2025.12.20')
            self.assertEqual(tasks[2]['items'][0]['tax'], {'type': 'vat20'})

    @with_transaction(context=RU)
    def test_correction_denied(self):
        "Operators and accountants make no correction, by any door"
        pool = Pool()
        Receipt = pool.get('multipoint.receipt')
        company = create_company()
        with set_company(company), self.fiscal():
            point, supplier, cashier = self.setup_point(company)
            accountant = create_user('buh', ['accountant'], [], company)
            missed = self.receipt(point, supplier, cashier)
            values = {'company': company.id, 'kind': 'correction',
                'point': point.id, 'cashier': cashier.id,
                'supplier': supplier.id, 'correction_type': 'self',
                'correction_base_date': dt.date(2026, 1, 14),
                'correction_reason': "Чек не пробит"}
            for user in (cashier, accountant):
                with Transaction().set_user(user.id), check_access():
                    with self.assertRaises(AccessError):
                        Receipt.create([dict(values)])
                    with self.assertRaises(AccessError):
                        Receipt.create_correction(point, supplier, [{
                                    'name': "Товар", 'quantity': 1,
                                    'unit_price': Decimal('10.00')}],
                            [('cash', Decimal('10.00'))], user, 'self',
                            dt.date(2026, 1, 14), reason="Чек не пробит")
                    with self.assertRaises(UserError):
                        self.correct(missed, reason="Чек не пробит")
            self.assertEqual(self.atol.posts, [])
