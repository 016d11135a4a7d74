"""A supplier account: which connector talks to the supplier's system, with
which credentials, for which of our points, how often."""
import datetime as dt

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, Unique, fields)
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access

from .connector import CAPABILITIES, connectors, get_connector
from .exceptions import AccountError
from .manifest import COLUMNS, default_aliases

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
    ]
assert [k for k, _ in COLUMN_NAMES] == [k for k, _, _ in COLUMNS]


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

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # the connectors register when their files are imported, before
        # the pool sets the models up: a static selection gets translated
        cls.connector.selection = [(name, connector.string or name)
            for name, connector in sorted(connectors().items())]
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.supplier, Index.Equality())))
        cls._buttons.update({
                'sync_now': {
                    'invisible': ~Eval('active', True),
                    'depends': ['active'],
                    },
                'import_manifest': {
                    'invisible': ~Eval('active', True),
                    'depends': ['active'],
                    },
                })

    @staticmethod
    def default_company():
        return Transaction().context.get('company')

    @staticmethod
    def default_connector():
        return 'file'

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
