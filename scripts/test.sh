#!/usr/bin/env bash
# Multipoint: run the whole test suite on one backend.
#   scripts/test.sh [sqlite|postgresql] [extra pytest args...]
#
# Runs, after scripts/setup.sh:
#   1. pytest -q --pyargs trytond.modules.multipoint_*.tests   (ModuleTestCase, routes, units)
#   2. pytest tests/            when that folder holds test files (cross-module tests)
#   3. python -m unittest trytond.modules.<m>.tests.test_scenario for each module that has
#      one: the proteus doctest scenarios, which pytest does not collect (two processes).
#
# Databases are cached with Tryton's DB_CACHE, keyed on a hash of the module code of every
# multipoint_* and addons/ module (their tests/ and doc/ aside: the cached databases are
# module activations only), pyproject.toml and the installed distributions, so a stale
# cache is never reused after a change:
#   sqlite      DB_CACHE=var/dbcache/<hash>/sqlite           (older <hash> folders are removed)
#   postgresql  DB_CACHE=postgresql://... template databases named mp<hash12>-<name hash>
#               (templates of another hash are dropped)
#
# Environment:
#   MULTIPOINT_TEST_PG   server URI for postgresql (default postgresql://postgres@127.0.0.1:5432/);
#                        the user must be allowed to create databases
#   MULTIPOINT_NO_CACHE=1  run without DB_CACHE
#   SKIP_SETUP=1         do not run scripts/setup.sh first
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

BACKEND="${1:-sqlite}"
[ $# -gt 0 ] && shift
case "$BACKEND" in
    sqlite|postgresql) ;;
    *) echo "usage: $0 [sqlite|postgresql] [pytest args...]" >&2; exit 2 ;;
esac

if [ -z "${SKIP_SETUP:-}" ]; then
    bash "$ROOT/scripts/setup.sh" || exit 1
fi

PY="$ROOT/.venv/bin/python"
MODULES=(multipoint_core multipoint_pos multipoint_suppliers multipoint_tickets
    multipoint_settlement multipoint_portal multipoint_claims multipoint_analytics)
# a module's folder: at the top of the repository or in addons/
module_dir() { if [ -d "addons/$1" ]; then echo "addons/$1"; else echo "$1"; fi; }
mkdir -p "$ROOT/var/log" "$ROOT/var/dbcache"
LOG="$ROOT/var/log/test-$BACKEND.log"
: > "$LOG"

say() { printf '[test:%s] %s\n' "$BACKEND" "$*" | tee -a "$LOG"; }

# ---------------------------------------------------------------- cache key
src_hash() {
    {
        # the module code only: tests and docs do not shape the databases
        find multipoint_* addons -type f ! -name '*.pyc' ! -path '*/__pycache__/*' \
            ! -path '*/tests/*' ! -path '*/doc/*' -print0 \
            | LC_ALL=C sort -z | xargs -0 sha256sum
        sha256sum pyproject.toml
        ls "$ROOT"/.venv/lib/python3*/site-packages | grep -E '\.dist-info$' || true
    } | sha256sum | cut -c1-32
}
HASH="$(src_hash)"

# Environment shared by every test process
unset TRYTOND_CONFIG TRYTOND_DATABASE__URI TRYTOND_DATABASE__PATH
export PYTHONDONTWRITEBYTECODE=1

# Prefix for the PostgreSQL template databases: trytond names them test-<hash of the
# module names> only, so the runner below renames them mp<source hash>-<...>.
PG_PREFIX="mp${HASH:0:12}"

