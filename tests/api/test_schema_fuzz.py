"""The OpenAPI schema is the API: schemathesis fuzzes every operation, in-process over WSGI, as a
company and as the municipality, and fails on any 5xx or any answer the schema does not describe
(undocumented status code, wrong content type, body that does not match its schema).

Bounded and reproducible: ``FUZZ_EXAMPLES`` examples per operation and caller (default 10),
derandomized, no example database. A small market (two companies, the municipality, a run with
a proposal, a deal and a delivery) exists first, so small ids reach real objects.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = pytest.mark.django_db

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture
def market(brewery, farm, municipality, grain_market, django_capture_on_commit_callbacks):
    """A run with its proposal accepted by both sides (a deal) and one delivery."""
    from django.utils import timezone

    from matching import runs, services
    from matching.models import Proposal

    with django_capture_on_commit_callbacks(execute=True):
        run = runs.match_run_start(actor=municipality.user)
    proposal = Proposal.objects.get(run=run)
    services.proposal_accept(proposal=proposal, actor=brewery.user)
    proposal = services.proposal_accept(proposal=Proposal.objects.get(pk=proposal.pk), actor=farm.user)
    proposal.refresh_from_db()
    services.delivery_record(deal=proposal.deal, actor=brewery.user, date=timezone.localdate(), mass_t="5")
    return {"company": brewery, "municipality": municipality}


@pytest.fixture
def wsgi_app():
    """Django's WSGI application, in this thread and this test's transaction. As Django's test
    client does, keep the end of each request from closing the connection (and the transaction)."""
    from django.core import signals
    from django.core.wsgi import get_wsgi_application
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(market, wsgi_app):
    loaded = schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app)
    loaded.config.generation.update(max_examples=FUZZ_EXAMPLES, database="none")
    loaded.config.phases.update(phases=os.environ.get("FUZZ_PHASES", "examples,fuzzing").split(","))
    return loaded


def token_for(persona) -> str:
    from rest_framework.authtoken.models import Token

    return Token.objects.get_or_create(user=persona.user)[0].key


FUZZ_SETTINGS = settings(
    max_examples=FUZZ_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


@schema.parametrize()
@FUZZ_SETTINGS
def test_every_answer_to_a_company_is_described_by_the_schema(case, market):
    case.call_and_validate(headers={"Authorization": f"Token {token_for(market['company'])}"}, checks=CHECKS)


@schema.parametrize()
@FUZZ_SETTINGS
def test_every_answer_to_the_municipality_is_described_by_the_schema(case, market):
    token = token_for(market["municipality"])
    case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)


def test_every_operation_documents_the_errors_it_can_answer():
    from drf_spectacular.generators import SchemaGenerator

    generated = SchemaGenerator().get_schema(request=None, public=True)
    operations = [
        (method.upper(), path, operation)
        for path, methods in generated["paths"].items()
        for method, operation in methods.items()
    ]
    assert len(operations) >= 40
    for method, path, operation in operations:
        codes = set(operation["responses"])
        anonymous = {} in operation.get("security", [])
        assert "503" in codes, (method, path)
        assert anonymous or {"401", "403"} <= codes, (method, path)
        if method in {"POST", "PUT", "PATCH", "DELETE"}:
            assert {"403", "409"} <= codes, (method, path)
        if "requestBody" in operation:
            assert {"400", "413"} <= codes, (method, path)
        if "{" in path:
            assert "404" in codes, (method, path)
    components = generated["components"]["schemas"]
    assert components["Error"]["required"] == ["detail"]
    offer = components["Offer"]["properties"]
    assert offer["mass_t"]["type"] == "string" and offer["mass_t"]["nullable"] is True
    assert offer["distance_km"]["nullable"] is True
    assert "errors" in components["ImportRefused"]["properties"]


def test_an_api_address_that_matches_no_route_is_a_json_404(brewery, client):
    for path in ("/api/v1/sites/0.5/", "/api/v1/no-such-thing/"):
        response = brewery.client().get(path)
        assert response.status_code == 404 and response["Content-Type"] == "application/json"
        assert response.json()["code"] == "not_found"
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")
