"""Staff security: current point, idle accounts, owners' second factor,
retention of personal data, the full phone hidden from operators"""
import datetime as dt
import json
import re
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sql.operators import Like

from trytond import config
from trytond.exceptions import LoginException
from trytond.model.exceptions import (
    AccessButtonError, AccessError, ValidationError)
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.multipoint_core.parcel_json import (
    CODE, KeptQuery, lookup_json, parcels_json)
from trytond.modules.multipoint_core.search import find_for_issue
from trytond.modules.multipoint_core.security import (
    PLACEHOLDER, current_point)
from trytond.modules.multipoint_core.tests.tools import (
    OPERATOR_PASSWORD, DBTestCase, accept_and_store, create_parcel,
    create_point, create_supplier, create_user)
from trytond.pool import Pool
from trytond.pyson import PYSONEncoder
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction, check_access

LOGGER = 'trytond.modules.multipoint_core.security'


@contextmanager
def configured(**sections):
    "Set trytond configuration options for the block, then restore them"
    parser = config.has_section.__self__
    added, saved = [], []
    for section, options in sections.items():
        if not config.has_section(section):
            config.add_section(section)
            added.append(section)
        for option, value in options.items():
            saved.append((section, option,
                    parser.get(section, option, fallback=None)))
            config.set(section, option, value)
    try:
        yield
    finally:
        for section, option, value in reversed(saved):
            if section in added:
                continue
            if value is None:
                parser.remove_option(section, option)
            else:
                parser.set(section, option, value)
        for section in added:
            config.remove_section(section)
        config.update_etc([])   # forget the cached values


class SMSHandler(BaseHTTPRequestHandler):
    "An SMS gateway speaking the JSON protocol of gateway.HTTPSMSGateway"

    def do_POST(self):
        data = json.loads(self.rfile.read(
                int(self.headers['Content-Length'])))
        self.server.messages.append(data)
        body = json.dumps({'id': f'sms-{len(self.server.messages)}'})
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args):
        pass


def set_moment(model, records, **moments):
    "Move timestamps of records behind the ORM"
    pool = Pool()
    Model = pool.get(model)
    table = Model.__table__()
    cursor = Transaction().connection.cursor()
    columns = [getattr(table, n) for n in moments]
    cursor.execute(*table.update(columns, list(moments.values()),
            where=table.id.in_([r.id for r in records])))
    for cache in Transaction().cache.values():
        cache.pop(model, None)


def days_ago(days):
    return dt.datetime.utcnow() - dt.timedelta(days=days)


