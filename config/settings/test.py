"""Test settings: the same stack, fast password hashing, in-memory email.

DATABASE_URL selects the backend (SQLite in memory by default, PostgreSQL in CI);
REDIS_URL unset keeps Celery eager, set it for the real-worker tests.
"""

from .base import *  # noqa: F401,F403
from .base import REST_FRAMEWORK, THROTTLE_RATES, database_from_env

SECRET_KEY = "test-only-not-secret-0d6b3e5f9a2c4718"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
DATABASES = {"default": database_from_env("sqlite:///:memory:")}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    # High enough for the suite; the throttle tests put the production defaults back explicitly.
    "DEFAULT_THROTTLE_RATES": {scope: "1000/minute" for scope in THROTTLE_RATES},
}
IMPORT_RATE = "1000/hour"
# The public API's throttle, high enough for the suite (its own test lowers it).
PUBLIC_THROTTLE_RATE = "10000/minute"
