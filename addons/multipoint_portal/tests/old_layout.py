"""Run a Python script or trytond-admin with the Multipoint modules of an
older checkout (the layout before multipoint_settlement and
multipoint_portal were split from multipoint_suppliers).

    python old_layout.py OLD_ROOT script.py [args...]
    python old_layout.py OLD_ROOT -m trytond.admin [args...]

OLD_ROOT holds the folders multipoint_core, multipoint_pos,
multipoint_suppliers and multipoint_tickets of that checkout (git archive):
trytond.modules.<name> is imported from there instead of this checkout, and
the modules this checkout adds (multipoint_settlement, multipoint_portal
and every later one) are unknown to trytond, as they were then."""
import importlib.abc
import importlib.util
import os
import runpy
import sys

OLD_MODULES = ['multipoint_core', 'multipoint_pos', 'multipoint_suppliers',
    'multipoint_tickets']


def is_new(name):
    "A module of this checkout that the old layout did not have"
    return name.startswith('multipoint_') and name not in OLD_MODULES


class OldLayoutFinder(importlib.abc.MetaPathFinder):
    "trytond.modules.<old module> from the old checkout"

    def __init__(self, root):
        self.root = root

    def find_spec(self, fullname, path=None, target=None):
        parts = fullname.split('.')
        if parts[:2] != ['trytond', 'modules'] or len(parts) < 3:
            return None
        if is_new(parts[2]):
            raise ModuleNotFoundError(fullname)
        if parts[2] not in OLD_MODULES:
            return None
        base = os.path.join(self.root, *parts[2:])
        if os.path.isdir(base):
            return importlib.util.spec_from_file_location(fullname,
                os.path.join(base, '__init__.py'),
                submodule_search_locations=[base])
        if os.path.isfile(base + '.py'):
            return importlib.util.spec_from_file_location(
                fullname, base + '.py')
        return None


def install(root):
    sys.meta_path.insert(0, OldLayoutFinder(root))
    import trytond.modules as modules
    get_modules = modules.get_modules

    def old_modules(with_test=False):
        return {m for m in get_modules(with_test=with_test)
            if not is_new(m)}
    modules.get_modules = old_modules


def main():
    root, args = sys.argv[1], sys.argv[2:]
    install(os.path.abspath(root))
    if args[0] == '-m':
        sys.argv = [args[1]] + args[2:]
        if args[1] == 'trytond.admin':
            from trytond.cli.admin import main as admin
            admin()
        else:
            runpy.run_module(args[1], run_name='__main__')
    else:
        sys.argv = args
        runpy.run_path(args[0], run_name='__main__')


if __name__ == '__main__':
    main()
