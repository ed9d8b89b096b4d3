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

# With PostgreSQL, the two passes run side by side: the PostgreSQL pass spends about 40 % of its
# wall time waiting (for the real worker, leases, the browser), the SQLite pass is pure CPU, so on
# two cores the suite takes about the PostgreSQL pass alone. The SQLite pass's output is kept in
# a file and printed when it ends; either failing fails `make test`.
test: venv
	@$(MAKE) --no-print-directory lint
	@if $(PY) scripts/backends.py postgres; then \
		log=$$(mktemp); \
		echo "== SQLite and PostgreSQL passes side by side (the SQLite pass's output follows when it ends)"; \
		$(MAKE) --no-print-directory test-sqlite SQLITE_ONLY_ARGS="$(BACKEND_FREE)" >$$log 2>&1 & lite=$$!; \
		trap 'kill $$lite 2>/dev/null; rm -f $$log' INT TERM; \
		$(MAKE) --no-print-directory test-postgres POSTGRES_ONLY_ARGS="$(OWN_DATABASE)"; pg=$$?; \
		wait $$lite; sq=$$?; cat $$log; rm -f $$log; \
		echo "== SQLite pass: $$([ $$sq -eq 0 ] && echo passed || echo FAILED); PostgreSQL pass: $$([ $$pg -eq 0 ] && echo passed || echo FAILED)"; \
		[ $$sq -eq 0 ] && [ $$pg -eq 0 ]; \
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
	$(PY) -m pytest -q --ignore=tests/engine $(POSTGRES_ONLY_ARGS) $(PYTEST_ARGS)

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
