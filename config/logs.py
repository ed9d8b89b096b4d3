"""Logs an operator can follow: request, task and run ids on every line, text or JSON.

``LOG_FORMAT=text`` (the default) writes readable lines; ``LOG_FORMAT=json`` writes one JSON
object per line with ``time``, ``level``, ``logger``, ``message``, ``request_id``, ``task_id``
and ``run_id`` (null where there is none), plus any ``extra`` a caller passed. The web, the
Celery worker and beat share this configuration (see ``config.celery_app``).

The ids travel in context variables: :class:`RequestIdMiddleware` sets the request id, Celery's
``task_prerun`` the task id, and the match-run lifecycle the run id (:func:`log_context`).
"""

from __future__ import annotations

import contextvars
import logging
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
task_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("task_id", default=None)
run_id_var: contextvars.ContextVar[int | None] = contextvars.ContextVar("run_id", default=None)

CONTEXT_VARS: dict[str, contextvars.ContextVar] = {
    "request_id": request_id_var,
    "task_id": task_id_var,
    "run_id": run_id_var,
}
LOG_FORMATS = ("text", "json")
REQUEST_ID_HEADER = "X-Request-ID"
# An incoming id is kept only if it is short and plain (no spaces, quotes or control characters
# that could forge a log line); anything else is replaced by a fresh one.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,99}")


@contextmanager
def log_context(**values: Any) -> Iterator[None]:
    """Set ``request_id`` / ``task_id`` / ``run_id`` for every line logged inside the block."""
    tokens = [(CONTEXT_VARS[name], CONTEXT_VARS[name].set(value)) for name, value in values.items()]
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


class ContextFilter(logging.Filter):
    """Adds ``request_id``, ``task_id`` and ``run_id`` to every record (an explicit ``extra`` wins)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, var in CONTEXT_VARS.items():
            if getattr(record, name, None) is None:
                setattr(record, name, var.get())
        if getattr(record, "request_id", None) is None:  # django.request may log after the middleware
            record.request_id = getattr(getattr(record, "request", None), "request_id", None)
        return True


class TextFormatter(logging.Formatter):
    """``time LEVEL logger [ids] message``: the ids appear only when there are some."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(ids)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        ids = " ".join(
            f"{name}={getattr(record, name)}"
            for name in CONTEXT_VARS
            if getattr(record, name, None) is not None
        )
        record.ids = f" [{ids}]" if ids else ""
        return super().format(record)


def json_formatter() -> logging.Formatter:
    """python-json-logger's formatter with our field names (``time`` is ISO 8601, UTC)."""
    from pythonjsonlogger.core import RESERVED_ATTRS
    from pythonjsonlogger.json import JsonFormatter

    return JsonFormatter(
        ["levelname", "name", "message", *CONTEXT_VARS],
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp="time",
        # django.request attaches the request object; its repr is noise, the id says which one.
        reserved_attrs=[*RESERVED_ATTRS, "request", "ids"],
    )


def logging_config(*, fmt: str, level: str, extra_loggers: tuple[str, ...] = ()) -> dict[str, Any]:
    """The ``LOGGING`` dict: one console handler on the root logger, in the chosen format."""
    if fmt not in LOG_FORMATS:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, not {fmt!r}")
    own = {"handlers": ["console"], "level": level, "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": "config.logs.ContextFilter"}},
        "formatters": {
            "text": {"()": "config.logs.TextFormatter"},
            "json": {"()": "config.logs.json_formatter"},
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": fmt, "filters": ["context"]},
        },
        "root": {"handlers": ["console"], "level": level},
        # Django's own loggers get the same handler (and no second, DEBUG-only console).
        "loggers": {name: dict(own) for name in ("django", "django.server", *extra_loggers)},
    }


def configure(config: dict[str, Any]) -> None:
    """``LOGGING_CONFIG``: apply the dict, and route Python warnings through it too.

    Without ``captureWarnings`` a warning is printed raw to stderr, which would break the
    one-JSON-object-per-line promise.
    """
    import logging.config

    logging.captureWarnings(True)
    logging.config.dictConfig(config)


class RequestIdMiddleware:
    """Gives every request an id: a sane incoming ``X-Request-ID`` or a fresh one.

    The id is on ``request.request_id``, on every log line of the request and on the response's
    ``X-Request-ID`` header, so a user's report and the server's lines can be matched.
    """

    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if SANE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        with log_context(request_id=request_id):
            response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response
