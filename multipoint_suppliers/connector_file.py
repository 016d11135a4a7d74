"""Suppliers without an API send manifest files (CSV or XLSX) and get a
status report file back: 4Biz/My-Shop, ECP-Logistics, IML's historic files
and every local shop."""
import csv
import io

from trytond.i18n import gettext
from trytond.pool import Pool

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
        """A CSV (UTF-8 with BOM, ';': opens as is in Excel) of the outbox
        messages events, one line each, in the order they happened"""
        out = io.StringIO()
        writer = csv.writer(out, delimiter=';', lineterminator='\r\n')
        writer.writerow([gettext('multipoint_suppliers.msg_report_' + c)
                for c in REPORT_COLUMNS])
        kinds = selection_names('multipoint.supplier.outbox', 'kind')
        methods = selection_names(
            'sale.point.payment.method', 'multipoint_kind')
        for event in events:
            amounts = event.get('amounts') or {}
            writer.writerow([
                    event['order_number'],
                    kinds.get(event['kind'], event['kind']),
                    event['date'],
                    event.get('point_code') or '',
                    amounts.get('total', ''),
                    ', '.join(
                        f"{methods.get(p['type'], p['type'])} {p['amount']}"
                        for p in event.get('payments') or []),
                    '; '.join(f"{i.get('article') or i['name']}: "
                        f"{i['issued']}/{i['quantity']}"
                        for i in event.get('items') or []),
                    event.get('reason') or event.get('barcode') or '',
                    event['key'],
                    ])
        return 'statuses.csv', ('\ufeff' + out.getvalue()).encode('utf-8')


# the columns of a status report, headed by msg_report_<column>
REPORT_COLUMNS = ['order', 'event', 'date', 'point', 'amount', 'payments',
    'items', 'detail', 'key']


def selection_names(model, field):
    "{value: name in the user's language} of a selection field"
    Model = Pool().get(model)
    return dict(Model.fields_get([field])[field]['selection'])


def template_headers(aliases):
    "The header of each column in a template: the account's own first"
    return [(key, required, aliases[key][0]) for key, required, _ in COLUMNS]
