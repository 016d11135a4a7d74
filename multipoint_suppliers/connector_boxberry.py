"""Boxberry's API (../shared/docs/suppliers.md §3): one endpoint json.php,
the method in `method`, the account's token in `token` on every call.
Boxberry publishes no partner-point API: what a point can use is its
sender API, to look parcels up and to follow their statuses.

- lookup: POST {"token", "method": "ParcelInfo", "parcels": [{"track"}]},
  an array of parcels (order_id, track_number, payment_amount,
  declared_cost, pickup_point, recipient_data, products, boxes_data).
- fetch_events: GET method=ListStatusesFull&ImId=<track> for each tracked
  parcel of the account (supplier_status.parcels_to_track, BATCH a run):
  statuses[]{Date, Name, Comment} and, once the parcel is issued, what
  Boxberry records of the issue (the post-issue facts): `sum` (the amount
  actually taken), PaymentMethod ("Касса", "Банк", "Эквайринг"), PD
  (partial delivery) with products[]{Name, Give, Return}. They become notes
  of the parcel; our parcel does not move.

Answers are JSON with HTTP 200 even for errors: {"err": "text"},
{"err": true, "message": "..."} or {"error": true, "message": "..."}, so
every body is checked. Boxberry's dates are Moscow time [INF]. Its
delivery_cost is what the shop pays Boxberry, not a fee of the recipient:
payment_amount is the whole amount to collect (no delivery_fee is set).
"""
from decimal import Decimal

from trytond.i18n import gettext

from . import supplier_status
from .connector import LineData, ParcelData, PlaceData, register
from .connector_http import HttpConnector
from .values import amount as _amount, moscow_datetime, text as _text

URL = 'https://api.boxberry.ru/json.php'
# tracked parcels asked about per sync run (one ListStatusesFull each)
BATCH = 50
VAT_RATES = {'0', '5', '7', '10', '20', '22'}
# words of an error saying the token is wrong, or the parcel unknown
# [INF]: Boxberry's texts are not published
AUTH_WORDS = ['token', 'токен', 'ключ']
NOT_FOUND_WORDS = ['не найден', 'not found', 'нет данных']
ISSUED = {'issued', 'partially_issued'}


def parse_date(value):
    """A naive UTC datetime of Boxberry's "26.12.2020 12:23" or
    "2020-12-26 12:23:26", Moscow time"""
    return moscow_datetime(value, ['%d.%m.%Y %H:%M:%S', '%d.%m.%Y %H:%M',
            '%Y-%m-%d %H:%M:%S', '%Y-%m-%dT%H:%M:%S', '%Y-%m-%d %H:%M'])


def _error_text(data):
    "The error of a Boxberry answer, or None"
    if not isinstance(data, dict):
        return None
    for key in ['err', 'error']:
        value = data.get(key)
        if value:
            if isinstance(value, str):
                return value
            return str(data.get('message') or key)
    return None


