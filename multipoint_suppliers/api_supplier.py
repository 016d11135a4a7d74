"""Supplier JSON API, its toolkit: /<database>/multipoint/supplier-api/v1/...
(the routes are in routes_supplier_api.py)

Suppliers with systems of their own send their parcels (one or a batch,
created or updated: idempotent by order number), cancel them while they
are expected, and read their states, storage deadlines and events.

Authentication: a key of the supplier (api_key.py) in the header
"Authorization: Bearer <key>" (or as the password of basic
authentication, as Tryton's user applications take it). Requests run as
the technical user of the supplier API with access rights and record rules
that keep the key's supplier only, and every query below also filters on
the key's supplier: another supplier's order answers 404 like an unknown
one. Parcels are written by the upsert of the manifest imports and
connector syncs (upsert.py), all the parcels of a request or none.

Errors are {"error": {"code": "...", "message": "..."}} in Russian, with
"details" (one message per parcel) when parcels of a batch are refused.
See openapi.yaml (tag "supplier API").
"""
import datetime as dt
import logging
from decimal import Decimal, InvalidOperation
from http import HTTPStatus

from trytond.i18n import gettext
from trytond.modules.multipoint_core.api import (
    LANGUAGE, ApiError, answer, error_response, guard, json_loads,
    validate_request)
from trytond.modules.multipoint_core.marking import (
    MarkingCodeError, normalize_gtin)
from trytond.modules.multipoint_core.marking import parse as parse_marking
from trytond.modules.multipoint_core.parcel import VAT_RATES, normalize_phone
from trytond.pool import Pool
from trytond.protocols.wrappers import with_transaction
from trytond.transaction import Transaction, check_access

from .api_key import APPLICATION, SUPPLIER_CONTEXT, api_user_id
from .connector import LineData, ParcelData, PlaceData
from .upsert import Upsert

PREFIX = '/<database_name>/multipoint/supplier-api/v1'
# parcels in one POST: a larger batch goes in several requests
MAX_BATCH = 1000
# bytes of a request; declaring it also keeps trytond from trying a basic
# authentication's user name and key as a login and password
MAX_REQUEST_SIZE = 4 * 1024 * 1024
FIELDS = {
    'order_number', 'point', 'recipient_name', 'recipient_phone',
    'cod_amount', 'delivery_fee', 'declared_value', 'prepaid', 'weight',
    'manifest', 'storage_until', 'cancelled', 'places', 'items'}
PLACE_FIELDS = {'barcode', 'weight'}
ITEM_FIELDS = {'name', 'article', 'quantity', 'unit_price', 'vat_rate',
    'marked', 'gtin', 'marking_code'}
# the events a supplier follows; scans, searches, moves between cells and
# notes are the point's own business
EVENT_KINDS = [
    'created', 'state', 'damaged', 'missing', 'extension', 'return',
    'customer_return', 'supplier_update']
logger = logging.getLogger(__name__)


class BadRequest(ApiError):
    status = HTTPStatus.BAD_REQUEST
    api_code = 'bad_request'


class NotFound(ApiError):
    status = HTTPStatus.NOT_FOUND
    api_code = 'not_found'


class InvalidParcels(ApiError):
    api_code = 'invalid_parcels'


class StateRefused(ApiError):
    api_code = 'parcel_state'


def supplier_message(message_id, **variables):
    return gettext('multipoint_suppliers.' + message_id, **variables)


