"""The interface between Multipoint and a supplier's system, and the
registry of connectors by name.

A connector is a small class that maps one supplier's documented objects
into ParcelData (the normalized parcel below) and back. Most carriers
publish only part of what a pickup point needs, so every method is an
optional capability: a connector lists the ones it implements in
`capabilities` and the others raise CapabilityError.

Adding a connector is one file and one registration line:

    from .connector import Connector, register

    @register
    class HermesConnector(Connector):
        name = 'hermes'
        string = "Hermes (ParcelShop API)"
        capabilities = {'fetch_inbound', 'push_events'}

        def fetch_inbound(self, point_code, cursor=None):
            ...
            return parcels, next_cursor

and the file imported from __init__.py.
"""
import dataclasses
import datetime as dt
from decimal import Decimal

CAPABILITIES = [
    ('fetch_inbound', "Fetch inbound parcels for a point"),
    ('lookup', "Look up one parcel"),
    ('push_events', "Push events"),
    ('fetch_events', "Fetch events"),
    ('extend_storage', "Extend storage"),
    ('verify_code', "Verify a recipient's code"),
    ('import_manifest', "Import a manifest file"),
    ('export_report', "Export a status report file"),
    ]


class ConnectorError(Exception):
    """A supplier's system failed or answered something unusable; the
    message goes to the sync log (credentials removed)"""


class CapabilityError(ConnectorError):
    "The connector does not implement this capability"


@dataclasses.dataclass
class PlaceData:
    "One box of a parcel"
    barcode: str
    weight: float | None = None


@dataclasses.dataclass
class LineData:
    "One item of a parcel (needed for partial buyout)"
    name: str
    quantity: int = 1
    unit_price: Decimal = Decimal('0.00')
    article: str | None = None
    vat_rate: str | None = None
    # marked goods (Честный знак): the piece's code as the supplier sends
    # it, or only the mark that the desk scans it
    marked: bool = False
    gtin: str | None = None
    marking_code: str | None = None


@dataclasses.dataclass
class ParcelData:
    """A parcel as a supplier describes it. None means "not given": the
    field is left as it is on an existing parcel."""
    order_number: str
    point_code: str | None = None
    recipient_name: str | None = None
    recipient_phone: str | None = None
    cod_amount: Decimal | None = None
    delivery_fee: Decimal | None = None
    declared_value: Decimal | None = None
    prepaid: bool | None = None
    weight: float | None = None
    manifest: str | None = None
    storage_until: dt.date | None = None
    cancelled: bool = False
    places: list = dataclasses.field(default_factory=list)
    lines: list = dataclasses.field(default_factory=list)
    # where it came from, for the sync log: a file row, a page of an API
    source: str | None = None
    # why the connector could not read the supplier's record: an error of
    # this order in the sync log, the other orders go on
    error: str | None = None


class Connector:
    """Base of every connector. An instance serves one supplier account;
    it reads the credentials through `self.credentials` only."""
    name = None
    string = None
    capabilities = frozenset()
    # seconds to wait for the supplier's system when the account says none
    default_timeout = 30

    def __init__(self, account):
        self.account = account

    @property
    def credentials(self):
        "login, password, token and url of the account"
        return self.account.get_credentials()

    @property
    def timeout(self):
        "Seconds to wait for one answer of the supplier's system"
        return getattr(self.account, 'timeout', None) or self.default_timeout

    @classmethod
    def supports(cls, capability):
        return capability in cls.capabilities

    def _unsupported(self, capability):
        raise CapabilityError(
            f"{self.name} connector cannot {capability}")

    def fetch_inbound(self, point_code, cursor=None):
        """Parcels coming to the point known to the supplier as point_code,
        changed since cursor: (list of ParcelData, next cursor). An empty
        list ends the sync run."""
        self._unsupported('fetch_inbound')

    def confirm(self):
        """Acknowledge to the supplier what this instance fetched (DPD's
        confirm(docId)). The sync engine calls it once the run's
        transaction is committed, never when the run failed or was rolled
        back; an error here is only logged (the data is safe, the supplier
        sends the same batch again)."""

    def lookup(self, number):
        "The ParcelData of one parcel by order number or barcode, or None"
        self._unsupported('lookup')

    def push_events(self, events):
        """Send parcel events to the supplier; return the ids of the events
        the supplier acknowledged"""
        self._unsupported('push_events')

    def fetch_events(self, cursor=None):
        """(list of (order number, event kind, datetime), next cursor): the
        supplier's account-wide event feed; the sync engine records the
        events of its parcels, then calls confirm() after the commit"""
        self._unsupported('fetch_events')

    def extend_storage(self, parcel, date):
        "Ask the supplier to keep parcel at the point until date"
        self._unsupported('extend_storage')

    def verify_code(self, parcel, code):
        "Whether code is the recipient's code of parcel"
        self._unsupported('verify_code')

    def import_manifest(self, data, filename=None):
        "Parse a manifest file into a manifest.Manifest (rows and errors)"
        self._unsupported('import_manifest')

    def export_report(self, events):
        "(file name, bytes) of a status report for events"
        self._unsupported('export_report')


_registry = {}


def register(cls):
    "Class decorator: make a connector selectable on supplier accounts"
    assert cls.name and cls.name not in _registry, cls.name
    unknown = set(cls.capabilities) - {c for c, _ in CAPABILITIES}
    assert not unknown, unknown
    _registry[cls.name] = cls
    return cls


def get_connector(name):
    return _registry.get(name)


def connectors():
    "The registered connector classes by name"
    return dict(_registry)
