"""The evidence pack of a charge: everything the point knows of the
charged parcel, as one PDF and one ZIP.

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


class Evidence:
    "What the point knows of the parcel of a charge (read as the system)"

    def __init__(self, charge):
        pool = Pool()
        Event = pool.get('multipoint.parcel.event')
        Scan = pool.get('multipoint.reception.scan')
        Attachment = pool.get('ir.attachment')
        Ticket = pool.get('multipoint.ticket')
        ReceiptLine = pool.get('multipoint.receipt.line')
        self.charge = charge
        self.point = charge.point
        self.parcel = parcel = charge.parcel
        self.events, self.scans, self.tickets, self.receipts = [], [], [], []
        self.photos = []  # (zip path, description, bytes)
        if not parcel:
            return
        self.events = Event.search([('parcel', '=', parcel.id)],
            order=[('date', 'ASC'), ('id', 'ASC')])
        self.scans = Scan.search([('place.parcel', '=', parcel.id)],
            order=[('date', 'ASC'), ('id', 'ASC')])
        self.tickets = Ticket.search([('parcels', '=', parcel.id)],
            order=[('id', 'ASC')])
        self.receipts = sorted({l.receipt for l in ReceiptLine.search(
                        [('parcel', '=', parcel.id)])}, key=lambda r: r.id)
        resources = [str(parcel)] + [str(s) for s in self.scans]
        resources += [str(t) for t in self.tickets]
        resources += [str(m) for t in self.tickets for m in t.messages]
        for attachment in Attachment.search([
                    ('resource', 'in', resources)], order=[('id', 'ASC')]):
            if attachment.type != 'data' or not attachment.data:
                continue
            self.photos.append((
                    f'photos/{attachment.id}_{_safe(attachment.name)}',
                    str(attachment.resource), bytes(attachment.data)))

    # -- the documents --------------------------------------------------

    def journal_rows(self):
        rows = []
        for e in self.events:
            change = ''
            if e.kind == 'state':
                change = f'{e.from_state or ""} → {e.to_state or ""}'
            rows.append((local(self.point, e.date), _user(e.user),
                    e.kind, change,
                    e.cell.rec_name if e.cell else '',
                    e.reception.number if e.reception else '',
                    e.detail or ''))
        return rows

    def files(self):
        "[(zip path, bytes)] of the acts, photos and added files"
        pool = Pool()
        result = []
        parcel = self.parcel
        if parcel and parcel.reception:
            Act = pool.get('multipoint.reception.act', type='report')
            _, data = Act._execute([parcel.reception], {}, {}, None)
            result.append((
                    f'acts/acceptance_{_safe(parcel.reception.number)}.pdf',
                    bytes(data)))
        batch = getattr(parcel, 'return_batch', None) if parcel else None
        if batch and batch.state != 'draft':
            ReturnAct = pool.get('multipoint.return.act', type='report')
            _, data = ReturnAct._execute([batch], {}, {}, None)
            result.append((f'acts/return_{_safe(batch.number)}.pdf',
                    bytes(data)))
        for path, _, data in self.photos:
            result.append((path, data))
        for item in self.charge.evidence:
            if item.file:
                result.append((
                        f'added/{item.id}_{_safe(item.file_name)}',
                        bytes(item.file)))
        return result


def facts(charge):
    """The point's own records against the charge, one sentence each, for
    the claim's reasons"""
    evidence = Evidence(charge)
    point = charge.point
    result = []
    for event in evidence.events:
        if event.kind != 'state':
            continue
        if event.to_state == 'accepted':
            damaged = [s for s in evidence.scans if s.damaged]
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
            parcel = charge.parcel
            result.append(gettext(
                    'multipoint_claims.msg_fact_issued',
                    date=local(point, event.date), user=_user(event.user),
                    verification=parcel.verification or '—'))
        elif event.to_state == 'returned':
            batch = charge.parcel.return_batch
            result.append(gettext(
                    'multipoint_claims.msg_fact_returned',
                    date=local(point, event.date),
                    batch=batch.number if batch else '—'))
    inventories = [e for e in evidence.events if e.kind == 'inventory']
    if inventories:
        result.append(gettext(
                'multipoint_claims.msg_fact_inventory',
                count=len(inventories),
                date=local(point, inventories[-1].date)))
    for receipt in evidence.receipts:
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
    charge, point, parcel = evidence.charge, evidence.point, evidence.parcel
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
    if parcel:
        doc.section(msg('parcel'))
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
        doc.section(msg('journal', count=len(evidence.events)))
        doc.table([msg('col_date'), msg('col_user'), msg('col_kind'),
                msg('col_change'), msg('col_cell'), msg('col_reception'),
                msg('col_detail')],
            [[escape(c) for c in row] for row in evidence.journal_rows()])
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
                    for s in evidence.scans])
        if parcel.issued_at:
            doc.section(msg('issue'))
            doc.paragraph(msg('issue_header',
                    date=local(point, parcel.issued_at),
                    user=escape(_user(parcel.issued_by)),
                    verification=escape(parcel.verification or '—')))
            if evidence.receipts:
                doc.table([msg('col_receipt'), msg('col_date'),
                        msg('col_user'), msg('col_amount')],
                    [(escape(r.fiscal_document_number or r.id),
                            local(point, r.fiscal_date or r.create_date),
                            escape(_user(r.cashier)),
                            f'{money(r.total):.2f}')
                        for r in evidence.receipts])
        batch = parcel.return_batch
        if batch:
            doc.section(msg('return', number=escape(batch.number)))
            doc.paragraph(msg('return_header',
                    date=local(point, batch.handed_at),
                    courier=escape(batch.courier_name or '—')))
        for ticket in evidence.tickets:
            doc.section(msg('ticket', number=escape(ticket.number),
                    title=escape(ticket.title)))
            doc.table([msg('col_date'), msg('col_user'), msg('col_detail')],
                [(local(point, m.date), escape(m.author_name),
                        escape(m.body)) for m in ticket.messages])
    files = evidence.files()
    doc.section(msg('files', count=len(files)))
    doc.table([msg('col_file')], [(escape(p),) for p, _ in files])
    if charge.evidence:
        doc.section(msg('added'))
        doc.table([msg('col_date'), msg('col_user'), msg('col_detail')],
            [(local(point, e.added_at), escape(_user(e.added_by)),
                    escape(e.description)) for e in charge.evidence])
    return doc.render()


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
        writer.writerow(['date', 'user', 'kind', 'change', 'cell',
                'reception', 'detail'])
        writer.writerows(evidence.journal_rows())
        manifest = {
            'charge': charge.id,
            'supplier': charge.supplier.rec_name,
            'point': charge.point.code,
            'order_number': charge.order_number,
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
