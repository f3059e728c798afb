# avatarfarm: every target sets up what it needs by itself (idempotent, quick when already done).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
SYSTEM_PACKAGES := chromium espeak-ng
PYTEST_ARGS ?=

LIVEKIT_VERSION := v1.13.5
LIVEKIT_BIN := bin/livekit-server

.PHONY: setup system-deps python-deps node-deps zoom-sdk zoom-sdk-version livekit lint test chaos bench demo serve clean

# The Zoom Meeting SDK for Web the bot page serves in live mode. bot_page/package.json pins it (exactly, with its
# lockfile) and this variable reads it from there: one setting. Zoom refuses versions older than its quarterly
# minimum; upgrade with `make zoom-sdk ZOOM_SDK_VERSION=x.y.z`, then run the contract tests (README, "Upgrading
# the Zoom Meeting SDK").
ZOOM_SDK_VERSION ?= $(shell $(PYTHON) -c 'import json; print(json.load(open("bot_page/package.json"))["dependencies"]["@zoom/meetingsdk"])')

setup: system-deps python-deps node-deps livekit

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
	@# setuptools warns on every editable install that top-level folders named like the packages may shadow them;
	@# here they are the packages (api, farm, state, fakes), by design, so the warning block is noise.
	PYTHONWARNINGS="ignore:Editable installation:UserWarning" $(PY) -m pip install -q -e '.[test]'
	@touch $@

python-deps: $(VENV)/.installed

bot_page/node_modules/.package-lock.json: bot_page/package-lock.json bot_page/package.json
	cd bot_page && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

node-deps: bot_page/node_modules/.package-lock.json

# Pin bot_page to @zoom/meetingsdk $(ZOOM_SDK_VERSION) (package.json and lockfile) and install it.
zoom-sdk:
	cd bot_page && npm install --save-exact --no-audit --no-fund --loglevel=error @zoom/meetingsdk@$(ZOOM_SDK_VERSION)
	@touch bot_page/node_modules/.package-lock.json
	@echo "bot_page pins @zoom/meetingsdk $(ZOOM_SDK_VERSION). Now run: make lint && $(PY) -m pytest tests/fakes_zoom -n 0"

zoom-sdk-version:
	@echo $(ZOOM_SDK_VERSION)

# LiveKit's server, for fakes/liveavatar (it runs one on loopback). Skipped when a livekit-server is on PATH;
# otherwise built from LiveKit's Go module into ./bin (the Go build cache makes a rebuild quick). v1.13.5 is the
# newest release whose go.mod has no replace directives (later ones point at forks the module proxy does not serve).
livekit:
	@if command -v livekit-server >/dev/null; then :; \
	elif [ -x $(LIVEKIT_BIN) ] && [ "$$($(LIVEKIT_BIN) --version 2>/dev/null)" = "livekit-server version $(LIVEKIT_VERSION:v%=%)" ]; then :; \
	elif command -v go >/dev/null; then \
	  echo "building livekit-server $(LIVEKIT_VERSION) into $(LIVEKIT_BIN) (Go)"; \
	  mkdir -p bin/.go && GOBIN="$(CURDIR)/bin/.go" CGO_ENABLED=0 go install github.com/livekit/livekit-server/cmd/server@$(LIVEKIT_VERSION) \
	    && mv bin/.go/server $(LIVEKIT_BIN) && rmdir bin/.go; \
	else \
	  echo "livekit-server missing: install Go (then run make again), or run 'brew install livekit', or put LiveKit's release binary (github.com/livekit/livekit/releases) on PATH"; exit 1; \
	fi

# The bot page's scripts are checked by the pinned TypeScript (bot_page/package.json) against the vendor SDKs' own
# typings (@zoom/meetingsdk's embedded.d.ts, @heygen/liveavatar-web-sdk's lib/*.d.ts): an SDK upgrade that renames
# what the page calls fails here. vocabulary.js is generated as the server serves it (state/vocabulary.py).
lint: python-deps node-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	@mkdir -p bot_page/.tscheck
	@$(PY) -c 'from state.vocabulary import as_javascript; print(as_javascript(), end="")' > bot_page/.tscheck/vocabulary.js
	bot_page/node_modules/.bin/tsc -p bot_page/tsconfig.json

# Three workers on CI's 2 cores. The suite mostly waits (real speech, real timeouts, the vendors' own windows): with
# two workers the machine is 55 % busy and the tests take 717-776 s quiet, 827 s beside a busy core (fresh-clone
# runs, 2026-12-07); with three, 676 s and 787 s, the machine 92 % busy. Eight fresh-clone runs in a row at one
# commit that night, all passed: five quiet, 560-622 s of tests; three beside a busy core, 705-738 s. Three once
# starved processes on an afternoon twice as slow (a manager given 2.35 s of CPU in 45 s): on such a machine, set
# PYTEST_WORKERS=2. A file's tests stay on one worker (their fixtures share browsers and fakes), and the three
# heaviest files take turns on one worker (tests/support/heavy_files.py).
PYTEST_WORKERS ?= 3

test: setup lint
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile --max-worker-restart=0 --durations=15 $(PYTEST_ARGS)

# The failure campaign's long version (`make test` runs a 30 s one): a 4-room class on a real manager process,
# a bot browser SIGKILLed every 10 s for CHAOS_SECONDS, LiveAvatar 500/429 bursts, and a manager SIGKILL and
# restart mid-deployment. The figures are printed and written to tests/chaos/last_run.json.
CHAOS_SECONDS ?= 120

chaos: setup
	AVATARFARM_CHAOS_SECONDS=$(CHAOS_SECONDS) $(PY) -m pytest -m chaos tests/chaos $(PYTEST_ARGS)

bench: setup
	$(PY) -m tests.bench

demo: setup
	$(VENV)/bin/avatarfarm demo

serve: setup
	$(VENV)/bin/avatarfarm serve

clean:
	rm -rf $(VENV) bot_page/node_modules bin var .pytest_cache .mypy_cache .ruff_cache
