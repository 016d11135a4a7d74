"""Gateways that deliver recipient notifications: SMS over HTTP, e-mail over
Tryton's SMTP settings and Telegram's Bot API.

A gateway is chosen per channel by the trytond configuration::

    [multipoint_notification]
    sms = http                 ; the default when sms_url is set
    sms_url = https://sms.example.com/api/send
    sms_token = <bearer token>
    sms_sender = Multipoint
    sms_timeout = 10
    email = smtp               ; the default when email_from is set
    email_from = noreply@example.com
    email_timeout = 10         ; unless [email] uri has its own ?timeout=
    telegram = bot             ; the default when telegram_token is set
    telegram_token = <bot token>
    telegram_url = https://api.telegram.org
    telegram_timeout = 10
    max_attempts = 8

A channel without a gateway (nothing configured, or an unknown name) is not
delivered at all: its notifications wait, see Notification.send_pending.
Other modules plug in their own provider with ``register(channel, name,
GatewayClass)`` and select it with ``<channel> = <name>``.

``send`` returns the gateway's message id or raises GatewayError. Error
reasons never quote the message text nor the credentials, because they are
stored in the notification and logged.
"""
import logging
import smtplib
from email.message import EmailMessage
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests

from trytond import config
from trytond.sendmail import get_smtp_server, send_message

logger = logging.getLogger(__name__)
SECTION = 'multipoint_notification'


class GatewayError(Exception):
    "The message was not accepted; it may be tried again later"


class GatewayUnavailable(GatewayError):
    """The gateway cannot be reached (refused, time-out): the other messages
    of its channel wait for the next run instead of each waiting the
    time-out"""


def _reason(response):
    "A short reason from an error answer, without echoing the request"
    reason = f'HTTP {response.status_code}'
    try:
        data = response.json()
    except ValueError:
        return reason
    if isinstance(data, dict):
        detail = data.get('error') or data.get('message') or data.get(
            'description')
        if detail:
            reason += f': {str(detail)[:200]}'
    return reason


def _post_json(url, payload, timeout, headers=None):
    "POST payload as JSON and return the decoded JSON answer of a 200"
    try:
        response = requests.post(
            url, json=payload, headers=headers, timeout=timeout)
    except requests.Timeout:
        raise GatewayUnavailable(f'no answer within {timeout} s')
    except requests.ConnectionError as exception:
        # the exception text holds the URL, which may hold a token
        raise GatewayUnavailable(
            f'connection failed ({type(exception).__name__})')
    except requests.RequestException as exception:
        raise GatewayError(f'request failed ({type(exception).__name__})')
    if response.status_code != 200:
        raise GatewayError(_reason(response))
    try:
        return response.json()
    except ValueError:
        raise GatewayError('HTTP 200 with an answer that is not JSON')


class Gateway:
    "Base of the gateways; the configuration is read when created"
    channel = None

    @classmethod
    def configured(cls):
        "Whether the configuration enables this gateway by default"
        return False

    def send(self, to, text, subject=None):
        "Send text to the recipient address and return the message id"
        raise NotImplementedError


class HTTPSMSGateway(Gateway):
    "SMS through an HTTP JSON API with a bearer token"
    channel = 'sms'

    def __init__(self):
        self.url = config.get(SECTION, 'sms_url')
        self.token = config.get(SECTION, 'sms_token')
        self.sender = config.get(SECTION, 'sms_sender', default='Multipoint')
        self.timeout = config.getfloat(SECTION, 'sms_timeout', default=10)

    @classmethod
    def configured(cls):
        return bool(config.get(SECTION, 'sms_url'))

    def send(self, to, text, subject=None):
        headers = {}
        if self.token:
            headers['Authorization'] = f'Bearer {self.token}'
        data = _post_json(self.url, {
                'to': to,
                'text': text,
                'sender': self.sender,
                }, self.timeout, headers=headers)
        if not isinstance(data, dict) or not data.get('id'):
            raise GatewayError('HTTP 200 without a message id')
        return str(data['id'])


class TelegramGateway(Gateway):
    "Telegram Bot API sendMessage"
    channel = 'telegram'

    def __init__(self):
        self.token = config.get(SECTION, 'telegram_token')
        self.url = config.get(
            SECTION, 'telegram_url', default='https://api.telegram.org')
        self.timeout = config.getfloat(
            SECTION, 'telegram_timeout', default=10)

    @classmethod
    def configured(cls):
        return bool(config.get(SECTION, 'telegram_token'))

    def send(self, to, text, subject=None):
        data = _post_json(
            f'{self.url.rstrip("/")}/bot{self.token}/sendMessage',
            {'chat_id': to, 'text': text}, self.timeout)
        if not isinstance(data, dict) or not data.get('ok'):
            raise GatewayError('the answer is not ok')
        message_id = (data.get('result') or {}).get('message_id')
        if message_id is None:
            raise GatewayError('HTTP 200 without a message id')
        return str(message_id)


class EmailGateway(Gateway):
    "E-mail through the SMTP server of the [email] section"
    channel = 'email'

    def __init__(self):
        self.from_ = (config.get(SECTION, 'email_from')
            or config.get('email', 'from'))
        self.uri = config.get('email', 'uri')
        self.timeout = config.getint(SECTION, 'email_timeout', default=10)

    @classmethod
    def configured(cls):
        return bool(config.get(SECTION, 'email_from'))

    def _uri(self):
        "The SMTP URI with a time-out, so a silent server cannot hang us"
        parts = urlsplit(self.uri)
        query = dict(parse_qsl(parts.query))
        query.setdefault('timeout', str(self.timeout))
        return urlunsplit(parts._replace(query=urlencode(query)))

    def send(self, to, text, subject=None):
        msg = EmailMessage()
        msg['From'] = self.from_
        msg['To'] = to
        msg['Subject'] = subject or ''
        msg.set_content(text, charset='utf-8')
        # sent now, not at commit (send_message_transactional), so that
        # the outcome is known and recorded in the same transaction
        try:
            server = get_smtp_server(self._uri(), strict=True)
            try:
                # it reconnects on 4xx and then returns the new connection
                server = send_message(
                    msg, server=server, strict=True) or server
            finally:
                try:
                    server.quit()
                except (OSError, smtplib.SMTPException):
                    pass
        except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError,
                TimeoutError, ConnectionError) as exception:
            raise GatewayUnavailable(
                f'SMTP server unavailable ({type(exception).__name__})')
        except smtplib.SMTPResponseException as exception:
            raise GatewayError(f'SMTP {exception.smtp_code}')
        except (smtplib.SMTPException, OSError) as exception:
            raise GatewayError(f'SMTP error ({type(exception).__name__})')
        return msg['Message-ID']


# {channel: {name: class}}; the first name is the channel's default
GATEWAYS = {
    'sms': {'http': HTTPSMSGateway},
    'email': {'smtp': EmailGateway},
    'telegram': {'bot': TelegramGateway},
    }


def register(channel, name, gateway):
    "Make gateway selectable as `<channel> = <name>` in the configuration"
    GATEWAYS.setdefault(channel, {})[name] = gateway


def get_gateway(channel):
    "The gateway instance configured for channel, or None"
    classes = GATEWAYS.get(channel, {})
    name = config.get(SECTION, channel)
    if name:
        cls = classes.get(name)
        if cls is None:
            logger.warning('unknown %s gateway "%s"', channel, name)
        return cls() if cls else None
    for cls in classes.values():
        if cls.configured():
            return cls()
    return None
