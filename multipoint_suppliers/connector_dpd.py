"""DPD Russia's SOAP services with zeep (../shared/docs/suppliers.md §2):

- `partnership` (pickup-point partners; auth partnerCode + clientKey):
  getPointList, our points as DPD knows them (stationNum, pointCode), and
  getOrderListDelivery(request{auth, stationNum}), the orders DPD delivers
  to the point: the inbound list, read whole at each sync;
- `event-tracking` (auth clientNumber + clientKey): getEvents answers a
  document {docId, resultComplete, event[]} and serves the same document
  again until confirm(docId). fetch_events reads one document per run and
  keeps its docId; the sync engine calls confirm() only once the run's
  transaction is committed, so a failed run (or a worker dying before the
  commit) gets the same events again. A document with resultComplete false
  leaves the rest to the next run.

The account's login is the partner code (also the client number of
event-tracking), its password the client key, its URL the services' base
(https://ws.dpd.ru/services/; test: https://wstest.dpd.ru/services/).
Order fields beyond dpdOrderNum, parcelNum and consignor are not published
(suppliers.md §2): the names read are the order2 ones (sumNpp for the COD,
cargoValue, receiver*), to check against DPD's WSDL.
"""
import datetime as dt
from decimal import Decimal

import requests

from .connector import ParcelData, PlaceData, register
from .connector_http import HttpConnector

URL = 'https://ws.dpd.ru/services/'
MAX_ROWS = 1000


def _text(value):
    return str(value).strip() if value not in (None, '') else None


def _amount(value):
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal('0.01'))


def _utc(date):
    if date.tzinfo:
        date = date.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return date


