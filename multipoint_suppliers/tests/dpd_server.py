"""A local stand-in for DPD Russia's SOAP services (SOAP 1.1,
document/literal, unqualified children as JAX-WS writes them): it serves
the WSDLs of `partnership` and `event-tracking` at /services/<name>?wsdl
and answers their envelopes, with SOAP faults (detail WSFault) for a bad
key. Behaviours for the tests: sleep, 429, a truncated answer, a fault on
getEvents."""
from xml.sax.saxutils import escape

from lxml import etree

from trytond.modules.multipoint_suppliers import stand_in

SOAP = 'http://schemas.xmlsoap.org/soap/envelope/'
PARTNERSHIP = 'http://dpd.ru/ws/partnership/2015-03-20'
EVENTS = 'http://dpd.ru/ws/event-tracking/2016-02-15'

WSDL = '''<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://schemas.xmlsoap.org/wsdl/"
    xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
    xmlns:xs="http://www.w3.org/2001/XMLSchema"
    xmlns:tns="{ns}" targetNamespace="{ns}" name="{name}">
  <types>
    <xs:schema targetNamespace="{ns}" elementFormDefault="unqualified">
{types}
      <xs:complexType name="WSFault">
        <xs:sequence>
          <xs:element name="code" type="xs:string" minOccurs="0"/>
          <xs:element name="message" type="xs:string" minOccurs="0"/>
        </xs:sequence>
      </xs:complexType>
      <xs:element name="WSFault" type="tns:WSFault"/>
    </xs:schema>
  </types>
  <message name="WSFault"><part name="fault" element="tns:WSFault"/></message>
{messages}
  <portType name="{port}">
{operations}
  </portType>
  <binding name="{port}Binding" type="tns:{port}">
    <soap:binding style="document"
        transport="http://schemas.xmlsoap.org/soap/http"/>
{bindings}
  </binding>
  <service name="{port}Service">
    <port name="{port}Port" binding="tns:{port}Binding">
      <soap:address location="{address}"/>
    </port>
  </service>
</definitions>
'''

PARTNERSHIP_TYPES = '''
      <xs:complexType name="auth">
        <xs:sequence>
          <xs:element name="partnerCode" type="xs:string"/>
          <xs:element name="clientKey" type="xs:string"/>
        </xs:sequence>
      </xs:complexType>
      <xs:complexType name="point">
        <xs:sequence>
          <xs:element name="stationNum" type="xs:string"/>
          <xs:element name="pointCode" type="xs:string"/>
          <xs:element name="pointName" type="xs:string" minOccurs="0"/>
        </xs:sequence>
      </xs:complexType>
      <xs:complexType name="orderListRequest">
        <xs:sequence>
          <xs:element name="auth" type="tns:auth"/>
          <xs:element name="stationNum" type="xs:string"/>
        </xs:sequence>
      </xs:complexType>
      <xs:complexType name="orderDelivery">
        <xs:sequence>
          <xs:element name="dpdOrderNum" type="xs:string"/>
          <xs:element name="clientOrderNum" type="xs:string" minOccurs="0"/>
          <xs:element name="consignor" type="xs:string" minOccurs="0"/>
          <xs:element name="receiverName" type="xs:string" minOccurs="0"/>
          <xs:element name="receiverPhone" type="xs:string" minOccurs="0"/>
          <xs:element name="sumNpp" type="xs:decimal" minOccurs="0"/>
          <xs:element name="cargoValue" type="xs:decimal" minOccurs="0"/>
          <xs:element name="weight" type="xs:decimal" minOccurs="0"/>
          <xs:element name="parcelNum" type="xs:string" minOccurs="0"
              maxOccurs="unbounded"/>
        </xs:sequence>
      </xs:complexType>
      <xs:element name="getPointList">
        <xs:complexType><xs:sequence>
          <xs:element name="auth" type="tns:auth"/>
        </xs:sequence></xs:complexType>
      </xs:element>
      <xs:element name="getPointListResponse">
        <xs:complexType><xs:sequence>
          <xs:element name="return" type="tns:point" minOccurs="0"
              maxOccurs="unbounded"/>
        </xs:sequence></xs:complexType>
      </xs:element>
      <xs:element name="getOrderListDelivery">
        <xs:complexType><xs:sequence>
          <xs:element name="request" type="tns:orderListRequest"/>
        </xs:sequence></xs:complexType>
      </xs:element>
      <xs:element name="getOrderListDeliveryResponse">
        <xs:complexType><xs:sequence>
          <xs:element name="return" type="tns:orderDelivery" minOccurs="0"
              maxOccurs="unbounded"/>
        </xs:sequence></xs:complexType>
      </xs:element>'''

