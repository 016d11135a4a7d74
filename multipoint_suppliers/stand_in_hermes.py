"""A local stand-in for Hermes' partner ParcelShop API (REST over WCF): POST
JSON bodies, HTTP Basic auth, answers with a UTF-8 BOM, ErrorCode and
ErrorSystemName, NextRequestDateFrom paging. Behaviours for the tests:
sleep, 429 with Retry-After, a truncated body.

Not used by the module itself: the Hermes connector's tests and the
connector sync of scripts/bench_import.py run against it (outside the tests
package, so that the scripts import no test code)."""
import base64
import datetime as dt
import json

from . import stand_in

BASE = '/ps/restservice.svc/rest'


class Handler(stand_in.Handler):

    def do_POST(self):
        server = self.supplier
        body = self.read_body()
        operation = self.path[len(BASE) + 1:]
        server.requests.append((operation, body))
        self.pause()
        if self.throttled():
            return
        expected = 'Basic ' + base64.b64encode(
            f'{server.login}:{server.password}'.encode()).decode()
        if self.headers.get('Authorization') != expected:
            # WCF's own page, not JSON
            self.reply(401, b'<html><body>Access is denied.'
                b'</body></html>', 'text/html')
            return
        try:
            request = json.loads(body)
        except ValueError:
            self.json(400, {'ErrorCode': 28,
                    'ErrorSystemName': 'Deserialization'})
            return
        if operation == 'GetParcels':
            self.json(200, server.get_parcels(request))
        elif operation == 'SendParcelStatuses':
            self.json(200, server.send_statuses(request))
        else:
            self.reply(404, b'Endpoint not found.', 'text/html')

    def encode(self, data):
        # Hermes starts its answers with a UTF-8 BOM
        return b'\xef\xbb\xbf' + super().encode(data)


class HermesServer(stand_in.LocalServer):
    Handler = Handler
    path = BASE

    def __init__(self, login='pvz-login', password='pvz-secret'):
        super().__init__()
        self.login, self.password = login, password
        # point code -> [parcel record, ...] in the order Hermes plans them
        self.parcels = {}
        self.page_size = 100
        # barcode -> (ErrorCode, ErrorSystemName) for SendParcelStatuses
        self.status_errors = {}
        self.requests = []
        self.statuses = []

    def get_parcels(self, request):
        if not request.get('dateFrom'):
            return {'ErrorCode': 21, 'ErrorSystemName': 'Required'}

        # a record that is not an object (a broken one) is always sent
        def planned(record):
            return record['_planned'] if isinstance(record, dict) else ''
        records = [r for code in request.get('partnerPointCodes') or []
            for r in self.parcels.get(code, [])
            if not planned(r) or planned(r) >= request['dateFrom'][:19]]
        records.sort(key=planned)
        page = records[:self.page_size]
        more = records[self.page_size:]
        data = {'ErrorCode': 0, 'ErrorSystemName': 'Success',
            'Parcels': [{k: v for k, v in r.items() if k != '_planned'}
                if isinstance(r, dict) else r for r in page]}
        if more:
            data['NextRequestDateFrom'] = more[0]['_planned']
        elif any(map(planned, page)):
            # just after the last one sent
            last = dt.datetime.fromisoformat(max(map(planned, page)))
            data['NextRequestDateFrom'] = (
                last + dt.timedelta(seconds=1)).isoformat()
        return data

    def send_statuses(self, request):
        results = []
        for item in request.get('ParcelStatusData') or []:
            barcode = item.get('ParcelBarcode')
            code, name = self.status_errors.get(barcode, (0, 'Success'))
            if not code:
                self.statuses.append((barcode, item['Statuses']))
            results.append({'ParcelBarcode': barcode, 'ErrorCode': code,
                    'ErrorSystemName': name})
        return {'ErrorCode': 0, 'ErrorSystemName': 'Success',
            'ParcelStatusResults': results}


def parcel(number, barcode, planned, point='PS-1', cod='1590.00',
        phone='+79161234567', **values):
    "A GetParcels record as the connector documents it"
    return dict({
            '_planned': planned,
            'ClientOrderNumber': number,
            'ParcelBarcode': barcode,
            'PartnerPointCode': point,
            'Recipient': {'FullName': "Иванова Анна", 'Phone': phone},
            'CodAmount': cod,
            'Weight': 1.2,
            }, **values)
