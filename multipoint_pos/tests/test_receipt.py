"""Receipts (54-FZ), the ATOL fiscal driver and the ESC/POS slips: the real
ORM, access rules and database; the real driver and python-escpos against
local servers speaking their protocols (ATOL Web Server JSON tasks, raw
ESC/POS bytes on a TCP socket)"""
import datetime as dt
import time
import unittest
from decimal import Decimal

from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.multipoint_core.guard import GuardError
from trytond.modules.multipoint_core.tests.tools import (
    DBTestCase, accept_and_store, cell, create_parcel, create_point,
    create_user)
from trytond.modules.multipoint_pos.fiscal import (
    FiscalError, atol_error, atol_task, get_driver, next_task_uuid)
from trytond.modules.multipoint_pos.printer import (
    PrinterError, SlipPrinter, try_print)
from trytond.modules.multipoint_pos.receipt import (
    AGENT_BITS, ReceiptError, ReceiptNotDoneError)
from trytond.modules.multipoint_pos.tests.devices import (
    AtolServer, PrinterServer, cp866)
from trytond.modules.multipoint_pos.tests.pos_tools import (
    free_port, settings)
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction, check_access

SUPPLIER_INN = '7707083893'
RU = {'language': 'ru'}
ESC_CP866 = b'\x1bt\x11'        # ESC t 17: code page PC866
CUT_FULL = b'\x1dV\x00'         # GS V 0
CUT_PARTIAL = b'\x1dV\x01'      # GS V 1
CODE128 = b'\x1dkI'             # GS k 73 (function B, CODE128)


