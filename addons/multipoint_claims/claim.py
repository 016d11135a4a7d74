"""Claims (претензии) to suppliers: the pre-trial step of a dispute.

Disputing a charge writes its claim from the supplier's template (what is
charged, for which parcel, why the charge is wrong by the point's own
records, the evidence attached). Sending it numbers it, keeps the evidence
pack sent with it, sets the deadline of the answer — the end of the last
day in the point's time zone — and puts a task with a reminder in the
point's organizer. The supplier's answer and the outcome are recorded; the
outcome moves the charge (won, lost, partly won), which the next
settlement follows.
"""
import datetime as dt
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.modules.multipoint_core.guard import Workflow, privileged
from trytond.modules.multipoint_core.pdf import Document
from trytond.modules.multipoint_tickets.recurrence import to_local, to_utc
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.report import Report
from trytond.transaction import Transaction

from .charge import DEFAULT_ANSWER_DAYS, money
from .exceptions import ClaimError

ZERO = Decimal('0.00')
_money = {'digits': (16, 2)}
STATES = [
    ('draft', "Draft"),
    ('sent', "Sent"),
    ('closed', "Closed"),
    ('cancelled', "Withdrawn"),
    ]
OUTCOMES = [
    (None, ""),
    ('won', "Won"),
    ('lost', "Lost"),
    ('partly_won', "Partly Won"),
    ]
# the local hour of the organizer's task on the last day of the answer
TASK_HOUR = 10
REMINDER_MINUTES = 24 * 60
# what a draft shows for the number and the deadline, filled when sent
NUMBER_MARK = '[№]'
DEADLINE_MARK = '[дд.мм.гггг]'


