"""multipoint_claims: a supplier's charges over the past month in every
state, their claims with the evidence packs and two agent's reports that
carry the outcomes (a deduction, then its reversal)"""
import datetime as dt
from decimal import Decimal

from .common import log
from .portal import PORTAL_USERS

# the supplier's contract gives a month to dispute and to answer
DISPUTE_DAYS = 30
ANSWER_DAYS = 30
# the states of the parcels the point accepted (its journal names who)
ACCEPTED_STATES = ['issued', 'partially_issued', 'stored', 'to_return',
    'returned', 'lost']
# key, days before today, ground as the supplier writes it, amount (and
# the number of parcels of a row listing several orders); each report
# comes with the agent's report of its period
FIRST_REPORT = [
    ('accepted', 26, "Нарушение срока передачи возврата", Decimal('200')),
    ('won', 23, "Утеря отправления на ПВЗ", Decimal('2490')),
    ]
SECOND_REPORT = [
    ('partly_won', 18, "Повреждение товара по вине ПВЗ", Decimal('1200')),
    ('lost', 16, "Недовложение товара при выдаче", Decimal('650')),
    ('new', 13, "Повреждение упаковки отправления", Decimal('350')),
    # one amount for a lost bag of two parcels: one charge, left new
    ('bag', 14, "Утеря мешка с отправлениями", Decimal('1800'), 2),
    ]
TYPED = ('disputed', 5, "Подмена товара при выдаче: получатель вернул "
    "другой товар", Decimal('3100'))
# the periods of the three agent's reports, in days before today
PERIODS = [(30, 21), (20, 11), (10, 0)]
PARTLY_WON = Decimal('800')
EVIDENCE = {
    'won': "Посылка принята целой и выдана получателю по коду, см. журнал "
    "и чек выдачи.",
    'partly_won': "При приёмке повреждений не было: место отсканировано "
    "без отметок, фото упаковки в приёмке.",
    'lost': "Оператор помнит выдачу, но вскрытие при получателе не "
    "фиксировалось.",
    'disputed': "Получатель принял товар без замечаний; сверка "
    "комплектности при выдаче в журнале.",
    }
ANSWERS = {
    'won': "Удержание отменено: выдача подтверждена журналом ПВЗ.",
    'partly_won': "Удержание снижено до 400 руб. с учётом акта приёмки.",
    'lost': "Недовложение подтверждено весом при сортировке, удержание "
    "остаётся.",
    }


