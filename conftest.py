"""pytest set-up shared by scripts/test.sh and plain pytest runs.

- With pytest-xdist (`-n 2`), each worker gets a database of its own (its
  own DB_NAME; SQLite's are in memory anyway); the cached databases they
  start from are shared (multipoint_core/tests/db_cache.py). This runs before
  trytond.tests.test_tryton reads those variables.
- The test folders are importable both as trytond.modules.multipoint_x.tests
  and by path as multipoint_x.tests: alias the path names to the real modules
  so the module code is loaded once (one copy of its exceptions and routes).
  The modules are at the top (multipoint_*) and in addons/.
"""
import glob
import importlib
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
worker = os.environ.get('PYTEST_XDIST_WORKER')
if worker:
    name = os.environ.get('DB_NAME')
    if name and name != ':memory:':
        os.environ['DB_NAME'] = f'{name}_{worker}'

# the cache of test databases, shared by the workers
importlib.import_module(
    'trytond.modules.multipoint_core.tests.db_cache').install()

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
