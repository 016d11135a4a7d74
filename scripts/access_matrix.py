#!/usr/bin/env python3
"""Derive the access matrix of the six Multipoint modules from a live
registry and compare it with the reviewed file docs/access-matrix.csv.

    .venv/bin/python scripts/access_matrix.py           # print the diff
    .venv/bin/python scripts/access_matrix.py --write   # regenerate the file

The registry is a SQLite database in memory with the six modules activated
(Russian), built from the sources trytond imports (this checkout). The
built database is cached in DB_CACHE, by default a folder of the system's
temporary directory keyed on a hash of the modules' sources, so a second run
on the same sources takes seconds and a changed source is never answered by
a stale cache. Set DB_CACHE yourself, or MULTIPOINT_NO_CACHE=1, to choose.

Exit status: 0 when the file matches (or was written), 1 when it differs,
2 on a usage error. The logic is multipoint_core/tests/access_matrix.py.
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
    'multipoint_tickets', 'multipoint_settlement', 'multipoint_portal']


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
    os.environ.setdefault('TRYTOND_DATABASE_URI', 'sqlite://')
    os.environ['DB_NAME'] = ':memory:'
    if os.environ.get('MULTIPOINT_NO_CACHE'):
        os.environ.pop('DB_CACHE', None)
    elif not os.environ.get('DB_CACHE'):
        os.environ['DB_CACHE'] = os.path.join(tempfile.gettempdir(),
            'multipoint-access-matrix', sources_hash())


def derive_text():
    # trytond.tests.test_tryton reads the environment when imported
    from trytond.tests.test_tryton import DB_NAME, activate_module
    from trytond.transaction import Transaction

    from trytond.modules.multipoint_core.tests import access_matrix

    # the six modules (the portal brings suppliers, core and pos), named as
    # the template of tests/test_access_matrix.py and of the portal tests
    activate_module(
        ['multipoint_portal', 'multipoint_tickets', 'multipoint_settlement'],
        lang='ru')
    with Transaction().start(DB_NAME, 0) as transaction:
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
    from trytond.modules.multipoint_core.tests import access_matrix

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
