"""The evidence pack of a charge: everything the point knows of the
charged parcels, as one PDF and one ZIP (one section per parcel).

- the parcel and its journal: every event with who, when and where;
- the reception: its act (PDF), the scans of the parcel's places with
  their damage notes and photos;
- placements, moves and inventory scans (journal events);
- the issue: when, by whom, how the recipient was verified, the receipts,
  the photos the operator took at the desk (attachments of the parcel);
- the return batch and its act;
- the tickets about the parcel with their messages and attachments;
- the files and notes the point added to the charge.

The pack is read with the rights of the system once the caller was allowed
to read the charge (the report checks it): the charge is the point's, and
so is what the point recorded of its parcel. The recipient's phone is
masked, as on every screen that does not need it.
"""
import csv
import io
import json
import re
import zipfile

from trytond.i18n import gettext
from trytond.modules.multipoint_core.guard import privileged
from trytond.modules.multipoint_core.pdf import Document
from trytond.pool import Pool
from trytond.report import Report

from .charge import money


def escape(text):
    return (str('' if text is None else text).replace('&', '&amp;')
        .replace('<', '&lt;').replace('>', '&gt;'))


def _safe(name):
    name = re.sub(r'[^\w.\-]+', '_', name or 'file', flags=re.UNICODE)
    return name.strip('._') or 'file'


def local(point, moment):
    "A UTC moment as the point's local time, text"
    if not moment:
        return ''
    from trytond.modules.multipoint_tickets.recurrence import to_local
    return to_local(moment, point.tzinfo).strftime('%d.%m.%Y %H:%M')


def _user(user):
    return user.rec_name if user else gettext(
        'multipoint_claims.msg_evidence_system')


class ParcelEvidence:
    "What the point knows of one charged parcel"

    def __init__(self, parcel):
        self.parcel = parcel
        self.events, self.scans, self.tickets, self.receipts = [], [], [], []
        self.photos = []  # (zip path, resource, bytes)


