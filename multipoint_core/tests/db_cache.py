"""The test databases' cache (trytond's DB_CACHE) as the suite uses it.

trytond keeps one database per list of modules (and language): built once
by activating the modules on an empty database, then copied for every test
class and scenario. Built from nothing, every list activates Tryton's own
modules again (ir, res, party, company, product, stock, account...), which
is most of the time. Here a list is built on the cached database of a
smaller one, activating only what is missing, as `trytond-admin -u ...
--activate-dependencies` does on a live database:

- a list of several modules is built on its deepest module alone;
- a module alone is built on its deepest Multipoint dependency (claims on
  settlement, settlement on suppliers, suppliers on pos, pos on core);
- the proteus scenarios' lists with set-up functions (`create_company`)
  are built on the same list without them.

Also:
- PostgreSQL template names carry the sources' hash (MP_DB_CACHE_PREFIX,
  set by scripts/test.sh): a change of module code never reuses a stale
  template;
- pytest-xdist's workers and the scenario processes share the cache. A
  SQLite database is written under a temporary name and renamed; on
  PostgreSQL, when two processes build the same template at once, the
  first one stands.

`install()` is called by conftest.py and by scripts/test.sh's runner
before the tests run; `database_file()` gives the browser tests a cached
database as a file for their own trytond.
"""
import functools
import hashlib
import os
import shutil

from trytond.modules import get_module_info
from trytond.tests import test_tryton, tools

SUITE_PREFIX = 'multipoint_'
_installed = False
_trytond_activate_module = test_tryton.activate_module


def install():
    global _installed
    if _installed or not test_tryton.DB_CACHE:
        return
    _installed = True
    prefix = os.environ.get('MP_DB_CACHE_PREFIX')
    if prefix and test_tryton.DB_CACHE.startswith('postgresql://'):
        def _db_cache_file(path, name):
            hash_name = hashlib.shake_128(name.encode('utf8')).hexdigest(20)
            return f"{test_tryton.DB_CACHE}/{prefix}-{hash_name}"
        test_tryton._db_cache_file = _db_cache_file
    test_tryton._pg_dump = _pg_dump_once(test_tryton._pg_dump)
    test_tryton._sqlite_copy = _sqlite_copy_atomic(test_tryton._sqlite_copy)
    test_tryton.activate_module = activate_module
    tools.activate_modules = activate_modules


def _pg_dump_once(pg_dump):
    @functools.wraps(pg_dump)
    def wrapper(cache_file):
        from psycopg.errors import DuplicateDatabase, UniqueViolation
        try:
            return pg_dump(cache_file)
        except (DuplicateDatabase, UniqueViolation):
            # another process made it first: named before we started, or
            # at the same moment (then the catalog's unique index refuses)
            return False
    return wrapper


def _sqlite_copy_atomic(sqlite_copy):
    @functools.wraps(sqlite_copy)
    def wrapper(file_, restore=False):
        if restore or os.path.exists(file_):
            return sqlite_copy(file_, restore=restore)
        partial = f'{file_}.{os.getpid()}.partial'
        if not sqlite_copy(partial):
            return False
        os.replace(partial, file_)
        return True
    return wrapper


@functools.cache
def _suite_depends(module):
    "The Multipoint modules `module` depends on, directly or not"
    depends = set()
    for name in get_module_info(module).get('depends', []):
        if name.startswith(SUITE_PREFIX):
            depends |= {name} | _suite_depends(name)
    return frozenset(depends)


def _base(modules):
    "The smaller list of modules to build `modules` on, or None"
    if len(modules) > 1:
        # the deepest of them: its database is the one most lists share
        return [max(modules, key=lambda m: (len(_suite_depends(m)), m))]
    depends = [d for d in get_module_info(modules[0]).get('depends', [])
        if d.startswith(SUITE_PREFIX)]
    if not depends:
        return None
    return [max(depends, key=lambda d: (len(_suite_depends(d)), d))]


def _cache_name(modules, lang):
    name = '-'.join(modules)
    if lang != 'en':
        name += '--' + lang
    return name


def activate_module(modules, lang='en'):
    "trytond's activate_module, building on the cache of a smaller list"
    if isinstance(modules, str):
        modules = [modules]
    if (not test_tryton.db_exist(test_tryton.DB_NAME)
            and test_tryton.restore_db_cache(_cache_name(modules, lang))):
        return
    base = _base(modules)
    if base and not test_tryton.db_exist(test_tryton.DB_NAME):
        activate_module(base, lang)
    # on the base's database trytond's own activates only what is missing
    # and keeps the result in the cache
    _trytond_activate_module(modules, lang)


def activate_modules(modules, *setup):
    """proteus' activate_modules: the list without its set-up functions
    comes from the cache (or is built there) first"""
    if isinstance(modules, str):
        modules = [modules]
    modules = sorted(modules)
    if not setup:
        return _proteus_activate(modules)
    cache_name = '-'.join(modules) + '--' + '|'.join(
        tools._func_name(f) for f in setup)
    if test_tryton.restore_db_cache(cache_name):
        return tools._get_config()
    test_tryton.drop_db()
    config = _proteus_activate(modules)
    for func in setup:
        func(config=config)
    test_tryton.backup_db_cache(cache_name)
    return config


def _proteus_activate(modules):
    test_tryton.drop_db()
    activate_module(modules)
    return tools._get_config()


def database_file(modules, lang, path):
    """Copy the cached SQLite database of modules to path (built first
    when missing); False when there is no SQLite cache to copy from"""
    cache = test_tryton.DB_CACHE
    if (not cache or cache.startswith('postgresql://')
            or test_tryton.backend.name != 'sqlite'):
        return False
    install()
    test_tryton.drop_db()
    activate_module(modules, lang)
    test_tryton.drop_db()
    shutil.copyfile(
        test_tryton._db_cache_file(cache, _cache_name(modules, lang)), path)
    return True
