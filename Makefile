# Qaita: `make demo` (set up everything and serve the Almaty demo) and `make test` (the whole suite).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000
PYTEST_ARGS ?=

.PHONY: demo test lint test-sqlite test-postgres venv migrate demo-data serve messages clean check-deploy screenshots

venv: $(STAMP)
$(STAMP): requirements.txt requirements-test.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-test.txt
	@# the optimiser's network simplex kernel (C through ctypes; without a C compiler OR-Tools does it)
	$(PY) -c "from matching.engine import netsimplex as n; print('network simplex kernel:', n.build() or 'no C compiler, OR-Tools solves every part')"
	touch $(STAMP)

# The embedded default: SQLite in the project folder, Celery tasks in-process, e-mails to files in
# var/demo-mail/. The port is checked before anything else (`make demo PORT=8017` picks another);
# a second run keeps the data and the match run (`make demo RESET=1` starts afresh).
DEMO_MAIL := $(CURDIR)/var/demo-mail
RESET     ?=
demo: export DATABASE_URL :=
demo: export REDIS_URL :=
demo: export EMAIL_URL := filemail:///$(DEMO_MAIL)
demo:
	@$(PYTHON) scripts/demo.py check-port --host $(HOST) --port $(PORT)
	@$(MAKE) --no-print-directory venv
	@$(PY) scripts/demo.py serve --host $(HOST) --port $(PORT) $(if $(filter 1 yes true,$(RESET)),--reset,)

# The gates, alone: lint, formatting, types (all at zero findings; configuration in pyproject.toml).
lint: venv
	@echo "== Lint: ruff check"
	$(VENV)/bin/ruff check .
	@echo "== Lint: ruff format"
	$(VENV)/bin/ruff format --check .
	@echo "== Lint: mypy"
	$(VENV)/bin/mypy

# The gates, then the whole suite on SQLite with eager Celery and, when DATABASE_URL points at
# a reachable PostgreSQL, again on PostgreSQL, with the real-worker tests when REDIS_URL is too.
# The browser tests and the schema fuzz are backend-independent and slow: when PostgreSQL is
# reachable they run once, in the PostgreSQL pass (the production-like one), not twice.
# The other way round, the tests that only start subprocesses with their own settings and their
# own SQLite file (the production build; the deploy, e-mail, Sentry and security settings) never
# touch the suite's database: they run once, in the SQLite pass, which always runs (the one
# in-process check of tests/test_settings.py is SQLite's own and skipped on PostgreSQL).
BACKEND_FREE := --ignore=tests/e2e --ignore=tests/api/test_schema_fuzz.py
OWN_DATABASE := --ignore=tests/test_production_build.py --ignore=tests/test_settings.py \
	--ignore=tests/test_email_settings.py --ignore=tests/test_sentry.py --ignore=tests/test_security_settings.py

# With PostgreSQL, the passes run side by side: the SQLite pass (pure CPU), and the PostgreSQL
# suite in two halves — the tests that mostly wait (real workers and their leases, the browser,
# the schema fuzz: PG_WAITING) on DATABASE_URL/REDIS_URL, the rest on a second database and Redis
# database (`scripts/backends.py second`), so that neither half sees the other's rows or tasks.
# The last half's output streams; the others' is kept in files and printed when they end; any
# failing fails `make test`.
PG_WAITING := tests/worker tests/e2e tests/api/test_schema_fuzz.py
test: venv
	@$(MAKE) --no-print-directory lint
	@if $(PY) scripts/backends.py postgres; then \
		lite=$$(mktemp); waiting=$$(mktemp); \
		echo "== Side by side: SQLite; PostgreSQL, the waiting tests ($(PG_WAITING)); PostgreSQL, the rest (the first two's output follows when they end)"; \
		$(MAKE) --no-print-directory test-sqlite SQLITE_ONLY_ARGS="$(BACKEND_FREE)" >$$lite 2>&1 & p1=$$!; \
		$(MAKE) --no-print-directory test-postgres PYTEST_PATHS="$(PG_WAITING)" >$$waiting 2>&1 & p2=$$!; \
		trap 'kill $$p1 $$p2 2>/dev/null; rm -f $$lite $$waiting' INT TERM; \
		env $$($(PY) scripts/backends.py second) $(MAKE) --no-print-directory test-postgres \
			POSTGRES_ONLY_ARGS="$(OWN_DATABASE) $(addprefix --ignore=,$(PG_WAITING))"; rest=$$?; \
		wait $$p2; pw=$$?; cat $$waiting; wait $$p1; sq=$$?; cat $$lite; rm -f $$lite $$waiting; \
		say() { [ $$1 -eq 0 ] && echo passed || echo FAILED; }; \
		echo "== SQLite: $$(say $$sq); PostgreSQL, waiting tests: $$(say $$pw); PostgreSQL, the rest: $$(say $$rest)"; \
		[ $$sq -eq 0 ] && [ $$pw -eq 0 ] && [ $$rest -eq 0 ]; \
	else \
		$(MAKE) --no-print-directory test-sqlite && \
		echo "== PostgreSQL: not configured or unreachable (DATABASE_URL); skipped the PostgreSQL run"; \
	fi

test-sqlite: venv
	@echo "== Backend: SQLite (in memory), Celery eager $(if $(SQLITE_ONLY_ARGS),(browser tests and schema fuzz run in the PostgreSQL pass),)"
	env -u DATABASE_URL -u REDIS_URL $(PY) -m pytest -q $(SQLITE_ONLY_ARGS) $(PYTEST_ARGS)

test-postgres: venv
	@if $(PY) scripts/backends.py redis; then \
		echo "== Backend: PostgreSQL ($$DATABASE_URL) + real Celery worker over Redis ($$REDIS_URL) $(if $(POSTGRES_ONLY_ARGS),(the subprocess-only settings and build tests ran in the SQLite pass),)"; \
	else \
		echo "== Backend: PostgreSQL ($$DATABASE_URL); Redis unreachable, real-worker tests skipped"; \
	fi
	$(PY) -m pytest -q --ignore=tests/engine $(POSTGRES_ONLY_ARGS) $(PYTEST_ARGS) $(PYTEST_PATHS)

check-deploy: venv
	DJANGO_SETTINGS_MODULE=config.settings.production SECRET_KEY=check-only-$$(date +%s)-a-long-enough-random-looking-string \
		ALLOWED_HOSTS=qaita.example.kz DATABASE_URL=sqlite:////tmp/qaita-check.sqlite3 \
		$(PY) manage.py check --deploy --fail-level WARNING

# Full-page PNGs of every main page in English and Russian (throwaway database; Debian chromium).
screenshots: venv
	env -u DATABASE_URL -u REDIS_URL $(PY) scripts/screenshots.py

messages: venv
	$(PY) manage.py makemessages -l ru -l kk --ignore=.venv --ignore=staticfiles
	$(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* staticfiles .pytest_cache
