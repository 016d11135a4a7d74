"""Suppliers without an API send manifest files (CSV or XLSX) and get a
status report file back: 4Biz/My-Shop, ECP-Logistics, IML's historic files
and every local shop."""
import csv
import io

from .connector import Connector, register
from .manifest import COLUMNS, parse


@register
class FileConnector(Connector):
    name = 'file'
    string = "Manifest Files (CSV, XLSX)"
    capabilities = frozenset({'import_manifest', 'export_report'})

    def import_manifest(self, data, filename=None):
        return parse(data, self.account.aliases())

    def export_report(self, events):
        """A CSV of the events (parcel.event records): barcode of the first
        place, order number, event, date, state"""
        out = io.StringIO()
        writer = csv.writer(out, delimiter=';')
        writer.writerow([
                'order_number', 'barcode', 'event', 'event_at', 'state'])
        for event in events:
            parcel = event.parcel
            writer.writerow([
                    parcel.order_number,
                    parcel.places[0].barcode if parcel.places else '',
                    event.to_state or event.kind,
                    event.date.strftime('%Y-%m-%dT%H:%M:%S'),
                    parcel.state])
        return 'report.csv', ('\ufeff' + out.getvalue()).encode('utf-8')


def template_headers(aliases):
    "The header of each column in a template: the account's own first"
    return [(key, required, aliases[key][0]) for key, required, _ in COLUMNS]
