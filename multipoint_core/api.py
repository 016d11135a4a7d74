"""The toolkit of Multipoint's three HTTP APIs: reading requests, JSON
answers and errors, validation against openapi.yaml.

- the operator JSON API, /<database>/multipoint/api/v1/... (operator_api
  below: the Tryton session's user, access rights and record rules; the
  desk's shared request reading and JSON shapes are in api_desk.py);
- the supplier portal, /<database>/multipoint/portal/... (portal_route in
  multipoint_portal.api_portal: a web_user session);
- the supplier JSON API, /<database>/multipoint/supplier-api/v1/...
  (supplier_api in multipoint_suppliers.api_supplier: an application key).

The route files (routes_<area>.py) hold the routes only; what they share
is here and in the api_<part>.py files: api_desk.py (the operator desk),
multipoint_pos' api_pos.py (the workplace), multipoint_portal's
api_portal.py (the portal) and multipoint_suppliers' api_supplier.py (the
supplier API).

Each API's wrapper keeps its own authentication and hands the rest to
`guard` (outside any transaction) and `answer` (inside it):

1. An unknown database name answers JSON 404 at once, before trytond opens
   a connection pool to it (which on PostgreSQL waits 30 s and keeps
   retrying in the background). Every endpoint declares its request size,
   so trytond never reads a session for the database name before that.
2. The request is checked against its operation in openapi.yaml BEFORE
   any work: path parameters (ids are positive 32-bit integers: anything
   else is 404), query parameters, the JSON body (or the fields of a
   multipart form); NUL bytes in any string are refused whatever the
   schema. A refusal is {"error": {"code": "bad_request", "message": ...}}
   with a Russian message naming the field (422 on the operator API and
   the portal, 400 on the supplier API, as each API documents).
3. Errors raised by the route become JSON: NotFoundError 404, AccessError
   403, UserError 422 (its api_code), ApiError its own status, an
   integrity error 409 conflict; nothing of a refused request is kept.
4. Lock contention that outlasts with_transaction's retries (and a full
   connection pool) answers 409 "busy" with a Russian "try again".
5. Unknown paths and methods under the API prefixes answer JSON 404 / 405
   (install() wraps the app's dispatch for those prefixes only), and a
   failure nobody expected is logged and answered JSON 500: never HTML,
   never a traceback.

Validator: jsonschema (the reference implementation of JSON Schema for
Python, maintained, used by most OpenAPI tools; hypothesis-jsonschema, which
the fuzz test generates requests with, builds on it). OpenAPI 3.0's schema
objects are a dialect of JSON Schema: the spec's schemas are converted once,
at import, to draft 7 — `$ref`s inlined, `nullable: true` turned into a
"null" type, OpenAPI-only keywords dropped, and every integer without bounds
bounded to PostgreSQL's 32-bit integer (ids and quantities are int4) — and
checked with Draft7Validator plus format checks of our own (date,
date-time, byte). The converted schemas are what the fuzz test generates
from, so the generator and the validator read the same document.
openapi-schema-validator would handle `nullable` natively but adds a
package for one keyword and gives no schema the generator can use.
"""
import base64
import binascii
import copy
import datetime as dt
import json
import logging
import os
import re
import threading
import time
import urllib.parse
from decimal import Decimal
from functools import lru_cache, wraps
from http import HTTPStatus

import jsonschema
import yaml
from werkzeug.exceptions import HTTPException

from trytond import backend, config
from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.protocols.wrappers import Response, with_transaction
from trytond.transaction import Transaction, TransactionError, check_access
from trytond.wsgi import app

from .exceptions import NotFoundError, RequestError

__all__ = [
    'json_response', 'error_response', 'error_code', 'request_json',
    'json_loads', 'download_response', 'file_response', 'asset_response',
    'operator_api', 'guard', 'answer',
    'validate_request', 'ApiError', 'InvalidRequest', 'exception_response',
    'SPEC', 'schema', 'MAX_ID', 'LANGUAGE', 'OPERATOR_PREFIX']

logger = logging.getLogger(__name__)