EVENTS_TYPES = '''
      <xs:complexType name="auth">
        <xs:sequence>
          <xs:element name="clientNumber" type="xs:long"/>
          <xs:element name="clientKey" type="xs:string"/>
        </xs:sequence>
      </xs:complexType>
      <xs:complexType name="eventsRequest">
        <xs:sequence>
          <xs:element name="auth" type="tns:auth"/>
          <xs:element name="dateFrom" type="xs:dateTime" minOccurs="0"/>
          <xs:element name="dateTo" type="xs:dateTime" minOccurs="0"/>
          <xs:element name="maxRowCount" type="xs:int" minOccurs="0"/>
        </xs:sequence>
      </xs:complexType>
      <xs:complexType name="parameter">
        <xs:sequence>
          <xs:element name="paramName" type="xs:string"/>
          <xs:element name="valueString" type="xs:string" minOccurs="0"/>
          <xs:element name="valueDecimal" type="xs:decimal" minOccurs="0"/>
          <xs:element name="valueDateTime" type="xs:dateTime"
              minOccurs="0"/>
        </xs:sequence>
      </xs:complexType>
      <xs:complexType name="event">
        <xs:sequence>
          <xs:element name="clientOrderNr" type="xs:string" minOccurs="0"/>
          <xs:element name="clientParcelNr" type="xs:string" minOccurs="0"/>
          <xs:element name="dpdOrderNr" type="xs:string" minOccurs="0"/>
          <xs:element name="dpdParcelNr" type="xs:string" minOccurs="0"/>
          <xs:element name="eventNumber" type="xs:string" minOccurs="0"/>
          <xs:element name="eventCode" type="xs:string" minOccurs="0"/>
          <xs:element name="eventName" type="xs:string" minOccurs="0"/>
          <xs:element name="reasonCode" type="xs:string" minOccurs="0"/>
          <xs:element name="reasonName" type="xs:string" minOccurs="0"/>
          <xs:element name="eventDate" type="xs:dateTime" minOccurs="0"/>
          <xs:element name="parameter" type="tns:parameter" minOccurs="0"
              maxOccurs="unbounded"/>
        </xs:sequence>
      </xs:complexType>
      <xs:complexType name="eventTrackingResponse">
        <xs:sequence>
          <xs:element name="docId" type="xs:long"/>
          <xs:element name="docDate" type="xs:dateTime" minOccurs="0"/>
          <xs:element name="clientNumber" type="xs:long" minOccurs="0"/>
          <xs:element name="resultComplete" type="xs:boolean"/>
          <xs:element name="event" type="tns:event" minOccurs="0"
              maxOccurs="unbounded"/>
        </xs:sequence>
      </xs:complexType>
      <xs:complexType name="confirmRequest">
        <xs:sequence>
          <xs:element name="auth" type="tns:auth"/>
          <xs:element name="docId" type="xs:long"/>
        </xs:sequence>
      </xs:complexType>
      <xs:element name="getEvents">
        <xs:complexType><xs:sequence>
          <xs:element name="request" type="tns:eventsRequest"/>
        </xs:sequence></xs:complexType>
      </xs:element>
      <xs:element name="getEventsResponse">
        <xs:complexType><xs:sequence>
          <xs:element name="return" type="tns:eventTrackingResponse"/>
        </xs:sequence></xs:complexType>
      </xs:element>
      <xs:element name="confirm">
        <xs:complexType><xs:sequence>
          <xs:element name="request" type="tns:confirmRequest"/>
        </xs:sequence></xs:complexType>
      </xs:element>
      <xs:element name="confirmResponse">
        <xs:complexType><xs:sequence>
          <xs:element name="return" type="xs:string"/>
        </xs:sequence></xs:complexType>
      </xs:element>'''

SERVICES = {
    'partnership': (PARTNERSHIP, 'DPDPartnership', PARTNERSHIP_TYPES,
        ['getPointList', 'getOrderListDelivery']),
    'event-tracking': (EVENTS, 'EventTracking', EVENTS_TYPES,
        ['getEvents', 'confirm']),
    }


def wsdl(service, address):
    ns, port, types, operations = SERVICES[service]
    return WSDL.format(ns=ns, name=service, port=port, types=types,
        address=address,
        messages='\n'.join(
            f'  <message name="{o}"><part name="parameters" '
            f'element="tns:{o}"/></message>\n'
            f'  <message name="{o}Response"><part name="parameters" '
            f'element="tns:{o}Response"/></message>' for o in operations),
        operations='\n'.join(
            f'    <operation name="{o}"><input message="tns:{o}"/>'
            f'<output message="tns:{o}Response"/>'
            f'<fault name="WSFault" message="tns:WSFault"/></operation>'
            for o in operations),
        bindings='\n'.join(
            f'    <operation name="{o}"><soap:operation soapAction=""/>'
            '<input><soap:body use="literal"/></input>'
            '<output><soap:body use="literal"/></output>'
            '<fault name="WSFault"><soap:fault name="WSFault" '
            'use="literal"/></fault></operation>' for o in operations))


