"""PickPoint's API (../shared/docs/suppliers.md §4): REST, POST JSON
bodies, a session: POST login {Login, Password} answers {SessionId} (or
{ErrorMessage}) and every other call carries the SessionId in its body.

The session is kept per account in this process and reused while it is
valid (PickPoint's SDKs cache it too); when PickPoint answers that the
session expired, the connector logs in again once and repeats the call.
There is no logout per call: the session simply expires.

- lookup: sendinginfo {SessionId, InvoiceNumber}: the sending (Invoice
  fields: InvoiceNumber, PostamatNumber, RecipientName, MobilePhone, Sum,
  InsuareValue, PostageType, Places[]{Barcode|GSBarCode, Weight,
  SubEncloses[]}); [INF] the answer's shape is not published, the names
  are those of the creation request.
- fetch_events: tracksendings {SessionId, Invoices: [numbers]} for the
  next BATCH tracked parcels of the account, one call:
  Invoices[]{InvoiceNumber, States[]{State, StateMessage, ChangeDT}}. An
  invoice missing from the answer, or answered with its own error, is
  asked about again at the next run (a partial answer loses nothing).

Errors: {"ErrorCode": non-zero, "Error": "..."} or {"ErrorMessage"}.
PickPoint's dates (ChangeDT "16.01.14 00:28") are Moscow time [INF].
"""
import hashlib
import threading
from decimal import Decimal

from trytond.i18n import gettext
from trytond.transaction import Transaction

from . import supplier_status
from .connector import LineData, ParcelData, PlaceData, register
from .connector_http import HttpConnector
from .values import amount as _amount, moscow_datetime, text as _text

URL = 'https://e-solution.pickpoint.ru/api/'
# tracked parcels asked about per sync run, in one tracksendings call
BATCH = 100
# PostageType of a prepaid sending (10003: cash on delivery)
PREPAID = {'10001'}
# PickPoint's numeric states known from its getstates samples; the others
# are read from their text (supplier_status.normalize)
STATES = {101: 'in_transit', 102: 'in_transit', 103: 'in_transit',
    112: 'expired'}
# words of an error saying the session is over [INF]
SESSION_WORDS = ['session', 'сесси']
NOT_FOUND_WORDS = ['не найден', 'not found']

# (database, account, login, password digest, url) -> SessionId
_sessions = {}
_sessions_lock = threading.Lock()


class _SessionExpired(Exception):
    pass


def parse_date(value):
    "A naive UTC datetime of PickPoint's ChangeDT, Moscow time"
    return moscow_datetime(value, ['%d.%m.%y %H:%M', '%d.%m.%y %H:%M:%S',
            '%d.%m.%Y %H:%M:%S', '%d.%m.%Y %H:%M', '%Y-%m-%dT%H:%M:%S',
            '%Y-%m-%d %H:%M:%S'])


def _error_text(data):
    "(code, text) of a PickPoint error answer, or None"
    if not isinstance(data, dict):
        return None
    code = data.get('ErrorCode')
    text = _text(data.get('Error')) or _text(data.get('ErrorMessage'))
    if code not in (None, 0, '0', '') or text:
        return code, text or ''
    return None


