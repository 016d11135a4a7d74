#!/usr/bin/env python3
"""Multipoint demo data: a company with three pickup points, seven suppliers
with their terms, the staff and N parcels in every state.

Usage (the database must exist with multipoint_core activated, see
tryton-guide §1.3)::

    python scripts/demo_data.py -c config/trytond.conf -d demo \\
        [--parcels 600] [--seed 2026] [--logins-file var/demo-logins.txt] \\
        [--mode auto|workflow|bulk] [--bench-manifest]

What it creates, through the real models:

- the company «ООО «Мультипоинт»» (party with INN and address, currency RUB
  «₽» created when missing); the admin user gets it as company;
- three active points (Москва, Казань, Новосибирск) with address, phone,
  e-mail, hours and time zone; in the storage of each point's warehouse
  zones → racks → cells (stock.location with storage_kind zone/rack/cell)
  whose barcodes look like ``A-01-03`` (unique within the point), with a
  size class and a capacity;
- seven suppliers (Boxberry, PickPoint, DPD, Hermes, СДЭК, Яндекс Маркет and
  the local shop «Лавка Марии») with different terms: storage days,
  extensions, partial buyout, delivery fee rule, free-delivery threshold,
  ID check, flat / percent / tiered commission, fines; СДЭК has terms of its
  own at Новосибирск;
- staff with personal logins (owner, staff manager, accountant, analyst and
  four operators, one of them at two points). The logins and passwords are
  printed at the end and written to ``--logins-file``;
- with multipoint_tickets: the points' tasks (cash collection on Fridays,
  weekly inventory of zone A, a call to a supplier about a claim) and three
  tickets in different states (see ``organizer``);
- accounting as ``multipoint_pos.tests.pos_tools.setup_accounting`` makes
  it (the minimal Russian chart of ``create_minimal_chart``, a fiscal year
  of the current year with its move sequence and periods), every supplier
  with a valid 10-digit INN (identifier ``ru_vat``, printed on receipts)
  and a point of sale for every point (``Point.setup_pos``);
- shifts at MSK-01 (after the parcels): one closed yesterday with paid
  issues (cash with change, card, SBP, a partial buyout, card and cash
  together), its cash collected down to the float and counted; one open
  today with a float of 5,000 ₽ and two paid issues, so the operator
  kuznetsova finds an open shift and an X-report with figures. The issues
  go through ``Parcel.issue_with_payment`` as the operator and their
  receipts through ``Receipt.send`` with the ``demo`` fiscal driver (the
  demo data uses it whatever the configuration says; the demo server needs
  ``[multipoint_fiscal] driver = demo``, which scripts/demo.sh sets with
  TRYTOND_MULTIPOINT_FISCAL__DRIVER); yesterday's shift is then moved to
  yesterday's hours with raw SQL;
- the supplier portal's user (``PORTAL_USERS``) and, when its supplier had
  parcels paid in yesterday's shift, the agent's report of those days
  computed, confirmed by the owner and sent, so the portal has one to show
  (see ``portal_settlement``), and a ticket about that supplier waiting
  for its answer, so the portal's tickets have one (``portal_ticket``);
- the free-delivery threshold on one stored parcel (``THRESHOLD_CASE``):
  Hermes delivers free from 2,000 ₽ and charges a standard 199 ₽
  otherwise; its order HRM-D3000 of 3,000 ₽ came free and waits at MSK-01
  with an issue code; refusing one item of 1,500 ₽ makes the fee due. The
  logins file names it, with what to try;
- N parcels spread over points and suppliers in every state, with Russian
  recipients, +7 9xx phones in the formats suppliers send, order numbers and
  box barcodes in each supplier's own format, 1–3 places, 1–4 items
  (VAT 22 % mostly), COD or prepaid, delivery fee, declared value, weight and
  size. Some expected parcels share a manifest number per supplier, so a
  reception can be demonstrated.

Two ways to bring parcels into their states:

``workflow`` (the default up to 5,000 parcels): every parcel goes the real
way. Parcels are created with ``Parcel.create``; the arrived ones come in
receptions (one per point, supplier and delivery day, with the supplier's
manifest): every place is scanned with ``Reception.scan`` (a few damaged,
a few missing, a few surplus barcodes), the reception is closed, the parcels
are placed with ``place_parcel(parcel, suggest_cell(parcel))`` and then
issued, partially issued (with refused item quantities), refused, queued
for return, returned, lost or cancelled with the Parcel classmethods. The
journal (multipoint.parcel.event) is therefore written by the model code.
Finally, as the journal's owner (root), the script moves the timestamps
(event dates, reception and scan times, arrival dates, storage deadlines
recomputed from the terms, parcel creation dates) onto a plausible history
of the last weeks, so that analytics per day and expired storage deadlines
can be shown. This backdating is the only raw SQL of the workflow mode; the
parcels are then checked with the model's ``_validate``. The issue-code SMS
that acceptance queues in the outbox (multipoint.notification) are marked
sent, code masked, for past days through the model's own ``_sent``; today's
stay pending. The workflow mode is one transaction: a failure leaves the
database untouched, and the next run starts again. Issued parcels get
issued_at/issued_by/verification as ``issue_to_recipient`` would record
them (the demo issues with the lower-level transitions: core alone takes no
payment). Operators get their current point, staff a mobile number for the
owners' one-time login codes. A few stored parcels per point get a fresh
issue code, printed and written to the logins file, to demonstrate an
issue: two with cash on delivery (paid at the desk, ``POST …/issue/pay``)
and two with nothing to pay, all issued with the code alone.

The model code locks tables and rows (configuration singleton, cells,
parcels); trytond wants them locked when the transaction starts (routes,
cron and worker retry with the lock), so this single-writer script takes
those tables at the start (LOCK_MODELS).

``bulk`` (above 5,000 parcels; meant for the benchmark, up to 1,000,000 on
PostgreSQL): the ORM creates about 400 parcels/s here, far too slow, so the
parcels, places, items and journal events are written with direct inserts
(``COPY`` on PostgreSQL, python-sql multi-row ``INSERT`` on SQLite) into
the tables of the models, in batches of 5,000 with a commit per batch. The
rows are what the model code would have written: the phone normalized and
its last digits, the name search key (with the module's own
``normalize_phone``/``normalize_name``), place supplier, states and cells
consistent with the journal, which has one ``created`` event per parcel and
one ``state`` event per transition, dated along the parcel's history.
Bulk parcels have no reception record (no scan rows) and no outbox
messages; the parcels at the points get issue codes through
``Parcel.generate_codes``. Fields the model may gain later are filled with
their defaults (the script says which); at the end a sample of the rows is
validated with the model's own ``_validate`` and the tables are analysed.
About 3,000 parcels/s on PostgreSQL here (100,000 in 30–70 s depending on
the load of the machine). The history spans N / 450 days (60 to 730): the
on-site states (expected, accepted, stored, refused, to_return) hold a few
days of volume and the stored parcels never exceed the cells' capacity.

``--bench-manifest`` adds (through the ORM, on top of N) the parcels of one
supplier at the first point whose places, exactly 1,000, travel with the
manifest ``BENCH-1000``: ``scripts/bench.py`` accepts them through the API.

The script is idempotent: when the demo company already exists it creates
nothing but what is missing of ``--bench-manifest``, of the accounting and
points of sale, the shifts when MSK-01 has none (demo data of an
earlier version), the portal's agent's report and ticket and the
threshold parcel (its note appended to the logins file), and exits with 0; it
refuses (exit 2) a database holding another company. A fixed ``--seed``
gives the same data on an empty database.
"""
import argparse
import datetime as dt
import os
import random
import sys
import time
from collections import defaultdict
from decimal import ROUND_CEILING, Decimal
from zoneinfo import ZoneInfo

COMPANY_NAME = "ООО «Мультипоинт»"
BENCH_MANIFEST = 'BENCH-1000'
BENCH_PLACES = 1000
WORKFLOW_LIMIT = 5000
LOCK_MODELS = [
    'multipoint.configuration', 'stock.location', 'multipoint.parcel',
    'multipoint.parcel.place', 'multipoint.reception', 'ir.sequence',
    'ir.sequence.strict', 'res.user', 'sale.point.cash.session',
    'account.fiscalyear', 'account.period',
    'multipoint.settlement.configuration', 'account.configuration',
    'account.journal.period',
    ]
CENT = Decimal('0.01')

# ---------------------------------------------------------------- catalogue

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


def _digits(rng, n):
    return ''.join(rng.choice('0123456789') for _ in range(n))


