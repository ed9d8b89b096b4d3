"""Settings for ``benchmarks/web_load.py``: the local settings with DEBUG off (no query log, no
debug pages), mail kept in memory, and the cache in Redis when ``REDIS_URL`` is set, as in
production (so both gunicorn workers share the report cache)."""

from config.settings.local import *  # noqa: F401,F403
from config.settings.local import REDIS_URL

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
