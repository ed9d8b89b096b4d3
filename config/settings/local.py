"""Developer and demo settings: DEBUG on, a throwaway secret, localhost only."""

from .base import *  # noqa: F401,F403
from .base import env, env_bool

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env.str("SECRET_KEY", default="local-dev-only-not-secret-6f1c0a9e2b7d4c8a")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
