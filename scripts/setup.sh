#!/usr/bin/env bash
# Multipoint: prepare a checkout for the demo and the tests.
#   - .venv (python3 -m venv) with the suite installed editable: pip install -e '.[test]'
#   - the sao web client (npm tryton-sao@8.0.11) in var/sao/package
#   - the barcode decoder of the operator screen's camera (npm
#     @zxing/library@0.23.0) in var/zxing/package
#   - a Cyrillic TTF font for the PDF reports
#   - as root with apt-get: wrk (make bench), chromium and chromium-driver
#     (the browser tests)
# Idempotent: a second run only checks stamps and returns in about a second.
#   SETUP_FORCE=1   redo everything
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PYTHON="${PYTHON:-python3}"
VENV="$ROOT/.venv"
VAR="$ROOT/var"
SAO_VERSION="8.0.11"
SAO_DIR="$VAR/sao"
ZXING_VERSION="0.23.0"
ZXING_DIR="$VAR/zxing"
FONT="/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

log() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

mkdir -p "$VAR"
# Serialise concurrent runs (make test and make demo started together).
exec 9>"$VAR/.setup.lock"
if command -v flock >/dev/null 2>&1; then
    flock 9
fi

command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found (install python3 >= 3.11)"

# ---------------------------------------------------------------- python venv
py_key="$(
    {
        cat pyproject.toml
        "$PYTHON" -c 'import sys; print(sys.version)'
        printf '%s\n' "$ROOT"
    } | sha256sum | cut -c1-16
)"
venv_stamp="$VENV/.multipoint-setup-$py_key"

