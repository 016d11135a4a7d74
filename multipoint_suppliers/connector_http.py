"""The base of the connectors calling a supplier's JSON API over HTTP.

HttpConnector._request sends one request and turns what goes wrong on the
way into the generic messages (msg_connector_*, with the supplier's name):

- no answer: timeout or unreachable;
- 429: a Retry-After of at most MAX_RETRY_AFTER seconds is waited, at most
  rate_limit_retries times, then rate_limited;
- a status of auth_statuses (401, 403): auth;
- a body that is not JSON: bad_response, unless the status already says
  the call failed (the body of an error page is not read).

What stays in a connector is its supplier's own: the URLs, the auth header
or session, the shape of the supplier's error bodies and its own retry
rules (a token or session renewed, another rate-limit answer).

A connector calling from worker threads, where gettext has no transaction,
uses send() and decode(): they raise Failure, which the thread of the
transaction makes into the ConnectorError (HttpConnector._failed).
"""
import datetime as dt
import json
import time
from email.utils import parsedate_to_datetime

import requests

from trytond.i18n import gettext

from .connector import Connector, ConnectorError

# a 429 asking to wait longer than this fails the call (the next run asks
# again); a shorter wait is waited
MAX_RETRY_AFTER = 10


class Failure(Exception):
    """A failed call: the id and arguments of its message. status: the
    HTTP status of the answer, None when there was none; codes: the
    supplier's error codes in it."""

    def __init__(self, message_id, status=None, codes=(), **kwargs):
        super().__init__(message_id, kwargs)
        self.message_id = message_id
        self.status = status
        self.codes = list(codes)
        self.kwargs = kwargs


def retry_after(value):
    "Seconds of a Retry-After header (seconds or an HTTP date), or None"
    if not value:
        return None
    try:
        return max(0, int(value))
    except ValueError:
        pass
    try:
        date = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0, int((date - dt.datetime.now(dt.timezone.utc))
            .total_seconds()) + 1)


def send(method, url, timeout, session=None, **kwargs):
    """The response to one request (through session when given, to keep
    the connection), whatever its status; Failure when none came"""
    try:
        return (session or requests).request(method, url, timeout=timeout,
            **kwargs)
    except requests.Timeout:
        raise Failure('msg_connector_timeout', seconds=timeout)
    except requests.RequestException as exception:
        raise Failure('msg_connector_unreachable',
            error=exception.__class__.__name__)


def decode(response, loads=json.loads):
    """The JSON of an answer's body read by loads: None when the body is
    empty, or is not JSON in an error answer (status 400 or more); Failure
    when a success answer's body cannot be read"""
    if not response.content:
        return None
    try:
        return loads(response.content)
    except ValueError as exception:
        if response.status_code >= 400:
            return None
        raise Failure('msg_connector_bad_response',
            status=response.status_code, error=str(exception)[:200])


class HttpConnector(Connector):
    "A connector calling its supplier's JSON API over HTTP"
    # the supplier's name in the messages
    supplier = None
    # a 429 with a short Retry-After is waited out this many times
    rate_limit_retries = 2
    # the statuses refusing the account's credentials; empty for a
    # connector that renews its token or session on them
    auth_statuses = frozenset({401, 403})
    # a requests.Session keeping the connection between calls, or None
    session = None

    @staticmethod
    def _loads(content):
        "The JSON of a body (bytes); ValueError when it is not JSON"
        return json.loads(content)

    def _error(self, message_id, **kwargs):
        "The ConnectorError of a message of this module, with the supplier"
        return ConnectorError(gettext(
                'multipoint_suppliers.' + message_id,
                supplier=self.supplier, **kwargs))

    def _failed(self, failure):
        "The ConnectorError of a Failure (in the thread of the transaction)"
        return self._error(failure.message_id, **failure.kwargs)

    def _request(self, method, url, **kwargs):
        """(response, its decoded body as decode() gives it) of one request
        with the requests arguments kwargs; ConnectorError when there is no
        answer, the rate limit holds, the credentials are refused or a
        success answer cannot be read"""
        try:
            for attempt in range(self.rate_limit_retries + 1):
                response = send(method, url, self.timeout,
                    session=self.session, **kwargs)
                if response.status_code != 429:
                    break
                wait = retry_after(response.headers.get('Retry-After'))
                if (attempt == self.rate_limit_retries or wait is None
                        or wait > MAX_RETRY_AFTER):
                    raise Failure('msg_connector_rate_limited', status=429,
                        seconds=wait if wait is not None else '?')
                time.sleep(wait)
            if response.status_code in self.auth_statuses:
                raise Failure('msg_connector_auth',
                    status=response.status_code,
                    error=f'HTTP {response.status_code}')
            return response, decode(response, self._loads)
        except Failure as failure:
            raise self._failed(failure)
