#!/usr/bin/env bash
# Multipoint: one-command demo.
#   make demo                          SQLite file var/db/multipoint.sqlite
#   MULTIPOINT_DB=postgresql://user@host:5432/dbname make demo
#
# Runs scripts/setup.sh, creates and initialises the database on the first run
# (trytond-admin, Russian, the modules, then the demo data: python -m scripts.demo), applies module
# updates when the multipoint_* sources changed, then serves sao and the JSON-RPC API
# with trytond in the foreground (Ctrl-C stops it); trytond-cron runs beside it.
#
# Environment:
#   MULTIPOINT_DB       postgresql://user[:password]@host:port/dbname (default: SQLite)
#   MULTIPOINT_LISTEN   host:port for trytond (default 127.0.0.1:8000)
#   DEMO_PARCELS        parcels created by the demo data (default 600)
#   TRYTOND_MULTIPOINT_FISCAL__DRIVER   fiscal driver of the receipts (default demo)
#   MULTIPOINT_DEMO_NO_SERVER=1   prepare the database, do not start the server
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

log() { printf '[demo] %s\n' "$*"; }
die() { printf '[demo] ERROR: %s\n' "$*" >&2; exit 1; }

bash "$ROOT/scripts/setup.sh"

VENV="$ROOT/.venv"
PY="$VENV/bin/python"
VAR="$ROOT/var"
# an existing database of the time settlements and the portal were part of
# multipoint_suppliers is upgraded by the same -u (they move to their modules)
MODULES=(multipoint_core multipoint_pos multipoint_suppliers multipoint_tickets
    multipoint_settlement multipoint_portal multipoint_claims multipoint_analytics)
LISTEN="${MULTIPOINT_LISTEN:-127.0.0.1:8000}"
mkdir -p "$VAR/db" "$VAR/log" "$VAR/state"

# Keep the server configuration in config/*.conf; the paths of this checkout come from
# TRYTOND_<SECTION>__<OPTION> variables, which override the file.
unset TRYTOND_CONFIG TRYTOND_DATABASE_URI
if [ -z "${MULTIPOINT_DB:-}" ]; then
    BACKEND=sqlite
    CONFIG="$ROOT/config/trytond.conf"
    DBNAME=multipoint
    export TRYTOND_DATABASE__URI="sqlite://"
    export TRYTOND_DATABASE__PATH="$VAR/db"
    DB_KEY="sqlite:$VAR/db/$DBNAME"
    [ -f "$VAR/db/$DBNAME.sqlite" ] || touch "$VAR/db/$DBNAME.sqlite"
    DB_DESC="SQLite var/db/$DBNAME.sqlite"
else
    BACKEND=postgresql
    CONFIG="$ROOT/config/trytond-postgresql.conf"
    case "$MULTIPOINT_DB" in
        postgresql://*|postgres://*) ;;
        *) die "MULTIPOINT_DB must look like postgresql://user@host:port/dbname" ;;
    esac
    read -r SERVER_URI DBNAME < <("$PY" - "$MULTIPOINT_DB" <<'PYEOF'
import sys
from urllib.parse import urlsplit, urlunsplit
u = urlsplit(sys.argv[1])
name = u.path.strip('/').split('/')[-1] if u.path.strip('/') else ''
print(urlunsplit(('postgresql', u.netloc, '/', u.query, '')), name)
PYEOF
    )
    [ -n "${DBNAME:-}" ] || die "MULTIPOINT_DB has no database name: postgresql://user@host:port/dbname"
    export TRYTOND_DATABASE__URI="$SERVER_URI"
    unset TRYTOND_DATABASE__PATH
    DB_KEY="$MULTIPOINT_DB"
    DB_DESC="PostgreSQL database $DBNAME on ${SERVER_URI%/}"
    # create the database when missing
    "$PY" - "$SERVER_URI" "$DBNAME" <<'PYEOF' || die "cannot reach or create the PostgreSQL database"
import sys, psycopg
from psycopg import sql
uri, name = sys.argv[1], sys.argv[2]
try:
    conn = psycopg.connect(uri.rstrip('/') + '/postgres', autocommit=True, connect_timeout=10)
