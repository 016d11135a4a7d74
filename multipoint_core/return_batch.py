"""Returns: refusal at the desk, return of parcels to their supplier in
batches handed to the supplier's courier, customer returns of issued
items."""
import datetime as dt

from trytond.i18n import gettext
from trytond.model import (
    Index, ModelSQL, ModelView, fields)
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.report import Report
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .guard import Workflow
from .exceptions import ReturnError
from .marking import parse as parse_marking
from .numbering import NumberedMixin
from .pdf import Document


class ReturnBatch(NumberedMixin, Workflow, ModelSQL, ModelView):
    "Return Batch"
    __name__ = 'multipoint.return.batch'
    _number_sequence = 'sequence_return_batch'
    _rec_name = 'number'
    _draft = {'readonly': Eval('state') != 'draft'}

    number = fields.Char("Number", readonly=True)
    company = fields.Many2One(
        'company.company', "Company", required=True, states=_draft)
    point = fields.Many2One(
        'multipoint.point', "Point", required=True, ondelete='RESTRICT',
        states={'readonly': Eval('id', -1) >= 0},
        domain=[('state', '=', 'active')])
    supplier = fields.Many2One(
        'party.party', "Supplier", required=True, ondelete='RESTRICT',
        states={'readonly': Eval('id', -1) >= 0},
        context={'company': Eval('company', -1)}, depends={'company'})
    courier_name = fields.Char("Courier", states=_draft)
    parcels = fields.One2Many(
        'multipoint.parcel', 'return_batch', "Parcels", readonly=True)
    customer_returns = fields.One2Many(
        'multipoint.customer.return', 'return_batch', "Customer Returns",
        readonly=True)
    handed_at = fields.DateTime("Handed Over At", readonly=True)
    parcel_count = fields.Function(
        fields.Integer("Parcels"), 'get_parcel_count')
    state = fields.Selection([
            ('draft', "Draft"),
            ('done', "Handed Over"),
            ('cancelled', "Cancelled"),
            ], "State", readonly=True, required=True, sort=False)
    del _draft

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t, (t.point, Index.Equality()),
                (t.state, Index.Equality(cardinality='low'))))
        cls._order = [('id', 'DESC')]
        cls._transitions |= {('draft', 'done'), ('draft', 'cancelled')}
        cls._buttons.update({
                'scan_out': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'hand_over': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                })

    @staticmethod
    def default_company():
        return Transaction().context.get('company')

    @staticmethod
    def default_state():
        return 'draft'

    def get_parcel_count(self, name):
        return len(self.parcels) + len(self.customer_returns)

    def add(self, barcode):
        """Scan a parcel out into the batch: a parcel to return, the refused
        items of a partly bought parcel or a customer return"""
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        CustomerReturn = pool.get('multipoint.customer.return')
        if self.state != 'draft':
            raise ReturnError(gettext(
                    'multipoint_core.msg_return_batch_closed',
                    batch=self.rec_name))
        parcel = Parcel.find_by_barcode(barcode, self.point)
        if parcel.supplier != self.supplier:
            raise ReturnError(gettext(
                    'multipoint_core.msg_return_other_supplier',
                    parcel=parcel.rec_name, supplier=parcel.supplier.rec_name))
        if parcel.state in {'issued', 'partially_issued'}:
            waiting = CustomerReturn.search([
                    ('parcel', '=', parcel.id),
                    ('state', '=', 'received'),
                    ('return_batch', '=', None)])
            if waiting:
                CustomerReturn.write(waiting, {'return_batch': self.id})
                return parcel
        if parcel.return_batch:
            raise ReturnError(gettext(
                    'multipoint_core.msg_return_already_batched',
                    parcel=parcel.rec_name,
                    batch=parcel.return_batch.rec_name))
        if not parcel.has_items_to_return():
            raise ReturnError(gettext(
                    'multipoint_core.msg_return_not_returnable',
                    parcel=parcel.rec_name, state=parcel.state_string))
        parcel.return_batch = self
        parcel.save()
        return parcel

    @classmethod
    @ModelView.button_action('multipoint_core.wizard_scan_out')
    def scan_out(cls, batches):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('done')
    def hand_over(cls, batches):
        "The courier signed the act: the parcels leave the point"
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        Event = pool.get('multipoint.parcel.event')
        CustomerReturn = pool.get('multipoint.customer.return')
        for batch in batches:
            if not batch.parcels and not batch.customer_returns:
                raise ReturnError(gettext(
                        'multipoint_core.msg_return_batch_empty',
                        batch=batch.rec_name))
            parcels = list(batch.parcels)
            Event.log(parcels, 'return', detail=batch.number)
            Parcel.return_([p for p in parcels if p.state == 'to_return'])
            CustomerReturn.write(list(batch.customer_returns),
                {'state': 'returned'})
        cls.write(batches, {'handed_at': dt.datetime.utcnow()})

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, batches):
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        CustomerReturn = pool.get('multipoint.customer.return')
        Parcel.write([p for b in batches for p in b.parcels],
            {'return_batch': None})
        CustomerReturn.write([r for b in batches for r in b.customer_returns],
            {'return_batch': None})


