"""EMAIL_URL chooses the mail backend: the console by default, any SMTP server in production."""

import json

import pytest

from tests.test_settings import PROD_ENV, run_manage

PRINT = (
    "import json; from django.conf import settings as s; print(json.dumps([s.EMAIL_BACKEND, s.EMAIL_HOST, "
    "s.EMAIL_PORT, s.EMAIL_HOST_USER, s.EMAIL_HOST_PASSWORD, s.EMAIL_USE_TLS, s.EMAIL_USE_SSL]))"
)


def email_settings(email_url: str | None) -> list:
    env = {**PROD_ENV} if email_url is None else {**PROD_ENV, "EMAIL_URL": email_url}
    result = run_manage("shell", "-c", PRINT, env_overrides=env, drop=() if email_url else ("EMAIL_URL",))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_without_email_url_mail_goes_to_the_console():
    backend, host, port, *_ = email_settings(None)
    assert backend == "django.core.mail.backends.console.EmailBackend"
    assert (host, port) == ("localhost", 25)


@pytest.mark.parametrize(
    "url, expected",
    [
        (
            "smtp+tls://mailer:s3cret@smtp.example.kz:587",
            [
                "django.core.mail.backends.smtp.EmailBackend",
                "smtp.example.kz",
                587,
                "mailer",
                "s3cret",
                True,
                False,
            ],
        ),
        (
            "smtp+ssl://mailer:s3cret@smtp.example.kz:465",
            [
                "django.core.mail.backends.smtp.EmailBackend",
                "smtp.example.kz",
                465,
                "mailer",
                "s3cret",
                False,
                True,
            ],
        ),
        (
            "smtp://relay.internal:25",
            ["django.core.mail.backends.smtp.EmailBackend", "relay.internal", 25, "", "", False, False],
        ),
    ],
)
def test_an_smtp_url_configures_the_smtp_backend(url, expected):
    assert email_settings(url) == expected
