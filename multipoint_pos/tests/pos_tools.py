"Fixtures of the workplace tests: accounting, points of sale, shifts"
import socket
import zlib
from contextlib import contextmanager
from decimal import Decimal

from trytond.modules.account.tests import create_chart
from trytond.modules.multipoint_core.tests.tools import (
    accept_and_store, create_parcel, create_point, create_supplier)
from trytond.modules.multipoint_pos.pos import create_minimal_chart
from trytond import config
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
    # the network's company keeps Moscow time, as the demo's does: its
    # sales are dated on the day its Moscow points see
    company.timezone = 'Europe/Moscow'
    company.save()
    today = pool.get('ir.date').today()
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


def inn_for(name):
    "A valid 10-digit INN made from a name (the check digit computed)"
    digits = [int(d) for d in '77%07d' % (zlib.crc32(name.encode()) % 10 ** 7)]
    weights = [2, 4, 10, 3, 5, 9, 4, 6, 8]
    check = sum(w * d for w, d in zip(weights, digits)) % 11 % 10
    return ''.join(map(str, digits)) + str(check)


def supplier(name, **terms):
    "A supplier with its terms, its INN and phone (receipts need them)"
    Party = Pool().get('party.party')
    values = {'storage_days': 7, 'max_extension_days': 7}
    values.update(terms)
    party = create_supplier(name, **values)
    Party.write([party], {
            'identifiers': [('create', [{
                            'type': 'ru_vat', 'code': inn_for(name)}])],
            'contact_mechanisms': [('create', [{
                            'type': 'phone', 'value': '+74951234567'}])],
            })
    return Party(party.id)


@contextmanager
def settings(section, **options):
    "Set the options of a configuration section, restore it afterwards"
    saved = ({k: config.get(section, k) for k in config.options(section)}
        if config.has_section(section) else None)
    if saved is not None:
        config.remove_section(section)
    config.add_section(section)
    for key, value in options.items():
        config.set(section, key, str(value))
    config.update_etc([])  # reads nothing; clears the cached values
    try:
        yield
    finally:
        config.remove_section(section)
        if saved is not None:
            config.add_section(section)
            for key, value in saved.items():
                config.set(section, key, value)
        config.update_etc([])


def fiscalize(result):
    """Send the receipts of an issue_with_payment result to the configured
    register (as the route does after its commit); returns the sales"""
    pool = Pool()
    Receipt = pool.get('multipoint.receipt')
    Sale = pool.get('sale.point.sale')
    Receipt.send(result['receipts'])
    return Sale.browse(result['sales'])


def free_port():
    "A port nothing listens on (connection refused)"
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]