@register
class BoxberryConnector(HttpConnector):
    name = 'boxberry'
    string = "Boxberry (API)"
    capabilities = frozenset({'lookup', 'fetch_events'})
    supplier = "Boxberry"
    # a 429 fails the call at once (the next sync run asks again)
    rate_limit_retries = 0

    def _call(self, method, query=None, body=None):
        """The decoded answer of method (GET with query, or POST with the
        JSON body), or ConnectorError; None when Boxberry says it does not
        know what was asked"""
        credentials = self.credentials
        url = credentials['url'] or URL
        asked = {'token': credentials['token'] or '', 'method': method}
        headers = {'Accept': 'application/json'}
        if body is None:
            response, data = self._request('GET', url,
                params=dict(asked, **(query or {})), headers=headers)
        else:
            response, data = self._request('POST', url,
                json=dict(asked, **body), headers=headers)
        if response.status_code >= 400:
            raise self._error('msg_connector_supplier_error',
                code=f'HTTP {response.status_code}', name=method,
                error=response.reason or '')
        if data is None:
            raise self._error('msg_connector_bad_response',
                error="empty body")
        error = _error_text(data)
        if error:
            lower = error.lower()
            if any(w in lower for w in AUTH_WORDS):
                raise self._error('msg_connector_auth', error=error[:200])
            if any(w in lower for w in NOT_FOUND_WORDS):
                return None
            raise self._error('msg_connector_supplier_error',
                code='err', name=method, error=error[:200])
        return data

    # -- lookup ----------------------------------------------------------

    def lookup(self, number):
        data = self._call('ParcelInfo', body={'parcels': [{'track': number}]})
        if data is None:
            return None
        if not isinstance(data, list):
            raise self._error('msg_connector_bad_response',
                error=type(data).__name__)
        records = [r for r in data if isinstance(r, dict)]
        record = next((r for r in records
                if _text(r.get('track_number')) == number
                or _text(r.get('order_id')) == number), None)
        if record is None:
            return None
        return self._parcel(record)

    def _parcel(self, record):
        "The ParcelData of a ParcelInfo record"
        number = _text(record.get('track_number')) or _text(
            record.get('order_id'))
        try:
            cod = _amount(record.get('payment_amount'))
            boxes = [b for b in record.get('boxes_data') or []
                if isinstance(b, dict)]
            weights = [float(b['weight']) / 1000 for b in boxes
                if b.get('weight')]
            places = [PlaceData(_text(b['barcode']),
                    weight=float(b['weight']) / 1000 if b.get('weight')
                    else None)
                for b in boxes if _text(b.get('barcode'))]
            lines = [LineData(
                    name=_text(p.get('name')) or '?',
                    quantity=int(p.get('quantity') or 1),
                    unit_price=_amount(p.get('price')) or Decimal('0.00'),
                    article=_text(p.get('vendor_code')),
                    vat_rate=_vat(p.get('nds')),
                    # the Честный знак code of a marked product
                    marking_code=_text(p.get('marking_crpt')))
                for p in record.get('products') or []]
            declared = _amount(record.get('declared_cost'))
        except (ValueError, TypeError, AttributeError, KeyError) as exception:
            return ParcelData(order_number=number, error=str(exception),
                source='ParcelInfo')
        point = record.get('pickup_point') or {}
        recipient = record.get('recipient_data') or {}
        return ParcelData(
            order_number=number,
            point_code=_text(point.get('pickup_point_code')),
            recipient_name=_text(recipient.get('full_name')),
            recipient_phone=_text(recipient.get('phone')),
            cod_amount=cod,
            prepaid=(cod == 0) if cod is not None else None,
            declared_value=declared,
            weight=round(sum(weights), 3) if weights else None,
            # the boxes without their own barcode travel under the track
            # number: its label is the one scanned
            places=places or [PlaceData(number)],
            lines=lines,
            source='ParcelInfo')

    # -- tracking --------------------------------------------------------

    def fetch_events(self, cursor=None):
        """The new statuses of the next BATCH tracked parcels: (track
        number, text, date) each, with the post-issue facts on the issue
        status; the cursor: the last parcel asked about"""
        parcels, next_cursor = supplier_status.parcels_to_track(
            self.account, cursor, BATCH)
        notes = supplier_status.recorded(parcels)
        events = []
        for parcel in parcels:
            number = parcel.order_number
            data = self._call('ListStatusesFull', query={'ImId': number})
            if data is None:
                continue
            if not isinstance(data, dict) or not isinstance(
                    data.get('statuses') or [], list):
                raise self._error('msg_connector_bad_response',
                    error=f'ListStatusesFull {number}')
            for status in data.get('statuses') or []:
                event = self._event(number, status, data)
                if event and not supplier_status.is_recorded(
                        notes[number], event[2], event[3]):
                    events.append(event[:3])
        return events, next_cursor

    def _event(self, number, status, data):
        "(number, text, date, name) of one status; None when unusable"
        if not isinstance(status, dict):
            return None
        name = _text(status.get('Name'))
        try:
            date = parse_date(status.get('Date'))
        except ValueError:
            return None
        if not name:
            return None
        normalized = supplier_status.normalize(name)
        if normalized == 'issued' and data.get('PD'):
            normalized = 'partially_issued'
        details = [_text(status.get('Comment'))]
        if normalized in ISSUED:
            details += _issue_facts(data)
        return (number, supplier_status.status_text(
                name, normalized, *details), date, name)


def _issue_facts(data):
    "What Boxberry recorded of the issue: amount taken, how, items given"
    facts = []
    try:
        amount = _amount(data.get('sum'))
    except ValueError:
        amount = None
    if amount is not None:
        facts.append(gettext('multipoint_suppliers.msg_status_paid',
                amount=amount, method=_text(data.get('PaymentMethod')) or '?'))
    if data.get('PD'):
        items = ', '.join(
            f"{_text(p.get('Name')) or _text(p.get('Item_ID')) or '?'}: "
            f"{p.get('Give') or 0}/{p.get('Return') or 0}"
            for p in data.get('products') or [] if isinstance(p, dict))
        if items:
            facts.append(gettext('multipoint_suppliers.msg_status_items',
                    items=items))
    return facts


def _vat(value):
    "Our VAT rate of Boxberry's nds: a number of percent, or none"
    text = (_text(value) or '').rstrip('%').strip().lower()
    if text in VAT_RATES:
        return text
    if text in {'-1', 'без ндс', 'none'}:
        return 'none'
    return None
