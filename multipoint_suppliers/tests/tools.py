"Fixtures of the supplier tests (real ORM, files built as suppliers do)"
import csv
import io

from trytond.pool import Pool

from .. import builders
from ..connector import Connector, ParcelData, PlaceData, register

HEADERS = [
    "Номер заказа", "ШК места", "ФИО получателя", "Телефон",
    "Наложенный платёж", "Стоимость доставки", "Объявленная ценность",
    "Вес, кг"]


def rows(n, start=1, prefix='A', cod='1590.00'):
    "n one-place orders"
    return [[f'{prefix}-{i}', f'20000{i:08d}', f"Получатель {i}",
            f'8 (916) {i % 1000:03d}-{i % 100:02d}-{i % 97:02d}', cod,
            '199.00', '1500.00', '1.25']
        for i in range(start, start + n)]


def csv_bytes(table, headers=HEADERS, delimiter=';', encoding='utf-8'):
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator='\r\n')
    writer.writerow(headers)
    writer.writerows(table)
    return out.getvalue().encode(encoding)


def xlsx_bytes(table, headers=HEADERS):
    "An XLSX the way spreadsheets store it: numbers as numbers"
    import xlsxwriter
    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(out, {'in_memory': True})
    sheet = workbook.add_worksheet("Реестр")
    sheet.write_row(0, 0, headers)
    for r, row in enumerate(table, 1):
        for c, value in enumerate(row):
            try:
                value = float(value.replace(',', '.'))
            except ValueError:
                pass
            sheet.write(r, c, value)
    workbook.close()
    return out.getvalue()


def create_account(company, supplier, points, connector='file', **values):
    """An account of supplier serving points given as {point: code}"""
    field = Pool().get('multipoint.supplier.account')._fields['connector']
    if connector not in dict(field.selection):
        # connectors registered by the tests after the pool was set up
        field.selection.append((connector, connector))
    return builders.create_account(
        company, supplier, points, connector=connector, **values)


@register
class MemoryConnector(Connector):
    """A supplier system held in memory: pages of inbound parcels per
    point code, read from a cursor that is the index of the next page"""
    name = 'test_memory'
    string = "Test Memory"
    capabilities = frozenset({'fetch_inbound', 'lookup'})
    pages = {}
    calls = []
    fail_with = None

    def fetch_inbound(self, point_code, cursor=None):
        self.calls.append((point_code, cursor))
        if self.fail_with:
            raise self.fail_with
        index = int(cursor or 0)
        pages = self.pages.get(point_code, [])
        if index >= len(pages):
            return [], cursor
        return list(pages[index]), str(index + 1)

    def lookup(self, number):
        for pages in self.pages.values():
            for page in pages:
                for parcel in page:
                    if parcel.order_number == number:
                        return parcel


def run_sync(account):
    "Queue one sync of account and run it as the worker does; its log"
    SyncLog = Pool().get('multipoint.supplier.sync.log')
    log, = SyncLog.queue_syncs([account])
    SyncLog.run_sync([log])
    return SyncLog(log.id)


def parcel_data(number, **values):
    return ParcelData(**dict({
                'order_number': number,
                'recipient_name': "Сидоров Пётр",
                'recipient_phone': '+7 903 111-22-33',
                'places': [PlaceData(f'{number}-1')],
                }, **values))