# Tryton's ids and integer columns are PostgreSQL int4
MAX_ID = 2 ** 31 - 1
# the language of the answers when no user's preference says otherwise:
# the APIs' users read Russian
LANGUAGE = 'ru'
# the rule of the operator API's routes
OPERATOR_PREFIX = '/<database_name>/multipoint/api/v1'
# the API prefixes (after /<database>) and how each names itself
APIS = {
    '/multipoint/api/v1': 'operator',
    '/multipoint/portal': 'portal',
    '/multipoint/supplier-api/v1': 'supplier',
    }
# the status of a request that does not match its schema, per API (each
# keeps what it documented before this layer)
INVALID_STATUS = {
    'operator': HTTPStatus.UNPROCESSABLE_ENTITY,
    'portal': HTTPStatus.UNPROCESSABLE_ENTITY,
    'supplier': HTTPStatus.BAD_REQUEST,
    }
# the API prefixes, any version
PREFIX_RE = re.compile(
    r'^/[^/]+/multipoint/(?:api|supplier-api|portal)(?:/|$)')
# Answers given outside any transaction (no database to translate them
# with: an unknown database, an unknown path, a busy database); the API's
# users read Russian
MESSAGES = {
    'database_unknown': "База данных «%(database)s» не найдена.",
    'not_found': "Адрес %(path)s не найден в API.",
    'method_not_allowed': (
        "Метод %(method)s не поддерживается по адресу %(path)s; "
        "допустимы: %(allowed)s."),
    'too_large': "Запрос слишком большой.",
    'busy': (
        "Сервер занят другими запросами к тем же данным; "
        "повторите запрос через несколько секунд."),
    'internal': "Внутренняя ошибка сервера; действие не выполнено.",
    'bad_request': "Неверный запрос.",
    'rate_limited': "Слишком много запросов; повторите позже.",
    'unauthorized': "Требуется вход в систему.",
    'forbidden': "Доступ запрещён.",
    }


# -- answers --------------------------------------------------------------

def json_response(data, status=HTTPStatus.OK):
    return Response(
        json.dumps(data, default=str, ensure_ascii=False), status=status,
        content_type='application/json')


def error_response(status, code, message, details=None):
    error = {'code': code, 'message': message}
    if details:
        error['details'] = details
    return json_response({'error': error}, status=status)


def download_response(name, data, content_type):
    "A file to save, never to show in the page (whatever it holds)"
    fallback = name.encode('ascii', 'replace').decode().replace('"', '_')
    response = Response(data, content_type=content_type)
    response.headers['Content-Disposition'] = (
        f'attachment; filename="{fallback}"; '
        f"filename*=UTF-8''{urllib.parse.quote(name)}")
    response.headers['X-Content-Type-Options'] = 'nosniff'
    response.headers['Cache-Control'] = 'no-store'
    return response


def file_response(path, content_type, headers=None):
    """A file of the pages (the browser asks whether it changed before
    using its copy, and never guesses another type), with headers"""
    with open(path, 'rb') as fp:
        response = Response(fp.read(), content_type=content_type)
    response.headers['Cache-Control'] = 'no-cache'
    response.headers['X-Content-Type-Options'] = 'nosniff'
    response.headers.update(headers or {})
    return response


def asset_response(folder, assets, name, headers=None):
    """The file name of folder when assets ({name: content type}) lists
    it, else JSON 404: nothing else of the folder is served"""
    content_type = assets.get(name)
    if content_type is None:
        return error_response(HTTPStatus.NOT_FOUND, 'not_found',
            "Файл не найден")
    return file_response(os.path.join(folder, name), content_type, headers)


def error_code(exception):
    return getattr(exception, 'api_code', 'invalid')


class ApiError(UserError):
    """An error answered with its own status and code (and details), for
    the routes whose answers are not the usual 422"""
    status = HTTPStatus.UNPROCESSABLE_ENTITY
    api_code = 'invalid'

    def __init__(self, message, details=None, status=None, code=None):
        super().__init__(message)
        self.details = details
        if status is not None:
            self.status = status
        if code is not None:
            self.api_code = code


class InvalidRequest(ApiError):
    "The request does not match its schema in openapi.yaml"
    api_code = 'bad_request'


