"""One exception type for every broken business rule, with a code that carries its HTTP status.

The status lives here, on the code, and nowhere else: the API's exception handler
(``config.api``) and the pages' middleware (``config.middleware``) both answer ``code.status``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from django import forms


class ErrorCode(enum.Enum):
    """A kind of refusal: its ``value`` is the ``code`` of the API's body, ``status`` its HTTP status."""

    INVALID = "invalid", 400
    FORBIDDEN = "forbidden", 403
    NOT_FOUND = "not_found", 404
    CONFLICT = "conflict", 409

    status: int

    def __new__(cls, code: str, status: int) -> ErrorCode:
        member = object.__new__(cls)
        member._value_ = code
        member.status = status
        return member


class DomainError(Exception):
    """A business rule said no. ``field`` names the input at fault, when there is one."""

    def __init__(self, code: ErrorCode, message: str, *, field: str | None = None, **extra):
        super().__init__(message)
        self.code = code
        self.message = str(message)
        self.field = field
        self.extra = extra

    @property
    def status(self) -> int:
        """The HTTP status this refusal answers with (:attr:`ErrorCode.status`)."""
        return self.code.status

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


def invalid(field: str | None, message: str) -> DomainError:
    return DomainError(ErrorCode.INVALID, message, field=field)


def not_found(message: str | None = None) -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, message or _("Not found."))


def forbidden(message: str) -> DomainError:
    return DomainError(ErrorCode.FORBIDDEN, message)


def conflict(message: str, **extra) -> DomainError:
    return DomainError(ErrorCode.CONFLICT, message, **extra)


def apply_domain_error(
    form: forms.BaseForm,
    exc: DomainError,
    *,
    prefix: str = "",
    mapping: Mapping[str | None, str] | None = None,
) -> None:
    """Show a service's refusal on the form field it names, or on the whole form when it names
    none (or a field the form does not have). The one form-error helper of every app's pages.

    ``mapping`` renames a service's field to the form's (``{"near": "site"}``); ``prefix`` is
    put before it (the new-site fields of a listing form).
    """
    field = (mapping or {}).get(exc.field, exc.field)
    field = f"{prefix}{field}" if field and prefix else field
    form.add_error(field if field in form.fields else None, exc.message)
