"""Parcel values as given to Parcel.create: Russian recipients, order
numbers and box barcodes in each supplier's own format, 1–3 places, 1–4
items (VAT 22 % mostly), COD or prepaid, delivery fee, declared value,
weight and size"""
from collections import defaultdict
from decimal import Decimal

from .common import CENT, _digits
from .history import PlannedHistory
from .people import People
from .points import POINTS, SIZE_ORDER
from .suppliers import SUPPLIERS


# name, price range in roubles, VAT, weight kg, size class
ITEMS = {
    'clothes': [
        ("Футболка хлопковая, белая, р. 48", 590, 1490, '22', 0.25, 'xs'),
        ("Джинсы женские прямые, р. 44", 1990, 4990, '22', 0.7, 's'),
        ("Кроссовки беговые, р. 42", 3490, 8990, '22', 1.1, 'm'),
        ("Куртка демисезонная, р. 50", 4990, 12990, '22', 1.3, 'm'),
        ("Платье летнее, р. 46", 1490, 3990, '22', 0.4, 's'),
        ("Носки, 5 пар", 399, 699, '22', 0.2, 'xs'),
        ("Шапка вязаная", 690, 1590, '22', 0.2, 'xs'),
        ],
    'kids': [
        ("Комбинезон детский зимний, р. 98", 3990, 7990, '10', 1.2, 'm'),
        ("Подгузники-трусики, 72 шт.", 1290, 2190, '10', 3.0, 'l'),
        ("Книга «Денискины рассказы»", 490, 990, '10', 0.5, 's'),
        ("Детское пюре, 12 шт.", 890, 1290, '10', 1.5, 'm'),
        ("Конструктор «Город», 500 деталей", 2490, 5990, '22', 0.9, 'm'),
        ],
    'electronics': [
        ("Смартфон Redmi Note 13, 8/256 ГБ", 17990, 24990, '22', 0.4, 's'),
        ("Наушники беспроводные", 1990, 7990, '22', 0.2, 'xs'),
        ("Внешний аккумулятор 20 000 мА·ч", 1490, 2990, '22', 0.45, 's'),
        ("Зарядное устройство USB-C 65 Вт", 990, 2490, '22', 0.2, 'xs'),
        ("Умная колонка с Алисой", 4990, 7990, '22', 0.6, 's'),
        ("Фитнес-браслет", 1990, 3990, '22', 0.1, 'xs'),
        ("Чехол для смартфона", 290, 890, '22', 0.05, 'xs'),
        ("Кабель USB-C — Lightning, 1 м", 390, 990, '22', 0.05, 'xs'),
        ("Видеорегистратор автомобильный", 2990, 6990, '22', 0.4, 's'),
        ],
    'home': [
        ("Сковорода антипригарная, 26 см", 1290, 3490, '22', 1.3, 'm'),
        ("Набор полотенец, 3 шт.", 990, 2490, '22', 1.0, 'm'),
        ("Комплект постельного белья, евро", 2490, 5990, '22', 1.8, 'm'),
        ("Чайник электрический", 1490, 3990, '22', 1.4, 'm'),
        ("Пылесос вертикальный", 8990, 19990, '22', 4.5, 'l'),
        ("Робот-пылесос", 14990, 29990, '22', 5.2, 'xl'),
        ("Органайзер для хранения", 590, 1290, '22', 0.6, 's'),
        ("Лампа настольная светодиодная", 1290, 2990, '22', 1.1, 'm'),
        ("Шуруповёрт аккумуляторный", 3990, 9990, '22', 1.8, 'm'),
        ("Набор инструментов, 108 предметов", 2990, 6990, '22', 4.0, 'l'),
        ("Гантели разборные, 2 × 10 кг", 3990, 6990, '22', 20.0, 'xxl'),
        ("Коврик для йоги", 990, 2490, '22', 1.0, 'l'),
        ],
    'beauty': [
        ("Крем для лица увлажняющий", 490, 2490, '22', 0.15, 'xs'),
        ("Шампунь, 400 мл", 290, 890, '22', 0.45, 's'),
        ("Парфюмерная вода, 50 мл", 2990, 8990, '22', 0.3, 's'),
        ("Зубная щётка электрическая", 1990, 4990, '22', 0.3, 's'),
        ],
    'pets': [
        ("Корм для кошек сухой, 10 кг", 2990, 4990, '10', 10.0, 'xl'),
        ("Наполнитель для кошачьего туалета, 10 л", 590, 1190, '22', 5.0,
            'l'),
        ("Лежанка для собаки", 1490, 3490, '22', 1.5, 'l'),
        ],
    'shop': [
        ("Мёд цветочный, 500 г", 450, 650, 'none', 0.7, 's'),
        ("Варенье из морошки, 250 г", 390, 590, 'none', 0.4, 's'),
        ("Носки шерстяные ручной вязки", 600, 900, 'none', 0.15, 'xs'),
        ("Свеча соевая ароматическая", 350, 790, 'none', 0.3, 'xs'),
        ("Иван-чай ферментированный, 100 г", 290, 390, 'none', 0.15, 'xs'),
        ("Мыло ручной работы, 3 шт.", 450, 600, 'none', 0.35, 's'),
        ],
    }
