"""The supplier portal as make faults drives it: login, accounts and the
manifest upload (POST /<db>/multipoint/portal/api/imports), the same
requests the portal's page sends."""
import csv
import io

import requests

# the demo's portal user (scripts/demo/portal.py PORTAL_USERS): the shop
# «Лавка Марии», whose file account serves MSK-01
PORTAL_LOGIN = ('lavka@portal.example', 'Postavshik#2026')
HEADERS = [
    "Номер заказа", "ШК места", "ФИО получателя", "Телефон",
    "Наложенный платёж", "Стоимость доставки", "Предоплачен",
    "Номер накладной"]


class Portal:

    def __init__(self, server, login=PORTAL_LOGIN):
        self.base = f'{server.base}/{server.db.name}/multipoint/portal/api'
        self.session = requests.Session()
        self.session.headers['X-Requested-With'] = 'XMLHttpRequest'
        response = self.session.post(f'{self.base}/login', json={
                'email': login[0], 'password': login[1]}, timeout=60)
        if response.status_code != 200:
            raise SystemExit(f"portal login of {login[0]} failed: "
                f"{response.status_code} {response.text[:300]}")
        self.session.headers['X-CSRF-Token'] = response.json()['csrf']

    def account_point(self, point_code):
        "(account id, point id) of the file account serving point_code"
        response = self.session.get(f'{self.base}/accounts', timeout=60)
        response.raise_for_status()
        for account in response.json()['accounts']:
            for point in account['points']:
                if point['code'] == point_code:
                    return account['id'], point['id']
        raise SystemExit(f"no portal account serves {point_code}")

    def upload(self, account, point, data, file_name, timeout=1800):
        "POST /imports of a manifest file; the requests response"
        return self.session.post(f'{self.base}/imports', data={
                'account': str(account), 'point': str(point)},
            files={'file': (file_name, data, 'text/csv')}, timeout=timeout)

    def get_import(self, log_id):
        "GET /imports/<id>: the import's log (state, counts)"
        response = self.session.get(f'{self.base}/imports/{log_id}',
            timeout=60)
        response.raise_for_status()
        return response.json()


def prepaid_manifest(prefix, n, manifest):
    """CSV bytes of n prepaid one-place parcels with nothing to pay (issued
    with the code alone); order numbers <prefix>-00001…"""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=';', lineterminator='\r\n')
    writer.writerow(HEADERS)
    for i in range(1, n + 1):
        writer.writerow([f'{prefix}-{i:05d}', f'{prefix}{i:09d}',
                f"Получатель Отказов {i}",
                f'+7 916 {i % 1000:03d}-{i % 100:02d}-{i % 97:02d}',
                '0', '0', 'да', manifest])
    return out.getvalue().encode('utf-8')