def charges_and_claims(gen, company, points, suppliers):
    """The charges of one supplier (not the portal's, whose agent's report
    is already sent) at the point where most of its parcels were accepted
    a month ago, through the desk's own calls, as the accountant (buh),
    the owner confirming the agent's reports:

    - a claim template of the supplier: 30 days to dispute and to answer;
    - the agent's report of 30 to 21 days ago, confirmed; its
      reconciliation imports the supplier's report: a late return (200 ₽)
      and a lost parcel (2,490 ₽), both accepted;
    - the report of 20 to 11 days ago deducts them, confirmed; its
      reconciliation imports a damaged item (1,200 ₽), a missing item
      (650 ₽), a damaged box (350 ₽) and a lost bag of two parcels in
      one row (1,800 ₽), both left new; a substitution
      (3,100 ₽) is typed in from the supplier's letter;
    - the lost parcel was issued after all: it is disputed with the
      damaged and the missing items and the substitution; the operator of
      each charge adds its note to the evidence, the claims are sent with
      their evidence packs; the supplier gives the lost parcel up (won),
      cuts the damaged item by 800 ₽ (partly won), upholds the missing
      item (lost); the substitution's claim waits for the answer;
    - the report of the last 10 days is computed and left to the owner:
      the reversal of the won charge (−2,490 ₽) and what the point bears
      of the partly won (400 ₽) and lost (650 ₽) ones;
    - the portal's supplier gets a claim about a damaged item (1,490 ₽)
      waiting for its answer, to read in the portal's «Претензии».

    Only when the company has no charge yet and the module is activated.
    The acceptances are moved to the first day of the second period with
    raw SQL (the model writes now), as the shifts are."""
    pool = gen.pool
    if 'multipoint.charge' not in dict(pool.iterobject()):
        return None
    Charge = pool.get('multipoint.charge')
    if Charge.search([('company', '=', company.id)], limit=1):
        return None
    pair = _supplier_and_point(gen, points, suppliers)
    if not pair:
        log("  no charges: no accepted parcel of a month ago")
        return None
    supplier, point = pair
    User = pool.get('res.user')

    def user(login):
        users = User.search([('login', '=', login)], limit=1)
        return users[0].id if users else 0
    buh, owner = user('buh'), user('owner')
    operator = (gen.operators.get(point.code) or [0])[0]
    today = point.local_date(gen.now)
    parcels = _Parcels(pool, gen, point, supplier)
    transaction = gen.transaction

    from .accounting import settlement_accounts
    settlement_accounts(pool, company)
    Config = pool.get('multipoint.settlement.configuration')
    config = Config(1)
    if not config.journal:
        # a report of fines alone has no point of sale to take it from
        config.journal = point.get_sale_point().journal
        config.save()
    Template = pool.get('multipoint.charge.template')
    if not Template.search([('supplier', '=', supplier.id)], limit=1):
        Template.create([{
                    'supplier': supplier.id,
                    'dispute_days': DISPUTE_DAYS,
                    'answer_days': ANSWER_DAYS,
                    }])

    Settlement = pool.get('multipoint.settlement')
    Claim = pool.get('multipoint.charge.claim')
    Evidence = pool.get('multipoint.charge.evidence')
    first, second, third = [
        (today - dt.timedelta(days=a), today - dt.timedelta(days=b))
        for a, b in PERIODS]
    charges = {}
    with transaction.set_user(buh):
        first = _settlement(pool, company, supplier, point, *first)
    with transaction.set_user(owner):
        Settlement.confirm([first])
    with transaction.set_user(buh):
        # the supplier's report of the first period brings two charges;
        # the point agrees with both
        charges.update(_import(pool, first, FIRST_REPORT, parcels, today))
        accepted = [c for k, c in charges.items() if k in {'accepted', 'won'}]
        Charge.accept(accepted)
    _decided_on(pool, accepted, point, second[0])
    with transaction.set_user(buh):
        second = _settlement(pool, company, supplier, point, *second)
    with transaction.set_user(owner):
        Settlement.confirm([second])
    with transaction.set_user(buh):
        charges.update(_import(pool, second, SECOND_REPORT, parcels, today))
        key, days, ground, amount = TYPED
        parcel = parcels.take(today - dt.timedelta(days=days), issued=True)
        if parcel:
            # typed in from the supplier's letter
            charges[key], = Charge.create([{
                        'parcel': parcel.id,
                        'date': today - dt.timedelta(days=days),
                        'kind': 'substituted',
                        'ground': ground,
                        'amount': amount,
                        }])
        # the lost parcel was issued after all: disputed although deducted
        Charge.dispute([charges[k]
                for k in ['won', 'partly_won', 'lost', 'disputed']
                if k in charges])
    for key, text in EVIDENCE.items():
        charge = Charge(charges[key].id) if key in charges else None
        if charge:
            # the operator of the charge explains
            with transaction.set_user(
                    charge.operator.id if charge.operator else 0):
                Evidence.create([{'charge': charge.id, 'description': text}])
    with transaction.set_user(buh):
        claims = {k: Charge(c.id).claims[0] for k, c in charges.items()
            if Charge(c.id).claims}
        Claim.send(list(claims.values()))
        for key, answer in ANSWERS.items():
            claim = claims.get(key)
            if not claim:
                continue
            claim = Claim(claim.id)
            claim.answer = answer
            if key == 'partly_won':
                claim.won_amount = PARTLY_WON
            claim.save()
            {'won': Claim.win, 'lost': Claim.lose,
                'partly_won': Claim.partly_win}[key]([claim])
        # the next report, left to the owner to confirm
        third = _settlement(pool, company, supplier, point, *third)
        portal = _portal_claim(gen, points, suppliers, today)
    if portal:
        charges['portal'] = portal
    states = sorted(Charge(c.id).state for c in charges.values())
    log("Charges: %d (%s), %d claims sent; agent's reports of %s at %s "
        "%s and %s confirmed, %s computed: fines %s ₽", len(charges),
        ', '.join(states), len(claims) + bool(portal), supplier.name,
        point.code,
        first.number, Settlement(second.id).number, third.rec_name,
        third.fine_amount)
    return charges


def _portal_claim(gen, points, suppliers, today):
    """The claim the portal's supplier finds in its «Претензии»: a damaged
    item it charged a week ago, typed in and disputed, the claim sent and
    waiting for its answer. None when it has no accepted parcel."""
    pool = gen.pool
    Charge = pool.get('multipoint.charge')
    Claim = pool.get('multipoint.charge.claim')
    supplier = suppliers.get(PORTAL_USERS[0][2])
    if supplier is None:
        return None
    day = today - dt.timedelta(days=7)
    for point in points.values():
        parcel = _Parcels(pool, gen, point, supplier).take(day)
        if parcel:
            break
    else:
        return None
    charge, = Charge.create([{
                'parcel': parcel.id,
                'date': day,
                'kind': 'damaged',
                'ground': "Повреждение товара: разбит флакон духов",
                'amount': Decimal('1490'),
                }])
    Charge.dispute([charge])
    claim, = Charge(charge.id).claims
    Claim.send([claim])
    log("Claim %s sent to %s (supplier portal)", claim.number, supplier.name)
    return charge


