"""Builders of a supplier's account through the models, shared by the module
test suites and the benchmark scripts (scripts/demo/fixtures.py), which
import no test package; the module itself does not import this file."""
from trytond.pool import Pool


def create_account(company, supplier, points, connector='file', **values):
    "An account of supplier serving points given as {point: code}"
    Account = Pool().get('multipoint.supplier.account')
    account, = Account.create([dict({
                    'name': f"{supplier.name} ({connector})",
                    'company': company.id,
                    'supplier': supplier.id,
                    'connector': connector,
                    'points': [('create', [
                                {'point': p.id, 'supplier_code': code}
                                for p, code in points.items()])],
                    }, **values)])
    return account