def scramble(counter, width, salt=0):
    """A number that looks random but is unique for every counter below
    10**width: x -> a*x + b mod 10**width is a bijection when a is prime
    to 10 (a near the golden ratio of the range spreads the digits)"""
    modulus = 10 ** width
    mult = int(modulus * 0.6180339887) | 1
    if mult % 5 == 0:
        mult += 2
    add = (salt * 7919 + modulus // 3) % modulus
    return f'{(counter * mult + add) % modulus:0{width}d}'


# the free-delivery threshold shown on one stored parcel: Hermes delivers
# free from 2,000 ₽ of goods and charges 199 ₽ otherwise; an order of
# 3,000 ₽ (two items of 1,500 ₽) came free, and refusing one item at the
# desk leaves 1,500 ₽ of goods: the delivery fee becomes due
THRESHOLD_CASE = {
    'supplier': 'hermes', 'point': 'MSK-01',
    'threshold': Decimal('2000.00'), 'fee': Decimal('199.00'),
    'order': 'HRM-D3000', 'barcode': 'HD3000-01',
    'recipient': ("Павлова Ирина Сергеевна", '+7 (916) 555-30-00'),
    'lines': [("Куртка демисезонная", Decimal('1500.00')),
        ("Ботинки зимние", Decimal('1500.00'))],
    }
THRESHOLD_MARK = '# Free-delivery threshold'


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

# login, password, name, multipoint groups, point codes, role (Russian)
STAFF = [
    ('owner', 'Vladelec#2026', "Смирнов Андрей Викторович", ['owner'], [],
        "руководитель"),
    ('kadry', 'Kadry#2026', "Белова Ирина Сергеевна", ['staff_manager'],
        [], "управляющий персоналом"),
    ('buh', 'Buhgalter#2026', "Захарова Елена Павловна", ['accountant'],
        [], "бухгалтер"),
    ('analitik', 'Analitik#2026', "Орлов Денис Олегович",
        ['reports', 'analytics'], [], "отчёты и аналитика"),
    ('kuznetsova', 'Priemka#Msk1', "Кузнецова Ольга Игоревна",
        ['operator'], ['MSK-01'], "оператор"),
    ('morozov', 'Vydacha#Msk2', "Морозов Артём Сергеевич", ['operator'],
        ['MSK-01', 'KZN-01'], "оператор"),
    ('sadykova', 'Sklad#Kzn1', "Садыкова Лейсан Маратовна", ['operator'],
        ['KZN-01'], "оператор"),
    ('lebedev', 'Smena#Nsk1', "Лебедев Никита Андреевич", ['operator'],
        ['NSK-01'], "оператор"),
    ]

# the supplier portal (/<database>/multipoint/portal/): e-mail, password,
# supplier key; the shop sends manifest files, so it gets a file account
PORTAL_USERS = [
    ('lavka@portal.example', 'Postavshik#2026', 'shop'),
    ]

SURNAMES = (
    "Иванов Смирнов Кузнецов Попов Васильев Петров Соколов Михайлов Новиков "
    "Фёдоров Морозов Волков Алексеев Лебедев Семёнов Егоров Павлов Козлов "
    "Степанов Николаев Орлов Андреев Макаров Никитин Захаров Зайцев "
    "Соловьёв Борисов Яковлев Григорьев Романов Воробьёв Сергеев Кузьмин "
    "Фролов Александров Дмитриев Королёв Гусев Киселёв Ильин Максимов "
    "Поляков Сорокин Виноградов Ковалёв Белов Медведев Антонов Тарасов "
    "Жуков Баранов Филиппов Комаров Давыдов Беляев Герасимов Богданов "
    "Осипов Сидоров Матвеев Титов Марков Миронов Крылов Куликов Карпов "
    "Власов Мельников Денисов Гаврилов Тихонов Казаков Афанасьев Данилов "
    "Савельев Тимофеев Фомин Чернов Абрамов Мартынов Ефимов Федотов "
    "Щербаков Назаров Калинин Исаев Быков Маслов Родионов Коновалов "
    "Лазарев Воронин Климов Филатов Пономарёв Голубев Кудрявцев Прохоров "
    "Наумов Потапов Журавлёв Овчинников Трофимов Леонов Соболев Ермаков "
    "Колесников Гончаров Емельянов Никифоров Грачёв Котов Гришин Ефремов "
    "Архипов Громов Кириллов Малышев Панов Моисеев Румянцев Акимов "
    "Кондратьев Бирюков Горбунов Анисимов Еремин Тихомиров Галкин Лукьянов "
    "Михеев Скворцов Юдин Белоусов Нестеров Симонов Прокофьев Харитонов "
    "Князев Цветков Левин Митрофанов Воронцов Капустин").split()
SURNAMES_TATAR = (
    "Хабибуллин Галиев Сафин Закиров Гарипов Нуриев Ахметов Валиев "
    "Шарипов Мухаметшин Файзуллин Гайнуллин Исмагилов Зарипов Камалов "
    "Садыков Хасанов Гильмутдинов Юсупов Латыпов").split()
SURNAMES_FIXED = "Шевченко Ковальчук Ким Бондаренко Ткаченко Цой".split()
MALE_NAMES = (
    "Александр Дмитрий Максим Сергей Андрей Алексей Артём Илья Кирилл "
    "Михаил Никита Матвей Роман Егор Арсений Иван Денис Евгений Даниил "
    "Тимофей Владислав Игорь Владимир Павел Руслан Марк Константин Тимур "
    "Олег Ярослав Антон Николай Глеб Вадим Степан Юрий Богдан Артур "
    "Семён Виктор Григорий Фёдор Леонид").split()
MALE_NAMES_TATAR = "Айдар Рустам Ильдар Марат Ринат Азат Ренат Булат".split()
FEMALE_NAMES = (
    "Анастасия Мария Дарья Анна Елизавета Полина Виктория Екатерина Софья "
    "Александра Ксения Алиса Вероника Алёна Ольга Наталья Татьяна Ирина "
    "Елена Юлия Светлана Марина Валерия Кристина Диана Алина Ульяна "
    "Варвара Людмила Галина Надежда Евгения Маргарита Оксана Вера").split()
FEMALE_NAMES_TATAR = (
    "Гульнара Альбина Лейсан Эльвира Алсу Гузель Резеда").split()
PATRONYMICS = [
    ("Александрович", "Александровна"), ("Дмитриевич", "Дмитриевна"),
    ("Сергеевич", "Сергеевна"), ("Андреевич", "Андреевна"),
    ("Алексеевич", "Алексеевна"), ("Игоревич", "Игоревна"),
    ("Владимирович", "Владимировна"), ("Павлович", "Павловна"),
    ("Николаевич", "Николаевна"), ("Викторович", "Викторовна"),
    ("Олегович", "Олеговна"), ("Юрьевич", "Юрьевна"),
    ("Евгеньевич", "Евгеньевна"), ("Михайлович", "Михайловна"),
    ("Иванович", "Ивановна"), ("Петрович", "Петровна"),
    ("Анатольевич", "Анатольевна"), ("Геннадьевич", "Геннадьевна"),
    ("Валерьевич", "Валерьевна"), ("Романович", "Романовна"),
    ("Константинович", "Константиновна"), ("Максимович", "Максимовна"),
    ("Ильич", "Ильинична"), ("Фёдорович", "Фёдоровна"),
    ]
PATRONYMICS_TATAR = [
    ("Ринатович", "Ринатовна"), ("Маратович", "Маратовна"),
    ("Рашидович", "Рашидовна"), ("Ильдарович", "Ильдаровна"),
    ("Айратович", "Айратовна"),
    ]

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
DAMAGE_NOTES = [
    "Вмятина на коробке", "Порван скотч, коробка вскрыта",
    "Намокла упаковка", "Раздавлен угол коробки",
    ]
COURIERS = [
    "Ахмедов Рустам", "Петренко Игорь", "Сафаров Шамиль", "Лысенко Павел",
    "Гусейнов Эмиль", "Воронов Кирилл", "Тагиров Ильнар", "Зуев Антон",
    ]

# share of parcels per state: the demo shows each state in numbers, the
# bulk mode is a long history (most parcels issued long ago)
DEMO_STATES = {
    'expected': 14, 'accepted': 4, 'stored': 22, 'issued': 34,
    'partially_issued': 5, 'refused': 4, 'to_return': 4, 'returned': 7,
    'cancelled': 4, 'lost': 2,
    }


def bulk_states(history_days):
    "The steady state of a network with history_days of history"
    h = float(history_days)
    on_site = {
        'expected': 2.0 / h, 'accepted': 0.1 / h, 'stored': 5.0 / h,
        'refused': 0.3 / h, 'to_return': 0.6 / h,
        }
    rest = 1 - sum(on_site.values())
    return dict(on_site, **{
            'issued': rest * 0.885, 'partially_issued': rest * 0.04,
            'returned': rest * 0.055, 'cancelled': rest * 0.015,
            'lost': rest * 0.005,
            })


def inn10(base):
    "A 10-digit INN of a legal entity with its check digit"
    weights = [2, 4, 10, 3, 5, 9, 4, 6, 8]
    check = sum(w * int(d) for w, d in zip(weights, base)) % 11 % 10
    return base + str(check)


def seconds(moment):
    "DateTime fields hold whole seconds (Timestamp ones keep the rest)"
    return moment.replace(microsecond=0) if moment else moment


def log(message, *args):
    print(message % args if args else message, flush=True)


# ------------------------------------------------------------------ people

class People:
    "Recipients: plausible ФИО and mobile phones, some with many parcels"

    def __init__(self, rng):
        self.rng = rng
        self.pools = {}

    def person(self, tatar=False):
        rng = self.rng
        female = rng.random() < 0.58
        if tatar and rng.random() < 0.5:
            surname = rng.choice(SURNAMES_TATAR)
            first = rng.choice(
                FEMALE_NAMES_TATAR if female else MALE_NAMES_TATAR)
            patronymic = rng.choice(PATRONYMICS_TATAR)[female]
        else:
            r = rng.random()
            surname = rng.choice(
                SURNAMES_FIXED if r < 0.05 else SURNAMES)
            first = rng.choice(FEMALE_NAMES if female else MALE_NAMES)
            patronymic = rng.choice(PATRONYMICS)[female]
        if female and surname[-2:] in {'ов', 'ев', 'ёв', 'ин'}:
            surname += 'а'
        r = rng.random()
        if r < 0.8:
            name = f"{surname} {first} {patronymic}"
        elif r < 0.9:
            name = f"{first} {surname}"
        elif r < 0.95:
            name = f"{surname} {first}"
        else:
            name = f"{surname} {first} {patronymic}".upper()
        return name, self.phone()

    def phone(self):
        rng = self.rng
        code = rng.choice(['915', '916', '917', '925', '926', '903', '905',
                '909', '912', '913', '919', '922', '927', '937', '950',
                '951', '953', '960', '961', '977', '985', '987', '999'])
        number = _digits(rng, 7)
        # the formats suppliers send; the parcel normalizes to +79XXXXXXXXX
        style = rng.random()
        if style < 0.5:
            return f'+7{code}{number}'
        elif style < 0.7:
            return f'8{code}{number}'
        elif style < 0.9:
            return (f'+7 ({code}) {number[:3]}-{number[3:5]}-'
                f'{number[5:]}')
        return f'8 {code} {number[:3]} {number[3:5]} {number[5:]}'

    def recipient(self, point_code, expected_parcels):
        "A recipient at the point: about 2.5 parcels per person"
        pool = self.pools.get(point_code)
        if pool is None:
            size = max(15, int(expected_parcels / 2.5))
            pool = self.pools[point_code] = [
                self.person(tatar=point_code.startswith('KZN'))
                for _ in range(min(size, 50000))]
        # a few regular customers get many parcels
        rng = self.rng
        if rng.random() < 0.15:
            return pool[int(rng.random() ** 3 * len(pool))]
        return rng.choice(pool)


# ------------------------------------------------------------------ parcels

class ParcelFactory:
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

    # -- history

    def local(self, point_code, day_offset, hour, minute=0):
        "UTC naive moment of a local wall-clock time day_offset days ago"
        tz = ZoneInfo(self.points[point_code].timezone)
        today = self.now.replace(tzinfo=dt.timezone.utc).astimezone(tz).date()
        day = today - dt.timedelta(days=day_offset)
        moment = dt.datetime(day.year, day.month, day.day, hour, minute,
            tzinfo=tz)
        return moment.astimezone(dt.timezone.utc).replace(tzinfo=None)

    def arrival_day(self, state, storage_days, cadence):
        "How many days ago a parcel in state arrived"
        rng = self.rng
        h = self.history_days
        if state == 'accepted':
            return 0
        if state == 'stored':
            if rng.random() < 0.1:      # expired, waiting to be queued
                day = storage_days + rng.randint(1, 3)
            else:
                day = rng.randint(0, max(storage_days - 1, 0))
        elif state == 'refused':
            day = rng.randint(1, max(storage_days, 2))
        elif state == 'to_return':
            day = storage_days + rng.randint(2, 6)
        elif state in {'returned'}:
            day = rng.randint(storage_days + 4, max(h, storage_days + 6))
        elif state == 'lost':
            day = rng.randint(3, max(h, 4))
        else:   # issued, partially issued
            day = int(rng.random() ** 0.9 * h) + 1
        # suppliers deliver every `cadence` days: one reception per day
        if cadence > 1 and day > 0:
            day += -day % cadence
        return day

    def history(self, state, point_code, supplier_key):
        """The planned moments: created, arrival and the path of
        (state, moment) from 'accepted' on, all in the past"""
        rng = self.rng
        info = self.supplier_info[supplier_key]
        terms = self.terms[(supplier_key, point_code)]
        storage_days = terms['storage_days']
        minute = dt.timedelta(minutes=1)
        hour = dt.timedelta(hours=1)
        day = dt.timedelta(days=1)
        last = self.now - 2 * minute

        def between(start, end):
            "A moment after start, before end and before now"
            end = min(end, last)
            if start >= last:
                return last - rng.uniform(0, 5) * minute
            if end <= start:
                end = last
            return start + (end - start) * rng.uniform(0.02, 1)

        if state == 'expected':
            created = self.now - rng.uniform(0.5, 72) * hour
            return {'created': created, 'arrival_day': None, 'path': []}
        if state == 'cancelled':
            created = self.now - rng.uniform(2, self.history_days) * day
            return {'created': created, 'arrival_day': None,
                'path': [('cancelled', between(created, created + day))]}
        arrival_day = self.arrival_day(state, storage_days, info['cadence'])
        # the courier of each supplier comes at its own hour
        slot = SUPPLIERS.index(info)
        arrival = self.local(point_code, arrival_day, 9 + slot % 4,
            (slot * 17) % 60)
        if arrival > last - 30 * minute:
            # today's delivery of this supplier came a while ago
            arrival = (last - (30 + 11 * slot) * minute).replace(
                second=0, microsecond=0)
        created = arrival - rng.uniform(12, 96) * hour
        path = [('accepted', arrival)]
        if state != 'accepted':
            stored = between(arrival + 5 * minute, arrival + 90 * minute)
            path.append(('stored', stored))
            deadline = arrival + storage_days * day
            if state in {'issued', 'partially_issued'}:
                path.append((state, between(stored, deadline)))
            elif state == 'refused':
                path.append(('refused', between(stored, deadline)))
            elif state in {'to_return', 'returned'}:
                if rng.random() < 0.45:
                    refused = between(stored, deadline)
                    path.append(('refused', refused))
                    path.append(('to_return', between(
                                refused + hour, refused + 20 * hour)))
                else:   # not collected in time
                    path.append(('to_return', between(
                                deadline + 14 * hour, deadline + 30 * hour)))
                if state == 'returned':
                    path.append(('returned', between(
                                path[-1][1] + day, path[-1][1] + 5 * day)))
            elif state == 'lost':
                path.append(('lost', between(stored + day, stored + 10 * day)))
        return {'created': created, 'arrival_day': arrival_day,
            'arrival': arrival, 'path': path}


# ------------------------------------------------------------------ setup

class Generator:

    def __init__(self, args, pool, transaction):
        self.args = args
        self.pool = pool
        self.transaction = transaction
        self.rng = random.Random(args.seed)
        self.now = dt.datetime.utcnow().replace(microsecond=0)
        self.batch_commits = True

    def commit(self):
        "Commit a batch: only in bulk mode, the demo is all or nothing"
        if self.batch_commits:
            self.transaction.commit()

    # -- base

    def company(self):
        pool = self.pool
        Currency = pool.get('currency.currency')
        Party = pool.get('party.party')
        Company = pool.get('company.company')
        User = pool.get('res.user')
        Lang = pool.get('ir.lang')
        currencies = Currency.search([('code', '=', 'RUB')], limit=1)
        if currencies:
            rub, = currencies
        else:
            rub, = Currency.create([{
                        'name': "Российский рубль",
                        'code': 'RUB',
                        'numeric_code': '643',
                        'symbol': '₽',
                        'rounding': CENT,
                        'digits': 2,
                        }])
        party, = Party.create([{
                    'name': COMPANY_NAME,
                    'addresses': [('create', [{
                                    'street': "ул. Профсоюзная, д. 26/44, "
                                    "офис 12",
                                    'postal_code': '117292',
                                    'city': "Москва",
                                    }])],
                    'contact_mechanisms': [('create', [
                                {'type': 'phone', 'value': '+74951204560'},
                                {'type': 'email',
                                    'value': 'info@multipoint.example'},
                                ])],
                    'identifiers': [('create', [{
                                    'type': 'ru_vat',   # INN
                                    'code': inn10('772801345'),
                                    }])],
                    }])
        company, = Company.create([{
                    'party': party.id,
                    'currency': rub.id,
                    'timezone': 'Europe/Moscow',
                    }])
        langs = Lang.search([('code', '=', 'ru')], limit=1)
        values = {'companies': [('add', [company.id])],
            'company': company.id}
        if langs and langs[0].translatable:
            values['language'] = langs[0].id
        admin = User.search([('login', '=', 'admin')], limit=1)
        if admin:
            User.write(admin, values)
        self.lang = langs[0] if langs and langs[0].translatable else None
        return company

    def points(self, company, large):
        pool = self.pool
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

    def suppliers(self, points):
        pool = self.pool
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

    def staff(self, company, points):
        pool = self.pool
        User = pool.get('res.user')
        Party = pool.get('party.party')
        Employee = pool.get('company.employee')
        ModelData = pool.get('ir.model.data')
        parties = Party.create([{'name': name}
                for _, _, name, _, _, _ in STAFF])
        employees = Employee.create([{
                    'party': party.id, 'company': company.id,
                    'start_date': (self.now - dt.timedelta(days=400)).date(),
                    } for party in parties])
        extra = {}
        try:
            extra['owner'] = [ModelData.get_id('party', 'group_party_admin')]
        except KeyError:
            pass
        vlist = []
        for (login, password, name, groups, codes, _), employee in zip(
                STAFF, employees):
            group_ids = [ModelData.get_id('multipoint_core', f'group_{g}')
                for g in groups]
            for g in groups:
                group_ids += extra.get(g, [])
            values = {
                'login': login,
                'name': name,
                'password': password,
                'email': f'{login}@multipoint.example',
                'groups': [('add', group_ids)],
                'multipoint_points': [('add', [points[c].id for c in codes])],
                'companies': [('add', [company.id])],
                'company': company.id,
                'employees': [('add', [employee.id])],
                'employee': employee.id,
                }
            if self.lang:
                values['language'] = self.lang.id
            if 'multipoint_mobile' in User._fields:
                # where an owner gets the one-time login code
                values['multipoint_mobile'] = (
                    f'+7916{7000000 + len(vlist) * 1111:07d}')
            vlist.append(values)
        users = User.create(vlist)
        if 'multipoint_point' in User._fields:
            # the point each operator works at now
            to_write = []
            for user, (_, _, _, _, codes, _) in zip(users, STAFF):
                if codes:
                    to_write.extend([[user],
                            {'multipoint_point': points[codes[0]].id}])
            if to_write:
                User.write(*to_write)
        self.operators = defaultdict(list)
        for user, (_, _, _, groups, codes, _) in zip(users, STAFF):
            if 'operator' in groups:
                for code in codes:
                    self.operators[code].append(user.id)
        return users

    def load(self, company):
        "Records of an existing demo database"
        pool = self.pool
        Point = pool.get('multipoint.point')
        Party = pool.get('party.party')
        User = pool.get('res.user')
        found = {p.code: p for p in Point.search(
                [('code', 'in', [p['code'] for p in POINTS])])}
        points = {p['code']: found[p['code']] for p in POINTS
            if p['code'] in found}
        suppliers = {}
        for s in SUPPLIERS:
            parties = Party.search([('name', '=', s['name'])], limit=1)
            if parties:
                suppliers[s['key']] = parties[0]
        plan = {}
        for s in SUPPLIERS:
            for code in points:
                plan[(s['key'], code)] = s['terms']
            if s.get('override'):
                code, override = s['override']
                plan[(s['key'], code)] = dict(s['terms'], **override)
        self.operators = defaultdict(list)
        for login, _, _, groups, codes, _ in STAFF:
            users = User.search([('login', '=', login)], limit=1)
            if users and 'operator' in groups:
                for code in codes:
                    self.operators[code].append(users[0].id)
        return points, suppliers, plan


# ------------------------------------------------------------- workflow mode

class WorkflowMode:
    "Parcels through the real workflow, then backdated onto a history"

    def __init__(self, gen, factory, points, suppliers, terms):
        self.gen = gen
        self.pool = gen.pool
        self.rng = gen.rng
        self.factory = factory
        self.points = points
        self.suppliers = suppliers
        self.terms = terms
        self.history = {}        # parcel id -> planned history
        self.scan_times = {}     # (reception id, barcode) -> moment
        self.receptions = {}     # reception id -> (opened, closed)

    def run(self, n, batch=250):
        pool = self.pool
        Parcel = pool.get('multipoint.parcel')
        rng = self.rng
        started = time.time()
        states = list(DEMO_STATES)
        # every state at least twice, the rest by weight
        targets = [s for s in states for _ in range(2)][:n]
        targets += rng.choices(
            states, [DEMO_STATES[s] for s in states], k=n - len(targets))
        rng.shuffle(targets)
        plans = []
        for state in targets:
            point_code, supplier_key = self.factory.choose()
            if state == 'partially_issued':
                # only where the supplier allows a partial buyout
                while not self.terms[(supplier_key, point_code)][
                        'partial_buyout']:
                    point_code, supplier_key = self.factory.choose(
                        point_code)
            plan = self.factory.history(state, point_code, supplier_key)
            plan.update(state=state, point=point_code,
                supplier=supplier_key)
            plans.append(plan)
        self._manifests(plans)
        # create, oldest first so that ids follow the history
        plans.sort(key=lambda p: p['created'])
        created = []
        for i in range(0, len(plans), batch):
            chunk = plans[i:i + batch]
            vlist = []
            for plan in chunk:
                values = self.factory.values(
                    plan['point'], plan['supplier'],
                    manifest=plan.get('manifest'))
                vlist.append(orm_values(values))
            parcels = Parcel.create(vlist)
            for parcel, plan in zip(parcels, chunk):
                self.history[parcel.id] = plan
            created.extend(parcels)
            self.gen.commit()
            log("  created %d/%d parcels (%.0f/s)", len(created), n,
                len(created) / (time.time() - started))
        self.cancel([p for p in created
                if self.history[p.id]['state'] == 'cancelled'])
        self.deliver([p for p in created if self.history[p.id]['path']
                and self.history[p.id]['state'] != 'cancelled'])
        self.backdate(created)
        # what was moved in time still passes the model's checks
        for cache in self.gen.transaction.cache.values():
            cache.clear()
        Parcel._validate(Parcel.browse([p.id for p in created]))
        self.gen.commit()
        log("  %d parcels through the workflow in %.0f s", n,
            time.time() - started)
        return created

    def _manifests(self, plans):
        """The manifest numbers: one per historical delivery, and for the
        demo of a reception a manifest per supplier on most expected
        parcels of each point"""
        for plan in plans:
            code = plan['point']
            prefix = self.factory.supplier_info[plan['supplier']]['prefix']
            if plan['arrival_day'] is not None:
                day = (self.gen.now - dt.timedelta(
                        days=plan['arrival_day'])).strftime('%y%m%d')
                plan['manifest'] = f'{prefix}-{day}-{code}'
            elif plan['state'] == 'expected' and self.rng.random() < 0.65:
                day = (self.gen.now + dt.timedelta(days=1)).strftime(
                    '%y%m%d')
                plan['manifest'] = f'{prefix}-{day}-{code}'

    def cancel(self, parcels):
        if parcels:
            self.pool.get('multipoint.parcel').cancel(parcels)
            self.gen.commit()

    def operator(self, point_code):
        return self.rng.choice(self.gen.operators[point_code])

    def deliver(self, parcels):
        pool = self.pool
        Parcel = pool.get('multipoint.parcel')
        Reception = pool.get('multipoint.reception')
        transaction = self.gen.transaction
        from trytond.modules.multipoint_core.placement import (
            place_parcel, suggest_cell)
        deliveries = defaultdict(list)
        for parcel in parcels:
            plan = self.history[parcel.id]
            deliveries[(plan['arrival'], plan['point'], plan['supplier'])
                ].append(parcel)
        rng = self.rng
        counts = defaultdict(int)
        started = time.time()
        for i, key in enumerate(sorted(deliveries), 1):
            arrival, code, supplier_key = key
            batch = deliveries[key]
            point = self.points[code]
            info = self.factory.supplier_info[supplier_key]
            with transaction.set_user(self.operator(code)):
                reception, = Reception.create([{
                            'point': point.id,
                            'company': point.company.id,
                            'suppliers': [('add', [
                                        self.suppliers[supplier_key].id])],
                            'manifest': self.history[batch[0].id].get(
                                'manifest'),
                            'courier_name': rng.choice(COURIERS),
                            'vehicle': info['vehicle'],
                            }])
                barcodes = []
                for parcel in batch:
                    state = self.history[parcel.id]['state']
                    for place in parcel.places:
                        barcodes.append((place.barcode, state,
                                len(parcel.places)))
                scans = 0
                skipped = False
                for barcode, state, n_places in barcodes:
                    if (n_places > 1 and not skipped
                            and state in {'accepted', 'stored'}
                            and rng.random() < 0.2):
                        skipped = True      # a box that did not come
                        continue
                    damaged = rng.random() < 0.015
                    scan = reception.scan(barcode, damaged=damaged,
                        note=rng.choice(DAMAGE_NOTES) if damaged else None,
                        client_id=f'tsd-{code}:{reception.id}:{scans}')
                    scans += 1
                    self.scan_times[(reception.id, scan.barcode)] = scans
                    if rng.random() < 0.02:     # scanned twice by mistake
                        reception.scan(barcode)
                if rng.random() < 0.06:     # a box nobody announced
                    reception.scan(f'46{_digits(rng, 11)}')
                    scans += 1
                Reception.close([reception])
                opened = arrival - dt.timedelta(seconds=25 * scans + 120)
                self.receptions[reception.id] = (opened, arrival, scans)
                parcels = Parcel.browse([p.id for p in batch])
                placed = []
                for parcel in parcels:
                    plan = self.history[parcel.id]
                    if plan['state'] == 'accepted':
                        continue
                    cell = suggest_cell(parcel)
                    if not cell:
                        log("  no free cell for %s at %s, left accepted",
                            parcel.order_number, code)
                        continue
                    place_parcel(parcel, cell)
                    placed.append(parcel)
                # then the rest of the path, step after step
                parcels = Parcel.browse([p.id for p in placed])
                step = 2
                while True:
                    todo = defaultdict(list)
                    for parcel in parcels:
                        path = self.history[parcel.id]['path']
                        if len(path) > step:
                            todo[path[step][0]].append(parcel)
                    if not todo:
                        break
                    for state, records in todo.items():
                        self.transition(state, records)
                    parcels = Parcel.browse([p.id for p in parcels])
                    step += 1
            for parcel in batch:
                counts[self.history[parcel.id]['state']] += 1
            self.gen.commit()
            if i % 25 == 0 or i == len(deliveries):
                log("  %d/%d receptions, %d parcels (%.0f s)", i,
                    len(deliveries), sum(counts.values()),
                    time.time() - started)

    def transition(self, state, parcels):
        pool = self.pool
        Parcel = pool.get('multipoint.parcel')
        Line = pool.get('multipoint.parcel.line')
        if state == 'partially_issued':
            # the recipient refuses one refusable item (or one unit)
            to_write = []
            for parcel in parcels:
                lines = [l for l in parcel.lines if l.refusable]
                if not lines:
                    continue
                line = self.rng.choice(lines)
                to_write.extend([[line], {'refused_quantity': 1}])
            if to_write:
                Line.write(*to_write)
            Parcel.partially_issue(parcels)
        else:
            method = {
                'issued': Parcel.issue,
                'refused': Parcel.refuse,
                'to_return': Parcel.to_return,
                'returned': Parcel.return_,
                'lost': Parcel.mark_lost,
                }[state]
            method(parcels)

    def backdate_notifications(self, ids):
        """Acceptance queued an SMS with the issue code for each parcel
        (the outbox): those of past days went out then, through the
        model's own bookkeeping (the code is masked once sent); today's
        stay pending for the demo of the outbox"""
        pool = self.pool
        try:
            Notification = pool.get('multipoint.notification')
        except KeyError:
            return
        notifications = Notification.search([('parcel', 'in', ids)],
            order=[('id', 'ASC')])
        if not notifications:
            return
        second = dt.timedelta(seconds=1)
        today = self.gen.now - dt.timedelta(hours=6)
        sent, moments = [], []
        for notification in notifications:
            plan = self.history[notification.parcel.id]
            moment = (plan.get('arrival') or plan['created']) + 20 * second
            moments.append((moment, notification.id))
            if moment < today and hasattr(notification, '_sent'):
                notification._sent(f'demo-{notification.id}',
                    seconds(moment + 40 * second))
                sent.append(notification)
        Notification.save(sent)
        table = Notification.__table__()
        cursor = self.gen.transaction.connection.cursor()
        columns = [table.create_date]
        if 'next_attempt_at' in Notification._fields:
            columns.append(table.next_attempt_at)
            sent_ids = {n.id for n in sent}
            rows = [(m, None if n in sent_ids else m, n) for m, n in moments]
        else:
            rows = moments
        execute_many(cursor, table.update(columns, [None] * len(columns),
                where=table.id == 0), rows)

    def backdate(self, parcels):
        """Move the journal, receptions and parcels onto the planned
        history (the model writes 'now'); root owns the journal"""
        pool = self.pool
        Parcel = pool.get('multipoint.parcel')
        Event = pool.get('multipoint.parcel.event')
        Reception = pool.get('multipoint.reception')
        Scan = pool.get('multipoint.reception.scan')
        cursor = self.gen.transaction.connection.cursor()
        event = Event.__table__()
        parcel_t = Parcel.__table__()
        reception_t = Reception.__table__()
        scan_t = Scan.__table__()
        ids = [p.id for p in parcels]
        second = dt.timedelta(seconds=1)

        updates, issuers = [], {}
        for sub in chunks(ids, 500):
            cursor.execute(*event.select(
                    event.id, event.parcel, event.kind, event.to_state,
                    event.detail, event.reception, event.user,
                    where=event.parcel.in_(sub), order_by=[event.id]))
            for event_id, parcel_id, kind, to_state, detail, reception, \
                    user in cursor.fetchall():
                if to_state in {'issued', 'partially_issued'}:
                    issuers[parcel_id] = user
                plan = self.history[parcel_id]
                path = dict(plan['path'])
                if kind == 'created':
                    moment = plan['created']
                elif kind in {'scan', 'damaged'}:
                    opened = self.receptions[reception][0]
                    moment = opened + 25 * second * self.scan_times.get(
                        (reception, detail), 1)
                elif kind == 'missing':
                    moment = plan['arrival'] - second
                elif kind == 'state' and to_state in path:
                    moment = path[to_state]
                else:
                    continue
                updates.append((moment, event_id))
        execute_many(cursor, event.update(
                [event.date], [None], where=event.id == 0), updates)

        Terms = pool.get('multipoint.supplier.terms')
        updates = []
        records = Parcel.browse(ids)
        terms = Terms.for_parcels(
            (p.supplier.id, p.point.id) for p in records)
        for parcel in records:
            plan = self.history[parcel.id]
            arrival = plan.get('arrival')
            deadline = None
            if arrival and parcel.arrival_date:
                term = terms[(parcel.supplier.id, parcel.point.id)]
                days = term.storage_days if term else 7
                deadline = parcel.point.local_date(arrival) + dt.timedelta(
                    days=days)
            else:
                arrival = None
            updates.append((plan['created'], seconds(arrival), deadline,
                    parcel.id))
        execute_many(cursor, parcel_t.update(
                [parcel_t.create_date, parcel_t.arrival_date,
                    parcel_t.storage_deadline],
                [None, None, None], where=parcel_t.id == 0), updates)
        if {'issued_at', 'issued_by', 'verification'} <= set(Parcel._fields):
            # what Parcel.issue_to_recipient records (the demo issues with
            # the lower level transitions: it takes no payment)
            updates = []
            for parcel in records:
                if parcel.id not in issuers:
                    continue
                path = dict(self.history[parcel.id]['path'])
                term = terms[(parcel.supplier.id, parcel.point.id)]
                moment = path.get('issued') or path.get('partially_issued')
                updates.append((seconds(moment), issuers[parcel.id],
                        'id_check' if term and term.id_check_required
                        else 'code', parcel.id))
            execute_many(cursor, parcel_t.update(
                    [parcel_t.issued_at, parcel_t.issued_by,
                        parcel_t.verification],
                    [None, None, None], where=parcel_t.id == 0), updates)

        # the records read so far hold the dates of 'now'
        for cache in self.gen.transaction.cache.values():
            cache.clear()
        self.backdate_notifications(ids)

        updates, scan_updates = [], []
        for reception_id, (opened, closed, _) in self.receptions.items():
            updates.append((opened, closed, opened, reception_id))
        execute_many(cursor, reception_t.update(
                [reception_t.opened_at, reception_t.closed_at,
                    reception_t.create_date],
                [None, None, None], where=reception_t.id == 0), updates)
        for sub in chunks(list(self.receptions), 500):
            cursor.execute(*scan_t.select(
                    scan_t.id, scan_t.reception, scan_t.barcode,
                    scan_t.result,
                    where=scan_t.reception.in_(sub)))
            for scan_id, reception_id, barcode, result in cursor.fetchall():
                opened, closed, scans = self.receptions[reception_id]
                if result == 'missing':
                    moment = closed
                else:
                    moment = opened + 25 * second * self.scan_times.get(
                        (reception_id, barcode), scans)
                scan_updates.append((moment, moment, scan_id))
        execute_many(cursor, scan_t.update(
                [scan_t.date, scan_t.create_date], [None, None],
                where=scan_t.id == 0), scan_updates)


def orm_values(values):
    "Factory values as Parcel.create wants them"
    values = dict(values)
    places = values.pop('places')
    if places:
        values['places'] = [('create', places)]
    # else the parcel labels its single place with the order number
    values['lines'] = [('create', values['lines'])]
    return values


def chunks(items, size):
    for i in range(0, len(items), size):
        yield items[i:i + size]


def execute_many(cursor, query, rows):
    "Run a python-sql query built with placeholder values for every row"
    if not rows:
        return
    sql, _ = tuple(query)
    for sub in chunks(rows, 2000):
        cursor.executemany(sql, sub)


# ----------------------------------------------------------------- bulk mode

class BulkMode:
    """Direct inserts of parcels, places, items and journal events, in
    batches (see the module docstring)"""

    def __init__(self, gen, factory, points, suppliers, terms):
        self.gen = gen
        self.pool = gen.pool
        self.rng = gen.rng
        self.factory = factory
        self.points = points
        self.suppliers = suppliers
        self.terms = terms
        self.database = gen.transaction.database
        self.postgresql = self.database.name == 'postgresql' or (
            type(self.database).__module__.startswith(
                'trytond.backend.postgresql'))
        self.cells = {}          # point code -> [[id, size index, room]]
        self.column_cache = {}

    def load_cells(self):
        Location = self.pool.get('stock.location')
        for code, point in self.points.items():
            cells = Location.search([
                    ('multipoint_point', '=', point.id),
                    ('storage_kind', '=', 'cell'),
                    ], order=[('barcode', 'ASC')])
            counts = Location.parcel_counts(cells)
            self.cells[code] = [
                [c.id, SIZE_ORDER.index(c.size_class or 'xxl'),
                    (c.capacity or 10 ** 6) - counts[c.id]]
                for c in cells]

    def take_cell(self, code, size_class):
        "A fitting cell with room, the smallest first; None when full"
        size = SIZE_ORDER.index(size_class)
        cells = self.cells[code]
        fitting = [c for c in cells if c[1] >= size and c[2] > 0]
        if not fitting:
            return None
        best = min(c[1] for c in fitting)
        choice = self.rng.choice([c for c in fitting if c[1] == best])
        choice[2] -= 1
        return choice[0]

    def columns(self, Model, known):
        """The stored columns of Model we fill, plus the defaults of those
        the model may have gained since this script was written"""
        if Model.__name__ in self.column_cache:
            return self.column_cache[Model.__name__]
        from trytond import backend
        from trytond.model import fields
        skip = {'id', 'create_uid', 'create_date', 'write_uid', 'write_date'}
        table = backend.TableHandler(Model)
        extra = []
        for name, field in Model._fields.items():
            if (name in skip or name in known
                    or isinstance(field, fields.Function)
                    or field._type in {'one2many', 'many2many'}
                    or not table.column_exist(name)):
                continue
            extra.append(name)
        defaults = Model.default_get(extra, with_rec_name=False) if extra \
            else {}
        if extra:
            log("  note: %s has columns unknown to this script, filled "
                "with defaults: %s", Model.__name__,
                ', '.join(f'{k}={defaults.get(k)!r}' for k in extra))
        result = (extra, [defaults.get(k) for k in extra])
        self.column_cache[Model.__name__] = result
        return result

    def reserve_ids(self, table, count):
        connection = self.gen.transaction.connection
        if self.postgresql:
            return self.database.nextid(connection, table, count)
        cursor = connection.cursor()
        cursor.execute(f'SELECT MAX(id) FROM "{table}"')
        start = (cursor.fetchone()[0] or 0) + 1
        return list(range(start, start + count))

    def insert(self, Model, columns, rows):
        if not rows:
            return
        extra, defaults = self.columns(Model, set(columns))
        columns = list(columns) + extra
        if extra:
            rows = [list(r) + defaults for r in rows]
        table = Model._table
        cursor = self.gen.transaction.connection.cursor()
        if self.postgresql:
            names = ', '.join(f'"{c}"' for c in columns)
            with cursor.copy(
                    f'COPY "{table}" ({names}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            t = Model.__table__()
            per = max(1, 900 // len(columns))
            for sub in chunks(rows, per):
                cursor.execute(*t.insert(
                        [getattr(t, c) for c in columns], values=sub))

    def run(self, n, batch=5000):
        pool = self.pool
        Parcel = pool.get('multipoint.parcel')
        Place = pool.get('multipoint.parcel.place')
        Line = pool.get('multipoint.parcel.line')
        Event = pool.get('multipoint.parcel.event')
        from trytond.modules.multipoint_core.parcel import (
            normalize_name, normalize_phone)
        self.load_cells()
        rng = self.rng
        weights = bulk_states(self.factory.history_days)
        states = list(weights)
        parcel_cols = ['id', 'create_uid', 'create_date', 'company',
            'supplier', 'order_number', 'point', 'manifest',
            'recipient_name', 'recipient_phone', 'recipient_key',
            'phone_last4', 'prepaid', 'cod_amount', 'delivery_fee',
            'declared_value', 'weight', 'size_class', 'cell', 'reception',
            'arrival_date', 'storage_deadline', 'state']
        # what Parcel.issue_to_recipient records, when the model has it
        issue_cols = ['issued_at', 'issued_by', 'verification']
        with_issue = set(issue_cols) <= set(Parcel._fields)
        if with_issue:
            parcel_cols += issue_cols
        place_cols = ['create_uid', 'create_date', 'parcel', 'supplier',
            'barcode', 'weight', 'state', 'damaged', 'reception']
        line_cols = ['create_uid', 'create_date', 'parcel', 'name',
            'article', 'quantity', 'unit_price', 'vat_rate', 'refusable',
            'refused_quantity']
        event_cols = ['create_uid', 'create_date', 'parcel', 'date', 'user',
            'point', 'kind', 'from_state', 'to_state', 'cell', 'reception',
            'detail']
        started = time.time()
        done = 0
        totals = defaultdict(int)
        first_id = None
        manifests = {}
        while done < n:
            size = min(batch, n - done)
            ids = self.reserve_ids(Parcel._table, size)
            if first_id is None:
                first_id = ids[0]
            parcels, places, lines, events = [], [], [], []
            for parcel_id in ids:
                state = rng.choices(states, [weights[s] for s in states])[0]
                code, key = self.factory.choose()
                if state == 'partially_issued' and not self.terms[
                        (key, code)]['partial_buyout']:
                    state = 'issued'
                plan = self.factory.history(state, code, key)
                manifest = None
                if plan['arrival_day'] is not None:
                    prefix = self.factory.supplier_info[key]['prefix']
                    day = (self.gen.now - dt.timedelta(
                            days=plan['arrival_day'])).strftime('%y%m%d')
                    manifest = f'{prefix}-{day}-{code}'
                elif state == 'expected':
                    manifest = manifests.setdefault((code, key), (
                            f"{self.factory.supplier_info[key]['prefix']}-"
                            f"{(self.gen.now + dt.timedelta(days=1)):%y%m%d}"
                            f"-{code}"))
                    if rng.random() < 0.4:
                        manifest = None
                values = self.factory.values(code, key, manifest=manifest)
                point = self.points[code]
                phone = normalize_phone(values['recipient_phone'])
                path = list(plan['path'])
                cell = None
                if any(s == 'stored' for s, _ in path):
                    if state == 'stored':
                        cell = self.take_cell(code, values['size_class'])
                        if cell is None:    # the point is full
                            path = path[:1]
                            state = 'accepted'
                    else:
                        # it was in a cell before; which one does not
                        # matter for the history
                        cells = self.cells[code]
                        size_i = SIZE_ORDER.index(values['size_class'])
                        fitting = [c[0] for c in cells if c[1] >= size_i]
                        cell = rng.choice(fitting) if fitting else None
                final_cell = cell if state in {
                    'stored', 'refused', 'to_return'} else None
                arrival = plan.get('arrival')
                deadline = None
                if arrival:
                    deadline = point.local_date(arrival) + dt.timedelta(
                        days=self.terms[(key, code)]['storage_days'])
                operators = self.gen.operators.get(code) or [None]
                user = rng.choice(operators)
                row = [parcel_id, 0, plan['created'],
                    values['company'], values['supplier'],
                    values['order_number'], values['point'], manifest,
                    values['recipient_name'], phone,
                    normalize_name(values['recipient_name']),
                    phone[-4:], values['prepaid'], values['cod_amount'],
                    values['delivery_fee'], values['declared_value'],
                    values['weight'], values['size_class'], final_cell,
                    None, seconds(arrival), deadline, state]
                if with_issue:
                    if state in {'issued', 'partially_issued'}:
                        id_check = self.terms[(key, code)].get(
                            'id_check_required')
                        row += [seconds(path[-1][1]), user,
                            'id_check' if id_check else 'code']
                    else:
                        row += [None, None, None]
                parcels.append(row)
                arrived = state not in {'expected', 'cancelled'}
                barcodes = values['places'] or [
                    {'barcode': values['order_number'], 'weight': None}]
                for place in barcodes:
                    places.append([0, plan['created'], parcel_id,
                            values['supplier'], place['barcode'],
                            place['weight'],
                            'received' if arrived else 'expected', False,
                            None])
                refused_line = None
                if state == 'partially_issued':
                    refusable = [i for i, l in enumerate(values['lines'])
                        if l['refusable']]
                    if refusable:
                        refused_line = rng.choice(refusable)
                for i, line in enumerate(values['lines']):
                    lines.append([0, plan['created'], parcel_id,
                            line['name'], line['article'], line['quantity'],
                            line['unit_price'], line['vat_rate'],
                            line['refusable'],
                            1 if i == refused_line else 0])
                events.append([0, plan['created'], parcel_id,
                        plan['created'], None, point.id, 'created', None,
                        'expected', None, None, None])
                previous = 'expected'
                for to_state, moment in path:
                    events.append([0, moment, parcel_id, moment, user,
                            point.id, 'state', previous, to_state,
                            cell if to_state == 'stored' else None, None,
                            None])
                    previous = to_state
                totals[state] += 1
            self.insert(Parcel, parcel_cols, parcels)
            self.insert(Place, place_cols, places)
            self.insert(Line, line_cols, lines)
            self.insert(Event, event_cols, events)
            self.gen.commit()
            done += size
            elapsed = time.time() - started
            log("  %d/%d parcels, %d places, %d events in this batch; "
                "%.0f parcels/s", done, n, len(places), len(events),
                done / elapsed)
        self.validate(first_id, n)
        self.issue_codes(first_id, n)
        if self.postgresql:
            cursor = self.gen.transaction.connection.cursor()
            for Model in [Parcel, Place, Line, Event]:
                cursor.execute(f'ANALYZE "{Model._table}"')
        self.gen.commit()
        log("  %d parcels inserted in %.0f s (%.0f parcels/s)", n,
            time.time() - started, n / (time.time() - started))
        return totals

    def issue_codes(self, first_id, n):
        "Parcels at the point have an issue code since their acceptance"
        Parcel = self.pool.get('multipoint.parcel')
        if not hasattr(Parcel, 'generate_codes'):
            return
        parcels = Parcel.search([
                ('id', '>=', first_id), ('id', '<', first_id + n),
                ('state', 'in', ['accepted', 'stored']),
                ], order=[('id', 'ASC')])
        for sub in chunks(parcels, 1000):
            Parcel.generate_codes(sub)
        self.gen.commit()
        log("  issue codes for the %d parcels at the points", len(parcels))

    def validate(self, first_id, n):
        "The model's own checks on a sample of what was inserted"
        pool = self.pool
        Parcel = pool.get('multipoint.parcel')
        Place = pool.get('multipoint.parcel.place')
        Line = pool.get('multipoint.parcel.line')
        table = Parcel.__table__()
        cursor = self.gen.transaction.connection.cursor()
        cursor.execute(*table.select(table.id,
                where=table.id >= first_id, order_by=[table.id]))
        ids = [i for i, in cursor]
        sample = sorted(self.rng.sample(ids, min(len(ids), 200)))
        parcels = Parcel.browse(sample)
        Parcel._validate(parcels)
        Place._validate(Place.browse(
                [pl.id for p in parcels for pl in p.places]))
        Line._validate(Line.browse(
                [ln.id for p in parcels for ln in p.lines]))
        log("  sample of %d parcels validated by the model", len(parcels))


# ----------------------------------------------------------- point of sale

SHIFT_POINT = 'MSK-01'
SHIFT_OPERATOR = 'kuznetsova'
SHIFT_FLOAT = Decimal('5000.00')


def use_demo_fiscal_driver():
    """The receipts of the demo data go to the demo register: never to a
    real one, whatever the configuration says"""
    from trytond import config
    section = 'multipoint_fiscal'
    current = (config.get(section, 'driver')
        if config.has_section(section) else None)
    if current == 'demo':
        return
    if not config.has_section(section):
        config.add_section(section)
    config.set(section, 'driver', 'demo')
    if current:
        log("Note: the demo data fiscalizes its receipts with the 'demo' "
            "driver, not with the configured '%s'", current)
    else:
        log("Note: no [multipoint_fiscal] driver configured; the demo "
            "data uses the 'demo' driver (set TRYTOND_MULTIPOINT_FISCAL__"
            "DRIVER=demo for the server)")


def setup_accounting(pool, company):
    """What multipoint_pos.tests.pos_tools.setup_accounting does: the
    minimal Russian chart (when the company has no chart), a fiscal year of
    the current year (and of yesterday's, on the 1st of January) with its
    move sequence and periods. Returns the accounts for Point.setup_pos."""
    from trytond.modules.multipoint_pos.pos import create_minimal_chart
    Account = pool.get('account.account')
    FiscalYear = pool.get('account.fiscalyear')
    Sequence = pool.get('ir.sequence.strict')
    ModelData = pool.get('ir.model.data')
    Date = pool.get('ir.date')
    accounts = {}
    if not Account.search([
                ('company', '=', company.id), ('type', '!=', None),
                ], limit=1):
        accounts = create_minimal_chart(company)
        log("  minimal chart of accounts (50, 60, 62, 90.01, 91.02)")
    else:
        cash = Account.search([
                ('company', '=', company.id), ('code', '=', '50'),
                ], limit=1)
        if cash:
            accounts['cash'] = cash[0]
    today = Date.today()
    for year in sorted({(today - dt.timedelta(days=1)).year, today.year}):
        start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
        if FiscalYear.search([
                    ('company', '=', company.id),
                    ('start_date', '<=', start), ('end_date', '>=', end),
                    ], limit=1):
            continue
        sequence, = Sequence.create([{
                    'name': str(year),
                    'sequence_type': ModelData.get_id(
                        'account', 'sequence_type_account_move'),
                    'company': company.id,
                    }])
        fiscalyear, = FiscalYear.create([{
                    'name': str(year),
                    'company': company.id,
                    'start_date': start,
                    'end_date': end,
                    'move_sequence': sequence.id,
                    }])
        FiscalYear.create_period([fiscalyear])
        log("  fiscal year %d with its monthly periods", year)
    return accounts


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


def issuable_with_code(pool, parcels, today, payable):
    """The stored parcels an operator issues with the code alone (no ID
    check), not expired, with (payable) or without anything to pay"""
    Terms = pool.get('multipoint.supplier.terms')
    terms = Terms.for_parcels((p.supplier.id, p.point.id) for p in parcels)
    result = []
    for parcel in parcels:
        term = terms[(parcel.supplier.id, parcel.point.id)]
        if term and term.id_check_required:
            continue
        if parcel.storage_deadline and parcel.storage_deadline < today:
            continue
        if bool(parcel.amount_due) != payable:
            continue
        result.append(parcel)
    return result


def round_up(amount, step):
    "The banknotes a recipient hands over for amount"
    step = Decimal(step)
    return ((amount / step).to_integral_value(
            rounding=ROUND_CEILING) * step).quantize(CENT)


class Shifts:
    """Point-of-sale setup of every point and the shifts of the demo: a
    shift closed yesterday at SHIFT_POINT with paid issues (cash with
    change, card, SBP, a partial buyout, card and cash together) whose
    receipts the demo register fiscalized, then the shift of today, open
    with a float of 5,000 ₽ and a couple of paid issues, so the X-report has
    figures. Everything goes through the models (open_shift,
    issue_with_payment, Receipt.send, collect, close_shift) as the operator;
    yesterday's shift is then moved to yesterday's hours (raw SQL, like the
    backdating of the workflow mode)."""

    def __init__(self, gen, company, points, suppliers):
        self.gen = gen
        self.pool = gen.pool
        self.company = company
        self.points = points
        self.suppliers = suppliers

    def setup(self):
        pool = self.pool
        Point = pool.get('multipoint.point')
        use_demo_fiscal_driver()
        accounts = setup_accounting(pool, self.company)
        self.suppliers = dict(zip(self.suppliers,
                ensure_supplier_inns(pool, self.suppliers)))
        points = Point.browse([p.id for p in self.points.values()])
        missing = [p for p in points if not p.sale_point]
        if missing:
            Point.setup_pos(missing, accounts)
            log("  point of sale of %s", ', '.join(p.code for p in missing))
        self.points = {p.code: p for p in Point.browse(points)}
        self.gen.commit()

    def has_shifts(self):
        Session = self.pool.get('sale.point.cash.session')
        point = self.points[SHIFT_POINT]
        return bool(Session.search([
                    ('point', '=', point.sale_point.id)], limit=1))

    def operator(self):
        User = self.pool.get('res.user')
        users = User.search([('login', '=', SHIFT_OPERATOR)], limit=1)
        return users[0].id if users else 0

    def local(self, point, day_offset, hour, minute=0):
        "UTC naive moment of a local time at point day_offset days ago"
        tz = ZoneInfo(point.timezone or 'Europe/Moscow')
        today = self.gen.now.replace(tzinfo=dt.timezone.utc).astimezone(
            tz).date()
        day = today - dt.timedelta(days=day_offset)
        return dt.datetime(day.year, day.month, day.day, hour, minute,
            tzinfo=tz).astimezone(dt.timezone.utc).replace(tzinfo=None)

    def candidates(self, point, before=None):
        "Stored COD parcels of point to pay, oldest first"
        pool = self.pool
        Parcel = pool.get('multipoint.parcel')
        domain = [
            ('point', '=', point.id),
            ('state', '=', 'stored'),
            ('prepaid', '=', False),
            ]
        if before:
            domain.append(('arrival_date', '<', before))
        parcels = Parcel.search(domain, order=[('id', 'ASC')])
        parcels = issuable_with_code(pool, parcels, point.local_date(), True)
        # one supplier after the other, as recipients come
        rank = defaultdict(int)
        order = {}
        for parcel in parcels:
            order[parcel.id] = (rank[parcel.supplier.id], parcel.id)
            rank[parcel.supplier.id] += 1
        return sorted(parcels, key=lambda p: order[p.id])

    def pay(self, point, parcel, payments, refused=None):
        """Issue parcel with its payment and fiscalize the receipts as the
        /issue/pay route does (commit, then the register)"""
        pool = self.pool
        Parcel = pool.get('multipoint.parcel')
        Receipt = pool.get('multipoint.receipt')
        code = Parcel.generate_codes([parcel])[parcel]
        result = Parcel.issue_with_payment([parcel], point,
            {parcel: ('code', code)}, payments, refused=refused,
            signature=True)
        Receipt.send(result['receipts'])
        for receipt in Receipt.browse(result['receipts']):
            if receipt.state != 'done':
                raise RuntimeError(
                    f"receipt {receipt.rec_name} not fiscalized: "
                    f"{receipt.error_message}")
        return result

    @staticmethod
    def plans(total, kinds):
        "The payments of total for each kind of plan"
        half = min((total / 2).quantize(Decimal('1')), Decimal('1000'))
        return {
            'cash': [{'method': 'cash', 'amount': total,
                    'tendered': round_up(total, 500)}],
            'card': [{'method': 'card', 'amount': total}],
            'sbp': [{'method': 'sbp', 'amount': total}],
            'mixed': [{'method': 'card', 'amount': total - half},
                {'method': 'cash', 'amount': half,
                    'tendered': round_up(half, 100)}],
            }[kinds]

    def partial(self, parcels):
        """A parcel whose supplier allows a partial buyout, with one
        refusable unit: (parcel, {line: 1})"""
        pool = self.pool
        Terms = pool.get('multipoint.supplier.terms')
        terms = Terms.for_parcels((p.supplier.id, p.point.id) for p in parcels)
        for parcel in parcels:
            term = terms[(parcel.supplier.id, parcel.point.id)]
            if not (term and term.partial_buyout):
                continue
            total = sum(l.quantity for l in parcel.lines)
            for line in parcel.lines:
                if line.refusable and total > 1:
                    return parcel, {line: 1}
        return None, None

    def issue_all(self, point, parcels, kinds):
        "Pay and issue parcels by the plans; [(parcel id, result)]"
        Parcel = self.pool.get('multipoint.parcel')
        done = []
        partial_parcel, refused = None, None
        if 'partial' in kinds:
            partial_parcel, refused = self.partial(parcels)
        parcels = [p for p in parcels if p != partial_parcel]
        for kind in kinds:
            if kind == 'partial':
                if not partial_parcel:
                    continue
                parcel = partial_parcel
                due = Parcel.amounts_due([parcel], refused)[parcel].total
                payments = self.plans(due, 'cash')
                result = self.pay(point, parcel, payments, refused)
            else:
                if not parcels:
                    break
                parcel = parcels.pop(0)
                due = Parcel.amounts_due([parcel])[parcel].total
                if kind == 'mixed' and due < 2:
                    kind = 'card'
                if kind == 'sbp' and 'sbp' not in (
                        point.payment_methods or []):
                    kind = 'card'
                result = self.pay(point, parcel, self.plans(due, kind))
            done.append((parcel.id, result))
        return done

    def run(self):
        pool = self.pool
        Session = pool.get('sale.point.cash.session')
        Event = pool.get('multipoint.parcel.event')
        transaction = self.gen.transaction
        point = self.points[SHIFT_POINT]
        yesterday_open = self.local(point, 1, 9, 0)
        last_events = Event.search([], order=[('id', 'DESC')], limit=1)
        first_event = (last_events[0].id if last_events else 0) + 1
        with transaction.set_user(self.operator()), \
                transaction.set_context(company=self.company.id):
            # yesterday: opened, five paid issues, cash collected down to
            # the float, counted and closed
            parcels = self.candidates(point, before=yesterday_open)
            shift = Session.open_shift(point, SHIFT_FLOAT)
            yesterday = self.issue_all(point, parcels[:12],
                ['cash', 'card', 'sbp', 'partial', 'mixed'])
            shift = Session(shift.id)
            cash = shift.expected_amount
            if cash > SHIFT_FLOAT:
                shift.collect(cash - SHIFT_FLOAT)
            report = Session(shift.id).close_shift(
                [(SHIFT_FLOAT, 1)] if SHIFT_FLOAT else [])
            self.backdate(point, shift, yesterday, first_event)
            # today: open with the float, a couple of paid issues
            taken = {parcel_id for parcel_id, _ in yesterday}
            parcels = [p for p in self.candidates(point)
                if p.id not in taken]
            today_shift = Session.open_shift(point, SHIFT_FLOAT)
            today = self.issue_all(point, parcels[:2], ['cash', 'card'])
            opened = min(self.local(point, 0, 9, 0),
                self.gen.now - dt.timedelta(minutes=20))
            session = Session.__table__()
            cursor = transaction.connection.cursor()
            cursor.execute(*session.update(
                    [session.opened_at, session.create_date],
                    [opened, opened], where=session.id == today_shift.id))
        for cache in transaction.cache.values():
            cache.clear()
        today_shift = Session(today_shift.id)
        x_report = today_shift.x_report()
        self.gen.commit()
        log("  %s: %s closed yesterday (%d paid issues, %s ₽ taken, "
            "Z-report counted %s ₽); %s open today with a float of %s ₽ "
            "(%d paid issues, %s ₽ taken)", point.code,
            report['shift']['name'], len(yesterday), report['total'],
            report['counted'], today_shift.rec_name, SHIFT_FLOAT,
            len(today), x_report['total'])
        return today_shift

    def backdate(self, point, shift, issues, first_event):
        """Yesterday's shift at yesterday's hours: the shift, its cash
        transfers, sales, payments, receipts and the issued parcels with
        their journal"""
        pool = self.pool
        Session = pool.get('sale.point.cash.session')
        Transfer = pool.get('sale.point.cash.transfer')
        Sale = pool.get('sale.point.sale')
        Payment = pool.get('sale.point.payment')
        Receipt = pool.get('multipoint.receipt')
        Parcel = pool.get('multipoint.parcel')
        Event = pool.get('multipoint.parcel.event')
        cursor = self.gen.transaction.connection.cursor()
        second = dt.timedelta(seconds=1)
        opened = self.local(point, 1, 9, 2)
        closed = self.local(point, 1, 21, 4)
        collected = self.local(point, 1, 20, 51)
        day = point.local_date(opened)
        session = Session.__table__()
        cursor.execute(*session.update(
                [session.opened_at, session.closed_at, session.create_date,
                    session.write_date],
                [opened, closed, opened, closed],
                where=session.id == shift.id))
        rows = []
        for transfer in Transfer.search([('session', '=', shift.id)]):
            moment = opened if transfer.amount > 0 else collected
            if transfer.type.multipoint_kind == 'difference':
                moment = closed
            rows.append((day, moment, transfer.id))
        transfer_t = Transfer.__table__()
        execute_many(cursor, transfer_t.update(
                [transfer_t.date, transfer_t.create_date], [None, None],
                where=transfer_t.id == 0), rows)
        # the issues along the day, between 10:00 and 19:30
        hours = [(10, 12), (11, 47), (13, 25), (15, 3), (17, 41), (19, 20)]
        sale_rows, payment_rows, receipt_rows = [], [], []
        parcel_rows, event_rows = [], []
        for (parcel_id, result), (hour, minute) in zip(issues, hours):
            moment = self.local(point, 1, hour, minute)
            for sale in Sale.browse([int(s) for s in result['sales']]):
                sale_rows.append((day, moment, moment + 20 * second,
                        sale.id))
                for payment in sale.payments:
                    payment_rows.append((moment + 5 * second, payment.id))
            for receipt in result['receipts']:
                receipt_rows.append((moment + 6 * second,
                        moment + 8 * second, moment + 8 * second,
                        moment + second, int(receipt)))
            parcel_rows.append((seconds(moment + 20 * second), parcel_id))
            for event in Event.search([
                        ('parcel', '=', parcel_id),
                        ('id', '>=', first_event),
                        ]):
                event_rows.append((moment + 20 * second,
                        moment + 20 * second, event.id))
        for Model, columns, rows in [
                (Sale, ['date', 'create_date', 'write_date'], sale_rows),
                (Payment, ['create_date'], payment_rows),
                (Receipt, ['sent_at', 'fiscal_date', 'write_date',
                        'create_date'], receipt_rows),
                (Parcel, ['issued_at'], parcel_rows),
                (Event, ['date', 'create_date'], event_rows),
                ]:
            table = Model.__table__()
            execute_many(cursor, table.update(
                    [getattr(table, c) for c in columns],
                    [None] * len(columns), where=table.id == 0), rows)
        for cache in self.gen.transaction.cache.values():
            cache.clear()


# ------------------------------------------------------------ bench manifest

def bench_manifest(gen, factory, points, suppliers):
    """The parcels of one supplier at the first point whose places, exactly
    BENCH_PLACES, travel with the manifest BENCH_MANIFEST"""
    pool = gen.pool
    Parcel = pool.get('multipoint.parcel')
    Place = pool.get('multipoint.parcel.place')
    code = POINTS[0]['code']
    key = 'boxberry'
    existing = Place.search([
            ('parcel.manifest', '=', BENCH_MANIFEST),
            ('parcel.point', '=', points[code].id),
            ])
    if existing:
        log("Manifest %s already there (%d places)", BENCH_MANIFEST,
            len(existing))
        return
    rng = gen.rng
    remaining = BENCH_PLACES
    vlist = []
    while remaining:
        count = min(remaining, rng.choices([1, 2, 3], [70, 22, 8])[0])
        values = factory.values(code, key, places=count,
            manifest=BENCH_MANIFEST)
        vlist.append(orm_values(values))
        remaining -= count
    parcels = []
    for sub in chunks(vlist, 250):
        parcels += Parcel.create(sub)
    gen.commit()
    log("Manifest %s: %d parcels of %s with %d places at %s",
        BENCH_MANIFEST, len(parcels), suppliers[key].name, BENCH_PLACES,
        code)


def organizer(gen, points, suppliers):
    """multipoint_tickets (when activated and not filled yet): the typical
    tasks of each point (cash collection on Fridays 18:00, inventory of
    zone A on Mondays 10:00, both weekly with a reminder) and a call to a
    supplier about a claim tomorrow; three tickets at SHIFT_POINT in
    different states: a damaged box waiting for DPD (with an internal
    note), a lost parcel of СДЭК resolved, a label printer out of order
    (new, high priority). Written as the point's operator, so the threads
    have an author; the outbox gets the notifications (pending until a
    gateway is configured)."""
    pool = gen.pool
    if 'multipoint.task' not in dict(pool.iterobject()):
        return 0
    Task = pool.get('multipoint.task')
    Ticket = pool.get('multipoint.ticket')
    Message = pool.get('multipoint.ticket.message')
    Parcel = pool.get('multipoint.parcel')
    if Task.search([], limit=1):
        return 0
    from trytond.modules.multipoint_tickets.recurrence import to_utc

    def at(point, days, hour):
        "UTC moment of hour o'clock at point, days from its today"
        day = point.local_date(gen.now) + dt.timedelta(days=days)
        return to_utc(dt.datetime.combine(day, dt.time(hour)), point.tzinfo)

    def next_weekday(point, weekday, hour):
        today = point.local_date(gen.now)
        return at(point, (weekday - today.weekday()) % 7 or 7, hour)

    vlist = []
    for code, point in points.items():
        operator = (gen.operators.get(code) or [None])[0]
        vlist += [{
                'title': "Инкассация",
                'notes': "Сдать выручку инкассатору, сверить с Z-отчётом.",
                'point': point.id, 'assignee': operator,
                'due': next_weekday(point, 4, 18), 'recurrence': 'weekly',
                'weekdays': ['4'], 'reminder_minutes': 30,
                }, {
                'title': "Инвентаризация зоны A",
                'point': point.id, 'assignee': operator,
                'due': next_weekday(point, 0, 10), 'recurrence': 'weekly',
                'weekdays': ['0'], 'reminder_minutes': 60,
                }, {
                # every day, so the operator screen's «Сегодня» has one
                'title': "Проверить сроки хранения",
                'notes': "Просроченные посылки отложить в зону возврата.",
                'point': point.id, 'assignee': operator,
                'due': at(point, 0, 20), 'recurrence': 'daily',
                'reminder_minutes': 60,
                }]
    point = points[SHIFT_POINT]
    vlist.append({
            'title': f"Позвонить в {suppliers['cdek'].name} по претензии",
            'notes': "Утерянная посылка: согласовать возмещение.",
            'point': point.id,
            'assignee': (gen.operators.get(SHIFT_POINT) or [None])[0],
            'due': at(point, 1, 11), 'reminder_minutes': 15,
            })
    Task.create(vlist)

    def parcel_of(key):
        found = Parcel.search([
                ('point', '=', point.id),
                ('supplier', '=', suppliers[key].id),
                ('state', 'in', ['stored', 'accepted', 'to_return', 'lost',
                        'issued']),
                ], order=[('state', 'DESC'), ('id', 'ASC')], limit=1)
        return [('add', [found[0].id])] if found else []
    operator = (gen.operators.get(SHIFT_POINT) or [0])[0]
    with gen.transaction.set_user(operator):
        damaged, lost, printer = Ticket.create([{
                    'title': "Вмятина на коробке при приёмке",
                    'type': 'damaged', 'point': point.id,
                    'supplier': suppliers['dpd'].id,
                    'parcels': parcel_of('dpd'),
                    'description': "Угол коробки смят, содержимое цело.",
                    'assignee': operator or None,
                    }, {
                    'title': "Посылка не найдена при инвентаризации",
                    'type': 'lost', 'priority': 'high', 'point': point.id,
                    'supplier': suppliers['cdek'].id,
                    'parcels': parcel_of('cdek'),
                    'assignee': operator or None,
                    }, {
                    'title': "Не печатает принтер этикеток",
                    'type': 'technical', 'priority': 'high',
                    'point': point.id,
                    }])
        Ticket.start([damaged, lost])
        Message.create([{
                    'ticket': damaged.id,
                    'body': "Просим подтвердить возмещение; фото во "
                    "вложении к приёмке.",
                    }, {
                    'ticket': damaged.id, 'internal': True,
                    'body': "Курьер отказался подписать акт.",
                    }, {
                    'ticket': lost.id,
                    'body': "Посылка утеряна, просим выставить претензию.",
                    }])
        Ticket.wait_supplier([damaged])
        Ticket.resolve([lost])
    log("Organizer: %d tasks, 3 tickets at %s", len(vlist), SHIFT_POINT)
    return len(vlist)


def portal_ticket(gen, points, suppliers):
    """multipoint_tickets: a ticket about the portal's supplier (Лавка
    Марии) waiting for its answer, so the portal's «Обращения» has one to
    answer: a recipient asks to swap an item of a stored parcel. Only when
    the supplier has no ticket yet; written as the point's operator."""
    pool = gen.pool
    if 'multipoint.ticket' not in dict(pool.iterobject()):
        return None
    Ticket = pool.get('multipoint.ticket')
    Message = pool.get('multipoint.ticket.message')
    Parcel = pool.get('multipoint.parcel')
    key = PORTAL_USERS[0][2]
    supplier = suppliers.get(key)
    if supplier is None or Ticket.search(
            [('supplier', '=', supplier.id)], limit=1):
        return None
    info = next(s for s in SUPPLIERS if s['key'] == key)
    code = next(c for c in info.get('points', points) if c in points)
    point = points[code]
    parcels = Parcel.search([
            ('point', '=', point.id), ('supplier', '=', supplier.id),
            ('state', 'in', ['stored', 'accepted']),
            ], order=[('id', 'ASC')], limit=1)
    operator = (gen.operators.get(code) or [0])[0]
    order = parcels[0].order_number if parcels else None
    with gen.transaction.set_user(operator):
        ticket, = Ticket.create([{
                    'title': "Покупатель просит заменить размер",
                    'type': 'mismatch', 'point': point.id,
                    'supplier': supplier.id,
                    'parcels': [('add', [p.id for p in parcels])],
                    'description': "Получатель пришёл за заказом"
                    + (f" {order}" if order else "")
                    + " и просит заменить платье 44 размера на 46-й.",
                    'assignee': operator or None,
                    }])
        Ticket.start([ticket])
        Message.create([{
                    'ticket': ticket.id,
                    'body': "Здравствуйте! Получатель просит заменить "
                    "размер. Можно ли оставить заказ на хранении, пока вы "
                    "привезёте замену, или оформить возврат?",
                    }, {
                    'ticket': ticket.id, 'internal': True,
                    'body': "Получатель оставил телефон, перезвонить после "
                    "ответа магазина.",
                    }])
        Ticket.wait_supplier([ticket])
    log("Ticket %s waits for %s (supplier portal)", ticket.rec_name,
        supplier.name)
    return ticket


def rub(amount):
    "1 480,00 ₽"
    text = f'{Decimal(amount):,.2f}'.replace(',', ' ').replace('.', ',')
    return f'{text} ₽'


def threshold_case(gen, points, suppliers):
    """THRESHOLD_CASE: the supplier's terms get the threshold and the
    standard delivery fee (when they lack them), and its parcel of 3,000 ₽
    with free delivery is created, accepted and stored at the point with a
    fresh issue code. Returns its note for the logins file, or None when
    the parcel already exists (its code is not known any more)."""
    pool = gen.pool
    Parcel = pool.get('multipoint.parcel')
    Reception = pool.get('multipoint.reception')
    Terms = pool.get('multipoint.supplier.terms')
    from trytond.modules.multipoint_core.placement import (
        place_parcel, suggest_cell)
    case = THRESHOLD_CASE
    supplier = suppliers.get(case['supplier'])
    point = points.get(case['point'])
    if supplier is None or point is None or 'standard_delivery_fee' not in (
            Terms._fields):
        return None
    terms = Terms.search([
            ('supplier', '=', supplier.id), ('point', '=', None)])
    Terms.write(terms, {
            'delivery_fee_rule': 'below_threshold',
            'partial_buyout': True,
            'free_delivery_threshold': case['threshold'],
            'standard_delivery_fee': case['fee'],
            })
    if Parcel.search([('supplier', '=', supplier.id),
                ('order_number', '=', case['order'])], limit=1):
        return None
    name, phone = case['recipient']
    goods = sum(price for _, price in case['lines'])
    parcel, = Parcel.create([{
                'company': point.company.id,
                'point': point.id,
                'supplier': supplier.id,
                'order_number': case['order'],
                'recipient_name': name,
                'recipient_phone': phone,
                'prepaid': False,
                'cod_amount': goods,
                # free: the goods are above the threshold
                'delivery_fee': Decimal('0.00'),
                'declared_value': goods,
                'weight': 2.4,
                'size_class': 'm',
                'places': [('create', [{'barcode': case['barcode']}])],
                'lines': [('create', [{
                                'name': item, 'quantity': 1,
                                'unit_price': price, 'vat_rate': '22',
                                'refusable': True,
                                } for item, price in case['lines']])],
                }])
    operator = (gen.operators.get(case['point']) or [0])[0]
    with gen.transaction.set_user(operator):
        reception, = Reception.create([{
                    'point': point.id, 'company': point.company.id,
                    'suppliers': [('add', [supplier.id])],
                    'courier_name': "Курьер Hermes",
                    }])
        reception.scan(case['barcode'])
        Reception.close([reception])
    parcel = Parcel(parcel.id)
    cell = suggest_cell(parcel)
    if cell:
        place_parcel(parcel, cell)
    parcel = Parcel(parcel.id)
    code = Parcel.generate_codes([parcel])[parcel]
    kept = goods - case['lines'][-1][1]
    log("Free-delivery threshold: %s of %s at %s, code %s",
        case['order'], supplier.name, case['point'], code)
    return (f"{THRESHOLD_MARK} ({supplier.name}: delivery free from "
        f"{rub(case['threshold'])} of goods, else {rub(case['fee'])})\n"
        f"{case['point']}  cell {parcel.cell.barcode if parcel.cell else '-'}"
        f"  order {case['order']}  {name}  to pay {rub(goods)}  "
        f"code {code}\n"
        f"# Try: on the operator screen find {case['order']}, refuse "
        f"«{case['lines'][-1][0]}»: {rub(kept)} of goods kept is below "
        f"{rub(case['threshold'])}, so the delivery fee {rub(case['fee'])} "
        f"becomes due ({rub(kept + case['fee'])} to pay).\n")


def add_note(path, note):
    "Put note at the end of the logins file, instead of an older one"
    if not path or not note:
        return
    text = ''
    if os.path.exists(path):
        with open(path, encoding='utf-8') as fp:
            text = fp.read()
    if THRESHOLD_MARK in text:
        text = text[:text.index(THRESHOLD_MARK)].rstrip('\n') + '\n'
    directory = os.path.dirname(path)
    if directory:
        os.makedirs(directory, exist_ok=True)
    with open(path, 'w', encoding='utf-8') as fp:
        fp.write(text + ('\n' if text else '') + note)
    os.chmod(path, 0o600)


# --------------------------------------------------------------- reporting

def demo_codes(gen, points, per_point=4, paid=2):
    """New issue codes for a few stored parcels of each point, so that an
    issue can be shown (the codes are kept hashed; the recipient would get
    them by SMS): first `paid` parcels with cash on delivery, paid at the
    desk (MSK-01 has an open shift), then parcels with nothing to pay; all
    issued with the code alone (no ID check) and within their storage
    time"""
    pool = gen.pool
    Parcel = pool.get('multipoint.parcel')
    if not hasattr(Parcel, 'generate_codes'):
        return []
    rows = []
    for code, point in points.items():
        parcels = Parcel.search([
                ('point', '=', point.id),
                ('state', '=', 'stored'),
                ], order=[('id', 'ASC')])
        today = point.local_date()
        payable = issuable_with_code(pool, parcels, today, True)[:paid]
        free = issuable_with_code(pool, parcels, today, False)
        parcels = (payable + free)[:per_point]
        if not parcels:
            continue
        codes = Parcel.generate_codes(parcels)
        for parcel in parcels:
            rows.append((code, parcel.cell.barcode if parcel.cell else '',
                    parcel.order_number, parcel.recipient_name,
                    str(parcel.amount_due), codes[parcel]))
    gen.commit()
    return rows


def codes_table(rows):
    rows = [("point", "cell", "order", "recipient", "to pay", "code")] + [
        tuple(r) for r in rows]
    widths = [max(len(r[i]) for r in rows) for i in range(6)]
    lines = ["# Issue codes of a few stored parcels (for the demo of an "
        "issue; those with an amount to pay are paid at the desk, "
        f"{SHIFT_POINT} has an open shift)"]
    for row in rows:
        lines.append('  '.join(c.ljust(w) for c, w in zip(row, widths))
            .rstrip())
    return '\n'.join(lines) + '\n'


def supplier_portal(pool, company, points, suppliers):
    """A web user of the portal per PORTAL_USERS and a manifest-file account
    of its supplier at the supplier's points; only what is missing"""
    Account = pool.get('multipoint.supplier.account')
    WebUser = pool.get('web.user')
    info = {s['key']: s for s in SUPPLIERS}
    for email, password, key in PORTAL_USERS:
        supplier = suppliers.get(key)
        if supplier is None:
            continue
        codes = [c for c in info[key].get('points', points) if c in points]
        if not Account.search([('supplier', '=', supplier.id)], limit=1):
            Account.create([{
                        'name': f"{supplier.name} (файлы)",
                        'company': company.id,
                        'supplier': supplier.id,
                        'connector': 'file',
                        'points': [('create', [{
                                        'point': points[c].id,
                                        'supplier_code': c,
                                        } for c in codes])],
                        }])
        if not WebUser.search([('email', '=', email)], limit=1):
            WebUser.create([{
                        'email': email,
                        'password': password,
                        'party': supplier.id,
                        'multipoint_supplier': supplier.id,
                        }])


def portal_settlement(gen, company, suppliers):
    """The agent's report of each portal user's supplier over the days of
    its parcels paid in closed shifts: computed, confirmed by the owner
    (which posts its move) and sent, as the portal shows the sent ones.
    Only for a supplier without any report yet. None, said in the log,
    when no parcel of it was paid in a closed shift (with few parcels the
    shifts pay only some suppliers'): the workflow mode issues parcels
    without taking their money, a report of those would show nothing
    collected and only the commission owed."""
    pool = gen.pool
    Settlement = pool.get('multipoint.settlement')
    Payment = pool.get('sale.point.payment')
    User = pool.get('res.user')
    transaction = gen.transaction
    for key in dict.fromkeys(key for _, _, key in PORTAL_USERS):
        supplier = suppliers.get(key)
        if supplier is None or Settlement.search(
                [('supplier', '=', supplier.id)], limit=1):
            continue
        payments = Payment.search([
                ('sale.supplier', '=', supplier.id),
                ('sale.multipoint_kind', '=', 'payment'),
                ('shift.state', 'in', ['closed', 'posted']),
                ])
        days = sorted({p.sale.date for p in payments})
        if not days:
            log("  no agent's report for %s: none of its parcels was paid "
                "in a closed shift", supplier.name)
            continue
        settlement_accounts(pool, company)
        owners = User.search([('login', '=', 'owner')], limit=1)
        with transaction.set_user(owners[0].id if owners else 0):
            settlement, = Settlement.create([{
                        'company': company.id,
                        'supplier': supplier.id,
                        'period_start': days[0],
                        'period_end': days[-1],
                        }])
            Settlement.compute([settlement])
            Settlement.confirm([settlement])
            Settlement.send([settlement])
        settlement = Settlement(settlement.id)
        log("  agent's report %s for %s, %s–%s: parcels %d, taken %s ₽, "
            "net %s ₽, sent", settlement.number, supplier.name,
            days[0].strftime('%d.%m.%Y'), days[-1].strftime('%d.%m.%Y'),
            settlement.parcel_count, settlement.collected,
            settlement.net_amount)


def settlement_accounts(pool, company):
    """What confirming a report posts to, when missing: the commission to
    revenue (90.01) and fines to expense (91.02) of the minimal chart, the
    net to the supplier's account 60 or 62 (the company's defaults)"""
    Account = pool.get('account.account')
    Config = pool.get('multipoint.settlement.configuration')
    AccountConfig = pool.get('account.configuration')
    accounts = {a.code: a for a in Account.search([
                ('company', '=', company.id),
                ('code', 'in', ['60', '62', '90.01', '91.02']),
                ])}
    config = Config(1)
    if not config.commission_account:
        config.commission_account = accounts.get('90.01')
    if not config.fine_account:
        config.fine_account = accounts.get('91.02')
    config.save()
    account_config = AccountConfig(1)
    if not account_config.default_account_payable:
        account_config.default_account_payable = accounts.get('60')
    if not account_config.default_account_receivable:
        account_config.default_account_receivable = accounts.get('62')
    account_config.save()


def logins_table(database):
    rows = [("login", "password", "role", "points")]
    for login, password, _, groups, codes, role in STAFF:
        rows.append((login, password,
                f"{role} ({', '.join(groups)})",
                ', '.join(codes) if codes else "все (по роли)"))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = [f"# Multipoint demo accounts, database {database} "
        "(scripts/demo_data.py)",
        "# admin keeps the password given to trytond-admin "
        "(TRYTONPASSFILE)"]
    for row in rows:
        lines.append('  '.join(c.ljust(w) for c, w in zip(row, widths))
            .rstrip())
    lines.append(f"# Supplier portal: /{database}/multipoint/portal/")
    for email, password, key in PORTAL_USERS:
        name = next(s['name'] for s in SUPPLIERS if s['key'] == key)
        lines.append(f"{email}  {password}  поставщик {name}")
    return '\n'.join(lines) + '\n'


def count_states(pool):
    "Parcels per state, in one query"
    from sql.aggregate import Count

    from trytond.transaction import Transaction
    table = pool.get('multipoint.parcel').__table__()
    cursor = Transaction().connection.cursor()
    cursor.execute(*table.select(table.state, Count(table.id),
            group_by=[table.state]))
    return dict(cursor.fetchall())


# -------------------------------------------------------------------- main

def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Fill a Multipoint database with demo data",
        epilog="See the docstring of this file for what is created.")
    parser.add_argument('-c', '--config', required=True,
        help="trytond configuration file")
    parser.add_argument('-d', '--database', required=True)
    parser.add_argument('--parcels', type=int, default=600,
        help="number of parcels (default 600)")
    parser.add_argument('--seed', type=int, default=2026,
        help="random seed (default 2026)")
    parser.add_argument('--logins-file',
        help="write the staff logins and passwords there")
    parser.add_argument('--mode', choices=['auto', 'workflow', 'bulk'],
        default='auto', help="auto: workflow up to %d parcels, bulk above"
        % WORKFLOW_LIMIT)
    parser.add_argument('--bench-manifest', action='store_true',
        help=f"add the {BENCH_MANIFEST} manifest of {BENCH_PLACES} expected "
        "places at the first point")
    args = parser.parse_args(argv)
    if args.parcels < 0:
        parser.error("--parcels must be positive")
    return args


def main(argv=None):
    args = parse_args(argv)
    from trytond import config
    config.update_etc(args.config)
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    started = time.time()
    database = args.database
    pool = Pool(database)
    pool.init()
    mode = args.mode
    if mode == 'auto':
        mode = 'workflow' if args.parcels <= WORKFLOW_LIMIT else 'bulk'
    # The model code locks tables and rows (the configuration singleton on
    # first use, a cell while placing, parcels at issue); trytond wants them
    # locked when the transaction starts. The script is the only writer, so
    # it takes them all at once.
    lock_tables = [pool.get(name)._table for name in LOCK_MODELS
        if name in dict(pool.iterobject())]
    with Transaction().start(database, 0, context={'language': 'ru'},
            _lock_tables=lock_tables) as transaction:
        Company = pool.get('company.company')
        companies = Company.search([])
        existing = [c for c in companies if c.party.name == COMPANY_NAME]
        if companies and not existing:
            log("The database %s holds another company (%s): demo data "
                "not created.", database,
                ', '.join(c.rec_name for c in companies))
            return 2
        gen = Generator(args, pool, transaction)
        history_days = 30 if mode == 'workflow' else int(min(730, max(
                    60, args.parcels / (len(POINTS) * 150))))
        if existing:
            company, = existing
            codes = None
            with transaction.set_context(company=company.id):
                points, suppliers, terms = gen.load(company)
                log("Demo data already in %s (company %s): only what is "
                    "missing.", database, company.rec_name)
                # databases made before the point-of-sale setup get it
                supplier_portal(pool, company, points, suppliers)
                shifts = Shifts(gen, company, points, suppliers)
                shifts.setup()
                if not shifts.has_shifts():
                    shifts.run()
                    codes = demo_codes(gen, points)
                organizer(gen, points, suppliers)
                portal_ticket(gen, points, suppliers)
                note = threshold_case(gen, points, suppliers)
                portal_settlement(gen, company, shifts.suppliers)
                if args.bench_manifest:
                    factory = ParcelFactory(gen.rng, gen.now, points,
                        suppliers, terms, args.parcels, history_days)
                    # order numbers after those already used
                    Parcel = pool.get('multipoint.parcel')
                    for key, supplier in suppliers.items():
                        factory.counters[key] = Parcel.search_count(
                            [('supplier', '=', supplier.id)]) + 10 ** 6
                    bench_manifest(gen, factory, points, suppliers)
            transaction.commit()
            if codes:
                log(codes_table(codes))
            if args.logins_file and (codes
                    or not os.path.exists(args.logins_file)):
                write_logins(args.logins_file, database, codes)
            if note:
                log(note)
                add_note(args.logins_file, note)
            return 0

        log("Demo data for %s: %d parcels, %s mode, seed %d", database,
            args.parcels, mode, args.seed)
        # the workflow mode writes everything in one transaction: a failure
        # leaves the database as it was and the next run starts again
        gen.batch_commits = mode == 'bulk'
        company = gen.company()
        with transaction.set_context(company=company.id):
            points = gen.points(company, large=mode == 'bulk')
            suppliers, terms = gen.suppliers(points)
            gen.staff(company, points)
            supplier_portal(pool, company, points, suppliers)
            gen.commit()
            log("Company, %d points with cells, %d suppliers with terms, "
                "%d staff (%.0f s)", len(points), len(suppliers), len(STAFF),
                time.time() - started)
            t0 = time.time()
            shifts = Shifts(gen, company, points, suppliers)
            shifts.setup()
            points, suppliers = shifts.points, shifts.suppliers
            log("Accounting and points of sale (%.0f s)", time.time() - t0)
            factory = ParcelFactory(gen.rng, gen.now, points, suppliers,
                terms, args.parcels, history_days)
            t0 = time.time()
            if args.parcels:
                if mode == 'workflow':
                    WorkflowMode(gen, factory, points, suppliers, terms).run(
                        args.parcels)
                else:
                    BulkMode(gen, factory, points, suppliers, terms).run(
                        args.parcels)
            elapsed = time.time() - t0
            if args.parcels:
                t0 = time.time()
                shifts.run()
                log("Shifts at %s (%.0f s)", SHIFT_POINT, time.time() - t0)
            if args.bench_manifest:
                bench_manifest(gen, factory, points, suppliers)
            codes = demo_codes(gen, points) if args.parcels else []
            organizer(gen, points, suppliers)
            portal_ticket(gen, points, suppliers)
            note = threshold_case(gen, points, suppliers)
            portal_settlement(gen, company, suppliers)
            states = count_states(pool)
        transaction.commit()
    log("")
    log("Parcels per state:")
    from trytond.modules.multipoint_core.parcel import STATES
    for state, _ in STATES:
        log("  %-17s %7d", state, states.get(state, 0))
    if args.parcels:
        log("%d parcels in %.0f s (%.0f parcels/s); total %.0f s",
            args.parcels, elapsed, args.parcels / max(elapsed, 0.001),
            time.time() - started)
    log("")
    log(logins_table(database))
    if codes:
        log(codes_table(codes))
    if note:
        log(note)
    if args.logins_file:
        write_logins(args.logins_file, database, codes)
        add_note(args.logins_file, note)
        log("Logins written to %s", args.logins_file)
    return 0


def write_logins(path, database, codes=None):
    directory = os.path.dirname(path)
    if directory:
        os.makedirs(directory, exist_ok=True)
    with open(path, 'w', encoding='utf-8') as fp:
        fp.write(logins_table(database))
        if codes:
            fp.write('\n' + codes_table(codes))
    os.chmod(path, 0o600)


if __name__ == '__main__':
    sys.exit(main())
