"""A supplier account: which connector talks to the supplier's system, with
which credentials, for which of our points, how often; and how the events
of its parcels reach the supplier (the outbox of outbox.py, the report files
of status_report.py, CDEK's webhook of cdek_webhook.py)."""
import datetime as dt
import secrets

from sql import Null

from trytond import config
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, Unique, fields)
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access

from .cdek_webhook import PATH as CDEK_WEBHOOK_PATH
from .connector import (
    CAPABILITIES, ConnectorError, connectors, get_connector)
from .exceptions import AccountError
from .manifest import COLUMNS, default_aliases
from .outbox import KINDS as OUTBOX_KINDS, QUEUE_NAME as OUTBOX_QUEUE

CREDENTIALS = ['login', 'password', 'token', 'url']
COLUMN_NAMES = [
    ('order_number', "Order Number"),
    ('barcode', "Place Barcode"),
    ('recipient_name', "Recipient Name"),
    ('recipient_phone', "Recipient Phone"),
    ('cod_amount', "COD Amount"),
    ('delivery_fee', "Delivery Fee"),
    ('declared_value', "Declared Value"),
    ('prepaid', "Prepaid"),
    ('weight', "Weight (kg)"),
    ('manifest', "Manifest Number"),
    ('point_code', "Point Code"),
    ('storage_until', "Storage Until"),
    ('cancelled', "Cancelled"),
    ('item_name', "Item Name"),
    ('item_article', "Item Article"),
    ('item_quantity', "Item Quantity"),
    ('item_price', "Item Price"),
    ('item_vat', "Item VAT Rate"),
    ('item_marking', "Item Marking Code"),
    ('item_marked', "Item Marked"),
    ('item_gtin', "Item GTIN"),
    ]
assert [k for k, _ in COLUMN_NAMES] == [k for k, _, _ in COLUMNS]
_cdek = {'invisible': Eval('connector') != 'cdek'}
_pushes = {'invisible': ~Eval('capabilities', []).contains('push_events')}
_reports = {
    'invisible': ~Eval('capabilities', []).contains('export_report')}


