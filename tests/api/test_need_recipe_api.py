"""A need's recipe through /api/v1/needs/ (issue 13): read, write, 400 on a bad one."""

from __future__ import annotations

import pytest

from marketplace.models import Need
from tests.marketplace.helpers import load_catalogue, need_payload

URL = "/api/v1/needs/"
COMPOST = ["chicken_manure", "straw", "cattle_manure"]


@pytest.fixture
def catalogue(db):
    return load_catalogue()


def test_a_need_is_created_with_a_recipe_and_shows_it(farm, catalogue):
    recipe = {
        "shares": [{"material": "straw", "min": "0.1", "max": "0.5"}],
        "c_to_n": [25, 30],
        "moisture_pct": [50, 60],
    }
    response = farm.client().post(URL, need_payload(farm, materials=COMPOST, recipe=recipe), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["recipe"] == {
        "shares": [{"material": "straw", "min": "0.1", "max": "0.5"}],
        "c_to_n": ["25", "30"],
        "moisture_pct": ["50", "60"],
    }
    assert farm.client().get(f"{URL}{body['id']}/").json()["recipe"] == body["recipe"]


def test_a_need_without_a_recipe_shows_null(farm, catalogue):
    response = farm.client().post(URL, need_payload(farm), format="json")
    assert response.status_code == 201 and response.json()["recipe"] is None


@pytest.mark.parametrize(
    "recipe",
    [
        {"c_to_n": [30, 25]},
        {"moisture_pct": [10, 101]},
        {"shares": [{"material": "straw", "min": 0.8}, {"material": "chicken_manure", "min": 0.5}]},
        {"shares": [{"material": "bricks", "max": 0.5}]},
        {"shares": [{"material": "straw", "min": "1e999999"}]},
        {"shares": [{"material": ["straw"]}]},
        {"c_to_n": {"lo": 1}},
        ["c_to_n"],
        "compost",
        17,
    ],
)
def test_a_bad_recipe_is_400_naming_recipe_and_nothing_is_written(farm, catalogue, recipe):
    response = farm.client().post(URL, need_payload(farm, materials=COMPOST, recipe=recipe), format="json")
    assert response.status_code == 400, response.content
    assert "recipe" in response.json()
    assert not Need.objects.exists()


def test_a_quality_bound_on_a_material_without_properties_is_400(farm, catalogue):
    payload = need_payload(farm, materials=["chicken_manure", "whey"], recipe={"c_to_n": [25, 30]})
    response = farm.client().post(URL, payload, format="json")
    assert response.status_code == 400 and "whey" in response.json()["recipe"][0]


def test_the_recipe_is_patched_and_cleared(farm, catalogue):
    created = farm.client().post(URL, need_payload(farm, materials=COMPOST), format="json").json()
    client = farm.client()
    patched = client.patch(f"{URL}{created['id']}/", {"recipe": {"c_to_n": ["25", "30"]}}, format="json")
    assert patched.status_code == 200, patched.content
    assert patched.json()["recipe"] == {"c_to_n": ["25", "30"]}
    bad = client.patch(f"{URL}{created['id']}/", {"recipe": {"c_to_n": ["35", "30"]}}, format="json")
    assert bad.status_code == 400
    assert Need.objects.get(pk=created["id"]).recipe == {"c_to_n": ["25", "30"]}
    cleared = client.patch(f"{URL}{created['id']}/", {"recipe": None}, format="json")
    assert cleared.json()["recipe"] is None
