"""The supplier portal's part of the API toolkit (multipoint_core's
api.py): who is signed in and for which supplier, and the wrapper of the
portal's JSON routes (routes_portal.py, routes_portal_tickets.py).

The session is a web.user.session key in an HttpOnly, SameSite=Strict
cookie limited to the portal's path. Every POST must carry the header
X-Requested-With: XMLHttpRequest (a cross-site form cannot set it), and once
signed in the X-CSRF-Token the login answered, derived from the session key.

The routes run as root: no access right or record rule protects them, so
each one reaches the supplier's records through Portal below, which always
filters on the supplier of the session's web user. Another supplier's ids
answer 404, exactly as ids that do not exist.
"""
import hashlib
import hmac
from http import HTTPStatus

from trytond.i18n import gettext
from trytond.modules.multipoint_core.api import (
    LANGUAGE, ApiError, answer, guard, validate_request)
from trytond.modules.multipoint_core.exceptions import NotFoundError
from trytond.modules.multipoint_suppliers.connector import connectors
from trytond.protocols.wrappers import with_transaction
from trytond.transaction import Transaction
from trytond.wsgi import app

PREFIX = '/<database_name>/multipoint/portal'
API = PREFIX + '/api'
COOKIE = 'multipoint_portal'
AJAX_HEADER = 'X-Requested-With'
CSRF_HEADER = 'X-CSRF-Token'
# a manifest of some 50,000 rows; the other portal requests keep trytond's
# limit for requests without a Tryton session
UPLOAD_SIZE = 20 * 1024 * 1024
# the settlements a supplier is shown: those sent to it, not the drafts
SETTLEMENT_STATES = ['sent', 'agreed', 'disputed', 'paid']


class PortalDenied(ApiError):
    "A request the portal refuses before it reaches the supplier's data"

    def __init__(self, status, code, message):
        super().__init__(message, status=status, code=code)


def csrf_token(session_key):
    "The token of the forms of a session, which only its page can read"
    return hmac.new(session_key.encode(), b'multipoint-portal-csrf',
        hashlib.sha256).hexdigest()


def cookie_path(database_name):
    return f'/{database_name}/multipoint/portal'


def set_session_cookie(request, response, database_name, key, max_age):
    # Secure whenever the page came over https (behind a proxy too, with
    # [web] num_proxies); a browser would not keep it over plain http
    response.set_cookie(COOKIE, key, max_age=max_age,
        path=cookie_path(database_name), secure=request.is_secure,
        httponly=True, samesite='Strict')


def clear_session_cookie(request, response, database_name):
    response.set_cookie(COOKIE, '', expires=0,
        path=cookie_path(database_name), secure=request.is_secure,
        httponly=True, samesite='Strict')