except Exception as e:
    sys.exit(f"[demo] cannot connect to {uri}: {e}")
with conn:
    cur = conn.cursor()
    cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
    if not cur.fetchone():
        cur.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'")
            .format(sql.Identifier(name)))
        print(f"[demo] created PostgreSQL database {name}")
PYEOF
fi
export TRYTOND_WEB__ROOT="$VAR/sao/package"
export TRYTOND_WEB__LISTEN="$LISTEN"
# Receipts go to the demo fiscal register ([multipoint_fiscal] driver = demo: made-up
# fiscal data, nothing printed), for the server, the cron, the worker and the demo
# data. trytond turns TRYTOND_MULTIPOINT_FISCAL__DRIVER into that section and option
# (fiscal.options() reads config.options('multipoint_fiscal')). Never in production.
export TRYTOND_MULTIPOINT_FISCAL__DRIVER="${TRYTOND_MULTIPOINT_FISCAL__DRIVER:-demo}"

KEY="$(printf '%s' "$DB_KEY" | sha256sum | cut -c1-16)"
STATE="$VAR/state/demo-$KEY"
PASSFILE="$VAR/state/admin-password"
printf 'admin\n' > "$PASSFILE"

mod_hash() {
    {
        find multipoint_* addons -type f ! -name '*.pyc' ! -path '*/__pycache__/*' ! -path '*/tests/*' -print0 \
            | LC_ALL=C sort -z | xargs -0 sha256sum
        sha256sum pyproject.toml
    } | sha256sum | cut -c1-32
}

# Is the database initialised? ask it, do not trust a marker alone.
db_ready() {
    "$PY" - "$BACKEND" "${TRYTOND_DATABASE__URI}" "$DBNAME" "$VAR/db" <<'PYEOF'
import sys
backend, uri, name, path = sys.argv[1:5]
q = "SELECT state FROM ir_module WHERE name = 'multipoint_core'"
try:
    if backend == 'sqlite':
        import os, sqlite3
        f = os.path.join(path, name + '.sqlite')
        if not os.path.getsize(f):
            sys.exit(1)
        conn = sqlite3.connect(f)
    else:
        import psycopg
        conn = psycopg.connect(uri.rstrip('/') + '/' + name, connect_timeout=10)
    row = conn.execute(q).fetchone()
except Exception:
    sys.exit(1)
sys.exit(0 if row and row[0] == 'activated' else 1)
PYEOF
}

ADMIN=("$VENV/bin/trytond-admin" -c "$CONFIG" -d "$DBNAME")
# the demo data: the package scripts/demo, run from the root of the checkout
DEMO_DATA=("$PY" -m scripts.demo -c "$CONFIG" -d "$DBNAME")
MOD_HASH="$(mod_hash)"

if ! db_ready; then
    log "initialising $DB_DESC (trytond-admin, language ru, modules ${MODULES[*]})"
    rm -f "$STATE".*
    t0=$(date +%s)
    TRYTONPASSFILE="$PASSFILE" "${ADMIN[@]}" --all --email admin@example.com \
        -u "${MODULES[@]}" --activate-dependencies -l ru \
        || die "trytond-admin failed to initialise the database (see the traceback above)"
    echo "$MOD_HASH" > "$STATE.modules"
    touch "$STATE.initialised"
    log "database initialised in $(( $(date +%s) - t0 ))s"
elif [ "$(cat "$STATE.modules" 2>/dev/null)" != "$MOD_HASH" ]; then
    log "module sources changed: updating the modules (trytond-admin -u)"
    t0=$(date +%s)
    "${ADMIN[@]}" -u "${MODULES[@]}" --activate-dependencies -l ru \
        || die "trytond-admin -u failed (see the traceback above)"
    echo "$MOD_HASH" > "$STATE.modules"
    log "modules updated in $(( $(date +%s) - t0 ))s"
else
    log "$DB_DESC is ready, modules up to date"
fi

