"""/api/v1/materials/: the catalogue in three languages, filtered and searched."""

from __future__ import annotations

import pytest

from tests.marketplace.helpers import load_catalogue

URL = "/api/v1/materials/"


@pytest.fixture
def catalogue(db):
    return load_catalogue()


def test_the_catalogue_lists_every_material_with_names_in_three_languages(brewery, catalogue):
    body = brewery.client().get(URL).json()
    assert body["count"] == len(catalogue)
    grain = next(row for row in body["results"] if row["key"] == "brewers_spent_grain")
    assert grain["name_ru"] == "Пивная дробина" and grain["name_kk"] == "Сыра дробинасы"
    assert grain["name"] == grain["name_en"]
    assert grain["unit_basis"] == "t" and grain["density_t_per_m3"] == "0.8000"
    assert grain["ewc_code"] == "02 07 04" and grain["hazardous"] is False
    assert grain["units"] == ["t", "kg", "m3"]


def test_name_follows_the_request_language(brewery, catalogue):
    client = brewery.client()
    grain = client.get(URL + "brewers_spent_grain/", HTTP_ACCEPT_LANGUAGE="ru").json()
    assert grain["name"] == "Пивная дробина"
    assert (
        client.get(URL + "brewers_spent_grain/", HTTP_ACCEPT_LANGUAGE="kk").json()["name"] == "Сыра дробинасы"
    )


def test_a_piece_material_is_counted_in_pieces_only(brewery, catalogue):
    panel = brewery.client().get(URL + "precast_concrete_panel/").json()
    assert panel["units"] == ["piece"] and panel["mass_per_piece_t"] == "5.000000"


def test_the_catalogue_filters_by_category(brewery, catalogue):
    rows = brewery.client().get(URL + "?category=metals").json()["results"]
    assert {row["key"] for row in rows} == {"structural_steel_elements", "steel_scrap"}


def test_q_searches_keys_names_in_any_language_and_ewc_codes(brewery, catalogue):
    client = brewery.client()

    def keys(q):
        return {row["key"] for row in client.get(URL, {"q": q}).json()["results"]}

    assert keys("пивная") == {"brewers_spent_grain"}
    assert keys("ҚҰС") == {"chicken_manure"}
    assert keys("pallet") == {"wooden_pallets"}
    assert keys("17 01 02") == {"bricks"}
    assert keys("spent_grain") == {"brewers_spent_grain"}
    assert keys("no-such-thing") == set()


def test_bad_filters_get_400_and_unknown_keys_404(brewery, catalogue):
    client = brewery.client()
    assert client.get(URL + "?category=gold").status_code == 400
    assert client.get(URL + "unobtainium/").status_code == 404


def test_the_catalogue_needs_a_signed_in_user(anon_client, catalogue):
    assert anon_client.get(URL).status_code == 401
