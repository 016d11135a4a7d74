"""Fiscal driver interface: receipts (54-FZ) go to a fiscal register.

A driver is chosen by the trytond configuration::

    [multipoint_fiscal]
    driver = atol                 ; atol | demo (demo: never in production)
    url = http://127.0.0.1:16732  ; ATOL Web Server; a point's own
                                  ; "Fiscal Driver URL" overrides it
    timeout = 30                  ; seconds to wait for a receipt's result
    request_timeout = 10          ; seconds for one HTTP request
    poll_interval = 0.5           ; seconds between two result queries
    operator_inn =                ; cashier's INN (tag 1203), optional
    taxation_type = osn           ; osn, usnIncome, usnIncomeOutcome, esn,
                                  ; patent

``get_driver(point)`` returns the configured driver. ``driver.register(
uuid, data)`` fiscalizes one receipt given as the neutral dictionary built
by ``multipoint.receipt.fiscal_data()`` and returns a ``FiscalResult``, or
raises ``FiscalError`` whose message is translated (Russian for a Russian
user) and which tells whether the outcome is ``uncertain`` (the register may
have printed the receipt: a retry must look the task up before printing a
new one) and whether a ``new_task`` is needed for a retry (the register
refused the task for sure).

Tasks are idempotent by their uuid: the ATOL Web Server answers 409 to a
second task with the same uuid, and the driver then reads the result of the
first one instead of printing again.

Other modules plug in their own driver with ``register('name', Class)``.
Everything specific to ATOL (the JSON task, the error codes) is in this file,
in ``AtolDriver`` and the tables above it.
"""
import base64
import datetime as dt
import logging
import time
import uuid as uuidlib
from decimal import Decimal

import requests

from trytond import config
from trytond.i18n import gettext
from trytond.modules.multipoint_core.exceptions import MultipointError

logger = logging.getLogger(__name__)
SECTION = 'multipoint_fiscal'
# The next task of a receipt refused by the register is derived from the
# refused one, so that a transaction rolled back after printing cannot lead
# to a second receipt: the retry asks for the same uuid and gets a 409.
TASK_NAMESPACE = uuidlib.UUID('5b0c7c8e-3f4a-4d51-9a43-6f1d2f0e7a22')


def next_task_uuid(task_uuid):
    return str(uuidlib.uuid5(TASK_NAMESPACE, task_uuid))


class FiscalError(MultipointError):
    """The register did not fiscalize the receipt.

    code: short reason (not_configured, unreachable, timeout, http,
    bad_answer, no_paper, shift_expired, device); uncertain: the receipt
    may have been printed; new_task: a retry needs a new task uuid"""
    api_code = 'fiscal'

    def __init__(self, message, code='device', uncertain=False,
            new_task=False):
        super().__init__(message)
        self.code = code
        self.uncertain = uncertain
        self.new_task = new_task


class FiscalResult:
    "The fiscal data of a registered receipt"

    def __init__(self, document_number=None, fiscal_sign=None,
            storage_number=None, date=None, shift_number=None,
            receipt_number=None, registration_number=None, raw=None):
        self.document_number = document_number
        self.fiscal_sign = fiscal_sign
        self.storage_number = storage_number
        self.date = date
        self.shift_number = shift_number
        self.receipt_number = receipt_number
        self.registration_number = registration_number
        self.raw = raw or {}


class FiscalDriver:
    "Base of the drivers; options are the [multipoint_fiscal] settings"

    def __init__(self, options):
        self.options = options

    def option(self, name, default=None, type_=str):
        value = self.options.get(name)
        if value in (None, ''):
            return default
        try:
            return type_(value)
        except (TypeError, ValueError):
            return default

    def register(self, task_uuid, data):
        "Fiscalize the receipt data under task_uuid; return a FiscalResult"
        raise NotImplementedError


DRIVERS = {}


def register(name, driver_class):
    DRIVERS[name] = driver_class