class Scope:
    """What a key reaches: its supplier and the supplier's active
    accounts (their companies, points and the supplier's point codes)"""

    def __init__(self, supplier_id, account_ids, companies):
        self.supplier = supplier_id
        self.account_ids = account_ids
        self.companies = companies
        self._accounts = None

    def context(self):
        return {
            'language': LANGUAGE,
            SUPPLIER_CONTEXT: self.supplier,
            '_companies': self.companies,
            'company': self.companies[0] if len(self.companies) == 1
            else None,
            }

    @property
    def accounts(self):
        "The accounts, read as the API user (record rules apply)"
        if self._accounts is None:
            Account = Pool().get('multipoint.supplier.account')
            self._accounts = Account.search([
                    ('id', 'in', self.account_ids),
                    ('supplier', '=', self.supplier),
                    ], order=[('id', 'ASC')])
            self._codes, self._point_codes = {}, {}
            for account in self._accounts:
                for line in account.points:
                    target = (account, line.point)
                    known = self._codes.setdefault(
                        line.supplier_code, target)
                    if known and known[1] != line.point:
                        # one code, two points: never guess
                        self._codes[line.supplier_code] = None
                    self._point_codes.setdefault(
                        line.point.id, line.supplier_code)
        return self._accounts

    def by_code(self, code):
        """(account, point) of the supplier's point code; None if the code
        names two points, False if none"""
        return self.accounts and self._codes.get(code, False)

    def code_of(self, point):
        "The supplier's code of point, None when no account lists it"
        return (self.accounts or None) and self._point_codes.get(point.id)

    def account_for(self, parcel):
        "The account to update parcel with: one serving its point first"
        company = [a for a in self.accounts if a.company == parcel.company]
        for account in company:
            if any(l.point == parcel.point for l in account.points):
                return account
        return company[0] if company else None


def authenticate(pool, request):
    """The Scope of the request's key, None when there is no valid key of
    the supplier API (read as root: the key decides who the caller is)"""
    UserApplication = pool.get('res.user.application')
    Account = pool.get('multipoint.supplier.account')
    authorization = request.authorization
    if authorization is None:
        return None
    if authorization.type == 'bearer':
        secret = getattr(authorization, 'token', None)
    elif authorization.type == 'basic':
        secret = authorization.get('password')
    else:
        return None
    if not secret:
        return None
    key = UserApplication.check(secret, APPLICATION)
    if key is None or not key.multipoint_supplier:
        return None
    supplier = key.multipoint_supplier
    if not supplier.active:
        return None
    accounts = Account.search([('supplier', '=', supplier.id)])
    return Scope(supplier.id, [a.id for a in accounts],
        sorted({a.company.id for a in accounts}))


def supplier_api(func):
    """Run func(request, pool, scope, ...) as the API user for the key's
    supplier, with access checks; the request checked against openapi.yaml
    and JSON errors in Russian by multipoint_core's api.py"""
    def call(request, pool, *args, **kwargs):
        transaction = Transaction()
        with transaction.set_context(language=LANGUAGE):
            scope = authenticate(pool, request)
            if scope is None:
                return error_response(HTTPStatus.UNAUTHORIZED,
                    'unauthorized', supplier_message('msg_api_unauthorized'))
            validate_request(request)
        with transaction.set_user(api_user_id()), \
                transaction.set_context(scope.context()), \
                check_access():
            return func(request, pool, scope, *args, **kwargs)

    @with_transaction()
    def run(request, pool, *args, **kwargs):
        with Transaction().set_context(language=LANGUAGE):
            return answer(call, request, pool, *args,
                access_message=supplier_message('msg_api_access'), **kwargs)

    return guard(run, max_size=MAX_REQUEST_SIZE, route=func)


# -- reading a request -------------------------------------------------------

def request_parcels(request):
    "The list of parcel objects of the body: one parcel or {'parcels': []}"
    try:
        # amounts stay exact: JSON numbers with a fraction become Decimal
        body = json_loads(request.data or b'', parse_float=Decimal)
    except ValueError:
        raise BadRequest(supplier_message('msg_api_bad_json'))
    if isinstance(body, dict) and 'parcels' in body:
        body = body['parcels']
    elif isinstance(body, dict):
        body = [body]
    if not isinstance(body, list) or not body:
        raise BadRequest(supplier_message('msg_api_bad_body'))
    if len(body) > MAX_BATCH:
        raise InvalidParcels(supplier_message('msg_api_too_many',
                count=len(body), max=MAX_BATCH))
    return body


