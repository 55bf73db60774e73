# The two commands: `make run` and `make test`. Everything else is a helper of those two.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FLASK := $(BIN)/flask --app app
HOST ?= 127.0.0.1
PORT ?= 5000

# Test workers (pytest-xdist): `auto` is one per core; TEST_WORKERS=0 runs the suite in one process.
TEST_WORKERS ?= auto

.PHONY: run serve worker test install lint typecheck lock translations extract-messages bench clean

# Every package, direct or transitive, comes from requirements.lock at the version and hash it names; the
# project itself is installed on top of it, without letting pip resolve anything more.
$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# Regenerate requirements.lock from pyproject.toml (runtime and dev), keeping the pins that still fit;
# LOCK_ARGS=--upgrade (or --upgrade-package NAME) moves them on.
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 --generate-hashes \
		--custom-compile-command "make lock" --quiet $(LOCK_ARGS) -o requirements.lock

install: $(STAMP) translations

translations: $(STAMP)
	$(BIN)/pybabel compile -d translations --statistics

run: install
	$(FLASK) db upgrade
	$(FLASK) demo load --if-empty
	$(FLASK) projections refresh
	@echo "Serving on http://$(HOST):$(PORT) - demo users admin, inkoper, klantmanager, klantmanager2,"
	@echo "financien, controller, budgethouder, management, aanbieder; password demo-wachtwoord-2026 (see README.md)."
	@echo "Background jobs (imports, payment runs) run in a worker started alongside; it stops with the server."
	$(BIN)/huey_consumer app.worker.huey --workers 1 --worker-type thread --max-delay 1 --quiet & worker=$$!; \
		trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
		$(FLASK) run --host $(HOST) --port $(PORT)

# The background worker on its own, as production runs it (one per host for the SQLite queue file; with
# JOBS_URL=redis://... as many as wanted). JOBS_WORKERS threads run jobs side by side.
JOBS_WORKERS ?= 2
worker: install
	$(BIN)/huey_consumer app.worker.huey --workers $(JOBS_WORKERS) --worker-type thread --max-delay 1

# Production: gunicorn on PostgreSQL (DATABASE_URL) with SECRET_KEY set; migrations run first. WORKERS (processes)
# defaults to the number of cores, each with THREADS threads; see README.md "Production" and docs/benchmarks.md.
WORKERS ?= $(shell nproc 2>/dev/null || echo 1)
THREADS ?= 4
serve: install
	@test -n "$$DATABASE_URL" || { echo "make serve needs DATABASE_URL, e.g. postgresql://user:password@host/db"; exit 2; }
	APP_ENV=production $(FLASK) db upgrade
	APP_ENV=production $(BIN)/gunicorn --workers $(WORKERS) --threads $(THREADS) --bind $(HOST):$(PORT) --access-logfile - \
		--forwarded-allow-ips "$${FORWARDED_ALLOW_IPS:-127.0.0.1}" 'app:create_app()'

# SKIP_BROWSER_TESTS=1 make test leaves out tests/browser on a machine without chromium, chromedriver and
# `npm ci --prefix tests/browser`; without it (and always in CI) their absence fails the run.
test: install
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -n $(TEST_WORKERS)

typecheck: $(STAMP)
	$(BIN)/mypy

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
	rm -rf $(VENV) var .pytest_cache .ruff_cache .mypy_cache