def exception_response(exception, access_message=None):
    """The JSON answer of an exception raised by a route; unexpected ones
    are logged (with their traceback, never sent)"""
    if isinstance(exception, ApiError):
        return error_response(exception.status, exception.api_code,
            exception.message, exception.details)
    if isinstance(exception, AccessError):
        return error_response(HTTPStatus.FORBIDDEN, 'access_denied',
            access_message or exception.message)
    if isinstance(exception, NotFoundError):
        return error_response(HTTPStatus.NOT_FOUND, error_code(exception),
            exception.message)
    if isinstance(exception, UserError):
        return error_response(HTTPStatus.UNPROCESSABLE_ENTITY,
            error_code(exception), exception.message)
    if isinstance(exception, backend.DatabaseIntegrityError):
        # a concurrent request wrote the same unique value first
        return error_response(HTTPStatus.CONFLICT, 'conflict',
            gettext('multipoint_core.msg_api_conflict'))
    if isinstance(exception, HTTPException):
        return http_error_response(exception)
    logger.exception("API failure")
    return error_response(HTTPStatus.INTERNAL_SERVER_ERROR, 'internal',
        gettext('multipoint_core.msg_api_internal'))


def http_error_response(exception, request=None):
    "A werkzeug HTTP error (routing, request size...) as our JSON"
    status = exception.code or HTTPStatus.INTERNAL_SERVER_ERROR
    if status == HTTPStatus.METHOD_NOT_ALLOWED and not set(
            exception.valid_methods or []) - {'HEAD', 'OPTIONS'}:
        # only trytond's CORS pre-flight rule (/<path:path>) matched
        status = HTTPStatus.NOT_FOUND
    if status == HTTPStatus.NOT_FOUND and request is not None:
        return error_response(status, 'not_found',
            MESSAGES['not_found'] % {'path': request.path})
    if status == HTTPStatus.METHOD_NOT_ALLOWED:
        allowed = sorted(set(exception.valid_methods or []) - {
                'HEAD', 'OPTIONS'})
        response = error_response(status, 'method_not_allowed',
            MESSAGES['method_not_allowed'] % {
                'method': request.method if request is not None else '',
                'path': request.path if request is not None else '',
                'allowed': ', '.join(allowed) or '—',
                })
        response.headers['Allow'] = ', '.join(allowed)
        return response
    code, message = {
        HTTPStatus.NOT_FOUND: ('not_found', MESSAGES['not_found'] % {
                'path': ''}),
        HTTPStatus.REQUEST_ENTITY_TOO_LARGE: (
            'too_large', MESSAGES['too_large']),
        HTTPStatus.TOO_MANY_REQUESTS: (
            'rate_limited', MESSAGES['rate_limited']),
        HTTPStatus.UNAUTHORIZED: ('unauthorized', MESSAGES['unauthorized']),
        HTTPStatus.FORBIDDEN: ('forbidden', MESSAGES['forbidden']),
        HTTPStatus.SERVICE_UNAVAILABLE: ('busy', MESSAGES['busy']),
        }.get(status, (None, None))
    if status == HTTPStatus.SERVICE_UNAVAILABLE:
        # trytond's answer to a database error after the retries
        status = HTTPStatus.CONFLICT
    if code is None:
        if status >= 500:
            status, code, message = (HTTPStatus.INTERNAL_SERVER_ERROR,
                'internal', MESSAGES['internal'])
        else:
            code, message = 'bad_request', MESSAGES['bad_request']
    return error_response(status, code, message)


def busy_response():
    return error_response(HTTPStatus.CONFLICT, 'busy', MESSAGES['busy'])


# -- the OpenAPI document -------------------------------------------------

def _spec_path():
    here = os.path.dirname(os.path.abspath(__file__))
    for path in [os.environ.get('MULTIPOINT_OPENAPI'),
            os.path.join(here, 'openapi.yaml'),
            os.path.join(os.path.dirname(here), 'openapi.yaml')]:
        if path and os.path.isfile(path):
            return path
    raise FileNotFoundError('openapi.yaml')


def _load_spec():
    with open(_spec_path(), encoding='utf-8') as fp:
        return yaml.safe_load(fp)


