"""The charges in the settlements with suppliers, and their import from
the supplier's report.

Computing a settlement adds, per charge of its supplier (at its point, if
it has one) decided by the end of its period, a fine of what the point
bears less what the confirmed settlements already deducted for it: an
accepted or lost charge is deducted once, a partly won one for the part
not won back, and a charge won after it was deducted comes back as a
negative fine (a reversal). A parcel with a charge gets no fine from the
terms (the supplier's own charge replaces the estimate).
"""
import datetime as dt
import re
from collections import defaultdict, namedtuple
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.modules.multipoint_core.guard import privileged
from trytond.modules.multipoint_suppliers.manifest import (
    map_columns, parse_decimal, read_table)
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval, If

from .charge import CHARGED_STATES, money
from .exceptions import ChargeError, ChargeImportError

ZERO = Decimal('0.00')
# a row of a supplier's report with a fine: its orders (a cell may list
# several), its amount, and the supplier's number of the charge if given
ChargeRow = namedtuple('ChargeRow',
    ['row', 'orders', 'amount', 'ground', 'date', 'number'])
# the rows of one charge: [(order, the parcel's own amount or None)]
ReportCharge = namedtuple('ReportCharge',
    ['row', 'orders', 'amount', 'ground', 'date', 'number'])
ORDER_SEPARATORS = re.compile(r'[,;\n]+')
# the columns of the charges in a supplier's report (header aliases)
CHARGE_COLUMNS = {
    'charge_number': [
        "Номер удержания", "Номер штрафа", "Номер акта", "ID удержания",
        "Charge Number", "charge_number"],
    'order_number': [
        "Номер заказа", "Номер отправления", "Заказ", "Order Number",
        "order_number"],
    'fine': [
        "Штраф", "Удержание", "Сумма удержания", "Сумма штрафа",
        "Штрафы и удержания", "Fine", "Deduction", "fine"],
    'ground': [
        "Основание", "Основание удержания", "Причина удержания",
        "Причина штрафа", "Причина", "Ground", "Reason", "ground"],
    'date': ["Дата удержания", "Дата штрафа", "Дата", "Date", "date"],
    }
KIND_WORDS = [
    ('lost', ["утер", "потер", "утрат", "lost"]),
    ('damaged', ["поврежд", "брак", "damag"]),
    ('substituted', ["подмен", "substitut"]),
    ('shortage', ["недовлож", "недостач", "shortage"]),
    ('late', ["срок", "просроч", "опозд", "late"]),
    ('wrong_issue', ["не тому", "неверн", "wrong"]),
    ]


def kind_of(ground):
    text = (ground or '').lower()
    for kind, words in KIND_WORDS:
        if any(w in text for w in words):
            return kind
    return 'other'