if [ -f "$STATE.initialised" ] && [ ! -f "$STATE.demo-data" ]; then
    [ -f "$ROOT/scripts/demo/__main__.py" ] || die "scripts/demo is missing: cannot load the demo data"
    log "loading demo data (python -m scripts.demo, ${DEMO_PARCELS:-600} parcels)"
    rm -f "$VAR/demo-logins.txt"
    t0=$(date +%s)
    if ! "${DEMO_DATA[@]}" --parcels "${DEMO_PARCELS:-600}" \
            --logins-file "$VAR/demo-logins.txt"; then
        if [ "$BACKEND" = sqlite ]; then
            # start from a clean database next time rather than on half-loaded data
            rm -f "$VAR/db/$DBNAME.sqlite" "$VAR/db/$DBNAME.sqlite-wal" \
                "$VAR/db/$DBNAME.sqlite-shm" "$STATE".*
            die "scripts/demo failed (see above); the database was removed, the next 'make demo' starts over"
        fi
        die "scripts/demo failed (see above); the next 'make demo' runs it again"
    fi
    touch "$STATE.demo-data" "$STATE.demo-pos" "$STATE.demo-portal" \
        "$STATE.demo-settlement" "$STATE.demo-cases" "$STATE.demo-claims"
    log "demo data loaded in $(( $(date +%s) - t0 ))s"
elif [ -f "$STATE.demo-data" ] && [ ! -f "$STATE.demo-pos" ]; then
    # demo data of an earlier version: add the accounting, the points of sale and
    # the shifts (scripts/demo only creates what is missing)
    log "adding points of sale and shifts to the demo data (scripts/demo)"
    t0=$(date +%s)
    "${DEMO_DATA[@]}" --logins-file "$VAR/demo-logins.txt" \
        || die "scripts/demo failed (see above); the next 'make demo' runs it again"
    touch "$STATE.demo-pos"
    log "points of sale ready in $(( $(date +%s) - t0 ))s"
fi
if [ -f "$STATE.demo-data" ] && { [ ! -f "$STATE.demo-portal" ] \
        || [ ! -f "$STATE.demo-settlement" ]; }; then
    # demo data of an earlier version: add the supplier portal's user and
    # its agent's report
    log "adding the supplier portal's demo user and agent's report (scripts/demo)"
    "${DEMO_DATA[@]}" \
        || die "scripts/demo failed (see above); the next 'make demo' runs it again"
    touch "$STATE.demo-portal" "$STATE.demo-settlement"
fi
if [ -f "$STATE.demo-data" ] && [ ! -f "$STATE.demo-cases" ]; then
    # demo data of an earlier version: add the portal supplier's ticket and
    # the free-delivery-threshold parcel (named in var/demo-logins.txt)
    log "adding the portal's ticket and the free-delivery-threshold parcel (scripts/demo)"
    "${DEMO_DATA[@]}" --logins-file "$VAR/demo-logins.txt" \
        || die "scripts/demo failed (see above); the next 'make demo' runs it again"
    touch "$STATE.demo-cases"
fi
if [ -f "$STATE.demo-data" ] && [ ! -f "$STATE.demo-claims" ]; then
    # demo data of an earlier version: add a supplier's charges, their
    # claims and the agent's reports they flow into
    log "adding the charges and claims (scripts/demo)"
    "${DEMO_DATA[@]}" \
        || die "scripts/demo failed (see above); the next 'make demo' runs it again"
    touch "$STATE.demo-claims"
fi

[ -n "${MULTIPOINT_DEMO_NO_SERVER:-}" ] && { log "database ready; not starting the server"; exit 0; }

# ------------------------------------------------------------------- server
HOST="${LISTEN%:*}"; PORT="${LISTEN##*:}"
case "$HOST" in 0.0.0.0|'*'|'') URL_HOST=127.0.0.1 ;; *) URL_HOST="$HOST" ;; esac
BASE="http://$URL_HOST:$PORT"
# the supplier portal's password-reset e-mails link to the local portal
export TRYTOND_WEB__RESET_PASSWORD_URL="${TRYTOND_WEB__RESET_PASSWORD_URL:-$BASE/$DBNAME/multipoint/portal/}"
if curl -s -o /dev/null --max-time 2 "$BASE/"; then
    die "something already answers on $BASE: stop it or set MULTIPOINT_LISTEN=127.0.0.1:<port>"
fi

PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        # cron and worker run in their own process group (setsid) with child processes
        kill -- "-$pid" 2>/dev/null || true
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