SPEC = _load_spec()
OPENAPI_ONLY = {
    'nullable', 'discriminator', 'readOnly', 'writeOnly', 'xml',
    'externalDocs', 'example', 'deprecated', 'description', 'summary'}


def _resolve(ref):
    if not ref.startswith('#/'):
        raise ValueError(f'unsupported $ref {ref}')
    node = SPEC
    for part in ref[2:].split('/'):
        node = node[part]
    return node


def schema(openapi_schema, _seen=()):
    """The draft 7 JSON Schema of an OpenAPI 3.0 schema object: references
    inlined, nullable as a "null" type, integers bounded to int4"""
    if isinstance(openapi_schema, list):
        return [schema(s, _seen) for s in openapi_schema]
    if not isinstance(openapi_schema, dict):
        return openapi_schema
    if '$ref' in openapi_schema:
        ref = openapi_schema['$ref']
        if ref in _seen:
            raise ValueError(f'recursive $ref {ref}')
        return schema(_resolve(ref), _seen + (ref,))
    result = {}
    for key, value in openapi_schema.items():
        if key in OPENAPI_ONLY or key.startswith('x-'):
            continue
        if key in {'properties', 'patternProperties'}:
            result[key] = {k: schema(v, _seen) for k, v in value.items()}
        elif key in {'items', 'additionalProperties', 'not', 'allOf',
                'anyOf', 'oneOf'}:
            result[key] = schema(value, _seen)
        else:
            result[key] = copy.deepcopy(value)
    # draft 4 / OpenAPI 3.0 booleans to the draft 7 numbers
    for bound, limit in [('exclusiveMinimum', 'minimum'),
            ('exclusiveMaximum', 'maximum')]:
        if isinstance(result.get(bound), bool):
            if result[bound] and limit in result:
                result[bound] = result.pop(limit)
            else:
                del result[bound]
    if result.get('type') == 'integer':
        if 'maximum' not in result and 'exclusiveMaximum' not in result:
            result['maximum'] = MAX_ID
        if 'minimum' not in result and 'exclusiveMinimum' not in result:
            result['minimum'] = -MAX_ID - 1
    if openapi_schema.get('nullable'):
        if 'type' in result:
            result['type'] = [result['type'], 'null']
            if 'enum' in result and None not in result['enum']:
                result['enum'] = result['enum'] + [None]
        else:
            result = {'anyOf': [{'type': 'null'}, result]}
    return result


def _check_date(value):
    if not isinstance(value, str):
        return True
    dt.date.fromisoformat(value)
    return True


def _check_datetime(value):
    if not isinstance(value, str):
        return True
    dt.datetime.fromisoformat(value.replace('Z', '+00:00'))
    return True


def _check_byte(value):
    if not isinstance(value, str):
        return True
    base64.b64decode(value, validate=True)
    return True


FORMATS = jsonschema.FormatChecker(formats=())
FORMATS.checks('date', raises=ValueError)(_check_date)
FORMATS.checks('date-time', raises=ValueError)(_check_datetime)
FORMATS.checks('byte', raises=(ValueError, binascii.Error))(_check_byte)


class Operation:
    "One operation of openapi.yaml and the validators of its inputs"

    def __init__(self, api, path, method, operation, path_item, base=''):
        self.api = api
        self.base = base
        self.path = path
        self.method = method
        self.spec = operation
        parameters = {}
        for parameter in (path_item.get('parameters', [])
                + operation.get('parameters', [])):
            if '$ref' in parameter:
                parameter = _resolve(parameter['$ref'])
            parameters[(parameter['in'], parameter['name'])] = parameter
        self.path_names = re.findall(r'\{(\w+)\}', path)
        self.path_parameters = [
            (name, self.validator(parameters[('path', name)]['schema']))
            for name in self.path_names]
        self.query_parameters = [
            (p['name'], p.get('required', False),
                self.validator(p['schema']))
            for (where, _), p in parameters.items() if where == 'query']
        self.body = self.form = None
        self.body_required = False
        # a route that validates the items of its body itself (their errors
        # are answered item by item)
        self.item_schema = operation.get('x-item-schema')
        body = operation.get('requestBody')
        if body:
            if '$ref' in body:
                body = _resolve(body['$ref'])
            self.body_required = body.get('required', False)
            content = body.get('content', {})
            if 'application/json' in content:
                self.body = self.validator(
                    content['application/json'].get('schema', {}))
            if 'multipart/form-data' in content:
                self.form = schema(
                    content['multipart/form-data'].get('schema', {}))

    @staticmethod
    def validator(openapi_schema):
        return jsonschema.Draft7Validator(
            schema(openapi_schema), format_checker=FORMATS)


