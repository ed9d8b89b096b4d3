"""One error map: a DomainError's HTTP status lives on its code, and the API and the pages agree."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from accounts.errors import DomainError, ErrorCode
from config.api import exception_handler
from config.middleware import DomainErrorMiddleware

pytestmark = pytest.mark.django_db


def test_each_code_carries_its_status():
    assert {code.value: code.status for code in ErrorCode} == {
        "invalid": 400,
        "forbidden": 403,
        "not_found": 404,
        "conflict": 409,
    }
    assert ErrorCode("conflict") is ErrorCode.CONFLICT  # the API's ``code`` still reads back


@pytest.mark.parametrize("code", list(ErrorCode))
def test_the_api_and_the_pages_answer_the_codes_status(code):
    error = DomainError(code, "No.")
    api = exception_handler(error, {})
    assert api is not None and api.status_code == code.status and api.data["code"] == code.value
    page_request = RequestFactory().get("/offers/")
    page_request.user = AnonymousUser()
    page = DomainErrorMiddleware(lambda request: None).process_exception(page_request, error)
    assert page.status_code == code.status
