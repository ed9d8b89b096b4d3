"""A need's recipe (issue 13): bounds ordered, shares feasible, materials with properties."""

from __future__ import annotations

import pytest

from accounts.errors import DomainError
from accounts.models import Event
from marketplace import services
from marketplace.models import Need
from marketplace.recipes import COMPOST_PRESET, clean_recipe
from tests.marketplace.helpers import make_need

COMPOST = ["chicken_manure", "straw"]


def materials(catalogue, keys):
    return [catalogue[key] for key in keys]


def refused(catalogue, recipe, keys=COMPOST) -> str:
    with pytest.raises(DomainError) as caught:
        clean_recipe(recipe, materials(catalogue, keys))
    assert caught.value.field == "recipe"
    return caught.value.message


def test_a_recipe_is_stored_cleaned_with_decimals_as_text(catalogue):
    cleaned = clean_recipe(
        {
            "shares": [{"material": "straw", "min": 0.1, "max": "0.6"}],
            "c_to_n": [25, "30"],
            "moisture_pct": [50, 60],
        },
        materials(catalogue, COMPOST),
    )
    assert cleaned == {
        "shares": [{"material": "straw", "min": "0.1", "max": "0.6"}],
        "c_to_n": ["25", "30"],
        "moisture_pct": ["50", "60"],
    }


def test_no_recipe_is_none(catalogue):
    assert clean_recipe(None, materials(catalogue, COMPOST)) is None
    assert clean_recipe({}, materials(catalogue, COMPOST)) is None


def test_the_compost_preset_is_valid_for_manure_and_straw(catalogue):
    assert clean_recipe(COMPOST_PRESET, materials(catalogue, COMPOST)) == COMPOST_PRESET


@pytest.mark.parametrize(
    ("recipe", "words"),
    [
        ({"c_to_n": [30, 25]}, "low end is above"),
        ({"moisture_pct": [60, 50]}, "low end is above"),
        ({"moisture_pct": [50, 160]}, "within 0–100"),
        ({"c_to_n": [0, 30]}, "within"),
        ({"c_to_n": [25]}, "two numbers"),
        ({"c_to_n": ["a", 30]}, "finite number"),
        ({"c_to_n": ["NaN", 30]}, "finite number"),
        ({"shares": [{"material": "straw", "min": 0.7, "max": 0.5}]}, "0 ≤ min ≤ max ≤ 1"),
        ({"shares": [{"material": "straw", "min": -0.1, "max": 0.5}]}, "0 ≤ min ≤ max ≤ 1"),
        ({"shares": [{"material": "straw", "min": 0, "max": 1.5}]}, "0 ≤ min ≤ max ≤ 1"),
        (
            {"shares": [{"material": "straw", "min": 0.6}, {"material": "chicken_manure", "min": 0.5}]},
            "minimums add up to more than 1",
        ),
        (
            {"shares": [{"material": "straw", "max": 0.4}, {"material": "chicken_manure", "max": 0.5}]},
            "maximums add up to less than 1",
        ),
        ({"shares": [{"material": "bricks", "max": 0.4}]}, "not among the need's materials"),
        ({"shares": [{"material": "straw"}, {"material": "straw"}]}, "two shares"),
        ({"shares": [{"material": "straw", "share": 1}]}, "{material, min, max}"),
        ({"shares": "straw"}, "list"),
        ({"ratio": 3}, "Unknown recipe field"),
        ("compost", "object"),
    ],
)
def test_a_bad_recipe_is_refused(catalogue, recipe, words):
    assert words in refused(catalogue, recipe)


def test_a_range_no_mix_reaches_is_kept_the_need_then_receives_nothing_it_cannot_blend(catalogue):
    # manure (46 %) and straw (10 %) are drier than the study's 50-60 %: valid, but unreachable
    assert clean_recipe({"moisture_pct": [50, 60]}, materials(catalogue, COMPOST)) == {
        "moisture_pct": ["50", "60"]
    }


def test_partial_shares_need_not_reach_one(catalogue):
    cleaned = clean_recipe({"shares": [{"material": "straw", "max": "0.3"}]}, materials(catalogue, COMPOST))
    assert cleaned == {"shares": [{"material": "straw", "min": "0", "max": "0.3"}]}


def test_a_quality_bound_needs_every_material_with_properties(catalogue):
    message = refused(catalogue, {"c_to_n": [25, 30]}, keys=["chicken_manure", "whey"])
    assert "whey" in message
    # shares alone need no properties
    assert clean_recipe(
        {"shares": [{"material": "whey", "max": "0.2"}]}, materials(catalogue, ["chicken_manure", "whey"])
    )


def test_a_piece_need_has_no_recipe(catalogue):
    assert "pieces" in refused(
        catalogue, {"shares": []} | {"c_to_n": [1, 2]}, keys=["precast_concrete_panel"]
    )


def test_the_service_stores_the_recipe_and_refuses_a_bad_one_writing_nothing(catalogue, farm):
    need = make_need(farm, materials=COMPOST, recipe=COMPOST_PRESET)
    assert Need.objects.get(pk=need.pk).recipe == COMPOST_PRESET
    events = Event.objects.count()
    with pytest.raises(DomainError):
        services.need_update(need=need, actor=farm.user, recipe={"c_to_n": [30, 20]})
    assert Need.objects.get(pk=need.pk).recipe == COMPOST_PRESET and Event.objects.count() == events
    # changing the materials re-checks the stored recipe against them
    with pytest.raises(DomainError):
        services.need_update(need=need, actor=farm.user, materials=["chicken_manure", "whey"])
    updated = services.need_update(need=need, actor=farm.user, recipe=None)
    assert updated.recipe is None
