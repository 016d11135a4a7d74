import contextvars
import datetime as dt
import re
from decimal import Decimal

from sql import Null
from sql.conditionals import Coalesce
from sql.functions import CurrentTimestamp

from trytond.i18n import gettext
from trytond.model import (
    Index, ModelSQL, ModelView, Unique, fields)
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction

from .guard import GuardMixin, Workflow, is_privileged
from .exceptions import (
    BarcodeError, ParcelStateError, ParcelValidationError)
from .deadline import ParcelDeadlineMixin
from .issue import ParcelIssueMixin
from .parcel_marking import ParcelLineMarkingMixin
from .photo import ParcelPhotoMixin
from .location import SIZE_CLASSES
from .return_batch import ParcelReturnMixin
from .security import CLOSED_STATES, PLACEHOLDER, retention_days
# the retention purge is a security event: it keeps that log channel
from .security import logger as security_logger

_exact_phone_search = contextvars.ContextVar(
    'multipoint_exact_phone_search', default=False)

STATES = [
    ('expected', "Expected"),
    ('accepted', "Accepted"),
    ('stored', "Stored"),
    ('issued', "Issued"),
    ('partially_issued', "Partially Issued"),
    ('refused', "Refused"),
    ('to_return', "To Return"),
    ('returned', "Returned"),
    ('cancelled', "Cancelled"),
    ('lost', "Lost"),
    ]
# States in which a parcel is physically at the point
ON_SITE_STATES = ['accepted', 'stored', 'refused', 'to_return']
VAT_RATES = [
    ('none', "Without VAT"),
    ('0', "0 %"),
    ('5', "5 %"),
    ('7', "7 %"),
    ('10', "10 %"),
    ('20', "20 %"),
    ('22', "22 %"),
    ]
_money = {'digits': (16, 2)}
_non_negative = lambda name: [  # noqa: E731
    'OR', (name, '=', None), (name, '>=', 0)]


def normalize_phone(phone):
    "+7XXXXXXXXXX for Russian numbers, digits with + otherwise; None if bad"
    digits = re.sub(r'\D', '', phone or '')
    if len(digits) == 10:
        digits = '7' + digits
    elif len(digits) == 11 and digits[0] == '8':
        digits = '7' + digits[1:]
    if not 10 <= len(digits) <= 15:
        return None
    return '+' + digits


def normalize_name(name):
    "The search key of a person's name: lower case, ё as е, single spaces"
    return ' '.join((name or '').lower().replace('ё', 'е').split())