class ReceiptTestCase(DBTestCase):
    "Test receipts, the ATOL driver and the slip printer"
    module = 'multipoint_pos'
    language = 'ru'

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.atol = AtolServer()
        cls.printer = PrinterServer()

    @classmethod
    def tearDownClass(cls):
        cls.atol.stop()
        cls.printer.stop()
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        self.atol.reset()

    def fiscal(self, **options):
        values = {'driver': 'atol', 'url': self.atol.url, 'timeout': 1,
            'request_timeout': 0.5, 'poll_interval': 0.02,
            'operator_inn': '500100732259', 'taxation_type': 'osn'}
        values.update(options)
        return settings('multipoint_fiscal', **values)

    def slips(self, **options):
        values = {'host': '127.0.0.1', 'port': self.printer.port,
            'timeout': 2}
        values.update(options)
        return settings('multipoint_printer', **values)

    def setup_point(self, company, code='MSK1'):
        pool = Pool()
        Party = pool.get('party.party')
        point = create_point(company, code, name="Мультипоинт Тверская")
        supplier, = Party.create([{
                    'name': "ООО «Лавка»",
                    'identifiers': [('create', [{
                                    'type': 'ru_vat',  # INN
                                    'code': SUPPLIER_INN}])],
                    'contact_mechanisms': [('create', [{
                                    'type': 'phone',
                                    'value': '8 (495) 123-45-67'}])],
                    }])
        cashier = create_user(f'kassir_{code.lower()}', ['operator'],
            [point], company)
        cashier.name = "Смирнова Ольга"
        cashier.save()
        return point, supplier, cashier

    def sale(self, point, supplier, cashier, **kwargs):
        Receipt = Pool().get('multipoint.receipt')
        payments = kwargs.pop('payments', [
                {'method': 'cash', 'amount': Decimal('1000.00')},
                ('card', Decimal('1500.00')),
                ('sbp', Decimal('689.00')),
                ])
        return Receipt.create_for_sale(point, supplier, [{
                    'name': "Кроссовки беговые",
                    'quantity': Decimal(1),
                    'unit_price': Decimal('2990.00'),
                    'vat_rate': '22',
                    }, {
                    'name': "Доставка",
                    'quantity': 1,
                    'unit_price': Decimal('199.00'),
                    'vat_rate': '22',
                    'payment_object': 'service',
                    }], payments, cashier, **kwargs)

    # --- the receipt record -----------------------------------------------
    @with_transaction(context=RU)
    def test_create_for_sale(self):
        "A draft receipt with the agent data, totals by payment type, VAT"
        company = create_company()
        with set_company(company):
            point, supplier, cashier = self.setup_point(company)
            receipt = self.sale(point, supplier, cashier)
            self.assertEqual(receipt.state, 'draft')
            self.assertFalse(receipt.is_fiscalized)
            self.assertEqual(receipt.company, company)
            self.assertEqual(receipt.cashier, cashier)
            self.assertEqual(
                (receipt.supplier_name, receipt.supplier_inn,
                    receipt.supplier_phone),
                ("ООО «Лавка»", SUPPLIER_INN, '+74951234567'))
            self.assertEqual(receipt.total, Decimal('3189.00'))
            self.assertEqual(receipt.total_cash, Decimal('1000.00'))
            self.assertEqual(receipt.total_electronic, Decimal('2189.00'))
            # 22 % included: 2990 * 22 / 122 = 539.18; 199 -> 35.89
            self.assertEqual(receipt.total_vat, Decimal('575.07'))
            goods, delivery = receipt.lines
            self.assertEqual(
                (goods.payment_method, goods.payment_object,
                    delivery.payment_object),
                ('full_payment', 'commodity', 'service'))
            self.assertEqual(goods.agent_type, 'paying_agent')
            self.assertEqual(goods.agent_bits, 4)
            self.assertEqual(AGENT_BITS['paying_agent'], 0b100)
            self.assertEqual(
                (goods.supplier_name, goods.supplier_inn),
                ("ООО «Лавка»", SUPPLIER_INN))
            self.assertEqual(receipt.task_uuid and len(receipt.task_uuid),
                36)

            with self.assertRaises(TypeError):
                self.sale(point, supplier, cashier, payments=[
                        ('cash', 3189.0)])
            with self.assertRaises(ReceiptError) as cm:
                self.sale(point, supplier, cashier, payments=[
                        ('cash', Decimal('3000.00'))])
            self.assertIn("не совпадают", cm.exception.message)

            supplier.identifiers = []
            supplier.save()
            with self.assertRaises(ReceiptError) as cm:
                self.sale(point, supplier, cashier)
            self.assertIn("ИНН", cm.exception.message)

    @with_transaction(context=RU)
    def test_atol_task_mapping(self):
        "The neutral receipt data become the ATOL JSON task"
        company = create_company()
        with set_company(company), self.fiscal():
            point, supplier, cashier = self.setup_point(company)
            receipt = self.sale(point, supplier, cashier,
                customer_contact='+79161234567')
            task = atol_task(receipt.fiscal_data())
            self.assertEqual(task['type'], 'sell')
            self.assertEqual(task['taxationType'], 'osn')
            self.assertEqual(task['operator'],
                {'name': "Смирнова Ольга", 'vatin': '500100732259'})
            self.assertEqual(task['clientInfo'],
                {'emailOrPhone': '+79161234567'})
            self.assertEqual(task['total'], 3189.0)
            goods = task['items'][0]
            self.assertEqual(goods['price'], 2990.0)
            self.assertEqual(goods['quantity'], 1.0)
            self.assertEqual(goods['amount'], 2990.0)
            self.assertEqual(goods['tax'], {'type': 'vat22'})
            # errors are known by code, or by their description
            self.assertEqual(atol_error(44, '')[0], 'no_paper')
            self.assertEqual(atol_error(68, '')[0], 'shift_expired')
            self.assertEqual(
                atol_error(1044, "Нет бумаги в принтере")[0], 'no_paper')
            self.assertEqual(
                atol_error(1068, "Смена превысила 24 часа")[0],
                'shift_expired')
            self.assertEqual(atol_error(999, "Ошибка ФН")[0], 'device')

    # --- sending through the ATOL driver ------------------------------------
    @with_transaction(context=RU)
    def test_send_done(self):
        "The register gets the agent receipt; its fiscal data come back"
        Receipt = Pool().get('multipoint.receipt')
        company = create_company()
        with set_company(company), self.fiscal():
            point, supplier, cashier = self.setup_point(company)
            receipt = self.sale(point, supplier, cashier)
            Receipt.send([receipt])

            self.assertEqual(receipt.state, 'done')
            self.assertTrue(receipt.is_fiscalized)
            self.assertEqual(receipt.fiscal_document_number, '101')
            self.assertEqual(receipt.fiscal_sign, '3214567801')
            self.assertEqual(receipt.fiscal_storage_number,
                '9999078900012345')
            self.assertEqual(receipt.fiscal_date,
                dt.datetime(2026, 1, 15, 9, 30))
            self.assertEqual(
                (receipt.fiscal_shift_number, receipt.fiscal_receipt_number),
                (7, 1))
            self.assertEqual(receipt.attempts, 1)
            self.assertIsNone(receipt.error_message)
            Receipt.check_done([receipt])

            post, = self.atol.posts
            self.assertEqual(post['uuid'], receipt.task_uuid)
            task, = post['request']
            self.assertEqual(task['type'], 'sell')
            self.assertEqual(task['operator']['name'], "Смирнова Ольга")
            goods, delivery = task['items']
            for item in (goods, delivery):
                self.assertEqual(item['type'], 'position')
                self.assertEqual(item['tax'], {'type': 'vat22'})
                self.assertEqual(item['paymentMethod'], 'fullPayment')
                self.assertEqual(item['agentInfo'],
                    {'agents': ['payingAgent']})
                self.assertEqual(item['supplierInfo'], {
                        'name': "ООО «Лавка»",
                        'vatin': SUPPLIER_INN,
                        'phones': ['+74951234567'],
                        })
            self.assertEqual(
                (goods['name'], goods['paymentObject'], goods['amount']),
                ("Кроссовки беговые", 'commodity', 2990.0))
            self.assertEqual(
                (delivery['paymentObject'], delivery['amount']),
                ('service', 199.0))
            self.assertEqual(task['payments'], [
                    {'type': 'cash', 'sum': 1000.0},
                    {'type': 'electronically', 'sum': 2189.0},
                    ])
            self.assertEqual(task['total'], 3189.0)

            # sending a done receipt again does nothing
            Receipt.send([receipt])
            self.assertEqual(len(self.atol.posts), 1)

    @with_transaction(context=RU)
    def test_no_paper_then_retry(self):
        "No paper: failed, money refused; later retried with a new task"
        Receipt = Pool().get('multipoint.receipt')
        company = create_company()
        with set_company(company), self.fiscal():
            point, supplier, cashier = self.setup_point(company)
            receipt = self.sale(point, supplier, cashier)
            first_uuid = receipt.task_uuid
            self.atol.mode = 'no_paper'
            Receipt.send([receipt])

            self.assertEqual(receipt.state, 'failed')
            self.assertFalse(receipt.is_fiscalized)
            self.assertEqual(receipt.error_code, 'no_paper')
            self.assertIn("закончилась бумага", receipt.error_message)
            self.assertIn("Нет бумаги", receipt.error_message)
            self.assertIsNone(receipt.fiscal_document_number)
            # the register refused that task for sure: the next is new
            self.assertEqual(receipt.task_uuid, next_task_uuid(first_uuid))
            with self.assertRaises(ReceiptNotDoneError) as cm:
                Receipt.check_done([receipt])
            self.assertIn("не пробит", cm.exception.message)
            self.assertIn("без чека", cm.exception.message)

            self.atol.mode = 'ok'
            Receipt.retry([receipt])
            self.assertEqual(receipt.state, 'done')
            self.assertEqual(receipt.attempts, 2)
            self.assertIsNone(receipt.error_message)
            self.assertEqual([p['uuid'] for p in self.atol.posts],
                [first_uuid, next_task_uuid(first_uuid)])
            self.assertEqual(len(self.atol.printed), 1)
            Receipt.check_done([receipt])

    @with_transaction(context=RU)
    def test_shift_over_24_hours(self):
        "The register's shift is over 24 hours: a clear Russian message"
        Receipt = Pool().get('multipoint.receipt')
        company = create_company()
        with set_company(company), self.fiscal():
            point, supplier, cashier = self.setup_point(company)
            receipt = self.sale(point, supplier, cashier)
            self.atol.mode = 'shift_expired'
            Receipt.send([receipt])
            self.assertEqual(
                (receipt.state, receipt.error_code),
                ('failed', 'shift_expired'))
            self.assertIn("24 часа", receipt.error_message)
            self.assertIn("Z-отчёт", receipt.error_message)

    @with_transaction(context=RU)
    def test_garbage_answer(self):
        "An answer that is not JSON fails the receipt, retryable"
        Receipt = Pool().get('multipoint.receipt')
        company = create_company()
        with set_company(company), self.fiscal():
            point, supplier, cashier = self.setup_point(company)
            receipt = self.sale(point, supplier, cashier)
            self.atol.mode = 'garbage'
            Receipt.send([receipt])
            self.assertEqual(
                (receipt.state, receipt.error_code),
                ('failed', 'bad_answer'))
            self.assertIn("не удалось прочитать", receipt.error_message)

    @with_transaction(context=RU)
    def test_http_error(self):
        "HTTP 500 of the driver fails the receipt"
        Receipt = Pool().get('multipoint.receipt')
        company = create_company()
        with set_company(company), self.fiscal():
            point, supplier, cashier = self.setup_point(company)
            receipt = self.sale(point, supplier, cashier)
            self.atol.mode = 'http500'
            Receipt.send([receipt])
            self.assertEqual(
                (receipt.state, receipt.error_code), ('failed', 'http'))
            self.assertIn("HTTP 500", receipt.error_message)

    @with_transaction(context=RU)
    def test_slow_answer_not_printed_twice(self):
        """The driver answers after the time-out: the receipt fails, and
        the retry finds the receipt the register made instead of printing
        a second one"""
        Receipt = Pool().get('multipoint.receipt')
        company = create_company()
        with set_company(company), self.fiscal():
            point, supplier, cashier = self.setup_point(company)
            receipt = self.sale(point, supplier, cashier)
            task_uuid = receipt.task_uuid
            self.atol.post_delay = 1.5
            started = time.monotonic()
            Receipt.send([receipt])
            self.assertLess(time.monotonic() - started, 1.4)
            self.assertEqual(
                (receipt.state, receipt.error_code), ('failed', 'timeout'))
            self.assertIn("не ответил", receipt.error_message)
            self.assertIn("не напечатает его дважды",
                receipt.error_message)
            self.assertEqual(receipt.task_uuid, task_uuid)

            self.atol.post_delay = 0
            Receipt.retry([receipt])
            self.assertEqual(receipt.state, 'done')
            self.assertEqual([p['uuid'] for p in self.atol.posts],
                [task_uuid, task_uuid])
            self.assertEqual(len(self.atol.tasks), 1)
            self.assertEqual(len(self.atol.printed), 1)

    @with_transaction(context=RU)
    def test_result_later_than_timeout(self):
        """The register is still working when the wait is over; the retry
        reads the result of the same task"""
        Receipt = Pool().get('multipoint.receipt')
        company = create_company()
        with set_company(company), self.fiscal(timeout=0.3):
            point, supplier, cashier = self.setup_point(company)
            receipt = self.sale(point, supplier, cashier)
            self.atol.mode = 'in_progress'
            Receipt.send([receipt])
            self.assertEqual(
                (receipt.state, receipt.error_code), ('failed', 'timeout'))
            self.assertGreater(len(self.atol.gets), 2)

            self.atol.mode = 'ok'
            Receipt.retry([receipt])
            self.assertEqual(receipt.state, 'done')
            self.assertEqual(len(self.atol.tasks), 1)
            self.assertEqual(len(self.atol.printed), 1)

    @with_transaction(context=RU)
    def test_connection_refused(self):
        "Nothing listens at the driver's address: failed, then retried"
        Receipt = Pool().get('multipoint.receipt')
        company = create_company()
        url = f'http://127.0.0.1:{free_port()}'
        with set_company(company), self.fiscal(url=url):
            point, supplier, cashier = self.setup_point(company)
            receipt = self.sale(point, supplier, cashier)
            Receipt.send([receipt])
            self.assertEqual(
                (receipt.state, receipt.error_code),
                ('failed', 'unreachable'))
            self.assertIn("Нет связи с фискальным регистратором",
                receipt.error_message)
            self.assertIn(url, receipt.error_message)

            # the point's own driver address replaces the configuration
            point.fiscal_url = self.atol.url
            point.save()
            Receipt.retry([receipt])
            self.assertEqual(receipt.state, 'done')

    @with_transaction(context=RU)
    def test_not_configured(self):
        "Without a driver the receipt fails with a clear message"
        Receipt = Pool().get('multipoint.receipt')
        company = create_company()
        with set_company(company), settings('multipoint_fiscal'):
            point, supplier, cashier = self.setup_point(company)
            receipt = self.sale(point, supplier, cashier)
            Receipt.send([receipt])
            self.assertEqual(
                (receipt.state, receipt.error_code),
                ('failed', 'not_configured'))
            with self.assertRaises(FiscalError):
                get_driver(point)

    @with_transaction(context=RU)
    def test_refund(self):
        "A refund receipt is a sellReturn task of the same supplier"
        Receipt = Pool().get('multipoint.receipt')
        company = create_company()
        with set_company(company), self.fiscal():
            point, supplier, cashier = self.setup_point(company)
            sale = self.sale(point, supplier, cashier)
            Receipt.send([sale])
            refund = Receipt.create_refund(sale, [{
                        'name': "Кроссовки беговые",
                        'quantity': Decimal(1),
                        'unit_price': Decimal('2990.00'),
                        'vat_rate': '22',
                        }], [('cash', Decimal('2990.00'))], cashier)
            Receipt.send([refund])
            self.assertEqual(refund.state, 'done')
            self.assertEqual(refund.original_receipt, sale)
            self.assertEqual(
                self.atol.posts[-1]['request'][0]['type'], 'sellReturn')

    # --- corrections and access ---------------------------------------------
    @with_transaction(context=RU)
    def test_correction_by_manager_only(self):
        "Operators cannot make a correction receipt; owners can"
        Receipt = Pool().get('multipoint.receipt')
        company = create_company()
        with set_company(company), self.fiscal():
            point, supplier, cashier = self.setup_point(company)
            owner = create_user('owner', ['owner'], [], company)
            line = [{'name': "Кроссовки беговые",
                    'quantity': Decimal(1),
                    'unit_price': Decimal('2990.00'), 'vat_rate': '22'}]
            payment = [('cash', Decimal('2990.00'))]

            with Transaction().set_user(cashier.id), check_access():
                with self.assertRaises(AccessError) as cm:
                    Receipt.create_correction(point, supplier, line,
                        payment, cashier, 'self', dt.date(2026, 1, 14),
                        reason="Чек не пробит")
                self.assertIn("руководитель", cm.exception.message)
                with self.assertRaises(AccessError):
                    self.sale(point, supplier, cashier, kind='correction',
                        correction_type='self',
                        correction_base_date=dt.date(2026, 1, 14),
                        correction_reason="Чек не пробит")

            with Transaction().set_user(owner.id), check_access():
                correction = Receipt.create_correction(point, supplier,
                    line, payment, owner, 'self', dt.date(2026, 1, 14),
                    reason="Чек не пробит")
                Receipt.send([correction])
                self.assertEqual(correction.state, 'done')
            task = self.atol.posts[-1]['request'][0]
            self.assertEqual(task['type'], 'sellCorrection')
            self.assertEqual(task['correctionType'], 'self')
            self.assertEqual(task['correctionBaseDate'], '2026.01.14')
            self.assertEqual(task['items'][0]['agentInfo'],
                {'agents': ['payingAgent']})

    @with_transaction(context=RU)
    def test_access(self):
        """Operators see their points' receipts only; accountants read
        every point's; nobody writes the fiscal data"""
        pool = Pool()
        Receipt = pool.get('multipoint.receipt')
        Line = pool.get('multipoint.receipt.line')
        company = create_company()
        with set_company(company), self.fiscal():
            msk, supplier, op_msk = self.setup_point(company, 'MSK1')
            kzn, _, op_kzn = self.setup_point(company, 'KZN1')
            accountant = create_user('buh', ['accountant'], [], company)
            r_msk = self.sale(msk, supplier, op_msk)
            r_kzn = self.sale(kzn, supplier, op_kzn)

            with Transaction().set_user(op_msk.id), check_access():
                self.assertEqual(Receipt.search([]), [r_msk])
                self.assertEqual(
                    {l.receipt for l in Line.search([])}, {r_msk})
                with self.assertRaises(AccessError):
                    Receipt.read([r_kzn.id], ['total'])
                with self.assertRaises(AccessError):
                    Line.read([r_kzn.lines[0].id], ['name'])
                with self.assertRaises(AccessError):
                    Receipt.send([Receipt(r_kzn.id)])
                # the fiscal data come from the register only
                with self.assertRaises(GuardError):
                    Receipt.write([Receipt(r_msk.id)], {
                            'state': 'done', 'fiscal_sign': '1'})
                with self.assertRaises(GuardError):
                    Receipt.write([Receipt(r_msk.id)], {'fiscal_sign': '1'})
                Receipt.send([Receipt(r_msk.id)])
                self.assertEqual(Receipt(r_msk.id).state, 'done')
                # a fiscalized receipt no longer changes
                with self.assertRaises(GuardError):
                    Receipt.write([Receipt(r_msk.id)], {
                            'customer_contact': 'x@example.com'})
                with self.assertRaises(ReceiptError):
                    Line.write([Line(r_msk.lines[0].id)], {'name': "X"})
                with self.assertRaises(AccessError):
                    Receipt.delete([Receipt(r_msk.id)])

            with Transaction().set_user(accountant.id), check_access():
                self.assertEqual(
                    set(Receipt.search([])), {r_msk, r_kzn})
                with self.assertRaises(AccessError):
                    self.sale(kzn, supplier, op_kzn)

    # --- slips on the ESC/POS printer ---------------------------------------
    def printed(self, count):
        return self.printer.wait(count)

    @with_transaction(context=RU)
    def test_issue_slip(self):
        "The issue slip in cp866 with order, cell, items, amounts, cut"
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        Line = pool.get('multipoint.parcel.line')
        company = create_company()
        with set_company(company), self.slips():
            point, supplier, cashier = self.setup_point(company)
            parcel = create_parcel(point, supplier, 'LV-1001',
                cod_amount=Decimal('3189.00'), delivery_fee=Decimal('199.00'))
            Line.create([{'parcel': parcel.id, 'name': "Кроссовки беговые",
                        'quantity': 1, 'unit_price': Decimal('2990.00'),
                        'vat_rate': '22'}, {
                        'parcel': parcel.id, 'name': "Носки",
                        'quantity': 2, 'unit_price': Decimal('199.00'),
                        'vat_rate': '22', 'refused_quantity': 2}])
            accept_and_store([parcel], cell_for=lambda p: cell(point, 'A-1'))
            parcel = Parcel(parcel.id)
            Parcel.issue([parcel])  # the cell is cleared at issue

            count = len(self.printer.jobs)
            printer = SlipPrinter.for_point(point)
            printer.print_issue_slip(point, [parcel], cashier,
                amounts={parcel.id: Decimal('3189.00')},
                payments=[('cash', Decimal('3189.00'))])
            data = self.printed(count + 1)

            self.assertTrue(data.startswith(b'\x1b@'))  # ESC @: reset
            self.assertIn(ESC_CP866, data)
            for text in ["ВЫДАЧА ЗАКАЗА", "Пункт: MSK1 Мультипоинт Тверская",
                    "Кассир: Смирнова Ольга", "Заказ LV-1001 (ООО \"Лавка\")",
                    "Ячейка: A-1", "Кроссовки беговые", "2 990,00",
                    "Отказ: Носки, 2 шт.", "ИТОГО К ОПЛАТЕ", "3 189,00",
                    "Оплачено наличными"]:
                self.assertIn(cp866(text), data, text)
            self.assertNotIn("ВЫДАЧА".encode('utf-8'), data)
            self.assertTrue(data.endswith(CUT_FULL))

    @with_transaction(context=RU)
    def test_receipt_copy_and_reports(self):
        "A non-fiscal copy, X and Z summaries from a plain dict"
        Receipt = Pool().get('multipoint.receipt')
        company = create_company()
        with set_company(company), self.slips(), self.fiscal():
            point, supplier, cashier = self.setup_point(company)
            receipt = self.sale(point, supplier, cashier)
            Receipt.send([receipt])
            count = len(self.printer.jobs)
            Receipt.print_copy([receipt])  # the form's button
            data = self.printed(count + 1)
            for text in ["НЕФИСКАЛЬНЫЙ ДОКУМЕНТ", "КОПИЯ ЧЕКА", "Приход",
                    "Поставщик: ООО \"Лавка\"",
                    f"ИНН поставщика: {SUPPLIER_INN}",
                    "Признак агента: Платёжный агент", "НДС 22 %", "539,18",
                    "ИТОГ", "3 189,00", "наличными", "1 000,00",
                    "безналичными", "2 189,00", "ФД №", "101",
                    "ФПД", "3214567801", "ФН №", "9999078900012345"]:
                self.assertIn(cp866(text), data, text)

            printer = SlipPrinter.for_point(point)
            totals = {
                'shift': 12, 'cashier': "Смирнова Ольга",
                'opened_at': dt.datetime(2026, 1, 15, 6, 0),
                'closed_at': dt.datetime(2026, 1, 15, 18, 0),
                'start_amount': Decimal('5000.00'),
                'sales': {'cash': Decimal('1000.00'),
                    'card': Decimal('1500.00'), 'sbp': Decimal('689.00')},
                'refunds': {'cash': Decimal('0.00')},
                'collections': Decimal('-500.00'),
                'expected_cash': Decimal('5500.00'),
                'counted_cash': Decimal('5490.00'),
                'difference': Decimal('-10.00'),
                'difference_reason': "Сдача без монет",
                'receipts': 1,
                'suppliers': [{'name': "ООО «Лавка»", 'count': 1,
                        'sales': Decimal('3189.00')}],
                }
            printer.print_shift_report('X', totals, point=point)
            x_report = self.printed(count + 2)
            self.assertIn(cp866("X-ОТЧЁТ"), x_report)
            printer.print_shift_report('Z', totals, point=point)
            z_report = self.printed(count + 3)
            for text in ["Z-ОТЧЁТ", "Смена: 12", "Открыта: 15.01.2026 09:00",
                    "Закрыта: 15.01.2026 21:00", "Размен на начало",
                    "5 000,00", "Продажи", "СБП", "689,00", "3 189,00",
                    "Расхождение", "-10,00", "Причина: Сдача без монет",
                    "По поставщикам", "ООО \"Лавка\""]:
                self.assertIn(cp866(text), z_report, text)
            self.assertTrue(z_report.endswith(CUT_FULL))

    @with_transaction(context=RU)
    def test_cell_labels(self):
        "Cell labels: the cell in large type and a CODE128 barcode each"
        company = create_company()
        with set_company(company), self.slips():
            point, _, _ = self.setup_point(company)
            cells = [cell(point, 'A-1'), cell(point, 'B-1')]
            count = len(self.printer.jobs)
            SlipPrinter.for_point(point).print_cell_labels(cells)
            data = self.printed(count + 1)
            self.assertEqual(data.count(CODE128), 2)
            self.assertIn(CODE128 + bytes([len('{BA-1')]) + b'{BA-1', data)
            self.assertIn(CODE128 + bytes([len('{BB-1')]) + b'{BB-1', data)
            self.assertEqual(data.count(CUT_PARTIAL), 2)
            self.assertIn(cp866("MSK1 Мультипоинт Тверская"), data)

    @with_transaction(context=RU)
    def test_printer_offline(self):
        """A closed port: a clear Russian error, and the operation done
        before the print stays"""
        Receipt = Pool().get('multipoint.receipt')
        company = create_company()
        with set_company(company), self.fiscal(), \
                self.slips(port=free_port()):
            point, supplier, cashier = self.setup_point(company)
            receipt = self.sale(point, supplier, cashier)
            Receipt.send([receipt])
            printer = SlipPrinter.for_point(point)
            with self.assertRaises(PrinterError) as cm:
                printer.print_receipt_copy(receipt)
            self.assertIn("Принтер чеков", cm.exception.message)
            self.assertIn("недоступен", cm.exception.message)
            self.assertIn("Операция выполнена", cm.exception.message)
            message = try_print(printer.print_receipt_copy, receipt)
            self.assertIn("недоступен", message)
            # the receipt written before the print is untouched
            self.assertEqual(Receipt(receipt.id).state, 'done')

            # the point's own printer replaces the configuration
            point.printer_host = '127.0.0.1'
            point.printer_port = self.printer.port
            point.save()
            count = len(self.printer.jobs)
            self.assertIsNone(try_print(
                    SlipPrinter.for_point(point).print_receipt_copy,
                    receipt))
            self.printed(count + 1)

        with settings('multipoint_printer'):
            point.printer_host = None
            point.save()
            with self.assertRaises(PrinterError):
                SlipPrinter.for_point(point)


del DBTestCase


if __name__ == '__main__':
    unittest.main()
