"""Small builders of the benchmarks and fault checks (scripts/bench_*.py),
through the models: a company in roubles, a point with a few cells, a
supplier with its terms (and an INN for receipts), a point of sale, a
supplier account. Call them inside a transaction, the data ones within
set_company(company).

The module tests have builders of their own (multipoint_*/tests): the
scripts do not import test packages, and the tests do not import the
scripts (not installed, not on the path of a module's test run)."""
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


def create_point(company, code, name=None, timezone='Europe/Moscow',
        cells=(('A-1', 'm', 2), ('A-2', 's', 2), ('B-1', 'l', 5))):
    """An active point with one zone, one rack and cells given as
    (barcode, size class, capacity)"""
    from trytond.pool import Pool
    pool = Pool()
    Point = pool.get('multipoint.point')
    Location = pool.get('stock.location')
    point, = Point.create([{
                'code': code,
                'name': name or f"Point {code}",
                'company': company.id,
                'address': f"ул. Тестовая, {code}",
                'timezone': timezone,
                }])
    Point.activate([point])
    zone, = Location.create([{
                'name': "Zone A", 'type': 'storage', 'storage_kind': 'zone',
                'parent': point.storage_location.id,
                }])
    rack, = Location.create([{
                'name': "Rack 1", 'type': 'storage', 'storage_kind': 'rack',
                'parent': zone.id,
                }])
    Location.create([{
                'name': barcode, 'type': 'storage', 'storage_kind': 'cell',
                'parent': rack.id, 'barcode': barcode, 'size_class': size,
                'capacity': capacity,
                } for barcode, size, capacity in cells])
    return point


def create_supplier(name, **terms):
    "A supplier (a party) with its terms"
    from trytond.pool import Pool
    pool = Pool()
    Party = pool.get('party.party')
    Terms = pool.get('multipoint.supplier.terms')
    supplier, = Party.create([{'name': name}])
    Terms.create([dict({'supplier': supplier.id}, **terms)])
    return supplier


def supplier_with_inn(name, **terms):
    """A supplier with its terms (7 days of storage, 7 of extension unless
    given) and a valid INN made from its name (receipts print it)"""
    from trytond.pool import Pool
    Party = Pool().get('party.party')
    values = {'storage_days': 7, 'max_extension_days': 7}
    values.update(terms)
    party = create_supplier(name, **values)
    base = '77%07d' % (zlib.crc32(name.encode()) % 10 ** 7)
    Party.write([party], {'identifiers': [('create', [{
                        'type': 'ru_vat', 'code': inn10(base)}])]})
    return Party(party.id)


def pos_point(company, code, accounts, **values):
    "An active point with cells and its point of sale"
    from trytond.pool import Pool
    Point = Pool().get('multipoint.point')
    point = create_point(company, code, **values)
    Point.setup_pos([point], accounts)
    return Point(point.id)


def create_account(company, supplier, points, connector='file', **values):
    "An account of supplier serving points given as {point: code}"
    from trytond.pool import Pool
    Account = Pool().get('multipoint.supplier.account')
    account, = Account.create([dict({
                    'name': f"{supplier.name} ({connector})",
                    'company': company.id,
                    'supplier': supplier.id,
                    'connector': connector,
                    'points': [('create', [
                                {'point': p.id, 'supplier_code': code}
                                for p, code in points.items()])],
                    }, **values)])
    return account