class ItemReader:
    "Read one parcel object of a request into ParcelData, or its errors"

    def __init__(self, index, raw):
        self.index = index
        self.raw = raw
        number = raw.get('order_number') if isinstance(raw, dict) else None
        self.order_number = number.strip() if isinstance(number, str) \
            else None
        # how the messages name the parcel: its order, else its position
        self.label = self.order_number or f'#{index + 1}'
        self.point_code = None
        self.errors = []

    def fail(self, message_id, field, **variables):
        self.errors.append(supplier_message(message_id,
                order=self.label, field=field, **variables))

    def read(self):
        raw = self.raw
        if not isinstance(raw, dict):
            self.fail('msg_api_parcel_object', '')
            return None
        for name in sorted(set(raw) - FIELDS):
            self.fail('msg_api_field_unknown', name)
        self.text(raw, 'order_number', required=True)
        phone = self.text(raw, 'recipient_phone')
        if phone and not normalize_phone(phone):
            self.fail('msg_row_field_invalid', 'recipient_phone',
                value=phone)
        data = ParcelData(
            order_number=self.order_number,
            recipient_name=self.text(raw, 'recipient_name'),
            recipient_phone=phone,
            cod_amount=self.amount(raw, 'cod_amount'),
            delivery_fee=self.amount(raw, 'delivery_fee'),
            declared_value=self.amount(raw, 'declared_value'),
            prepaid=self.boolean(raw, 'prepaid'),
            weight=self.positive(raw, 'weight'),
            manifest=self.text(raw, 'manifest'),
            storage_until=self.date(raw, 'storage_until'),
            cancelled=bool(self.boolean(raw, 'cancelled')),
            places=[PlaceData(
                    barcode=self.text(p, 'barcode', 'places.barcode',
                        required=True),
                    weight=self.positive(p, 'weight', 'places.weight'))
                for p in self.objects(raw, 'places', PLACE_FIELDS)],
            lines=[LineData(
                    name=self.text(i, 'name', 'items.name', required=True),
                    article=self.text(i, 'article', 'items.article'),
                    quantity=self.quantity(i, 'quantity', 'items.quantity'),
                    unit_price=self.amount(i, 'unit_price',
                        'items.unit_price') or Decimal('0.00'),
                    vat_rate=self.vat(i, 'vat_rate', 'items.vat_rate'),
                    marked=bool(self.boolean(i, 'marked')),
                    gtin=self.gtin(i),
                    marking_code=self.marking_code(i))
                for i in self.objects(raw, 'items', ITEM_FIELDS)],
            source=str(self.index + 1))
        self.point_code = self.text(raw, 'point')
        return None if self.errors else data

    def text(self, raw, name, label=None, required=False):
        value = raw.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail('msg_row_field_missing', label or name)
            return None
        if not isinstance(value, str):
            self.fail('msg_api_field_text', label or name)
            return None
        return value.strip()

    def _number(self, raw, name):
        value = raw.get(name)
        if value is None or isinstance(value, bool):
            return value
        try:
            number = Decimal(value.strip() if isinstance(value, str)
                else value)
        except (InvalidOperation, TypeError, ValueError):
            return False
        return number if number.is_finite() else False

    def amount(self, raw, name, label=None):
        "A sum of money: at least 0, at most 2 decimals; exact"
        number = self._number(raw, name)
        if number is None:
            return None
        if (number is False or number is True or number < 0
                or number != number.quantize(Decimal('0.01'))):
            self.fail('msg_api_field_amount', label or name,
                value=raw.get(name))
            return None
        return number.quantize(Decimal('0.01'))

    def positive(self, raw, name, label=None):
        number = self._number(raw, name)
        if number is None:
            return None
        if number is False or number is True or number <= 0:
            self.fail('msg_api_field_positive', label or name,
                value=raw.get(name))
            return None
        return float(number)

    def quantity(self, raw, name, label=None):
        value = raw.get(name)
        if value is None:
            return 1
        if (isinstance(value, bool) or not isinstance(value, int)
                or value <= 0):
            self.fail('msg_api_field_quantity', label or name, value=value)
            return 1
        return value

    def boolean(self, raw, name):
        value = raw.get(name)
        if value is not None and not isinstance(value, bool):
            self.fail('msg_api_field_boolean', name, value=value)
            return None
        return value

    def date(self, raw, name):
        value = raw.get(name)
        if value is None:
            return None
        try:
            return dt.date.fromisoformat(value)
        except (TypeError, ValueError):
            self.fail('msg_api_field_date', name, value=value)

    def gtin(self, raw):
        value = self.text(raw, 'gtin', 'items.gtin')
        if value is None:
            return None
        gtin = normalize_gtin(value)
        if not gtin:
            self.fail('msg_api_field_gtin', 'items.gtin', value=value)
        return gtin

    def marking_code(self, raw):
        "The item's code in its stored form (GS as ASCII 29)"
        value = self.text(raw, 'marking_code', 'items.marking_code')
        if value is None:
            return None
        if raw.get('quantity') not in (None, 1):
            # a code is one piece
            self.fail('msg_api_field_marking_piece', 'items.marking_code')
            return None
        try:
            return parse_marking(value).code
        except MarkingCodeError:
            self.fail('msg_api_field_marking', 'items.marking_code',
                value=value.replace('\x1d', '<GS>'))
            return None

    def vat(self, raw, name, label=None):
        value = raw.get(name)
        if value is None:
            return None
        rates = [r for r, _ in VAT_RATES]
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if value not in rates:
            self.fail('msg_api_field_vat', label or name, value=value,
                rates=', '.join(rates))
            return None
        return value

    def objects(self, raw, name, allowed):
        value = raw.get(name)
        if value is None:
            return []
        if not isinstance(value, list) or not all(
                isinstance(v, dict) for v in value):
            self.fail('msg_api_field_list', name)
            return []
        for unknown in sorted({k for v in value for k in v} - allowed):
            self.fail('msg_api_field_unknown', f'{name}.{unknown}')
        return value


