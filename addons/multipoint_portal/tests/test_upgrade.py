"""The upgrade of a database of the layout before the split of
multipoint_suppliers (settlements and the supplier portal in it) to
multipoint_suppliers + multipoint_settlement + multipoint_portal.

The old database is made by the old code itself: the four modules of the
last commit of that layout (git archive OLD_COMMIT), activated by
trytond-admin, filled by that commit's scripts/demo_data.py and with
settlements, a fine, a reconciliation and report columns (upgrade_data.py
fill). Then this checkout's trytond-admin upgrades it with the documented
command

    trytond-admin -d DB -u multipoint_suppliers multipoint_settlement \\
        multipoint_portal --activate-dependencies

and the test compares what was there before with what is there after: the
same records of the settlements, reconciliations and web users, the same
XML ids pointing to the same records (now under the new modules), as many
views, actions, menus, access rights, buttons, rules, messages and Russian
translations as before (nothing created twice, nothing lost), and the
records work: forms, the agent's report, the menus, the portal's login,
settlements and tickets. A second upgrade changes nothing more.

SQLite only (a file database of its own, whatever the suite's backend).
The old database is kept in DB_CACHE when it is a folder (scripts/test.sh),
keyed on the old commit, so a second run only upgrades a copy of it."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..', '..'))
# the last commit where settlements and the portal were multipoint_suppliers'
OLD_COMMIT = '3885cad46199f73fa50cea7397a85e76fbcdc8cb'
OLD_PATHS = ['multipoint_core', 'multipoint_pos', 'multipoint_suppliers',
    'multipoint_tickets', 'openapi.yaml', 'scripts/demo_data.py',
    'scripts/bench_service.py']
DATABASE = 'upgrade'
# every module of the old layout is upgraded with the new code (its models
# may have new columns), and the two new modules take over their records
UPGRADE = ['-u', 'multipoint_core', 'multipoint_pos', 'multipoint_tickets',
    'multipoint_suppliers', 'multipoint_settlement', 'multipoint_portal',
    '--activate-dependencies']


def git(*args):
    return subprocess.run(['git', *args], cwd=ROOT, capture_output=True)


def skip_reason():
    if os.environ.get('TRYTOND_DATABASE_URI', 'sqlite://').split(':')[0] \
            not in {'sqlite', ''}:
        return "the upgrade is tested on SQLite (the SQLite pass runs it)"
    if shutil.which('git') is None:
        return "git is needed to get the old layout"
    if git('cat-file', '-e', OLD_COMMIT + '^{commit}').returncode:
        return (f"commit {OLD_COMMIT[:10]} (the old layout) is not in "
            "this clone")
    return None


def environ():
    "A trytond of its own: no test database settings"
    return {k: v for k, v in os.environ.items()
        if not k.startswith('TRYTOND_')
        and k not in {'DB_NAME', 'DB_CACHE'}}


@unittest.skipIf(skip_reason(), skip_reason())
class UpgradeFromSuppliersTestCase(unittest.TestCase):
    "A database of the old layout upgrades and keeps its data"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = tempfile.mkdtemp(prefix='multipoint-upgrade-')
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        cls.config = os.path.join(cls.tmp, 'trytond.conf')
        with open(cls.config, 'w') as fp:
            fp.write(f"[database]\nuri = sqlite://\npath = {cls.tmp}\n"
                "language = ru\n")
        cls.database = os.path.join(cls.tmp, DATABASE + '.sqlite')
        cache = os.environ.get('DB_CACHE')
        cached = None
        if cache and '://' not in cache and os.path.isdir(cache):
            cached = os.path.join(cache, f'old-layout-{OLD_COMMIT[:12]}')
        if cached and os.path.exists(cached + '.sqlite'):
            shutil.copyfile(cached + '.sqlite', cls.database)
            with open(cached + '.json') as fp:
                cls.before = json.load(fp)
        else:
            cls.create_old_database()
            cls.before = cls.data('state', old=True)
            if cached:
                shutil.copyfile(cls.database, cached + '.sqlite.tmp')
                os.replace(cached + '.sqlite.tmp', cached + '.sqlite')
                with open(cached + '.json', 'w') as fp:
                    json.dump(cls.before, fp)
        cls.admin(UPGRADE)
        cls.after = cls.data('state')
        cls.use = cls.data('use')
        cls.admin(UPGRADE)
        cls.again = cls.data('state')

    @classmethod
    def run_quiet(cls, args, old=False, timeout=1200):
        "Run args with python (the old layout's modules with old), stdout"
        command = [sys.executable]
        if old:
            command += [os.path.join(HERE, 'old_layout.py'), cls.old_root]
        command += args
        result = subprocess.run(command, cwd=cls.tmp, env=environ(),
            capture_output=True, text=True, timeout=timeout)
        if result.returncode:
            raise AssertionError(f"{' '.join(args[:4])} failed:\n"
                + result.stderr[-6000:])
        return result.stdout

    @classmethod
    def admin(cls, args, old=False):
        prefix = ['-m', 'trytond.admin'] if old else [
            '-c', 'from trytond.cli.admin import main; main()']
        cls.run_quiet(prefix + ['-c', cls.config, '-d', DATABASE] + args,
            old=old)

    @classmethod
    def data(cls, command, old=False):
        return json.loads(cls.run_quiet([
                    os.path.join(HERE, 'upgrade_data.py'),
                    cls.config, DATABASE, command], old=old))

    @classmethod
    def create_old_database(cls):
        cls.old_root = os.path.join(cls.tmp, 'old')
        os.makedirs(cls.old_root)
        archive = git('archive', '--format=tar', OLD_COMMIT, *OLD_PATHS)
        if archive.returncode:
            raise AssertionError(archive.stderr.decode())
        subprocess.run(['tar', '-x', '-C', cls.old_root],
            input=archive.stdout, check=True)
        open(cls.database, 'w').close()
        password = os.path.join(cls.tmp, 'password')
        with open(password, 'w') as fp:
            fp.write('admin-upgrade-2026\n')
        env = dict(environ(), TRYTONPASSFILE=password)
        command = [sys.executable, os.path.join(HERE, 'old_layout.py'),
            cls.old_root, '-m', 'trytond.admin', '-c', cls.config,
            '-d', DATABASE, '--all', '--email', 'admin@example.com',
            '-u', 'multipoint_core', 'multipoint_pos',
            'multipoint_suppliers', 'multipoint_tickets',
            '--activate-dependencies', '-l', 'ru']
        result = subprocess.run(command, cwd=cls.tmp, env=env,
            capture_output=True, text=True, timeout=1800)
        if result.returncode:
            raise AssertionError("the old layout's activation failed:\n"
                + result.stderr[-6000:])
        cls.run_quiet([os.path.join(cls.old_root, 'scripts', 'demo_data.py'),
                '-c', cls.config, '-d', DATABASE, '--parcels', '60'],
            old=True)
        cls.data('fill', old=True)

    # -- the old layout ----------------------------------------------------

    def test_old_layout(self):
        "The old database has the old layout (what the test upgrades)"
        before = self.before
        self.assertEqual(set(before['modules']), {'multipoint_core',
                'multipoint_pos', 'multipoint_suppliers',
                'multipoint_tickets'})
        self.assertEqual(before['models']['multipoint.settlement'],
            'multipoint_suppliers')
        self.assertIn('multipoint_suppliers.act_settlement_form',
            before['model_data'])
        self.assertIn('multipoint_suppliers.msg_portal_login_failed',
            before['model_data'])
        self.assertEqual(len(before['settlements']), 2)
        self.assertEqual(len(before['reconciliation_lines']), 1)
        self.assertTrue(before['web_users'])

    # -- after the upgrade -------------------------------------------------

    def test_modules(self):
        """The new modules are activated, the old ones still are (the
        suite's later modules are known, not activated)"""
        def activated(modules):
            return {m: s for m, s in modules.items() if s != 'not activated'}
        self.assertEqual(activated(self.after['modules']), dict(
                activated(self.before['modules']),
                multipoint_settlement='activated',
                multipoint_portal='activated'))

    def test_data_kept(self):
        "Settlements, their lines, fines, reconciliations, web users"
        for key in ['settlements', 'settlement_lines', 'fines',
                'reconciliations', 'reconciliation_lines', 'report_columns',
                'configuration', 'web_users']:
            with self.subTest(key=key):
                self.assertEqual(self.after[key], self.before[key])

    def test_xml_ids_moved(self):
        """Every XML id of the old layout points to the same record,
        under multipoint_settlement, multipoint_portal or where it was"""
        before, after = self.before['model_data'], self.after['model_data']
        moved = {'multipoint_settlement': 0, 'multipoint_portal': 0}
        for xml_id, record in before.items():
            module, fs_id = xml_id.split('.', 1)
            if xml_id in after:
                self.assertEqual(after[xml_id], record, xml_id)
                continue
            self.assertEqual(module, 'multipoint_suppliers', xml_id)
            targets = [m for m in moved if f'{m}.{fs_id}' in after]
            self.assertEqual(len(targets), 1, xml_id)
            self.assertEqual(after[f'{targets[0]}.{fs_id}'], record, xml_id)
            moved[targets[0]] += 1
        self.assertGreater(moved['multipoint_settlement'], 100)
        self.assertGreater(moved['multipoint_portal'], 20)
        # an XML id of the new modules that multipoint_suppliers had is
        # still its record, not a copy
        for xml_id in set(after) - set(before):
            module, fs_id = xml_id.split('.', 1)
            if module not in moved:
                continue  # the new code of the old layout's modules
            old = before.get(f'multipoint_suppliers.{fs_id}')
            if old is not None:
                self.assertEqual(after[xml_id], old, xml_id)
        # the groups and the settlements' sequence stay where they were
        for xml_id in ['multipoint_suppliers.group_supplier_api',
                'multipoint_suppliers.sequence_settlement',
                'multipoint_suppliers.sequence_type_settlement']:
            self.assertEqual(after[xml_id], before[xml_id])

    def test_nothing_twice(self):
        """As many views, actions, access rights, rules, buttons, reports,
        menus, messages and sequences as before"""
        totals = {
            'ir_model_field_access': 'ir.model.field.access',
            'ir_sequence': 'ir.sequence',
            'ir_sequence_type': 'ir.sequence.type',
            }
        for kind, count in self.before['counts'].items():
            if kind in totals:
                # the upgraded modules' new code may add its own records
                count = [count[0] + self.new_records(totals[kind])]
            with self.subTest(kind=kind):
                self.assertEqual(self.after['counts'][kind], count)

    def new_records(self, model):
        """The records of model the new code of the old layout's modules
        adds: new XML ids, not those moved to the new modules"""
        before, after = self.before['model_data'], self.after['model_data']
        count = 0
        for xml_id, (record_model, _) in after.items():
            module, fs_id = xml_id.split('.', 1)
            if (xml_id in before or record_model != model
                    or f'multipoint_suppliers.{fs_id}' in before):
                continue
            count += 1
        return count

    def test_owners(self):
        "Models, fields and views belong to the module that defines them"
        models, fields = self.after['models'], self.after['fields']
        for model in ['multipoint.settlement',
                'multipoint.settlement.reconciliation',
                'multipoint.supplier.account.report_column']:
            self.assertEqual(models[model], 'multipoint_settlement')
        self.assertEqual(models['multipoint.supplier.account'],
            'multipoint_suppliers')
        self.assertEqual(fields['multipoint.settlement.number'],
            'multipoint_settlement')
        self.assertEqual(
            fields['multipoint.supplier.account.report_columns'],
            'multipoint_settlement')
        self.assertEqual(fields['web.user.multipoint_supplier'],
            'multipoint_portal')
        self.assertEqual(fields['multipoint.supplier.account.connector'],
            'multipoint_suppliers')
        views = {name: module for module, name, _ in
            self.after['views'].values()}
        self.assertEqual(views['settlement_form'], 'multipoint_settlement')
        self.assertEqual(views['reconciliation_account_form'],
            'multipoint_settlement')
        self.assertEqual(views['web_user_form'], 'multipoint_portal')
        self.assertEqual(views['account_form'], 'multipoint_suppliers')

    def test_translations(self):
        "The Russian translations are all there, under their module"
        # (type, name, res_id, lang): module; the upgraded modules' new
        # code may reword a text and adds its own
        before = {tuple(t[1:5]): t[0] for t in self.before['translations']}
        after = {tuple(t[1:5]): t[0] for t in self.after['translations']}
        self.assertLessEqual(set(before), set(after))
        modules = {after[key] for key, module in before.items()
            if module == 'multipoint_suppliers'}
        # the new code may define a text of the old suppliers' in core too
        self.assertLessEqual({'multipoint_suppliers', 'multipoint_settlement',
                'multipoint_portal'}, modules)
        self.assertLessEqual(modules, {'multipoint_suppliers',
                'multipoint_settlement', 'multipoint_portal',
                'multipoint_core'})
        settlement_menu = [key for key in after
            if key[:2] == ('model', 'ir.ui.menu,name')
            and after[key] == 'multipoint_settlement']
        self.assertTrue(settlement_menu)

    def test_records_work(self):
        "Forms, the agent's report, menus and the portal"
        use = self.use
        self.assertEqual([s[:2] for s in use['settlements']], [
                ['ОА-UPG-1', 'sent'], ['ОА-UPG-2', 'disputed']])
        self.assertEqual(use['xlsx'], ['xlsx', True])
        self.assertEqual(use['reconciliations'],
            [['ОА-UPG-1', 'draft', ['99.00']]])
        self.assertEqual(len(use['menus']), 3)
        self.assertEqual(use['portal_login'], 200)
        # multipoint_claims is known, not activated
        self.assertEqual(use['portal_features'],
            {'tickets': True, 'settlements': True, 'claims': False})
        self.assertEqual(use['portal_settlements'], [
                ['ОА-UPG-1', 'sent'], ['ОА-UPG-2', 'disputed']])
        self.assertEqual(use['portal_tickets'][0], 200)
        self.assertGreaterEqual(use['portal_tickets'][1], 1)

    def test_second_upgrade(self):
        "Upgrading again changes nothing"
        self.assertEqual(self.again, self.after)
