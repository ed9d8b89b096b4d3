"""Pages answer a broken business rule with its status, never a 500; bounded bodies, a health
check that needs no host, private caching and a 503 for an unavailable database."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError, DataError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control

from accounts.errors import DomainError

from .errors import database_unavailable, is_api, too_large_response, unavailable_response


class DomainErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, (OverflowError, DataError)) and not request.path.startswith("/api/"):
            return render(
                request,
                "error.html",
                {"status": 400, "message": "A number in the address is out of range."},
                status=400,
            )
        if not isinstance(exception, DomainError) or request.path.startswith("/api/"):
            return None
        status = exception.status
        return render(request, "error.html", {"status": status, "message": exception.message}, status=status)


class RequestSizeLimitMiddleware:
    """Refuse a body whose Content-Length exceeds ``REQUEST_MAX_BODY_BYTES`` before anything reads it.

    Django bounds form fields (DATA_UPLOAD_MAX_MEMORY_SIZE) but streams uploaded files to disk
    whatever their size; this bounds the whole body. 413: JSON for the API, a plain page else.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.REQUEST_MAX_BODY_BYTES:
            return too_large_response(request, settings.REQUEST_MAX_BODY_BYTES)
        return self.get_response(request)


class HealthCheckMiddleware:
    """Answer ``/healthz/`` before host validation and the HTTPS redirect.

    Load balancers and the compose health check call it by address over plain HTTP; what it
    says is the same for every host, and it builds no URL from the Host header.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == "/healthz/" and request.method in ("GET", "HEAD"):
            from .health import healthz

            return healthz(request)
        return self.get_response(request)


class PrivateCacheMiddleware:
    """``Cache-Control: private, no-store`` on every API answer and every signed-in page.

    They carry exact addresses, quantities and names that no shared cache (or the browser's
    disk cache on a shared computer) may keep.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if is_api(request) or self._signed_in(request):
            patch_cache_control(response, private=True, no_store=True)  # drops a "public"
        return response

    @staticmethod
    def _signed_in(request: HttpRequest) -> bool:
        user = getattr(request, "user", None)
        if user is None:
            return "HTTP_AUTHORIZATION" in request.META
        try:
            return bool(user.is_authenticated) or "HTTP_AUTHORIZATION" in request.META
        except DatabaseError:  # the session cannot be read: err on the private side
            return True


class DatabaseUnavailableMiddleware:
    """Pages (and any API view outside DRF): a database that is down, read-only or full → 503."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if database_unavailable(exception):
            return unavailable_response(request)
        return None
