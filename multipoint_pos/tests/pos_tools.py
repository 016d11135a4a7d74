"Fixtures of the workplace tests: accounting, points of sale, shifts"
import datetime
from decimal import Decimal

from trytond.modules.account.tests import create_chart
from trytond.modules.multipoint_core.tests.tools import (
    accept_and_store, create_parcel, create_point, create_supplier)
from trytond.modules.multipoint_pos.pos import create_minimal_chart
from trytond.pool import Pool


def setup_accounting(company, chart=False):
    """A chart of accounts and a fiscal year of the current year with its
    periods; returns the accounts by kind ('cash', 'payable', ...). The
    minimal Russian chart of the module by default, Tryton's test chart
    (English databases only) with chart=True. Call within
    set_company(company)."""
    pool = Pool()
    FiscalYear = pool.get('account.fiscalyear')
    Account = pool.get('account.account')
    Sequence = pool.get('ir.sequence.strict')
    ModelData = pool.get('ir.model.data')
    if chart:
        create_chart(company)
        cash, = Account.search([
                ('company', '=', company.id), ('code', '=', '1.1.1')])
        accounts = {'cash': cash}
    else:
        accounts = create_minimal_chart(company)
    today = datetime.date.today()
    sequence, = Sequence.create([{
                'name': str(today.year),
                'sequence_type': ModelData.get_id(
                    'account', 'sequence_type_account_move'),
                'company': company.id,
                }])
    fiscalyear, = FiscalYear.create([{
                'name': str(today.year),
                'company': company.id,
                'start_date': today.replace(month=1, day=1),
                'end_date': today.replace(month=12, day=31),
                'move_sequence': sequence.id,
                }])
    FiscalYear.create_period([fiscalyear])
    return accounts


def pos_point(company, code, accounts, **values):
    "An active pickup point with cells and its point of sale"
    Point = Pool().get('multipoint.point')
    point = create_point(company, code, **values)
    Point.setup_pos([point], accounts)
    return Point(point.id)


def stored_parcel(point, supplier, order_number, lines=None, **values):
    """A parcel accepted and stored in a cell, with a known issue code;
    lines: [(name, quantity, unit price)], the COD amount their sum unless
    given. Returns (parcel, code)."""
    Parcel = Pool().get('multipoint.parcel')
    if lines is not None:
        values.setdefault('cod_amount', sum(
                (Decimal(q) * Decimal(p) for _, q, p in lines), Decimal(0)))
        values['lines'] = [('create', [{
                        'name': name, 'quantity': quantity,
                        'unit_price': Decimal(price), 'refusable': True,
                        'vat_rate': '22',
                        } for name, quantity, price in lines])]
    parcel = create_parcel(point, supplier, order_number, **values)
    accept_and_store([parcel])
    parcel = Parcel(parcel.id)
    code = Parcel.generate_codes([parcel])[parcel]
    return Parcel(parcel.id), code


def supplier(name, **terms):
    values = {'storage_days': 7, 'max_extension_days': 7}
    values.update(terms)
    return create_supplier(name, **values)
