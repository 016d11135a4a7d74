"""Fixtures of the settlement tests: a supplier's month at two points,
through the real desk (issue with payment, partial buyout, refusal,
customer return and refund, a lost parcel), and reports as suppliers
send them"""
import csv
import datetime as dt
import io
from decimal import Decimal

from trytond.modules.multipoint_pos.tests.pos_tools import (
    fiscalize, pos_point, setup_accounting, stored_parcel, supplier)
from trytond.pool import Pool
from trytond.transaction import Transaction

D = Decimal
CENT = D('0.01')
# the supplier's words for our statuses in its own report
THEIR_STATUS = {
    'issued': "Выдан",
    'partially_issued': "Частичный выкуп",
    'refused': "Отказ",
    'returned': "Возврат",
    'lost': "Утерян",
    }


def pay(method, amount):
    return {'method': method, 'amount': D(amount)}


def set_event_date(parcels, moment):
    """Move the issue / refusal / loss events of parcels to moment (UTC),
    as if they had happened then"""
    Event = Pool().get('multipoint.parcel.event')
    event = Event.__table__()
    cursor = Transaction().connection.cursor()
    cursor.execute(*event.update([event.date], [moment],
            where=event.parcel.in_([p.id for p in parcels])
            & (event.kind == 'state')
            & event.to_state.in_(
                ['issued', 'partially_issued', 'refused', 'lost'])))


def configure(accounts):
    "The settlement configuration of the minimal chart"
    Config = Pool().get('multipoint.settlement.configuration')
    config = Config(1)
    config.commission_account = accounts['revenue']
    config.fine_account = accounts['expense']
    config.save()