class Parcel(
        ParcelIssueMixin, ParcelDeadlineMixin, ParcelReturnMixin,
        ParcelPhotoMixin, Workflow, ModelSQL, ModelView):
    "Parcel"
    __name__ = 'multipoint.parcel'
    # the parcel's own journal (multipoint.parcel.event) records every
    # change with its point and cell; ir.model.log would only repeat it
    _log = False
    _rec_name = 'order_number'
    _editable = {'readonly': Eval('state') != 'expected'}

    company = fields.Many2One(
        'company.company', "Company", required=True, states=_editable)
    supplier = fields.Many2One(
        'party.party', "Supplier", required=True, states=_editable,
        ondelete='RESTRICT', context={'company': Eval('company', -1)},
        depends={'company'})
    order_number = fields.Char(
        "Order Number", required=True, strip=True, states=_editable)
    point = fields.Many2One(
        'multipoint.point', "Point", required=True, states=_editable,
        ondelete='RESTRICT')
    manifest = fields.Char(
        "Manifest", states=_editable,
        help="The supplier's waybill this parcel travels with.")
    recipient_name = fields.Char(
        "Recipient", required=True, states=_editable)
    recipient_phone = fields.Char(
        "Recipient Phone", required=True, states=_editable)
    recipient_key = fields.Char("Recipient Search Key", readonly=True)
    phone_last4 = fields.Char("Phone Last Digits", readonly=True)
    prepaid = fields.Boolean("Prepaid", states=_editable)
    cod_amount = fields.Numeric(
        "COD Amount", **_money, states={
            'readonly': _editable['readonly'],
            'invisible': Eval('prepaid', False),
            }, domain=[_non_negative('cod_amount')],
        help="Cash on delivery to collect for the goods.")
    delivery_fee = fields.Numeric(
        "Delivery Fee", **_money, states=_editable,
        domain=[_non_negative('delivery_fee')])
    declared_value = fields.Numeric(
        "Declared Value", **_money, states=_editable,
        domain=[_non_negative('declared_value')])
    amount_due = fields.Function(
        fields.Numeric("Amount Due", **_money), 'on_change_with_amount_due')
    weight = fields.Float(
        "Weight (kg)", digits=(16, 3), states=_editable,
        domain=['OR', ('weight', '=', None), ('weight', '>', 0)])
    size_class = fields.Selection(
        SIZE_CLASSES, "Size Class", states=_editable)
    cell = fields.Many2One(
        'stock.location', "Cell", readonly=True, ondelete='RESTRICT',
        domain=[
            ('storage_kind', '=', 'cell'),
            ('multipoint_point', '=', Eval('point', -1)),
            ])
    reception = fields.Many2One(
        'multipoint.reception', "Reception", readonly=True,
        ondelete='RESTRICT')
    arrival_date = fields.DateTime("Arrival Date", readonly=True)
    storage_deadline = fields.Date("Storage Deadline", readonly=True)
    places = fields.One2Many(
        'multipoint.parcel.place', 'parcel', "Places", states=_editable,
        help="Each box of the parcel with its own barcode.")
    lines = fields.One2Many(
        'multipoint.parcel.line', 'parcel', "Items", states=_editable)
    events = fields.One2Many(
        'multipoint.parcel.event', 'parcel', "Events", readonly=True)
    incomplete = fields.Function(
        fields.Boolean("Places Missing"), 'get_incomplete')
    state = fields.Selection(
        STATES, "State", readonly=True, required=True, sort=False)
    state_string = state.translated('state')
    del _editable

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('supplier_order_unique', Unique(t, t.supplier, t.order_number),
                'multipoint_core.msg_parcel_order_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.point, Index.Equality()),
                    (t.state, Index.Equality(cardinality='low'))),
                Index(t, (t.cell, Index.Equality()), where=t.cell != Null),
                Index(t, (t.point, Index.Equality()),
                    (t.phone_last4, Index.Equality())),
                Index(t, (t.recipient_phone, Index.Equality())),
                Index(t, (t.recipient_key, Index.Similarity())),
                Index(t, (t.order_number, Index.Equality())),
                Index(t, (t.manifest, Index.Equality()),
                    where=t.state == 'expected'),
                Index(t, (t.point, Index.Equality()),
                    (t.issue_code_hash, Index.Equality()),
                    where=t.issue_code_hash != Null),
                Index(t, (t.storage_deadline, Index.Range()),
                    where=t.state.in_(['accepted', 'stored'])),
                Index(t, (t.storage_until, Index.Range()),
                    where=t.state.in_(['accepted', 'stored'])),
                })
        cls._order = [('id', 'DESC')]
        cls._transitions |= {
            ('expected', 'accepted'),
            ('expected', 'cancelled'),
            ('cancelled', 'expected'),
            ('accepted', 'stored'),
            ('accepted', 'issued'),
            ('accepted', 'partially_issued'),
            ('stored', 'issued'),
            ('stored', 'partially_issued'),
            ('stored', 'refused'),
            ('accepted', 'to_return'),
            ('stored', 'to_return'),
            ('refused', 'to_return'),
            ('to_return', 'returned'),
            ('accepted', 'lost'),
            ('stored', 'lost'),
            ('to_return', 'lost'),
            ('lost', 'accepted'),
            }
        cls._buttons.update({
                'cancel': {
                    'invisible': Eval('state') != 'expected',
                    'depends': ['state'],
                    },
                'reset_expected': {
                    'invisible': Eval('state') != 'cancelled',
                    'depends': ['state'],
                    },
                'to_return': {
                    'invisible': ~Eval('state').in_(
                        ['accepted', 'stored', 'refused']),
                    'depends': ['state'],
                    },
                'mark_lost': {
                    'invisible': ~Eval('state').in_(
                        ['accepted', 'stored', 'to_return']),
                    'depends': ['state'],
                    },
                'found': {
                    'invisible': Eval('state') != 'lost',
                    'depends': ['state'],
                    },
                'extend_wizard': {
                    'invisible': ~Eval('state').in_(['accepted', 'stored']),
                    'depends': ['state'],
                    },
                'place_wizard': {
                    'invisible': ~Eval('state').in_(['accepted', 'stored']),
                    'depends': ['state'],
                    },
                })

    @staticmethod
    def default_company():
        return Transaction().context.get('company')

    @staticmethod
    def default_state():
        return 'expected'

    @staticmethod
    def default_prepaid():
        return False

    @staticmethod
    def default_cod_amount():
        return Decimal('0.00')

    @staticmethod
    def default_delivery_fee():
        return Decimal('0.00')

    @fields.depends('prepaid', 'cod_amount', 'delivery_fee')
    def on_change_with_amount_due(self, name=None):
        if self.prepaid:
            return Decimal('0.00')
        return (self.cod_amount or Decimal(0)) + (
            self.delivery_fee or Decimal(0))

    @fields.depends('lines', 'prepaid')
    def on_change_lines(self):
        if not self.prepaid and self.lines:
            self.cod_amount = sum(
                (line.amount or Decimal(0) for line in self.lines),
                Decimal('0.00'))

    def get_rec_name(self, name):
        return f'{self.order_number} ({self.recipient_name})'

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, operand, *extra = clause
        bool_op = 'AND' if operator.startswith(('!', 'not ')) else 'OR'
        return [bool_op,
            ('order_number', operator, operand, *extra),
            ('recipient_name', operator, operand, *extra),
            ('places.barcode', operator, operand, *extra),
            ]

    def get_incomplete(self, name):
        return any(p.state == 'missing' for p in self.places)

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if 'recipient_phone' in values:
            phone = normalize_phone(values['recipient_phone'])
            if not phone:
                raise ParcelValidationError(gettext(
                        'multipoint_core.msg_parcel_phone_invalid',
                        phone=values['recipient_phone']))
            values['recipient_phone'] = phone
            values['phone_last4'] = phone[-4:]
        if 'recipient_name' in values:
            values['recipient_key'] = normalize_name(values['recipient_name'])
        if values.get('prepaid'):
            values['cod_amount'] = Decimal('0.00')
        if mode == 'create' and not any(
                rows for action, rows in values.get('places') or []
                if action == 'create'):
            # a parcel without box barcodes is labelled with its order number
            values['places'] = [('create', [{
                            'barcode': values.get('order_number'),
                            }])]
        return values

    @classmethod
    def create(cls, vlist):
        parcels = super().create(vlist)
        Pool().get('multipoint.parcel.event').log(parcels, 'created')
        return parcels

    # A direct edit of these (an owner in the web client, a supplier's
    # system) is journaled with the old and new values; the business actions
    # journal their own changes (placement, extension, issue...)
    _journal_fields = [
        'supplier', 'order_number', 'point', 'manifest', 'recipient_name',
        'recipient_phone', 'prepaid', 'cod_amount', 'delivery_fee',
        'declared_value', 'weight', 'size_class']

    @classmethod
    def on_write(cls, parcels, values):
        callbacks = super().on_write(parcels, values)
        names = [n for n in cls._journal_fields if n in values]
        if names and not is_privileged():
            before = {p.id: cls._journal_values(p, names) for p in parcels}
            callbacks.append(lambda: cls._journal_changes(before, names))
        return callbacks

    @classmethod
    def _journal_values(cls, parcel, names):
        values = {}
        for name in names:
            value = getattr(parcel, name)
            if name == 'recipient_phone':
                value = f'***{value[-4:]}' if value else ''
            elif hasattr(value, 'rec_name'):
                value = value.rec_name
            values[name] = '' if value is None else str(value)
        return values

    @classmethod
    def _journal_changes(cls, before, names):
        "One 'change' event per parcel: field: old → new"
        Event = Pool().get('multipoint.parcel.event')
        fields_ = cls.fields_get(names)
        by_detail = {}
        for parcel in cls.browse(list(before)):
            after = cls._journal_values(parcel, names)
            detail = '; '.join(
                f"{fields_[n]['string']}: {before[parcel.id][n]} → {after[n]}"
                for n in names if before[parcel.id][n] != after[n])
            if detail:
                by_detail.setdefault(detail, []).append(parcel)
        for detail, parcels in by_detail.items():
            Event.log(parcels, 'change', detail=detail)

    @classmethod
    def check_modification(cls, mode, parcels, values=None, external=False):
        super().check_modification(
            mode, parcels, values=values, external=external)
        if mode == 'delete' and Transaction().user:
            raise ParcelStateError(gettext(
                    'multipoint_core.msg_parcel_delete'))

    @classmethod
    def validate_fields(cls, parcels, field_names):
        super().validate_fields(parcels, field_names)
        for parcel in parcels:
            if parcel.point and parcel.point.state == 'closed' and (
                    parcel.state == 'expected'):
                raise ParcelValidationError(gettext(
                        'multipoint_core.msg_parcel_point_closed',
                        parcel=parcel.rec_name, point=parcel.point.rec_name))

    @classmethod
    def _log_transition(cls, parcels, to_state, **values):
        "Record one event per parcel actually changing state"
        Event = Pool().get('multipoint.parcel.event')
        Event.log([p for p in parcels if p.state != to_state], 'state',
            to_state=to_state, **values)

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, parcels):
        cls._log_transition(parcels, 'cancelled')

    @classmethod
    @ModelView.button
    @Workflow.transition('expected')
    def reset_expected(cls, parcels):
        cls._log_transition(parcels, 'expected')

    @classmethod
    @Workflow.transition('accepted')
    def accept(cls, parcels, reception=None):
        """Parcels physically arrived: set the arrival moment and the storage
        deadline from the supplier's terms in the point's time zone"""
        Terms = Pool().get('multipoint.supplier.terms')
        cls._log_transition(parcels, 'accepted', reception=reception)
        now = dt.datetime.utcnow()
        terms = Terms.for_parcels(
            (p.supplier.id, p.point.id) for p in parcels)
        for parcel in parcels:
            if not parcel.arrival_date:
                parcel.arrival_date = now
            parcel.set_storage_end(terms[(parcel.supplier.id, parcel.point.id)])
            if reception:
                parcel.reception = reception
        cls.save(parcels)
        # the recipient learns the parcel arrived, with its issue code
        Notification = Pool().get('multipoint.notification')
        Notification.enqueue(parcels, 'code', code=cls.generate_codes(parcels))

    @classmethod
    @Workflow.transition('stored')
    def store(cls, parcels, cell):
        cls._log_transition(parcels, 'stored', cell=cell)
        cls.write(parcels, {'cell': cell.id})

    @classmethod
    @Workflow.transition('issued')
    def issue(cls, parcels):
        cls._log_transition(parcels, 'issued')
        cls._leave_cell(parcels, 'issued')

    @classmethod
    @Workflow.transition('partially_issued')
    def partially_issue(cls, parcels):
        cls._log_transition(parcels, 'partially_issued')
        cls._leave_cell(parcels, 'partially_issued')

    @classmethod
    def _leave_cell(cls, parcels, state):
        """Out of the cell into state, saved with what the parcels carry
        (who issued them, when): one write, where the transition would
        write the state in a second one"""
        for parcel in parcels:
            parcel.cell = None
            parcel.state = state
        cls.save(parcels)

    @classmethod
    @Workflow.transition('refused')
    def refuse(cls, parcels, reason=None):
        cls._log_transition(parcels, 'refused', detail=reason)

    @classmethod
    @ModelView.button
    @Workflow.transition('to_return')
    def to_return(cls, parcels, reason=None):
        cls._log_transition(parcels, 'to_return', detail=reason)

    @classmethod
    @Workflow.transition('returned')
    def return_(cls, parcels):
        cls._log_transition(parcels, 'returned')
        cls.write(parcels, {'cell': None})

    @classmethod
    @ModelView.button
    @Workflow.transition('lost')
    def mark_lost(cls, parcels):
        cls._log_transition(parcels, 'lost')
        cls.write(parcels, {'cell': None})

    @classmethod
    @ModelView.button
    @Workflow.transition('accepted')
    def found(cls, parcels):
        cls._log_transition(parcels, 'accepted')

    @classmethod
    @ModelView.button_action('multipoint_core.wizard_place_parcel')
    def place_wizard(cls, parcels):
        pass

    @classmethod
    @ModelView.button_action('multipoint_core.wizard_extend_storage')
    def extend_wizard(cls, parcels):
        pass

    @classmethod
    def find_by_barcode(cls, barcode, point=None):
        "The parcel one of whose places carries barcode, at point if given"
        Place = Pool().get('multipoint.parcel.place')
        domain = [('barcode', '=', (barcode or '').strip())]
        if point:
            domain.append(('parcel.point', '=', point.id))
        places = Place.search(domain, limit=2)
        if not places:
            raise BarcodeError(gettext(
                    'multipoint_core.msg_barcode_unknown', barcode=barcode))
        return places[0].parcel


    @classmethod
    def search(cls, domain, offset=0, limit=None, order=None, count=False,
            query=False):
        if _phone_exact_only(domain) and not _exact_phone_search.get():
            token = _exact_phone_search.set(True)
            try:
                return super().search(domain, offset=offset, limit=limit,
                    order=order, count=count, query=query)
            finally:
                _exact_phone_search.reset(token)
        return super().search(domain, offset=offset, limit=limit,
            order=order, count=count, query=query)

    @classmethod
    def multipoint_purge_personal_data(cls):
        """Daily: blank the recipient of the parcels closed for more than
        [multipoint] retention_days days, in one UPDATE; return their
        number"""
        days = retention_days()
        if days is None or days < 0:
            return 0
        limit = dt.datetime.utcnow() - dt.timedelta(days=days)
        table = cls.__table__()
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        closed_at = Coalesce(
            table.issued_at, table.write_date, table.create_date)
        cursor.execute(*table.update(
                [table.recipient_name, table.recipient_phone,
                    table.recipient_key, table.phone_last4,
                    table.write_uid, table.write_date],
                [PLACEHOLDER, PLACEHOLDER, Null, Null,
                    transaction.user, CurrentTimestamp()],
                where=table.state.in_(CLOSED_STATES)
                & (table.recipient_name != PLACEHOLDER)
                & (closed_at < limit)))
        count = max(cursor.rowcount, 0)
        if count:
            cls._cache_clear_all()
        security_logger.info(
            "personal data blanked on %d parcel(s) closed for %d days",
            count, days)
        return count

    @classmethod
    def _cache_clear_all(cls):
        "Forget the cached values of the parcels changed behind the ORM"
        for cache in Transaction().cache.values():
            cache.pop(cls.__name__, None)


