"""pytest set-up shared by scripts/test.sh and plain pytest runs.

- With pytest-xdist (`-n 2`), each worker gets databases of its own: its own
  DB_CACHE folder (SQLite) and its own DB_NAME, so two workers never write
  the same database; on PostgreSQL the template databases, keyed on the
  sources, are shared. This runs before
  trytond.tests.test_tryton reads those variables.
- The test folders are importable both as trytond.modules.multipoint_x.tests
  and by path as multipoint_x.tests: alias the path names to the real modules
  so the module code is loaded once (one copy of its exceptions and routes).
  The modules are at the top (multipoint_*) and in addons/.
"""
import glob
import hashlib
import importlib
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
worker = os.environ.get('PYTEST_XDIST_WORKER')
if worker:
    cache = os.environ.get('DB_CACHE')
    if cache and not cache.startswith('postgresql://'):
        os.environ['DB_CACHE'] = os.path.join(cache, worker)
    name = os.environ.get('DB_NAME')
    if name and name != ':memory:':
        os.environ['DB_NAME'] = f'{name}_{worker}'

prefix = os.environ.get('MP_DB_CACHE_PREFIX')
if prefix and os.environ.get('DB_CACHE', '').startswith('postgresql://'):
    # trytond names the templates test-<hash of the modules> only: key them
    # on the sources too (scripts/test.sh sets the prefix)
    from trytond.tests import test_tryton

    def _db_cache_file(path, name):
        hash_name = hashlib.shake_128(name.encode('utf8')).hexdigest(20)
        return f"{test_tryton.DB_CACHE}/{prefix}-{hash_name}"
    test_tryton._db_cache_file = _db_cache_file

    # the workers share the templates (a module's tests run on one worker,
    # so each template is built once); when two workers build the same one
    # at once, the first stands and the other keeps its own database
    _pg_dump = test_tryton._pg_dump

    def _pg_dump_once(cache_file):
        from psycopg.errors import DuplicateDatabase
        try:
            return _pg_dump(cache_file)
        except DuplicateDatabase:
            return False
    test_tryton._pg_dump = _pg_dump_once

TESTS = [os.path.join(HERE, 'multipoint_*', 'tests', '__init__.py'),
    os.path.join(HERE, 'addons', 'multipoint_*', 'tests', '__init__.py')]
for init in sorted(i for t in TESTS for i in glob.glob(t)):
    folder = os.path.dirname(os.path.dirname(init))
    module = os.path.basename(folder)
    canonical = 'trytond.modules.' + module
    try:
        sys.modules.setdefault(module, importlib.import_module(canonical))
        sys.modules.setdefault(
            module + '.tests', importlib.import_module(canonical + '.tests'))
    except Exception:
        continue
    for path in sorted(glob.glob(
                os.path.join(folder, 'tests', 'test_*.py'))):
        name = os.path.basename(path)[:-3]
        try:
            sys.modules.setdefault(f'{module}.tests.{name}',
                importlib.import_module(f'{canonical}.tests.{name}'))
        except Exception:
            pass  # pytest reports the import error itself


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """With pytest-xdist's --dist loadgroup, a module's tests run on one
    worker: each worker then builds only the template databases of its
    modules (a template costs a module activation, longer than most test
    files). First among the hooks: xdist's own reads the groups."""
    for item in items:
        package = item.nodeid.split('/', 1)[0]
        if package == 'addons':
            package = item.nodeid.split('/', 2)[1]
        if package.startswith('multipoint_'):
            item.add_marker(pytest.mark.xdist_group(package))