class Settlement(metaclass=PoolMeta):
    __name__ = 'multipoint.settlement'

    @classmethod
    def compute(cls, settlements):
        Fine = Pool().get('multipoint.settlement.fine')
        with privileged():
            Fine.delete(Fine.search([
                        ('settlement', 'in', [s.id for s in settlements]),
                        ('charge', '!=', None),
                        ]))
        super().compute(settlements)
        with privileged():
            for settlement in cls.browse(settlements):
                settlement._add_charges()
        cls.update_totals(settlements)

    def _charges(self):
        "The supplier's charges the settlement may deduct or reverse"
        Charge = Pool().get('multipoint.charge')
        domain = [
            ('company', '=', self.company.id),
            ('supplier', '=', self.supplier.id),
            ('state', 'in', list(CHARGED_STATES)),
            ]
        if self.point:
            domain.append(('point', '=', self.point.id))
        charges = Charge.search(domain)
        # decided by the end of the period, in the point's time zone
        return [c for c in charges
            if c.decided_at and c.point.local_date(c.decided_at)
            <= self.period_end]

    def _add_charges(self):
        """A fine per charge of what is left to deduct (or to give back),
        and no terms' fine for the charged parcels"""
        pool = Pool()
        Fine = pool.get('multipoint.settlement.fine')
        Line = pool.get('multipoint.settlement.line')
        charges = self._charges()
        if not charges:
            return
        settled = self.settled_amounts(charges, exclude=self)
        vlist = []
        for charge in charges:
            left = money(charge.charged_amount - settled.get(charge.id, ZERO))
            if left:
                vlist.append({
                        'settlement': self.id,
                        'kind': charge.kind if charge.kind in dict(
                            Fine.get_kinds()) else 'other',
                        # a fine names one parcel: the charge's first
                        'parcel': charge.parcel.id if charge.parcel else None,
                        'amount': left,
                        'charge': charge.id,
                        'description': (charge.ground or '')[:200],
                        })
        parcels = {l.parcel.id for c in charges for l in c.parcels}
        automatic = Fine.search([
                ('settlement', '=', self.id),
                ('automatic', '=', True),
                ('parcel', 'in', list(parcels)),
                ])
        if automatic:
            lines = Line.search([
                    ('settlement', '=', self.id),
                    ('parcel', 'in', [f.parcel.id for f in automatic]),
                    ])
            for line in lines:
                line.net = money(line.net - (line.fine or ZERO))
                line.fine = ZERO
            Line.save(lines)
            Fine.delete(automatic)
        if vlist:
            Fine.create(vlist)

    @classmethod
    def settled_amounts(cls, charges, exclude=None):
        "{charge id: sum of its fines in the confirmed settlements}"
        Fine = Pool().get('multipoint.settlement.fine')
        domain = [
            ('charge', 'in', [c.id for c in charges]),
            ('settlement.state', '!=', 'draft'),
            ]
        if exclude:
            domain.append(('settlement', '!=', exclude.id))
        result = defaultdict(Decimal)
        for fine in Fine.search(domain):
            result[fine.charge.id] += fine.amount
        # the terms' fine of a parcel deducted before the supplier's own
        # charge came counts for the parcel's first charge
        first = {}
        for charge in sorted(charges, key=lambda c: c.id):
            for line in charge.parcels:
                first.setdefault(line.parcel.id, charge)
        if first:
            domain = [
                ('automatic', '=', True),
                ('charge', '=', None),
                ('parcel', 'in', list(first)),
                ('settlement.state', '!=', 'draft'),
                ]
            if exclude:
                domain.append(('settlement', '!=', exclude.id))
            for fine in Fine.search(domain):
                charge = first[fine.parcel.id]
                if fine.settlement.supplier == charge.supplier:
                    result[charge.id] += fine.amount
        return result

    @classmethod
    def confirm(cls, settlements):
        "No charge is deducted twice: another settlement may have done it"
        pool = Pool()
        Fine = pool.get('multipoint.settlement.fine')
        with privileged():
            for settlement in settlements:
                fines = Fine.search([
                        ('settlement', '=', settlement.id),
                        ('charge', '!=', None),
                        ])
                charges = [f.charge for f in fines]
                settled = cls.settled_amounts(charges, exclude=settlement)
                for fine in fines:
                    charge = fine.charge
                    if (charge.charged_amount is None
                            or settled.get(charge.id, ZERO) + fine.amount
                            != charge.charged_amount):
                        raise ChargeError(gettext(
                                'multipoint_claims'
                                '.msg_settlement_charge_stale',
                                settlement=settlement.rec_name,
                                charge=charge.rec_name))
        super().confirm(settlements)


