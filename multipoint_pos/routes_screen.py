"""The operator screen: a single-page web app served by trytond.

GET /<database>/multipoint/operator/         the page
GET /<database>/multipoint/operator/<file>   its assets (a fixed list)
GET /<database>/multipoint/operator/points   the user's active points (JSON)
GET /<database>/multipoint/operator/vendor/zxing.min.js
    the barcode decoder the camera uses where the browser has no
    BarcodeDetector: @zxing/library's UMD build, which scripts/setup.sh puts
    in var/zxing/package (MULTIPOINT_ZXING_DIR elsewhere); a JSON 404 when
    it is not installed

GET /<database>/multipoint/api/v1/features
    which Multipoint modules the database has activated, for the screen to
    show only their modes and buttons (part of the operator JSON API)

The page is native browser modules (main.js imports the others), no build
step. It talks only to the operator JSON API (/multipoint/api/v1, see
openapi.yaml); the page, its files and its points stay out of that prefix
on purpose.
"""
import os
import threading
import weakref
from http import HTTPStatus

from trytond.modules.multipoint_core.api import (
    OPERATOR_PREFIX, asset_response, error_response, file_response,
    json_response, operator_api)
from trytond.transaction import Transaction, without_check_access
from trytond.wsgi import app

STATIC = os.path.join(os.path.dirname(__file__), 'static', 'operator')
PREFIX = '/<database_name>/multipoint/operator'
# the page's modules (main.js imports the others): a module script must be
# served as JavaScript, the browser refuses it otherwise (nosniff)
MODULES = [
    'main.js', 'state.js', 'session.js', 'api.js', 'ui.js', 'format.js',
    'modes.js', 'queue.js', 'features.js', 'login.js', 'open_work.js',
    'camera.js', 'issue.js', 'parcel_card.js', 'payment.js', 'refusal.js',
    'acceptance.js', 'placement.js', 'returns.js', 'inventory.js',
    'shift.js', 'shift_report.js', 'tasks.js', 'tickets.js', 'photos.js',
    ]
ASSETS = {
    'index.html': 'text/html; charset=utf-8',
    'operator.css': 'text/css; charset=utf-8',
    **{name: 'text/javascript; charset=utf-8' for name in MODULES},
    }
# the feature of each Multipoint module, as GET features names it
FEATURES = {
    'core': 'multipoint_core',
    'pos': 'multipoint_pos',
    'suppliers': 'multipoint_suppliers',
    'settlement': 'multipoint_settlement',
    'portal': 'multipoint_portal',
    'tickets': 'multipoint_tickets',
    }
# the checkout's var/zxing, filled by scripts/setup.sh
ZXING_DIR = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    'var', 'zxing', 'package')


def zxing_path():
    "Where @zxing/library's minified UMD build is, installed or not"
    folder = os.environ.get('MULTIPOINT_ZXING_DIR') or ZXING_DIR
    return os.path.join(folder, 'umd', 'index.min.js')


@app.route(PREFIX + '/', methods={'GET'})
def operator_page(request, database_name):
    return asset_response(STATIC, ASSETS, 'index.html')


@app.route(PREFIX + '/points', methods={'GET'})
@operator_api
def operator_points(request, pool):
    "The active points of the session's user"
    Point = pool.get('multipoint.point')
    User = pool.get('res.user')
    user = User(Transaction().user)
    points = Point.search([
            ('state', '=', 'active'),
            ('id', 'in', [p.id for p in user.multipoint_points]),
            ])
    return json_response({'points': [{
                    'id': p.id,
                    'code': p.code,
                    'name': p.name,
                    'city': p.city,
                    'payment_methods': list(p.payment_methods or []),
                    } for p in points]})


# the features per pool, keyed by its ir.module class: activating a module
# loads the pool anew (new classes), so the answer is computed again then
_features = weakref.WeakKeyDictionary()
_features_lock = threading.Lock()


def features(pool):
    "{feature: whether its module is activated} of the pool's database"
    Module = pool.get('ir.module')
    with _features_lock:
        known = _features.get(Module)
    if known is None:
        with without_check_access():
            activated = {m.name for m in Module.search([
                        ('name', 'in', list(FEATURES.values())),
                        ('state', '=', 'activated'),
                        ])}
        known = {feature: module in activated
            for feature, module in FEATURES.items()}
        with _features_lock:
            _features[Module] = known
    return dict(known)


@app.route(OPERATOR_PREFIX + '/features', methods={'GET'})
@operator_api
def operator_features(request, pool):
    """Which Multipoint modules are activated: the screen shows «Сегодня»
    and the ticket buttons only with multipoint_tickets"""
    return json_response({'features': features(pool)})


@app.route(PREFIX + '/vendor/zxing.min.js', methods={'GET'})
def operator_zxing(request, database_name):
    "The camera's barcode decoder, when scripts/setup.sh has installed it"
    path = zxing_path()
    if not os.path.isfile(path):
        return error_response(HTTPStatus.NOT_FOUND, 'not_installed',
            "Библиотека распознавания штрихкодов не установлена "
            "(запустите scripts/setup.sh)")
    return file_response(path, 'text/javascript; charset=utf-8')


@app.route(PREFIX + '/<path:name>', methods={'GET'})
def operator_asset(request, database_name, name):
    # any other path, a traversal attempt included, is not found: only the
    # listed names (without a slash) are served
    return asset_response(STATIC, ASSETS, name)
