"""Settings shared by every environment.

Configuration comes from the environment (12-factor, django-environ). The embedded default
needs nothing: SQLite in the project folder and Celery tasks run in-process. Setting
``DATABASE_URL`` (PostgreSQL) and ``REDIS_URL`` switches to the real services.
"""

import os
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parents[2]

env = environ.Env()


def env_bool(name: str, default: bool) -> bool:
    """A boolean from the environment; anything but true/false (any case) or 1/0 is an error.

    A typo such as ``DEBUG=ture`` must stop the process, not silently mean False.
    """
    raw = env.str(name, default="")
    if raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"true", "1"}:
        return True
    if lowered in {"false", "0"}:
        return False
    raise ImproperlyConfigured(f"{name} must be True or False, not {raw!r}")


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env.str("SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_htmx",
    "accounts",
    "marketplace",
    "matching",
    "axes",
    "config",  # operations: the health check's heartbeat table
    "monitor",
]

MIDDLEWARE = [
    "config.logs.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.HealthCheckMiddleware",
    "config.middleware.RequestSizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.language.RememberLanguageMiddleware",
    "config.middleware.PrivateCacheMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # request.htmx: whether a request came from htmx, and which element it targets.
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.middleware.DomainErrorMiddleware",
    "config.middleware.DatabaseUnavailableMiddleware",
    # Last, as django-axes asks: it turns a login lockout into its 429 page.
    "axes.middleware.AxesMiddleware",
]

# django-axes first: it refuses a locked-out account or address before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# A form sent without a valid CSRF token: a page in the reader's language, not Django's own.
CSRF_FAILURE_VIEW = "config.errors.csrf_failure"
ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            # {{ value|qty:"t" }}: quantities with their unit in every template (config.units).
            "builtins": ["config.templatetags.qaita_units"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.navigation",
                "config.context_processors.maps",
                "config.context_processors.l10n",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------
# SQLite is the embedded default. select_for_update() is a no-op there, so writers take the
# write lock at BEGIN (IMMEDIATE) and wait up to 20 s instead of failing with
# "database is locked"; WAL lets readers proceed meanwhile.
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}