class Evidence:
    """What the point knows of the parcels of a charge (read as the
    system): one ParcelEvidence per parcel, in the charge's order"""

    def __init__(self, charge):
        pool = Pool()
        Event = pool.get('multipoint.parcel.event')
        Scan = pool.get('multipoint.reception.scan')
        Attachment = pool.get('ir.attachment')
        Ticket = pool.get('multipoint.ticket')
        ReceiptLine = pool.get('multipoint.receipt.line')
        self.charge = charge
        self.point = charge.point
        self.parcels = []
        by_id = {}
        for line in charge.parcels:
            if line.parcel.id not in by_id:
                by_id[line.parcel.id] = ParcelEvidence(line.parcel)
                self.parcels.append(by_id[line.parcel.id])
        if not by_id:
            return
        ids = list(by_id)
        for event in Event.search([('parcel', 'in', ids)],
                order=[('date', 'ASC'), ('id', 'ASC')]):
            by_id[event.parcel.id].events.append(event)
        scans = Scan.search([('place.parcel', 'in', ids)],
            order=[('date', 'ASC'), ('id', 'ASC')])
        owner = {}  # resource: the parcel it is evidence of
        for scan in scans:
            by_id[scan.place.parcel.id].scans.append(scan)
            owner[str(scan)] = scan.place.parcel.id
        for ticket in Ticket.search([('parcels', 'in', ids)],
                order=[('id', 'ASC')]):
            for parcel in ticket.parcels:
                if parcel.id in by_id:
                    by_id[parcel.id].tickets.append(ticket)
                    owner.setdefault(str(ticket), parcel.id)
                    for message in ticket.messages:
                        owner.setdefault(str(message), parcel.id)
        receipts = {}
        for line in ReceiptLine.search([('parcel', 'in', ids)]):
            receipts.setdefault(line.parcel.id, set()).add(line.receipt)
        for parcel_id, found in receipts.items():
            by_id[parcel_id].receipts = sorted(found, key=lambda r: r.id)
        for parcel_id in ids:
            owner[f'multipoint.parcel,{parcel_id}'] = parcel_id
        for attachment in Attachment.search([
                    ('resource', 'in', list(owner))], order=[('id', 'ASC')]):
            if attachment.type != 'data' or not attachment.data:
                continue
            resource = str(attachment.resource)
            by_id[owner[resource]].photos.append((
                    f'photos/{attachment.id}_{_safe(attachment.name)}',
                    resource, bytes(attachment.data)))

    # -- the documents --------------------------------------------------

    def journal_rows(self, item=None):
        "The journal of one parcel, or of all with their order number"
        rows = []
        for each in ([item] if item else self.parcels):
            for e in each.events:
                change = ''
                if e.kind == 'state':
                    change = f'{e.from_state or ""} → {e.to_state or ""}'
                row = (local(self.point, e.date), _user(e.user),
                    e.kind, change,
                    e.cell.rec_name if e.cell else '',
                    e.reception.number if e.reception else '',
                    e.detail or '')
                rows.append(row if item else
                    (each.parcel.order_number,) + row)
        return rows

    def files(self):
        "[(zip path, bytes)] of the acts, photos and added files"
        pool = Pool()
        result, paths = [], set()

        def add(path, data):
            if path not in paths:
                paths.add(path)
                result.append((path, data))
        receptions = {p.parcel.reception for p in self.parcels
            if p.parcel.reception}
        if receptions:
            Act = pool.get('multipoint.reception.act', type='report')
            for reception in sorted(receptions, key=lambda r: r.id):
                _, data = Act._execute([reception], {}, {}, None)
                add(f'acts/acceptance_{_safe(reception.number)}.pdf',
                    bytes(data))
        batches = {getattr(p.parcel, 'return_batch', None)
            for p in self.parcels} - {None}
        batches = [b for b in batches if b.state != 'draft']
        if batches:
            ReturnAct = pool.get('multipoint.return.act', type='report')
            for batch in sorted(batches, key=lambda b: b.id):
                _, data = ReturnAct._execute([batch], {}, {}, None)
                add(f'acts/return_{_safe(batch.number)}.pdf', bytes(data))
        for item in self.parcels:
            for path, _, data in item.photos:
                add(path, data)
        for item in self.charge.evidence:
            if item.file:
                add(f'added/{item.id}_{_safe(item.file_name)}',
                    bytes(item.file))
        return result


def facts(charge):
    """The point's own records against the charge, one sentence each, for
    the claim's reasons; with several parcels, each says its order"""
    evidence = Evidence(charge)
    several = len(evidence.parcels) > 1
    result = []
    for item in evidence.parcels:
        for fact in _parcel_facts(evidence.point, item):
            result.append(gettext('multipoint_claims.msg_fact_order',
                    order=item.parcel.order_number, fact=fact)
                if several else fact)
    return result


def _parcel_facts(point, item):
    parcel = item.parcel
    result = []
    for event in item.events:
        if event.kind != 'state':
            continue
        if event.to_state == 'accepted':
            damaged = [s for s in item.scans if s.damaged]
            result.append(gettext(
                    'multipoint_claims.msg_fact_accepted',
                    date=local(point, event.date), user=_user(event.user),
                    damage=(gettext('multipoint_claims.msg_fact_damaged',
                            count=len(damaged)) if damaged
                        else gettext('multipoint_claims.msg_fact_intact'))))
        elif event.to_state == 'stored':
            result.append(gettext(
                    'multipoint_claims.msg_fact_stored',
                    date=local(point, event.date),
                    cell=event.cell.rec_name if event.cell else '—'))
        elif event.to_state in {'issued', 'partially_issued'}:
            result.append(gettext(
                    'multipoint_claims.msg_fact_issued',
                    date=local(point, event.date), user=_user(event.user),
                    verification=parcel.verification or '—'))
        elif event.to_state == 'returned':
            batch = parcel.return_batch
            result.append(gettext(
                    'multipoint_claims.msg_fact_returned',
                    date=local(point, event.date),
                    batch=batch.number if batch else '—'))
    inventories = [e for e in item.events if e.kind == 'inventory']
    if inventories:
        result.append(gettext(
                'multipoint_claims.msg_fact_inventory',
                count=len(inventories),
                date=local(point, inventories[-1].date)))
    for receipt in item.receipts:
        result.append(gettext(
                'multipoint_claims.msg_fact_receipt',
                number=receipt.fiscal_document_number or receipt.id,
                date=local(point, receipt.fiscal_date or receipt.create_date),
                amount=f'{money(receipt.total):.2f}'))
    return result