SUPPLIER_CATEGORIES = {
    'boxberry': ['clothes', 'beauty', 'kids', 'home'],
    'pickpoint': ['clothes', 'beauty', 'electronics'],
    'dpd': ['electronics', 'home', 'home'],
    'hermes': ['clothes', 'clothes', 'beauty'],
    'cdek': ['clothes', 'electronics', 'home', 'kids'],
    'yandex': ['electronics', 'home', 'kids', 'beauty', 'pets', 'clothes'],
    'shop': ['shop'],
    }


class ParcelFactory(PlannedHistory):
    """Values of parcels (as given to Parcel.create) and their planned
    history: the target state with the moments of its transitions"""

    def __init__(self, rng, now, points, suppliers, terms, total,
            history_days):
        self.rng = rng
        self.now = now
        self.points = points          # code -> record
        self.suppliers = suppliers    # key -> record
        self.terms = terms            # (key, point code) -> terms dict
        self.people = People(rng)
        self.counters = defaultdict(int)
        self.total = total
        self.history_days = history_days
        self.point_codes = [p['code'] for p in POINTS]
        self.point_weights = [p['share'] for p in POINTS]
        self.by_point = {}
        for point in POINTS:
            allowed = [s for s in SUPPLIERS
                if not s.get('points') or point['code'] in s['points']]
            self.by_point[point['code']] = (
                [s['key'] for s in allowed], [s['share'] for s in allowed])
        self.supplier_info = {s['key']: s for s in SUPPLIERS}

    def choose(self, point_code=None, supplier_key=None):
        rng = self.rng
        if point_code is None:
            point_code = rng.choices(
                self.point_codes, self.point_weights)[0]
        if supplier_key is None:
            keys, weights = self.by_point[point_code]
            supplier_key = rng.choices(keys, weights)[0]
        return point_code, supplier_key

    def values(self, point_code, supplier_key, places=None, manifest=None):
        "Parcel.create values (places and lines as plain lists)"
        rng = self.rng
        info = self.supplier_info[supplier_key]
        point = self.points[point_code]
        terms = self.terms[(supplier_key, point_code)]
        counter = self.counters[supplier_key]
        self.counters[supplier_key] += 1
        n_lines = rng.choices([1, 2, 3, 4], [50, 28, 14, 8])[0]
        lines, weight, size = [], 0.0, 0
        for category in rng.sample(
                SUPPLIER_CATEGORIES[supplier_key],
                min(n_lines, len(SUPPLIER_CATEGORIES[supplier_key]))):
            name, low, high, vat, kg, size_class = rng.choice(
                ITEMS[category])
            quantity = 1 if rng.random() < 0.85 else rng.randint(2, 3)
            price = Decimal(rng.randrange(low, high + 1, 10))
            if rng.random() < 0.3:
                price -= Decimal('0.10')
            if vat == '22' and rng.random() < 0.04:
                vat = '20'      # an older price list
            lines.append({
                    'name': name,
                    'article': (f'{info["prefix"]}-{_digits(rng, 7)}'
                        if supplier_key != 'shop' else None),
                    'quantity': quantity,
                    'unit_price': price,
                    'vat_rate': vat,
                    'refusable': rng.random() < 0.9,
                    })
            weight += kg * quantity
            size = max(size, SIZE_ORDER.index(size_class))
        goods = sum((line['unit_price'] * line['quantity']
                for line in lines), Decimal(0))
        prepaid = rng.random() < info['prepaid']
        fee = Decimal(rng.choice(info['fees']))
        threshold = terms.get('free_delivery_threshold')
        if threshold and goods >= threshold:
            fee = Decimal(0)
        if places is None:
            places = 1 if size < 3 else rng.choices([1, 2, 3], [60, 30, 10])[0]
            if weight > 12:
                places = max(places, 2)
        order, barcodes = info['format'](counter, places)
        weight = round(weight * rng.uniform(1.05, 1.25), 3)
        name, phone = self.people.recipient(
            point_code, self.total * (
                dict(zip(self.point_codes, self.point_weights))[point_code]
                / 100.0))
        place_weights = [round(weight / max(len(barcodes), 1), 3)] * len(
            barcodes)
        return {
            'company': point.company.id,
            'point': point.id,
            'supplier': self.suppliers[supplier_key].id,
            'order_number': order,
            'manifest': manifest,
            'recipient_name': name,
            'recipient_phone': phone,
            'prepaid': prepaid,
            'cod_amount': Decimal(0) if prepaid else goods.quantize(CENT),
            'delivery_fee': fee.quantize(CENT),
            'declared_value': goods.quantize(CENT),
            'weight': weight,
            'size_class': SIZE_ORDER[size],
            'places': [{'barcode': b, 'weight': w}
                for b, w in zip(barcodes, place_weights)],
            'lines': lines,
            }


def orm_values(values):
    "Factory values as Parcel.create wants them"
    values = dict(values)
    places = values.pop('places')
    if places:
        values['places'] = [('create', places)]
    # else the parcel labels its single place with the order number
    values['lines'] = [('create', values['lines'])]
    return values
