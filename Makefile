# The two commands of the README: `make run` and `make test`. Both install what they need.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
APT_PACKAGES := chromium fonts-dejavu-core libreoffice-calc-nogui

.PHONY: run test lint bench clean system-deps

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
# LibreOffice (no GUI) as a second reader of the XLSX exports.
system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO="sudo"; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

test: $(VENV)/.installed-test system-deps
	$(BIN)/ruff check live scanner tests bench
	$(BIN)/ruff format --check live scanner tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check --fix live scanner tests bench
	$(BIN)/ruff format live scanner tests bench

# every benchmark, each printing its table next to its baseline (a few minutes; not part of test)
bench: $(VENV)/.installed-test
	for b in scan tracker latency fanout rules flags export; do $(BIN)/python -m bench.$$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
