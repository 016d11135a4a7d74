"Fixtures shared by the Multipoint test suites (real ORM, no fakes)"
import unittest
from decimal import Decimal

from trytond.modules.multipoint_core.builders import (  # noqa: F401
    create_point, create_supplier)
from trytond.pool import Pool
from trytond.tests import test_tryton
from trytond.tests.test_tryton import DB_NAME, drop_db
from trytond.transaction import Transaction, TransactionError

OPERATOR_PASSWORD = 'operator-pass-2026'


class DBTestCase(unittest.TestCase):
    """A database with the module activated, without the generic checks
    of ModuleTestCase (test_module.py runs those once)"""
    module = 'multipoint_core'
    extras = []
    # one language for every test database: each (modules, language) is a
    # template of its own to build
    language = 'ru'

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        drop_db()
        test_tryton.activate_module(
            [cls.module] + cls.extras, lang=cls.language)

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        drop_db()


def cell(point, barcode):
    Location = Pool().get('stock.location')
    cell, = Location.search([
            ('multipoint_point', '=', point.id), ('barcode', '=', barcode)])
    return cell


def create_parcel(point, supplier, order_number, barcodes=None, **values):
    Parcel = Pool().get('multipoint.parcel')
    barcodes = barcodes or [f'{order_number}-1']
    vals = {
        'company': point.company.id,
        'point': point.id,
        'supplier': supplier.id,
        'order_number': order_number,
        'recipient_name': "Иванова Алёна Петровна",
        'recipient_phone': '+7 (916) 123-45-67',
        'cod_amount': Decimal('1500.00'),
        'delivery_fee': Decimal('199.00'),
        'places': [('create', [{'barcode': b} for b in barcodes])],
        }
    vals.update(values)
    parcel, = Parcel.create([vals])
    return parcel


def create_user(login, groups=(), points=(), company=None):
    pool = Pool()
    User = pool.get('res.user')
    ModelData = pool.get('ir.model.data')
    user, = User.create([{
                'login': login,
                'name': login,
                'password': OPERATOR_PASSWORD,
                'groups': [('add', [
                            ModelData.get_id('multipoint_core', f'group_{g}')
                            for g in groups])],
                'multipoint_points': [('add', [p.id for p in points])],
                'companies': [('add', [company.id])] if company else [],
                'company': company.id if company else None,
                }])
    return user


def accept_and_store(parcels, cell_for=None):
    "Bring expected parcels through a reception into cells"
    pool = Pool()
    Reception = pool.get('multipoint.reception')
    from trytond.modules.multipoint_core.placement import (
        place_parcel, suggest_cell)
    point = parcels[0].point
    reception, = Reception.create([{
                'point': point.id, 'company': point.company.id}])
    for parcel in parcels:
        for place in parcel.places:
            reception.scan(place.barcode)
    Reception.close([reception])
    for parcel in parcels:
        parcel = type(parcel)(parcel.id)
        target = cell_for(parcel) if cell_for else suggest_cell(parcel)
        place_parcel(parcel, target)
    return reception


def committed(func, user=0):
    """Run func in its own committed transaction, restarting it when
    trytond asks to take locks first (as the request handlers do)"""
    extras = {}
    while True:
        with Transaction().start(DB_NAME, user, **extras) as transaction:
            try:
                result = func()
            except TransactionError as error:
                transaction.rollback()
                error.fix(extras)
                continue
            transaction.commit()
            return result
