"""Pages answer a broken business rule with its status, never a 500."""

from django.db import DataError
from django.shortcuts import render

from accounts.errors import DomainError, ErrorCode

STATUS = {ErrorCode.INVALID: 400, ErrorCode.FORBIDDEN: 403, ErrorCode.NOT_FOUND: 404, ErrorCode.CONFLICT: 409}


class DomainErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
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
        status = STATUS[exception.code]
        return render(request, "error.html", {"status": status, "message": exception.message}, status=status)