class Claim(Workflow, ModelSQL, ModelView):
    "Claim to Supplier"
    __name__ = 'multipoint.charge.claim'
    _rec_name = 'number'
    _draft = {'readonly': Eval('state') != 'draft'}
    _sent = {'readonly': Eval('state') != 'sent'}

    number = fields.Char("Number", readonly=True)
    charge = fields.Many2One(
        'multipoint.charge', "Charge", required=True, ondelete='RESTRICT',
        readonly=True)
    supplier = fields.Function(
        fields.Many2One('party.party', "Supplier"), 'get_charge_field',
        searcher='search_charge_field')
    point = fields.Function(
        fields.Many2One('multipoint.point', "Point"), 'get_charge_field',
        searcher='search_charge_field')
    amount = fields.Function(
        fields.Numeric("Amount Disputed", **_money), 'get_charge_field')
    text = fields.Text("Text", required=True, states=_draft)
    answer_days = fields.Integer(
        "Days to Answer", required=True, states=_draft,
        domain=[('answer_days', '>', 0)])
    sent_date = fields.Date(
        "Sent On", readonly=True, help="The point's local date.")
    sent_at = fields.DateTime("Sent At", readonly=True)
    sent_by = fields.Many2One('res.user', "Sent By", readonly=True)
    deadline = fields.DateTime(
        "Answer Deadline", readonly=True,
        help="The end of the last day of the answer at the point (UTC).")
    deadline_date = fields.Date(
        "Answer By", readonly=True,
        help="The last day of the answer in the point's time zone.")
    overdue = fields.Function(
        fields.Boolean("Overdue"), 'get_overdue')
    task = fields.Many2One(
        'multipoint.task', "Reminder Task", readonly=True,
        ondelete='SET NULL')
    evidence_pack = fields.Binary(
        "Evidence Pack", filename='evidence_pack_name', readonly=True)
    evidence_pack_name = fields.Char("Evidence Pack Name", readonly=True)
    answer = fields.Text(
        "Supplier's Answer", states=_sent,
        help="What the supplier answered, as received.")
    won_amount = fields.Numeric(
        "Amount Won Back", **_money, states=_sent,
        help="For an outcome partly won: the part the supplier gave up.")
    answered_at = fields.DateTime("Answered At", readonly=True)
    outcome = fields.Selection(OUTCOMES, "Outcome", readonly=True)
    state = fields.Selection(
        STATES, "State", readonly=True, required=True, sort=False)
    del _draft, _sent

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.charge, Index.Equality())),
                Index(t, (t.deadline, Index.Range()),
                    where=t.state == 'sent'),
                })
        cls._order = [('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'sent'),
            ('draft', 'cancelled'),
            ('sent', 'cancelled'),
            ('sent', 'closed'),
            }
        cls._buttons.update({
                'send': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'win': {
                    'invisible': Eval('state') != 'sent',
                    'depends': ['state'],
                    },
                'lose': {
                    'invisible': Eval('state') != 'sent',
                    'depends': ['state'],
                    },
                'partly_win': {
                    'invisible': Eval('state') != 'sent',
                    'depends': ['state'],
                    },
                })

    @staticmethod
    def default_state():
        return 'draft'

    @staticmethod
    def default_answer_days():
        return DEFAULT_ANSWER_DAYS

    def get_rec_name(self, name):
        return self.number or gettext(
            'multipoint_claims.msg_claim_draft_name', id=self.id)

    @classmethod
    def get_charge_field(cls, claims, names):
        result = {n: {} for n in names}
        for claim in claims:
            charge = claim.charge
            for name in names:
                value = getattr(charge, name)
                result[name][claim.id] = (
                    value.id if hasattr(value, 'id') else value)
        return result

    @classmethod
    def search_charge_field(cls, name, clause):
        return [('charge.' + clause[0],) + tuple(clause[1:])]

    def get_overdue(self, name):
        return bool(self.state == 'sent' and self.deadline
            and self.deadline <= dt.datetime.utcnow())

    @classmethod
    def check_modification(cls, mode, claims, values=None, external=False):
        super().check_modification(
            mode, claims, values=values, external=external)
        if mode == 'delete':
            for claim in claims:
                if claim.state not in {'draft', 'cancelled'}:
                    raise ClaimError(gettext(
                            'multipoint_claims.msg_claim_delete',
                            claim=claim.rec_name))

    # -- writing -------------------------------------------------------

    @classmethod
    def create_for(cls, charges):
        "A draft claim per charge, its text from the supplier's template"
        Template = Pool().get('multipoint.charge.template')
        vlist = []
        for charge in charges:
            template = Template.for_supplier(charge.supplier)
            vlist.append({
                    'charge': charge.id,
                    'answer_days': (template.answer_days if template
                        else DEFAULT_ANSWER_DAYS),
                    'text': cls.render(charge, template),
                    })
        with privileged():
            return cls.create(vlist)

    @classmethod
    def render(cls, charge, template=None, number=None, deadline=None):
        "The claim's text for charge from template (or the default one)"
        from .evidence import facts, pack_names
        text = (template.text if template
            else gettext('multipoint_claims.msg_claim_default_text'))
        point = charge.point
        with privileged():
            reasons = '\n'.join(f'— {f}' for f in facts(charge)) or '—'
            evidence = '\n'.join(
                f'{i}. {n}' for i, n in enumerate(pack_names(charge), 1))
        values = {
            'number': number or NUMBER_MARK,
            'date': point.local_date().strftime('%d.%m.%Y'),
            'supplier': charge.supplier.rec_name,
            'point': point.rec_name,
            'address': (point.address or '').replace('\n', ', '),
            'order': ', '.join(charge.parcel_orders()) or '—',
            'parcels': cls.parcel_lines(charge),
            'charge_date': charge.date.strftime('%d.%m.%Y'),
            'ground': charge.ground,
            'kind': charge.kind_string,
            'amount': f'{money(charge.amount):.2f}',
            'reasons': reasons,
            'evidence': evidence,
            'deadline': (deadline.strftime('%d.%m.%Y') if deadline
                else DEADLINE_MARK),
            }
        try:
            return text % values
        except (KeyError, ValueError, TypeError) as exception:
            raise ClaimError(gettext(
                    'multipoint_claims.msg_template_invalid',
                    error=str(exception)))

    @staticmethod
    def parcel_lines(charge):
        "Every charged parcel, a line each: its order, places and amount"
        shares = charge.parcel_shares()
        lines = []
        for i, line in enumerate(charge.parcels, 1):
            places = ', '.join(p.barcode for p in line.parcel.places)
            lines.append(gettext('multipoint_claims.msg_claim_parcel_line',
                    index=i, order=line.parcel.order_number,
                    places=places or '—',
                    amount=f'{money(shares.get(line.id)):.2f}'))
        return '\n'.join(lines) or '—'

    # -- workflow ------------------------------------------------------

    @classmethod
    @ModelView.button
    @Workflow.transition('sent')
    def send(cls, claims):
        """Number the claims, keep the evidence pack sent with each, set
        the deadline of the answer in the point's time zone and put the
        reminder in the point's organizer"""
        pool = Pool()
        Sequence = pool.get('ir.sequence')
        ModelData = pool.get('ir.model.data')
        Task = pool.get('multipoint.task')
        from .evidence import evidence_zip
        now = dt.datetime.utcnow()
        sequence = Sequence(ModelData.get_id(
                'multipoint_claims', 'sequence_claim'))
        for claim in claims:
            if not (claim.text or '').strip():
                raise ClaimError(gettext(
                        'multipoint_claims.msg_claim_text_empty',
                        claim=claim.rec_name))
            point = claim.charge.point
            claim.number = claim.number or sequence.get()
            claim.sent_at = now
            claim.sent_by = Transaction().user or None
            claim.sent_date, claim.deadline_date, claim.deadline = (
                answer_deadline(point, now, claim.answer_days))
            claim.text = claim.text.replace(
                NUMBER_MARK, claim.number).replace(
                DEADLINE_MARK, claim.deadline_date.strftime('%d.%m.%Y'))
            claim.evidence_pack = evidence_zip(claim.charge, claim=claim)
            claim.evidence_pack_name = f'{claim.number}.zip'
            task = Task(
                title=gettext('multipoint_claims.msg_claim_task_title',
                    number=claim.number,
                    supplier=claim.charge.supplier.rec_name),
                notes=gettext('multipoint_claims.msg_claim_task_notes',
                    charge=claim.charge.rec_name,
                    date=claim.deadline_date.strftime('%d.%m.%Y')),
                point=point,
                due=to_utc(dt.datetime.combine(
                        claim.deadline_date, dt.time(TASK_HOUR)),
                    point.tzinfo),
                recurrence='none',
                reminder_minutes=REMINDER_MINUTES)
            Task.save([task])
            claim.task = task
        cls.save(claims)

    @classmethod
    @Workflow.transition('cancelled')
    def withdraw(cls, claims):
        cls._close_tasks(claims)

    @classmethod
    def _close_tasks(cls, claims):
        Task = Pool().get('multipoint.task')
        tasks = [c.task for c in claims if c.task and c.task.state == 'open']
        if tasks:
            Task.complete(tasks)

    @classmethod
    def _answer(cls, claims, outcome):
        for claim in claims:
            if not (claim.answer or '').strip():
                raise ClaimError(gettext(
                        'multipoint_claims.msg_claim_answer_missing',
                        claim=claim.rec_name))
        now = dt.datetime.utcnow()
        for claim in claims:
            claim.outcome = outcome
            claim.answered_at = now
        cls.save(claims)
        cls._close_tasks(claims)

    @classmethod
    @ModelView.button
    @Workflow.transition('closed')
    def win(cls, claims):
        "The supplier gave the charge up: the charge is won"
        Charge = Pool().get('multipoint.charge')
        cls._answer(claims, 'won')
        Charge.win([c.charge for c in claims])

    @classmethod
    @ModelView.button
    @Workflow.transition('closed')
    def lose(cls, claims):
        "The supplier upheld the charge: the point bears it"
        Charge = Pool().get('multipoint.charge')
        cls._answer(claims, 'lost')
        Charge.lose([c.charge for c in claims])

    @classmethod
    @ModelView.button
    @Workflow.transition('closed')
    def partly_win(cls, claims):
        "The supplier gave up the amount won back, the rest stands"
        Charge = Pool().get('multipoint.charge')
        for claim in claims:
            won = claim.won_amount or ZERO
            if not ZERO < won < claim.charge.amount:
                raise ClaimError(gettext(
                        'multipoint_claims.msg_charge_partly_amount',
                        charge=claim.charge.rec_name, amount=won))
        cls._answer(claims, 'partly_won')
        Charge.partly_win([c.charge for c in claims],
            {c.charge.id: c.won_amount for c in claims})


def answer_deadline(point, moment, days):
    """(local date sent, last local day of the answer, its end as a naive
    UTC moment) for a claim sent at moment (naive UTC) from point"""
    zone = point.tzinfo
    sent = to_local(moment, zone).date()
    last = sent + dt.timedelta(days=days)
    end = to_utc(dt.datetime.combine(
            last + dt.timedelta(days=1), dt.time()), zone)
    return sent, last, end


class ClaimLetter(Report):
    "The claim as a letter to send"
    __name__ = 'multipoint.charge.claim.letter'

    @classmethod
    def _execute(cls, records, header, data, action):
        claim, = records
        return 'pdf', letter_pdf(claim)


def letter_pdf(claim):
    charge = claim.charge
    doc = Document(gettext('multipoint_claims.msg_letter_title',
            number=claim.number or '—'))
    doc.paragraph(escape(gettext('multipoint_claims.msg_letter_header',
                supplier=charge.supplier.rec_name,
                point=charge.point.rec_name)))
    doc.space()
    for line in (claim.text or '').split('\n'):
        doc.paragraph(escape(line) or '&nbsp;')
    return doc.render()


def escape(text):
    return (str(text or '').replace('&', '&amp;').replace('<', '&lt;')
        .replace('>', '&gt;'))