def _normalize(rule):
    "A path template of the spec or a werkzeug rule, without its names"
    return re.sub(r'<[^>]+>|\{\w+\}', '{}', rule)


def _operations():
    operations = {}
    default = SPEC.get('servers', [{}])[0].get('url', '')
    for path, item in SPEC.get('paths', {}).items():
        server = (item.get('servers') or [{'url': default}])[0]['url']
        # http://host/<database>/multipoint/... : the part after the name
        base = '/' + '/'.join(
            re.sub(r'^\w+://[^/]+', '', server).strip('/').split('/')[1:])
        api = APIS.get(base)
        if api is None:
            raise ValueError(f'openapi.yaml: unknown server {server}')
        for method, operation in item.items():
            if method in {'get', 'post', 'put', 'patch', 'delete'}:
                operations[(_normalize(base + path), method.upper())] = (
                    Operation(api, path, method, operation, item, base))
    return operations


OPERATIONS = _operations()


# -- reading a request ----------------------------------------------------

def _reject_constant(name):
    raise ValueError(name)


def json_loads(data, parse_float=Decimal):
    "JSON without NaN/Infinity; ValueError for anything unreadable"
    try:
        return json.loads(data, parse_float=parse_float,
            parse_constant=_reject_constant)
    except (ValueError, RecursionError, UnicodeDecodeError, TypeError) as e:
        raise ValueError(str(e))


def request_json(request, parse_float=None):
    """The JSON object of the request body (parse_float=Decimal reads
    amounts exactly); RequestError when it is not one"""
    try:
        data = json_loads(request.data or b'{}', parse_float=parse_float)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise RequestError(gettext('multipoint_core.msg_api_bad_json'))
    return data


def _field(path):
    name = ''
    for part in path:
        if isinstance(part, int):
            name += f'[{part}]'
        else:
            name += ('.' if name else '') + str(part)
    return name


def _shown(value, length=40):
    text = value if isinstance(value, str) else json.dumps(
        value, default=str, ensure_ascii=False)
    return text if len(text) <= length else text[:length] + '…'


TYPE_MESSAGES = {
    'integer': 'msg_api_value_integer',
    'number': 'msg_api_value_number',
    'string': 'msg_api_value_string',
    'boolean': 'msg_api_value_boolean',
    'array': 'msg_api_value_array',
    'object': 'msg_api_value_object',
    }


def _message(error, prefix=()):
    "The Russian message of a jsonschema error"
    path = list(prefix) + list(error.absolute_path)
    field = _field(path)
    keyword = error.validator
    message = 'multipoint_core.%s'
    if keyword == 'required':
        missing = [p for p in error.validator_value
            if isinstance(error.instance, dict) and p not in error.instance]
        return gettext(message % 'msg_api_value_required',
            field=_field(path + missing[:1]))
    if not field:
        if keyword == 'type':
            return gettext('multipoint_core.msg_api_bad_json')
        if keyword == 'additionalProperties':
            unknown = sorted(set(error.instance) - set(
                    error.schema.get('properties', {})))
            return gettext(message % 'msg_api_value_unknown',
                field=', '.join(unknown))
        return gettext(message % 'msg_api_body_invalid')
    if keyword == 'type':
        expected = error.validator_value
        if isinstance(expected, list):
            expected = [t for t in expected if t != 'null'][0]
        return gettext(message % TYPE_MESSAGES.get(
                expected, 'msg_api_value_invalid'), field=field)
    if keyword in {'minimum', 'maximum', 'exclusiveMinimum',
            'exclusiveMaximum', 'multipleOf'}:
        return gettext(message % 'msg_api_value_range', field=field,
            value=_shown(error.instance))
    if keyword == 'maxLength':
        return gettext(message % 'msg_api_value_too_long', field=field,
            length=error.validator_value)
    if keyword == 'minLength':
        return gettext(message % 'msg_api_value_empty', field=field)
    if keyword in {'pattern', 'format'}:
        return gettext(message % 'msg_api_value_format', field=field,
            value=_shown(error.instance))
    if keyword == 'enum':
        return gettext(message % 'msg_api_value_choice', field=field,
            value=_shown(error.instance),
            choices=', '.join(str(c) for c in error.validator_value
                if c is not None))
    if keyword in {'maxItems', 'minItems'}:
        return gettext(message % 'msg_api_value_items', field=field)
    if keyword == 'additionalProperties':
        unknown = sorted(set(error.instance) - set(
                error.schema.get('properties', {})))
        return gettext(message % 'msg_api_value_unknown',
            field=', '.join(f'{field}.{u}' for u in unknown))
    return gettext(message % 'msg_api_value_invalid', field=field)


