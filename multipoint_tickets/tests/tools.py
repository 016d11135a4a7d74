"Fixtures of the tickets and organizer tests (real ORM, no fakes)"
import datetime as dt
from contextlib import contextmanager
from functools import wraps
from unittest import mock

from trytond.modules.company.tests import create_company, set_company
from trytond.modules.multipoint_core.tests.tools import (
    create_parcel, create_point, create_supplier, create_user)
from trytond.modules.multipoint_tickets import clock
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction, check_access


def create_network():
    """A company with two points, a supplier with a claims e-mail, its
    parcels and the staff: an owner, a staff manager, an operator per
    point, an analyst and a user of no Multipoint group. Returns the ids
    (see load_network); the operators log in with OPERATOR_PASSWORD."""
    pool = Pool()
    Party = pool.get('party.party')
    User = pool.get('res.user')
    company = create_company()
    with set_company(company):
        msk = create_point(company, 'MSK1')
        kzn = create_point(company, 'KZN1')
        dpd = create_supplier("DPD", storage_days=7)
        Party.write([dpd], {'contact_mechanisms': [('create', [{
                            'type': 'email',
                            'value': 'claims@dpd.example'}])]})
        hermes = create_supplier("Hermes")
        staff = {
            'op_msk': create_user('t_op_msk', ['operator'], [msk], company),
            'op_kzn': create_user('t_op_kzn', ['operator'], [kzn], company),
            }
        # no password: they do not log in (hashing one takes time)
        ModelData = pool.get('ir.model.data')
        for key, login, groups in [
                ('owner', 't_owner', ['owner']),
                ('manager', 't_manager', ['staff_manager']),
                ('analyst', 't_analyst', ['analytics']),
                ('nobody', 't_nobody', []),
                ]:
            staff[key], = User.create([{
                        'login': login,
                        'name': login,
                        'groups': [('add', [ModelData.get_id(
                                        'multipoint_core', f'group_{g}')
                                    for g in groups])],
                        'companies': [('add', [company.id])],
                        'company': company.id,
                        }])
        for key in ['owner', 'manager', 'op_msk']:
            User.write([staff[key]], {'email': f'{key}@multipoint.example'})
        parcels = {
            'D-1': create_parcel(msk, dpd, 'D-1', ['D-1-1', 'D-1-2']),
            'D-2': create_parcel(msk, dpd, 'D-2'),
            'D-3': create_parcel(kzn, dpd, 'D-3'),
            'H-1': create_parcel(msk, hermes, 'H-1'),
            }
    return {
        'company': company.id, 'msk': msk.id, 'kzn': kzn.id,
        'dpd': dpd.id, 'hermes': hermes.id,
        'staff': {k: u.id for k, u in staff.items()},
        'parcels': {k: p.id for k, p in parcels.items()},
        }


def load_network(ids):
    "The records of create_network's ids, in the current transaction"
    pool = Pool()
    Point = pool.get('multipoint.point')
    Party = pool.get('party.party')
    User = pool.get('res.user')
    Parcel = pool.get('multipoint.parcel')
    Company = pool.get('company.company')
    return {
        'company': Company(ids['company']),
        'msk': Point(ids['msk']), 'kzn': Point(ids['kzn']),
        'dpd': Party(ids['dpd']), 'hermes': Party(ids['hermes']),
        'staff': {k: User(i) for k, i in ids['staff'].items()},
        'parcels': {k: Parcel(i) for k, i in ids['parcels'].items()},
        }


def with_network(func):
    """Run the test in a transaction, in Russian, in the company of the
    network committed by the class (cls.network_ids); func gets the
    network's records"""
    @with_transaction(context={'language': 'ru'})
    @wraps(func)
    def wrapper(self):
        net = load_network(self.network_ids)
        with set_company(net['company']):
            return func(self, net)
    return wrapper


@contextmanager
def as_user(user):
    "Run as user with the access rights and record rules enforced"
    with Transaction().set_user(user.id), check_access():
        yield


@contextmanager
def clock_at(moment):
    "Move the module's clock (deadlines, escalations, reminders)"
    with mock.patch.object(clock, 'utcnow', return_value=moment):
        yield


def utc(*args):
    return dt.datetime(*args)


def outbox(kind=None, **domain):
    "The notification outbox rows, oldest first"
    Notification = Pool().get('multipoint.notification')
    clauses = [(k, '=', v) for k, v in domain.items()]
    if kind:
        clauses.append(('kind', '=', kind))
    return Notification.search(clauses, order=[('id', 'ASC')])