def options(point=None):
    "The [multipoint_fiscal] settings, with the point's own URL if any"
    values = ({k: config.get(SECTION, k) for k in config.options(SECTION)}
        if config.has_section(SECTION) else {})
    url = getattr(point, 'fiscal_url', None) if point else None
    if url:
        values['url'] = url
    return values


def get_driver(point=None):
    "The configured driver, or FiscalError when there is none"
    values = options(point)
    name = values.get('driver') or ''
    driver_class = DRIVERS.get(name)
    if not driver_class:
        raise FiscalError(gettext('multipoint_pos.msg_fiscal_not_configured',
                driver=name or '-'), code='not_configured')
    return driver_class(values)


def _json_number(value):
    "Money and quantities leave as JSON numbers; Decimal inside"
    return float(Decimal(value))


# --- ATOL: the JSON task of the ATOL Web Server (driver fptr10) -----------
ATOL_TASK_TYPES = {
    'sell': 'sell',
    'sell_refund': 'sellReturn',
    'correction': 'sellCorrection',
    'correction_refund': 'sellReturnCorrection',
    }
ATOL_VAT = {
    'none': 'none',
    '0': 'vat0',
    '5': 'vat5',
    '7': 'vat7',
    '10': 'vat10',
    '20': 'vat20',
    '22': 'vat22',
    # the calculated rates: the register works the tax out of the amount
    '5/105': 'vat105',
    '7/107': 'vat107',
    '10/110': 'vat110',
    '20/120': 'vat120',
    '22/122': 'vat122',
    }
ATOL_PAYMENT_METHODS = {
    'full_payment': 'fullPayment',
    }
ATOL_PAYMENT_OBJECTS = {
    'commodity': 'commodity',
    'service': 'service',
    'commodity_marked': 'commodityWithMarking',
    }
# the planned status of a marked piece (tag 2003) per kind of receipt: sold
# to the recipient, or back from them
ATOL_MARKING_STATUS = {
    'sell': 'itemPieceSold',
    'sell_refund': 'itemPieceReturn',
    }
# tag 1057/1222: the agent attribute
ATOL_AGENTS = {
    'bank_paying_agent': 'bankPayingAgent',
    'bank_paying_subagent': 'bankPayingSubagent',
    'paying_agent': 'payingAgent',
    'paying_subagent': 'payingSubagent',
    'attorney': 'attorney',
    'commission_agent': 'commissionAgent',
    'another': 'another',
    }
ATOL_PAYMENTS = {
    'cash': 'cash',
    'electronically': 'electronically',
    }
# errorCode of a result (libfptr10 error codes) -> (our code, message id);
# the driver's own errorDescription is added to the message
ATOL_ERRORS = {
    44: ('no_paper', 'msg_fiscal_no_paper'),
    45: ('cover_open', 'msg_fiscal_cover_open'),
    68: ('shift_expired', 'msg_fiscal_shift_expired'),
    }
# when a driver version numbers its errors otherwise: words of the
# errorDescription -> our code
ATOL_ERROR_WORDS = [
    (('бумаг',), 44),
    (('крышк',), 45),
    (('24 час',), 68),
    ]


def atol_error(error_code, description):
    "(our code, message id) of an ATOL error result"
    if error_code in ATOL_ERRORS:
        return ATOL_ERRORS[error_code]
    text = (description or '').lower()
    for words, known in ATOL_ERROR_WORDS:
        if all(w in text for w in words):
            return ATOL_ERRORS[known]
    return ('device', 'msg_fiscal_device_error')


# results of the task that are final errors / not done yet
ATOL_FAILED = {'error', 'interrupted', 'blocked', 'canceled'}
ATOL_WAITING = {'wait', 'inProgress'}


