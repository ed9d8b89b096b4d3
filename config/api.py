"""API plumbing shared by every app: pagination and the one domain-error mapping."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.db import DataError
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from accounts.errors import DomainError

from .errors import (
    RETRY_AFTER_S,
    csrf_failure_message,
    database_unavailable,
    too_large_body,
    unavailable_body,
)


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


def exception_handler(exc, context):
    """DRF's handler, plus :class:`DomainError` answered with its code's status, an unavailable
    database to 503 and a body over the size limit to 413.

    The body keeps DRF's shape: ``{"field": ["reason"]}`` for a field, ``{"detail": …}`` else.
    """
    if isinstance(exc, DomainError):
        body = {exc.field: [exc.message]} if exc.field else {"detail": exc.message}
        body.update(exc.extra)
        body.setdefault("code", exc.code.value)
        return Response(body, status=exc.status)
    if isinstance(exc, (OverflowError, DataError)):
        # An id or number beyond what the database stores (e.g. ?organisation=10**20): the
        # request is wrong, not the server.
        return Response(
            {"detail": _("A number in the request is out of range.")}, status=status.HTTP_400_BAD_REQUEST
        )
    if database_unavailable(exc):
        set_rollback()
        return Response(
            unavailable_body(),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )
    if isinstance(exc, RequestDataTooBig):
        return Response(
            too_large_body(settings.DATA_UPLOAD_MAX_MEMORY_SIZE),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, exceptions.PermissionDenied) and str(exc.detail).startswith("CSRF Failed"):
        # DRF's session check says it in English only ("CSRF Failed: CSRF token missing.").
        return Response({"detail": csrf_failure_message()}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, (TooManyFieldsSent, TooManyFilesSent)):
        return Response({"detail": str(exc), "code": "invalid"}, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)
