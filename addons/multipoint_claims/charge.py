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
        "%(supplier)s, %(point)s, %(address)s, %(order)s (every order), "
        "%(parcels)s (a line per parcel), %(charge_date)s, %(ground)s, "
        "%(amount)s, %(reasons)s, %(evidence)s, %(deadline)s.")

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
    parcels = fields.One2Many(
        'multipoint.charge.parcel', 'charge', "Parcels", states=_new,
        help="The parcels the supplier charges for: one, several (one "
        "amount for a lost bag) or none (the point was closed).")
    parcel = fields.Function(fields.Many2One(
            'multipoint.parcel', "Parcel", states=_new,
            domain=[
                ('supplier', '=', Eval('supplier', -1)),
                ('point', '=', Eval('point', -1)),
                ],
            help="The first parcel of the charge."),
        'get_parcel', setter='set_parcel', searcher='search_parcel')
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
        help="Who accepted or issued the first parcel, from its journal "
        "(each parcel's under Parcels).")
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
            help="The current user is the operator of one of the charge's "
            "parcels."),
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
                    'invisible': ~Eval('parcels'),
                    'depends': ['parcels'],
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

    def get_parcel(self, name):
        return self.parcels[0].parcel.id if self.parcels else None

    @classmethod
    def set_parcel(cls, charges, name, value):
        "The parcel given alone becomes the charge's first parcel"
        Line = Pool().get('multipoint.charge.parcel')
        if not value:
            return
        first = [c.parcels[0] for c in charges if c.parcels]
        if first:
            Line.write(first, {'parcel': value})
        Line.create([{'charge': c.id, 'parcel': value}
                for c in charges if not c.parcels])

    @classmethod
    def search_parcel(cls, name, clause):
        return [('parcels.parcel' + clause[0][len(name):],)
            + tuple(clause[1:])]

    def parcel_orders(self):
        "The order numbers of the charge: of its parcels, else its own"
        numbers = [l.parcel.order_number for l in self.parcels]
        return numbers or ([self.order_number] if self.order_number else [])

    def parcel_shares(self):
        """{charged parcel id: its part of the amount}: its own amount
        when the supplier gave one, the rest shared equally, the last
        parcel taking the kopecks left"""
        lines = list(self.parcels)
        if not lines:
            return {}
        given = sum((l.amount for l in lines if l.amount), ZERO)
        others = [l for l in lines if not l.amount]
        result = {l.id: money(l.amount) for l in lines if l.amount}
        if others:
            left = max(money(self.amount) - given, ZERO)
            part = (left / len(others)).quantize(CENT, rounding='ROUND_DOWN')
            for line in others:
                result[line.id] = part
            result[others[-1].id] = money(left - part * (len(others) - 1))
        return result

    def get_rec_name(self, name):
        order = self.order_number or ', '.join(self.parcel_orders())
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
        return bool(user and any(
                l.operator and l.operator.id == user for l in self.parcels))

    @classmethod
    def search_mine(cls, name, clause):
        # the filter of «My Charges»: the server knows the user, the
        # client's domain does not need to
        _, operator, value = clause
        mine = (operator == '=') == bool(value)
        user = Transaction().user
        if mine:
            return [('parcels.operator', '=', user)]
        return [('parcels', 'not where', [('operator', '=', user)])]

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
            ids = cls._parcel_ids(values)
            if ids:
                with privileged():
                    parcels = Parcel.browse(ids)
                    parcel = parcels[0]
                    values.setdefault('supplier', parcel.supplier.id)
                    values.setdefault('point', parcel.point.id)
                    values.setdefault('company', parcel.company.id)
                    values.setdefault('order_number', ', '.join(
                            p.order_number for p in parcels)[:250])
            if not values.get('dispute_due') and values.get('supplier'):
                template = Template.for_supplier(Party(values['supplier']))
                days = (template.dispute_days if template
                    else DEFAULT_DISPUTE_DAYS)
                date = values.get('date') or cls.default_date()
                values['dispute_due'] = date + dt.timedelta(days=days)
        if 'amount' in values and values['amount'] is not None:
            values['amount'] = money(Decimal(str(values['amount'])))
        return values

    @staticmethod
    def _parcel_ids(values):
        "The ids of the parcels the create values give"
        if values.get('parcel'):
            return [values['parcel']]
        return [v['parcel'] for action in values.get('parcels') or []
            if action[0] == 'create' for v in action[1]
            if v.get('parcel')]

    @classmethod
    def validate_fields(cls, charges, field_names):
        super().validate_fields(charges, field_names)
        for charge in charges:
            for line in charge.parcels:
                line.check_parcel()
            if charge.point and charge.point.company != charge.company:
                raise ChargeValidationError(gettext(
                        'multipoint_claims.msg_charge_company_mismatch',
                        charge=charge.rec_name))

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
        is not imported again. Returns the charges created.

        A row may list several orders (one amount for them all), and the
        rows sharing a charge number are one charge of their amounts'
        sum, each row's amount being its parcel's."""
        from .settlement import group_charges, kind_of, read_charges
        Parcel = Pool().get('multipoint.parcel')
        rows = read_charges(data)
        today = default_date or cls.default_date()
        with privileged():
            parcels = {p.order_number: p for p in Parcel.search([
                        ('supplier', '=', supplier.id),
                        ('order_number', 'in',
                            list({o for r in rows for o in r.orders})),
                        ])}
            vlist, errors, seen = [], [], set()
            for charge in group_charges(rows):
                found = [parcels.get(o) for o, _ in charge.orders]
                points = {p.point for p in found if p}
                at = points.pop() if len(points) == 1 else point
                unknown = [o for (o, _), p in zip(charge.orders, found)
                    if not p and not point]
                if (not at or points or unknown
                        or any(p and p.point != at for p in found)):
                    errors.append(gettext(
                            'multipoint_claims.msg_import_parcel_unknown',
                            row=charge.row, order=', '.join(
                                unknown or [o for o, _ in charge.orders])))
                    continue
                date = charge.date or today
                if charge.number:
                    reference = f'report:charge:{charge.number}'
                else:
                    reference = (
                        f'report:{",".join(o for o, _ in charge.orders)}:'
                        f'{date.isoformat()}:{charge.amount}:'
                        f'{(charge.ground or "")[:80]}')
                if reference in seen:
                    continue
                seen.add(reference)
                lines, taken = [], set()
                for (order, amount), parcel in zip(charge.orders, found):
                    if parcel and parcel.id not in taken:
                        taken.add(parcel.id)
                        lines.append({'parcel': parcel.id, 'amount': amount})
                vlist.append({
                        'company': company.id,
                        'supplier': supplier.id,
                        'point': at.id,
                        'parcels': [('create', lines)],
                        'order_number': ', '.join(
                            dict.fromkeys(o for o, _ in charge.orders))[:250],
                        'date': date,
                        'kind': kind_of(charge.ground),
                        'ground': charge.ground or gettext(
                            'multipoint_claims.msg_import_no_ground'),
                        'amount': charge.amount,
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
        """Read from each parcel's journal who accepted it (or issued it,
        for the kinds about the hand-over) and the shift open then; the
        charge's operator is its first parcel's"""
        pool = Pool()
        Event = pool.get('multipoint.parcel.event')
        Line = pool.get('multipoint.charge.parcel')
        with privileged():
            charges = cls.browse(charges)
            parcels = list({l.parcel.id for c in charges for l in c.parcels})
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
            lines, writes = [], []
            for charge in charges:
                order = (['issued', 'accepted']
                    if charge.kind in ISSUE_KINDS
                    else ['accepted', 'issued'])
                for line in charge.parcels:
                    for step in order:
                        event = steps.get((line.parcel.id, step))
                        if event:
                            line.operator = event.user
                            line.operator_step = step
                            line.operator_at = event.date
                            lines.append(line)
                            break
            shifts = cls._shifts_at(
                [(l.charge.point, l.operator_at) for l in lines])
            for line in lines:
                line.shift = shifts.get((line.charge.point, line.operator_at))
            Line.save(lines)
            for charge in charges:
                first = charge.parcels[0] if charge.parcels else None
                values = {name: getattr(first, name, None)
                    for name in ['operator', 'operator_step',
                        'operator_at', 'shift']}
                for name in ['operator', 'shift']:
                    values[name] = values[name].id if values[name] else None
                writes.extend(([charge], values))
            if writes:
                cls.write(*writes)

    @staticmethod
    def _shifts_at(pairs):
        """{(point, moment): the cash session of the point open at the
        moment (UTC)} of [(point, moment)], read in one search"""
        Session = Pool().get('sale.point.cash.session')
        pairs = [(p, m) for p, m in pairs if p.sale_point and m]
        if not pairs:
            return {}
        moments = [m for _, m in pairs]
        sessions = Session.search([
                ('point', 'in', list({p.sale_point.id for p, _ in pairs})),
                ('opened_at', '<=', max(moments)),
                ['OR',
                    ('closed_at', '=', None),
                    ('closed_at', '>=', min(moments)),
                    ],
                ], order=[('opened_at', 'DESC')])
        result = {}
        for point, moment in pairs:
            result[(point, moment)] = next((s for s in sessions
                    if s.point == point.sale_point
                    and s.opened_at <= moment
                    and (not s.closed_at or s.closed_at >= moment)), None)
        return result

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
        pool = Pool()
        Charge = pool.get('multipoint.charge')
        Line = pool.get('multipoint.charge.parcel')
        charge, line = Charge.__table__(), Line.__table__()
        # a row per operator, shift and point of the charged parcels: a
        # charge of parcels of two operators is in the rows of both
        return line.join(charge, condition=line.charge == charge.id).select(
            Min(line.id).as_('id'),
            Min(charge.create_uid).as_('create_uid'),
            Min(charge.create_date).as_('create_date'),
            Max(charge.write_uid).as_('write_uid'),
            Max(charge.write_date).as_('write_date'),
            line.operator.as_('operator'),
            line.shift.as_('shift'),
            charge.point.as_('point'),
            Count(charge.id, distinct=True).as_('charge_count'),
            where=line.operator != Null,
            group_by=[line.operator, line.shift, charge.point])

    @classmethod
    def get_amounts(cls, rows, names):
        "The parcels' parts of the amounts charged and borne"
        Line = Pool().get('multipoint.charge.parcel')
        result = {n: {r.id: ZERO for r in rows} for n in names}
        keys = {(r.operator.id, r.shift.id if r.shift else None,
                r.point.id): r.id for r in rows}
        with privileged():
            lines = Line.search([
                    ('operator', 'in', list({k[0] for k in keys})),
                    ('charge.point', 'in', list({k[2] for k in keys})),
                    ])
            shares = {}
            for charge in {l.charge for l in lines}:
                shares.update(charge.parcel_shares())
            for line in lines:
                charge = line.charge
                row = keys.get((line.operator.id,
                        line.shift.id if line.shift else None,
                        charge.point.id))
                if row is None:
                    continue
                share = shares.get(line.id) or ZERO
                if 'amount' in result:
                    result['amount'][row] += share
                if 'charged_amount' in result and charge.charged_amount:
                    result['charged_amount'][row] += money(
                        share * charge.charged_amount / charge.amount)
        return result
