"""Small builders of the benchmarks and fault checks (scripts/bench_*.py),
through the models: a company in roubles, a point with a few cells, a
supplier with its terms (and an INN for receipts), a point of sale, a
supplier account. Call them inside a transaction, the data ones within
set_company(company).

The point, supplier and account builders are the modules' own builders.py,
which the module tests use too (the scripts import no test package),
imported when called: trytond reads its configuration first."""
import zlib
from contextlib import contextmanager

from .accounting import setup_accounting
from .common import inn10
from .company import rouble

__all__ = ['create_company', 'set_company', 'create_point',
    'create_supplier', 'supplier_with_inn', 'pos_point', 'setup_accounting',
    'create_account']


def create_company(name="Компания (бенчмарк)"):
    "A company in roubles keeping Moscow time"
    from trytond.pool import Pool
    pool = Pool()
    Party = pool.get('party.party')
    Company = pool.get('company.company')
    party, = Party.create([{'name': name, 'addresses': [('create', [{}])]}])
    company, = Company.create([{
                'party': party.id,
                'currency': rouble(pool).id,
                'timezone': 'Europe/Moscow',
                }])
    return company


@contextmanager
def set_company(company):
    "The transaction's user works for company, in its context"
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    User = Pool().get('res.user')
    User.write([User(Transaction().user)], {
            'companies': [('add', [company.id])],
            'company': company.id,
            })
    with Transaction().set_context(
            User.get_preferences(context_only=True)):
        yield


def supplier_with_inn(name, **terms):
    """A supplier with its terms (7 days of storage, 7 of extension unless
    given) and a valid INN made from its name (receipts print it)"""
    from trytond.pool import Pool
    Party = Pool().get('party.party')
    values = {'storage_days': 7, 'max_extension_days': 7}
    values.update(terms)
    party = create_supplier(name, **values)
    base = '77%07d' % (zlib.crc32(name.encode()) % 10 ** 7)
    Party.write([party], {
            'identifiers': [('create', [{
                            'type': 'ru_vat', 'code': inn10(base)}])],
            # tag 1171: an agent receipt carries the supplier's phone
            'contact_mechanisms': [('create', [{
                            'type': 'phone', 'value': '+74950000000'}])],
            })
    return Party(party.id)


def pos_point(company, code, accounts, **values):
    "An active point with cells and its point of sale"
    from trytond.pool import Pool
    Point = Pool().get('multipoint.point')
    point = create_point(company, code, **values)
    Point.setup_pos([point], accounts)
    return Point(point.id)


def create_point(company, code, **values):
    "An active point with a zone, a rack and cells (multipoint_core)"
    from trytond.modules.multipoint_core.builders import create_point
    return create_point(company, code, **values)


def create_supplier(name, **terms):
    "A supplier (a party) with its terms (multipoint_core)"
    from trytond.modules.multipoint_core.builders import create_supplier
    return create_supplier(name, **terms)


def create_account(company, supplier, points, connector='file', **values):
    "An account of supplier serving points {point: code} (suppliers)"
    from trytond.modules.multipoint_suppliers.builders import create_account
    return create_account(
        company, supplier, points, connector=connector, **values)