setsid "$VENV/bin/trytond-cron" -c "$CONFIG" -d "$DBNAME" > "$VAR/log/trytond-cron.log" 2>&1 &
PIDS+=($!)
if [ "$BACKEND" = postgresql ]; then
    # config/trytond-postgresql.conf queues tasks ([queue] worker = True)
    setsid "$VENV/bin/trytond-worker" -c "$CONFIG" -d "$DBNAME" > "$VAR/log/trytond-worker.log" 2>&1 &
    PIDS+=($!)
fi

check_and_announce() {
    local i ok=
    for i in $(seq 1 120); do
        if curl -s -o /dev/null --max-time 2 "$BASE/"; then ok=1; break; fi
        sleep 0.5
    done
    [ -n "$ok" ] || { log "ERROR: trytond did not answer on $BASE within 60s"; return 1; }
    local code version login
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$BASE/")
    version=$(curl -s --max-time 10 -X POST -H 'Content-Type: application/json' \
        -d '{"method":"common.server.version","params":[]}' "$BASE/rpc/")
    login=$(curl -s --max-time 30 -X POST -H 'Content-Type: application/json' \
        -d '{"method":"common.db.login","params":["admin",{"password":"admin"},"ru"]}' \
        "$BASE/$DBNAME/rpc/")
    local fail=
    [ "$code" = 200 ] || { log "ERROR: GET / answered $code (is [web] root = var/sao/package?)"; fail=1; }
    case "$version" in *'"8.0'*) ;; *) log "ERROR: common.server.version answered: $version"; fail=1 ;; esac
    # a successful login answers [user id, session key, ...]
    case "$login" in '['[0-9]*|*'"result": ['[0-9]*|*'"result":['[0-9]*) ;;
        *) log "ERROR: admin login failed: $login"; fail=1 ;; esac
    [ -z "$fail" ] || return 1
    cat <<INFO

======================================================================
 Multipoint demo is running  ($DB_DESC)
   web client (sao):   $BASE/   (database $DBNAME)
   operator screen:    $BASE/$DBNAME/multipoint/operator/   (e.g. kuznetsova / Priemka#Msk1)
   supplier portal:    $BASE/$DBNAME/multipoint/portal/   (lavka@portal.example / Postavshik#2026)
   tracking page:      $BASE/$DBNAME/multipoint/track
   operator API:       $BASE/$DBNAME/multipoint/api/v1/   (openapi.yaml)
   supplier API:       $BASE/$DBNAME/multipoint/supplier-api/v1/   (a supplier account's API key)
   JSON-RPC:           $BASE/$DBNAME/rpc/     (server $version)
   administrator:      admin / admin
   another address:    MULTIPOINT_LISTEN=0.0.0.0:8080 make demo
INFO
    if [ -f "$VAR/demo-logins.txt" ]; then
        echo " demo logins (var/demo-logins.txt):"
        sed 's/^/   /' "$VAR/demo-logins.txt"
    fi
    cat <<INFO
   logs: var/log/trytond-cron.log$( [ "$BACKEND" = postgresql ] && echo ", var/log/trytond-worker.log")
 Press Ctrl-C to stop.
======================================================================

INFO
}

log "starting trytond on $LISTEN (web root var/sao/package)"
rm -f "$STATE.check-failed"
# trytond runs until Ctrl-C (the INT trap stops it, cron and worker) or until it exits
# -d preloads the pool: without it trytond 8.0.12 answers the first common.db.login
# with 500 KeyError 'res.user' (Cache.sync registers an empty pool before login inits it)
"$VENV/bin/trytond" -c "$CONFIG" -d "$DBNAME" &
TRYTOND_PID=$!
PIDS+=("$TRYTOND_PID")
(
    if ! check_and_announce; then
        log "ERROR: the demo server does not work as expected; stopping it"
        touch "$STATE.check-failed"
        kill "$TRYTOND_PID" 2>/dev/null
    fi
) &
PIDS+=($!)

set +e
wait "$TRYTOND_PID"
rc=$?
set -e
if [ -f "$STATE.check-failed" ]; then
    rm -f "$STATE.check-failed"
    exit 1
fi
log "trytond stopped (exit $rc)"
exit "$rc"
