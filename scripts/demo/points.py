"""Three active points (Москва, Казань, Новосибирск) with address, phone,
e-mail, hours and time zone; in the storage of each point's warehouse
zones → racks → cells (stock.location with storage_kind zone/rack/cell)
whose barcodes look like ``A-01-03`` (unique within the point), with a
size class and a capacity"""


POINTS = [
    {
        'code': 'MSK-01',
        'name': "Москва, Профсоюзная",
        'city': "Москва",
        'address': "117292, г. Москва, ул. Профсоюзная, д. 26/44, пом. II",
        'phone': "+7 (495) 120-45-67",
        'email': "msk-01@multipoint.example",
        'opening_hours': "Пн–Пт 09:00–21:00, Сб–Вс 10:00–20:00",
        'timezone': 'Europe/Moscow',
        'payment_methods': ['cash', 'card', 'sbp'],
        'share': 45,
    }, {
        'code': 'KZN-01',
        'name': "Казань, Баумана",
        'city': "Казань",
        'address': "420111, Республика Татарстан, г. Казань, "
        "ул. Баумана, д. 44/8",
        'phone': "+7 (843) 212-33-44",
        'email': "kzn-01@multipoint.example",
        'opening_hours': "Ежедневно 10:00–21:00",
        'timezone': 'Europe/Moscow',
        'payment_methods': ['cash', 'card', 'sbp'],
        'share': 30,
    }, {
        'code': 'NSK-01',
        'name': "Новосибирск, Красный проспект",
        'city': "Новосибирск",
        'address': "630099, г. Новосибирск, Красный проспект, д. 25, "
        "офис 104",
        'phone': "+7 (383) 209-55-10",
        'email': "nsk-01@multipoint.example",
        'opening_hours': "Пн–Сб 10:00–20:00, Вс 11:00–18:00",
        'timezone': 'Asia/Novosibirsk',
        'payment_methods': ['cash', 'card'],
        'share': 25,
    }]

# (size class, capacity) of the six cells of a rack, per zone
ZONES = {
    'A': ("Зона A — мелкие отправления",
        [('xs', 10), ('s', 8), ('s', 8), ('m', 6), ('m', 6), ('l', 4)]),
    'B': ("Зона B — крупные отправления",
        [('m', 6), ('m', 6), ('l', 4), ('l', 4), ('xl', 2), ('xxl', 1)]),
    'C': ("Зона C — мелкие отправления",
        [('xs', 10), ('s', 8), ('s', 8), ('m', 6), ('m', 6), ('l', 4)]),
    'D': ("Зона D — крупные отправления",
        [('m', 6), ('m', 6), ('l', 4), ('l', 4), ('xl', 2), ('xxl', 1)]),
    }
SIZE_ORDER = ['xs', 's', 'm', 'l', 'xl', 'xxl']


def create_points(gen, company, large):
    pool = gen.pool
    Point = pool.get('multipoint.point')
    Location = pool.get('stock.location')
    zones = ['A', 'B', 'C', 'D'] if large else ['A', 'B']
    racks = 8 if large else 4
    points = Point.create([{
                'code': p['code'],
                'name': p['name'],
                'company': company.id,
                'city': p['city'],
                'address': p['address'],
                'phone': p['phone'],
                'email': p['email'],
                'opening_hours': p['opening_hours'],
                'timezone': p['timezone'],
                'payment_methods': p['payment_methods'],
                } for p in POINTS])
    Point.activate(points)
    for point in points:
        storage = point.storage_location
        zone_records = Location.create([{
                    'name': ZONES[z][0],
                    'code': f'{point.code}-{z}',
                    'type': 'storage',
                    'storage_kind': 'zone',
                    'parent': storage.id,
                    } for z in zones])
        rack_values = []
        for z, zone in zip(zones, zone_records):
            for r in range(1, racks + 1):
                rack_values.append({
                        'name': f"Стеллаж {z}-{r:02d}",
                        'code': f'{point.code}-{z}-{r:02d}',
                        'type': 'storage',
                        'storage_kind': 'rack',
                        'parent': zone.id,
                        })
        rack_records = Location.create(rack_values)
        cell_values = []
        for values, rack in zip(rack_values, rack_records):
            z, r = values['code'].rsplit('-', 2)[-2:]
            for c, (size, capacity) in enumerate(ZONES[z][1], 1):
                barcode = f'{z}-{r}-{c:02d}'
                cell_values.append({
                        'name': f"Ячейка {barcode}",
                        'code': f'{point.code}-{barcode}',
                        'type': 'storage',
                        'storage_kind': 'cell',
                        'parent': rack.id,
                        'barcode': barcode,
                        'size_class': size,
                        'capacity': capacity,
                        })
        Location.create(cell_values)
    return {p.code: p for p in points}
