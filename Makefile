# Multipoint: build, run and test entry points. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

MULTIPOINT_BENCH_DB ?= postgresql://postgres@127.0.0.1:5432/multipoint_bench
export MULTIPOINT_BENCH_DB
BENCH_ARGS ?=

.PHONY: help setup demo serve test test-sqlite test-postgresql test-all bench bench-analytics bench-suppliers faults clean distclean

help: ## list the targets
	@echo "Multipoint (Tryton 8.0 modules) - make targets:"
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*## "}; {printf "  make %-16s %s\n", $$1, $$2}'
	@echo
	@echo "Variables: MULTIPOINT_DB=postgresql://user@host:port/db (demo on PostgreSQL),"
	@echo "  MULTIPOINT_LISTEN=127.0.0.1:8000, DEMO_PARCELS=600,"
	@echo "  MULTIPOINT_TEST_PG=postgresql://postgres@127.0.0.1:5432/ (test-postgresql),"
	@echo "  MULTIPOINT_BENCH_DB=$(MULTIPOINT_BENCH_DB), BENCH_ARGS='...',"
	@echo "  MULTIPOINT_WORKERS=<web processes of make serve>, SERVE_ARGS='...'"

setup: ## create .venv, install the suite editable, fetch sao (idempotent)
	@bash scripts/setup.sh

demo: ## set up, create + fill the demo database on first run, serve on http://127.0.0.1:8000/
	@bash scripts/demo.sh

serve: ## production serving on PostgreSQL (MULTIPOINT_DB): gunicorn N web processes + trytond-worker + trytond-cron
	@bash scripts/setup.sh
	.venv/bin/python scripts/serve.py $(SERVE_ARGS)

test: ## the whole suite on SQLite (pytest + proteus scenarios)
	@bash scripts/test.sh sqlite

test-sqlite: test ## same as make test

test-postgresql: ## the whole suite on PostgreSQL (MULTIPOINT_TEST_PG)
	@bash scripts/test.sh postgresql

test-all: ## make test, then make test-postgresql
	@rc=0; bash scripts/test.sh sqlite || rc=1; \
		SKIP_SETUP=1 bash scripts/test.sh postgresql || rc=1; exit $$rc

bench: ## every benchmark: the desk (scripts/bench.py, BENCH_ARGS) then bench-suppliers
	@bash scripts/setup.sh
	@test -f scripts/bench.py || { echo "scripts/bench.py is missing" >&2; exit 1; }
	.venv/bin/python scripts/bench.py $(BENCH_ARGS)
	$(MAKE) --no-print-directory bench-suppliers
	$(MAKE) --no-print-directory bench-analytics

bench-analytics: ## analytics tables for a month and a year on a copy of the bench template with years of journal
	@bash scripts/setup.sh
	.venv/bin/python scripts/bench_analytics.py $(BENCH_ANALYTICS_ARGS)

bench-suppliers: ## manifest import (50,000), connector sync (10,000), outbox drain (10,000 events) on PostgreSQL
	@bash scripts/setup.sh
	MULTIPOINT_BENCH_DB=postgresql://postgres@127.0.0.1:5432/multipoint_bench_import \
		.venv/bin/python scripts/bench_import.py
	MULTIPOINT_BENCH_DB=postgresql://postgres@127.0.0.1:5432/multipoint_bench_outbox \
		.venv/bin/python scripts/bench_outbox.py
	MULTIPOINT_BENCH_DB=postgresql://postgres@127.0.0.1:5432/multipoint_bench_settlement \
		.venv/bin/python scripts/bench_settlement.py

faults: ## fault figures on PostgreSQL: concurrent issue, supplier down, kill -9 during import, fuzz, access matrix
	@bash scripts/setup.sh
	.venv/bin/python scripts/faults.py $(FAULTS_ARGS)

clean: ## remove caches in var/ (test databases, logs, stamps, sao); keeps .venv and the demo db
	rm -rf var/dbcache var/log var/sao var/zxing var/pip-install.log var/.setup.lock
	find . -path ./.venv -prune -o -type d \( -name __pycache__ -o -name .pytest_cache \) -print0 \
		| xargs -0 rm -rf
	@echo "kept: .venv, var/db (demo database), var/state; 'make distclean' removes them too"

distclean: clean ## remove everything generated: var/ and .venv
	rm -rf var .venv build