class SettlementFine(metaclass=PoolMeta):
    __name__ = 'multipoint.settlement.fine'
    charge = fields.Many2One(
        'multipoint.charge', "Charge", readonly=True, ondelete='RESTRICT',
        help="The supplier's charge this fine deducts or reverses.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # a reversal of a charge won after it was deducted is negative
        cls.amount.domain = [If(Bool(Eval('charge')),
                ('amount', '!=', 0), ('amount', '>', 0))]
        cls.amount.depends = cls.amount.depends | {'charge'}

    @classmethod
    def get_kinds(cls):
        Charge = Pool().get('multipoint.charge')
        kinds = super().get_kinds()
        known = {k for k, _ in kinds}
        return kinds + [(k, v) for k, v in
            Charge.fields_get(['kind'])['kind']['selection']
            if k not in known]


class Reconciliation(metaclass=PoolMeta):
    __name__ = 'multipoint.settlement.reconciliation'
    charges = fields.One2Many(
        'multipoint.charge', 'reconciliation', "Charges", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'import_charges': {
                    'invisible': ~Bool(Eval('file')),
                    'depends': ['file'],
                    },
                })

    @classmethod
    @ModelView.button
    def import_charges(cls, reconciliations):
        "The fines and deductions of the supplier's report, as charges"
        Charge = Pool().get('multipoint.charge')
        for reconciliation in reconciliations:
            settlement = reconciliation.settlement
            Charge.import_report(
                settlement.company, settlement.supplier,
                reconciliation.file, reconciliation.file_name,
                point=settlement.point, reconciliation=reconciliation,
                default_date=settlement.period_end)


def group_charges(rows):
    """The charges of the rows read: the rows sharing a charge number are
    one charge (its amount their sum, each row's amount its parcel's when
    the row names one order); a row without a number is a charge, for
    every order it lists (no parcel's own amount when several)"""
    result, numbered = [], {}
    for row in rows:
        own = row.amount if len(row.orders) == 1 else None
        orders = [(o, own) for o in row.orders]
        if row.number and row.number in numbered:
            index = numbered[row.number]
            charge = result[index]
            result[index] = charge._replace(
                orders=charge.orders + orders,
                amount=charge.amount + row.amount,
                ground=charge.ground or row.ground,
                date=charge.date or row.date)
            continue
        if row.number:
            numbered[row.number] = len(result)
        result.append(ReportCharge(row.row, orders, row.amount, row.ground,
                row.date, row.number))
    return result


def read_charges(data):
    """[ChargeRow] of the rows of a supplier's report with a fine or
    deduction"""
    try:
        _, _, table = read_table(data)
    except Exception as exception:
        raise ChargeImportError(gettext(
                'multipoint_suppliers.msg_manifest_unreadable',
                error=str(exception)))
    table = [(n, r) for n, r in table if any(_text(c) for c in r)]
    if len(table) < 2:
        raise ChargeImportError(gettext(
                'multipoint_suppliers.msg_manifest_empty'))
    (_, headers), rows = table[0], table[1:]
    mapping = map_columns(headers, CHARGE_COLUMNS)
    index = {key: i for i, key in mapping.items()}
    for key in ['order_number', 'fine']:
        if key not in index:
            raise ChargeImportError(gettext(
                    'multipoint_suppliers.msg_manifest_column_missing',
                    column=CHARGE_COLUMNS[key][0],
                    aliases=', '.join(
                        f'«{a}»' for a in CHARGE_COLUMNS[key])))

    def cell(cells, key):
        i = index.get(key)
        if i is None or i >= len(cells):
            return None
        return cells[i]

    result, errors = [], []
    for number, cells in rows:
        text = _text(cell(cells, 'fine'))
        if not text:
            continue
        amount = parse_decimal(text)
        if amount is None:
            errors.append(gettext(
                    'multipoint_claims.msg_import_amount_invalid',
                    row=number, value=text))
            continue
        amount = abs(amount)
        if not amount:
            continue
        order = _text(cell(cells, 'order_number'))
        if not order:
            errors.append(gettext(
                    'multipoint_claims.msg_import_order_missing',
                    row=number))
            continue
        ground = _text(cell(cells, 'ground'))
        date = _date(cell(cells, 'date'))
        orders = list(dict.fromkeys(
                o.strip() for o in ORDER_SEPARATORS.split(order)
                if o.strip()))
        result.append(ChargeRow(number, orders, money(amount), ground, date,
                _text(cell(cells, 'charge_number')) or None))
    if errors:
        raise ChargeImportError('\n'.join(errors[:10]))
    return result


def _text(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value if value is not None else '').replace(
        '\u00a0', ' ').strip()


def _date(value):
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value)
    for fmt in ['%d.%m.%Y', '%Y-%m-%d', '%d/%m/%Y']:
        try:
            return dt.datetime.strptime(text[:10], fmt).date()
        except ValueError:
            continue
    return None