class Portal:
    "The signed-in web user of a request and the supplier it acts for"

    def __init__(self, pool, user, key):
        self.pool = pool
        self.user = user
        self.supplier = user.multipoint_supplier
        self.key = key

    @classmethod
    def from_request(cls, request, pool):
        WebUser = pool.get('web.user')
        key = request.cookies.get(COOKIE)
        user = WebUser.get_user(key) if key else None
        if not user or not user.active:
            raise PortalDenied(HTTPStatus.UNAUTHORIZED, 'unauthorized',
                gettext('multipoint_portal.msg_portal_login_required'))
        if not user.multipoint_supplier:
            raise PortalDenied(HTTPStatus.FORBIDDEN, 'no_supplier',
                gettext('multipoint_portal.msg_portal_no_supplier'))
        portal = cls(pool, user, key)
        if request.method != 'GET' and not hmac.compare_digest(
                request.headers.get(CSRF_HEADER, ''), portal.csrf):
            raise PortalDenied(HTTPStatus.FORBIDDEN, 'csrf',
                gettext('multipoint_portal.msg_portal_csrf'))
        return portal

    @property
    def csrf(self):
        return csrf_token(self.key)

    def _owned(self, model, record_id, domain, message, **variables):
        Model = self.pool.get(model)
        records = Model.search([('id', '=', record_id)] + domain, limit=1)
        if not records:
            raise NotFoundError(gettext(message, **variables))
        return records[0]

    def parcel(self, parcel_id):
        return self._owned('multipoint.parcel', parcel_id,
            [('supplier', '=', self.supplier.id)],
            'multipoint_portal.msg_portal_parcel_unknown',
            parcel=parcel_id)

    def account(self, account_id):
        return self._owned('multipoint.supplier.account', account_id,
            [('supplier', '=', self.supplier.id)],
            'multipoint_portal.msg_portal_account_unknown')

    def import_log(self, log_id):
        return self._owned('multipoint.supplier.sync.log', log_id,
            [('account.supplier', '=', self.supplier.id),
                ('kind', '=', 'import')],
            'multipoint_portal.msg_portal_import_unknown', log=log_id)

    def settlement(self, settlement_id):
        return self._owned('multipoint.settlement', settlement_id,
            [('supplier', '=', self.supplier.id),
                ('state', 'in', SETTLEMENT_STATES)],
            'multipoint_portal.msg_portal_settlement_unknown',
            settlement=settlement_id)

    def accounts(self):
        "The supplier's active accounts that take manifest files"
        Account = self.pool.get('multipoint.supplier.account')
        accounts = Account.search([
                ('supplier', '=', self.supplier.id),
                ], order=[('name', 'ASC'), ('id', 'ASC')])
        return [a for a in accounts if a.connector in connectors()
            and a.get_connector().supports('import_manifest')]

    def point_ids(self):
        """The points the supplier works with: those its accounts serve and
        those its parcels are at (one grouped query)"""
        Parcel = self.pool.get('multipoint.parcel')
        AccountPoint = self.pool.get('multipoint.supplier.account.point')
        parcel = Parcel.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*parcel.select(parcel.point,
                where=parcel.supplier == self.supplier.id,
                group_by=[parcel.point]))
        ids = {point for point, in cursor}
        ids.update(p.point.id for p in AccountPoint.search([
                    ('account.supplier', '=', self.supplier.id),
                    ]))
        return ids


def portal_route(path, methods, login=True, max_size=None):
    """Register func(request, pool, portal, ...) at API + path: checked
    against openapi.yaml, JSON errors in Russian, nothing of a refused
    request kept, CSRF checks on every POST (multipoint_core's api.py);
    portal is None for the routes without login"""
    def decorator(func):
        def call(request, pool, *args, **kwargs):
            if (request.method != 'GET'
                    and request.headers.get(AJAX_HEADER)
                    != 'XMLHttpRequest'):
                raise PortalDenied(HTTPStatus.FORBIDDEN, 'csrf',
                    gettext('multipoint_portal.msg_portal_csrf'))
            if not activated(pool):
                raise NotFoundError("Портал поставщиков не включён")
            portal = Portal.from_request(request, pool) if login else None
            validate_request(request)
            return func(request, pool, portal, *args, **kwargs)

        @with_transaction(context={'language': LANGUAGE})
        def run(request, pool, *args, **kwargs):
            response = answer(call, request, pool, *args, **kwargs)
            if response.status_code == HTTPStatus.UNAUTHORIZED:
                clear_session_cookie(request, response, pool.database_name)
            return response

        app.route(API + path, methods=methods)(
            guard(run, max_size=max_size, route=func))
        return func
    return decorator


def activated(pool):
    "Whether the database has this module activated (the routes are global)"
    try:
        return 'multipoint_supplier' in pool.get('web.user')._fields
    except KeyError:
        return False


def has_model(pool, name):
    "Whether the model is activated (tickets are another module's)"
    try:
        pool.get(name)
    except KeyError:
        return False
    return True


def has_claims(pool):
    """Whether the portal's part of the claims is there (claim.py,
    registered when multipoint_claims is activated)"""
    return (has_model(pool, 'multipoint.charge.claim')
        and hasattr(pool.get('multipoint.charge.claim'), 'portal_claims'))


def has_tickets(pool):
    """Whether the portal's part of the tickets is there (ticket.py,
    registered when multipoint_tickets is activated)"""
    return (has_model(pool, 'multipoint.ticket')
        and hasattr(pool.get('multipoint.ticket'), 'portal_tickets'))