def _xml(tag, value):
    if isinstance(value, list):
        return ''.join(_xml(tag, v) for v in value)
    if isinstance(value, dict):
        return f'<{tag}>' + ''.join(
            _xml(k, v) for k, v in value.items() if v is not None
            ) + f'</{tag}>'
    if isinstance(value, bool):
        value = 'true' if value else 'false'
    return f'<{tag}>{escape(str(value))}</{tag}>'


class Handler(stand_in.Handler):

    def service(self):
        return self.path.split('?')[0].rsplit('/', 1)[-1]

    def do_GET(self):
        if self.service() not in SERVICES:
            return self.reply(404, b'not found', 'text/plain')
        address = self.supplier.url + self.service()
        self.reply(200, wsdl(self.service(), address).encode(),
            'text/xml; charset=utf-8')

    def do_POST(self):
        server = self.supplier
        body = self.read_body()
        self.pause()
        if self.throttled():
            return
        request = etree.fromstring(body).find(f'{{{SOAP}}}Body')[0]
        operation = etree.QName(request).localname
        ns = etree.QName(request).namespace
        server.journal.append((operation, None))
        auth = request.find('.//auth')
        user = auth.findtext('partnerCode') or auth.findtext('clientNumber')
        if (auth.findtext('clientKey') != server.key
                or user not in {server.partner, server.client_number}):
            return self.fault(ns, 'Server', "Ошибка авторизации "
                "(authentication failed)", 'no-auth')
        answer = getattr(server, operation)(request)
        if isinstance(answer, str):
            return self.fault(ns, 'Server', answer, 'error')
        self.envelope(200, f'<ns:{operation}Response xmlns:ns="{ns}">'
            + _xml('return', answer)
            + f'</ns:{operation}Response>')

    def fault(self, ns, code, message, detail_code):
        self.envelope(500, '<soap:Fault>'
            f'<faultcode>soap:{code}</faultcode>'
            f'<faultstring>{escape(message)}</faultstring>'
            f'<detail><ns:WSFault xmlns:ns="{ns}">'
            f'<code>{detail_code}</code>'
            f'<message>{escape(message)}</message>'
            '</ns:WSFault></detail></soap:Fault>')

    def envelope(self, status, content):
        body = ('<?xml version="1.0" encoding="UTF-8"?>'
            f'<soap:Envelope xmlns:soap="{SOAP}"><soap:Body>'
            f'{content}</soap:Body></soap:Envelope>').encode()
        if self.supplier.truncate:
            body = body[:len(body) * 2 // 3]
        self.reply(status, body, 'text/xml; charset=utf-8')


class DPDServer(stand_in.LocalServer):
    Handler = Handler
    path = '/services/'

    def __init__(self, partner='PVZ77', client_number='1001027795',
            key='DPD-KEY-SECRET'):
        super().__init__()
        self.partner, self.client_number, self.key = (
            partner, client_number, key)
        self.points = [{'stationNum': '77001', 'pointCode': 'M77',
                'pointName': "ПВЗ Тестовая"}]
        # stationNum -> [order dict as in the WSDL]
        self.orders = {}
        # documents of events, the first unconfirmed one is served
        self.documents = []
        # DPD's 429 asks for a minute
        self.retry_after = '60'
        self.fail_events = False
        # what happened, in order: (operation, detail); tests add theirs
        self.journal = []
        self.confirmed = []

    def add_document(self, events, complete=True):
        doc_id = 900 + len(self.documents) + len(self.confirmed) + 1
        self.documents.append({'docId': doc_id,
                'docDate': '2026-11-20T12:00:00',
                'clientNumber': self.client_number,
                'resultComplete': complete, 'event': events})
        return doc_id

    # operations: the value of <return>, or a fault message

    def getPointList(self, request):
        return self.points

    def getOrderListDelivery(self, request):
        station = request.findtext('request/stationNum')
        if station not in {p['stationNum'] for p in self.points}:
            return f"Неизвестный пункт {station}"
        return self.orders.get(station, [])

    def getEvents(self, request):
        if self.fail_events:
            return "Внутренняя ошибка сервиса"
        if not self.documents:
            return {'docId': 0, 'resultComplete': True}
        return self.documents[0]

    def confirm(self, request):
        doc_id = int(request.findtext('request/docId'))
        self.journal[-1] = ('confirm', doc_id)
        if self.documents and self.documents[0]['docId'] == doc_id:
            self.documents.pop(0)
            self.confirmed.append(doc_id)
        return 'OK'


def order(number, parcels, **values):
    return dict({'dpdOrderNum': number, 'clientOrderNum': f'SHOP-{number}',
            'consignor': "ООО Ромашка", 'receiverName': "Смирнов Олег",
            'receiverPhone': '89031234567', 'sumNpp': '2490.50',
            'cargoValue': '3000.00', 'weight': '2.5',
            'parcelNum': parcels}, **values)


def event(order_number, code, name, date='2026-11-20T11:00:00', **values):
    return dict({'clientOrderNr': f'SHOP-{order_number}',
            'dpdOrderNr': order_number, 'eventNumber': '1',
            'eventCode': code, 'eventName': name, 'eventDate': date},
        **values)
