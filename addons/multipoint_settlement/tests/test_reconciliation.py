"""Reconciliation (сверка) of a settlement with the supplier's own report:
CSV and XLSX, the account's own headers, exactly the planted differences,
readable errors with nothing written, resolutions with who and when,
access"""
import datetime as dt
from decimal import Decimal

from trytond.model.exceptions import AccessButtonError, AccessError
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.multipoint_core.tests.tools import (
    DBTestCase, create_point, create_supplier, create_user)
from trytond.modules.multipoint_settlement.exceptions import (
    ReconciliationError)
from trytond.modules.multipoint_settlement.tests.settlement_tools import (
    THEIR_STATUS, report_csv, report_xlsx, their_rows)
from trytond.modules.multipoint_suppliers.bulk import insert
from trytond.modules.multipoint_suppliers.tests.tools import create_account
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction, check_access

D = Decimal
RU = {'language': 'ru'}
STATUSES = ['issued', 'issued', 'partially_issued', 'refused', 'returned']


class ReconciliationTestCase(DBTestCase):
    module = 'multipoint_settlement'
    language = 'ru'

    def settlement(self, company, count=50):
        """A sent settlement of count lines (written as the computation
        writes them) of a supplier with a file account at one point"""
        pool = Pool()
        Settlement = pool.get('multipoint.settlement')
        Line = pool.get('multipoint.settlement.line')
        self.point = create_point(company, 'MSK1')
        self.supplier = create_supplier("Ромашка")
        self.account = create_account(company, self.supplier,
            {self.point: 'R-MSK'})
        today = dt.date.today()
        settlement, = Settlement.create([{
                    'company': company.id, 'supplier': self.supplier.id,
                    'period_start': today.replace(day=1),
                    'period_end': today,
                    }])
        lines = []
        for i in range(1, count + 1):
            amount = D(1000 + i) + D('0.50')
            commission = (amount * 2 / 100).quantize(D('0.01'))
            lines.append({
                    'settlement': settlement.id, 'point': self.point.id,
                    'order_number': f'R-{i:04d}', 'date': today,
                    'status': STATUSES[i % len(STATUSES)],
                    'cash': amount, 'amount': amount,
                    'commission': commission,
                    'net': amount - commission,
                    })
        insert(Line, lines)
        Settlement.update_totals([settlement])
        # as the workflow leaves it (no accounting needed here)
        Settlement.write([settlement], {'state': 'sent'})
        return Settlement(settlement.id)

    def reconcile(self, settlement, data, name='report.csv'):
        Reconciliation = Pool().get('multipoint.settlement.reconciliation')
        reconciliation, = Reconciliation.create([{
                    'settlement': settlement.id, 'account': self.account.id,
                    'file': data, 'file_name': name}])
        Reconciliation.match([reconciliation])
        return Reconciliation(reconciliation.id)

    @staticmethod
    def found(reconciliation):
        return {(l.kind, l.order_number) for l in reconciliation.lines}

    @with_transaction(context=RU)
    def test_xlsx_with_the_account_headers(self):
        """An XLSX report whose headers are the supplier's own (declared
        on its account), amounts as numbers: exactly the planted
        differences are listed"""
        Column = Pool().get('multipoint.supplier.account.report_column')
        company = create_company()
        with set_company(company):
            settlement = self.settlement(company)
            Column.create([
                    {'account': self.account.id, 'column': 'amount',
                        'header': "Сумма НП, руб."},
                    {'account': self.account.id, 'column': 'status',
                        'header': "Состояние доставки"}])
            rows = [r[:3] for r in their_rows(settlement.lines)]
            by_number = {r[0]: r for r in rows}
            by_number['R-0007'][2] += D('0.01')
            by_number['R-0011'][1] = THEIR_STATUS['lost']
            by_number['R-0012'][1] = "в пути, уточняется"
            rows = [r for r in rows if r[0] != 'R-0020']
            rows.insert(5, ['R-9999', "Выдан", D('10')])
            data = report_xlsx(rows,
                headers=("№ заказа", "Состояние доставки", "Сумма НП, руб."))
            reconciliation = self.reconcile(settlement, data, 'report.xlsx')
            self.assertEqual(self.found(reconciliation), {
                    ('amount', 'R-0007'), ('status', 'R-0011'),
                    ('status', 'R-0012'), ('missing_theirs', 'R-0020'),
                    ('missing_ours', 'R-9999')})
            self.assertEqual(reconciliation.state, 'matched')
            self.assertEqual(
                (reconciliation.rows, reconciliation.matched,
                    reconciliation.difference_count), (50, 46, 5))
            line, = [l for l in reconciliation.lines
                if l.order_number == 'R-0012']
            self.assertEqual((line.our_status, line.their_status, line.row),
                ('partially_issued', "в пути, уточняется", 14))
            missing, = [l for l in reconciliation.lines
                if l.kind == 'missing_ours']
            self.assertEqual((missing.their_amount, missing.row),
                (D('10'), 7))

            # the same report without differences: nothing listed
            clean = report_csv(their_rows(settlement.lines),
                encoding='cp1251')
            reconciliation = self.reconcile(settlement, clean)
            self.assertEqual(reconciliation.lines, ())
            self.assertEqual(reconciliation.matched, 50)

    @with_transaction(context=RU)
    def test_unreadable_reports_write_nothing(self):
        "Missing columns, amounts that are no numbers: a Russian message"
        Reconciliation = Pool().get('multipoint.settlement.reconciliation')
        company = create_company()
        with set_company(company):
            settlement = self.settlement(company, 5)
            rows = their_rows(settlement.lines)
            cases = [
                (report_csv([r[:2] for r in rows],
                        headers=("Номер заказа", "Статус")),
                    "Нет колонки «Сумма»"),
                (report_csv([[r[0], r[1], 'двести'] for r in rows],
                        headers=("Номер заказа", "Статус", "Оплачено")),
                    "Строка 2: «двести» в колонке «Оплачено»"),
                # a spreadsheet cut short
                (report_xlsx(rows)[:400], "не удалось прочитать"),
                (report_csv([]), "нет строк"),
                ]
            for data, message in cases:
                with self.subTest(message=message):
                    reconciliation, = Reconciliation.create([{
                                'settlement': settlement.id,
                                'file': data}])
                    with self.assertRaises(ReconciliationError) as error:
                        Reconciliation.match([reconciliation])
                    self.assertIn(message.lower(),
                        str(error.exception).lower())
                    self.assertEqual(reconciliation.state, 'draft')
                    self.assertEqual(Reconciliation(
                            reconciliation.id).lines, ())

    @with_transaction(context=RU)
    def test_resolutions_recorded(self):
        """Each difference is resolved with a decision and a comment by an
        accountant, who and when recorded; done once all are resolved;
        operators have no access"""
        pool = Pool()
        Reconciliation = pool.get('multipoint.settlement.reconciliation')
        Line = pool.get('multipoint.settlement.reconciliation.line')
        company = create_company()
        with set_company(company):
            settlement = self.settlement(company, 10)
            accountant = create_user('buh2', ['accountant'], [self.point],
                company)
            operator = create_user('oper2', ['operator'], [self.point],
                company)
            reports = create_user('rep2', ['reports'], [self.point],
                company)
            rows = their_rows(settlement.lines)
            rows[0][2] += 5
            rows = rows[:-1]
            reconciliation = self.reconcile(settlement, report_csv(rows))
            self.assertEqual(len(reconciliation.lines), 2)
            first, second = reconciliation.lines
            transaction = Transaction()
            with transaction.set_user(operator.id), check_access():
                with self.assertRaises(AccessError):
                    Reconciliation.search([])
                with self.assertRaises(AccessError):
                    Line.read([first.id], ['order_number'])
            with transaction.set_user(reports.id), check_access():
                with self.assertRaises(AccessError):
                    Line.search([])
            with transaction.set_user(accountant.id), check_access():
                with self.assertRaises(ReconciliationError):
                    Line.resolve([first])
                Line.write([first], {'resolution': 'theirs',
                        'comment': "Поставщик прав: доплата 5 ₽ картой"})
                Line.resolve([first])
                with self.assertRaises(ReconciliationError):
                    Line.write([first], {'comment': "иначе"})
                with self.assertRaises(ReconciliationError):
                    Reconciliation.done([reconciliation])
                Line.write([second], {'resolution': 'ours',
                        'comment': "Отправление выдано, акт подписан"})
                Line.resolve([second])
                with self.assertRaises(ReconciliationError):
                    Reconciliation.draft([reconciliation])
                Reconciliation.done([reconciliation])
            first = Line(first.id)
            self.assertEqual(
                (first.state, first.resolution, first.resolved_by),
                ('resolved', 'theirs', accountant))
            self.assertIsNotNone(first.resolved_at)
            self.assertEqual(Reconciliation(reconciliation.id).state,
                'done')
            with transaction.set_user(operator.id), check_access():
                with self.assertRaises((AccessError, AccessButtonError)):
                    Line.resolve([second])


del DBTestCase
