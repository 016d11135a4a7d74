"""The supplier portal (/<database>/multipoint/portal/): its web user and
the manifest-file account of the user's supplier"""
from .suppliers import SUPPLIERS


# the supplier portal (/<database>/multipoint/portal/): e-mail, password,
# supplier key; the shop sends manifest files, so it gets a file account
PORTAL_USERS = [
    ('lavka@portal.example', 'Postavshik#2026', 'shop'),
    ]


def supplier_portal(pool, company, points, suppliers):
    """A web user of the portal per PORTAL_USERS and a manifest-file account
    of its supplier at the supplier's points; only what is missing"""
    Account = pool.get('multipoint.supplier.account')
    WebUser = pool.get('web.user')
    info = {s['key']: s for s in SUPPLIERS}
    for email, password, key in PORTAL_USERS:
        supplier = suppliers.get(key)
        if supplier is None:
            continue
        codes = [c for c in info[key].get('points', points) if c in points]
        if not Account.search([('supplier', '=', supplier.id)], limit=1):
            Account.create([{
                        'name': f"{supplier.name} (файлы)",
                        'company': company.id,
                        'supplier': supplier.id,
                        'connector': 'file',
                        'points': [('create', [{
                                        'point': points[c].id,
                                        'supplier_code': c,
                                        } for c in codes])],
                        }])
        if not WebUser.search([('email', '=', email)], limit=1):
            WebUser.create([{
                        'email': email,
                        'password': password,
                        'party': supplier.id,
                        'multipoint_supplier': supplier.id,
                        }])
