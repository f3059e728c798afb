# avatarfarm: every target sets up what it needs by itself (idempotent, quick when already done).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
SYSTEM_PACKAGES := chromium espeak-ng
PYTEST_ARGS ?=

.PHONY: setup system-deps python-deps node-deps lint test bench demo serve clean

setup: system-deps python-deps node-deps

# Debian packages: installed only when missing. On a laptop without apt, install Chromium (or run
# `.venv/bin/playwright install chromium`) and espeak-ng yourself; see README.
system-deps:
	@missing=""; \
	[ -x /usr/bin/chromium ] || command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v espeak-ng >/dev/null || missing="$$missing espeak-ng"; \
	if [ -n "$$missing" ]; then \
	  if command -v apt-get >/dev/null; then \
	    SUDO=""; [ "$$(id -u)" = 0 ] || SUDO="sudo"; \
	    echo "installing Debian packages:$$missing"; \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "missing:$$missing (no apt-get here: install them with your package manager, see README)"; \
	  fi; \
	fi

$(VENV)/.installed: pyproject.toml
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	@touch $@

python-deps: $(VENV)/.installed

bot_page/node_modules/.package-lock.json: bot_page/package-lock.json bot_page/package.json
	cd bot_page && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

node-deps: bot_page/node_modules/.package-lock.json

lint: python-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test: setup lint
	$(PY) -m pytest $(PYTEST_ARGS)

bench: setup
	$(PY) -m tests.bench

demo: setup
	$(VENV)/bin/avatarfarm demo

serve: setup
	$(VENV)/bin/avatarfarm serve

clean:
	rm -rf $(VENV) bot_page/node_modules var .pytest_cache .mypy_cache .ruff_cache
