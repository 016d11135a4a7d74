"""Hermes Russia's partner ParcelShop API: REST over WCF, JSON in POST
bodies, HTTP Basic auth on every call (../shared/docs/suppliers.md §1).

- GetParcels {dateFrom, dateTo, partnerPointCodes}: the parcels Hermes
  plans to hand over to the point, i.e. its inbound list. dateTo stays
  empty; dateFrom is the cursor: the NextRequestDateFrom of the previous
  answer (the cursor semantics of Hermes' GetStatusesByBusinessUnit).
- SendParcelStatuses {ParcelStatusData: [...]}: the statuses of the point.

Answers may start with a UTF-8 BOM and carry ErrorCode (0: Success) with
ErrorSystemName; exception texts may be in windows-1251. The field names
of a GetParcels parcel are not published: the mapping below accepts the
names seen in Hermes' other answers, first name first. Hermes' storage
date is not taken: an expected parcel's deadline comes from the supplier's
terms at acceptance (the upsert would warn on every sync).
"""
import datetime as dt
import json
import re
from decimal import Decimal

from .connector import LineData, ParcelData, PlaceData, register
from .connector_http import HttpConnector
from .values import amount as _amount, first as _first, text as _text

URL = 'https://api.hermes-dpd.ru/ps/restservice.svc/rest'
# the first sync of a point reads this far back
FIRST_SYNC = dt.timedelta(days=30)
# outbox kind -> StatusSystemName (suppliers.md §13); a refusal is not
# sent: the parcel stays at the point until it goes back (UNDELIVERED)
STATUSES = {
    'accepted': 'ARRIVED_AT_PARCEL_SHOP',
    'issued': 'RECEIVED',
    'partially_issued': 'RECEIVED',
    'returned': 'UNDELIVERED',
    'lost': 'MISSING',
    }
WCF_DATE = re.compile(r'/Date\((-?\d+)([+-]\d{4})?\)/')


def parse_datetime(value):
    "A naive UTC datetime from ISO 8601 or WCF's /Date(ms+zone)/"
    if value in (None, ''):
        return None
    match = WCF_DATE.fullmatch(str(value))
    if match:
        return dt.datetime(1970, 1, 1) + dt.timedelta(
            milliseconds=int(match.group(1)))
    date = dt.datetime.fromisoformat(str(value).replace('Z', '+00:00'))
    if date.tzinfo:
        date = date.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return date


def decode(content):
    "The JSON of an answer: BOM stripped, UTF-8 or else windows-1251"
    if content.startswith(b'\xef\xbb\xbf'):
        content = content[3:]
    try:
        text = content.decode('utf-8')
    except UnicodeDecodeError:
        text = content.decode('cp1251')
    return json.loads(text)