class Month:
    """A month of the supplier Гермес at MSK1 (percent 2 %) and NSK1 (tiers
    by COD: 30 ₽ below 1,000, 45 ₽ from it), in different time zones.

    expected: {order number: dict(status, point, cash, card, sbp,
    refunded, refused, commission, fine)} written from the desk
    operations themselves, not from the settlement"""

    def __init__(self, company):
        pool = Pool()
        Terms = pool.get('multipoint.supplier.terms')
        Party = pool.get('party.party')
        Session = pool.get('sale.point.cash.session')
        self.company = company
        self.accounts = setup_accounting(company)
        configure(self.accounts)
        self.msk = pos_point(company, 'MSK1', self.accounts)
        self.nsk = pos_point(company, 'NSK1', self.accounts,
            timezone='Asia/Novosibirsk')
        self.supplier = supplier("Гермес", partial_buyout=True,
            delivery_fee_rule='always', delivery_fee_on_full_refusal=True,
            customer_return_days=14, commission_rule='percent',
            commission_percent=D('2.00'),
            fines=[('create', [{'kind': 'lost', 'amount': D('1500')}])])
        Terms.create([{
                    'supplier': self.supplier.id, 'point': self.nsk.id,
                    'storage_days': 7, 'max_extension_days': 7,
                    'partial_buyout': True, 'commission_rule': 'tiers',
                    'commission_tiers': [('create', [
                                {'from_amount': D(0), 'amount': D('30')},
                                {'from_amount': D(1000),
                                    'amount': D('45')}])],
                    }])
        Party.write([self.supplier], {
                'account_payable': self.accounts['payable'].id,
                'account_receivable': self.accounts['receivable'].id,
                })
        self.other = supplier("Другой поставщик")
        for point in [self.msk, self.nsk]:
            Session.open_shift(point, D('0'))
        self.expected = {}
        self.sales = []
        self.parcels = {}
        # the company's day (Moscow), as its sales are dated
        self.today = pool.get('ir.date').today()
        self.start = self.today - dt.timedelta(days=30)

    def at(self, days_ago, hour=10):
        "A UTC moment days ago"
        return dt.datetime.combine(
            self.today - dt.timedelta(days=days_ago), dt.time(hour))

    def expect(self, number, point, status, commission=D(0), **amounts):
        values = dict.fromkeys(
            ['cash', 'card', 'sbp', 'refunded', 'refused', 'fine'], D(0))
        values.update({k: D(v) for k, v in amounts.items()})
        values.update(status=status, point=point.code,
            commission=D(commission))
        self.expected[number] = values

    def parcel(self, point, number, lines, supplier=None, **values):
        values.setdefault('delivery_fee', D('199'))
        parcel, code = stored_parcel(point, supplier or self.supplier,
            number, lines, **values)
        self.parcels[number] = parcel
        return parcel, code

    def issue(self, point, parcels, payments, refused=None,
            refused_whole=None):
        Parcel = Pool().get('multipoint.parcel')
        result = Parcel.issue_with_payment(
            [p for p, _ in parcels], point,
            {p: ('code', c) for p, c in parcels}, payments,
            refused=refused, refused_whole=refused_whole)
        self.sales += fiscalize(result)
        return result

    def build(self):
        "The desk's month; returns self"
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        Return = pool.get('multipoint.customer.return')
        Receipt = pool.get('multipoint.receipt')
        msk, nsk = self.msk, self.nsk

        def pct(amount):
            return (D(amount) * 2 / 100).quantize(CENT)

        # M-1..M-6: one parcel, one method each
        for i, method in enumerate(
                ['cash', 'card', 'sbp', 'cash', 'card', 'sbp'], 1):
            goods = 1000 + 100 * i
            parcel = self.parcel(msk, f'M-{i}', [("Товар", 1, goods)])
            self.issue(msk, [parcel], [pay(method, goods + 199)])
            set_event_date([parcel[0]], self.at(28 - 3 * i))
            self.expect(f'M-{i}', msk, 'issued', pct(goods),
                **{method: goods + 199})
        # M-7 and M-8 paid together by card then cash: the card covers
        # M-7 (1,699) and 301 of M-8, the cash the rest of M-8 (1,698)
        m7 = self.parcel(msk, 'M-7', [("Кроссовки", 1, 1500)])
        m8 = self.parcel(msk, 'M-8', [("Платье", 1, 1800)])
        self.issue(msk, [m7, m8], [pay('card', 2000), pay('cash', 1698)])
        set_event_date([m7[0], m8[0]], self.at(6))
        self.expect('M-7', msk, 'issued', pct(1500), card=1699)
        self.expect('M-8', msk, 'issued', pct(1800), card=301, cash=1698)
        # M-9: partial buyout, the scarf refused; the fee stays (always)
        m9 = self.parcel(msk, 'M-9',
            [("Куртка", 1, 3000), ("Шарф", 1, 500)])
        self.issue(msk, [m9], [pay('card', 3199)],
            refused={m9[0].lines[1]: 1})
        set_event_date([m9[0]], self.at(5))
        self.expect('M-9', msk, 'partially_issued', pct(3000), card=3199,
            refused=500)
        # M-10: refused at the desk, the delivery fee taken in cash
        m10 = self.parcel(msk, 'M-10', [("Ботинки", 1, 2500)])
        self.issue(msk, [], [pay('cash', 199)],
            refused_whole={m10[0]: "Не подошёл размер"})
        set_event_date([m10[0]], self.at(4))
        self.expect('M-10', msk, 'refused', cash=199, refused=2500)
        # M-11: prepaid, nothing to pay; no commission on no COD
        m11 = self.parcel(msk, 'M-11', [("Книга", 1, 700)], prepaid=True,
            delivery_fee=D(0))
        self.issue(msk, [m11], [])
        set_event_date([m11[0]], self.at(3))
        self.expect('M-11', msk, 'issued')
        # M-12: issued, then two of three cups brought back and refunded
        m12 = self.parcel(msk, 'M-12', [("Чашка", 3, 400)])
        self.issue(msk, [m12], [pay('sbp', 1399)])
        set_event_date([m12[0]], self.at(2))
        customer_return, = Return.create([{
                    'parcel': m12[0].id, 'reason': "Скол",
                    'lines': [('create', [{
                                    'line': m12[0].lines[0].id,
                                    'quantity': 2}])],
                    }])
        refund, = Return.refund([customer_return])
        Receipt.send(refund.receipts)
        self.sales.append(refund)
        self.expect('M-12', msk, 'issued', pct(1200), sbp=1399,
            refunded=800)
        # M-13: lost at the point: the terms' fine
        m13, _ = self.parcel(msk, 'M-13', [("Телефон", 1, 9000)])
        Parcel.mark_lost([m13])
        set_event_date([m13], self.at(1))
        self.expect('M-13', msk, 'lost', fine=1500)
        # M-14: issued before the period; another supplier's parcel
        m14 = self.parcel(msk, 'M-14', [("Лампа", 1, 900)])
        self.issue(msk, [m14], [pay('cash', 1099)])
        set_event_date([m14[0]], self.at(40))
        foreign = self.parcel(msk, 'X-1', [("Чай", 1, 300)],
            supplier=self.other)
        self.issue(msk, [foreign], [pay('cash', 499)])

        # NSK1, tiers by COD
        for i, (method, goods) in enumerate(
                [('cash', 800), ('card', 1200), ('sbp', 999),
                    ('card', 5000)], 1):
            parcel = self.parcel(nsk, f'N-{i}', [("Товар", 1, goods)])
            self.issue(nsk, [parcel], [pay(method, goods + 199)])
            set_event_date([parcel[0]], self.at(20 - 4 * i))
            self.expect(f'N-{i}', nsk, 'issued',
                30 if goods < 1000 else 45, **{method: goods + 199})
        # N-5 at 01:00 in Novosibirsk on the first day of the period (the
        # evening before in UTC and in Moscow): in the period
        n5 = self.parcel(nsk, 'N-5', [("Игрушка", 1, 600)])
        self.issue(nsk, [n5], [pay('cash', 799)])
        first = dt.datetime.combine(self.start, dt.time(1))
        set_event_date([n5[0]], first - dt.timedelta(hours=7))
        self.expect('N-5', nsk, 'issued', 30, cash=799)
        # N-6 at 23:30 in Novosibirsk the day before: out of the period
        n6 = self.parcel(nsk, 'N-6', [("Игрушка", 1, 600)])
        self.issue(nsk, [n6], [pay('cash', 799)])
        set_event_date([n6[0]], first - dt.timedelta(hours=8, minutes=30))
        return self

    def net(self, values):
        collected = values['cash'] + values['card'] + values['sbp']
        return (collected - values['refunded'] - values['commission']
            + values['fine'])

    def settlement(self, point=None):
        Settlement = Pool().get('multipoint.settlement')
        settlement, = Settlement.create([{
                    'company': self.company.id,
                    'supplier': self.supplier.id,
                    'point': point.id if point else None,
                    'period_start': self.start,
                    'period_end': self.today,
                    }])
        return settlement


