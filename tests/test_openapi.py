"openapi.yaml documents exactly the operator API routes trytond serves"
import pathlib
import re

import yaml

import trytond.modules.multipoint_core.routes  # noqa: F401 registers routes
import trytond.modules.multipoint_pos.routes  # noqa: F401
from trytond.wsgi import app

ROOT = pathlib.Path(__file__).resolve().parent.parent
PREFIX = '/<database_name>/multipoint/api/v1'


def served_operations():
    operations = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX):
            continue
        path = re.sub(r'<(?:\w+:)?\w+>', '{}', rule.rule[len(PREFIX):])
        for method in rule.methods - {'HEAD', 'OPTIONS'}:
            operations.add((path, method.lower()))
    return operations


def documented_operations():
    spec = yaml.safe_load((ROOT / 'openapi.yaml').read_text())
    # parameter names may differ between the spec and the code
    return {(re.sub(r'\{\w+\}', '{}', path), method)
        for path, item in spec['paths'].items() for method in item}


def test_openapi_matches_routes():
    served = served_operations()
    assert served, "no operator API route is registered"
    assert documented_operations() == served
