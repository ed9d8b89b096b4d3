"""Strict input: unknown fields and sloppy numbers are refused, not silently ignored or guessed.

One mechanism for every app (it imports nothing of ours, so accounts, marketplace and matching
may all use it):

- :class:`StrictSerializer` (or :class:`StrictSerializerMixin` on another serializer base) answers
  a body with a field it does not declare with 400 naming that field, and refuses numbers written
  with underscores or non-ASCII digits. Every API input serializer derives from it; a test walks
  the API's write operations and fails on any request serializer that is not strict.
- :func:`parse_decimal` is the one number parser of the services: Python's ``Decimal()`` and
  ``int()`` accept ``"1_000"`` (and Arabic-Indic or full-width digits); a quantity is digits.
- :class:`StrictDecimalField` does the same for Django forms.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerExtension
from rest_framework import serializers

#: Keys a client may send besides the declared fields: Django's CSRF token in form posts.
IGNORED_KEYS = frozenset({"csrfmiddlewaretoken"})
NUMBER_FIELDS = (serializers.DecimalField, serializers.IntegerField, serializers.FloatField)
UNKNOWN_FIELD = _("Unknown field.")
PLAIN_NUMBER = _("A number is required: digits only, without underscores or separators (e.g. 1000.5).")


def is_sloppy_number(text: str) -> bool:
    """True for number text that Python would read but a person should not write: ``1_000``, ``١٢``."""
    return "_" in text or not text.isascii()


def parse_decimal(value: Any) -> Decimal:
    """``Decimal(value)``, refusing underscores and non-ASCII digits; raises ``InvalidOperation``.

    Booleans are not numbers here either. Callers turn the exception into their own message.
    """
    if isinstance(value, bool):
        raise InvalidOperation(value)
    if isinstance(value, Decimal):
        return value
    text = value.strip() if isinstance(value, str) else str(value)
    if is_sloppy_number(text):
        raise InvalidOperation(text)
    return Decimal(text)


class StrictSerializerMixin:
    # Refuses undeclared fields (400 naming each) and underscore numbers, before field validation.
    # (A comment, not a docstring: drf-spectacular would print it on every request schema.)
    # Query-string serializers keep the number check only: ?page= and ?format= are not theirs.
    reject_unknown_fields = True

    def to_internal_value(self, data):
        errors = self.strict_errors(data) if isinstance(data, Mapping) else {}
        if not errors:
            return super().to_internal_value(data)
        # Report the other fields' problems too (a missing required field beside a misspelt one).
        try:
            super().to_internal_value({k: v for k, v in data.items() if k not in errors})
        except serializers.ValidationError as exc:
            if isinstance(exc.detail, Mapping):
                for name, detail in exc.detail.items():
                    errors.setdefault(name, detail)
        raise serializers.ValidationError(errors)

    def strict_errors(self, data: Mapping) -> dict[str, list[str]]:
        fields = self.fields  # type: ignore[attr-defined]
        writable = {name for name, field in fields.items() if not field.read_only}
        errors: dict[str, list[str]] = {}
        if self.reject_unknown_fields:
            errors = {
                str(key): [str(UNKNOWN_FIELD)]
                for key in data
                if key not in writable and key not in IGNORED_KEYS
            }
        for name in writable & set(data):
            raw = data.get(name)
            if isinstance(fields[name], NUMBER_FIELDS) and isinstance(raw, str) and is_sloppy_number(raw):
                errors[name] = [str(PLAIN_NUMBER)]
        return errors


class StrictSerializer(StrictSerializerMixin, serializers.Serializer):
    pass  # the base of every API input serializer (no docstring, see the mixin)


class StrictQuerySerializer(StrictSerializer):
    reject_unknown_fields = False  # a query string's numbers, not its other parameters


class NoInputSerializer(StrictSerializer):
    """The body of an action that takes none: anything sent is an unknown field."""


class StrictSerializerSchema(OpenApiSerializerExtension):
    """The schema says what the serializer does: request bodies allow no other properties."""

    target_class = StrictSerializerMixin
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        if direction == "request":
            schema["additionalProperties"] = False
        return schema


class StrictDecimalField(forms.DecimalField):
    """A form's decimal field that refuses ``1_000`` and non-ASCII digits like the API does."""

    def to_python(self, value):
        if isinstance(value, str) and is_sloppy_number(value.strip()):
            raise DjangoValidationError(PLAIN_NUMBER, code="invalid")
        return super().to_python(value)