@register
class HermesConnector(HttpConnector):
    name = 'hermes'
    string = "Hermes (ParcelShop API)"
    capabilities = frozenset({'fetch_inbound', 'push_events'})
    supplier = "Hermes"
    _loads = staticmethod(decode)

    def _post(self, operation, payload):
        "The decoded answer of operation, or ConnectorError"
        credentials = self.credentials
        url = (credentials['url'] or URL).rstrip('/') + '/' + operation
        response, data = self._request('POST', url, json=payload,
            auth=(credentials['login'] or '', credentials['password'] or ''),
            headers={'Accept': 'application/json'})
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise self._error('msg_connector_bad_response',
                error=type(data).__name__)
        code = data.get('ErrorCode', 0)
        if response.status_code >= 400 or code not in (0, '0', None):
            name = data.get('ErrorSystemName') or ''
            if name == 'AuthenticationError' or code in (11, '11'):
                raise self._error('msg_connector_auth', error=name)
            raise self._error('msg_connector_supplier_error',
                code=code or f'HTTP {response.status_code}', name=name,
                error=_text(_first(data, 'ErrorMessage', 'Message'))
                or response.reason or '')
        return data

    def fetch_inbound(self, point_code, cursor=None):
        date_from = parse_datetime(cursor) if cursor else (
            dt.datetime.utcnow() - FIRST_SYNC)
        data = self._post('GetParcels', {
                'dateFrom': date_from.strftime('%Y-%m-%dT%H:%M:%S'),
                'dateTo': None,
                'partnerPointCodes': [point_code],
                })
        records = _first(data, 'Parcels', 'GetParcelsResult', 'Result')
        if records is None:
            records = []
        if not isinstance(records, list):
            raise self._error('msg_connector_bad_response',
                error="Parcels")
        parcels = {}
        for i, record in enumerate(records, 1):
            parcel = self._parcel(record, point_code, i)
            if parcel is not None:
                parcels[parcel.order_number] = parcel
        next_cursor = _text(data.get('NextRequestDateFrom'))
        if next_cursor:
            next_cursor = parse_datetime(next_cursor).isoformat()
        return list(parcels.values()), next_cursor or cursor

    def _parcel(self, record, point_code, index):
        "The ParcelData of one GetParcels record; None when unusable"
        if not isinstance(record, dict):
            return None
        # Hermes knows a parcel by its barcode (SendParcelStatuses too):
        # it is the order number and the barcode of its one place
        number = _text(_first(record, 'ParcelBarcode', 'Barcode'))
        if not number:
            return None
        try:
            cod = _amount(_first(record, 'CodAmount', 'CashOnDeliveryAmount',
                    'AmountToPay'))
            declared = _amount(_first(record, 'InsuranceAmount',
                    'DeclaredValue'))
            weight = _first(record, 'Weight')
            weight = float(weight) if weight else None
            lines = [LineData(
                    name=str(i.get('Name') or i.get('Article') or '?'),
                    quantity=int(i.get('Quantity') or 1),
                    unit_price=_amount(i.get('Price')) or Decimal('0.00'),
                    article=_text(i.get('Article')))
                for i in record.get('Items') or []]
        except (ValueError, TypeError, AttributeError) as exception:
            # an error of this order only: the others go on
            return ParcelData(order_number=number, error=str(exception),
                source=f'GetParcels #{index}')
        recipient = record.get('Recipient') or {}
        if not isinstance(recipient, dict):
            recipient = {}
        name = _first(recipient, 'FullName', 'Name') or _first(record,
            'RecipientName', 'CustomerName')
        phone = _first(recipient, 'Phone', 'MobilePhone') or _first(record,
            'RecipientPhone', 'CustomerPhone')
        return ParcelData(
            order_number=number,
            point_code=_text(record.get('PartnerPointCode')) or point_code,
            recipient_name=_text(name),
            recipient_phone=_text(phone),
            cod_amount=cod,
            prepaid=(cod == 0) if cod is not None else None,
            declared_value=declared,
            weight=weight,
            cancelled=bool(record.get('IsCanceled')),
            places=[PlaceData(number)],
            lines=lines,
            source=f'GetParcels #{index}')

    def push_events(self, events):
        """Send the outbox messages Hermes has a status for (one status per
        parcel: the outbox sends one message per parcel at a time); return
        the keys acknowledged, those without a status included (nothing to
        send for them)"""
        acked, batch = [], []
        for event in events:
            status = STATUSES.get(event['kind'])
            if status is None:
                acked.append(event['key'])
                continue
            values = {
                'StatusSystemName': status,
                'StatusTimestamp': parse_datetime(event['date']).replace(
                    tzinfo=dt.timezone.utc).isoformat(),
                'PartnerPointCode': event.get('point_code') or '',
                }
            extra = _extra_params(event)
            if extra:
                values['ExtraParams'] = extra
            batch.append((event['key'], event['order_number'], values))
        if not batch:
            return acked
        data = self._post('SendParcelStatuses', {'ParcelStatusData': [{
                        'ParcelBarcode': barcode,
                        'Statuses': values,
                        } for _, barcode, values in batch]})
        failed = {str(r.get('ParcelBarcode'))
            for r in _first(data, 'ParcelStatusResults', 'Results') or []
            if isinstance(r, dict)
            and r.get('ErrorCode') not in (0, '0', None)}
        acked.extend(key for key, barcode, _ in batch if barcode not in failed)
        return acked


def _extra_params(event):
    """Hermes' free name/value pairs: what was paid and how, the items
    issued (the names are not published, suppliers.md §1 [INF])"""
    extra = {}
    if event.get('amounts'):
        extra['PaymentAmount'] = event['amounts']['total']
    if event.get('payments'):
        extra['PaymentMethod'] = ','.join(
            sorted({p['type'] for p in event['payments']}))
    if event.get('items'):
        extra['IssuedItems'] = ';'.join(
            f"{i.get('article') or i['name']}:{i['issued']}"
            for i in event['items'])
    return extra