class ParcelPlace(GuardMixin, ModelSQL, ModelView):
    "Parcel Place"
    __name__ = 'multipoint.parcel.place'
    _guard_parent = ('parcel', 'places')
    _rec_name = 'barcode'
    parcel = fields.Many2One(
        'multipoint.parcel', "Parcel", required=True, ondelete='CASCADE')
    supplier = fields.Many2One(
        'party.party', "Supplier", readonly=True, ondelete='RESTRICT',
        help="Copied from the parcel: barcodes are unique per supplier.")
    barcode = fields.Char("Barcode", required=True, strip=True)
    weight = fields.Float(
        "Weight (kg)", digits=(16, 3),
        domain=['OR', ('weight', '=', None), ('weight', '>', 0)])
    state = fields.Selection([
            ('expected', "Expected"),
            ('received', "Received"),
            ('missing', "Missing"),
            ], "State", readonly=True, required=True)
    damaged = fields.Boolean("Damaged", readonly=True)
    damage_note = fields.Text("Damage Note", readonly=True)
    reception = fields.Many2One(
        'multipoint.reception', "Reception", readonly=True,
        ondelete='RESTRICT')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('parcel')
        t = cls.__table__()
        cls._sql_constraints += [
            ('supplier_barcode_unique', Unique(t, t.supplier, t.barcode),
                'multipoint_core.msg_place_barcode_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.barcode, Index.Equality())),
                Index(t, (t.parcel, Index.Equality())),
                })

    @staticmethod
    def default_state():
        return 'expected'

    @staticmethod
    def default_damaged():
        return False

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if mode == 'create' and values.get('parcel'):
            Parcel = Pool().get('multipoint.parcel')
            values['supplier'] = Parcel(values['parcel']).supplier.id
        if 'barcode' in values and not (values['barcode'] or '').strip():
            raise ParcelValidationError(gettext(
                    'multipoint_core.msg_place_barcode_empty'))
        return values


