import datetime as dt

from sql.aggregate import Count

from trytond.i18n import gettext
from trytond.model import (
    Index, ModelSQL, ModelView, Unique, fields)
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.report import Report
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .barcode import is_plausible_barcode, is_searchable, shown_barcode
from .guard import Workflow
from .exceptions import (
    BarcodeEmptyError, BarcodeInvalidError, ReceptionClosedError,
    ReceptionError)
from .numbering import NumberedMixin
from .pdf import Document

# Scan results that put a place into the reception
COUNTED = ['accepted', 'other_supplier']


class Reception(NumberedMixin, Workflow, ModelSQL, ModelView):
    "Reception"
    __name__ = 'multipoint.reception'
    _number_sequence = 'sequence_reception'
    _rec_name = 'number'
    _open = {'readonly': Eval('state') != 'open'}

    number = fields.Char("Number", readonly=True)
    company = fields.Many2One(
        'company.company', "Company", required=True, states=_open)
    point = fields.Many2One(
        'multipoint.point', "Point", required=True, ondelete='RESTRICT',
        states={'readonly': Eval('id', -1) >= 0},
        domain=[('state', '=', 'active')])
    suppliers = fields.Many2Many(
        'multipoint.reception-party.party', 'reception', 'supplier',
        "Suppliers", states=_open,
        context={'company': Eval('company', -1)}, depends={'company'},
        help="Leave empty to expect parcels of every supplier.")
    manifest = fields.Char(
        "Manifest", states=_open,
        help="The supplier's waybill number: when set, its parcels are "
        "the expected ones and the unscanned are reported missing.")
    courier_name = fields.Char("Courier", states=_open)
    vehicle = fields.Char("Vehicle", states=_open)
    note = fields.Text("Note")
    opened_at = fields.DateTime("Opened At", readonly=True)
    closed_at = fields.DateTime("Closed At", readonly=True)
    scans = fields.One2Many(
        'multipoint.reception.scan', 'reception', "Scans", readonly=True)
    parcels = fields.One2Many(
        'multipoint.parcel', 'reception', "Accepted Parcels", readonly=True)
    expected_count = fields.Function(
        fields.Integer("Expected Places"), 'get_progress')
    scanned_count = fields.Function(
        fields.Integer("Scanned Places"), 'get_progress')
    surplus_count = fields.Function(
        fields.Integer("Surplus"), 'get_progress')
    damaged_count = fields.Function(
        fields.Integer("Damaged"), 'get_progress')
    progress = fields.Function(
        fields.Float("Progress", digits=(3, 2)), 'get_progress')
    state = fields.Selection([
            ('open', "Open"),
            ('closed', "Closed"),
            ('cancelled', "Cancelled"),
            ], "State", readonly=True, required=True, sort=False)
    del _open

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t, (t.point, Index.Equality()),
                (t.state, Index.Equality(cardinality='low'))))
        cls._order = [('opened_at', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {('open', 'closed'), ('open', 'cancelled')}
        cls._buttons.update({
                'scan_wizard': {
                    'invisible': Eval('state') != 'open',
                    'depends': ['state'],
                    },
                'close': {
                    'invisible': Eval('state') != 'open',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': Eval('state') != 'open',
                    'depends': ['state'],
                    },
                })

    @staticmethod
    def default_company():
        return Transaction().context.get('company')

    @staticmethod
    def default_state():
        return 'open'

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if mode == 'create':
            values['opened_at'] = dt.datetime.utcnow()
        return values

    def _expected_domain(self):
        "The places this reception expects to receive"
        domain = [
            ('parcel.point', '=', self.point.id),
            ('parcel.state', '=', 'expected'),
            ('state', '=', 'expected'),
            ]
        if self.manifest:
            domain.append(('parcel.manifest', '=', self.manifest))
        if self.suppliers:
            domain.append(
                ('parcel.supplier', 'in', [s.id for s in self.suppliers]))
        return domain

    @classmethod
    def get_progress(cls, receptions, names):
        pool = Pool()
        Place = pool.get('multipoint.parcel.place')
        Scan = pool.get('multipoint.reception.scan')
        result = {n: {} for n in names}
        for reception in receptions:
            counts = {r: 0 for r in [
                    'accepted', 'other_supplier', 'duplicate', 'surplus',
                    'missing']}
            for result_, count in Scan.count_by_result([reception]):
                counts[result_] = count
            scanned = counts['accepted'] + counts['other_supplier']
            if reception.state == 'open':
                expected = Place.search_count(
                    reception._expected_domain()) + scanned
            else:
                expected = scanned + counts['missing']
            values = {
                'expected_count': expected,
                'scanned_count': scanned,
                'surplus_count': counts['surplus'],
                'damaged_count': Scan.search_count([
                        ('reception', '=', reception.id),
                        ('damaged', '=', True)]),
                'progress': round(scanned / expected, 2) if expected else 0,
                }
            for name in names:
                result[name][reception.id] = values[name]
        return result

    def check_open(self):
        if self.state != 'open':
            raise ReceptionClosedError(gettext(
                    'multipoint_core.msg_reception_not_open',
                    reception=self.rec_name))

    def scan(self, barcode, damaged=False, note=None, photo=None,
            photo_name=None, client_id=None):
        """Record one scan and return it. A place scanned again is reported
        as a duplicate and not counted; an unknown barcode is searched
        across all suppliers' parcels expected at the point, and recorded
        as surplus when none has it and it can be a label at all
        (barcode.is_plausible_barcode), else refused."""
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        Place = pool.get('multipoint.parcel.place')
        Scan = pool.get('multipoint.reception.scan')
        Event = pool.get('multipoint.parcel.event')
        self.check_open()
        barcode = (barcode or '').strip()
        if not barcode:
            raise BarcodeEmptyError(gettext(
                    'multipoint_core.msg_barcode_empty'))
        if not is_searchable(barcode):
            self.refuse_barcode(barcode)
        if client_id:
            # the operator screen resends a scan it could not confirm
            done = Scan.search([
                    ('reception', '=', self.id),
                    ('client_id', '=', client_id)], limit=1)
            if done:
                return done[0]
        scan = Scan(
            reception=self, barcode=barcode, damaged=bool(damaged),
            note=note, client_id=client_id)
        places = Place.search([('barcode', '=', barcode)])
        if (not places and not is_plausible_barcode(barcode)
                and not Parcel.search([
                        ('order_number', '=', barcode)], limit=1)):
            # junk is not surplus; a code a parcel has (a place's barcode
            # or its order number) is taken whatever its form
            self.refuse_barcode(barcode)
        here = [p for p in places if p.parcel.point == self.point]
        place = here[0] if here else None
        if place and place.state == 'received':
            scan.result = 'duplicate'
            scan.place = place
        elif place and place.parcel.state == 'expected':
            scan.place = place
            supplier_ids = {s.id for s in self.suppliers}
            if supplier_ids and place.parcel.supplier.id not in supplier_ids:
                scan.result = 'other_supplier'
            else:
                scan.result = 'accepted'
            place.state = 'received'
            place.reception = self
            if damaged:
                place.damaged = True
                place.damage_note = note
            place.save()
        else:
            scan.result = 'surplus'
            if place:
                scan.place = place
                scan.detail = gettext(
                    'multipoint_core.msg_scan_parcel_in_state',
                    parcel=place.parcel.rec_name,
                    state=place.parcel.state_string)
            elif places:
                scan.detail = gettext(
                    'multipoint_core.msg_scan_other_point',
                    point=places[0].parcel.point.rec_name)
        scan.save()
        if scan.result in COUNTED:
            Event.log([scan.place.parcel], 'damaged' if damaged else 'scan',
                reception=self, detail=barcode)
        if photo:
            scan.attach_photo(photo, photo_name)
        return scan

    @staticmethod
    def refuse_barcode(barcode):
        raise BarcodeInvalidError(gettext(
                'multipoint_core.msg_barcode_invalid',
                barcode=shown_barcode(barcode)))

    @classmethod
    @ModelView.button_action('multipoint_core.wizard_scan_places')
    def scan_wizard(cls, receptions):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('closed')
    def close(cls, receptions):
        """Accept every parcel with a received place, report the places
        that did not come and compute the storage deadlines"""
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        Place = pool.get('multipoint.parcel.place')
        Scan = pool.get('multipoint.reception.scan')
        Event = pool.get('multipoint.parcel.event')
        for reception in receptions:
            received = Place.search([
                    ('reception', '=', reception.id),
                    ('state', '=', 'received'),
                    ('parcel.state', '=', 'expected'),
                    ])
            parcels = list({p.parcel for p in received})
            if not parcels:
                raise ReceptionError(gettext(
                        'multipoint_core.msg_reception_nothing_scanned',
                        reception=reception.rec_name))
            missing = [p for parcel in parcels for p in parcel.places
                if p.state == 'expected']
            if reception.manifest:
                missing += Place.search(reception._expected_domain())
            missing = list(set(missing))
            Scan.save([Scan(
                        reception=reception, barcode=p.barcode, place=p,
                        result='missing') for p in missing])
            partly = [p for p in missing if p.parcel in set(parcels)]
            Place.write(partly, {'state': 'missing'})
            Event.log({p.parcel for p in partly}, 'missing',
                reception=reception,
                detail=', '.join(sorted(p.barcode for p in partly))[:250]
                or None)
            Parcel.accept(parcels, reception=reception)
        cls.write(receptions, {'closed_at': dt.datetime.utcnow()})

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, receptions):
        Place = Pool().get('multipoint.parcel.place')
        for reception in receptions:
            if Place.search_count([('reception', '=', reception.id)]):
                raise ReceptionError(gettext(
                        'multipoint_core.msg_reception_cancel_scanned',
                        reception=reception.rec_name))


class ReceptionSupplier(ModelSQL):
    "Reception - Supplier"
    __name__ = 'multipoint.reception-party.party'
    reception = fields.Many2One(
        'multipoint.reception', "Reception", required=True,
        ondelete='CASCADE')
    supplier = fields.Many2One(
        'party.party', "Supplier", required=True, ondelete='CASCADE')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('reception')


class ReceptionScan(ModelSQL, ModelView):
    "Reception Scan"
    __name__ = 'multipoint.reception.scan'
    reception = fields.Many2One(
        'multipoint.reception', "Reception", required=True,
        ondelete='CASCADE', readonly=True)
    barcode = fields.Char("Barcode", required=True, readonly=True)
    date = fields.Timestamp("Date", readonly=True)
    user = fields.Many2One('res.user', "User", readonly=True)
    place = fields.Many2One(
        'multipoint.parcel.place', "Place", readonly=True)
    parcel = fields.Function(
        fields.Many2One('multipoint.parcel', "Parcel"), 'get_parcel')
    result = fields.Selection([
            ('accepted', "Accepted"),
            ('other_supplier', "Accepted (other supplier)"),
            ('duplicate', "Duplicate"),
            ('surplus', "Surplus"),
            ('missing', "Missing"),
            ], "Result", required=True, readonly=True)
    result_string = result.translated('result')
    detail = fields.Char("Detail", readonly=True)
    damaged = fields.Boolean("Damaged", readonly=True)
    note = fields.Text("Note")
    client_id = fields.Char(
        "Client Id", readonly=True,
        help="Id given by the scanning device to send a scan only once.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('reception')
        t = cls.__table__()
        cls._sql_constraints += [
            ('client_id_unique', Unique(t, t.reception, t.client_id),
                'multipoint_core.msg_scan_client_id_unique'),
            ]
        cls._sql_indexes.add(
            Index(t, (t.reception, Index.Equality()),
                (t.result, Index.Equality(cardinality='low'))))
        cls._order = [('id', 'DESC')]

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if mode == 'create':
            if values.get('result') != 'missing':
                values.setdefault('date', dt.datetime.utcnow())
                values.setdefault('user', Transaction().user or None)
        return values

    def get_parcel(self, name):
        return self.place.parcel.id if self.place else None

    @classmethod
    def count_by_result(cls, receptions):
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(table.result, Count(table.id),
                where=table.reception.in_([r.id for r in receptions]),
                group_by=[table.result]))
        return list(cursor)

    def attach_photo(self, data, name=None):
        Attachment = Pool().get('ir.attachment')
        Attachment.save([Attachment(
                    resource=self, type='data', data=data,
                    name=name or f'{self.barcode}.jpg')])


class AcceptanceAct(Report):
    "Acceptance act of a reception, with its discrepancies"
    __name__ = 'multipoint.reception.act'

    @classmethod
    def _execute(cls, records, header, data, action):
        reception, = records
        doc = Document(gettext(
                'multipoint_core.msg_act_title', number=reception.number))
        point = reception.point
        opened = reception.opened_at and point.local_date(
            reception.opened_at)
        doc.paragraph(gettext('multipoint_core.msg_act_header',
                point=point.rec_name, address=point.address or '',
                date=opened or '', courier=reception.courier_name or '—',
                vehicle=reception.vehicle or '—',
                manifest=reception.manifest or '—'))
        by_result = {}
        for scan in reception.scans:
            by_result.setdefault(scan.result, []).append(scan)
        accepted = sorted(reception.parcels, key=lambda p: p.order_number)
        doc.section(gettext('multipoint_core.msg_act_accepted',
                count=len(accepted)))
        doc.table(
            [gettext('multipoint_core.msg_act_col_supplier'),
                gettext('multipoint_core.msg_act_col_order'),
                gettext('multipoint_core.msg_act_col_places'),
                gettext('multipoint_core.msg_act_col_recipient'),
                gettext('multipoint_core.msg_act_col_deadline')],
            [(p.supplier.rec_name, p.order_number,
                    ', '.join(pl.barcode for pl in p.places),
                    p.recipient_name, p.storage_deadline or '')
                for p in accepted])
        for result in ['missing', 'surplus', 'duplicate']:
            scans = by_result.get(result, [])
            if not scans and result == 'duplicate':
                continue
            doc.section(gettext(f'multipoint_core.msg_act_{result}',
                    count=len(scans)))
            doc.table(
                [gettext('multipoint_core.msg_act_col_barcode'),
                    gettext('multipoint_core.msg_act_col_order'),
                    gettext('multipoint_core.msg_act_col_detail')],
                [(s.barcode, s.parcel.order_number if s.parcel else '',
                        s.detail or '') for s in scans])
        damaged = [s for s in reception.scans if s.damaged]
        doc.section(gettext('multipoint_core.msg_act_damaged',
                count=len(damaged)))
        doc.table(
            [gettext('multipoint_core.msg_act_col_barcode'),
                gettext('multipoint_core.msg_act_col_order'),
                gettext('multipoint_core.msg_act_col_detail')],
            [(s.barcode, s.parcel.order_number if s.parcel else '',
                    s.note or '') for s in damaged])
        doc.space()
        doc.paragraph(gettext('multipoint_core.msg_act_signatures'))
        return 'pdf', doc.render()


class ScanPlacesStart(ModelView):
    "Scan Places"
    __name__ = 'multipoint.reception.scan_places.start'
    reception = fields.Many2One(
        'multipoint.reception', "Reception", readonly=True)
    barcode = fields.Char("Barcode", help="Scan the label of a place.")
    damaged = fields.Boolean("Damaged")
    note = fields.Char("Note")
    last_result = fields.Char("Last Scan", readonly=True)
    progress = fields.Char("Progress", readonly=True)


class ScanPlaces(Wizard):
    "Scan places into a reception from the web client, one after another"
    __name__ = 'multipoint.reception.scan_places'
    start = StateView('multipoint.reception.scan_places.start',
        'multipoint_core.reception_scan_places_start_view_form', [
            Button("Done", 'end', 'tryton-close'),
            Button("Scan", 'scan', 'tryton-ok', default=True),
            ])
    scan = StateTransition()

    def default_start(self, fields):
        reception = self.record
        values = {
            'reception': reception.id,
            'progress': f'{reception.scanned_count} / '
            f'{reception.expected_count}',
            }
        if getattr(self.start, 'last_result', None):
            values['last_result'] = self.start.last_result
        return values

    def transition_scan(self):
        reception = self.record
        scan = reception.scan(
            self.start.barcode, damaged=self.start.damaged,
            note=self.start.note)
        self.start.last_result = (
            f'{scan.barcode}: {scan.result_string}'
            + (f' ({scan.detail})' if scan.detail else ''))
        self.start.barcode = None
        self.start.damaged = False
        self.start.note = None
        return 'start'