def report_csv(rows, headers=("Номер заказа", "Статус", "Получено",
            "Вознаграждение"), delimiter=';', encoding='utf-8'):
    "A supplier's report as CSV bytes"
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator='\r\n')
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def report_xlsx(rows, headers=("Номер заказа", "Статус", "Получено",
            "Вознаграждение")):
    "A supplier's report as XLSX bytes, amounts as numbers"
    import xlsxwriter
    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(out, {'in_memory': True})
    sheet = workbook.add_worksheet("Отчёт")
    sheet.write_row(0, 0, headers)
    for r, row in enumerate(rows, 1):
        for c, value in enumerate(row):
            if isinstance(value, Decimal):
                sheet.write_number(r, c, float(value))
            else:
                sheet.write(r, c, value)
    workbook.close()
    return out.getvalue()


def their_rows(lines):
    """The supplier's report of our lines as it would be without any
    difference: [order, status, amount, commission]"""
    return [[l.order_number, THEIR_STATUS[l.status], l.amount,
            l.commission] for l in lines]


def pdf_text(data):
    "The text of a PDF, NBSP as plain spaces"
    import pypdf
    reader = pypdf.PdfReader(io.BytesIO(data))
    return [page.extract_text().replace('\u00a0', ' ')
        for page in reader.pages]
