# Chairside: `make run` serves the app and its worker on SQLite, `make test` runs the suite.
PYTHON ?= python3
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint setup migrate demo fmt bench clean screenshots

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Chairside needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)

# XStatic-Bootstrap ships only an sdist whose build needs pkg_resources (setuptools < 81).
$(STAMP): $(BIN)/python pyproject.toml build-constraints.txt
	$(BIN)/python -m pip install --quiet --upgrade "pip>=25.3"
	$(BIN)/python -m pip install --quiet --build-constraint build-constraints.txt -e ".[dev]"
	@touch $(STAMP)

setup: $(STAMP)

migrate: setup
	$(BIN)/python manage.py migrate --noinput

# With 12 weeks of past visits, flags and referrals, so the reports have something to show
# (about a minute, the first time only).
demo: migrate
	$(BIN)/python manage.py seed_demo --history-weeks 12

# The web server and the task queue's worker (escalations, reminders, every email), together
# (Procfile.dev, run by honcho); Ctrl-C stops both.
run: demo
	$(BIN)/honcho -f Procfile.dev start -p $(PORT)

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Refresh docs/screenshots/ from the browser tests (a plain test run writes to a temp folder).
screenshots: setup
	CHAIRSIDE_SCREENSHOTS=docs $(BIN)/python -m pytest tests/browser $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: setup
	@for b in bench/*.py; do echo "== $$b" >&2; $(BIN)/python $$b; done

clean:
	rm -rf $(VENV) db.sqlite3 .pytest_cache .hypothesis