# Small runner: the test databases' cache as the suite uses it (multipoint_core/tests/db_cache.py:
# template names keyed on the source hash, a module list built on a smaller one),
# then pytest or unittest in the same process.
read -r -d '' RUNNER <<'PYEOF'
import os, sys
from trytond.modules.multipoint_core.tests import db_cache
db_cache.install()
runner, args = sys.argv[1], sys.argv[2:]
if runner == 'pytest':
    # pytest imports tests/test_*.py by file path as multipoint_x.tests.test_y (the
    # folders are mapped to trytond.modules.multipoint_x only by the editable install),
    # which would load a second copy of the module code (exceptions, routes...).
    # Import them under their real name first and alias the folder names to them.
    import glob, importlib
    for folder in sorted(glob.glob('multipoint_*/tests/__init__.py')
            + glob.glob('addons/multipoint_*/tests/__init__.py')):
        base = folder[:-len('/tests/__init__.py')]
        mod = base.split('/')[-1]
        canon = 'trytond.modules.' + mod
        try:
            sys.modules.setdefault(mod, importlib.import_module(canon))
            sys.modules.setdefault(
                mod + '.tests', importlib.import_module(canon + '.tests'))
        except Exception:
            continue
        for path in sorted(glob.glob(f'{base}/tests/test_*.py')):
            name = os.path.basename(path)[:-3]
            try:
                sys.modules.setdefault(
                    f'{mod}.tests.{name}',
                    importlib.import_module(f'{canon}.tests.{name}'))
            except Exception:
                pass  # pytest reports the import error itself
    import pytest
    sys.exit(pytest.main(args))
else:
    import unittest
    sys.argv = ['python -m unittest'] + args
    unittest.main(module=None)
PYEOF

pg_admin() {
    # pg_admin "<python code using conn>" : autocommit connection to the maintenance db
    "$PY" - "$PG_URI" "$@" <<'PYEOF'
import sys, psycopg
uri, action = sys.argv[1], sys.argv[2]
args = sys.argv[3:]
base = uri.rstrip('/')
try:
    conn = psycopg.connect(base + '/postgres', autocommit=True, connect_timeout=10)
except Exception as e:
    print(f"cannot connect to {uri}: {e}", file=sys.stderr)
    sys.exit(3)
cur = conn.cursor()
if action == 'check':
    cur.execute("SELECT rolsuper OR rolcreatedb FROM pg_roles WHERE rolname = current_user")
    row = cur.fetchone()
    if not row or not row[0]:
        print("the PostgreSQL user may not create databases (needs CREATEDB)", file=sys.stderr)
        sys.exit(4)
elif action == 'drop-stale':
    # Cache templates are named mp<source hash>-<module set hash>: those of other
    # sources are never used by this run. Drop them, except the two most recently
    # created other sets (by oid), which a concurrent run of a neighbouring
    # checkout may be copying right now.
    prefix = args[0]
    import re
    cur.execute("SELECT datname, oid::bigint FROM pg_database")
    groups = {}
    for name, oid in cur.fetchall():
        # mp<hash>[gw<n>]-<set>: the pytest-xdist workers' own templates
        if re.fullmatch(r'mp[0-9a-f]{12}(gw[0-9]+)?-[0-9a-f]{40}', name):
            group = re.sub(r'gw[0-9]+$', '', name.split('-')[0])
            groups.setdefault(group, []).append((name, oid))
    groups.pop(prefix, None)
    recent = sorted(groups, key=lambda p: max(o for _, o in groups[p]), reverse=True)
    for old in recent[2:]:
        for name, _ in groups[old]:
            try:
                cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
                print(f"dropped stale cache database {name}")
            except Exception as e:
                print(f"could not drop {name}: {e}", file=sys.stderr)
elif action == 'drop':
    for name in args:
        try:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        except Exception as e:
            print(f"could not drop {name}: {e}", file=sys.stderr)
PYEOF
}

