"""Seven suppliers (Boxberry, PickPoint, DPD, Hermes, СДЭК, Яндекс Маркет and
the local shop «Лавка Марии») with different terms: storage days,
extensions, partial buyout, delivery fee rule, free-delivery threshold, ID
check, flat / percent / tiered commission, fines; СДЭК has terms of its own
at Новосибирск. Their order numbers and box barcodes each in the supplier's
own format."""
from decimal import Decimal

from .common import inn10, log, scramble
from .threshold import THRESHOLD_CASE


# order number and place barcode formats, per supplier
def _fmt_boxberry(c, places):
    order = f'BXB{scramble(c, 9, 7127)}'
    return order, [f'BB{scramble(c * 3 + i, 11, 90001)}'
        for i in range(places)]


def _fmt_pickpoint(c, places):
    order = scramble(c, 10, 60013)
    return order, [f'{order}-{i + 1:02d}' for i in range(places)]


def _fmt_dpd(c, places):
    order = f'RU{scramble(c, 9, 30011)}'
    return order, [scramble(c * 3 + i, 14, 4000037)
        for i in range(places)]


def _fmt_hermes(c, places):
    order = f'HRM-{scramble(c, 8, 50021)}'
    return order, [f'H{scramble(c * 3 + i, 12, 700001)}'
        for i in range(places)]


def _fmt_cdek(c, places):
    order = f'1{scramble(c, 9, 81001)}'
    return order, [f'{order}{i + 1:03d}' for i in range(places)]


def _fmt_yandex(c, places):
    order = f'4{scramble(c, 8, 27011)}'
    return order, [f'LO-{scramble(c * 3 + i, 12, 300007)}'
        for i in range(places)]


def _fmt_shop(c, places):
    # the shop labels its boxes with the order number: no places given,
    # the parcel's single place gets the order number (see Parcel)
    return f'ЛМ-{c + 1:05d}', []