def schema_errors(validator, instance, prefix=()):
    "The Russian messages of what is wrong in instance, the worst first"
    errors = list(validator.iter_errors(instance))
    if not errors:
        return []
    best = jsonschema.exceptions.best_match(errors)
    others = [e for e in errors if e is not best]
    return [_message(e, prefix) for e in [best] + others]


def item_errors(schema_name, instance):
    "The messages of an item of a body checked by its route (x-item-schema)"
    validator = _item_validators.get(schema_name)
    if validator is None:
        validator = _item_validators[schema_name] = Operation.validator(
            {'$ref': f'#/components/schemas/{schema_name}'})
    return list(dict.fromkeys(schema_errors(validator, instance)))


_item_validators = {}


def _nul(value, path=()):
    "The path of the first string (or key) of value holding a NUL byte"
    if isinstance(value, str):
        return path if '\x00' in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and '\x00' in key:
                return path + (key.replace('\x00', '\\0'),)
            found = _nul(item, path + (key,))
            if found is not None:
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found = _nul(item, path + (i,))
            if found is not None:
                return found
    return None


def _coerce(value, validator):
    "A query or form value (a string) as the type its schema wants"
    wanted = validator.schema.get('type')
    if isinstance(wanted, list):
        wanted = [t for t in wanted if t != 'null'][0]
    try:
        if wanted == 'integer' and re.fullmatch(r'\s*[-+]?\d{1,30}\s*', value):
            return int(value)
        if wanted == 'number' and re.fullmatch(
                r'\s*[-+]?\d{1,30}(\.\d{1,30})?\s*', value):
            return Decimal(value)
        if wanted == 'boolean' and value.lower() in {
                'true', 'false', '1', '0'}:
            return value.lower() in {'true', '1'}
    except ValueError:
        pass
    return value


def find_operation(request):
    "The operation of openapi.yaml that trytond routed the request to"
    return _operation_of(request.path, request.method)


@lru_cache(maxsize=1024)
def _operation_of(path, method):
    "(operation, rule) of a path, kept: the routes are fixed at start-up"
    adapter = app.url_map.bind('localhost')
    try:
        rule, _ = adapter.match(path, method, return_rule=True)
    except HTTPException:
        return None
    key = re.sub(r'^/<database_name>', '', rule.rule)
    return OPERATIONS.get((_normalize(key), method)), rule