def atol_task(data):
    "The ATOL JSON task of the neutral receipt data"
    supplier = data['supplier']
    supplier_info = {'name': supplier['name'], 'vatin': supplier['inn']}
    if supplier.get('phones'):
        supplier_info['phones'] = list(supplier['phones'])
    items = []
    for line in data['lines']:
        item = {
            'type': 'position',
            'name': line['name'][:128],
            'price': _json_number(line['unit_price']),
            'quantity': _json_number(line['quantity']),
            'amount': _json_number(line['amount']),
            'tax': {'type': ATOL_VAT[line['vat_rate']]},
            'paymentMethod': ATOL_PAYMENT_METHODS[line['payment_method']],
            'paymentObject': ATOL_PAYMENT_OBJECTS[line['payment_object']],
            }
        if line.get('marking_code'):
            item['imcParams'] = marking_params(
                line['marking_code'], data['kind'])
        if line.get('agent_type'):
            item['agentInfo'] = {
                'agents': [ATOL_AGENTS[line['agent_type']]]}
            item['supplierInfo'] = dict(supplier_info)
        items.append(item)
    task = {
        'type': ATOL_TASK_TYPES[data['kind']],
        'taxationType': data.get('taxation_type') or 'osn',
        'ignoreNonFiscalPrintErrors': False,
        'operator': {'name': data['cashier']['name']},
        'items': items,
        'payments': [{
                'type': ATOL_PAYMENTS[p['type']],
                'sum': _json_number(p['amount']),
                } for p in data['payments']],
        'total': _json_number(data['total']),
        }
    if any('imcParams' in i for i in items):
        # the register checks the codes (FN and the marking system) before
        # it prints: a code out of circulation refuses the receipt
        task['validateMarkingCodes'] = True
    if data['cashier'].get('inn'):
        task['operator']['vatin'] = data['cashier']['inn']
    if data.get('customer_contact'):
        task['electronically'] = False
        task['clientInfo'] = {'emailOrPhone': data['customer_contact']}
    correction = data.get('correction')
    if correction:
        task['correctionType'] = correction['type']
        task['correctionBaseDate'] = correction['base_date'].strftime(
            '%Y.%m.%d')
        task['correctionBaseNumber'] = correction['base_number'] or ''
    return task


def marking_params(code, kind):
    """The imcParams of a marked piece (FFD 1.2): the code as scanned,
    base64, its type found by the register, sold or returned as one piece
    (processing mode 0: a piece, tag 2102)"""
    return {
        'imcType': 'auto',
        'imc': base64.b64encode(code.encode()).decode('ascii'),
        'itemEstimatedStatus': ATOL_MARKING_STATUS.get(
            kind, 'itemStatusUnchanged'),
        'imcModeProcessing': 0,
        }


def _atol_date(value):
    "2026-01-15T12:30:00+03:00 -> naive UTC datetime"
    try:
        moment = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo:
        moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return moment


