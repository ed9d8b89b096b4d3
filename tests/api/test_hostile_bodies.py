"""Hostile bodies get a 4xx JSON answer on every endpoint, never a 500 or an HTML page."""

from __future__ import annotations

import json
import re

import pytest

pytestmark = pytest.mark.django_db

NESTED_OBJECTS = '{"a":' * 2000 + "1" + "}" * 2000  # 8 KB, the report's RecursionError
NESTED_ARRAYS = "[" * 100_000 + "]" * 100_000


def json_operations() -> list[tuple[str, str]]:
    """Every (method, path template) of the API that takes a JSON body, from the schema."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (method, path)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if "application/json" in operation.get("requestBody", {}).get("content", {})
    ]


def concrete(path: str, ids: dict[str, int]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(ids.get(m.group(1), 1)), path)


def send(client, method: str, path: str, body: str):
    return getattr(client, method)(path, body, content_type="application/json")


def assert_json_error(response, statuses):
    assert response.status_code in statuses, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    return response.json()


@pytest.mark.parametrize("body", [NESTED_OBJECTS, NESTED_ARRAYS], ids=["objects", "arrays"])
def test_deeply_nested_json_is_a_400_on_the_open_endpoints(anon_client, body):
    for path in ("/api/v1/auth/token/", "/api/v1/auth/register/"):
        error = assert_json_error(send(anon_client, "post", path, body), {400})
        assert "nested deeper than" in error["detail"]


def test_deeply_nested_json_never_reaches_a_500_on_any_json_endpoint(
    anon_client, brewery, farm, municipality, grain_market
):
    offer, need = grain_market
    ids = {"id": offer.pk, "material_key": "brewers_spent_grain"}
    operations = json_operations()
    assert len(operations) >= 15
    for method, template in operations:
        path = concrete(template, ids)
        # Signed out: refused before the body is read, or the body is refused.
        assert_json_error(send(anon_client, method, path, NESTED_OBJECTS), {400, 401})
        for persona in (brewery, municipality):
            # Signed in: the body is refused, unless the object or the right is missing first.
            assert_json_error(send(persona.client(), method, path, NESTED_OBJECTS), {400, 403, 404, 405})


def test_the_creating_endpoints_refuse_nesting_beyond_the_limit_and_accept_it_within(brewery, settings):
    settings.API_JSON_MAX_DEPTH = 4
    client = brewery.client()
    deep = {"name": "Warehouse", "extra": {"a": {"b": {"c": {"d": 1}}}}}  # five levels
    error = assert_json_error(send(client, "post", "/api/v1/sites/", json.dumps(deep)), {400})
    assert "nested deeper than 4 levels" in error["detail"]
    fine = {
        "name": "Warehouse",
        "address": "Suyunbay Ave 2",
        "latitude": "43.30",
        "longitude": "76.95",
        "district": "turksib",
    }
    assert send(client, "post", "/api/v1/sites/", json.dumps(fine)).status_code == 201


def test_a_json_body_over_the_upload_limit_is_a_json_413(brewery, anon_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100_000
    big = json.dumps({"name": "x" * 200_000})
    for client, path in ((brewery.client(), "/api/v1/sites/"), (anon_client, "/api/v1/auth/token/")):
        error = assert_json_error(send(client, "post", path, big), {413})
        assert error["code"] == "too_large"


def test_the_default_upload_limit_holds_for_a_6_mb_json_body(brewery):
    big = json.dumps({"name": "x" * (6 * 1024 * 1024)})
    error = assert_json_error(send(brewery.client(), "post", "/api/v1/sites/", big), {413})
    assert "larger than 5 MB" in error["detail"]


def test_a_body_over_the_request_limit_is_refused_before_it_is_read(brewery, client, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.REQUEST_MAX_BODY_BYTES = 200_000
    upload = SimpleUploadedFile("offers.csv", b"x" * 300_000, content_type="text/csv")
    api = brewery.client().post("/api/v1/offers/import/", {"file": upload}, format="multipart")
    assert assert_json_error(api, {413})["code"] == "too_large"
    client.force_login(brewery.user)
    upload.seek(0)
    page = client.post("/marketplace/import/", {"file": upload})
    assert page.status_code == 413 and page["Content-Type"].startswith("text/html")
    assert b"larger than" in page.content
