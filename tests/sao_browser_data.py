"""Data of the sao browser test (tests/test_sao_browser.py), written through
the ORM into the database a real trytond serves: the operator screen's
data (multipoint_pos browser_data: a company with its accounts, the point
MSK1, two parcels, the operator op_msk, a task) plus a user per role, a
reception, a settlement and a ticket, so that every main list has a first
record to open.

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
    from trytond.modules.multipoint_core.tests.tools import create_user
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
    return {'users': list(ROLES), 'password': PASSWORD,
        'amount': str(Decimal(0))}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('-c', dest='config', required=True)
    parser.add_argument('-d', dest='database', required=True)
    args = parser.parse_args()

    from trytond import config
    config.update_etc(args.config)
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    Pool.start()
    pool = Pool(args.database)
    pool.init()
    with Transaction().start(args.database, 0, context={'language': 'ru'}):
        result = setup()
        Transaction().commit()
    print(json.dumps(result, ensure_ascii=False))


if __name__ == '__main__':
    main()
