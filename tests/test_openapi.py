"""openapi.yaml documents exactly the operator API and supplier API routes
trytond serves"""
import pathlib
import re

import yaml

import trytond.modules.multipoint_core.routes  # noqa: F401 registers routes
import trytond.modules.multipoint_pos.routes  # noqa: F401
import trytond.modules.multipoint_tickets.routes  # noqa: F401
import trytond.modules.multipoint_suppliers.supplier_api  # noqa: F401
from trytond.wsgi import app

ROOT = pathlib.Path(__file__).resolve().parent.parent
PREFIX = '/<database_name>/multipoint/api/v1'
SUPPLIER_PREFIX = '/<database_name>/multipoint/supplier-api/v1'
# the operations of the supplier API (their own servers) carry this tag
SUPPLIER_TAG = 'supplier API'
METHODS = {'get', 'put', 'post', 'delete', 'patch'}


def served_operations(prefix=PREFIX):
    operations = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(prefix):
            continue
        path = re.sub(r'<(?:\w+:)?\w+>', '{}', rule.rule[len(prefix):])
        for method in rule.methods - {'HEAD', 'OPTIONS'}:
            operations.add((path, method.lower()))
    return operations


def documented_operations(supplier=False):
    spec = yaml.safe_load((ROOT / 'openapi.yaml').read_text())
    # parameter names may differ between the spec and the code
    return {(re.sub(r'\{\w+\}', '{}', path), method)
        for path, item in spec['paths'].items()
        for method, operation in item.items()
        if method in METHODS
        and (SUPPLIER_TAG in operation.get('tags', [])) == supplier}


def test_openapi_matches_routes():
    served = served_operations()
    assert served, "no operator API route is registered"
    assert documented_operations() == served


def test_openapi_matches_supplier_routes():
    served = served_operations(SUPPLIER_PREFIX)
    assert served, "no supplier API route is registered"
    assert documented_operations(supplier=True) == served
