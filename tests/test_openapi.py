"""openapi.yaml documents exactly the operator API, supplier API and
supplier portal routes trytond serves"""
import pathlib
import re

import yaml

# importing the modules registers their routes
import trytond.modules.multipoint_core  # noqa: F401
import trytond.modules.multipoint_pos  # noqa: F401
import trytond.modules.multipoint_tickets  # noqa: F401
import trytond.modules.multipoint_suppliers  # noqa: F401
import trytond.modules.multipoint_portal  # noqa: F401
from trytond.wsgi import app

ROOT = pathlib.Path(__file__).resolve().parent.parent
PREFIX = '/<database_name>/multipoint/api/v1'
SUPPLIER_PREFIX = '/<database_name>/multipoint/supplier-api/v1'
PORTAL_PREFIX = '/<database_name>/multipoint/portal'
# the operations of the supplier API and of the portal (their own servers)
# carry these tags
SUPPLIER_TAG = 'supplier API'
PORTAL_TAG = 'supplier portal'
METHODS = {'get', 'put', 'post', 'delete', 'patch'}


def served_operations(prefix=PREFIX):
    operations = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(prefix):
            continue
        path = re.sub(r'<[^>]+>', '{}', rule.rule[len(prefix):])
        if prefix == PORTAL_PREFIX and not path.startswith('/api/'):
            continue  # the page and its files
        for method in rule.methods - {'HEAD', 'OPTIONS'}:
            operations.add((path, method.lower()))
    return operations


def documented_operations(tag=None):
    spec = yaml.safe_load((ROOT / 'openapi.yaml').read_text())
    tags = {SUPPLIER_TAG, PORTAL_TAG}
    # parameter names may differ between the spec and the code
    return {(re.sub(r'\{\w+\}', '{}', path), method)
        for path, item in spec['paths'].items()
        for method, operation in item.items()
        if method in METHODS
        and (tag in operation.get('tags', []) if tag
            else not tags & set(operation.get('tags', [])))}


def test_openapi_matches_routes():
    served = served_operations()
    assert served, "no operator API route is registered"
    assert documented_operations() == served


def test_openapi_matches_supplier_routes():
    served = served_operations(SUPPLIER_PREFIX)
    assert served, "no supplier API route is registered"
    assert documented_operations(SUPPLIER_TAG) == served


def test_openapi_matches_portal_routes():
    served = served_operations(PORTAL_PREFIX)
    assert served, "no portal route is registered"
    assert documented_operations(PORTAL_TAG) == served


def test_every_route_has_its_operation():
    "The validation layer finds the operation of every API route"
    from trytond.modules.multipoint_core.api import OPERATIONS, _normalize
    for prefix in [PREFIX, SUPPLIER_PREFIX, PORTAL_PREFIX]:
        for path, method in served_operations(prefix):
            key = _normalize(prefix[len('/<database_name>'):] + path)
            assert (key, method.upper()) in OPERATIONS, (key, method)