SUPPLIERS = [
    {
        'key': 'boxberry', 'name': "Boxberry", 'prefix': 'BXB',
        'inn_base': '773152917', 'share': 15, 'cadence': 2,
        'phone': "+7 (800) 222-80-00", 'email': "partners@boxberry.example",
        'website': "https://boxberry.example",
        'address': "115114, г. Москва, ул. Летниковская, д. 10, стр. 4",
        'format': _fmt_boxberry, 'prepaid': 0.35,
        'fees': ['99', '149', '199'], 'vehicle': "ГАЗель Next О 512 КР 777",
        'terms': {
            'storage_days': 7, 'max_extension_days': 7,
            'partial_buyout': True, 'delivery_fee_rule': 'below_threshold',
            'delivery_fee_on_full_refusal': True,
            'free_delivery_threshold': Decimal('3000.00'),
            'id_check_required': False, 'signature_required': False,
            'commission_rule': 'percent',
            'commission_percent': Decimal('1.50'),
            'payout_schedule': 'weekly',
            'fines': [('lost', None, Decimal('100')),
                ('damaged', None, Decimal('50')),
                ('late_return', Decimal('50.00'), None)],
            },
    }, {
        'key': 'pickpoint', 'name': "PickPoint", 'prefix': 'PP',
        'inn_base': '771751285', 'share': 10, 'cadence': 3,
        'phone': "+7 (495) 984-46-44", 'email': "pvz@pickpoint.example",
        'website': "https://pickpoint.example",
        'address': "127015, г. Москва, ул. Новодмитровская, д. 2, к. 1",
        'format': _fmt_pickpoint, 'prepaid': 0.7,
        'fees': ['0', '0', '120'], 'vehicle': "Ford Transit Х 104 ОТ 197",
        'terms': {
            'storage_days': 3, 'max_extension_days': 2,
            'partial_buyout': False, 'delivery_fee_rule': 'always',
            'delivery_fee_on_full_refusal': True,
            'free_delivery_threshold': None,
            'id_check_required': False, 'signature_required': True,
            'commission_rule': 'flat',
            'commission_flat': Decimal('35.00'),
            'payout_schedule': 'biweekly',
            'fines': [('lost', None, Decimal('100')),
                ('late_acceptance', Decimal('300.00'), None)],
            },
    }, {
        'key': 'dpd', 'name': "DPD", 'prefix': 'DPD',
        'inn_base': '771401982', 'share': 10, 'cadence': 3,
        'phone': "+7 (495) 775-57-75", 'email': "pickup@dpd.example",
        'website': "https://dpd.example",
        'address': "143441, Московская обл., г. Красногорск, "
        "Путилковское ш., вл. 4",
        'format': _fmt_dpd, 'prepaid': 0.5,
        'fees': ['149', '199', '249'], 'vehicle': "Iveco Daily Е 771 НМ 750",
        'terms': {
            'storage_days': 7, 'max_extension_days': 7,
            'partial_buyout': True, 'delivery_fee_rule': 'never',
            'delivery_fee_on_full_refusal': False,
            'free_delivery_threshold': None,
            'id_check_required': True, 'signature_required': True,
            'commission_rule': 'tiers',
            'tiers': [(Decimal('0'), Decimal('30.00')),
                (Decimal('1000'), Decimal('45.00')),
                (Decimal('5000'), Decimal('70.00')),
                (Decimal('20000'), Decimal('120.00'))],
            'payout_schedule': 'weekly',
            'fines': [('lost', None, Decimal('100')),
                ('damaged', None, Decimal('30')),
                ('wrong_issue', Decimal('1000.00'), None)],
            },
    }, {
        'key': 'hermes', 'name': "Hermes", 'prefix': 'HRM',
        'inn_base': '770540317', 'share': 8, 'cadence': 4,
        'phone': "+7 (495) 663-77-00", 'email': "ops@hermes.example",
        'website': "https://hermes.example",
        'address': "125167, г. Москва, Ленинградский пр-т, д. 39, стр. 80",
        'format': _fmt_hermes, 'prepaid': 0.4,
        'fees': ['0', '99', '199'], 'vehicle': "Lada Largus М 322 АВ 799",
        'terms': {
            'storage_days': 5, 'max_extension_days': 3,
            'partial_buyout': True, 'delivery_fee_rule': 'below_threshold',
            'delivery_fee_on_full_refusal': True,
            'free_delivery_threshold': THRESHOLD_CASE['threshold'],
            # charged when a refusal makes delivery due on a parcel that
            # was delivered free (see threshold_case)
            'standard_delivery_fee': THRESHOLD_CASE['fee'],
            'id_check_required': False, 'signature_required': True,
            'commission_rule': 'flat',
            'commission_flat': Decimal('28.00'),
            'payout_schedule': 'biweekly',
            'fines': [('lost', Decimal('1500.00'), None),
                ('late_return', Decimal('30.00'), None)],
            },
    }, {
        'key': 'cdek', 'name': "СДЭК", 'prefix': 'CDEK',
        'inn_base': '540236718', 'share': 20, 'cadence': 2,
        'phone': "+7 (800) 250-04-05", 'email': "partner@cdek.example",
        'website': "https://cdek.example",
        'address': "630007, г. Новосибирск, ул. Кривощёковская, д. 15",
        'format': _fmt_cdek, 'prepaid': 0.45,
        'fees': ['149', '199', '299'],
        'vehicle': "ГАЗель Business Т 908 СЕ 154",
        'terms': {
            'storage_days': 7, 'max_extension_days': 14,
            'partial_buyout': True, 'delivery_fee_rule': 'below_threshold',
            'delivery_fee_on_full_refusal': True,
            'free_delivery_threshold': Decimal('3500.00'),
            'id_check_required': False, 'signature_required': False,
            'commission_rule': 'tiers',
            'tiers': [(Decimal('0'), Decimal('25.00')),
                (Decimal('2000'), Decimal('40.00')),
                (Decimal('10000'), Decimal('90.00'))],
            'payout_schedule': 'weekly',
            'fines': [('lost', None, Decimal('100')),
                ('damaged', None, Decimal('50')),
                ('late_return', Decimal('40.00'), None)],
            },
        # Novosibirsk is next to СДЭК's hub: longer storage, flat fee
        'override': ('NSK-01', {
            'storage_days': 14, 'max_extension_days': 7,
            'commission_rule': 'flat', 'commission_flat': Decimal('40.00'),
            'payout_schedule': 'weekly',
            'fines': [('lost', None, Decimal('100'))],
            }),
    }, {
        'key': 'yandex', 'name': "Яндекс Маркет", 'prefix': 'YM',
        'inn_base': '770491268', 'share': 25, 'cadence': 1,
        'phone': "+7 (800) 234-24-80", 'email': "pvz@market.example",
        'website': "https://market.example",
        'address': "119021, г. Москва, ул. Льва Толстого, д. 16",
        'format': _fmt_yandex, 'prepaid': 0.8,
        'fees': ['0', '0', '0', '49'], 'vehicle': "Ford Transit А 221 ЯМ 777",
        'terms': {
            'storage_days': 7, 'max_extension_days': 0,
            'partial_buyout': True, 'delivery_fee_rule': 'never',
            'delivery_fee_on_full_refusal': False,
            'free_delivery_threshold': Decimal('1000.00'),
            'id_check_required': False, 'signature_required': False,
            'commission_rule': 'percent',
            'commission_percent': Decimal('2.00'),
            'payout_schedule': 'monthly',
            'fines': [('lost', None, Decimal('100')),
                ('wrong_issue', None, Decimal('100'))],
            },
    }, {
        'key': 'shop', 'name': "Лавка Марии", 'prefix': 'LM',
        'inn_base': '772803641', 'share': 12, 'cadence': 7,
        'phone': "+7 (916) 305-12-48", 'email': "lavka.marii@mail.example",
        'website': None,
        'address': "117218, г. Москва, ул. Кржижановского, д. 7, к. 2",
        'format': _fmt_shop, 'prepaid': 0.2,
        'fees': ['150'], 'vehicle': "личный автомобиль",
        'points': ['MSK-01'],
        'terms': {
            'storage_days': 14, 'max_extension_days': 7,
            'partial_buyout': False, 'delivery_fee_rule': 'always',
            'delivery_fee_on_full_refusal': True,
            'free_delivery_threshold': None,
            'id_check_required': False, 'signature_required': False,
            'commission_rule': 'flat',
            'commission_flat': Decimal('50.00'),
            'payout_schedule': 'monthly',
            'fines': [],
            },
    }]


