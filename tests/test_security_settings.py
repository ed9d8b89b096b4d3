"""Rate limits and the log-in lock are configured for a production behind a trusted proxy."""

import json

import pytest

from tests.test_settings import PROD_ENV, run_manage

PRINT = (
    "from django.conf import settings as s; import json; print(json.dumps({"
    "'cache': s.CACHES['default']['BACKEND'], 'num_proxies': s.REST_FRAMEWORK['NUM_PROXIES'],"
    "'axes_proxies': s.AXES_IPWARE_PROXY_COUNT, 'axes_handler': s.AXES_HANDLER,"
    "'axes_ip': s.AXES_CLIENT_IP_CALLABLE, 'axes_params': s.AXES_LOCKOUT_PARAMETERS,"
    "'backends': s.AUTHENTICATION_BACKENDS, 'last_middleware': s.MIDDLEWARE[-1],"
    "'rates': s.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES'], 'import_rate': s.IMPORT_RATE}))"
)


def production(**extra) -> dict:
    result = run_manage("shell", "-c", PRINT, env_overrides={**PROD_ENV, **extra})
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_shares_counters_in_redis_and_locks_in_the_database():
    conf = production(REDIS_URL="redis://127.0.0.1:6379/9", NUM_PROXIES="1")
    assert conf["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert conf["axes_handler"] == "axes.handlers.database.AxesDatabaseHandler"
    assert conf["axes_params"] == ["username", "ip_address"]
    assert conf["backends"][0] == "axes.backends.AxesStandaloneBackend"
    assert conf["last_middleware"] == "axes.middleware.AxesMiddleware"
    # One trusted-proxy rule for the API throttles and the log-in lock.
    assert conf["num_proxies"] == conf["axes_proxies"] == 1
    assert conf["axes_ip"] == "accounts.throttles.client_ip"
    assert conf["rates"] == {"auth": "20/minute", "register": "20/hour", "auth_username": "10/minute"}
    assert conf["import_rate"] == "10/hour"


def test_without_a_proxy_setting_forwarded_headers_are_ignored():
    assert production()["num_proxies"] == 0


@pytest.mark.parametrize("value", ["-1", "two"])
def test_a_bad_proxy_count_stops_the_process(value):
    result = run_manage("check", env_overrides={**PROD_ENV, "NUM_PROXIES": value})
    assert result.returncode != 0
    assert "NUM_PROXIES" in result.stderr or "invalid literal" in result.stderr