def database_from_env(default_url: str) -> dict:
    """Parse DATABASE_URL and add the engine-specific options we rely on."""
    # An empty DATABASE_URL (e.g. `DATABASE_URL= make demo`) means "not set", not "no engine".
    config = environ.Env.db_url_config(env.str("DATABASE_URL", default="") or default_url)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["OPTIONS"] = {**SQLITE_OPTIONS, **config.get("OPTIONS", {})}
    else:
        # Survive a database restart: reuse connections, but check them before use.
        config["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    config["CONN_HEALTH_CHECKS"] = True
    return config


DATABASES = {"default": database_from_env(f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "matching:dashboard"
LOGOUT_REDIRECT_URL = "home"

# --- Languages ---------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ru", _("Russian")), ("kk", _("Kazakh"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Almaty"
USE_I18N = True
# Dates and numbers per language (config/formats/<lang>/formats.py): day-month-year everywhere
# (no US-style dates), ISO in machine-readable places; Django ships no formats for Kazakh.
FORMAT_MODULE_PATH = ["config.formats"]
USE_TZ = True

# --- Static and media --------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Client address and rate limits -------------------------------------------------------
# How many trusted reverse proxies stand in front of the app, each appending the address it saw
# to X-Forwarded-For (nginx: proxy_add_x_forwarded_for). 0: the socket's peer (REMOTE_ADDR) is the
# client and X-Forwarded-For is ignored. Every limit keys on this address (accounts.throttles).
NUM_PROXIES = env.int("NUM_PROXIES", default=0)
if NUM_PROXIES < 0:
    raise ImproperlyConfigured("NUM_PROXIES must be 0 or more")
THROTTLE_RATES = {
    # Token requests and registrations per client address, and token requests per account.
    "auth": env.str("AUTH_THROTTLE_RATE", default="20/minute"),
    "register": env.str("REGISTER_THROTTLE_RATE", default="20/hour"),
    "auth_username": env.str("AUTH_USERNAME_THROTTLE_RATE", default="10/minute"),
}
# Listing imports (API and web) per organisation.
IMPORT_RATE = env.str("IMPORT_RATE", default="10/hour")

# Web and admin log-in (django-axes): after LOGIN_FAILURE_LIMIT failures for one account, or from
# one address, further attempts are refused (429) for LOGIN_COOLOFF_MINUTES. The lock lives in
# the database, shared by every process.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = False  # a login to one's own account must not wipe an address's failures
# The address under the same trusted-proxy rule as the API (django-ipware is not installed, so
# the callable decides; the ipware settings say the same for anyone who reads them).
AXES_CLIENT_IP_CALLABLE = "accounts.throttles.client_ip"
AXES_IPWARE_PROXY_COUNT = NUM_PROXIES or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR") if NUM_PROXIES else ("REMOTE_ADDR",)
)

# --- API ---------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # DRF's JSON parser bounded in depth (API_JSON_MAX_DEPTH); forms and uploads as DRF's.
    "DEFAULT_PARSER_CLASSES": [
        "config.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "config.api.Pagination",
    "PAGE_SIZE": 50,
    # drf-spectacular's, plus the error answers every operation can give (config/schema.py).
    "DEFAULT_SCHEMA_CLASS": "config.schema.AutoSchema",
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": THROTTLE_RATES,
    "NUM_PROXIES": NUM_PROXIES,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Qaita API",
    "DESCRIPTION": (
        "Industrial symbiosis exchange for Almaty: residues offered, materials needed, "
        "optimised matches and the CO₂e they avoid. Authenticate with "
        "`Authorization: Token <token>` from `POST /api/v1/auth/token/`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a "status"; name each enum after its model so the schema stays clear.
    "ENUM_NAME_OVERRIDES": {
        "ListingStatusEnum": "marketplace.models.ListingStatus",
        "FactorSetStatusEnum": "marketplace.models.FactorSet.Status",
        "MatchRunStatusEnum": "matching.models.RunStatus",
        "ProposalStatusEnum": "matching.models.ProposalStatus",
        "ObjectiveEnum": "matching.models.Objective",
        "UnitEnum": "marketplace.models.Unit",
        "StorageUnitEnum": "marketplace.models.StorageUnit",
        "OrganisationKindEnum": "accounts.models.OrganisationKind",
        "SelfServiceKindEnum": "accounts.api.serializers.SELF_SERVICE_KIND_CHOICES",
        "TargetIndicatorEnum": "monitor.models.TargetIndicator",
        "TargetBasisEnum": "monitor.models.TargetBasis",
    },
}

# --- Celery ------------------------------------------------------------------------------
# No REDIS_URL: tasks run in-process (eager), so a newcomer needs nothing but Python.
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
# Long tasks: take one message at a time, acknowledge after the work is done.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# solver limit < soft limit < hard limit < visibility timeout (see PITFALLS.md). A run's claim
# does not depend on these: its short lease is renewed by a heartbeat (MATCHING_LEASE_S below).
MATCHING_SOLVER_TIME_LIMIT_S = env.int("MATCHING_SOLVER_TIME_LIMIT_S", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = MATCHING_SOLVER_TIME_LIMIT_S + 120
CELERY_TASK_TIME_LIMIT = MATCHING_SOLVER_TIME_LIMIT_S + 240
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": MATCHING_SOLVER_TIME_LIMIT_S + 600,
    # A broker that does not answer must not hang a web request for long.
    "socket_connect_timeout": 5,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
if not (
    MATCHING_SOLVER_TIME_LIMIT_S
    < CELERY_TASK_SOFT_TIME_LIMIT
    < CELERY_TASK_TIME_LIMIT
    < CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
):
    raise ImproperlyConfigured("need solver limit < soft time limit < hard time limit < visibility timeout")
# Worker and beat log through LOGGING below (config.celery_app connects setup_logging).
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Exactly one beat runs; it reads its schedule from the database (django-celery-beat), so the
# municipality's edits of the nightly run (matching.schedule) apply without a restart.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# --- Security defaults (tightened in production.py) ---------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],  # plus the tile server, set with MAP_TILE_URL below
        "style-src": ["'self'", "'unsafe-inline'"],
        "script-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
    }
}

# --- E-mail ------------------------------------------------------------------------------
# EMAIL_URL picks the backend: consolemail:// (the default: printed to the console),
# smtp://user:password@host:25, smtp+tls://user:password@host:587, smtp+ssl://…:465.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = EMAIL_CONFIG["EMAIL_BACKEND"]
EMAIL_HOST = EMAIL_CONFIG.get("EMAIL_HOST") or "localhost"
EMAIL_PORT = EMAIL_CONFIG.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = EMAIL_CONFIG.get("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = EMAIL_CONFIG.get("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = bool(EMAIL_CONFIG.get("EMAIL_USE_TLS", False))
EMAIL_USE_SSL = bool(EMAIL_CONFIG.get("EMAIL_USE_SSL", False))
EMAIL_FILE_PATH = EMAIL_CONFIG.get("EMAIL_FILE_PATH") or None
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Qaita <noreply@qaita.kz>")
# Links in e-mails point here (scheme and host, no trailing slash).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# Uploads are bounded; the listing-photo limits live with the marketplace.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# The whole body (files included) by its Content-Length: above it, 413 before anything reads it.
REQUEST_MAX_BODY_BYTES = env.int("REQUEST_MAX_BODY_BYTES", default=12 * 1024 * 1024)
# JSON bodies nested deeper than this (arrays and objects) are a 400, not a RecursionError.
API_JSON_MAX_DEPTH = env.int("API_JSON_MAX_DEPTH", default=32)

# --- Health (/healthz/) ----------------------------------------------------------------------
# Each worker writes a heartbeat this often; the check fails when the freshest is older.
HEALTH_WORKER_HEARTBEAT_S = env.int("HEALTH_WORKER_HEARTBEAT_S", default=30)
HEALTH_WORKER_STALE_S = env.int("HEALTH_WORKER_STALE_S", default=120)
HEALTH_BROKER_TIMEOUT_S = env.float("HEALTH_BROKER_TIMEOUT_S", default=2.0)

# --- Logs and error reports --------------------------------------------------------------
# LOG_FORMAT=json: one JSON object per line (time, level, logger, message, request_id, task_id,
# run_id) from web, worker and beat alike; text (the default) stays readable. See config.logs.
from config.logs import logging_config  # noqa: E402

LOG_FORMAT = env.str("LOG_FORMAT", default="text").strip().lower()
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").strip().upper()
LOGGING_CONFIG = "config.logs.configure"
LOGGING = logging_config(fmt=LOG_FORMAT, level=LOG_LEVEL, extra_loggers=("gunicorn.error", "gunicorn.access"))

# Error reports go to Sentry only when SENTRY_DSN is set; unset, sentry_sdk is never imported.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env.str("SENTRY_ENVIRONMENT", default="production")
SENTRY_TRACES_SAMPLE_RATE = env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0)
# The release is the deployed git revision: SENTRY_RELEASE, else GIT_REV, else `git rev-parse`.
SENTRY_RELEASE = env.str("SENTRY_RELEASE", default="") or env.str("GIT_REV", default="")
if SENTRY_DSN:
    from config.sentry import sentry_init  # noqa: E402

    SENTRY_RELEASE = sentry_init(
        dsn=SENTRY_DSN,
        release=SENTRY_RELEASE,
        environment=SENTRY_ENVIRONMENT,
        traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,
        base_dir=BASE_DIR,
    )

# --- Matching ------------------------------------------------------------------------------
MATCHING_CIRCUITY = env.float("MATCHING_CIRCUITY", default=1.3)
# Processes that solve one run's components side by side (0 or unset: the core count), for runs
# of at least MATCHING_PARALLEL_MIN_LISTINGS offers + needs (smaller ones solve in one process).
MATCHING_SOLVER_WORKERS = env.int("MATCHING_SOLVER_WORKERS", default=0) or (os.cpu_count() or 1)
MATCHING_PARALLEL_MIN_LISTINGS = env.int("MATCHING_PARALLEL_MIN_LISTINGS", default=2000)
MATCHING_MAX_ATTEMPTS = env.int("MATCHING_MAX_ATTEMPTS", default=3)
# A claimed run's lease is short and renewed every third of it by a heartbeat while the worker
# works, so a worker that dies mid-solve gives its run up within about a minute: the sweeper
# (every MATCHING_SWEEP_EVERY_S, a beat task) re-queues runs whose lease ran out.
MATCHING_LEASE_S = env.int("MATCHING_LEASE_S", default=60)
MATCHING_SWEEP_EVERY_S = env.int("MATCHING_SWEEP_EVERY_S", default=15)
# A queued run that no worker claimed within this long (its message lost, or never sent because
# the broker was down) is sent again by the sweeper.
MATCHING_REQUEUE_QUEUED_AFTER_S = env.int("MATCHING_REQUEUE_QUEUED_AFTER_S", default=60)
if MATCHING_LEASE_S < 3 or MATCHING_SWEEP_EVERY_S < 1 or MATCHING_REQUEUE_QUEUED_AFTER_S < 1:
    raise ImproperlyConfigured(
        "MATCHING_LEASE_S must be at least 3 s; MATCHING_SWEEP_EVERY_S and "
        "MATCHING_REQUEUE_QUEUED_AFTER_S at least 1 s"
    )
# Tolerance on deliveries beyond the agreed mass (0.10 = 10 %).
DELIVERY_TOLERANCE = env.float("DELIVERY_TOLERANCE", default=0.10)
# Once one side accepts a proposal, the other has this many days to decide; until then later
# runs keep the proposal and reserve its quantity, afterwards it expires (docs/proposals.md).
MATCHING_RESPONSE_DAYS = env.int("MATCHING_RESPONSE_DAYS", default=14)
# How often the beat scheduler expires proposals whose response window has passed (seconds).
MATCHING_EXPIRE_EVERY_S = env.float("MATCHING_EXPIRE_EVERY_S", default=900.0)
# The site's public address, for links in e-mails (no trailing slash).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# The nightly city-wide run is a database row the municipality edits (GET/PUT /api/v1/schedule/,
# matching.schedule); this is only its initial value: "minute hour day-of-month month day-of-week",
# in MATCHING_SCHEDULE_TIMEZONE.
MATCHING_NIGHTLY_CRON = env.str("MATCHING_NIGHTLY_CRON", default="0 2 * * *")
MATCHING_SCHEDULE_TIMEZONE = env.str("MATCHING_SCHEDULE_TIMEZONE", default="Asia/Almaty")
# Fixed entries; the DatabaseScheduler copies them into its table when beat starts.
CELERY_BEAT_SCHEDULE = {
    "sweep-match-runs": {"task": "matching.sweep_runs", "schedule": float(MATCHING_SWEEP_EVERY_S)},
    "expire-proposals": {"task": "matching.expire_proposals", "schedule": MATCHING_EXPIRE_EVERY_S},
    # Daily: a reminder to both parties of each overdue planned delivery, once per plan entry.
    "remind-overdue-deliveries": {"task": "matching.remind_overdue_deliveries", "schedule": 86400.0},
}
# Fan a run out over this many workers when it has at least this many listings (1 = never).
MATCHING_FANOUT_PARTS = env.int("MATCHING_FANOUT_PARTS", default=1)
MATCHING_FANOUT_MIN_LISTINGS = env.int("MATCHING_FANOUT_MIN_LISTINGS", default=4000)

# --- Deal room: conversations ------------------------------------------------------------------
# Posting messages (API and pages, per user; DRF throttle scope "messages").
MESSAGES_THROTTLE_RATE = env.str("MESSAGES_THROTTLE_RATE", default="30/minute")
# At most one e-mail per thread and recipient in this many seconds (new messages in between
# show in the app only).
MESSAGES_EMAIL_INTERVAL_S = env.int("MESSAGES_EMAIL_INTERVAL_S", default=15 * 60)

# --- Layers: what matching lends the marketplace (marketplace/extensions.py) ------------------
# The marketplace never imports matching; these dotted paths hand it matching's rules. Unset
# (None), the marketplace works alone: no deal-counterpart sites, no match status on listings,
# no yard room held by deals.
MARKETPLACE_DEAL_SITES = "matching.selectors.deal_site_querysets"
MARKETPLACE_MATCH_STATUSES = "matching.diagnostics.statuses_for"
MARKETPLACE_MATCH_STATUS = "matching.diagnostics.match_status_of"
MARKETPLACE_STORAGE_BOOKED = "matching.snapshot.storage_booked_peak"

# --- Maps ------------------------------------------------------------------------------------
# OpenStreetMap's tile policy requires attribution and forbids bulk downloads; point this at
# your own tile server in production. Pages work (markers, lines) when tiles cannot load.
MAP_TILE_URL = env.str("MAP_TILE_URL", default="https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_ATTRIBUTION = env.str("MAP_ATTRIBUTION", default="© OpenStreetMap contributors")


def _origin(url: str) -> str:
    from urllib.parse import urlparse

    parsed = urlparse(url.replace("{s}", "a"))
    if not parsed.netloc:  # a path on this site ("/tiles/{z}/{x}/{y}.png", behind the same proxy)
        return "'self'"
    host = parsed.netloc.replace("a.", "*.", 1) if "{s}" in url else parsed.netloc
    return f"{parsed.scheme}://{host}"


# The CSP lets map tiles come from exactly the configured tile server.
CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"] = ["'self'", "data:", _origin(MAP_TILE_URL)]

# --- City monitor: public statistics (/public/, GET /api/v1/public/impact/) -------------------
# The open-data licence every public figure is published under (shown on the page, in the JSON
# and in the CSV).
PUBLIC_DATA_LICENCE = env.str("PUBLIC_DATA_LICENCE", default="CC BY 4.0")
PUBLIC_DATA_LICENCE_URL = env.str(
    "PUBLIC_DATA_LICENCE_URL", default="https://creativecommons.org/licenses/by/4.0/"
)
PUBLIC_DATA_ATTRIBUTION = env.str(
    "PUBLIC_DATA_ATTRIBUTION", default="Qaita, Almaty industrial symbiosis exchange"
)
# Anonymous (and signed-in) requests to the public API, per client address (DRF scope "public").
PUBLIC_THROTTLE_RATE = env.str("PUBLIC_THROTTLE_RATE", default="60/minute")
# Cached payloads are keyed by the latest audit event; this bounds how stale a figure can be for
# changes that write no event (admin edits).
PUBLIC_CACHE_TTL_S = env.int("PUBLIC_CACHE_TTL_S", default=600)
# The impact report and dashboards (issue 16): seconds a cached report may live (0: no cache),
# and whether PostgreSQL aggregates in SQL (off: the Python path, as on SQLite).
IMPACT_REPORT_CACHE_SECONDS = env.int("IMPACT_REPORT_CACHE_SECONDS", default=300)
IMPACT_REPORT_SQL = env_bool("IMPACT_REPORT_SQL", True)
# A published cell is built from at least this many organisations (k-anonymity).
PUBLIC_K_ANONYMITY = env.int("PUBLIC_K_ANONYMITY", default=3)
if PUBLIC_K_ANONYMITY < 2:
    raise ImproperlyConfigured("PUBLIC_K_ANONYMITY must be at least 2")
