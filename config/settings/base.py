"""Settings shared by every environment.

Configuration comes from the environment (12-factor, django-environ). The embedded default
needs nothing: SQLite in the project folder and Celery tasks run in-process. Setting
``DATABASE_URL`` (PostgreSQL) and ``REDIS_URL`` switches to the real services.
"""

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
    "accounts",
    "marketplace",
    "matching",
    "monitor",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.middleware.DomainErrorMiddleware",
]

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
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.membership",
                "config.context_processors.maps",
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
USE_TZ = True

# --- Static and media --------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- API ---------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "config.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"auth": env.str("AUTH_THROTTLE_RATE", default="20/minute")},
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
# solver limit < soft limit < hard limit < visibility timeout (see PITFALLS.md).
MATCHING_SOLVER_TIME_LIMIT_S = env.int("MATCHING_SOLVER_TIME_LIMIT_S", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = MATCHING_SOLVER_TIME_LIMIT_S + 120
CELERY_TASK_TIME_LIMIT = MATCHING_SOLVER_TIME_LIMIT_S + 240
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": MATCHING_SOLVER_TIME_LIMIT_S + 600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

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

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# --- Matching ------------------------------------------------------------------------------
MATCHING_CIRCUITY = env.float("MATCHING_CIRCUITY", default=1.3)
MATCHING_MAX_ATTEMPTS = env.int("MATCHING_MAX_ATTEMPTS", default=3)
# A claimed run's lease outlives the hard time limit, so a live worker never loses its claim.
MATCHING_LEASE_S = env.int("MATCHING_LEASE_S", default=CELERY_TASK_TIME_LIMIT + 60)
MATCHING_REQUEUE_QUEUED_AFTER_S = env.int("MATCHING_REQUEUE_QUEUED_AFTER_S", default=300)
# Test-only: sleep this long before solving, so tests can kill a worker mid-solve.
MATCHING_TEST_SLOW_SOLVE_S = env.float("MATCHING_TEST_SLOW_SOLVE_S", default=0.0)
# Tolerance on deliveries beyond the agreed mass (0.10 = 10 %).
DELIVERY_TOLERANCE = env.float("DELIVERY_TOLERANCE", default=0.10)

from celery.schedules import crontab  # noqa: E402

CELERY_BEAT_SCHEDULE = {
    "nightly-city-run": {
        "task": "matching.scheduled_run",
        "schedule": crontab(
            **dict(
                zip(
                    ("minute", "hour", "day_of_week", "day_of_month", "month_of_year"),
                    env.str("MATCHING_NIGHTLY_CRON", default="0 2 * * *").split(),
                    strict=True,
                )
            )
        ),
    },
    "sweep-match-runs": {"task": "matching.sweep_runs", "schedule": 60.0},
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

# --- Maps ------------------------------------------------------------------------------------
# OpenStreetMap's tile policy requires attribution and forbids bulk downloads; point this at
# your own tile server in production. Pages work (markers, lines) when tiles cannot load.
MAP_TILE_URL = env.str("MAP_TILE_URL", default="https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_ATTRIBUTION = env.str("MAP_ATTRIBUTION", default="© OpenStreetMap contributors")


def _origin(url: str) -> str:
    from urllib.parse import urlparse

    parsed = urlparse(url.replace("{s}", "a"))
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
# A published cell is built from at least this many organisations (k-anonymity).
PUBLIC_K_ANONYMITY = env.int("PUBLIC_K_ANONYMITY", default=3)
if PUBLIC_K_ANONYMITY < 2:
    raise ImproperlyConfigured("PUBLIC_K_ANONYMITY must be at least 2")