if [ "$BACKEND" = sqlite ]; then
    export TRYTOND_DATABASE_URI="sqlite://"
    export DB_NAME=":memory:"
    CACHE_DIR="$ROOT/var/dbcache/$HASH"
    # caches built from other sources are never used (the folder is keyed on the
    # hash); remove them, keeping the two newest for a concurrent run in this checkout
    ls -1dt "$ROOT"/var/dbcache/*/ 2>/dev/null | grep -v "/$HASH/\$" | tail -n +3 \
        | xargs -r rm -rf
    if [ -z "${MULTIPOINT_NO_CACHE:-}" ]; then
        mkdir -p "$CACHE_DIR/sqlite"
        export DB_CACHE="$CACHE_DIR/sqlite"
    else
        unset DB_CACHE
    fi
    say "SQLite in memory, DB_CACHE=${DB_CACHE:-none}"
else
    PG_URI="${MULTIPOINT_TEST_PG:-postgresql://postgres@127.0.0.1:5432/}"
    case "$PG_URI" in */) ;; *) PG_URI="$PG_URI/" ;; esac
    export TRYTOND_DATABASE_URI="$PG_URI"
    if ! pg_admin check; then
        say "PostgreSQL at $PG_URI is not usable (is it running? start it with:"
        say "  pg_ctlcluster --skip-systemctl-redirect \$(ls /etc/postgresql) main start)"
        exit 1
    fi
    if [ -z "${MULTIPOINT_NO_CACHE:-}" ]; then
        pg_admin drop-stale "$PG_PREFIX" | tee -a "$LOG"
        export DB_CACHE="$PG_URI"
        export MP_DB_CACHE_PREFIX="$PG_PREFIX"
    else
        unset DB_CACHE MP_DB_CACHE_PREFIX
    fi
    if [ -n "${DB_CACHE:-}" ]; then
        say "PostgreSQL $PG_URI, DB_CACHE=template databases ${PG_PREFIX}-*"
    else
        say "PostgreSQL $PG_URI, no DB_CACHE"
    fi
fi

declare -a NAMES=() RESULTS=() TIMES=()
FAILED=0
RUN_ID="$$_$(date +%s)"
TEST_DBS=()

run_step() {
    # run_step <label> <db name suffix> <runner args...>
    local label="$1" dbsuffix="$2"; shift 2
    local start end rc
    if [ "$BACKEND" = postgresql ]; then
        export DB_NAME="mptest_${RUN_ID}_${dbsuffix}"
        TEST_DBS+=("$DB_NAME")
    fi
    say "== $label"
    start=$(date +%s)
    "$PY" -c "$RUNNER" "$@" 2>&1 | tee -a "$LOG"
    rc=${PIPESTATUS[0]}
    end=$(date +%s)
    NAMES+=("$label"); TIMES+=("$((end - start))s")
    if [ "$rc" = 0 ]; then
        RESULTS+=("ok")
    else
        RESULTS+=("FAILED (exit $rc)")
        FAILED=1
    fi
}

TOTAL_START=$(date +%s)

# 1. module tests under pytest
PYARGS=()
for m in "${MODULES[@]}"; do
    [ -d "$(module_dir "$m")/tests" ] && PYARGS+=("trytond.modules.$m.tests")
done
# in parallel on the machine's cores (pytest-xdist; conftest.py gives each
# worker its own databases); MULTIPOINT_TEST_WORKERS=1 runs them in one process
# PostgreSQL: the workers share the template databases (keyed on the
# sources, reused by later runs), each module's tests on one worker
WORKERS="${MULTIPOINT_TEST_WORKERS:-$(nproc 2>/dev/null || echo 1)}"
[ "$WORKERS" -gt 4 ] && WORKERS=4
XDIST=()
if [ "$WORKERS" -gt 1 ] && "$PY" -c 'import xdist' 2>/dev/null; then
    XDIST=(-n "$WORKERS" --dist loadgroup)
fi
# Run by the SQLite pass only, as they don't depend on the database: Tryton's
# generic module checks (views, fields, access, buttons: test_module.py), the
# browser tests (the screens over HTTP) and the connectors' protocol tests
# against their local servers (test_connector_*.py: what they write goes
# through the upsert, which test_import runs on PostgreSQL too)
ONLY_SQLITE=()
[ "$BACKEND" = postgresql ] && ONLY_SQLITE=(
    --ignore-glob='*/tests/test_module.py'
    --ignore-glob='*/tests/test_*browser*.py'
    --ignore-glob='*/tests/test_connector_*.py')
