"""Builders of a network's first records through the models: a point with
its storage layout, a supplier with its terms.

Shared by the module test suites and the benchmark scripts (scripts/demo/
fixtures.py), which import no test package; the module itself does not
import this file."""
from trytond.pool import Pool


def create_point(company, code, name=None, timezone='Europe/Moscow',
        cells=(('A-1', 'm', 2), ('A-2', 's', 2), ('B-1', 'l', 5))):
    """An active point with one zone, one rack and cells given as
    (barcode, size class, capacity)"""
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
    pool = Pool()
    Party = pool.get('party.party')
    Terms = pool.get('multipoint.supplier.terms')
    supplier, = Party.create([{'name': name}])
    if terms is not None:
        Terms.create([dict({'supplier': supplier.id}, **terms)])
    return supplier
