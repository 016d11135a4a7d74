"""The charges ledger: every fine, deduction or withheld amount a supplier
claims from a pickup point, with its ground as the supplier states it, the
parcel, the date by which it may be disputed and who was on shift when the
parcel was accepted or issued.

new → accepted (the point agrees) or disputed (a claim is made);
accepted → disputed while the dispute date has not passed;
disputed → won, lost or partly won by the outcome of its claim (claim.py),
or accepted when the point withdraws.

The settlement (settlement.py) deducts what the point bears: the whole
amount of an accepted or lost charge, the part not won back of a partly
won one; a charge won after it was deducted is reversed.
"""
import datetime as dt
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Unique, fields
from trytond.modules.multipoint_core.guard import (
    GuardMixin, Workflow, privileged)
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction

from .exceptions import (
    ChargeError, ChargeImportError, ChargeValidationError)

ZERO = Decimal('0.00')
CENT = Decimal('0.01')
_money = {'digits': (16, 2)}
STATES = [
    ('new', "New"),
    ('accepted', "Accepted"),
    ('disputed', "Disputed"),
    ('won', "Won"),
    ('lost', "Lost"),
    ('partly_won', "Partly Won"),
    ]
KINDS = [
    ('lost', "Parcel called lost"),
    ('damaged', "Damaged parcel or item"),
    ('substituted', "Item substituted"),
    ('shortage', "Item missing"),
    ('late', "Missed deadline"),
    ('wrong_issue', "Issued to a wrong person"),
    ('other', "Other"),
    ]
# kinds that concern the hand-over to the recipient: the operator of the
# issue answers for them, the operator of the acceptance for the others
ISSUE_KINDS = {'substituted', 'shortage', 'wrong_issue'}
SOURCES = [
    ('manual', "Typed In"),
    ('report', "Supplier's Report"),
    ('connector', "Connector"),
    ]
# the states in which the point bears (part of) the amount
CHARGED_STATES = {'accepted', 'lost', 'partly_won', 'won'}
DEFAULT_DISPUTE_DAYS = 10
DEFAULT_ANSWER_DAYS = 30


def money(value):
    return (value or ZERO).quantize(CENT)


class Template(ModelSQL, ModelView):
    "Claim Template"
    __name__ = 'multipoint.charge.template'
    supplier = fields.Many2One(
        'party.party', "Supplier", ondelete='CASCADE',
        help="Leave empty for the template of every other supplier.")
    dispute_days = fields.Integer(
        "Days to Dispute", required=True,
        domain=[('dispute_days', '>=', 0)],
        help="Days from the date of a charge within which it may be "
        "disputed.")
    answer_days = fields.Integer(
        "Days to Answer", required=True,
        domain=[('answer_days', '>', 0)],
        help="Days the supplier has to answer a claim, counted in the "
        "point's time zone from the day the claim is sent.")
    text = fields.Text(
        "Text", required=True,
        help="The claim's text. Placeholders: %(number)s, %(date)s, "
        "%(supplier)s, %(point)s, %(address)s, %(order)s, %(charge_date)s, "
        "%(ground)s, %(amount)s, %(reasons)s, %(evidence)s, %(deadline)s.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('supplier_unique', Unique(t, t.supplier),
                'multipoint_claims.msg_template_supplier_unique'),
            ]

    @staticmethod
    def default_dispute_days():
        return DEFAULT_DISPUTE_DAYS

    @staticmethod
    def default_answer_days():
        return DEFAULT_ANSWER_DAYS

    @staticmethod
    def default_text():
        return gettext('multipoint_claims.msg_claim_default_text')

    def get_rec_name(self, name):
        if self.supplier:
            return self.supplier.rec_name
        return gettext('multipoint_claims.msg_template_any_supplier')

    @classmethod
    def for_supplier(cls, supplier):
        "The supplier's template, else the general one, else None"
        with privileged():
            templates = cls.search([
                    ['OR',
                        ('supplier', '=', supplier.id),
                        ('supplier', '=', None)],
                    ])
        templates.sort(key=lambda t: t.supplier is None)
        return templates[0] if templates else None