class ParcelLine(
        ParcelLineMarkingMixin, GuardMixin, ModelSQL, ModelView):
    "Parcel Item"
    __name__ = 'multipoint.parcel.line'
    _guard_parent = ('parcel', 'lines')
    parcel = fields.Many2One(
        'multipoint.parcel', "Parcel", required=True, ondelete='CASCADE')
    name = fields.Char("Item", required=True)
    article = fields.Char("Article")
    quantity = fields.Integer(
        "Quantity", required=True, domain=[('quantity', '>', 0)])
    unit_price = fields.Numeric(
        "Unit Price", **_money, required=True,
        domain=[('unit_price', '>=', 0)])
    vat_rate = fields.Selection(VAT_RATES, "VAT Rate", required=True)
    refusable = fields.Boolean(
        "Can Be Refused", help="The recipient may refuse this item.")
    refused_quantity = fields.Integer(
        "Refused Quantity", readonly=True,
        domain=[('refused_quantity', '>=', 0),
            ('refused_quantity', '<=', Eval('quantity', 0))])
    amount = fields.Function(
        fields.Numeric("Amount", **_money), 'on_change_with_amount')
    returned_quantity = fields.Function(
        fields.Integer("Returned by Customer"), 'get_returned_quantity')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('parcel')
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.parcel, Index.Equality())))

    @classmethod
    def get_returned_quantity(cls, lines, name):
        ReturnLine = Pool().get('multipoint.customer.return.line')
        returned = {l.id: 0 for l in lines}
        for return_line in ReturnLine.search(
                [('line', 'in', list(returned))]):
            returned[return_line.line.id] += return_line.quantity
        return returned

    @staticmethod
    def default_quantity():
        return 1

    @staticmethod
    def default_vat_rate():
        return 'none'

    @staticmethod
    def default_refusable():
        return True

    @staticmethod
    def default_refused_quantity():
        return 0

    @fields.depends('quantity', 'unit_price')
    def on_change_with_amount(self, name=None):
        return (Decimal(self.quantity or 0)
            * (self.unit_price or Decimal(0))).quantize(Decimal('0.01'))


def _phone_exact_only(domain):
    """Whether domain tests recipient_phone, and only for equality
    (= or in), the way a recipient's parcels are grouped"""
    found = []

    def walk(clause):
        if not clause:
            return True
        if isinstance(clause, (list, tuple)) and isinstance(clause[0], str):
            if clause[0] in {'AND', 'OR'}:
                return all(walk(c) for c in clause[1:])
            name = clause[0].split('.', 1)[0]
            if name == 'recipient_phone':
                if clause[0] != name or len(clause) < 3 or (
                        clause[1] not in {'=', 'in'}):
                    return False
                found.append(clause)
            return True
        if isinstance(clause, (list, tuple)):
            return all(walk(c) for c in clause)
        return True
    return walk(domain) and bool(found)