@register
class PickPointConnector(HttpConnector):
    name = 'pickpoint'
    string = "PickPoint (API)"
    capabilities = frozenset({'lookup', 'fetch_events'})
    supplier = "PickPoint"
    # a 429 fails the call at once (the next sync run asks again)
    rate_limit_retries = 0
    # a refused session is renewed (_post), not a refused account
    auth_statuses = frozenset()

    @property
    def _session_key(self):
        credentials = self.credentials
        return (Transaction().database.name, self.account.id,
            credentials['login'], hashlib.sha256(
                (credentials['password'] or '').encode()).hexdigest(),
            credentials['url'])

    def _call(self, path, payload):
        "The decoded answer of path, or ConnectorError"
        url = (self.credentials['url'] or URL).rstrip('/') + '/' + path
        response, data = self._request('POST', url, json=payload,
            headers={'Accept': 'application/json'})
        if response.status_code >= 400 and not _error_text(data):
            if response.status_code in {401, 403}:
                raise _SessionExpired()
            raise self._error('msg_connector_supplier_error',
                code=f'HTTP {response.status_code}', name=path,
                error=response.reason or '')
        if data is None:
            raise self._error('msg_connector_bad_response',
                error="empty body")
        return data

    def _login(self):
        credentials = self.credentials
        data = self._call('login', {
                'Login': credentials['login'] or '',
                'Password': credentials['password'] or '',
                })
        session = isinstance(data, dict) and _text(data.get('SessionId'))
        if not session:
            error = _error_text(data)
            raise self._error('msg_connector_auth',
                error=(error[1] if error else '') or 'login')
        return session

    def _session(self, renew=False):
        "The account's SessionId: the one kept, or a new login"
        key = self._session_key
        with _sessions_lock:
            session = None if renew else _sessions.get(key)
        if session is None:
            session = self._login()
            with _sessions_lock:
                _sessions[key] = session
        return session

    def _post(self, path, payload):
        """The answer of path with the session; logged in again once when
        PickPoint says the session is over"""
        for renew in [False, True]:
            session = self._session(renew=renew)
            try:
                data = self._call(path, dict(payload, SessionId=session))
            except _SessionExpired:
                data = None
            else:
                error = _error_text(data)
                if not error:
                    return data
                code, text = error
                if not any(w in text.lower() for w in SESSION_WORDS):
                    if any(w in text.lower() for w in NOT_FOUND_WORDS):
                        return None
                    raise self._error('msg_connector_supplier_error',
                        code=code or '', name=path, error=text[:200])
            with _sessions_lock:
                if _sessions.get(self._session_key) == session:
                    del _sessions[self._session_key]
        raise self._error('msg_connector_auth', error=gettext(
                'multipoint_suppliers.msg_pickpoint_session_refused'))

    # -- lookup ----------------------------------------------------------

    def lookup(self, number):
        data = self._post('sendinginfo', {'InvoiceNumber': number})
        if isinstance(data, dict) and 'Sendings' in data:
            data = data['Sendings']
        elif isinstance(data, dict) and data.get('InvoiceNumber'):
            data = [data]
        if data is None:
            return None
        if not isinstance(data, list):
            raise self._error('msg_connector_bad_response',
                error=type(data).__name__)
        for record in data:
            if isinstance(record, dict) and number in {
                    _text(record.get('InvoiceNumber')),
                    _text(record.get('Barcode'))}:
                return self._parcel(record)
        return None

    def _parcel(self, record):
        "The ParcelData of a sendinginfo record"
        invoice = record.get('Invoice')
        if isinstance(invoice, dict):
            # the sending as created: the invoice beside its numbers
            record = dict(invoice, **{k: v for k, v in record.items()
                    if k != 'Invoice'})
        number = _text(record.get('InvoiceNumber'))
        try:
            cod = _amount(record.get('Sum'))
            declared = _amount(record.get('InsuareValue'))
            places, lines = [], []
            for place in record.get('Places') or []:
                weight = place.get('Weight')
                weight = float(weight) if weight else None
                barcode = _text(place.get('Barcode')) or _text(
                    place.get('GSBarCode'))
                if barcode:
                    places.append(PlaceData(barcode, weight=weight))
                for item in place.get('SubEncloses') or []:
                    lines.append(LineData(
                            name=_text(item.get('Name')) or '?',
                            quantity=int(item.get('Quantity') or 1),
                            unit_price=_amount(item.get('Price'))
                            or Decimal('0.00'),
                            article=_text(item.get('GoodsCode'))
                            or _text(item.get('ProductCode'))))
            weights = [p.weight for p in places if p.weight]
        except (ValueError, TypeError, AttributeError) as exception:
            return ParcelData(order_number=number, error=str(exception),
                source='sendinginfo')
        postage = _text(record.get('PostageType'))
        prepaid = postage in PREPAID if postage else (
            (cod == 0) if cod is not None else None)
        return ParcelData(
            order_number=number,
            point_code=_text(record.get('PostamatNumber')),
            recipient_name=_text(record.get('RecipientName')),
            recipient_phone=_text(record.get('MobilePhone')),
            cod_amount=Decimal('0.00') if prepaid else cod,
            prepaid=prepaid,
            declared_value=declared,
            weight=round(sum(weights), 3) if weights else None,
            # a sending without place barcodes is one box under PickPoint's
            # barcode (its label)
            places=places or [PlaceData(
                    _text(record.get('Barcode')) or number)],
            lines=lines,
            source='sendinginfo')

    # -- tracking --------------------------------------------------------

    def fetch_events(self, cursor=None):
        """The new states of the next BATCH tracked parcels: (invoice
        number, text, date) each; the cursor: the last parcel asked
        about"""
        parcels, next_cursor = supplier_status.parcels_to_track(
            self.account, cursor, BATCH)
        if not parcels:
            return [], next_cursor
        notes = supplier_status.recorded(parcels)
        data = self._post('tracksendings',
            {'Invoices': [p.order_number for p in parcels]})
        if isinstance(data, dict):
            data = data.get('Invoices')
        if data is None:
            data = []
        if not isinstance(data, list):
            raise self._error('msg_connector_bad_response',
                error='Invoices')
        events = []
        for invoice in data:
            if not isinstance(invoice, dict) or _error_text(invoice):
                # that parcel is asked about again at the next run
                continue
            number = _text(invoice.get('InvoiceNumber'))
            if number not in notes:
                continue
            for state in invoice.get('States') or []:
                event = self._event(number, state)
                if event and not supplier_status.is_recorded(
                        notes[number], event[2], event[3]):
                    events.append(event[:3])
        return events, next_cursor

    def _event(self, number, state):
        "(number, text, date, name) of one state; None when unusable"
        if not isinstance(state, dict):
            return None
        name = _text(state.get('StateMessage')) or _text(state.get('State'))
        try:
            date = parse_date(state.get('ChangeDT'))
        except ValueError:
            return None
        if not name:
            return None
        try:
            code = int(state.get('State'))
        except (TypeError, ValueError):
            code = None
        normalized = STATES.get(code) or supplier_status.normalize(name)
        if code is not None:
            name = f'{name} [{code}]'
        return (number, supplier_status.status_text(name, normalized),
            date, name)
