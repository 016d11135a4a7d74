"""The operator screen: a single-page web app served by trytond.

GET /<database>/multipoint/operator/         the page
GET /<database>/multipoint/operator/<file>   its assets (a fixed list)
GET /<database>/multipoint/operator/points   the user's active points (JSON)
GET /<database>/multipoint/operator/vendor/zxing.min.js
    the barcode decoder the camera uses where the browser has no
    BarcodeDetector: @zxing/library's UMD build, which scripts/setup.sh puts
    in var/zxing/package (MULTIPOINT_ZXING_DIR elsewhere); a JSON 404 when
    it is not installed

The page talks only to the operator JSON API (/multipoint/api/v1, see
openapi.yaml); these routes stay out of that prefix on purpose.
"""
import os
from http import HTTPStatus

from trytond.modules.multipoint_core.routes import (
    error_response, json_response, operator_api)
from trytond.protocols.wrappers import Response
from trytond.transaction import Transaction
from trytond.wsgi import app

STATIC = os.path.join(os.path.dirname(__file__), 'static', 'operator')
PREFIX = '/<database_name>/multipoint/operator'
ASSETS = {
    'index.html': 'text/html; charset=utf-8',
    'operator.js': 'text/javascript; charset=utf-8',
    'shift.js': 'text/javascript; charset=utf-8',
    'tickets.js': 'text/javascript; charset=utf-8',
    'operator.css': 'text/css; charset=utf-8',
    }
# the checkout's var/zxing, filled by scripts/setup.sh
ZXING_DIR = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    'var', 'zxing', 'package')


def zxing_path():
    "Where @zxing/library's minified UMD build is, installed or not"
    folder = os.environ.get('MULTIPOINT_ZXING_DIR') or ZXING_DIR
    return os.path.join(folder, 'umd', 'index.min.js')


def asset_response(name):
    content_type = ASSETS.get(name)
    if content_type is None:
        return error_response(HTTPStatus.NOT_FOUND, 'not_found',
            "Файл не найден")
    with open(os.path.join(STATIC, name), 'rb') as fp:
        response = Response(fp.read(), content_type=content_type)
    response.headers['Cache-Control'] = 'no-cache'
    response.headers['X-Content-Type-Options'] = 'nosniff'
    return response


@app.route(PREFIX + '/', methods={'GET'})
def operator_page(request, database_name):
    return asset_response('index.html')


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


@app.route(PREFIX + '/vendor/zxing.min.js', methods={'GET'})
def operator_zxing(request, database_name):
    "The camera's barcode decoder, when scripts/setup.sh has installed it"
    path = zxing_path()
    if not os.path.isfile(path):
        return error_response(HTTPStatus.NOT_FOUND, 'not_installed',
            "Библиотека распознавания штрихкодов не установлена "
            "(запустите scripts/setup.sh)")
    with open(path, 'rb') as fp:
        response = Response(fp.read(),
            content_type='text/javascript; charset=utf-8')
    response.headers['Cache-Control'] = 'no-cache'
    response.headers['X-Content-Type-Options'] = 'nosniff'
    return response


@app.route(PREFIX + '/<path:name>', methods={'GET'})
def operator_asset(request, database_name, name):
    # any other path, a traversal attempt included, is not found: only the
    # listed names (without a slash) are served
    return asset_response(name)