class ParcelReturnMixin:
    "Refusal at the desk and the way back to the supplier"
    __slots__ = ()
    return_batch = fields.Many2One(
        'multipoint.return.batch', "Return Batch", readonly=True,
        ondelete='RESTRICT')

    def has_items_to_return(self):
        "Whether something of this parcel still has to go back"
        if self.state == 'to_return':
            return True
        return self.state == 'partially_issued' and any(
            l.refused_quantity for l in self.lines)

    @classmethod
    def refuse_at_desk(cls, parcels, reason):
        "The recipient refuses the whole parcel: it goes back to its supplier"
        if not (reason or '').strip():
            raise ReturnError(gettext(
                    'multipoint_core.msg_return_reason_required'))
        for parcel in parcels:
            if parcel.state not in {'accepted', 'stored'}:
                raise ReturnError(gettext(
                        'multipoint_core.msg_return_refuse_state',
                        parcel=parcel.rec_name, state=parcel.state_string))
        cls.refuse(parcels, reason=reason)
        cls.to_return(cls.browse(parcels), reason=reason)


class CustomerReturn(Workflow, ModelSQL, ModelView):
    "Customer Return"
    __name__ = 'multipoint.customer.return'
    parcel = fields.Many2One(
        'multipoint.parcel', "Parcel", required=True, ondelete='RESTRICT',
        domain=[('state', 'in', ['issued', 'partially_issued'])],
        states={'readonly': Eval('id', -1) >= 0})
    point = fields.Many2One(
        'multipoint.point', "Point", required=True, readonly=True)
    date = fields.DateTime("Date", readonly=True)
    reason = fields.Text("Reason", required=True,
        states={'readonly': Eval('state') != 'received'})
    lines = fields.One2Many(
        'multipoint.customer.return.line', 'customer_return', "Items",
        states={'readonly': Eval('id', -1) >= 0})
    return_batch = fields.Many2One(
        'multipoint.return.batch', "Return Batch", readonly=True,
        ondelete='RESTRICT')
    state = fields.Selection([
            ('received', "Received"),
            ('returned', "Returned to Supplier"),
            ], "State", readonly=True, required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.parcel, Index.Equality())))
        cls._order = [('id', 'DESC')]

    @staticmethod
    def default_state():
        return 'received'

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if mode == 'create' and values.get('parcel'):
            Parcel = Pool().get('multipoint.parcel')
            values['point'] = Parcel(values['parcel']).point.id
            values['date'] = dt.datetime.utcnow()
        return values

    @classmethod
    def create(cls, vlist):
        returns = super().create(vlist)
        Event = Pool().get('multipoint.parcel.event')
        for customer_return in returns:
            Event.log([customer_return.parcel], 'customer_return',
                detail=', '.join(f'{l.line.name} × {l.quantity}'
                    for l in customer_return.lines)[:250])
        return returns

    @classmethod
    def validate(cls, returns):
        super().validate(returns)
        Terms = Pool().get('multipoint.supplier.terms')
        terms = Terms.for_parcels(
            (r.parcel.supplier.id, r.parcel.point.id) for r in returns)
        for customer_return in returns:
            parcel = customer_return.parcel
            term = terms[(parcel.supplier.id, parcel.point.id)]
            days = term.customer_return_days if term else None
            if days is None or not parcel.issued_at or (
                    customer_return.date
                    > parcel.issued_at + dt.timedelta(days=days)):
                raise ReturnError(gettext(
                        'multipoint_core.msg_customer_return_expired',
                        parcel=parcel.rec_name, days=days or 0))
            if not customer_return.lines:
                raise ReturnError(gettext(
                        'multipoint_core.msg_customer_return_no_items'))
            for line in customer_return.lines:
                item = line.line
                # returned_quantity counts this return too
                bought = item.quantity - (item.refused_quantity or 0)
                if item.parcel != parcel or item.returned_quantity > bought:
                    raise ReturnError(gettext(
                            'multipoint_core.msg_customer_return_quantity',
                            item=line.line.name))