def validate_request(request, view_args=None):
    """Refuse a request that does not match its operation in openapi.yaml
    (InvalidRequest with a Russian message); check NUL bytes in any case"""
    found = find_operation(request)
    operation, rule = found if found else (None, None)
    api = operation.api if operation else 'operator'
    status = INVALID_STATUS[api]

    def fail(messages, status=status):
        raise InvalidRequest(' '.join(messages[:3]), status=status,
            code='not_found' if status == HTTPStatus.NOT_FOUND
            else 'bad_request')

    # query and form: NUL bytes whatever the schema says
    for source in [request.args] + (
            [request.form] if request.mimetype in {
                'multipart/form-data',
                'application/x-www-form-urlencoded'} else []):
        for name, value in source.items(multi=True):
            if '\x00' in name or '\x00' in value:
                fail([gettext('multipoint_core.msg_api_value_nul',
                            field=name.replace('\x00', '\\0'))])
    if operation is None:
        if rule is not None and PREFIX_RE.match(request.path):
            logger.warning("no operation in openapi.yaml for %s %s",
                request.method, rule.rule)
        return
    # path: positive ids, else "not found"
    view_args = view_args if view_args is not None else (
        request.view_args or {})
    rule_names = [a for a in re.findall(r'<(?:[^>:]+:)?(\w+)>', rule.rule)
        if a != 'database_name']
    for (name, validator), rule_name in zip(
            operation.path_parameters, rule_names):
        value = view_args.get(rule_name)
        if isinstance(value, str):
            if '\x00' in value:
                fail([gettext('multipoint_core.msg_api_value_nul',
                            field=name)], HTTPStatus.NOT_FOUND)
            value = _coerce(value, validator)
        if not validator.is_valid(value):
            fail([gettext('multipoint_core.msg_api_path_unknown',
                        value=_shown(value))], HTTPStatus.NOT_FOUND)
    for name, required, validator in operation.query_parameters:
        # an empty optional parameter is one left out (the pages send
        # "point="); an empty required one is for the route to refuse
        values = [v for v in request.args.getlist(name)
            if v != '' or required]
        if not values:
            if required:
                fail([gettext('multipoint_core.msg_api_value_required',
                            field=name)])
            continue
        for value in values:
            messages = schema_errors(validator, _coerce(value, validator),
                prefix=(name,))
            if messages:
                fail(messages)
    if operation.form is not None and request.mimetype in {
            'multipart/form-data', 'application/x-www-form-urlencoded'}:
        properties = operation.form.get('properties', {})
        for name, value in request.form.items(multi=True):
            spec = properties.get(name)
            if spec is None:
                continue
            validator = jsonschema.Draft7Validator(spec,
                format_checker=FORMATS)
            messages = schema_errors(validator, _coerce(value, validator),
                prefix=(name,))
            if messages:
                fail(messages)
        return
    if operation.body is None and not operation.item_schema:
        return  # the body is not read
    try:
        data = request.get_data(cache=True)
    except HTTPException:
        raise
    if not data and not operation.body_required:
        return
    try:
        body = json_loads(data or b'{}')
    except ValueError:
        fail([gettext('multipoint_core.msg_api_bad_json')])
    where = _nul(body)
    if where is not None:
        fail([gettext('multipoint_core.msg_api_value_nul',
                    field=_field(where) or '—')])
    if operation.body is not None and not operation.item_schema:
        messages = schema_errors(operation.body, body)
        if messages:
            fail(messages)


# -- the database ---------------------------------------------------------

_known = {}
_known_lock = threading.Lock()
KNOWN_TIMEOUT = 60


def database_exists(name):
    """Whether the database may be opened, without opening it: SQLite, its
    file; PostgreSQL, pg_database (an answer kept a minute)"""
    if name in Pool.database_list():
        return True
    if not name or '\x00' in name or len(name) > 63:
        return False
    now = time.monotonic()
    with _known_lock:
        known = _known.get(name)
        if known is not None and now - known[1] < KNOWN_TIMEOUT:
            return known[0]
    if backend.name == 'sqlite':
        if name == ':memory:':
            exists = True
        else:
            path = config.get('database', 'path')
            exists = bool(path) and os.sep not in name and os.path.isfile(
                os.path.join(path, name + '.sqlite'))
    else:
        with Transaction().start(None, 0, readonly=True) as transaction:
            cursor = transaction.connection.cursor()
            cursor.execute(
                'SELECT 1 FROM pg_database WHERE datname = %s '
                'AND NOT datistemplate', (name,))
            exists = cursor.fetchone() is not None
    with _known_lock:
        _known[name] = (exists, now)
    return exists


def _pool(database_name):
    "The pool of the database, loaded on first use (as with_pool does)"
    loaded = database_name in Pool.database_list()
    pool = Pool(database_name)
    if not loaded:
        with Transaction().start(database_name, 0, readonly=True):
            pool.init()
    return pool


