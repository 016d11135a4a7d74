"""Acceptance of a parcel the point was not told about: before a scanned
barcode that no parcel has is recorded as surplus, the supplier accounts
serving the point whose connector can look parcels up are asked, with a
short time-out. A parcel found is upserted (upsert.Upsert, as a sync
would) and the scan accepts it as usual; a supplier that cannot be asked
leaves the usual surplus scan, with a note saying so: nothing is lost, the
parcel can be scanned again later.
"""
import logging
import time

from trytond import backend
from trytond.i18n import gettext
from trytond.modules.multipoint_core.barcode import is_plausible_barcode
from trytond.pool import Pool, PoolMeta
from trytond.transaction import TransactionError, without_check_access

from .connector import ConnectorError, get_connector
from .savepoint import savepoint
from .upsert import Upsert

logger = logging.getLogger(__name__)
# seconds to wait for one supplier at the scan (less when the account
# says less), and for all of them: the operator is waiting
LOOKUP_TIMEOUT = 3
TOTAL_TIMEOUT = 6


class Reception(metaclass=PoolMeta):
    __name__ = 'multipoint.reception'

    def scan(self, barcode, damaged=False, note=None, photo=None,
            photo_name=None, client_id=None):
        code = (barcode or '').strip()
        found = None
        # junk (barcode.py) is refused by the scan: no supplier is asked
        if (code and self.state == 'open' and is_plausible_barcode(code)
                and not self._scan_known(code, client_id)):
            found = RemoteLookup(self).find(code)
            if found and found.barcode:
                # a one-box parcel scanned by its order number
                barcode = found.barcode
        scan = super().scan(barcode, damaged=damaged, note=note,
            photo=photo, photo_name=photo_name, client_id=client_id)
        if found and found.note and not scan.detail:
            scan.detail = found.note[:250]
            scan.save()
        return scan

    def _scan_known(self, code, client_id):
        """Whether the scan needs no supplier: a resent scan, a barcode or
        an order number of a parcel we have (at any point)"""
        pool = Pool()
        Scan = pool.get('multipoint.reception.scan')
        Place = pool.get('multipoint.parcel.place')
        Parcel = pool.get('multipoint.parcel')
        with without_check_access():
            if client_id and Scan.search([
                        ('reception', '=', self.id),
                        ('client_id', '=', client_id)], limit=1):
                return True
            return bool(
                Place.search([('barcode', '=', code)], limit=1)
                or Parcel.search([('order_number', '=', code)], limit=1))


class _Found:
    "What the suppliers said of a barcode"

    def __init__(self, note, barcode=None):
        self.note = note
        # the place barcode to scan instead of the code scanned
        self.barcode = barcode


class RemoteLookup:
    "Ask the suppliers of a reception's point about one barcode"

    def __init__(self, reception):
        self.reception = reception

    def accounts(self):
        """The active accounts serving the point whose connector can look
        up, those of the reception's suppliers first"""
        Account = Pool().get('multipoint.supplier.account')
        reception = self.reception
        with without_check_access():
            accounts = Account.search([
                    ('company', '=', reception.company.id),
                    ('points.point', '=', reception.point.id),
                    ], order=[('id', 'ASC')])
        suppliers = {s.id for s in reception.suppliers}
        accounts = [a for a in accounts
            if (c := get_connector(a.connector)) and c.supports('lookup')]
        return sorted(accounts,
            key=lambda a: a.supplier.id not in suppliers)

    def find(self, code):
        "A _Found of the suppliers' answers; None when none was asked"
        accounts = self.accounts()
        if not accounts:
            return None
        deadline = time.monotonic() + TOTAL_TIMEOUT
        failures, asked = [], []
        for account in accounts:
            left = deadline - time.monotonic()
            if left <= 0:
                failures.append(gettext(
                        'multipoint_suppliers.msg_lookup_no_time',
                        account=account.rec_name))
                continue
            connector = get_connector(account.connector)(
                _ShortTimeout(account, min(LOOKUP_TIMEOUT, left)))
            try:
                data = connector.lookup(code)
            except ConnectorError as exception:
                logger.info("lookup of %s at %s failed", code, account.id,
                    exc_info=True)
                failures.append(account.redact(str(exception)).rstrip('.'))
                continue
            asked.append(account.rec_name)
            if data is not None:
                return self._take(account, code, data)
        if failures:
            return _Found(gettext('multipoint_suppliers.msg_lookup_failed',
                    errors='; '.join(failures)))
        return _Found(gettext('multipoint_suppliers.msg_lookup_not_found',
                accounts=', '.join(asked)))

    def _take(self, account, code, data):
        """Upsert the parcel found; the _Found telling the operator what
        became of it"""
        Parcel = Pool().get('multipoint.parcel')
        point = self.reception.point
        with without_check_access():
            upsert = Upsert(account, point)
            plan = upsert.plan([data])
            if plan.errors:
                return _Found(gettext(
                        'multipoint_suppliers.msg_lookup_refused',
                        account=account.rec_name,
                        errors='; '.join(e.message for e in plan.errors)))
            try:
                with savepoint('multipoint_remote_lookup'):
                    upsert.apply(plan)
            except (backend.DatabaseOperationalError, TransactionError):
                raise  # the request is run again
            except Exception as exception:
                logger.info("lookup of %s: upsert failed", code,
                    exc_info=True)
                return _Found(gettext(
                        'multipoint_suppliers.msg_lookup_refused',
                        account=account.rec_name,
                        errors=getattr(exception, 'message', None)
                        or str(exception)))
            parcels = Parcel.search([
                    ('supplier', '=', account.supplier.id),
                    ('order_number', '=', data.order_number),
                    ])
            if not parcels:
                # cancelled at the supplier: the upsert creates nothing
                return _Found(gettext(
                        'multipoint_suppliers.msg_lookup_cancelled',
                        account=account.rec_name, parcel=data.order_number))
            parcel, = parcels
            barcodes = [p.barcode for p in parcel.places]
        note = gettext('multipoint_suppliers.msg_lookup_found',
            account=account.rec_name, parcel=parcel.order_number)
        if code in barcodes:
            return _Found(note)
        if len(barcodes) == 1:
            return _Found(note, barcode=barcodes[0])
        return _Found(gettext('multipoint_suppliers.msg_lookup_scan_places',
                account=account.rec_name, parcel=parcel.order_number,
                places=', '.join(barcodes)))


class _ShortTimeout:
    """The account as a connector reads it, with the time-out of a scan:
    the operator does not wait for the account's usual time-out"""

    def __init__(self, account, seconds):
        self._account = account
        self.timeout = min(account.timeout or seconds, seconds)

    def __getattr__(self, name):
        return getattr(self._account, name)
