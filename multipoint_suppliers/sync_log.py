"""One run of a supplier account for one point: a connector sync or a
manifest import, with its counts and the records it could not take."""
import datetime as dt
import logging

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access

from . import progress
from .connector import ConnectorError
from .manifest import RowError
from .savepoint import savepoint
from .upsert import Upsert

logger = logging.getLogger(__name__)
# a larger file (about 900 CSV rows) is imported by a worker (ir.queue),
# not by the dialog
QUEUE_BYTES = 100_000
# a connector that never ends its pages is stopped there
MAX_PAGES = 10000
STATES = [
    ('queued', "Queued"),
    ('running', "Running"),
    ('done', "Done"),
    ('failed', "Failed"),
    ]


class SyncLog(ModelSQL, ModelView):
    "Supplier Sync Log"
    __name__ = 'multipoint.supplier.sync.log'
    account = fields.Many2One(
        'multipoint.supplier.account', "Account", required=True,
        readonly=True, ondelete='CASCADE')
    company = fields.Many2One(
        'company.company', "Company", required=True, readonly=True)
    point = fields.Many2One(
        'multipoint.point', "Point", required=True, readonly=True,
        ondelete='CASCADE')
    kind = fields.Selection([
            ('sync', "Connector Sync"),
            ('import', "Manifest Import"),
            ], "Kind", required=True, readonly=True)
    state = fields.Selection(
        STATES, "State", required=True, readonly=True, sort=False)
    user = fields.Many2One('res.user', "User", readonly=True)
    started = fields.DateTime("Started", readonly=True)
    finished = fields.DateTime("Finished", readonly=True)
    duration = fields.TimeDelta("Duration", readonly=True)
    fetched = fields.Integer(
        "Fetched", readonly=True,
        help="Parcels (orders) received from the supplier.")
    created = fields.Integer("Created", readonly=True)
    updated = fields.Integer("Updated", readonly=True)
    skipped = fields.Integer(
        "Skipped", readonly=True,
        help="Parcels unchanged, or whose changes their state refused.")
    failed = fields.Integer("Failed", readonly=True)
    rows = fields.Integer("Rows", readonly=True)
    progress = fields.Function(fields.Float(
            "Progress", digits=(1, 2),
            help="How far a running import has got (PostgreSQL only)."),
        'get_progress')
    file = fields.Binary(
        "File", filename='file_name', readonly=True,
        states={'invisible': Eval('kind') != 'import'})
    file_name = fields.Char(
        "File Name", readonly=True,
        states={'invisible': Eval('kind') != 'import'})
    lines = fields.One2Many(
        'multipoint.supplier.sync.log.line', 'log', "Errors and Warnings",
        readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.account, Index.Equality()),
                    (t.create_date, Index.Range())),
                Index(t, (t.point, Index.Equality())),
                Index(t, (t.state, Index.Equality(cardinality='low')),
                    where=t.state.in_(['queued', 'running'])),
                })
        cls._order = [('create_date', 'DESC'), ('id', 'DESC')]

    @staticmethod
    def default_state():
        return 'queued'

    @staticmethod
    def default_user():
        return Transaction().user or None

    def get_rec_name(self, name):
        return f'{self.account.rec_name} @ {self.point.code} #{self.id}'

    @classmethod
    def get_progress(cls, logs, name):
        Progress = Pool().get('multipoint.supplier.sync.progress')
        fractions = Progress.fractions([l.id for l in logs])
        return {l.id: 1 if l.state in {'done', 'failed'}
            else fractions.get(l.id, 0) for l in logs}

    @classmethod
    def queue_syncs(cls, accounts):
        "One queued task per account and point"
        with without_check_access():
            logs = cls.create([{
                        'account': a.id,
                        'company': a.company.id,
                        'point': p.point.id,
                        'kind': 'sync',
                        } for a in cls._browse_accounts(accounts)
                    for p in a.points])
        for log in logs:
            cls.__queue__.run_sync([log])
        return logs

    @classmethod
    def _browse_accounts(cls, accounts):
        Account = Pool().get('multipoint.supplier.account')
        return Account.browse([a.id for a in accounts])

    @classmethod
    def create_import(cls, account, point, data, file_name=None):
        """A queued import log of data for point; the user's access rules
        decide whether it may be created"""
        log, = cls.create([{
                    'account': account.id,
                    'company': account.company.id,
                    'point': point.id,
                    'kind': 'import',
                    'file': data,
                    'file_name': file_name,
                    }])
        return log

    @classmethod
    def process(cls, logs):
        "Run each log now, or in a worker when its file is large"
        for log in logs:
            if log.kind == 'import' and len(log.file or b'') > QUEUE_BYTES:
                cls.__queue__.run_import([log])
            elif log.kind == 'import':
                cls.run_import([log])
            else:
                cls.__queue__.run_sync([log])

    # -- runs ------------------------------------------------------------

    def _start(self):
        self.state = 'running'
        self.started = dt.datetime.utcnow()
        self.lines = []

    def _finish(self, state, counts=None, errors=(), fetched=None):
        self.finished = dt.datetime.utcnow()
        self.duration = self.finished - self.started
        self.state = state
        for name in ['fetched', 'created', 'updated', 'skipped']:
            setattr(self, name, getattr(counts, name, 0))
        if state == 'failed':
            # nothing was written
            self.created = self.updated = self.skipped = 0
        if fetched is not None:
            self.fetched = fetched
        self.failed = len({e.order_number or e.row or 0
                for e in errors if e.level == 'error'})
        self.lines = [{
                'row': e.row,
                'order_number': e.order_number,
                'barcode': e.barcode,
                'level': e.level,
                'message': self.account.redact(e.message)[:1000],
                } for e in errors]

    @classmethod
    @without_check_access
    def run_import(cls, logs):
        "Import the manifest of each log: all its rows or none"
        for log in cls.browse([l.id for l in logs]):
            if log.state not in {'queued', 'failed'}:
                continue
            log._start()
            account = log.account
            connector = account.get_connector()
            manifest, plan = None, None
            # reading the file, checking its rows, then writing them
            progress.report(log.id, 0.05)
            try:
                manifest = connector.import_manifest(
                    log.file, log.file_name)
                log.rows = manifest.rows
                upsert = Upsert(account, log.point)
                progress.report(log.id, 0.2)
                if not manifest.errors:
                    plan = upsert.plan(manifest.parcels,
                        lambda done: progress.report(
                            log.id, 0.2 + 0.6 * done))
                errors = manifest.errors + (plan.errors if plan else [])
                if errors:
                    log._finish('failed', plan, errors + (
                            plan.warnings if plan else []),
                        fetched=len(manifest.parcels))
                else:
                    with savepoint():
                        upsert.apply(plan)
                    log._finish('done', plan, plan.warnings)
            except Exception as exception:
                logger.info("import %s failed", log.id, exc_info=True)
                log._finish('failed', plan, [RowError(None, gettext(
                                'multipoint_suppliers.msg_run_failed',
                                error=_error_text(exception)))],
                    fetched=len(manifest.parcels) if manifest else 0)
            log.save()

    @classmethod
    @without_check_access
    def run_sync(cls, logs):
        """Fetch the inbound parcels of each log's point page after page and
        upsert them; the point's cursor moves only when the whole run is
        written"""
        pool = Pool()
        AccountPoint = pool.get('multipoint.supplier.account.point')
        for log in cls.browse([l.id for l in logs]):
            if log.state != 'queued':
                continue
            log._start()
            account = log.account
            line, = AccountPoint.search([
                    ('account', '=', account.id),
                    ('point', '=', log.point.id),
                    ]) or [None]
            totals, errors = _Totals(), []
            try:
                if line is None:
                    raise ConnectorError(gettext(
                            'multipoint_suppliers.msg_point_not_served',
                            account=account.rec_name,
                            point=log.point.rec_name))
                connector = account.get_connector()
                inbound = connector.supports('fetch_inbound')
                if not inbound and not connector.supports('fetch_events'):
                    raise ConnectorError(gettext(
                            'multipoint_suppliers.msg_connector_no_fetch',
                            account=account.rec_name))
                upsert = Upsert(account, log.point)
                cursor = line.cursor
                with savepoint():
                    # a supplier without an inbound list (CDEK) gives only
                    # its events
                    for _ in range(MAX_PAGES if inbound else 0):
                        parcels, next_cursor = connector.fetch_inbound(
                            line.supplier_code, cursor)
                        plan = upsert.plan(parcels)
                        # a record in error does not hold the others back
                        upsert.apply(plan)
                        totals.add(plan)
                        errors.extend(plan.errors + plan.warnings)
                        if not parcels or next_cursor in {None, cursor}:
                            cursor = next_cursor or cursor
                            break
                        cursor = next_cursor
                    if connector.supports('fetch_events'):
                        account.cursor = _record_events(
                            account, connector, account.cursor)
                    now = dt.datetime.utcnow()
                    line.cursor = cursor
                    line.last_sync = now
                    line.save()
                    account.last_sync = now
                    account.save()
                # what the run fetched is acknowledged once committed
                Transaction().join(_Confirm(connector))
                log._finish('done', totals, errors)
            except Exception as exception:
                logger.info("sync %s failed", log.id, exc_info=True)
                log._finish('failed', totals, errors + [RowError(None,
                            gettext('multipoint_suppliers.msg_run_failed',
                                error=_error_text(exception)))])
            log.save()


