"""Status report files for suppliers without an API: every subscribed event
in exactly one report, made on demand or by the cron, readable by owners
and managers only"""
import csv
import io
from decimal import Decimal

from trytond.model.exceptions import AccessButtonError, AccessError
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.multipoint_core.tests.tools import (
    DBTestCase, create_user)
from trytond.modules.multipoint_pos.tests.pos_tools import (
    pos_point, settings, setup_accounting, stored_parcel, supplier)
from trytond.modules.multipoint_suppliers.tests.tools import create_account
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction, check_access

D = Decimal
RU = {'language': 'ru'}


def read_csv(data):
    text = data.decode('utf-8')
    assert text.startswith('\ufeff'), text[:10]
    return list(csv.reader(io.StringIO(text[1:]), delimiter=';'))


class StatusReportTestCase(DBTestCase):
    module = 'multipoint_suppliers'
    language = 'ru'

    @with_transaction(context=RU)
    def test_each_event_in_exactly_one_report(self):
        "Pending events go into one file each; the next report has the rest"
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        Account = pool.get('multipoint.supplier.account')
        Outbox = pool.get('multipoint.supplier.outbox')
        Report = pool.get('multipoint.supplier.status.report')
        Session = pool.get('sale.point.cash.session')
        Queue = pool.get('ir.queue')
        company = create_company()
        with set_company(company), settings('multipoint_fiscal',
                driver='demo'):
            accounts = setup_accounting(company)
            point = pos_point(company, 'REP1', accounts)
            shop = supplier("Лавка", partial_buyout=True)
            account = create_account(company, shop, {point: 'L-1'})
            shoes, code = stored_parcel(point, shop, 'L-100',
                [("Кроссовки", 1, '1500')], delivery_fee=D('199'))
            pair, pair_code = stored_parcel(point, shop, 'L-101',
                [("Шапка", 1, '900'), ("Перчатки", 1, '600')],
                delivery_fee=D('0'))
            # no sender is queued for a file account
            self.assertFalse(Queue.search([
                        ('name', '=', 'supplier_outbox')]))

            first, = Report.export([account])
            self.assertEqual(first.event_count, 2)
            table = read_csv(first.file)
            self.assertEqual(table[0][:3],
                ["Номер заказа", "Событие", "Дата и время (UTC)"])
            self.assertEqual([(r[0], r[1], r[3]) for r in table[1:]],
                [('L-100', "Принята", 'L-1'), ('L-101', "Принята", 'L-1')])
            self.assertEqual(Report.export([account]), [])

            Session.open_shift(point, D('0'))
            Parcel.issue_with_payment([shoes, pair], point,
                {shoes: ('code', code), pair: ('code', pair_code)},
                [{'method': 'card', 'amount': D('1000')},
                    {'method': 'cash', 'amount': D('1599')}],
                refused={pair.lines[1]: 1})
            # the nightly cron makes the second report
            Account.export_status_reports_due()
            second, = Report.search([('id', '!=', first.id)])
            table = read_csv(second.file)
            self.assertEqual([row[:2] + row[4:7] for row in table[1:]], [
                    ['L-100', "Выдана", '1699.00',
                        "Карта 1000.00, Наличные 699.00", ''],
                    ['L-101', "Выдана частично", '900.00', "Наличные 900.00",
                        'Шапка: 1/1; Перчатки: 0/1'],
                    ])
            rows = Outbox.search([('account', '=', account.id)])
            self.assertEqual(len(rows), 4)
            self.assertTrue(all(r.state == 'sent' and r.status_report
                    for r in rows))
            keys = [row[8] for r in (first, second)
                for row in read_csv(r.file)[1:]]
            self.assertEqual(sorted(keys),
                sorted(r.idempotency_key for r in rows))

    @with_transaction(context=RU)
    def test_reports_of_owners_and_managers_only(self):
        "Managers read reports and make them; operators neither"
        pool = Pool()
        Account = pool.get('multipoint.supplier.account')
        Report = pool.get('multipoint.supplier.status.report')
        company = create_company()
        with set_company(company), settings('multipoint_fiscal',
                driver='demo'):
            accounts = setup_accounting(company)
            point = pos_point(company, 'REP2', accounts)
            shop = supplier("Лавка 2")
            account = create_account(company, shop, {point: 'L-2'})
            stored_parcel(point, shop, 'L-200', [("Книга", 1, '500')])
            manager = create_user('rep_manager', ['staff_manager'],
                company=company)
            operator = create_user('rep_operator', ['operator'], [point],
                company=company)
            transaction = Transaction()
            with transaction.set_user(manager.id), check_access():
                Account.export_status_report([Account(account.id)])
                report, = Report.search([])
                self.assertEqual(report.event_count, 1)
            with transaction.set_user(operator.id), check_access():
                with self.assertRaises(AccessError):
                    Report.search([])
                with self.assertRaises(AccessButtonError):
                    Account.export_status_report([Account(account.id)])
