"""Every write endpoint refuses what it does not declare: unknown fields, ``"1_000"`` for 1000.

The first test walks the API itself (drf-spectacular's view of the URLconf), so a write endpoint
added later with a lax request serializer fails here without anyone listing it.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.settings import spectacular_settings
from rest_framework import serializers

from accounts.models import Site
from config.strict import StrictSerializerMixin, parse_decimal
from marketplace.models import Need, Offer
from tests.marketplace.helpers import load_catalogue, make_offer

WRITE_METHODS = {"POST", "PUT", "PATCH"}


@pytest.fixture
def catalogue(db):
    return load_catalogue()


def _serializers_of(declared) -> list:
    """The serializers a request declaration names (one, or one per media type)."""
    if declared is None:
        return []
    if isinstance(declared, dict):
        return [s for value in declared.values() for s in _serializers_of(value)]
    return [declared]


def _nested(serializer) -> list:
    found = []
    for field in serializer.fields.values():
        child = getattr(field, "child", None)
        for candidate in (field, child):
            if isinstance(candidate, serializers.Serializer) and not candidate.read_only:
                found += [candidate, *_nested(candidate)]
    return found


def write_operations() -> list[tuple[str, Any, list[Any]]]:
    generator = SchemaGenerator()
    generator._initialise_endpoints()
    operations = []
    for path, path_regex, method, view in generator._get_paths_and_endpoints():
        if method not in WRITE_METHODS or not path.startswith("/api/"):
            continue
        # What drf-spectacular's parse() sets up before it asks a view for its request body.
        view.request = spectacular_settings.GET_MOCK_REQUEST(method, path, view, None)
        schema = view.schema
        schema.registry, schema.path, schema.path_regex = generator.registry, path, path_regex
        schema.path_prefix, schema.method = "^/api/", method
        if schema.is_excluded():
            continue
        declared = schema.get_request_serializer()
        found = _serializers_of(declared)
        operations.append((f"{method} {path}", view, found))
    return operations


OPERATIONS = write_operations()


def test_the_walk_finds_the_api_write_operations():
    names = {name for name, _, _ in OPERATIONS}
    assert {
        "POST /api/v1/auth/register/",
        "POST /api/v1/offers/",
        "PATCH /api/v1/needs/{id}/",
        "POST /api/v1/proposals/{id}/accept/",
        "POST /api/v1/deals/{id}/deliveries/",
        "POST /api/v1/listings/import/",
    } <= names
    assert len(OPERATIONS) >= 15


@pytest.mark.parametrize(("operation", "view", "found"), OPERATIONS, ids=[o[0] for o in OPERATIONS])
def test_every_write_operation_declares_a_strict_request_serializer(operation, view, found):
    assert found, f"{operation} declares no request body; use config.strict.NoInputSerializer"
    for declared in found:
        instance = declared() if isinstance(declared, type) else declared
        for serializer in [instance, *_nested(instance)]:
            assert isinstance(serializer, StrictSerializerMixin), (
                f"{operation}: {type(serializer).__name__} must derive from config.strict.StrictSerializer"
            )
        bogus = type(instance)(data={"bogus_field": 1})
        assert not bogus.is_valid()
        assert bogus.errors["bogus_field"] == ["Unknown field."]


def test_the_schema_says_request_bodies_take_no_other_properties(client, db):
    schemas = client.get("/api/schema/?format=json").json()["components"]["schemas"]
    requests = {name: s for name, s in schemas.items() if name.endswith("Request")}
    assert requests
    assert {name for name, s in requests.items() if s.get("additionalProperties") is not False} == set()


# --- Over HTTP: a valid body plus one unknown field is refused and writes nothing ---------
def offer_body(site) -> dict:
    return {"site": site.pk, "material": "brewers_spent_grain", "quantity": "40", "unit": "t"}


@pytest.mark.django_db
def test_an_offer_with_an_unknown_field_is_refused_naming_it(brewery, catalogue):
    response = brewery.client().post(
        "/api/v1/offers/", {**offer_body(brewery.site), "bogus_field": 1, "prize": "x"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"bogus_field": ["Unknown field."], "prize": ["Unknown field."]}
    assert not Offer.objects.exists()


@pytest.mark.django_db
def test_a_nested_unknown_field_is_named_by_its_path():
    from rest_framework.test import APIClient

    body = {
        "username": "aigerim",
        "password": "grain-to-feed-2026",
        "email": "aigerim@example.kz",
        "organisation": {"name": "Brewery", "kind": "company", "sector": "trade", "verified": True},
    }
    response = APIClient().post("/api/v1/auth/register/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"organisation": {"verified": ["Unknown field."]}}


@pytest.mark.django_db
def test_a_patch_with_an_unknown_field_changes_nothing(brewery, catalogue):
    offer = make_offer(brewery)
    response = brewery.client().patch(
        f"/api/v1/offers/{offer.pk}/", {"quantity": "50", "organisation": 99}, format="json"
    )
    assert response.status_code == 400 and "organisation" in response.json()
    offer.refresh_from_db()
    assert offer.quantity == Decimal("40")


@pytest.mark.django_db
def test_a_bodyless_action_refuses_a_body(brewery, farm, catalogue, grain_market, run_now):
    from matching.models import Proposal

    run_now()
    proposal = Proposal.objects.get()
    response = brewery.client().post(
        f"/api/v1/proposals/{proposal.pk}/accept/", {"bogus_field": 1}, format="json"
    )
    assert response.status_code == 400 and response.json() == {"bogus_field": ["Unknown field."]}
    proposal.refresh_from_db()
    assert proposal.status == "proposed"


# --- Numbers are digits -------------------------------------------------------------------
@pytest.mark.parametrize("text", ["1_000", "1_0.5", "١٢", "１２", "1 000"])
def test_the_number_parser_refuses_what_python_would_guess(text):
    with pytest.raises(InvalidOperation):
        parse_decimal(text)


@pytest.mark.parametrize("text", ["1000", " 12.5 ", "-3", "1e3", "0.001"])
def test_the_number_parser_reads_plain_numbers(text):
    assert parse_decimal(text) == Decimal(text.strip())


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["quantity", "site"])
def test_the_api_refuses_underscore_numbers(brewery, catalogue, field):
    body = offer_body(brewery.site)
    body[field] = f"{str(body[field])[0]}_{str(body[field])[1:] or '0'}"
    response = brewery.client().post("/api/v1/offers/", body, format="json")
    assert response.status_code == 400 and field in response.json()
    assert not Offer.objects.exists()


@pytest.mark.django_db
def test_the_services_refuse_underscore_numbers_from_an_import(brewery, catalogue):
    from marketplace import importers

    data = (
        "kind,site,materials,quantity,unit\n"
        f"offer,{brewery.site.name},brewers_spent_grain,1_000,t\n"
        f"need,{brewery.site.name},straw,5,t\n"
    ).encode()
    with pytest.raises(importers.ImportRefused) as caught:
        importers.listings_import(organisation=brewery.organisation, actor=brewery.user, data=data)
    assert ("quantity", 2) in {(e.field, e.row) for e in caught.value.errors}
    assert not Need.objects.exists()


@pytest.mark.django_db
def test_the_forms_refuse_underscore_numbers(client, brewery):
    from django.urls import reverse

    client.force_login(brewery.user)
    response = client.post(
        reverse("accounts:site-create"),
        {"name": "Malt store", "latitude": "43_2", "longitude": "76.9", "district": "almaly"},
    )
    assert response.status_code == 200 and "without underscores" in response.content.decode()
    assert not Site.objects.filter(name="Malt store").exists()


@pytest.mark.django_db
def test_the_radius_search_refuses_underscore_numbers(brewery):
    response = brewery.client().get("/api/v1/offers/", {"near": "43.2,76.9", "radius_km": "1_0"})
    assert response.status_code == 400 and "radius_km" in response.json()


@pytest.mark.django_db
def test_a_list_filter_refuses_an_underscore_number_but_keeps_its_other_parameters(brewery):
    assert brewery.client().get("/api/v1/offers/", {"organisation": "1_0"}).status_code == 400
    assert brewery.client().get("/api/v1/offers/", {"page": "1", "page_size": "5"}).status_code == 200