class AtolDriver(FiscalDriver):
    "ATOL Web Server: POST /api/v2/requests, GET /api/v2/requests/<uuid>"

    def __init__(self, options):
        super().__init__(options)
        self.url = (self.option('url') or 'http://127.0.0.1:16732').rstrip(
            '/')
        self.timeout = self.option('timeout', 30, float)
        self.request_timeout = self.option(
            'request_timeout', min(self.timeout, 10), float)
        self.poll_interval = self.option('poll_interval', 0.5, float)

    def _error(self, message_id, code, uncertain, **variables):
        return FiscalError(gettext(f'multipoint_pos.{message_id}',
                url=self.url, **variables),
            code=code, uncertain=uncertain)

    def _request(self, method, path, uncertain, **kwargs):
        "One HTTP request; network failures become FiscalError"
        try:
            return requests.request(method, f'{self.url}{path}',
                timeout=self.request_timeout, **kwargs)
        except requests.Timeout:
            raise self._error('msg_fiscal_timeout', 'timeout', True,
                timeout=self.request_timeout)
        except requests.ConnectionError:
            # refused before anything was sent: the task cannot have run,
            # unless it was sent before (uncertain is the caller's)
            raise self._error(
                'msg_fiscal_unreachable', 'unreachable', uncertain)
        except requests.RequestException as exception:
            raise self._error('msg_fiscal_http', 'http', uncertain,
                status=type(exception).__name__)

    def _json(self, response, uncertain):
        if response.status_code >= 400:
            raise self._error('msg_fiscal_http', 'http', uncertain,
                status=response.status_code)
        try:
            return response.json()
        except ValueError:
            raise self._error('msg_fiscal_bad_answer', 'bad_answer',
                uncertain)

    def submit(self, task_uuid, data):
        "Send the task; a task already known under this uuid is kept"
        response = self._request('POST', '/api/v2/requests', False, json={
                'uuid': task_uuid,
                'request': [atol_task(data)],
                })
        if response.status_code == 409:
            logger.info('fiscal task %s already submitted', task_uuid)
            return
        if response.status_code >= 400:
            raise self._error('msg_fiscal_http', 'http',
                response.status_code >= 500, status=response.status_code)

    def result(self, task_uuid):
        """The result of the task: a FiscalResult, None while the register
        works on it; FiscalError for an error result or an unknown task"""
        response = self._request(
            'GET', f'/api/v2/requests/{task_uuid}', True)
        if response.status_code == 404:
            raise self._error('msg_fiscal_task_unknown', 'unknown_task',
                False)
        data = self._json(response, True)
        try:
            result = data['results'][0]
            status = result['status']
        except (KeyError, IndexError, TypeError):
            raise self._error('msg_fiscal_bad_answer', 'bad_answer', True)
        if status in ATOL_WAITING:
            return None
        if status in ATOL_FAILED:
            error_code = result.get('errorCode')
            description = result.get('errorDescription') or ''
            code, message_id = atol_error(error_code, description)
            error = self._error(message_id, code, False,
                error_code=error_code, description=description)
            error.new_task = True
            raise error
        if status != 'ready':
            raise self._error('msg_fiscal_bad_answer', 'bad_answer', True)
        params = ((result.get('result') or {}).get('fiscalParams')) or {}
        if not params.get('fiscalDocumentNumber'):
            raise self._error('msg_fiscal_bad_answer', 'bad_answer', True)
        return FiscalResult(
            document_number=str(params.get('fiscalDocumentNumber')),
            fiscal_sign=str(params.get('fiscalDocumentSign') or ''),
            storage_number=str(params.get('fnNumber') or ''),
            date=_atol_date(params.get('fiscalDocumentDateTime')),
            shift_number=params.get('shiftNumber'),
            receipt_number=params.get('fiscalReceiptNumber'),
            registration_number=str(params.get('registrationNumber') or ''),
            raw=params)

    def wait(self, task_uuid):
        "Poll the task until it is done or the time-out is over"
        deadline = time.monotonic() + self.timeout
        while True:
            result = self.result(task_uuid)
            if result is not None:
                return result
            if time.monotonic() + self.poll_interval > deadline:
                raise self._error('msg_fiscal_no_result', 'timeout', True,
                    timeout=self.timeout)
            time.sleep(self.poll_interval)

    def register(self, task_uuid, data):
        self.submit(task_uuid, data)
        return self.wait(task_uuid)


class DemoDriver(FiscalDriver):
    """Fiscalizes at once with made-up fiscal data: for the demo and for
    tests of other modules, never for a real point"""

    def register(self, task_uuid, data):
        number = int(uuidlib.UUID(task_uuid)) % 100000
        return FiscalResult(
            document_number=str(number),
            fiscal_sign=str(int(uuidlib.UUID(task_uuid)) % 10 ** 10),
            storage_number='9999078900000000',
            date=dt.datetime.utcnow().replace(microsecond=0),
            shift_number=1, receipt_number=number,
            registration_number='0000000000000000')


register('atol', AtolDriver)
register('demo', DemoDriver)
