# Two commands on a fresh machine: `make run` and `make test` (see README.md).
# With no DATABASE_URL / REDIS_URL, scripts/devservices.py starts an embedded PostgreSQL and
# Redis (data in .devdata/) and sets them for the command it runs.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
WITH_SERVICES := $(PY) scripts/devservices.py run --
PYTEST_ARGS ?=
# mypy and import-linter import the settings, which need these set (nothing connects).
LINT_ENV := DEBUG=1 DATABASE_URL=$${DATABASE_URL:-postgres://lint@localhost/lint}

.PHONY: install run test lint format services-stop clean bench bench-pages messages

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev,test]"
	touch $(STAMP)

install: $(STAMP)

run: install
	$(WITH_SERVICES) sh scripts/run.sh

# Tests run with the development defaults (insecure key, plain-HTTP cookies for live_server);
# Django's test runner turns DEBUG itself off. tests/test_deploy.py checks the production ones.
# var/staticfiles is STATIC_ROOT: WhiteNoise warns on every request when it is missing.
test: install
	@mkdir -p var/staticfiles
	DEBUG=1 $(WITH_SERVICES) $(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(LINT_ENV) $(VENV)/bin/lint-imports
	$(LINT_ENV) $(VENV)/bin/mypy .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

services-stop: install
	$(PY) scripts/devservices.py stop

clean: services-stop
	rm -rf .devdata var $(VENV)

# Translations: makemessages + compilemessages for Dutch (locale/nl), then lists the entries
# still to translate. Needs GNU gettext; nothing connects to the database (README: Translations).
messages: install
	sh scripts/i18n.sh

# Benchmarks print figures (never timed assertions). Uses DATABASE_URL's server, a *_bench db.
# BENCH_ARGS="--contracts 10000 --items 1000000 --workers 0 1 2" for the large run.
bench: install
	DEBUG=1 $(WITH_SERVICES) $(PY) bench/nightly_run.py $(BENCH_ARGS)

# The daily pages and APIs at 1,000,000 actuals / 10,000 contracts: p50/p95 and sizes.
bench-pages: install
	DEBUG=1 $(WITH_SERVICES) $(PY) bench/pages.py $(BENCH_ARGS)
