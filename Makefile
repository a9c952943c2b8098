# The two commands the README opens with: `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
export HOST PORT
# Daphne processes for `make cluster`.
N ?= 3
# The services `make ci` runs the suite against a second time.
CI_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test
CI_REDIS_URL ?= redis://127.0.0.1:6379/9

.PHONY: run cluster test test-shared test-tracer-3.13 ci services chromium nginx bubblewrap redis-server lint format install migrate superuser clean bench-overload bench screenshots vendor lighthouse npm

# A Python of 3.12 or newer: the one .python-version selects, or the newest found.
PYTHON ?= $(shell for p in python3 python3.14 python3.13 python3.12; do \
	command -v $$p >/dev/null && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null \
	&& { echo $$p; break; }; done)

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "Python 3.12 or newer is needed (python3 --version)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python requirements.txt requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

migrate: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_lessons
	$(BIN)/python manage.py index_lessons

# Readers' own programs run in bubblewrap sandboxes on a runner process, which a
# private redis-server connects to daphne when REDIS_URL is not set.
run: migrate bubblewrap redis-server
	$(BIN)/python manage.py serve --host $(HOST) --port $(PORT)

# N daphne processes behind nginx at one address (needs REDIS_URL; see "Running in production").
cluster: migrate nginx
	$(BIN)/python manage.py serve --host $(HOST) --port $(PORT) --processes $(N)

# The code editors' CodeMirror modules in static/vendor/, from the versions pinned
# in tools/vendor_codemirror.py (downloads from the npm registry).
vendor: install
	$(BIN)/python tools/vendor_codemirror.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: lint bubblewrap redis-server
	$(BIN)/pytest

# The whole suite again on PostgreSQL, with Redis for the channel layer and the
# shared demo limits (pytest-django makes and drops test_test).
test-shared: install services
	DATABASE_URL=$(CI_DATABASE_URL) REDIS_URL=$(CI_REDIS_URL) $(BIN)/pytest

services:
	bash .ci/services

# The event-loop tracer reads facts of asyncio that change between Pythons
# (tests/test_tracer.py says which); `make test` checks them on 3.12, this on
# 3.13: pyenv's 3.13, a venv with pytest and aiohttp (whose request the tracer
# reads from frame locals, which 3.13 changed), the tracer's tests without Django.
PYTHON313 ?= $(shell PYENV_VERSION=3.13 pyenv which python3 2>/dev/null || command -v python3.13)
VENV313 := .venv-3.13

$(VENV313)/.installed: requirements.txt requirements-dev.txt
	@test -n "$(PYTHON313)" && $(PYTHON313) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' \
		|| { echo "Python 3.13 is needed for test-tracer-3.13 (pyenv install 3.13)"; exit 1; }
	$(PYTHON313) -m venv $(VENV313)
	$(VENV313)/bin/pip install --quiet "$$(grep '^pytest==' requirements-dev.txt)" \
		"$$(grep '^aiohttp==' requirements.txt)"
	touch $@

test-tracer-3.13: $(VENV313)/.installed
	$(VENV313)/bin/python -m pytest tests/test_tracer.py -p no:django --noconftest \
		-W ignore::pytest.PytestConfigWarning

# The browser tests (tests/browser) drive Debian's Chromium; install it when missing.
chromium:
	@test -x "$${CHROMIUM_PATH:-/usr/bin/chromium}" || { apt-get update && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }

# Install a Debian package without letting it start a service: a policy-rc.d that
# refuses (exit 101) keeps nginx off port 80 and redis-server off 6379.
define install_without_service
	if [ ! -e /usr/sbin/policy-rc.d ]; then \
		trap 'rm -f /usr/sbin/policy-rc.d' EXIT; \
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d; \
	fi; \
	apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $(1)
endef

# `make cluster` and its tests run Debian's nginx; install it when missing.
nginx:
	@test -x /usr/sbin/nginx || command -v nginx >/dev/null || ( $(call install_without_service,nginx) )

bubblewrap:
	@command -v bwrap >/dev/null || { apt-get update && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y bubblewrap; }

redis-server:
	@command -v redis-server >/dev/null || ( $(call install_without_service,redis-server) )

# On CI the tests that need PostgreSQL, Redis, Chromium, nginx or bubblewrap fail, never skip,
# if one is missing.
ci: services chromium nginx bubblewrap test test-shared test-tracer-3.13

# Benchmarks of what readers feel (docs/performance.md); QUICK=1 for a short run.
# Starts its own server and database; writes bench/results/<scenario>.json. The
# sandbox scenario runs readers' programs, in bubblewrap, fed by a redis-server.
bench: install bubblewrap redis-server
	$(BIN)/python -m bench $(if $(QUICK),--quick)

# 2,000 readers at once against small caps (bench/results/overload.json), then
# hostile readers behind nginx (bench/results/hostile.json). Each socket is an
# open file on both ends: raise the limit first.
bench-overload: install nginx
	ulimit -n 8192 2>/dev/null || true; $(BIN)/python bench/overload.py
	$(BIN)/python bench/hostile.py

# Lighthouse 12 (installed with npm into .lighthouse/) on three lesson pages, mobile
# settings; fails below its targets and writes bench/results/lighthouse.json.
lighthouse: install chromium npm
	$(BIN)/python tools/lighthouse.py

npm:
	@command -v npm >/dev/null || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y npm; }

# Refresh the pictures in docs/screenshots/ (the browser tests only check them).
screenshots: install chromium
	SCREENSHOTS_DIR=docs/screenshots $(BIN)/pytest tests/browser/test_screenshots.py

superuser: migrate
	$(BIN)/python manage.py createsuperuser

clean:
	rm -rf $(VENV) $(VENV313) staticfiles .pytest_cache .ruff_cache .lighthouse
