"""Data of the browser test of the operator screen, written through the ORM
into a database served by a real trytond.

    python -m trytond.modules.multipoint_pos.tests.browser_data \\
        -c trytond.conf -d DATABASE setup
    python -m trytond.modules.multipoint_pos.tests.browser_data \\
        -c trytond.conf -d DATABASE codes ORDER [ORDER ...]

setup prints the ids as JSON; codes makes new issue codes for the parcels of
the orders (as a re-sent SMS does) and prints {order: code}.
"""
import argparse
import datetime as dt
import json
from decimal import Decimal

D = Decimal


def setup():
    from trytond.modules.company.tests import create_company, set_company
    from trytond.modules.multipoint_core.tests.tools import (
        create_parcel, create_user)
    from trytond.modules.multipoint_pos.tests.pos_tools import (
        pos_point, setup_accounting, supplier)
    from trytond.pool import Pool
    Point = Pool().get('multipoint.point')
    company = create_company()
    with set_company(company):
        accounts = setup_accounting(company)
        point = pos_point(company, 'MSK1', accounts)
        Point.write([point], {'name': "Москва, Тверская 1"})
        runcrm = supplier("runCRM", partial_buyout=True,
            delivery_fee_rule='below_threshold',
            free_delivery_threshold=D('2000'),
            standard_delivery_fee=D('250'))
        hermes = supplier("Hermes")
        create_parcel(point, hermes, 'H-1', ['HB-1'],
            cod_amount=D('1500'), delivery_fee=D('199'),
            lines=[('create', [{'name': "Кроссовки", 'quantity': 1,
                            'unit_price': D('1500')}])])
        create_parcel(point, runcrm, 'R-1', ['RB-1'],
            cod_amount=D('3000'), delivery_fee=D(0),
            lines=[('create', [
                        {'name': "Платье", 'quantity': 1,
                            'unit_price': D('1500')},
                        {'name': "Юбка", 'quantity': 1,
                            'unit_price': D('1500')}])])
        # refused whole at the desk: the terms charge the delivery then
        dpd = supplier("DPD", delivery_fee_on_full_refusal=True)
        create_parcel(point, dpd, 'D-1', ['DB-1'],
            cod_amount=D('2000'), delivery_fee=D('300'),
            lines=[('create', [{'name': "Куртка", 'quantity': 1,
                            'unit_price': D('2000')}])])
        create_user('op_msk', ['operator'], [point], company)
        task = today_task(point)
    return {'point': point.id, 'cells': ['A-1', 'A-2', 'B-1'],
        'task': task.id}


def today_task(point):
    "The weekly cash collection, due at 18:00 today at the point"
    from trytond.modules.multipoint_tickets.recurrence import to_utc
    from trytond.pool import Pool
    Task = Pool().get('multipoint.task')
    due = to_utc(dt.datetime.combine(point.local_date(), dt.time(18)),
        point.tzinfo)
    task, = Task.create([{'title': "Инкассация", 'point': point.id,
                'due': due, 'recurrence': 'weekly',
                'notes': "Сдать выручку инкассатору"}])
    return task


def codes(orders):
    from trytond.pool import Pool
    Parcel = Pool().get('multipoint.parcel')
    parcels = Parcel.search([('order_number', 'in', orders)])
    return {p.order_number: c
        for p, c in Parcel.generate_codes(parcels).items()}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('-c', dest='config', required=True)
    parser.add_argument('-d', dest='database', required=True)
    parser.add_argument('command', choices=['setup', 'codes'])
    parser.add_argument('orders', nargs='*')
    args = parser.parse_args()

    from trytond import config
    config.update_etc(args.config)
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    Pool.start()
    pool = Pool(args.database)
    pool.init()
    with Transaction().start(args.database, 0, context={'language': 'ru'}):
        if args.command == 'setup':
            result = setup()
        else:
            result = codes(args.orders)
        Transaction().commit()
    print(json.dumps(result, ensure_ascii=False))


if __name__ == '__main__':
    main()