def _is_pool_timeout(exception):
    try:
        from psycopg_pool import PoolTimeout
    except ImportError:
        return False
    return isinstance(exception, PoolTimeout)


def guard(func, max_size=None, route=None):
    """The endpoint of func(request, pool, ...): an unknown database is
    404 before anything opens it, and whatever escapes (lock contention
    after the retries, a request too large, a failure) is JSON. The
    endpoint takes the name of route, the function of the route that func
    wraps (func itself by default)."""
    @wraps(route or func)
    def endpoint(request, database_name, *args, **kwargs):
        try:
            if not database_exists(database_name):
                return error_response(HTTPStatus.NOT_FOUND,
                    'database_unknown', MESSAGES['database_unknown'] % {
                        'database': _shown(database_name)})
            pool = _pool(database_name)
            return func(request, pool, *args, **kwargs)
        except backend.DatabaseOperationalError:
            logger.info("lock contention outlasted the retries: %s",
                request.path, exc_info=True)
            return busy_response()
        except HTTPException as exception:
            return http_error_response(exception, request)
        except Exception as exception:
            if _is_pool_timeout(exception):
                return busy_response()
            logger.exception("API failure outside the transaction")
            return error_response(HTTPStatus.INTERNAL_SERVER_ERROR,
                'internal', MESSAGES['internal'])
    # declared, trytond does not read the session to choose the limit (it
    # would open the database of the URL before the check above)
    endpoint.max_request_size = max_size or config.getint(
        'request', 'max_size_authenticated')
    return endpoint


def answer(func, request, *args, access_message=None, **kwargs):
    """Inside the transaction: run func (which authenticates, then calls
    validate_request before any work) and answer any error as JSON with
    nothing of the request kept (the retried errors go up)"""
    transaction = Transaction()
    try:
        return func(request, *args, **kwargs)
    except (backend.DatabaseOperationalError, TransactionError):
        raise  # with_transaction retries these
    except Exception as exception:
        transaction.rollback()
        transaction.tasks.clear()
        return exception_response(exception, access_message=access_message)


# -- the operator API's wrapper -------------------------------------------

def operator_api(func):
    """Run func as the session's user with access checks and JSON errors.

    The session is checked in the request's own transaction (the
    transaction starts as root, then takes the session's user before any
    work), where trytond's `with_transaction(user='request')` checks it in a
    transaction of its own first: two transactions per request."""
    @with_transaction(user=0)
    def run(request, pool, login, *args, **kwargs):
        transaction = Transaction()
        if login:
            user_id = login
        else:
            user_id = pool.get('ir.session').api_user(
                request.session.userid, request.session.token)
        if not user_id:
            return unauthorized_response()
        with transaction.set_user(user_id):
            User = pool.get('res.user')
            context = User.multipoint_context()
            if not context.get('language'):
                context['language'] = LANGUAGE

            def call(request, *args, **kwargs):
                validate_request(request)
                with check_access():
                    return func(request, pool, *args, **kwargs)
            with transaction.set_context(context):
                return answer(call, request, *args, **kwargs)

    @wraps(func)
    def wrapper(request, pool, *args, **kwargs):
        login = None
        if request.session is None:
            # a login and password in the request: trytond checks them
            login = request.user_id if request.authorization else None
            if not login:
                return unauthorized_response()
        return run(request, pool, login, *args, **kwargs)
    return guard(wrapper)


def unauthorized_response():
    return error_response(HTTPStatus.UNAUTHORIZED, 'unauthorized',
        MESSAGES['unauthorized'])


# -- unknown paths and methods under the API prefixes ---------------------

def install():
    "Answer routing errors under the API prefixes in JSON (once)"
    if getattr(app, '_multipoint_api', False):
        return
    app._multipoint_api = True
    dispatch = app.dispatch_request

    def dispatch_request(request):
        result = dispatch(request)
        if (isinstance(result, HTTPException)
                and PREFIX_RE.match(request.path)):
            return http_error_response(result, request)
        return result
    app.dispatch_request = dispatch_request


install()