def create_suppliers(gen, points):
    pool = gen.pool
    Party = pool.get('party.party')
    Terms = pool.get('multipoint.supplier.terms')
    parties = Party.create([{
                'name': s['name'],
                'addresses': [('create', [{
                                'street': s['address'].split(', ', 2)[-1],
                                'postal_code': s['address'].split(
                                    ',')[0],
                                'city': s['address'].split(', ')[1],
                                }])],
                'contact_mechanisms': [('create', [
                            dict(type=t, value=s[k])
                            for t, k in [('phone', 'phone'),
                                ('email', 'email'),
                                ('website', 'website')]
                            if s.get(k)])],
                'identifiers': [('create', [{
                                'type': 'ru_vat',   # INN
                                'code': inn10(s['inn_base']),
                                }])],
                } for s in SUPPLIERS])
    suppliers = {s['key']: p for s, p in zip(SUPPLIERS, parties)}

    def terms_values(supplier, terms, point=None):
        values = {k: v for k, v in terms.items()
            if k not in {'fines', 'tiers'}}
        values['supplier'] = supplier.id
        values['point'] = point.id if point else None
        if terms.get('tiers'):
            values['commission_tiers'] = [('create', [
                        {'from_amount': f, 'amount': a}
                        for f, a in terms['tiers']])]
        values['fines'] = [('create', [
                    {'kind': k, 'amount': a, 'percent_of_value': p}
                    for k, a, p in terms.get('fines', [])])]
        return values

    vlist, plan = [], {}
    for s in SUPPLIERS:
        vlist.append(terms_values(suppliers[s['key']], s['terms']))
        for code in points:
            plan[(s['key'], code)] = s['terms']
        if s.get('override'):
            code, override = s['override']
            merged = dict(s['terms'], **override)
            vlist.append(terms_values(
                    suppliers[s['key']], merged, points[code]))
            plan[(s['key'], code)] = merged
    Terms.create(vlist)
    return suppliers, plan


def ensure_supplier_inns(pool, suppliers):
    "Receipts carry the supplier's INN: every supplier has a valid one"
    Party = pool.get('party.party')
    Identifier = pool.get('party.identifier')
    info = {s['key']: s for s in SUPPLIERS}
    missing = []
    for key, party in suppliers.items():
        if not any(i.type in {'ru_vat', 'ru_inn'} and i.code
                for i in party.identifiers):
            missing.append({'party': party.id, 'type': 'ru_vat',
                    'code': inn10(info[key]['inn_base'])})
    if missing:
        Identifier.create(missing)
        log("  INN given to %d suppliers", len(missing))
    return Party.browse([p.id for p in suppliers.values()])
