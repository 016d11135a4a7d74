"""Data of the sao browser test (tests/test_sao_browser.py), written through
the ORM into the database a real trytond serves: the operator screen's
data (multipoint_pos browser_data: a company with its accounts, the point
MSK1, three parcels, the operator op_msk, a task) plus a user per role, a
reception, a settlement, a ticket, two supplier's charges (one disputed by
a claim) and a second point KZN1 whose parcels are accepted, stored and
one issued, so that every main list has a first record to open and the
analytics (this month's journal) have two points to draw.

    python tests/sao_browser_data.py -c trytond.conf -d DATABASE
"""
import argparse
import datetime as dt
import json
from decimal import Decimal

PASSWORD = 'operator-pass-2026'  # tools.OPERATOR_PASSWORD
ROLES = {
    'owner': ['owner'],
    'kadry': ['staff_manager'],
    'buh': ['accountant'],
    'otchety': ['reports'],
    'analitik': ['analytics'],
    'op_msk': ['operator'],
    }


def setup():
    from trytond.modules.company.tests import set_company
    from trytond.modules.multipoint_core.tests.tools import (
        accept_and_store, create_parcel, create_point, create_user)
    from trytond.modules.multipoint_pos.tests import browser_data
    from trytond.pool import Pool
    pool = Pool()
    Company = pool.get('company.company')
    Point = pool.get('multipoint.point')
    Parcel = pool.get('multipoint.parcel')
    Reception = pool.get('multipoint.reception')
    Settlement = pool.get('multipoint.settlement')
    Ticket = pool.get('multipoint.ticket')
    Message = pool.get('multipoint.ticket.message')
    Charge = pool.get('multipoint.charge')

    browser_data.setup()  # creates op_msk
    company, = Company.search([], limit=1)
    point, = Point.search([], limit=1)
    with set_company(company):
        for login, groups in ROLES.items():
            if login != 'op_msk':
                create_user(login, groups, [point], company)
        parcel = Parcel.search([], limit=1)[0]
        Reception.create([{'company': company.id, 'point': point.id}])
        today = dt.date.today()
        Settlement.create([{
                    'company': company.id, 'supplier': parcel.supplier.id,
                    'period_start': today.replace(day=1),
                    'period_end': today,
                    }])
        ticket, = Ticket.create([{
                    'title': "Повреждена упаковка", 'type': 'damaged',
                    'point': point.id, 'supplier': parcel.supplier.id,
                    'parcels': [('add', [parcel.id])],
                    }])
        Message.create([{'ticket': ticket.id,
                    'body': "Коробка смята, товар цел."}])
        # the analytics' journal: a second point with parcels accepted,
        # stored and one issued, and MSK1's first parcel on its shelf
        kazan = create_point(company, 'KZN1', "Казань, Баумана 5")
        parcels = [create_parcel(kazan, parcel.supplier, f'K-{n}',
                cod_amount=Decimal(0), delivery_fee=Decimal(0))
            for n in range(1, 4)]
        accept_and_store(parcels)
        Parcel.issue(Parcel.browse(parcels[:1]))
        accept_and_store([parcel])
        # one disputed (its claim), one new: the first tab of the charges
        disputed, _ = Charge.create([{
                    'company': company.id, 'supplier': parcel.supplier.id,
                    'point': point.id, 'parcel': parcel.id, 'kind': kind,
                    'ground': ground, 'amount': Decimal(amount),
                    } for kind, ground, amount in [
                    ('lost', "Отправление утеряно на ПВЗ", '1500'),
                    ('damaged', "Повреждена упаковка", '300')]])
        Charge.dispute([disputed])
    ModelData = pool.get('ir.model.data')
    return {'users': list(ROLES), 'password': PASSWORD,
        'amount': str(Decimal(0)),
        # the dashboard test's entries and the points its network lists
        'menus': {name: ModelData.get_id('multipoint_analytics', name)
            for name in ['menu_board', 'menu_network']},
        'points': sorted(p.rec_name for p in Point.search([])),
        }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('-c', dest='config', required=True)
    parser.add_argument('-d', dest='database', required=True)
    args = parser.parse_args()

    from trytond import config
    config.update_etc(args.config)
    from trytond.pool import Pool
    from trytond.transaction import Transaction, TransactionError
    Pool.start()
    pool = Pool(args.database)
    pool.init()
    # closing a reception locks tables, which trytond asks to take at the
    # start of the transaction: restart it then, as its request handlers do
    extras = {}
    while True:
        with Transaction().start(args.database, 0,
                context={'language': 'ru'}, **extras) as transaction:
            try:
                result = setup()
            except TransactionError as error:
                transaction.rollback()
                error.fix(extras)
                continue
            transaction.commit()
            break
    print(json.dumps(result, ensure_ascii=False))


if __name__ == '__main__':
    main()
