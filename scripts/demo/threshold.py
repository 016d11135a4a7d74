"""The free-delivery threshold on one stored parcel (``THRESHOLD_CASE``):
Hermes delivers free from 2,000 ₽ and charges a standard 199 ₽ otherwise;
its order HRM-D3000 of 3,000 ₽ came free and waits at MSK-01 with an issue
code; refusing one item of 1,500 ₽ makes the fee due. The logins file
names it, with what to try."""
import os
from decimal import Decimal

from .common import log


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