class ApiUpsert(Upsert):
    """The upsert of the API: a change the parcel's state refuses is an
    error of its order, not a warning of a sync log, so that the
    supplier's system learns the change did not happen"""

    def error(self, plan, data, message_id, level='error', **kwargs):
        if message_id == 'msg_row_state_refused':
            level = 'error'
        super().error(plan, data, message_id, level=level, **kwargs)


def touched_ids(plan):
    "Ids of the existing parcels the plan changes"
    return ({i for i, *_ in plan.to_write}
        | {i for i, _ in plan.to_add_places}
        | {i for i, _ in plan.to_replace_lines}
        | set(plan.to_cancel)
        | {i for i, *_ in plan.to_extend})


# -- JSON of the answers -----------------------------------------------------

def timestamp(value):
    return value.replace(microsecond=0).isoformat() + 'Z' if value else None


def point_json(point, scope):
    return {
        'code': scope.code_of(point),
        'name': point.name,
        'address': point.address,
        }


def parcel_json(parcel, scope):
    return {
        'order_number': parcel.order_number,
        'state': parcel.state,
        'state_name': parcel.state_string,
        'point': point_json(parcel.point, scope),
        'storage_deadline': (parcel.storage_deadline.isoformat()
            if parcel.storage_deadline else None),
        'arrival_date': timestamp(parcel.arrival_date),
        'updated_at': timestamp(parcel.write_date or parcel.create_date),
        }


def parcel_detail_json(parcel, scope):
    pool = Pool()
    Event = pool.get('multipoint.parcel.event')
    kinds = dict(Event.fields_get(['kind'])['kind']['selection'])
    states = dict(type(parcel).fields_get(['state'])['state']['selection'])
    events = Event.search([
            ('parcel', '=', parcel.id),
            ('parcel.supplier', '=', scope.supplier),
            ('kind', 'in', EVENT_KINDS),
            ], order=[('date', 'ASC'), ('id', 'ASC')])
    return dict(parcel_json(parcel, scope),
        places=[{'barcode': p.barcode, 'state': p.state}
            for p in parcel.places],
        events=[{
                'date': timestamp(e.date),
                'kind': e.kind,
                'kind_name': kinds.get(e.kind, e.kind),
                'state': e.to_state,
                'state_name': states.get(e.to_state) if e.to_state
                else None,
                'point': scope.code_of(e.point) if e.point else None,
                'detail': e.detail,
                } for e in events])


def find_parcel(pool, scope, order_number):
    "The supplier's parcel of order_number, else 404 (whoever has it)"
    Parcel = pool.get('multipoint.parcel')
    parcels = Parcel.search([
            ('supplier', '=', scope.supplier),
            ('order_number', '=', (order_number or '').strip()),
            ], limit=1)
    if not parcels:
        raise NotFound(supplier_message('msg_api_parcel_unknown',
                order=order_number))
    return parcels[0]
