"""Settlements with suppliers through the real desk, ORM, access rules and
accounting: a month at two points, the agent's report opened back from
XLSX and PDF, the supplier's report with planted differences, the
workflow and who may do what"""
import datetime as dt
import io
from decimal import Decimal

from trytond.model.exceptions import AccessButtonError, AccessError
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.multipoint_core.tests.tools import (
    DBTestCase, create_user)
from trytond.modules.multipoint_pos.tests.pos_tools import (
    fiscalize, pos_point, settings, setup_accounting, stored_parcel,
    supplier)
from trytond.modules.multipoint_settlement.exceptions import SettlementError
from trytond.modules.multipoint_settlement.tests.settlement_tools import (
    D, Month, configure, pay, pdf_text, report_csv, set_event_date,
    their_rows)
from trytond.modules.multipoint_suppliers.tests.tools import create_account
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction, check_access

RU = {'language': 'ru'}
ZERO = D('0.00')


def balance(account, party=None):
    "credit - debit of the posted lines of account (for party)"
    Line = Pool().get('account.move.line')
    domain = [('account', '=', account.id), ('move.state', '=', 'posted')]
    if party:
        domain.append(('party', '=', party.id))
    return sum((l.credit - l.debit for l in Line.search(domain)), ZERO)


class SettlementTestCase(DBTestCase):
    module = 'multipoint_settlement'
    language = 'ru'

    def setUp(self):
        super().setUp()
        self.maxDiff = None
        self.enterContext(settings('multipoint_fiscal', driver='demo'))

    def report(self, name, settlement):
        Report = Pool().get(name, type='report')
        ext, data, _, _ = Report.execute([settlement.id], {})
        return ext, bytes(data)

    @with_transaction(context=RU)
    def test_month_at_two_points(self):
        """A month at two points: settlement, postings, XLSX and PDF opened
        back, the supplier's report with planted differences"""
        pool = Pool()
        Sale = pool.get('sale.point.sale')
        Settlement = pool.get('multipoint.settlement')
        Reconciliation = pool.get('multipoint.settlement.reconciliation')
        company = create_company()
        with set_company(company):
            month = Month(company).build()
            sales = Sale.browse(month.sales)
            self.assertTrue(all(s.state == 'done' for s in sales))
            Sale.post(sales)
            supplier = month.supplier
            agent = month.msk.sale_point.agent_account
            self.assertEqual(agent, month.nsk.sale_point.agent_account)
            owed = balance(agent, supplier)

            settlement = month.settlement()
            Settlement.compute([settlement])
            settlement = Settlement(settlement.id)
            lines = {l.order_number: l for l in settlement.lines}
            self.assertEqual(sorted(lines), sorted(month.expected))
            for number, want in month.expected.items():
                line = lines[number]
                got = {
                    'status': line.status, 'point': line.point.code,
                    'cash': line.cash, 'card': line.card, 'sbp': line.sbp,
                    'refunded': line.refunded,
                    'refused': line.refused_amount,
                    'commission': line.commission, 'fine': line.fine,
                    }
                self.assertEqual(got, want, number)
                self.assertEqual(line.net, month.net(want), number)
            want = month.expected.values()

            def total(key):
                return sum((v[key] for v in want), ZERO)
            collected = total('cash') + total('card') + total('sbp')
            net = sum((month.net(v) for v in want), ZERO)
            self.assertEqual(
                (settlement.parcel_count, settlement.cash, settlement.card,
                    settlement.sbp, settlement.collected,
                    settlement.refunded, settlement.refused_amount,
                    settlement.commission, settlement.fine_amount,
                    settlement.net_amount, settlement.payable),
                (len(month.expected), total('cash'), total('card'),
                    total('sbp'), collected, total('refunded'),
                    total('refused'), total('commission'), total('fine'),
                    net, net))
            self.assertEqual(len(settlement.fines), 1)
            self.assertTrue(settlement.fines[0].automatic)
            # a point alone has its own lines only
            msk_only = month.settlement(month.msk)
            Settlement.compute([msk_only])
            self.assertEqual(
                sorted(l.order_number for l in msk_only.lines),
                sorted(n for n, v in month.expected.items()
                    if v['point'] == 'MSK1'))
            Settlement.delete([msk_only])

            # confirmed: the principal settlement account of the supplier
            # is cleared of the period's money; the money of parcels
            # issued outside the period (1,099 + 799) stays owed
            Settlement.confirm([settlement])
            settlement = Settlement(settlement.id)
            self.assertEqual(settlement.state, 'confirmed')
            self.assertTrue(settlement.number.startswith('ОА-'))
            self.assertEqual(settlement.move.state, 'posted')
            self.assertEqual(settlement.move.origin, settlement)
            self.assertEqual(owed - (collected - total('refunded')),
                balance(agent, supplier))
            self.assertEqual(balance(agent, supplier), D('1898.00'))
            accounts = month.accounts
            self.assertEqual(balance(accounts['revenue']),
                total('commission'))
            self.assertEqual(balance(accounts['expense']), -total('fine'))
            self.assertEqual(balance(accounts['payable'], supplier), net)

            # the agent's report as XLSX: its lines and totals
            ext, data = self.report('multipoint.settlement.xlsx', settlement)
            self.assertEqual(ext, 'xlsx')
            self.check_xlsx(data, settlement)
            ext, data = self.report('multipoint.settlement.pdf', settlement)
            self.assertEqual(ext, 'pdf')
            self.check_pdf(data, settlement, month)

            Settlement.send([settlement])
            # the supplier's report with planted differences
            rows = their_rows(settlement.lines)
            by_number = {r[0]: r for r in rows}
            planted = {
                ('missing_theirs', 'M-3'), ('missing_theirs', 'N-2'),
                ('missing_ours', 'Z-404'), ('amount', 'M-7'),
                ('amount', 'N-4'), ('status', 'M-9'),
                ('commission', 'M-5'), ('duplicate', 'M-1'),
                }
            rows = [r for r in rows if r[0] not in {'M-3', 'N-2'}]
            rows.append(['Z-404', "Выдан", D('1000.00'), D('20.00')])
            by_number['M-7'][2] += D('100.00')
            by_number['N-4'][2] -= D('0.01')
            by_number['M-9'][1] = "Выдан"
            by_number['M-5'][3] = D('99.99')
            rows.append(list(by_number['M-1']))
            reconciliation, = Reconciliation.create([{
                        'settlement': settlement.id,
                        'file': report_csv(rows),
                        'file_name': 'hermes.csv',
                        }])
            Reconciliation.match([reconciliation])
            reconciliation = Reconciliation(reconciliation.id)
            found = {(l.kind, l.order_number) for l in reconciliation.lines}
            self.assertEqual(found, planted)
            self.assertEqual(reconciliation.rows, len(rows))
            self.assertEqual(reconciliation.matched,
                len(month.expected) - 2 - 4)
            amount, = [l for l in reconciliation.lines
                if l.kind == 'amount' and l.order_number == 'N-4']
            self.assertEqual(amount.difference, D('-0.01'))

            Settlement.write([settlement],
                {'dispute_comment': "M-7: получено 1 799 ₽"})
            Settlement.dispute([settlement])
            Settlement.agree([settlement])
            Settlement.pay([settlement])
            self.assertEqual(Settlement(settlement.id).state, 'paid')
            with self.assertRaises(SettlementError):
                Settlement.delete([settlement])

    def check_xlsx(self, data, settlement):
        import openpyxl
        workbook = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
        lines, totals = workbook.worksheets
        self.assertEqual(lines.title, "Отправления")
        self.assertEqual(lines.freeze_panes, 'A2')
        self.assertTrue(lines.auto_filter.ref.startswith('A1:M'))
        header = [c.value for c in lines[1]]
        self.assertEqual(header[1], "Номер заказа")
        self.assertEqual(lines.max_row, settlement.parcel_count + 1)
        column = {name: i for i, name in enumerate(header)}

        def column_sum(name):
            return sum(Decimal(str(row[column[name]]))
                for row in lines.iter_rows(min_row=2, values_only=True))
        self.assertEqual(column_sum("Итого к расчёту"),
            settlement.net_amount)
        self.assertEqual(column_sum("Вознаграждение"), settlement.commission)
        self.assertEqual(column_sum("Наличные") + column_sum("Карта")
            + column_sum("СБП"), settlement.collected)
        self.assertEqual(lines.cell(2, 5).number_format, '#,##0.00')
        self.assertEqual(lines.cell(2, 3).number_format, 'dd.mm.yyyy')
        values = {row[0]: row[1] for row in totals.iter_rows(
                values_only=True) if row and row[0]}
        self.assertEqual(Decimal(str(values["Сумма к расчёту"])),
            settlement.net_amount)
        self.assertEqual(Decimal(str(values["Вознаграждение"])),
            settlement.commission)
        self.assertEqual(values["Отправлений"], settlement.parcel_count)
        self.assertEqual(Decimal(str(values["К перечислению поставщику"])),
            settlement.net_amount)

    def check_pdf(self, data, settlement, month):
        self.assertTrue(data.startswith(b'%PDF-'))
        # the font is embedded, with its Cyrillic
        self.assertIn(b'/FontFile2', data)
        pages = [' '.join(p.split()) for p in pdf_text(data)]
        text = ' '.join(pages)
        self.assertIn(f"Отчёт агента № {settlement.number}", text)
        self.assertIn("Агент:", text)
        self.assertIn("Принципал: Гермес", text)
        self.assertIn(f"ИНН {month.supplier.identifiers[0].code}", text)
        self.assertIn("(подпись)", text)
        for number in month.expected:
            self.assertIn(number, text)

        def amount(value):
            return f'{value:,.2f}'.replace(',', ' ').replace('.', ',')
        self.assertIn(
            f"Сумма к расчёту {amount(settlement.net_amount)}", text)
        self.assertIn(
            f"Вознаграждение {amount(settlement.commission)}", text)
        self.assertIn(f"Отправлений {settlement.parcel_count}", text)
        self.assertIn(f"Страница 1 из {len(pages)}", pages[0])

    @with_transaction(context=RU)
    def test_tiers_by_monthly_volume(self):
        """Tiers by monthly volume: the month's parcels at the point choose
        the tier, also for a settlement of a part of the month"""
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        Settlement = pool.get('multipoint.settlement')
        Session = pool.get('sale.point.cash.session')
        company = create_company()
        with set_company(company):
            accounts = setup_accounting(company)
            configure(accounts)
            point = pos_point(company, 'VOL1', accounts)
            shop = supplier("Объёмный", commission_rule='volume_tiers',
                commission_tiers=[('create', [
                            {'from_parcels': 0, 'amount': D('60')},
                            {'from_parcels': 3, 'amount': D('40')}])])
            Session.open_shift(point, D(0))
            parcels = []
            for i in range(3):
                parcel, code = stored_parcel(point, shop, f'V-{i}',
                    [("Товар", 1, '500')], delivery_fee=D(0))
                fiscalize(Parcel.issue_with_payment([parcel], point,
                        {parcel: ('code', code)}, [pay('cash', 500)]))
                parcels.append(parcel)
            # in the middle of last month: the 1st, the 10th and the 20th
            month = (dt.date.today().replace(day=1)
                - dt.timedelta(days=1)).replace(day=1)
            for parcel, day in zip(parcels, [1, 10, 20]):
                set_event_date([parcel], dt.datetime.combine(
                        month.replace(day=day), dt.time(9)))

            def commissions(start, end):
                settlement, = Settlement.create([{
                            'company': company.id, 'supplier': shop.id,
                            'point': point.id, 'period_start': start,
                            'period_end': end}])
                Settlement.compute([settlement])
                result = sorted((l.order_number, l.commission)
                    for l in settlement.lines)
                Settlement.delete([settlement])
                return result

            # three parcels in the month: 40 each, even when only the
            # first ten days are settled
            self.assertEqual(commissions(month, month.replace(day=10)),
                [('V-0', D('40.00')), ('V-1', D('40.00'))])
            # the month before: none issued, nothing settled
            before = (month - dt.timedelta(days=1)).replace(day=1)
            self.assertEqual(commissions(before, month - dt.timedelta(
                        days=1)), [])
            # two parcels in the month: the first tier
            set_event_date([parcels[2]], dt.datetime.combine(
                    dt.date.today().replace(day=1), dt.time(9)))
            self.assertEqual(commissions(month, month.replace(day=28)),
                [('V-0', D('60.00')), ('V-1', D('60.00'))])

    @with_transaction(context=RU)
    def test_rules_of_the_draft(self):
        """Period order, the computation only in draft, manual fines in
        the totals, clear errors when the accounts are not set, no parcel
        settled twice"""
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        Settlement = pool.get('multipoint.settlement')
        Fine = pool.get('multipoint.settlement.fine')
        Session = pool.get('sale.point.cash.session')
        Date = pool.get('ir.date')
        company = create_company()
        with set_company(company):
            accounts = setup_accounting(company)
            point = pos_point(company, 'MSK1', accounts)
            shop = supplier("Лавка", commission_rule='flat',
                commission_flat=D('35.00'))
            Session.open_shift(point, D(0))
            parcel, code = stored_parcel(point, shop, 'L-1',
                [("Мёд", 2, '450')], delivery_fee=D('150'))
            fiscalize(Parcel.issue_with_payment([parcel], point,
                    {parcel: ('code', code)}, [pay('cash', 1050)]))
            today = Date.today()
            with self.assertRaises(SettlementError):
                Settlement.create([{
                            'company': company.id, 'supplier': shop.id,
                            'period_start': today,
                            'period_end': today - dt.timedelta(days=1)}])
            settlement, = Settlement.create([{
                        'company': company.id, 'supplier': shop.id,
                        'period_start': today, 'period_end': today}])
            with self.assertRaises(SettlementError):
                Settlement.confirm([settlement])
            Settlement.compute([settlement])
            self.assertEqual(
                (settlement.collected, settlement.commission,
                    settlement.net_amount), (D('1050'), D('35'), D('1015')))
            Fine.create([{'settlement': settlement.id, 'kind': 'damaged',
                        'parcel': parcel.id, 'amount': D('50'),
                        'description': "Помята коробка"}])
            settlement = Settlement(settlement.id)
            self.assertEqual((settlement.fine_amount, settlement.net_amount),
                (D('50'), D('1065')))
            # computed again: the manual fine stays
            Settlement.compute([settlement])
            self.assertEqual(Settlement(settlement.id).net_amount,
                D('1065'))
            # no accounts configured: a clear error, nothing posted
            with self.assertRaises(SettlementError) as error:
                Settlement.confirm([settlement])
            self.assertIn("счёт выручки", str(error.exception))
            configure(accounts)
            Party = pool.get('party.party')
            Party.write([shop], {'account_payable': accounts['payable'].id})
            Settlement.confirm([settlement])
            self.assertEqual(balance(accounts['expense']), D('-50'))
            self.assertEqual(balance(accounts['payable'], shop), D('1065'))
            with self.assertRaises(SettlementError):
                Settlement.compute([settlement])
            with self.assertRaises(SettlementError):
                Fine.create([{'settlement': settlement.id, 'kind': 'lost',
                            'amount': D('10')}])
            # the same period again: refused at confirmation
            again, = Settlement.copy([settlement])
            Settlement.compute([again])
            with self.assertRaises(SettlementError):
                Settlement.confirm([again])

    @with_transaction(context=RU)
    def test_access(self):
        """Owners confirm; accountants compute, send and reconcile but do
        not confirm; operators see nothing"""
        pool = Pool()
        Settlement = pool.get('multipoint.settlement')
        Line = pool.get('multipoint.settlement.line')
        Reconciliation = pool.get('multipoint.settlement.reconciliation')
        Date = pool.get('ir.date')
        company = create_company()
        with set_company(company):
            accounts = setup_accounting(company)
            configure(accounts)
            point = pos_point(company, 'MSK1', accounts)
            shop = supplier("Лавка")
            create_account(company, shop, {point: 'L1'})
            today = Date.today()
            owner = create_user('owner1', ['owner'], [point], company)
            accountant = create_user('buh1', ['accountant'], [point],
                company)
            operator = create_user('oper1', ['operator'], [point], company)
            settlement, = Settlement.create([{
                        'company': company.id, 'supplier': shop.id,
                        'period_start': today, 'period_end': today}])
            XLSX = pool.get('multipoint.settlement.xlsx', type='report')
            transaction = Transaction()
            with transaction.set_user(operator.id), check_access():
                with self.assertRaises(AccessError):
                    Settlement.search([])
                with self.assertRaises(AccessError):
                    Line.search([])
                with self.assertRaises(AccessError):
                    XLSX.execute([settlement.id], {})
                with self.assertRaises(AccessError):
                    Reconciliation.search([])
            with transaction.set_user(accountant.id), check_access():
                self.assertEqual(Settlement.search([]), [settlement])
                Settlement.compute([settlement])
                with self.assertRaises(AccessButtonError):
                    Settlement.confirm([settlement])
            with transaction.set_user(owner.id), check_access():
                Settlement.confirm([settlement])
            with transaction.set_user(accountant.id), check_access():
                Settlement.send([settlement])
                ext, data, _, _ = XLSX.execute([settlement.id], {})
                self.assertEqual(ext, 'xlsx')
            self.assertEqual(Settlement(settlement.id).state, 'sent')
            self.assertEqual(Settlement(settlement.id).confirmed_by, owner)


del DBTestCase
