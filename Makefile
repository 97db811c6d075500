# The two commands a fresh machine needs: `make demo` and `make test`.
# The demo needs no server (SQLite, a file cache and a folder for Celery's
# messages, under var/); the tests run under scripts/services.sh, which
# starts a private PostgreSQL and Redis for them where the machine's own do
# not answer.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test check install browser

demo: install
	DJANGO_SETTINGS_MODULE=hopefund.settings.dev scripts/demo.sh

test: check browser
	scripts/services.sh $(BIN)/python -m pytest

# Lint, formatting and the one-way layers (pyproject.toml), before any test runs.
check: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -qq --upgrade pip
	$(BIN)/python -m pip install -qq -e ".[dev]"
	touch $@

# The browser tests drive Debian's Chromium (Playwright's own browser
# download is not available offline).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