class Charge(Workflow, ModelSQL, ModelView):
    "Supplier Charge"
    __name__ = 'multipoint.charge'
    _new = {'readonly': Eval('state') != 'new'}

    company = fields.Many2One(
        'company.company', "Company", required=True, states=_new)
    supplier = fields.Many2One(
        'party.party', "Supplier", required=True, ondelete='RESTRICT',
        states=_new, context={'company': Eval('company', -1)},
        depends={'company'})
    point = fields.Many2One(
        'multipoint.point', "Point", required=True, ondelete='RESTRICT',
        states=_new, domain=[('company', '=', Eval('company', -1))])
    parcel = fields.Many2One(
        'multipoint.parcel', "Parcel", ondelete='RESTRICT', states=_new,
        domain=[
            ('supplier', '=', Eval('supplier', -1)),
            ('point', '=', Eval('point', -1)),
            ])
    order_number = fields.Char(
        "Order Number", states=_new, strip=True,
        help="The order as the supplier names it.")
    date = fields.Date("Date", required=True, states=_new)
    kind = fields.Selection(
        KINDS, "Kind", required=True, sort=False, states=_new)
    kind_string = kind.translated('kind')
    ground = fields.Text(
        "Ground", required=True, states=_new,
        help="The ground of the charge as the supplier states it.")
    amount = fields.Numeric(
        "Amount", **_money, required=True, states=_new,
        domain=[('amount', '>', 0)])
    dispute_due = fields.Date(
        "Dispute By", states=_new,
        help="The last day the charge may be disputed.")
    source = fields.Selection(SOURCES, "Source", readonly=True)
    source_reference = fields.Char("Source Reference", readonly=True)
    reconciliation = fields.Many2One(
        'multipoint.settlement.reconciliation', "Reconciliation",
        readonly=True, ondelete='SET NULL',
        help="The reconciliation whose supplier's report brought it.")
    operator = fields.Many2One(
        'res.user', "Operator", readonly=True, ondelete='SET NULL',
        help="Who accepted or issued the parcel, from its journal.")
    operator_step = fields.Selection([
            (None, ""),
            ('accepted', "Acceptance"),
            ('issued', "Issue"),
            ], "Operator's Step", readonly=True)
    operator_at = fields.DateTime("Operator's Step At", readonly=True)
    shift = fields.Many2One(
        'sale.point.cash.session', "Shift", readonly=True,
        ondelete='SET NULL',
        help="The shift of the point open at the operator's step.")
    mine = fields.Function(
        fields.Boolean("Mine",
            help="The current user is the operator of the charge."),
        'get_mine', searcher='search_mine')
    won_amount = fields.Numeric(
        "Won Back", **_money, readonly=True,
        help="The part of the amount the supplier gave up.")
    charged_amount = fields.Function(
        fields.Numeric("Borne by the Point", **_money),
        'get_charged_amount')
    decided_at = fields.DateTime("Decided At", readonly=True)
    claims = fields.One2Many(
        'multipoint.charge.claim', 'charge', "Claims", readonly=True)
    evidence = fields.One2Many(
        'multipoint.charge.evidence', 'charge', "Evidence", readonly=True)
    state = fields.Selection(
        STATES, "State", readonly=True, required=True, sort=False)
    state_string = state.translated('state')
    del _new

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('source_reference_unique',
                Unique(t, t.supplier, t.source_reference),
                'multipoint_claims.msg_charge_source_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.supplier, Index.Equality()),
                    (t.date, Index.Range())),
                Index(t, (t.point, Index.Equality()),
                    (t.state, Index.Equality(cardinality='low'))),
                Index(t, (t.parcel, Index.Equality())),
                Index(t, (t.operator, Index.Equality())),
                })
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('new', 'accepted'),
            ('new', 'disputed'),
            ('accepted', 'disputed'),
            ('disputed', 'accepted'),
            ('disputed', 'won'),
            ('disputed', 'lost'),
            ('disputed', 'partly_won'),
            }
        cls._buttons.update({
                'accept': {
                    'invisible': ~Eval('state').in_(['new', 'disputed']),
                    'depends': ['state'],
                    },
                'dispute': {
                    'invisible': ~Eval('state').in_(['new', 'accepted']),
                    'depends': ['state'],
                    },
                'find_operator': {
                    'invisible': ~Eval('parcel'),
                    'depends': ['parcel'],
                    },
                })

    @staticmethod
    def default_company():
        return Transaction().context.get('company')

    @staticmethod
    def default_state():
        return 'new'

    @staticmethod
    def default_source():
        return 'manual'

    @staticmethod
    def default_kind():
        return 'other'

    @staticmethod
    def default_date():
        return Pool().get('ir.date').today()

    @fields.depends('parcel', 'supplier', 'point', 'order_number')
    def on_change_parcel(self):
        if self.parcel:
            self.supplier = self.parcel.supplier
            self.point = self.parcel.point
            self.order_number = self.parcel.order_number

    def get_rec_name(self, name):
        order = self.order_number or (
            self.parcel.order_number if self.parcel else '')
        return (f'{self.supplier.rec_name} {order} '
            f'{money(self.amount)} ({self.date:%d.%m.%Y})')

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, operand, *extra = clause
        bool_op = 'AND' if operator.startswith(('!', 'not ')) else 'OR'
        return [bool_op,
            ('order_number', operator, operand, *extra),
            ('supplier.rec_name', operator, operand, *extra),
            ]

    def get_mine(self, name):
        user = Transaction().user
        return bool(user and self.operator and self.operator.id == user)

    @classmethod
    def search_mine(cls, name, clause):
        # the filter of «My Charges»: the server knows the user, the
        # client's domain does not need to
        _, operator, value = clause
        mine = (operator == '=') == bool(value)
        user = Transaction().user
        if mine:
            return [('operator', '=', user)]
        return ['OR', ('operator', '=', None), ('operator', '!=', user)]

    def get_charged_amount(self, name):
        "What the point bears in the charge's state"
        if self.state in {'accepted', 'lost'}:
            return money(self.amount)
        if self.state == 'partly_won':
            return money(self.amount - (self.won_amount or ZERO))
        if self.state == 'won':
            return ZERO
        return None

    @classmethod
    def preprocess_values(cls, mode, values):
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        Template = pool.get('multipoint.charge.template')
        Party = pool.get('party.party')
        values = super().preprocess_values(mode, values)
        if mode == 'create':
            if values.get('parcel'):
                with privileged():
                    parcel = Parcel(values['parcel'])
                    values.setdefault('supplier', parcel.supplier.id)
                    values.setdefault('point', parcel.point.id)
                    values.setdefault('company', parcel.company.id)
                    values.setdefault('order_number', parcel.order_number)
            if not values.get('dispute_due') and values.get('supplier'):
                template = Template.for_supplier(Party(values['supplier']))
                days = (template.dispute_days if template
                    else DEFAULT_DISPUTE_DAYS)
                date = values.get('date') or cls.default_date()
                values['dispute_due'] = date + dt.timedelta(days=days)
        if 'amount' in values and values['amount'] is not None:
            values['amount'] = money(Decimal(str(values['amount'])))
        return values

    @classmethod
    def validate_fields(cls, charges, field_names):
        super().validate_fields(charges, field_names)
        for charge in charges:
            parcel = charge.parcel
            if parcel and (parcel.supplier != charge.supplier
                    or parcel.point != charge.point):
                raise ChargeValidationError(gettext(
                        'multipoint_claims.msg_charge_parcel_mismatch',
                        parcel=parcel.rec_name,
                        charge=charge.rec_name))
            if charge.point and charge.point.company != charge.company:
                raise ChargeValidationError(gettext(
                        'multipoint_claims.msg_charge_company_mismatch',
                        charge=charge.rec_name))

    @classmethod
    def on_modification(cls, mode, charges, field_names=None):
        super().on_modification(mode, charges, field_names=field_names)
        if mode == 'create' or (mode == 'write' and field_names
                and 'parcel' in field_names):
            cls.set_operator([c for c in charges if c.parcel])

    @classmethod
    def check_modification(cls, mode, charges, values=None, external=False):
        super().check_modification(
            mode, charges, values=values, external=external)
        if mode == 'delete':
            for charge in charges:
                if charge.state != 'new' or charge.claims:
                    raise ChargeError(gettext(
                            'multipoint_claims.msg_charge_delete',
                            charge=charge.rec_name))

    @classmethod
    def copy(cls, charges, default=None):
        default = default.copy() if default is not None else {}
        for name in ['source_reference', 'operator', 'operator_step',
                'operator_at', 'shift', 'won_amount', 'decided_at',
                'claims', 'evidence', 'reconciliation']:
            default.setdefault(name)
        default.setdefault('source', 'manual')
        return super().copy(charges, default=default)

    # -- import ----------------------------------------------------------

    @classmethod
    def import_report(cls, company, supplier, data, file_name=None,
            point=None, reconciliation=None, default_date=None):
        """Create the charges of the rows of a supplier's report with a
        fine or deduction; a row imported before (by an earlier file too)
        is not imported again. Returns the charges created."""
        from .settlement import kind_of, read_charges
        Parcel = Pool().get('multipoint.parcel')
        rows = read_charges(data)
        today = default_date or cls.default_date()
        with privileged():
            parcels = {p.order_number: p for p in Parcel.search([
                        ('supplier', '=', supplier.id),
                        ('order_number', 'in', list({r[1] for r in rows})),
                        ])}
            vlist, errors, seen = [], [], set()
            for number, order, amount, ground, date in rows:
                parcel = parcels.get(order)
                at = parcel.point if parcel else point
                if not at or (point and parcel and parcel.point != point):
                    errors.append(gettext(
                            'multipoint_claims.msg_import_parcel_unknown',
                            row=number, order=order))
                    continue
                date = date or today
                reference = (f'report:{order}:{date.isoformat()}:'
                    f'{amount}:{(ground or "")[:80]}')
                if reference in seen:
                    continue
                seen.add(reference)
                vlist.append({
                        'company': company.id,
                        'supplier': supplier.id,
                        'point': at.id,
                        'parcel': parcel.id if parcel else None,
                        'order_number': order,
                        'date': date,
                        'kind': kind_of(ground),
                        'ground': ground or gettext(
                            'multipoint_claims.msg_import_no_ground'),
                        'amount': amount,
                        'source': 'report',
                        'source_reference': reference,
                        'reconciliation': (reconciliation.id
                            if reconciliation else None),
                        })
            if errors:
                raise ChargeImportError('\n'.join(errors[:10]))
            known = {c.source_reference for c in cls.search([
                        ('supplier', '=', supplier.id),
                        ('source_reference', 'in',
                            [v['source_reference'] for v in vlist]),
                        ])}
            return cls.create(
                [v for v in vlist if v['source_reference'] not in known])

    # -- who was on shift ----------------------------------------------

    @classmethod
    @ModelView.button
    def find_operator(cls, charges):
        cls.set_operator(charges)

    @classmethod
    def set_operator(cls, charges):
        """Read from the parcel's journal who accepted it (or issued it,
        for the kinds about the hand-over) and the shift open then"""
        pool = Pool()
        Event = pool.get('multipoint.parcel.event')
        with privileged():
            charges = cls.browse(charges)
            parcels = list({c.parcel.id for c in charges if c.parcel})
            events = Event.search([
                    ('parcel', 'in', parcels),
                    ('kind', '=', 'state'),
                    ('to_state', 'in',
                        ['accepted', 'issued', 'partially_issued']),
                    ], order=[('date', 'ASC'), ('id', 'ASC')])
            steps = {}
            for event in events:
                step = ('accepted' if event.to_state == 'accepted'
                    else 'issued')
                # the last acceptance (a parcel found again is accepted
                # anew) and the issue
                steps[(event.parcel.id, step)] = event
            for charge in charges:
                if not charge.parcel:
                    continue
                order = (['issued', 'accepted']
                    if charge.kind in ISSUE_KINDS
                    else ['accepted', 'issued'])
                event = None
                for step in order:
                    event = steps.get((charge.parcel.id, step))
                    if event:
                        break
                if not event:
                    continue
                charge.operator = event.user
                charge.operator_step = step
                charge.operator_at = event.date
                charge.shift = cls._shift_at(charge.point, event.date)
            cls.save(charges)

    @staticmethod
    def _shift_at(point, moment):
        "The cash session of point open at moment (UTC), or None"
        Session = Pool().get('sale.point.cash.session')
        if not point.sale_point:
            return None
        sessions = Session.search([
                ('point', '=', point.sale_point.id),
                ('opened_at', '<=', moment),
                ['OR',
                    ('closed_at', '=', None),
                    ('closed_at', '>=', moment),
                    ],
                ], order=[('opened_at', 'DESC')], limit=1)
        return sessions[0] if sessions else None

    # -- workflow ------------------------------------------------------

    @classmethod
    @ModelView.button
    @Workflow.transition('accepted')
    def accept(cls, charges):
        "The point agrees: the amount is deducted by the next settlement"
        Claim = Pool().get('multipoint.charge.claim')
        claims = [c for ch in charges for c in ch.claims
            if c.state in {'draft', 'sent'}]
        if claims:
            Claim.withdraw(claims)
        cls.write(charges, {'decided_at': dt.datetime.utcnow()})

    @classmethod
    @ModelView.button
    def dispute(cls, charges):
        """A claim is written from the supplier's template; the charge is
        disputed"""
        Claim = Pool().get('multipoint.charge.claim')
        cls.check_disputable(charges)
        cls._dispute(charges)
        Claim.create_for(charges)

    @classmethod
    def check_disputable(cls, charges):
        for charge in charges:
            if charge.state not in {'new', 'accepted'}:
                raise ChargeError(gettext(
                        'multipoint_claims.msg_charge_not_disputable',
                        charge=charge.rec_name,
                        state=charge.state_string))
            today = charge.point.local_date()
            if charge.dispute_due and today > charge.dispute_due:
                raise ChargeError(gettext(
                        'multipoint_claims.msg_charge_dispute_late',
                        charge=charge.rec_name,
                        date=charge.dispute_due.strftime('%d.%m.%Y')))

    @classmethod
    @Workflow.transition('disputed')
    def _dispute(cls, charges):
        pass

    @classmethod
    @Workflow.transition('won')
    def win(cls, charges):
        now = dt.datetime.utcnow()
        for charge in charges:
            charge.won_amount = money(charge.amount)
            charge.decided_at = now
        cls.save(charges)

    @classmethod
    @Workflow.transition('lost')
    def lose(cls, charges):
        cls.write(charges, {
                'won_amount': ZERO, 'decided_at': dt.datetime.utcnow()})

    @classmethod
    @Workflow.transition('partly_won')
    def partly_win(cls, charges, amounts):
        "amounts: {charge: the part won back}"
        for charge in charges:
            won = money(amounts.get(charge) or amounts.get(charge.id))
            if not ZERO < won < charge.amount:
                raise ChargeError(gettext(
                        'multipoint_claims.msg_charge_partly_amount',
                        charge=charge.rec_name, amount=won))
            charge.won_amount = won
            charge.decided_at = dt.datetime.utcnow()
        cls.save(charges)


