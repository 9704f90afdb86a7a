# envgrid — `make run` serves the synthetic demo; `make test` runs the whole suite.
SHELL := /bin/bash
# `make run` says what it is doing: a line per stage and, for the slow ones, how long it took.
STEP = @echo "==> $(1)"
T0 = t0=$$(date +%s)
TOOK = echo "    ($(1): $$(( $$(date +%s) - t0 )) s)"
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | md5sum | cut -c1-12)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install messages run serve test test-fast test-slow lint format bench chromium office migrate demo clean

$(STAMP): pyproject.toml
	$(call STEP,install: Python packages into $(VENV) (first run: about 2 minutes))
	@$(T0); set -e; \
	test -x $(PY) || $(PYTHON) -m venv $(VENV); \
	$(PY) -m pip install --quiet --upgrade pip; \
	$(PY) -m pip install --quiet -e '.[dev]'; \
	rm -f $(VENV)/.installed-*; touch $(STAMP); \
	$(call TOOK,install)

install: $(STAMP)

# Compile translations (Chinese is the source language; English is the catalogue).
messages: install
	$(call STEP,translations: compiling the English catalogues)
	@command -v msgfmt >/dev/null || (apt-get update -qq && apt-get install -y -qq gettext >/dev/null)
	$(PY) manage.py compilemessages --ignore=.venv -v 0

migrate: install
	$(call STEP,migrate: creating or updating the database tables)
	@$(T0); set -e; mkdir -p var; \
	$(PY) manage.py migrate --noinput -v 0; \
	$(PY) manage.py createcachetable; \
	$(call TOOK,migrate)

demo: migrate
	$(call STEP,demo: loading the synthetic district (each step with its time))
	@$(T0); $(PY) manage.py demo --if-empty && $(call TOOK,demo)

run: messages migrate demo
	$(call STEP,collectstatic: gathering CSS and scripts and images)
	@$(T0); $(PY) manage.py collectstatic --noinput -v 0 && $(call TOOK,collectstatic)
	$(call STEP,serve: starting gunicorn and the task worker (sweep, schedule, imports) on http://$(HOST):$(PORT)/)
	PY=$(PY) HOST=$(HOST) PORT=$(PORT) bash scripts/serve.sh

# Debian's Chromium drives the browser tests; Playwright never downloads a browser.
# fonts-noto-cjk: without a CJK font every Chinese label renders as boxes in screenshots.
chromium:
	@(test -x /usr/bin/chromium && test -d /usr/share/fonts/opentype/noto) || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null)

# LibreOffice (headless Writer) and poppler-utils: the official-document tests convert each
# generated .docx to PDF and check page size, embedded CJK fonts and text (decision 0013).
office:
	@(command -v soffice >/dev/null && command -v pdffonts >/dev/null) || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libreoffice-writer-nogui poppler-utils fonts-noto-cjk >/dev/null)

test: messages chromium office
	$(PY) -m pytest

test-fast: messages
	$(PY) -m pytest -m "not browser and not slow"

# The slow tests (left out of `make test` by the pytest addopts): the killed-worker
# import of 50,000 rows against PostgreSQL (DATABASE_URL) and a real Huey consumer.
test-slow: messages
	$(PY) -m pytest -m slow

# Also: the layering contract of docs/architecture.md (import-linter, [tool.importlinter]
# in pyproject.toml) and no model change without its migration (docs/decisions/0015).
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/mypy envgrid config bench

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Province-scale benchmarks at the small size (< 5 min): synthetic data in its own PostgreSQL
# database (envgrid_bench_small; BENCH_PG sets the server), then every figure with its
# baseline and ratio; results in bench/results/. Larger: python -m bench.run --size full.
bench: install
	$(PY) -m bench.run --size small

clean:
	rm -rf var test-artifacts