def pack_names(charge):
    "The names of the files of the charge's evidence pack"
    evidence = Evidence(charge)
    return ['evidence.pdf', 'journal.csv'] + [
        path for path, _ in evidence.files()]


def evidence_pdf(charge):
    "The evidence pack as one PDF"
    with privileged():
        evidence = Evidence(charge)
        return _render_pdf(evidence)


def _render_pdf(evidence):
    charge, point = evidence.charge, evidence.point
    msg = lambda name, **kw: gettext(  # noqa: E731
        f'multipoint_claims.msg_evidence_{name}', **kw)
    doc = Document(msg('title', charge=escape(charge.rec_name)))
    doc.section(msg('charge'))
    doc.table([msg('col_field'), msg('col_value')], [
            (msg('supplier'), escape(charge.supplier.rec_name)),
            (msg('point'), escape(
                    f'{point.rec_name}, {point.address or ""}')),
            (msg('date'), charge.date.strftime('%d.%m.%Y')),
            (msg('kind'), escape(charge.kind_string)),
            (msg('ground'), escape(charge.ground)),
            (msg('amount'), f'{money(charge.amount):.2f}'),
            (msg('dispute_due'), charge.dispute_due.strftime('%d.%m.%Y')
                if charge.dispute_due else ''),
            (msg('operator'), escape(_user(charge.operator)
                    if charge.operator else '—')),
            ])
    for item in evidence.parcels:
        _parcel_sections(doc, msg, evidence, item)
    files = evidence.files()
    doc.section(msg('files', count=len(files)))
    doc.table([msg('col_file')], [(escape(p),) for p, _ in files])
    if charge.evidence:
        doc.section(msg('added'))
        doc.table([msg('col_date'), msg('col_user'), msg('col_detail')],
            [(local(point, e.added_at), escape(_user(e.added_by)),
                    escape(e.description)) for e in charge.evidence])
    return doc.render()


