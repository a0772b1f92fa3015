# The two commands of the README: `make run` and `make test`. Both install what they need.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
APT_PACKAGES := chromium fonts-dejavu-core libreoffice-calc-nogui nginx

.PHONY: run test lint bench fuzz clean system-deps postgres

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# reinstall when pyproject.toml changes
# the build backend's notices go to a log, shown only if the install fails
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	@echo "installing cardcheck into $(VENV) ..."
	@$(BIN)/python -m pip install --quiet -e . > $(VENV)/install.log 2>&1 || { cat $(VENV)/install.log; exit 1; }
	@touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	@echo "installing the test extras ..."
	@$(BIN)/python -m pip install --quiet -e '.[test]' > $(VENV)/install-test.log 2>&1 || { cat $(VENV)/install-test.log; exit 1; }
	@touch $@

run: $(VENV)/.installed
	$(BIN)/cardcheck demo

# Debian packages the tests need: Chromium for the browser tests, a Unicode font for the PDFs,
# LibreOffice (no GUI) as a second reader of the XLSX exports, nginx in front of three workers
# (tests/deploy, running docs/deploy/nginx.conf).
system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO="sudo"; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

# PostgreSQL at 127.0.0.1:5432 for the second pass of the tests: started when it is installed
# but down; when it cannot be reached the run fails (it never skips).
postgres:
	@pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || { \
		if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then \
			pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | head -1) main start || true; \
		fi; \
		for i in $$(seq 20); do pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && exit 0; sleep 1; done; \
		echo "PostgreSQL at 127.0.0.1:5432 does not answer; make test needs it" >&2; exit 1; }

# every test on SQLite; then the store, API, socket and rules tests again on PostgreSQL
# (a database made for the run and dropped after; tests/support/databases.py)
test: $(VENV)/.installed-test system-deps postgres
	$(BIN)/ruff check live scanner tests bench
	$(BIN)/ruff format --check live scanner tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m pytest
	$(BIN)/python -m pytest --store=postgresql tests/store tests/http tests/realtime tests/rules

lint: $(VENV)/.installed-test
	$(BIN)/ruff check --fix live scanner tests bench
	$(BIN)/ruff format live scanner tests bench

# every benchmark, each printing its table next to its baseline (a few minutes; not part of test)
bench: $(VENV)/.installed-test
	for b in scan tracker latency fanout rules flags export lockprobe storecalls bodies archives frames_memory school; do $(BIN)/python -m bench.$$b || exit 1; done

# schemathesis against a real server for ten minutes: every phase, stateful included, every check
# (the short deterministic run is part of `make test`); the report is also in fuzz-report.txt
fuzz: $(VENV)/.installed-test
	$(BIN)/python -m tests.fuzz.run --minutes 10 --out fuzz-report.txt

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