class ChargeEvidence(GuardMixin, ModelSQL, ModelView):
    "Charge Evidence"
    # a file or note the point adds to a charge (a photo, the operator's
    # explanation): added, never changed; it goes into the evidence pack
    __name__ = 'multipoint.charge.evidence'
    _written = {'readonly': Eval('id', -1) >= 0}
    charge = fields.Many2One(
        'multipoint.charge', "Charge", required=True, ondelete='CASCADE',
        states=_written)
    point = fields.Function(
        fields.Many2One('multipoint.point', "Point"), 'get_point',
        searcher='search_point')
    description = fields.Text("Description", required=True, states=_written)
    file = fields.Binary(
        "File", filename='file_name', states=_written)
    file_name = fields.Char("File Name", states=_written)
    added_by = fields.Many2One('res.user', "Added By", readonly=True)
    added_at = fields.DateTime("Added At", readonly=True)
    del _written

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.charge, Index.Equality())))
        cls._order = [('added_at', 'ASC'), ('id', 'ASC')]

    def get_point(self, name):
        return self.charge.point.id

    @classmethod
    def search_point(cls, name, clause):
        return [('charge.point',) + tuple(clause[1:])]

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if mode == 'create':
            values['added_by'] = Transaction().user or None
            values['added_at'] = dt.datetime.utcnow()
            if values.get('file') and not values.get('file_name'):
                values['file_name'] = 'evidence.bin'
        return values

    @classmethod
    def check_modification(cls, mode, records, values=None, external=False):
        super().check_modification(
            mode, records, values=values, external=external)
        if external and mode == 'create':
            for record in records:
                if record.charge.state in {'won', 'lost', 'partly_won'}:
                    raise ChargeError(gettext(
                            'multipoint_claims.msg_evidence_closed',
                            charge=record.charge.rec_name))
        if external and mode in {'write', 'delete'} and Transaction().user:
            raise ChargeError(gettext(
                    'multipoint_claims.msg_evidence_immutable'))