run_step "pytest modules (${#PYARGS[@]} packages)" modules \
    pytest pytest -q -p no:cacheprovider --durations=12 "${XDIST[@]}" \
    "${ONLY_SQLITE[@]}" --pyargs "${PYARGS[@]}" "$@"

# 2. cross-module tests in tests/
if [ -n "$(find tests -type f \( -name 'test_*.py' -o -name '*_test.py' \) 2>/dev/null | head -1)" ]; then
    # a file per worker (each builds its own database); the browser tests
    # start their own trytond on SQLite, so the PostgreSQL pass skips them
    E2E_SKIP=()
    [ "$BACKEND" = postgresql ] && E2E_SKIP=(--ignore-glob='tests/test_*browser*.py')
    E2E_XDIST=()
    [ ${#XDIST[@]} -gt 0 ] && E2E_XDIST=(-n "$WORKERS" --dist loadfile)
    run_step "pytest tests/" e2e pytest -q -p no:cacheprovider --durations=8 \
        "${E2E_XDIST[@]}" "${E2E_SKIP[@]}" tests "$@"
fi

# 3. proteus doctest scenarios (pytest skips load_tests): the modules shared
# out among $WORKERS processes side by side, each with its own database
SCENARIOS=()
for m in "${MODULES[@]}"; do
    [ -f "$(module_dir "$m")/tests/test_scenario.py" ] \
        && SCENARIOS+=("trytond.modules.$m.tests.test_scenario")
done
if [ ${#SCENARIOS[@]} -gt 0 ]; then
    say "== scenarios (${#SCENARIOS[@]} modules, $WORKERS processes)"
    start=$(date +%s)
    pids=()
    for ((w = 0; w < WORKERS; w++)); do
        share=()
        for i in "${!SCENARIOS[@]}"; do
            [ $((i % WORKERS)) = "$w" ] && share+=("${SCENARIOS[$i]}")
        done
        [ ${#share[@]} -gt 0 ] || continue
        if [ "$BACKEND" = postgresql ]; then
            export DB_NAME="mptest_${RUN_ID}_scn$w"
            TEST_DBS+=("$DB_NAME")
        fi
        "$PY" -c "$RUNNER" unittest "${share[@]}" \
            > "$ROOT/var/log/scenarios-$BACKEND-$w.log" 2>&1 &
        pids+=("$w:$!")
    done
    for entry in "${pids[@]}"; do
        w="${entry%%:*}"
        if wait "${entry#*:}"; then result=ok; else result="FAILED"; FAILED=1; fi
        say "-- scenarios, process $w: $result"
        tee -a "$LOG" < "$ROOT/var/log/scenarios-$BACKEND-$w.log"
        NAMES+=("scenarios, process $w"); RESULTS+=("$result")
        TIMES+=("$(( $(date +%s) - start ))s")
    done
fi

# leftovers of interrupted tests (normally dropped by the tests themselves)
if [ "$BACKEND" = postgresql ] && [ ${#TEST_DBS[@]} -gt 0 ]; then
    ALL_DBS=()
    for db in "${TEST_DBS[@]}"; do
        ALL_DBS+=("$db" "${db}_gw0" "${db}_gw1" "${db}_gw2" "${db}_gw3")
    done
    pg_admin drop "${ALL_DBS[@]}" >/dev/null 2>&1 || true
fi

TOTAL=$(( $(date +%s) - TOTAL_START ))
{
    echo
    echo "================ test summary ($BACKEND, ${TOTAL}s) ================"
    for i in "${!NAMES[@]}"; do
        printf '  %-45s %-18s %s\n' "${NAMES[$i]}" "${RESULTS[$i]}" "${TIMES[$i]}"
    done
    if [ "$FAILED" = 0 ]; then
        echo "  ALL PASSED"
    else
        echo "  SOME STEPS FAILED (log: var/log/test-$BACKEND.log)"
    fi
} | tee -a "$LOG"
exit "$FAILED"
