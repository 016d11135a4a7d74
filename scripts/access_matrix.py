#!/usr/bin/env python3
"""Derive the access matrix of the seven Multipoint modules from a live
registry and compare it with the reviewed file docs/access-matrix.csv.

    .venv/bin/python scripts/access_matrix.py           # print the diff
    .venv/bin/python scripts/access_matrix.py --write   # regenerate the file

The registry is a SQLite database with the seven modules activated
(Russian), built from the sources trytond imports (this checkout) the way
trytond-admin does it (database init, then the pool initialised with the
modules to activate and their dependencies). The built database is a file
named after a hash of the modules' sources, in DB_CACHE (a folder; by
default multipoint-access-matrix in the system's temporary directory), so a
second run on the same sources takes seconds and a changed source is never
answered by a stale file. MULTIPOINT_NO_CACHE=1 builds it in a temporary
folder removed at the end.

Exit status: 0 when the file matches (or was written), 1 when it differs,
2 on a usage error. The logic is multipoint_core/access_matrix.py.
"""
import argparse
import hashlib
import os
import pathlib
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
DEFAULT_FILE = ROOT / 'docs' / 'access-matrix.csv'
MODULES = ['multipoint_core', 'multipoint_pos', 'multipoint_suppliers',
    'multipoint_tickets', 'multipoint_settlement', 'multipoint_portal',
    'multipoint_claims']


def sources_hash():
    "A hash of the modules' sources as trytond imports them"
    import importlib.util
    digest = hashlib.sha256()
    for module in MODULES:
        spec = importlib.util.find_spec('trytond.modules.' + module)
        folder = pathlib.Path(spec.origin).parent
        for path in sorted(folder.rglob('*')):
            if (path.is_file() and '__pycache__' not in path.parts
                    and path.suffix != '.pyc'):
                digest.update(str(path.relative_to(folder)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:24]


def setup_environment():
    "SQLite, set before trytond reads its configuration (on first import)"
    os.environ['TRYTOND_DATABASE__URI'] = 'sqlite://'


# the seven modules: the portal brings suppliers, core and pos
ACTIVATE = ['multipoint_portal', 'multipoint_tickets', 'multipoint_settlement',
    'multipoint_claims']


def cache_folder():
    "The folder of the database file: DB_CACHE or the temporary directory's"
    folder = os.environ.get('DB_CACHE') or ''
    if not folder or folder.startswith('postgresql://'):
        folder = os.path.join(tempfile.gettempdir(),
            'multipoint-access-matrix')
    os.makedirs(folder, exist_ok=True)
    return folder


def ready(path):
    "Whether the database file at path has the modules activated"
    import sqlite3
    if not os.path.exists(path):
        return False
    try:
        with sqlite3.connect(path) as conn:
            rows = conn.execute("SELECT COUNT(*) FROM ir_module "
                "WHERE state = 'activated' AND name IN (%s)"
                % ', '.join('?' * len(ACTIVATE)), ACTIVATE).fetchone()
        return rows[0] == len(ACTIVATE)
    except sqlite3.Error:
        return False


def activate(folder, name):
    """The database name in folder (SQLite) with the modules activated, as
    trytond-admin -u ACTIVATE --activate-dependencies -l ru makes it; a
    database made before from the same sources is used as it is"""
    from trytond import backend, config
    from trytond.pool import Pool
    config.set('database', 'path', folder)
    path = os.path.join(folder, name + '.sqlite')
    if not ready(path):
        # a file of older sources or of a run that was stopped
        for old in pathlib.Path(folder).glob('access_matrix_*.sqlite*'):
            old.unlink()
        open(path, 'w').close()
        database = backend.Database(name).connect()
        database.init()
        Pool(name).init(update=ACTIVATE, lang=['ru'], activatedeps=True)
    else:
        Pool(name).init()


def derive_text():
    from trytond.transaction import Transaction

    from trytond.modules.multipoint_core import access_matrix

    name = 'access_matrix_' + sources_hash()
    with tempfile.TemporaryDirectory() as tmp:
        folder = tmp if os.environ.get('MULTIPOINT_NO_CACHE') \
            else cache_folder()
        activate(folder, name)
        with Transaction().start(name, 0) as transaction:
            try:
                return access_matrix.render(access_matrix.derive_matrix())
            finally:
                transaction.rollback()


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Derive the Multipoint access matrix from the live "
        "registry; without --write, print its difference with the file.")
    parser.add_argument('--write', action='store_true',
        help="write the derived matrix to the file")
    parser.add_argument('--file', type=pathlib.Path, default=DEFAULT_FILE,
        help=f"the expectation file (default {DEFAULT_FILE.relative_to(ROOT)})")
    parser.add_argument('--print', action='store_true', dest='print_',
        help="print the whole derived matrix")
    parser.add_argument('--suspicious', action='store_true',
        help="list the derived cells that look like leaks under the "
        "product's rules (access_matrix.suspicious)")
    args = parser.parse_args(argv)

    setup_environment()
    derived = derive_text()
    from trytond.modules.multipoint_core import access_matrix

    if args.print_:
        sys.stdout.write(derived)
    if args.suspicious:
        for model, role, why in access_matrix.suspicious(
                access_matrix.parse(derived)):
            print(f"suspicious: {model} {role}: {why}")
    expected = args.file.read_text(encoding='utf-8') \
        if args.file.exists() else ''
    if args.write:
        args.file.parent.mkdir(parents=True, exist_ok=True)
        if derived != expected:
            args.file.write_text(derived, encoding='utf-8')
            print(f"{args.file}: written, "
                f"{len(access_matrix.parse(derived))} rows", file=sys.stderr)
        else:
            print(f"{args.file}: unchanged", file=sys.stderr)
        return 0
    difference = access_matrix.diff(expected, derived,
        str(args.file), 'derived from the registry')
    if not difference:
        print(f"{args.file}: matches the registry", file=sys.stderr)
        return 0
    sys.stdout.write(difference)
    print(f"\n{args.file} differs from the registry; review the lines "
        "above, then regenerate it with: "
        ".venv/bin/python scripts/access_matrix.py --write", file=sys.stderr)
    return 1


if __name__ == '__main__':
    sys.exit(main())
