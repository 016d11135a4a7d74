"""Status report files: how suppliers without an API (local shops, 4Biz,
ECP-Logistics) learn what happened to their parcels.

The events such an account subscribes to are written to the outbox like
any other (outbox.py); instead of a sender, a report takes every pending
row of the account into one file (the connector's export_report) and marks
them sent in the same transaction, so each event is in exactly one report.
Reports are made on demand from the account and every night by a cron; a
report can be downloaded again as often as needed."""
import datetime as dt
import json

from sql import Null

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool
from trytond.transaction import Transaction


class StatusReport(ModelSQL, ModelView):
    "Supplier Status Report"
    __name__ = 'multipoint.supplier.status.report'
    company = fields.Many2One(
        'company.company', "Company", required=True, readonly=True)
    account = fields.Many2One(
        'multipoint.supplier.account', "Account", required=True,
        readonly=True, ondelete='CASCADE')
    date = fields.DateTime("Date", required=True, readonly=True)
    file = fields.Binary("File", filename='file_name', readonly=True)
    file_name = fields.Char("File Name", readonly=True)
    events = fields.One2Many(
        'multipoint.supplier.outbox', 'status_report', "Events",
        readonly=True)
    event_count = fields.Integer("Events", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.account, Index.Equality()),
                (t.date, Index.Range())))
        cls._order = [('date', 'DESC'), ('id', 'DESC')]

    def get_rec_name(self, name):
        return f'{self.account.rec_name} {self.file_name}'

    @classmethod
    def export(cls, accounts):
        """A report of the pending events of each account that reports by
        file; the accounts without pending events get none"""
        pool = Pool()
        Outbox = pool.get('multipoint.supplier.outbox')
        Config = pool.get('ir.configuration')
        outbox = Outbox.__table__()
        cursor = Transaction().connection.cursor()
        reports = []
        for account in accounts:
            if not account.reports_events():
                continue
            rows = Outbox.search([
                    ('account', '=', account.id),
                    ('state', '=', 'pending'),
                    ], order=[('id', 'ASC')])
            if not rows:
                continue
            messages = [dict(json.loads(r.payload or '{}'),
                    key=r.idempotency_key) for r in rows]
            now = dt.datetime.utcnow()
            # the file speaks the language of the database, whoever runs it
            with Transaction().set_context(language=Config.get_language()):
                file_name, data = account.get_connector().export_report(
                    messages)
            report, = cls.create([{
                        'company': account.company.id,
                        'account': account.id,
                        'date': now,
                        'file': data,
                        'file_name': now.strftime('%Y%m%d-%H%M%S-')
                        + file_name,
                        'event_count': len(rows),
                        }])
            # a row taken by another report meanwhile fails the update
            # (PostgreSQL's repeatable read) and the whole call restarts
            ids = [r.id for r in rows]
            cursor.execute(*outbox.update(
                    [outbox.state, outbox.sent_at, outbox.status_report],
                    ['sent', now, report.id],
                    where=outbox.id.in_(ids) & (outbox.state == 'pending')
                    & (outbox.status_report == Null)))
            if cursor.rowcount not in {-1, len(ids)}:
                raise ValidationError(gettext(
                        'multipoint_suppliers.msg_status_report_busy',
                        account=account.rec_name))
            reports.append(report)
        return reports