class SupplierAccount(DeactivableMixin, ModelSQL, ModelView):
    "Supplier Account"
    __name__ = 'multipoint.supplier.account'
    name = fields.Char("Name", required=True)
    company = fields.Many2One(
        'company.company', "Company", required=True, ondelete='CASCADE')
    supplier = fields.Many2One(
        'party.party', "Supplier", required=True, ondelete='RESTRICT',
        context={'company': Eval('company', -1)}, depends={'company'})
    connector = fields.Selection([], "Connector", required=True)
    capabilities = fields.Function(
        fields.MultiSelection(CAPABILITIES, "Capabilities"),
        'on_change_with_capabilities')
    # credentials: field access lets owners alone read them
    login = fields.Char("Login", strip=False)
    password = fields.Char("Password", strip=False)
    token = fields.Char("Token", strip=False)
    url = fields.Char("URL")
    points = fields.One2Many(
        'multipoint.supplier.account.point', 'account', "Points",
        help="Our points this account serves, with the supplier's own code "
        "of each.")
    columns = fields.One2Many(
        'multipoint.supplier.account.column', 'account', "Column Headers",
        help="The headers of this supplier's manifest files, "
        "besides the usual ones.")
    sync_interval = fields.TimeDelta(
        "Sync Interval",
        help="How often the connector fetches the inbound parcels; "
        "empty: only on demand.")
    timeout = fields.Integer(
        "Time-out",
        domain=['OR', ('timeout', '=', None), ('timeout', '>', 0)],
        help="Seconds to wait for an answer of the supplier's system; "
        "empty: the connector's default.")
    last_sync = fields.DateTime("Last Sync", readonly=True)
    cursor = fields.Char(
        "Cursor", readonly=True,
        help="Where the supplier's event feed was read up to.")
    logs = fields.One2Many(
        'multipoint.supplier.sync.log', 'account', "Sync Logs",
        readonly=True)
    # the events pushed to the supplier (outbox.py, outbox_sender.py)
    outbox_kinds = fields.MultiSelection(
        OUTBOX_KINDS, "Pushed Events",
        states={
            'invisible': (
                ~Eval('capabilities', []).contains('push_events')
                & ~Eval('capabilities', []).contains('export_report')),
            },
        depends=['capabilities'],
        help="The parcel events sent to the supplier.")
    outbox_failures = fields.Integer(
        "Consecutive Failures", readonly=True, states=_pushes,
        depends=['capabilities'])
    outbox_open_until = fields.DateTime(
        "Sending Paused Until", readonly=True, states=_pushes,
        depends=['capabilities'],
        help="After too many consecutive failures no event is sent until "
        "then; then one call probes the supplier's system.")
    outbox_sequence = fields.Integer(
        "Last Event Sequence", readonly=True, states=_pushes,
        depends=['capabilities'])
    outbox_lease = fields.Char("Sender", readonly=True)
    outbox_lease_until = fields.DateTime("Sender Until", readonly=True)
    # the events reported in files (status_report.py)
    status_reports = fields.One2Many(
        'multipoint.supplier.status.report', 'account', "Status Reports",
        readonly=True, states=_reports, depends=['capabilities'])
    # CDEK's order statuses received by webhook (cdek_webhook.py)
    cdek_webhook_token = fields.Char(
        "Webhook Token", readonly=True, strip=False, states=_cdek,
        help="The secret part of the address CDEK sends the statuses to.")
    cdek_webhook_url = fields.Function(
        fields.Char("Webhook Address", states=_cdek,
            help="Where CDEK sends the statuses of the orders."),
        'get_cdek_webhook_url')
    cdek_webhook = fields.Char(
        "Webhook Subscription", readonly=True, states=_cdek,
        help="CDEK's identifier of the subscription, once registered.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # the connectors register when their files are imported, before
        # the pool sets the models up: a static selection gets translated
        cls.connector.selection = [(name, connector.string or name)
            for name, connector in sorted(connectors().items())]
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.supplier, Index.Equality())))
        cls._sql_constraints += [
            ('cdek_webhook_token_unique', Unique(t, t.cdek_webhook_token),
                'multipoint_suppliers.msg_cdek_webhook_token_unique'),
            ]
        cls._buttons.update({
                'sync_now': {
                    'invisible': ~Eval('active', True),
                    'depends': ['active'],
                    },
                'import_manifest': {
                    'invisible': ~Eval('active', True),
                    'depends': ['active'],
                    },
                'outbox_retry': {
                    'invisible': ~Eval('capabilities', []).contains(
                        'push_events'),
                    'depends': ['capabilities'],
                    },
                'export_status_report': {
                    'invisible': ~Eval('capabilities', []).contains(
                        'export_report'),
                    'depends': ['capabilities'],
                    },
                'cdek_register_webhook': {
                    'invisible': Eval('connector') != 'cdek',
                    'depends': ['connector'],
                    },
                })

    @staticmethod
    def default_company():
        return Transaction().context.get('company')

    @staticmethod
    def default_connector():
        return 'file'

    @staticmethod
    def default_outbox_kinds():
        return [k for k, _ in OUTBOX_KINDS]

    @staticmethod
    def default_outbox_failures():
        return 0

    @staticmethod
    def default_outbox_sequence():
        return 0

    @classmethod
    def create(cls, vlist):
        accounts = super().create(vlist)
        # the CDEK webhook's secret is given here, not as a default: it is
        # no value a user without access to it would be writing
        with without_check_access():
            new = [a for a in cls.browse(accounts)
                if not a.cdek_webhook_token]
            if new:
                cls.write(*[v for a in new for v in (
                            [a], {'cdek_webhook_token':
                                cls.new_cdek_webhook_token()})])
        return accounts

    @classmethod
    def copy(cls, accounts, default=None):
        default = default.copy() if default is not None else {}
        # a copy is another account: its own webhook secret, no
        # subscription
        default.setdefault('cdek_webhook_token', None)
        default.setdefault('cdek_webhook', None)
        return super().copy(accounts, default=default)

    @fields.depends('connector')
    def on_change_with_capabilities(self, name=None):
        connector = get_connector(self.connector)
        if not connector:
            return []
        return [c for c, _ in CAPABILITIES if connector.supports(c)]

    def get_credentials(self):
        "The credentials, read whatever the user may see (connectors only)"
        with without_check_access():
            account = self.__class__(self.id)
            return {name: getattr(account, name) for name in CREDENTIALS}

    def redact(self, text):
        "text without any credential of the account in it"
        text = str(text)
        for value in self.get_credentials().values():
            if value and len(value) >= 3:
                text = text.replace(value, '***')
        return text

    def get_connector(self):
        connector = get_connector(self.connector)
        if connector is None:
            raise AccountError(gettext(
                    'multipoint_suppliers.msg_connector_unknown',
                    account=self.rec_name, connector=self.connector))
        return connector(self)

    def aliases(self):
        "{column: [header, ...]}: the account's headers before the usual ones"
        aliases = default_aliases()
        for column in self.columns:
            aliases[column.column].insert(0, column.header)
        return aliases

    def serves(self, point):
        return any(p.point == point for p in self.points)

    @classmethod
    @ModelView.button
    def sync_now(cls, accounts):
        SyncLog = Pool().get('multipoint.supplier.sync.log')
        SyncLog.queue_syncs(accounts)

    @classmethod
    @ModelView.button_action('multipoint_suppliers.wizard_import_manifest')
    def import_manifest(cls, accounts):
        pass

    @classmethod
    def sync_due(cls):
        "Cron: queue a sync of every account whose interval has passed"
        SyncLog = Pool().get('multipoint.supplier.sync.log')
        now = dt.datetime.utcnow()
        due = [a for a in cls.search([('sync_interval', '!=', None)])
            if (a.get_connector().supports('fetch_inbound')
                or a.get_connector().supports('fetch_events'))
            and (not a.last_sync or a.last_sync + a.sync_interval <= now)]
        if due:
            SyncLog.queue_syncs(due)

    # -- the events of the account's parcels sent to the supplier

    def delivers_events(self):
        """Whether the account's subscribed events go to the outbox: its
        connector pushes them, or exports them in report files"""
        return self.pushes_events() or self.reports_events()

    def pushes_events(self):
        connector = get_connector(self.connector)
        return bool(connector and connector.supports('push_events'))

    def reports_events(self):
        """Whether the account learns its events from report files: its
        connector exports them and cannot push them"""
        connector = self.get_connector()
        return bool(connector and connector.supports('export_report')
            and not connector.supports('push_events'))

    def subscribed(self, kind):
        # accounts created before the module update have none: all
        return self.outbox_kinds is None or kind in self.outbox_kinds

    def point_code(self, point):
        """The supplier's code of point, None for an account without
        points (it serves them all), False when the account does not serve
        point"""
        if not self.points:
            return None
        for line in self.points:
            if line.point == point:
                return line.supplier_code
        return False

    @classmethod
    def deliver_outbox(cls, accounts):
        "Queue task: send the due rows of each account"
        from .outbox_sender import Sender
        for account in accounts:
            Sender(account.id).run()

    @classmethod
    def deliver_outbox_due(cls):
        "Cron: queue a sender for every account with rows to send"
        pool = Pool()
        Outbox = pool.get('multipoint.supplier.outbox')
        outbox = Outbox.__table__()
        account = cls.__table__()
        cursor = Transaction().connection.cursor()
        now = dt.datetime.utcnow()
        due = ((outbox.state == 'pending')
            | ((outbox.state == 'failed') & (outbox.next_attempt_at <= now))
            | (outbox.state == 'sending'))
        cursor.execute(*outbox.join(account,
                condition=outbox.account == account.id
                ).select(outbox.account,
                where=due & ((account.outbox_open_until == Null)
                    | (account.outbox_open_until <= now))
                & ((account.outbox_lease_until == Null)
                    | (account.outbox_lease_until <= now)),
                group_by=[outbox.account]))
        accounts = [a for a in cls.browse([i for i, in cursor])
            if a.pushes_events()]
        with Transaction().set_context(queue_name=OUTBOX_QUEUE):
            for account in accounts:
                cls.__queue__.deliver_outbox([account])

    @classmethod
    @ModelView.button
    def outbox_retry(cls, accounts):
        "Send the failed and dead events of the accounts again"
        Outbox = Pool().get('multipoint.supplier.outbox')
        with without_check_access():
            rows = Outbox.search([
                    ('account', 'in', [a.id for a in accounts]),
                    ('state', 'in', ['failed', 'dead']),
                    ])
        Outbox.retry(rows)

    @classmethod
    @ModelView.button
    def export_status_report(cls, accounts):
        "Put the pending events of the accounts into new report files"
        StatusReport = Pool().get('multipoint.supplier.status.report')
        with without_check_access():
            StatusReport.export(cls.browse([a.id for a in accounts]))

    @classmethod
    def export_status_reports_due(cls):
        "Cron: a report for every account with pending events to report"
        StatusReport = Pool().get('multipoint.supplier.status.report')
        accounts = cls.search([('active', '=', True)])
        StatusReport.export([a for a in accounts if a.reports_events()])

    # -- CDEK's webhook

    @staticmethod
    def new_cdek_webhook_token():
        return secrets.token_urlsafe(24)

    def get_cdek_webhook_url(self, name=None):
        if not self.cdek_webhook_token:
            return None
        from trytond.url import http_host
        base = config.get('multipoint', 'public_url') or http_host()
        return (f'{base.rstrip("/")}/{Transaction().database.name}'
            f'{CDEK_WEBHOOK_PATH}{self.cdek_webhook_token}')

    @classmethod
    @ModelView.button
    def cdek_register_webhook(cls, accounts):
        "Subscribe each account's webhook address to CDEK's order statuses"
        for account in accounts:
            if account.connector != 'cdek':
                continue
            if not account.cdek_webhook_token:
                # an account older than the field
                with without_check_access():
                    cls.write([account], {'cdek_webhook_token':
                            cls.new_cdek_webhook_token()})
            try:
                subscription = account.get_connector().register_webhook(
                    account.get_cdek_webhook_url())
            except ConnectorError as error:
                raise AccountError(gettext(
                        'multipoint_suppliers.msg_cdek_webhook_failed',
                        account=account.rec_name,
                        error=account.redact(str(error))))
            account.cdek_webhook = subscription
            account.save()