venv_ok() {
    [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1
}

if [ -z "${SETUP_FORCE:-}" ] && [ -f "$venv_stamp" ] && venv_ok; then
    log "python environment up to date (.venv)"
else
    if ! venv_ok; then
        log "creating .venv with $PYTHON -m venv"
        rm -rf "$VENV"
        "$PYTHON" -m venv "$VENV" || die "python3 -m venv failed: install the python3-venv package"
    fi
    log "upgrading pip"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip 2>&1 \
        | grep -v 'is ignored' || true
    log "installing the suite: pip install -e '.[test]'"
    if ! "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e '.[test]' \
            > "$VAR/pip-install.log" 2>&1; then
        grep -v 'is ignored' "$VAR/pip-install.log" | tail -40 >&2
        die "pip install -e '.[test]' failed (full log: var/pip-install.log)"
    fi
    "$VENV/bin/python" -c 'import trytond.modules.multipoint_core' \
        || die "trytond.modules.multipoint_core is not importable after the install"
    rm -f "$VENV"/.multipoint-setup-*
    date -u +%FT%TZ > "$venv_stamp"
    log "python environment ready"
fi

# ------------------------------------------------------------------------ sao
sao_stamp="$SAO_DIR/.installed-$SAO_VERSION"
if [ -z "${SETUP_FORCE:-}" ] && [ -f "$sao_stamp" ] \
        && [ -f "$SAO_DIR/package/index.html" ] \
        && [ -d "$SAO_DIR/package/node_modules/jquery" ]; then
    log "sao $SAO_VERSION already in var/sao/package"
else
    command -v npm >/dev/null 2>&1 || die "npm not found: install nodejs and npm to fetch the sao web client"
    log "fetching sao $SAO_VERSION (npm pack tryton-sao@$SAO_VERSION)"
    tmp="$SAO_DIR/.tmp.$$"
    rm -rf "$tmp"
    mkdir -p "$tmp"
    (
        cd "$tmp"
        npm pack --silent "tryton-sao@$SAO_VERSION" > npm-pack.log 2>&1 \
            || { cat npm-pack.log >&2; exit 1; }
        tar xzf "tryton-sao-$SAO_VERSION.tgz"
        cd package
        npm install --omit=dev --legacy-peer-deps --no-audit --no-fund \
            > ../npm-install.log 2>&1 || { tail -40 ../npm-install.log >&2; exit 1; }
    ) || { rm -rf "$tmp"; die "could not install sao $SAO_VERSION from npm"; }
    [ -f "$tmp/package/index.html" ] || die "sao package has no index.html"
    rm -rf "$SAO_DIR/package" "$SAO_DIR"/.installed-*
    mv "$tmp/package" "$SAO_DIR/package"
    rm -rf "$tmp"
    date -u +%FT%TZ > "$sao_stamp"
    log "sao $SAO_VERSION installed in var/sao/package"
fi

# ------------------------------------------------------- sao in Russian
# sao 8.0.11's locale/ru.json is empty: fill it from config/sao-ru.json
# (scripts/sao_locale.py). Redone when our file changes or sao is reinstalled.
SAO_LOCALE="$SAO_DIR/package/locale"
ru_key="$(cat config/sao-ru.json scripts/sao_locale.py | sha256sum | cut -c1-16)"
ru_stamp="$SAO_LOCALE/.multipoint-ru-$ru_key"
if [ -z "${SETUP_FORCE:-}" ] && [ -f "$ru_stamp" ]; then
    log "sao's Russian catalogue up to date"
else
    msg="$("$PYTHON" scripts/sao_locale.py config/sao-ru.json "$SAO_LOCALE")" \
        || die "could not merge config/sao-ru.json into sao's locale/ru.json"
    rm -f "$SAO_LOCALE"/.multipoint-ru-*
    date -u +%FT%TZ > "$ru_stamp"
    log "sao's Russian catalogue merged ($msg)"
fi

# ---------------------------------------------------------------- zxing
# The operator screen reads barcodes with the camera through the browser's
# BarcodeDetector; where it is missing (desktop Chromium on Linux, Firefox,
# Safari) it loads @zxing/library's UMD build, served from var/zxing by
# multipoint_pos/routes_screen.py. A plain script: no dependencies to install.
zxing_stamp="$ZXING_DIR/.installed-$ZXING_VERSION"
if [ -z "${SETUP_FORCE:-}" ] && [ -f "$zxing_stamp" ] \
        && [ -f "$ZXING_DIR/package/umd/index.min.js" ]; then
    log "@zxing/library $ZXING_VERSION already in var/zxing/package"
else
    command -v npm >/dev/null 2>&1 || die "npm not found: install nodejs and npm to fetch @zxing/library (the operator screen's camera scanning)"
    log "fetching @zxing/library $ZXING_VERSION (npm pack @zxing/library@$ZXING_VERSION)"
    tmp="$ZXING_DIR/.tmp.$$"
    rm -rf "$tmp"
    mkdir -p "$tmp"
    (
        cd "$tmp"
        npm pack --silent "@zxing/library@$ZXING_VERSION" > npm-pack.log 2>&1 \
            || { cat npm-pack.log >&2; exit 1; }
        tar xzf "zxing-library-$ZXING_VERSION.tgz"
    ) || { rm -rf "$tmp"; die "could not fetch @zxing/library $ZXING_VERSION from npm"; }
    [ -f "$tmp/package/umd/index.min.js" ] \
        || { rm -rf "$tmp"; die "@zxing/library $ZXING_VERSION has no umd/index.min.js"; }
    rm -rf "$ZXING_DIR/package" "$ZXING_DIR"/.installed-*
    mv "$tmp/package" "$ZXING_DIR/package"
    rm -rf "$tmp"
    date -u +%FT%TZ > "$zxing_stamp"
    log "@zxing/library $ZXING_VERSION installed in var/zxing/package"
fi

# ----------------------------------------------------------------------- font
if [ -f "$FONT" ]; then
    log "font for PDF reports present ($FONT)"
else
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        log "installing fonts-dejavu-core (Cyrillic TTF for PDF reports)"
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -q fonts-dejavu-core >/dev/null 2>&1 \
            || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q fonts-dejavu-core >/dev/null 2>&1; } \
            || true
    fi
    if [ -f "$FONT" ]; then
        log "font installed ($FONT)"
    else
        printf '[setup] WARNING: %s is missing: PDF reports need a Cyrillic TTF font.\n' "$FONT" >&2
        printf '[setup]          Install it with: sudo apt-get install fonts-dejavu-core\n' >&2
    fi
fi

# ----------------------------------------------------------------------- wrk
# the load generator of make bench (written in C: it takes little of the CPU
# it measures)
if ! command -v wrk >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        log "installing wrk (the load generator of make bench)"
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -q wrk >/dev/null 2>&1 \
            || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q wrk >/dev/null 2>&1; } \
            || true
    fi
    command -v wrk >/dev/null 2>&1 \
        || printf '[setup] note: wrk is missing (make bench needs it): sudo apt-get install wrk\n' >&2
fi

# ------------------------------------------------------------------ chromium
# the browser tests (tests/test_*browser*.py, test_operator_camera.py) drive
# Debian's chromium through its chromedriver: no browser downloaded by pip
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        log "installing chromium and chromium-driver (the browser tests)"
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -q chromium chromium-driver >/dev/null 2>&1 \
            || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium chromium-driver >/dev/null 2>&1; } \
            || true
    fi
    if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
        log "chromium installed ($(command -v chromium), $(command -v chromedriver))"
    else
        printf '[setup] note: chromium or chromedriver is missing (the browser tests skip,\n' >&2
        printf '[setup]       or fail with MULTIPOINT_BROWSER_TESTS=required):\n' >&2
        printf '[setup]       sudo apt-get install chromium chromium-driver\n' >&2
    fi
fi

log "done"