def _record_events(account, connector, cursor):
    """One batch of the account's event feed: each event of a parcel of the
    supplier becomes a parcel event of that parcel; the next cursor"""
    pool = Pool()
    Parcel = pool.get('multipoint.parcel')
    Event = pool.get('multipoint.parcel.event')
    events, next_cursor = connector.fetch_events(cursor)
    parcels = {}
    numbers = list({n for n, _, _ in events})
    for i in range(0, len(numbers), 1000):
        parcels.update((p.order_number, p) for p in Parcel.search([
                    ('supplier', '=', account.supplier.id),
                    ('order_number', 'in', numbers[i:i + 1000]),
                    ]))
    Event.create([{
                'parcel': parcels[number].id,
                'date': date,
                'point': parcels[number].point.id,
                'kind': 'note',
                'detail': gettext(
                    'multipoint_suppliers.msg_event_supplier_status',
                    account=account.rec_name, status=status,
                    date=date.strftime('%Y-%m-%d %H:%M')),
                } for number, status, date in events if number in parcels])
    return next_cursor or cursor


class _Confirm:
    """A data manager of the run's transaction: the connector's confirm()
    after the commit (tpc_finish), nothing when it rolls back"""

    def __init__(self, connector):
        self.connector = connector

    def __eq__(self, other):
        return (isinstance(other, _Confirm)
            and other.connector is self.connector)

    def __hash__(self):
        return id(self.connector)

    def tpc_begin(self, transaction):
        pass

    def commit(self, transaction):
        pass

    def tpc_vote(self, transaction):
        pass

    def tpc_finish(self, transaction):
        try:
            self.connector.confirm()
        except Exception:
            logger.warning("confirm of %s failed", self.connector.name,
                exc_info=True)

    def tpc_abort(self, transaction):
        pass


class _Totals:
    "The counts of the pages of one sync run"

    def __init__(self):
        self.fetched = self.created = self.updated = 0
        self.skipped = self.failed = 0

    def add(self, plan):
        for name in ['fetched', 'created', 'updated', 'skipped', 'failed']:
            setattr(self, name, getattr(self, name) + getattr(plan, name))


def _error_text(exception):
    message = getattr(exception, 'message', None) or str(exception)
    return message or exception.__class__.__name__


class SyncLogLine(ModelSQL, ModelView):
    "Supplier Sync Log Line"
    __name__ = 'multipoint.supplier.sync.log.line'
    log = fields.Many2One(
        'multipoint.supplier.sync.log', "Log", required=True,
        ondelete='CASCADE')
    level = fields.Selection([
            ('error', "Error"),
            ('warning', "Warning"),
            ], "Level", required=True)
    row = fields.Integer("Row", help="The row of the file, for an import.")
    order_number = fields.Char("Order Number")
    barcode = fields.Char("Barcode")
    message = fields.Char("Message", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('log')
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.log, Index.Equality())))
        cls._order = [('row', 'ASC NULLS FIRST'), ('id', 'ASC')]