def _parcel_sections(doc, msg, evidence, item):
    "The sections of one charged parcel: the parcel, journal, reception..."
    point, parcel = evidence.point, item.parcel
    doc.section(msg('parcel', order=escape(parcel.order_number)))
    doc.table([msg('col_field'), msg('col_value')], [
            (msg('order'), escape(parcel.order_number)),
            (msg('places'), escape(', '.join(
                        f'{p.barcode}'
                        + (f' ({msg("damaged")})' if p.damaged else '')
                        for p in parcel.places))),
            (msg('recipient'), escape(
                    f'{parcel.recipient_name}, '
                    f'***{parcel.phone_last4 or ""}')),
            (msg('state'), escape(parcel.state_string)),
            (msg('cod'), f'{money(parcel.cod_amount):.2f}'),
            (msg('declared'), f'{money(parcel.declared_value):.2f}'),
            ])
    doc.section(msg('journal', count=len(item.events)))
    doc.table([msg('col_date'), msg('col_user'), msg('col_kind'),
            msg('col_change'), msg('col_cell'), msg('col_reception'),
            msg('col_detail')],
        [[escape(c) for c in row]
            for row in evidence.journal_rows(item)])
    if parcel.reception:
        reception = parcel.reception
        doc.section(msg('reception', number=escape(reception.number)))
        doc.paragraph(msg('reception_header',
                opened=local(point, reception.opened_at),
                closed=local(point, reception.closed_at),
                courier=escape(reception.courier_name or '—'),
                manifest=escape(reception.manifest or '—')))
        doc.table([msg('col_date'), msg('col_user'), msg('col_barcode'),
                msg('col_result'), msg('col_detail')],
            [(local(point, s.date), escape(_user(s.user)),
                    escape(s.barcode), escape(s.result)
                    + (f' ({msg("damaged")})' if s.damaged else ''),
                    escape(s.note or s.detail or ''))
                for s in item.scans])
    if parcel.issued_at:
        doc.section(msg('issue'))
        doc.paragraph(msg('issue_header',
                date=local(point, parcel.issued_at),
                user=escape(_user(parcel.issued_by)),
                verification=escape(parcel.verification or '—')))
        if item.receipts:
            doc.table([msg('col_receipt'), msg('col_date'),
                    msg('col_user'), msg('col_amount')],
                [(escape(r.fiscal_document_number or r.id),
                        local(point, r.fiscal_date or r.create_date),
                        escape(_user(r.cashier)),
                        f'{money(r.total):.2f}')
                    for r in item.receipts])
    batch = parcel.return_batch
    if batch:
        doc.section(msg('return', number=escape(batch.number)))
        doc.paragraph(msg('return_header',
                date=local(point, batch.handed_at),
                courier=escape(batch.courier_name or '—')))
    for ticket in item.tickets:
        doc.section(msg('ticket', number=escape(ticket.number),
                title=escape(ticket.title)))
        doc.table([msg('col_date'), msg('col_user'), msg('col_detail')],
            [(local(point, m.date), escape(m.author_name),
                    escape(m.body)) for m in ticket.messages])


def evidence_zip(charge, claim=None):
    """The evidence pack as a ZIP: the PDF, the journal as CSV, the acts,
    the photos and the files added, a manifest; with the claim's letter
    when given"""
    with privileged():
        evidence = Evidence(charge)
        pdf = _render_pdf(evidence)
        files = evidence.files()
        journal = io.StringIO()
        writer = csv.writer(journal, delimiter=';', lineterminator='\r\n')
        writer.writerow(['order', 'date', 'user', 'kind', 'change', 'cell',
                'reception', 'detail'])
        writer.writerows(evidence.journal_rows())
        manifest = {
            'charge': charge.id,
            'supplier': charge.supplier.rec_name,
            'point': charge.point.code,
            'order_number': charge.order_number,
            'parcels': [{
                    'order_number': i.parcel.order_number,
                    'photos': [p for p, _, _ in i.photos],
                    } for i in evidence.parcels],
            'amount': f'{money(charge.amount):.2f}',
            'files': ['evidence.pdf', 'journal.csv']
            + [p for p, _ in files],
            }
        letter = None
        if claim is not None:
            from .claim import letter_pdf
            letter = letter_pdf(claim)
            manifest['files'].append('claim.pdf')
    out = io.BytesIO()
    with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED) as archive:
        archive.writestr('evidence.pdf', pdf)
        archive.writestr('journal.csv', journal.getvalue().encode('utf-8'))
        for path, data in files:
            archive.writestr(path, data)
        if letter:
            archive.writestr('claim.pdf', letter)
        archive.writestr('manifest.json', json.dumps(
                manifest, ensure_ascii=False, indent=1).encode('utf-8'))
    return out.getvalue()


class EvidencePDF(Report):
    "Evidence pack of a charge (PDF)"
    __name__ = 'multipoint.charge.evidence_pdf'

    @classmethod
    def _execute(cls, records, header, data, action):
        charge, = records
        return 'pdf', evidence_pdf(charge)


class EvidenceZIP(Report):
    "Evidence pack of a charge (ZIP)"
    __name__ = 'multipoint.charge.evidence_zip'

    @classmethod
    def _execute(cls, records, header, data, action):
        charge, = records
        return 'zip', evidence_zip(charge)
