"""Faults that are the server's surroundings, not the request: told apart once, answered once.

A database that cannot be reached, is read-only or has run out of disk answers 503 (the client
may retry), never a 500; a body over the size limit answers 413. API paths get JSON, pages a
plain page that needs neither the database nor a signed-in user.
"""

from __future__ import annotations

import sys

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError, InterfaceError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views import defaults

# SQLSTATE classes (PostgreSQL): 08 connection exception, 53 insufficient resources (disk full,
# out of memory, too many connections), 57 operator intervention (shutdown, cancel), 58 system
# error (I/O); 25006 is a write in a read-only transaction (hot standby, read-only switch).
UNAVAILABLE_SQLSTATE_CLASSES = frozenset({"08", "53", "57", "58"})
UNAVAILABLE_SQLSTATES = frozenset({"25006"})
# Engines that carry no SQLSTATE (SQLite, a failed connect) say it in words.
UNAVAILABLE_MARKERS = (
    "read-only",
    "read only",
    "readonly",
    "no space left",
    "disk is full",
    "disk full",
    "disk i/o error",
    "unable to open database",
    "database is locked",
    "connection refused",
    "connection failed",
    "could not connect",
    "server closed the connection",
    "terminating connection",
    "connection is closed",
    "connection already closed",
)
RETRY_AFTER_S = 30


def database_unavailable(exc: BaseException) -> bool:
    """True when ``exc`` says the database cannot serve writes or reads right now."""
    if isinstance(exc, InterfaceError):
        return True
    if not isinstance(exc, DatabaseError):
        return False
    sqlstate = getattr(exc.__cause__, "sqlstate", None) or getattr(exc, "sqlstate", None)
    if sqlstate:
        return sqlstate[:2] in UNAVAILABLE_SQLSTATE_CLASSES or sqlstate in UNAVAILABLE_SQLSTATES
    message = str(exc).lower()
    return any(marker in message for marker in UNAVAILABLE_MARKERS)


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _plain_page(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    # No request context: the context processors would ask the (failing) database for the user.
    html = render_to_string("plain_error.html", {"status": status, "title": title, "message": message})
    return HttpResponse(html, status=status)


def unavailable_body() -> dict[str, str]:
    message = _("The service is temporarily unavailable (database). Please try again in a minute.")
    return {"detail": message, "code": "unavailable"}


def too_large_body(limit_bytes: int) -> dict[str, str]:
    message = _("The request body is larger than %(limit)s MB.") % {"limit": f"{limit_bytes / 1048576:g}"}
    return {"detail": message, "code": "too_large"}


def unavailable_response(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After: JSON for the API, a plain page for the rest."""
    body = unavailable_body()
    if is_api(request):
        response: HttpResponse = JsonResponse(body, status=503)
    else:
        response = _plain_page(request, 503, _("Temporarily unavailable"), body["detail"])
    response["Retry-After"] = str(RETRY_AFTER_S)
    return response


def too_large_response(request: HttpRequest, limit_bytes: int) -> HttpResponse:
    body = too_large_body(limit_bytes)
    if is_api(request):
        return JsonResponse(body, status=413)
    return _plain_page(request, 413, _("Too large"), body["detail"])


def server_error_response(request: HttpRequest) -> HttpResponse:
    message = _("Something went wrong on our side. It has been logged.")
    if is_api(request):
        return JsonResponse({"detail": message, "code": "server_error"}, status=500)
    return _plain_page(request, 500, _("Server error"), message)


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: the last stop for an exception nothing else answered (a session write in a
    middleware, say). The database's faults are still a 503; the API still gets JSON."""
    exc = sys.exc_info()[1]
    if exc is not None and database_unavailable(exc):
        return unavailable_response(request)
    return server_error_response(request)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """``handler404``: an API address that matches no route is a JSON 404 like any other."""
    if is_api(request):
        return JsonResponse({"detail": _("Not found."), "code": "not_found"}, status=404)
    return defaults.page_not_found(request, exception)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """``handler400`` (a refused host, a body over the form limits, …): JSON for the API."""
    if is_api(request):
        if isinstance(exception, RequestDataTooBig):
            return JsonResponse(too_large_body(settings.DATA_UPLOAD_MAX_MEMORY_SIZE), status=413)
        return JsonResponse({"detail": _("Bad request."), "code": "invalid"}, status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api(request):
        return JsonResponse({"detail": _("Not allowed."), "code": "forbidden"}, status=403)
    return defaults.permission_denied(request, exception)


def csrf_failure_message() -> str:
    return _(
        "The form could not be sent: its security token is missing or has expired (for example "
        "after signing in again in another tab). Go back, reload the page and try again."
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """``CSRF_FAILURE_VIEW``: a form sent with an expired or missing security token. Django's own
    page is a developer's explanation, in English for Kazakh readers; this one says what to do,
    in the reader's language (JSON for the API)."""
    message = csrf_failure_message()
    if is_api(request):
        return JsonResponse({"detail": message, "code": "csrf_failed"}, status=403)
    from django.shortcuts import render

    return render(request, "error.html", {"status": 403, "message": message}, status=403)