class ChargeOperatorSummary(ModelSQL, ModelView):
    "Charges by Operator and Shift"
    __name__ = 'multipoint.charge.operator_summary'
    # who pays: the charges of each operator on each shift at each point;
    # owners and accountants see every row, an operator its own
    operator = fields.Many2One('res.user', "Operator", readonly=True)
    shift = fields.Many2One(
        'sale.point.cash.session', "Shift", readonly=True)
    point = fields.Many2One('multipoint.point', "Point", readonly=True)
    charge_count = fields.Integer("Charges", readonly=True)
    amount = fields.Function(
        fields.Numeric("Amount Charged", **_money), 'get_amounts')
    charged_amount = fields.Function(
        fields.Numeric("Borne by the Point", **_money), 'get_amounts')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('point', 'ASC'), ('operator', 'ASC'),
            ('shift', 'DESC'), ('id', 'DESC')]

    @classmethod
    def table_query(cls):
        from sql import Null
        from sql.aggregate import Count, Max, Min
        Charge = Pool().get('multipoint.charge')
        charge = Charge.__table__()
        return charge.select(
            Min(charge.id).as_('id'),
            Min(charge.create_uid).as_('create_uid'),
            Min(charge.create_date).as_('create_date'),
            Max(charge.write_uid).as_('write_uid'),
            Max(charge.write_date).as_('write_date'),
            charge.operator.as_('operator'),
            charge.shift.as_('shift'),
            charge.point.as_('point'),
            Count(charge.id).as_('charge_count'),
            where=charge.operator != Null,
            group_by=[charge.operator, charge.shift, charge.point])

    @classmethod
    def get_amounts(cls, rows, names):
        Charge = Pool().get('multipoint.charge')
        result = {n: {r.id: ZERO for r in rows} for n in names}
        keys = {(r.operator.id, r.shift.id if r.shift else None,
                r.point.id): r.id for r in rows}
        with privileged():
            charges = Charge.search([
                    ('operator', 'in', list({k[0] for k in keys})),
                    ('point', 'in', list({k[2] for k in keys})),
                    ])
            for charge in charges:
                row = keys.get((charge.operator.id,
                        charge.shift.id if charge.shift else None,
                        charge.point.id))
                if row is None:
                    continue
                if 'amount' in result:
                    result['amount'][row] += charge.amount
                if 'charged_amount' in result:
                    result['charged_amount'][row] += (
                        charge.charged_amount or ZERO)
        return result