class SupplierAccountPoint(ModelSQL, ModelView):
    "Supplier Account Point"
    __name__ = 'multipoint.supplier.account.point'
    account = fields.Many2One(
        'multipoint.supplier.account', "Account", required=True,
        ondelete='CASCADE')
    point = fields.Many2One(
        'multipoint.point', "Point", required=True, ondelete='CASCADE')
    supplier_code = fields.Char(
        "Supplier's Point Code", required=True,
        help="The code the supplier knows this point by.")
    cursor = fields.Char(
        "Cursor", readonly=True,
        help="Where the inbound parcels of this point were read up to.")
    last_sync = fields.DateTime("Last Sync", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('account')
        t = cls.__table__()
        cls._sql_constraints += [
            ('account_point_unique', Unique(t, t.account, t.point),
                'multipoint_suppliers.msg_account_point_unique'),
            ('account_code_unique', Unique(t, t.account, t.supplier_code),
                'multipoint_suppliers.msg_account_code_unique'),
            ]
        cls._sql_indexes.add(Index(t, (t.point, Index.Equality())))

    def get_rec_name(self, name):
        return f'{self.point.rec_name} ({self.supplier_code})'


class SupplierAccountColumn(ModelSQL, ModelView):
    "Supplier Account Column Header"
    __name__ = 'multipoint.supplier.account.column'
    account = fields.Many2One(
        'multipoint.supplier.account', "Account", required=True,
        ondelete='CASCADE')
    column = fields.Selection(COLUMN_NAMES, "Column", required=True)
    header = fields.Char(
        "Header", required=True,
        help="The header of the column in this supplier's files.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('account')
        t = cls.__table__()
        cls._sql_constraints += [
            ('account_header_unique', Unique(t, t.account, t.header),
                'multipoint_suppliers.msg_account_header_unique'),
            ]