class CustomerReturnLine(ModelSQL, ModelView):
    "Customer Return Item"
    __name__ = 'multipoint.customer.return.line'
    customer_return = fields.Many2One(
        'multipoint.customer.return', "Customer Return", required=True,
        ondelete='CASCADE')
    line = fields.Many2One(
        'multipoint.parcel.line', "Item", required=True, ondelete='RESTRICT')
    quantity = fields.Integer(
        "Quantity", required=True, domain=[('quantity', '>', 0)])

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('customer_return')
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.line, Index.Equality())))


class ReturnAct(Report):
    "Return act signed by the supplier's courier"
    __name__ = 'multipoint.return.act'

    @classmethod
    def _execute(cls, records, header, data, action):
        batch, = records
        doc = Document(gettext(
                'multipoint_core.msg_return_act_title', number=batch.number))
        doc.paragraph(gettext('multipoint_core.msg_return_act_header',
                point=batch.point.rec_name, address=batch.point.address,
                supplier=batch.supplier.rec_name,
                courier=batch.courier_name or '—',
                date=batch.point.local_date(
                    batch.handed_at or dt.datetime.utcnow())))
        rows = cls.rows(batch)
        doc.table([gettext('multipoint_core.msg_act_col_order'),
                gettext('multipoint_core.msg_act_col_places'),
                gettext('multipoint_core.msg_return_act_col_what')], rows)
        doc.space()
        doc.paragraph(gettext('multipoint_core.msg_return_act_signatures'))
        return 'pdf', doc.render()

    @classmethod
    def rows(cls, batch):
        "(order, places, what goes back) of the act's table"
        rows = []
        for parcel in sorted(batch.parcels, key=lambda p: p.order_number):
            if parcel.state == 'partially_issued':
                what = ', '.join(
                    f'{l.name} × {l.refused_quantity}{_marking(l)}'
                    for l in parcel.lines if l.refused_quantity)
            else:
                what = gettext('multipoint_core.msg_return_act_whole')
                marked = ', '.join(f'{l.name}{_marking(l)}'
                    for l in parcel.lines if l.marking_code)
                if marked:
                    what += f': {marked}'
            rows.append((parcel.order_number,
                    ', '.join(p.barcode for p in parcel.places), what))
        for customer_return in batch.customer_returns:
            rows.append((customer_return.parcel.order_number,
                    ', '.join(
                        p.barcode for p in customer_return.parcel.places),
                    ', '.join(
                        f'{l.line.name} × {l.quantity}{_marking(l.line)}'
                        for l in customer_return.lines)))
        return rows


def _marking(line):
    """The marking code of a marked item going back, for the act: the
    courier's scan of the piece matches its GTIN and serial"""
    if not line.marking_code:
        return ''
    return ' ' + gettext('multipoint_core.msg_return_act_marking',
        code=parse_marking(line.marking_code).short)


class ScanOutStart(ModelView):
    "Scan Out"
    __name__ = 'multipoint.return.batch.scan_out.start'
    batch = fields.Many2One(
        'multipoint.return.batch', "Return Batch", readonly=True)
    barcode = fields.Char("Barcode", help="Scan the label of a parcel.")
    last_result = fields.Char("Last Scan", readonly=True)
    count = fields.Integer("Parcels", readonly=True)


class ScanOut(Wizard):
    "Scan parcels out into a return batch from the web client"
    __name__ = 'multipoint.return.batch.scan_out'
    start = StateView('multipoint.return.batch.scan_out.start',
        'multipoint_core.return_batch_scan_out_start_view_form', [
            Button("Done", 'end', 'tryton-close'),
            Button("Scan", 'scan', 'tryton-ok', default=True),
            ])
    scan = StateTransition()

    def default_start(self, fields):
        return {
            'batch': self.record.id,
            'count': self.record.parcel_count,
            'last_result': getattr(self.start, 'last_result', None),
            }

    def transition_scan(self):
        parcel = self.record.add(self.start.barcode)
        self.start.last_result = parcel.rec_name
        self.start.barcode = None
        return 'start'