def _supplier_and_point(gen, points, suppliers):
    """The (supplier, point) with the most parcels accepted a month ago,
    at a point of two operators first (each sees its own charges); not
    the portal's supplier"""
    Parcel = gen.pool.get('multipoint.parcel')
    portal = {suppliers.get(key) for _, _, key in PORTAL_USERS}
    best, most = None, None
    before = gen.now - dt.timedelta(days=PERIODS[0][0] - 4)
    for supplier in suppliers.values():
        if supplier in portal:
            continue
        for point in points.values():
            domain = [
                ('supplier', '=', supplier.id),
                ('point', '=', point.id),
                ('state', 'in', ACCEPTED_STATES),
                ]
            early = Parcel.search_count(
                domain + [('arrival_date', '<', before)])
            if not early:
                continue
            total = Parcel.search_count(domain)
            # enough parcels for every state, then two operators
            rank = (early >= 2, total >= 6,
                len(gen.operators.get(point.code) or []) > 1, early)
            if most is None or rank > most:
                best, most = (supplier, point), rank
    return best


class _Parcels:
    """The parcels of the supplier at the point accepted before a day, in
    the weeks the charges fall in (a network of a million parcels has a
    hundred thousand at a point)"""

    def __init__(self, pool, gen, point, supplier):
        Parcel = pool.get('multipoint.parcel')
        self.point = point
        since = gen.now - dt.timedelta(days=PERIODS[0][0] + 30)
        self.parcels = Parcel.search([
                ('supplier', '=', supplier.id),
                ('point', '=', point.id),
                ('state', 'in', ACCEPTED_STATES),
                ('arrival_date', '>=', since),
                ], order=[('arrival_date', 'ASC'), ('id', 'ASC')])
        self.used = set()

    def take(self, day, issued=False):
        """The latest parcel accepted before day (an issued one first
        when asked), not charged yet"""
        found = [p for p in self.parcels if p.id not in self.used
            and self.point.local_date(p.arrival_date) < day]
        if issued:
            found.sort(key=lambda p: p.state == 'issued')
        if not found:
            return None
        self.used.add(found[-1].id)
        return found[-1]


def _settlement(pool, company, supplier, point, start, end):
    Settlement = pool.get('multipoint.settlement')
    settlement, = Settlement.create([{
                'company': company.id,
                'supplier': supplier.id,
                'point': point.id,
                'period_start': start,
                'period_end': end,
                }])
    Settlement.compute([settlement])
    return Settlement(settlement.id)


def _import(pool, settlement, rows, parcels, today):
    """The supplier's report of the settlement's period, its fines
    imported through the reconciliation: {key: charge}"""
    Reconciliation = pool.get('multipoint.settlement.reconciliation')
    Charge = pool.get('multipoint.charge')
    lines, keys = ["Номер заказа;Статус;Штраф;Основание удержания;"
        "Дата удержания"], {}
    for key, days, ground, amount, *count in rows:
        day = today - dt.timedelta(days=days)
        taken = [parcels.take(day, issued=key == 'won')
            for _ in range(count[0] if count else 1)]
        if not all(taken):
            continue
        orders = ', '.join(p.order_number for p in taken)
        keys[orders] = key
        # the amount as the supplier's spreadsheet writes it: 2 490,00
        text = f'{amount:,.2f}'.replace(',', ' ').replace('.', ',')
        lines.append(f'"{orders}";Удержание;{text};{ground};'
            f"{day:%d.%m.%Y}")
    if not keys:
        return {}
    name = settlement.supplier.name
    reconciliation, = Reconciliation.create([{
                'settlement': settlement.id,
                'file': '\r\n'.join(lines).encode('utf-8'),
                'file_name': f'{name} {settlement.period_end:%m-%Y}.csv',
                }])
    Reconciliation.import_charges([reconciliation])
    charges = Charge.search([('reconciliation', '=', reconciliation.id)])
    return {keys[c.order_number]: c for c in charges}


def _decided_on(pool, charges, point, day):
    "The decisions moved to noon of day at the point"
    if not charges:
        return
    from trytond.modules.multipoint_tickets.recurrence import to_utc
    from trytond.transaction import Transaction
    Charge = pool.get('multipoint.charge')
    table = Charge.__table__()
    moment = to_utc(dt.datetime.combine(day, dt.time(12)), point.tzinfo)
    cursor = Transaction().connection.cursor()
    cursor.execute(*table.update([table.decided_at], [moment],
            where=table.id.in_([c.id for c in charges])))
    for cache in Transaction().cache.values():
        cache.clear()