class SecurityTestCase(DBTestCase):
    "Test staff security"
    module = 'multipoint_core'

    @with_transaction()
    def test_current_point_preference(self):
        "One person at several points chooses the one they work at now"
        pool = Pool()
        User = pool.get('res.user')
        company = create_company()
        with set_company(company):
            msk = create_point(company, 'MSK1')
            kzn = create_point(company, 'KZN1')
            spb = create_point(company, 'SPB1')
            anna = create_user('anna', ['operator'], [msk, kzn], company)
            ivan = create_user('ivan', ['operator'], [spb], company)

            view = User.get_preferences_fields_view()
            self.assertIn('multipoint_point', view['fields'])
            with Transaction().set_user(anna.id):
                self.assertIsNone(
                    User.get_preferences(True)['multipoint_point'])
                User.set_preferences({'multipoint_point': kzn.id})
                context = User.get_preferences(True)
                self.assertEqual(context['multipoint_point'], kzn.id)
                self.assertEqual(
                    context['multipoint_point.rec_name'], 'KZN1 Point KZN1')
                with Transaction().set_context(context):
                    self.assertEqual(current_point(), kzn)
                self.assertEqual(User(anna.id).multipoint_point, kzn)
                # a point that is not theirs is refused, and ignored in
                # a context sent by the client
                with self.assertRaises(ValidationError):
                    User.set_preferences({'multipoint_point': spb.id})
                with Transaction().set_context(multipoint_point=spb.id):
                    self.assertIsNone(current_point())
            # (the refused write is rolled back with the request)
            User.write([anna], {'multipoint_point': kzn.id})

            # a staff manager takes the point from her: the choice goes
            User.write([anna], {'multipoint_points': [('remove', [kzn.id])]})
            self.assertIsNone(User(anna.id).multipoint_point)
            with Transaction().set_user(anna.id):
                # her only point now
                self.assertEqual(
                    User.get_preferences(True)['multipoint_point'], msk.id)
            with Transaction().set_user(ivan.id):
                self.assertEqual(
                    User.get_preferences(True)['multipoint_point'], spb.id)
                self.assertEqual(current_point(), spb)

    @with_transaction()
    def test_idle_accounts_blocked_and_unblocked(self):
        "Idle staff accounts are blocked; managers and owners unblock"
        pool = Pool()
        User = pool.get('res.user')
        Session = pool.get('ir.session')
        ModelData = pool.get('ir.model.data')
        admin = User(ModelData.get_id('res', 'user_admin'))
        company = create_company()
        with set_company(company):
            msk = create_point(company, 'MSK1')
            idle_op = create_user('idle_op', ['operator'], [msk], company)
            logged_op = create_user('logged_op', ['operator'], [msk], company)
            session_op = create_user(
                'session_op', ['operator'], [msk], company)
            idle_owner = create_user('idle_owner', ['owner'], [], company)
            idle_reports = create_user('idle_reports', ['reports'], [],
                company)
            exempt = create_user('api', ['operator'], [msk], company)
            User.write([exempt], {'multipoint_idle_exempt': True})
            outsider = create_user('outsider', [], [], company)
            manager = create_user('hr', ['staff_manager'], [], company)
            owner = create_user('boss', ['owner'], [], company)
            operator = create_user('op', ['operator'], [msk], company)
            everybody = [idle_op, logged_op, session_op, idle_owner,
                idle_reports, exempt, outsider, manager, owner, operator,
                admin]
            set_moment('res.user', everybody, create_date=days_ago(60))
            set_moment('res.user', [logged_op],
                multipoint_last_login=days_ago(3))
            set_moment('res.user', [manager, owner, operator],
                multipoint_last_login=days_ago(20))
            with Transaction().set_user(session_op.id):
                Session.new()   # used the web client yesterday and today
            # a real login records the moment
            self.assertEqual(
                User.get_login('op', {'password': OPERATOR_PASSWORD}),
                operator.id)
            self.assertGreater(User(operator.id).multipoint_last_login,
                days_ago(1))

            with self.assertLogs(LOGGER, 'INFO') as logs:
                blocked = User.multipoint_block_idle()
            self.assertEqual(set(blocked), {idle_op, idle_owner, idle_reports})
            self.assertIn('blocked 3 account(s) idle for 21 days',
                logs.output[0])
            with Transaction().set_context(active_test=False):
                for user in User.browse(blocked):
                    self.assertFalse(user.active)
                    self.assertEqual(user.multipoint_block_reason, 'idle')
                    self.assertTrue(user.multipoint_blocked_at)
            for user in [logged_op, session_op, exempt, outsider, manager,
                    owner, operator, admin]:
                self.assertTrue(User(user.id).active, user.login)
            self.assertIsNone(
                User.get_login('idle_op', {'password': OPERATOR_PASSWORD}))
            # configurable
            with configured(multipoint={'idle_days': '10'}):
                self.assertEqual(set(User.multipoint_block_idle()),
                    {manager, owner})
            User.write([User(manager.id), User(owner.id)], {'active': True})
            self.assertIsNone(User(owner.id).multipoint_blocked_at)

            context = {'company': company.id}
            with Transaction().set_user(operator.id), \
                    Transaction().set_context(context), check_access():
                with self.assertRaises(AccessButtonError):
                    User.multipoint_unblock([User(idle_op.id)])
                with self.assertRaises(AccessError):
                    User.write([User(idle_op.id)], {'active': True})
            with Transaction().set_context(active_test=False):
                self.assertFalse(User(idle_op.id).active)

            with Transaction().set_user(manager.id), \
                    Transaction().set_context(context), check_access():
                User.multipoint_unblock([User(idle_op.id)])
                # only blocked accounts: the button is refused elsewhere
                with self.assertRaises(AccessButtonError):
                    User.multipoint_unblock([User(operator.id)])
            with Transaction().set_user(owner.id), \
                    Transaction().set_context(context), check_access():
                # an owner needs no write access to the users
                User.multipoint_unblock([User(idle_reports.id)])
            for user in [idle_op, idle_reports]:
                user = User(user.id)
                self.assertTrue(user.active)
                self.assertIsNone(user.multipoint_blocked_at)
                self.assertIsNone(user.multipoint_block_reason)
                self.assertTrue(user.multipoint_unblocked_at)
            self.assertEqual(User(idle_op.id).multipoint_unblocked_by, manager)
            self.assertEqual(
                User.get_login('idle_op', {'password': OPERATOR_PASSWORD}),
                idle_op.id)
            # unblocked today: not blocked again tomorrow
            self.assertEqual(User.multipoint_block_idle(), [])

    @with_transaction()
    def test_staff_manager_cannot_touch_owners(self):
        "A staff manager manages the staff, not the owners"
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        Group = pool.get('res.group')
        owner_group = ModelData.get_id('multipoint_core', 'group_owner')
        operator_group = ModelData.get_id('multipoint_core', 'group_operator')
        company = create_company()
        with set_company(company):
            manager = create_user('hr', ['staff_manager'], [], company)
            owner = create_user('boss', ['owner'], [], company)
            clerk = create_user('clerk', [], [], company)
            # its members are owners too
            deputy, = Group.create([{'name': "Deputy", 'parent': owner_group}])
            context = {'company': company.id}
            with Transaction().set_user(manager.id), \
                    Transaction().set_context(context), check_access():
                User.write([User(clerk.id)], {
                        'groups': [('add', [operator_group])],
                        'multipoint_mobile': '8 (916) 000-11-22',
                        })
                for values in [
                        {'groups': [('add', [owner_group])]},
                        {'groups': [('add', [deputy.id])]},
                        {'groups': [('set', [owner_group])]}]:
                    for target in [clerk, manager]:
                        with self.assertRaises(AccessError):
                            User.write([User(target.id)], values)
                with self.assertRaises(AccessError):
                    User.write([User(owner.id)], {'password': 'taken-over!'})
                with self.assertRaises(AccessError):
                    User.write([User(owner.id)],
                        {'multipoint_mobile': '+79990000000'})
                with self.assertRaises(AccessError):
                    User.create([{'login': 'boss2', 'name': "Boss",
                                'groups': [('add', [owner_group])]}])
            self.assertEqual(User(clerk.id).multipoint_mobile, '+79160001122')
            with self.assertRaises(ValidationError):
                User.write([User(clerk.id)], {'multipoint_mobile': '123'})
            admin = ModelData.get_id('res', 'user_admin')
            with Transaction().set_user(admin), \
                    Transaction().set_context(context), check_access():
                User.write([User(clerk.id)],
                    {'groups': [('add', [owner_group])]})
            self.assertIn(owner_group,
                [g.id for g in User(clerk.id).groups])

    @with_transaction()
    def test_owner_second_factor(self):
        "Owners give a code sent by SMS; the others only their password"
        pool = Pool()
        User = pool.get('res.user')
        LoginCode = pool.get('multipoint.login.code')
        company = create_company()
        server = ThreadingHTTPServer(('127.0.0.1', 0), SMSHandler)
        server.messages = []
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        url = f'http://127.0.0.1:{server.server_address[1]}/send'
        password = {'password': OPERATOR_PASSWORD}

        def login(name, **parameters):
            return User.get_login(name, dict(password, **parameters))

        def last_code():
            text = server.messages[-1]['text']
            code, = re.findall(r'\b\d{6}\b', text)
            return code

        with set_company(company):
            msk = create_point(company, 'MSK1')
            owners = []
            for name in ['boss', 'boss2', 'boss3']:
                owner = create_user(name, ['owner'], [], company)
                User.write([owner], {'multipoint_mobile': '+7 916 000-11-22'})
                owners.append(owner)
            boss, boss2, boss3 = owners
            create_user('nomobile', ['owner'], [], company)
            operator = create_user('op', ['operator'], [msk], company)

            with configured(
                    session={'authentications': 'password+multipoint_otp'},
                    multipoint_notification={'sms_url': url}):
                # the operator: password only, no SMS
                self.assertEqual(login('op'), operator.id)
                self.assertEqual(server.messages, [])

                # the owner: a code is sent and asked for
                with self.assertRaises(LoginException) as cm:
                    login('boss')
                self.assertEqual(cm.exception.name, 'multipoint_otp')
                self.assertEqual(cm.exception.type, 'char')
                self.assertIn('***1122', cm.exception.message)
                self.assertEqual(len(server.messages), 1)
                self.assertEqual(server.messages[0]['to'], '+79160001122')
                code = last_code()
                stored, = LoginCode.search([('user', '=', boss.id)])
                self.assertNotIn(code, stored.code_hash)
                self.assertLessEqual(stored.expires_at,
                    dt.datetime.utcnow() + dt.timedelta(minutes=5))
                wrong = '000000' if code != '000000' else '111111'
                with self.assertRaises(LoginException) as cm:
                    login('boss', multipoint_otp=wrong)
                self.assertIn('Неверный код', cm.exception.message)
                # a wrong password stops before the code
                self.assertIsNone(User.get_login('boss',
                        {'password': 'wrong', 'multipoint_otp': code}))
                self.assertEqual(login('boss', multipoint_otp=code), boss.id)
                self.assertEqual(len(server.messages), 1)
                # used once
                self.assertFalse(LoginCode.search([('user', '=', boss.id)]))
                with self.assertRaises(LoginException) as cm:
                    login('boss', multipoint_otp=code)
                self.assertIn('истёк', cm.exception.message)
                self.assertEqual(len(server.messages), 2)

                # an expired code is refused and a new one sent
                with self.assertRaises(LoginException):
                    login('boss2')
                code = last_code()
                set_moment('multipoint.login.code',
                    LoginCode.search([('user', '=', boss2.id)]),
                    expires_at=days_ago(0) - dt.timedelta(seconds=1))
                with self.assertRaises(LoginException) as cm:
                    login('boss2', multipoint_otp=code)
                self.assertIn('истёк', cm.exception.message)
                self.assertEqual(len(server.messages), 4)
                self.assertEqual(
                    login('boss2', multipoint_otp=last_code()), boss2.id)

                # three wrong codes void the code: the login is refused
                with self.assertRaises(LoginException):
                    login('boss3')
                code = last_code()
                wrong = '000000' if code != '000000' else '111111'
                for attempt in range(2):
                    with self.assertRaises(LoginException):
                        login('boss3', multipoint_otp=wrong)
                self.assertIsNone(login('boss3', multipoint_otp=wrong))
                self.assertFalse(LoginCode.search([('user', '=', boss3.id)]))
                with self.assertRaises(LoginException) as cm:
                    login('boss3', multipoint_otp=code)
                self.assertIn('истёк', cm.exception.message)

                # no mobile, no way in
                with self.assertLogs(LOGGER, 'ERROR'):
                    self.assertIsNone(login('nomobile'))
                sent = len(server.messages)

            # the gateway down: refused, nothing sent
            with configured(
                    session={'authentications': 'password+multipoint_otp'},
                    multipoint_notification={
                        'sms_url': 'http://127.0.0.1:9/none',
                        'sms_timeout': '2'}):
                with self.assertLogs(LOGGER, 'ERROR') as logs:
                    self.assertIsNone(login('boss2'))
                self.assertNotIn('+7916', logs.output[0])
            self.assertEqual(len(server.messages), sent)
            # only the password when the method is not configured
            with configured(session={'authentications': 'password'}):
                self.assertEqual(login('boss2'), boss2.id)

    @with_transaction()
    def test_personal_data_retention(self):
        "Recipients of parcels closed long ago are blanked in bulk"
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        company = create_company()
        with set_company(company):
            point = create_point(company, 'MSK1')
            dpd = create_supplier("DPD", storage_days=7,
                max_extension_days=7)
            old_issued, recent_issued, old_cancelled, old_waiting, \
                old_returned, recent_returned = [
                    create_parcel(point, dpd, f'D-{i}') for i in range(6)]
            set_moment('multipoint.parcel', [old_issued, recent_issued],
                state='issued')
            set_moment('multipoint.parcel', [old_issued],
                issued_at=days_ago(200), write_date=days_ago(1))
            set_moment('multipoint.parcel', [recent_issued],
                issued_at=days_ago(30), write_date=days_ago(300))
            set_moment('multipoint.parcel', [old_cancelled],
                state='cancelled', write_date=days_ago(181))
            set_moment('multipoint.parcel', [old_waiting],
                state='stored', write_date=days_ago(400))
            set_moment('multipoint.parcel', [old_returned],
                state='returned', write_date=days_ago(365))
            set_moment('multipoint.parcel', [recent_returned],
                state='returned', write_date=days_ago(179))

            with self.assertLogs(LOGGER, 'INFO') as logs:
                self.assertEqual(Parcel.multipoint_purge_personal_data(), 3)
            self.assertEqual(logs.output, [f'INFO:{LOGGER}:personal data '
                    'blanked on 3 parcel(s) closed for 180 days'])
            for parcel in Parcel.browse(
                    [old_issued, old_cancelled, old_returned]):
                self.assertEqual(parcel.recipient_name, PLACEHOLDER)
                self.assertEqual(parcel.recipient_phone, PLACEHOLDER)
                self.assertIsNone(parcel.recipient_key)
                self.assertIsNone(parcel.phone_last4)
                self.assertEqual(parcel.order_number[:2], 'D-')
            for parcel in Parcel.browse(
                    [recent_issued, old_waiting, recent_returned]):
                self.assertEqual(
                    parcel.recipient_name, "Иванова Алёна Петровна")
                self.assertEqual(parcel.recipient_phone, '+79161234567')
                self.assertEqual(parcel.phone_last4, '4567')
            self.assertFalse(Parcel.search(
                    [('recipient_key', 'ilike', '%иванова%'),
                        ('state', 'in', ['issued', 'cancelled'])],
                    count=True) > 1)
            # done once
            self.assertEqual(Parcel.multipoint_purge_personal_data(), 0)
            with configured(multipoint={'retention_days': '10'}):
                self.assertEqual(Parcel.multipoint_purge_personal_data(), 2)
            # still a valid parcel for the ORM
            Parcel.write([Parcel(old_issued.id)], {'manifest': "M-1"})

    @with_transaction()
    def test_point_taken_away_closes_its_parcels_at_once(self):
        """The record rules follow a change of a user's points at once: the
        cached rule domains hold the point ids"""
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        Point = pool.get('multipoint.point')
        User = pool.get('res.user')
        company = create_company()
        with set_company(company):
            msk = create_point(company, 'MSK1')
            kzn = create_point(company, 'KZN1')
            dpd = create_supplier("DPD", storage_days=7,
                max_extension_days=7)
            in_msk = create_parcel(msk, dpd, 'M-1')
            in_kzn = create_parcel(kzn, dpd, 'K-1')
            operator = create_user('op2', ['operator'], [msk, kzn], company)
            context = {'company': company.id}

            def visible():
                with Transaction().set_user(operator.id), \
                        Transaction().set_context(context), check_access():
                    found = set(Parcel.search([]))
                    # the scan's kept SQL follows the rules as the search
                    scanned = {Parcel(p['id']) for code in ['M-1-1', 'K-1-1']
                        for p in lookup_json(code)}
                    self.assertEqual(scanned, found)
                    return found
            self.assertEqual(visible(), {in_msk, in_kzn})
            # taken away on the point's form
            Point.write([kzn], {'staff': [('remove', [operator.id])]})
            self.assertEqual(visible(), {in_msk})
            # given back, then taken away on the user's form
            Point.write([kzn], {'staff': [('add', [operator.id])]})
            self.assertEqual(visible(), {in_msk, in_kzn})
            User.write([operator], {
                    'multipoint_points': [('remove', [msk.id])]})
            self.assertEqual(visible(), {in_kzn})

    @with_transaction()
    def test_kept_query_binds_the_code_alone(self):
        """A kept query gives the same rows as the query it was built from,
        whatever its other parameters are (on PostgreSQL they are written
        into the SQL: a list, a text with percent signs and quotes)"""
        pool = Pool()
        Place = pool.get('multipoint.parcel.place')
        company = create_company()
        with set_company(company):
            msk = create_point(company, 'MSK1')
            dpd = create_supplier("DPD", storage_days=7,
                max_extension_days=7)
            parcel = create_parcel(msk, dpd, "M-'1%",
                barcodes=["M-'1%-A", "M-'1%-B", 'K-1-A'])
            place = Place.__table__()
            cursor = Transaction().connection.cursor()

            def rows(query):
                cursor.execute(*query)
                return sorted(cursor)

            def others_of_the_order(barcode):
                return place.select(place.barcode,
                    where=(place.barcode != barcode)
                    & Like(place.barcode, "M-'1\\%%", escape='\\')
                    & place.parcel.in_([parcel.id, -1]))
            kept = KeptQuery(others_of_the_order(CODE))
            self.assertEqual(len(kept.code_at), 1)
            expected = rows(others_of_the_order("M-'1%-B"))
            self.assertEqual(expected, [("M-'1%-A",)])
            self.assertEqual(rows(kept.bind("M-'1%-B")), expected)

    @with_transaction()
    def test_scan_shows_the_places_the_user_may_read(self):
        """The scan's answer gathers the parcel's places in one query: in
        the order of their ids, as the ORM reads them, and only those the
        places' record rules let the user read"""
        pool = Pool()
        Place = pool.get('multipoint.parcel.place')
        RuleGroup = pool.get('ir.rule.group')
        company = create_company()
        with set_company(company):
            msk = create_point(company, 'MSK1')
            dpd = create_supplier("DPD", storage_days=7,
                max_extension_days=7)
            parcel = create_parcel(msk, dpd, 'M-1',
                barcodes=['M-1-C', 'M-1-A', 'M-1-B'])
            Place.write([p for p in parcel.places if p.barcode == 'M-1-B'],
                {'damaged': True})
            operator = create_user('op3', ['operator'], [msk], company)
            context = {'company': company.id}

            def scanned(code):
                with Transaction().set_user(operator.id), \
                        Transaction().set_context(context), check_access():
                    shown, = lookup_json(code)
                    self.assertEqual(parcels_json([parcel]), [shown])
                    return [(p['barcode'], p['damaged'])
                        for p in shown['places']]
            self.assertEqual(scanned('M-1-A'), [
                    ('M-1-C', False), ('M-1-A', False), ('M-1-B', True)])
            self.assertEqual([p.barcode for p in Place.search(
                        [('parcel', '=', parcel.id)], order=[('id', 'ASC')])],
                ['M-1-C', 'M-1-A', 'M-1-B'])
            # a rule that hides damaged places hides them in the answer too
            RuleGroup.create([{
                        'name': "Undamaged places only",
                        'model': 'multipoint.parcel.place',
                        'global_p': True,
                        'perm_read': True,
                        'rules': [('create', [{
                                        'domain': PYSONEncoder().encode(
                                            [('damaged', '=', False)]),
                                        }])],
                        }])
            self.assertEqual(scanned('M-1-C'),
                [('M-1-C', False), ('M-1-A', False)])
            # the parcel is found by a place the user may read only
            with Transaction().set_user(operator.id), \
                    Transaction().set_context(context), check_access():
                self.assertEqual(lookup_json('M-1-B'), [])

    @with_transaction()
    def test_phone_hidden_from_operators(self):
        "Operators read the last 4 digits, never the full phone"
        pool = Pool()
        Parcel = pool.get('multipoint.parcel')
        Event = pool.get('multipoint.parcel.event')
        User = pool.get('res.user')
        company = create_company()
        with set_company(company):
            point = create_point(company, 'MSK1')
            dpd = create_supplier("DPD", storage_days=7,
                max_extension_days=7)
            parcel = create_parcel(point, dpd, 'D-1')
            other = create_parcel(point, dpd, 'D-2',
                recipient_phone='+79035550000')
            accept_and_store([parcel, other])
            operator = create_user('op', ['operator'], [point], company)
            owner = create_user('boss', ['owner'], [], company)
            User.write([owner], {'multipoint_mobile': '+79160001122'})
            context = {'company': company.id}
            with Transaction().set_user(operator.id), \
                    Transaction().set_context(context), check_access():
                with self.assertRaises(AccessError):
                    Parcel.read([parcel.id], ['recipient_phone'])
                with self.assertRaises(AccessError):
                    Parcel.search_read([], fields_names=['recipient_phone'])
                with self.assertRaises(AccessError):
                    Parcel.export_data([Parcel(parcel.id)],
                        ['recipient_phone'])
                with self.assertRaises(AccessError):
                    Event.export_data(Event.search([], limit=1),
                        ['parcel/recipient_phone'])
                with self.assertRaises(AccessError):
                    Event.read([e.id for e in Event.search([], limit=1)],
                        ['parcel.recipient_phone'])
                # no guessing digit by digit
                with self.assertRaises(AccessError):
                    Parcel.search([('recipient_phone', 'like', '+7916%')])
                values, = Parcel.read(
                    [parcel.id], ['phone_last4', 'recipient_name'])
                self.assertEqual(values['phone_last4'], '4567')
                view = Parcel.fields_view_get(view_type='form')
                self.assertNotIn('recipient_phone', view['fields'])
                self.assertNotIn('name="recipient_phone"', view['arch'])
                self.assertIn('phone_last4', Parcel.fields_get())
                # the exact phone a recipient gives still finds them
                self.assertEqual(Parcel.search(
                        [('recipient_phone', '=', '+79161234567')]), [parcel])
                matched, group = find_for_issue('4567', point)
                self.assertEqual(matched, [parcel])
                self.assertEqual(group, [parcel])
                with self.assertRaises(AccessError):
                    User.read([owner.id], ['multipoint_mobile'])
            with Transaction().set_user(owner.id), \
                    Transaction().set_context(context), check_access():
                values, = Parcel.read([parcel.id], ['recipient_phone'])
                self.assertEqual(values['recipient_phone'], '+79161234567')
                view = Parcel.fields_view_get(view_type='form')
                self.assertIn('recipient_phone', view['fields'])
                values, = User.read([owner.id], ['multipoint_mobile'])
                self.assertEqual(values['multipoint_mobile'], '+79160001122')
