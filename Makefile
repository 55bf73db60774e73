# The two commands: `make run` and `make test`. Everything else is a helper of those two.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FLASK := $(BIN)/flask --app app
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install lint translations extract-messages bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) translations

translations: $(STAMP)
	$(BIN)/pybabel compile -d translations --statistics

run: install
	$(FLASK) db upgrade
	$(FLASK) demo load --if-empty
	@echo "Serving on http://$(HOST):$(PORT) - demo users admin, inkoper, klantmanager, klantmanager2,"
	@echo "financien, controller, budgethouder, management, aanbieder; password demo-wachtwoord-2026 (see README.md)."
	$(FLASK) run --host $(HOST) --port $(PORT)

# SKIP_BROWSER_TESTS=1 make test leaves out tests/browser on a machine without chromium, chromedriver and
# `npm ci --prefix tests/browser`; without it (and always in CI) their absence fails the run.
test: install
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

extract-messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k N_ -o translations/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete

bench: install
	@for script in bench/*.py; do [ -e "$$script" ] && $(BIN)/python "$$script"; done

# The reports on a million trajecten (generated once, then reused): BENCH_DATABASE_URL picks the database,
# e.g. postgresql://postgres:secret@localhost/bench_reports; see docs/reports-scale.md.
.PHONY: bench-reports
BENCH_DATABASE_URL ?= sqlite:////tmp/bench-reports.sqlite3
BENCH_TRAJECTEN ?= 1000000
bench-reports: install
	$(BIN)/python bench/reports.py --database-url "$(BENCH_DATABASE_URL)" --trajecten $(BENCH_TRAJECTEN)

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