@register
class DPDConnector(HttpConnector):
    "SOAP with zeep: only the messages of the HTTP connectors are shared"
    name = 'dpd'
    string = "DPD (partnership, SOAP)"
    capabilities = frozenset({'fetch_inbound', 'fetch_events'})
    supplier = "DPD"

    def __init__(self, account):
        super().__init__(account)
        self._clients = {}
        # the docIds read by this run, confirmed after its commit
        self.to_confirm = []

    def _client(self, service):
        import zeep
        if service not in self._clients:
            url = (self.credentials['url'] or URL).rstrip('/') + '/'
            transport = _transport()(session=requests.Session(),
                timeout=self.timeout, operation_timeout=self.timeout)
            self._clients[service] = self._call(lambda: zeep.Client(
                    f'{url}{service}?wsdl', transport=transport,
                    settings=zeep.Settings(strict=False,
                        xml_huge_tree=True)))
        return self._clients[service]

    def _call(self, function):
        "function() with zeep's and the transport's errors as ours"
        from lxml.etree import XMLSyntaxError
        from zeep import exceptions
        try:
            return function()
        except exceptions.Fault as fault:
            message = _fault_message(fault)
            if _is_auth(fault):
                raise self._error('msg_connector_auth', error=message)
            raise self._error('msg_connector_soap_fault', error=message)
        except exceptions.TransportError as error:
            if error.status_code == 429:
                raise self._error('msg_connector_rate_limited', seconds='?')
            if error.status_code in {401, 403}:
                raise self._error('msg_connector_auth',
                    error=f'HTTP {error.status_code}')
            raise self._error('msg_connector_supplier_error',
                code=f'HTTP {error.status_code}', name='', error='')
        except requests.Timeout:
            raise self._error('msg_connector_timeout', seconds=self.timeout)
        except requests.RequestException as exception:
            raise self._error('msg_connector_unreachable',
                error=exception.__class__.__name__)
        except (XMLSyntaxError, exceptions.XMLSyntaxError,
                exceptions.XMLParseError, exceptions.ValidationError,
                ValueError) as exception:
            raise self._error('msg_connector_bad_response',
                error=str(exception)[:200])

    def _partner_auth(self):
        credentials = self.credentials
        return {'partnerCode': credentials['login'],
            'clientKey': credentials['password']}

    def points(self):
        "[(stationNum, pointCode, name)] of the partner's points"
        client = self._client('partnership')
        result = self._call(lambda: client.service.getPointList(
                auth=self._partner_auth()))
        return [(p.stationNum, p.pointCode, getattr(p, 'pointName', None))
            for p in result or []]

    def fetch_inbound(self, point_code, cursor=None):
        """The orders DPD delivers to the point (its stationNum): one page,
        the whole list; the upsert skips what has not changed"""
        client = self._client('partnership')
        orders = self._call(lambda: client.service.getOrderListDelivery(
                request={'auth': self._partner_auth(),
                    'stationNum': point_code}))
        return [self._parcel(o, i) for i, o in enumerate(orders or [], 1)
            if _text(o.dpdOrderNum)], None

    def _parcel(self, order, index):
        number = _text(order.dpdOrderNum)
        cod = _amount(getattr(order, 'sumNpp', None))
        parcels = [_text(p) for p in getattr(order, 'parcelNum', None) or []]
        return ParcelData(
            order_number=number,
            recipient_name=_text(getattr(order, 'receiverName', None)),
            recipient_phone=_text(getattr(order, 'receiverPhone', None)),
            cod_amount=cod,
            prepaid=(cod == 0) if cod is not None else None,
            declared_value=_amount(getattr(order, 'cargoValue', None)),
            weight=float(order.weight) if getattr(order, 'weight', None)
            else None,
            # one place per parcel number; an order without any is one box
            places=[PlaceData(p) for p in parcels if p]
            or [PlaceData(number)],
            source=f'getOrderListDelivery #{index}')

    def fetch_events(self, cursor=None):
        """The events of one getEvents document: (dpdOrderNr, "name
        (code)", date) each, and the docId read as cursor; the document is
        confirmed by confirm(), after the commit"""
        client = self._client('event-tracking')
        credentials = self.credentials
        document = self._call(lambda: client.service.getEvents(request={
                    'auth': {'clientNumber': credentials['login'],
                        'clientKey': credentials['password']},
                    'maxRowCount': MAX_ROWS}))
        if document is None or not document.docId:
            return [], cursor
        self.to_confirm.append(document.docId)
        events = []
        for event in document.event or []:
            number = _text(event.dpdOrderNr)
            if not number or not event.eventDate:
                continue
            status = ' '.join(filter(None, [
                        _text(event.eventName),
                        f'({event.eventCode})' if event.eventCode else None,
                        _text(event.reasonName)]))
            events.append((number, status, _utc(event.eventDate)))
        return events, str(document.docId)

    def confirm(self):
        "confirm(docId) of every document this run read and committed"
        if not self.to_confirm:
            return
        client = self._client('event-tracking')
        credentials = self.credentials
        while self.to_confirm:
            doc_id = self.to_confirm[0]
            self._call(lambda: client.service.confirm(request={
                        'auth': {'clientNumber': credentials['login'],
                            'clientKey': credentials['password']},
                        'docId': doc_id}))
            self.to_confirm.pop(0)


def _transport():
    from lxml import etree
    from zeep.transports import Transport

    class WellFormed(Transport):
        """zeep's transport refusing an answer that is not well-formed XML:
        strict=False (DPD's answers do not always follow their schema)
        makes zeep's parser recover, i.e. read half an envelope as a whole
        one"""

        def post(self, address, message, headers):
            response = super().post(address, message, headers)
            if response.content:
                etree.fromstring(response.content,
                    parser=etree.XMLParser(
                        resolve_entities=False, huge_tree=True))
            return response
    return WellFormed


def _fault_message(fault):
    "The WSFault's message when there is one, else the faultstring"
    detail = fault.detail
    if detail is not None:
        for element in detail.iter():
            if element.tag.rsplit('}', 1)[-1] == 'message' and element.text:
                return element.text
    return fault.message or fault.code or ''


def _is_auth(fault):
    detail = fault.detail
    codes = []
    if detail is not None:
        codes = [e.text or '' for e in detail.iter()
            if e.tag.rsplit('}', 1)[-1] == 'code']
    text = ' '.join([fault.message or ''] + codes).lower()
    return any(w in text for w in ['auth', 'авториз', 'no-auth'])
