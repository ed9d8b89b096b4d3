"""need_create / need_update: accepted materials, units, radius; nothing written on a refusal."""

from __future__ import annotations

import pytest

from accounts.errors import DomainError, ErrorCode
from accounts.models import Event
from marketplace import services
from marketplace.models import Need
from tests.marketplace.helpers import make_need

BAD_NEEDS = [
    ({"max_distance_km": None}, "max_distance_km"),
    ({"max_distance_km": "0"}, "max_distance_km"),
    ({"max_distance_km": "1001"}, "max_distance_km"),
    ({"max_distance_km": "NaN"}, "max_distance_km"),
    ({"materials": []}, "materials"),
    ({"materials": None}, "materials"),
    ({"materials": ["brewers_spent_grain", "unobtainium"]}, "materials"),
    ({"materials": ["brewers_spent_grain", "jute_bags"]}, "materials"),
    ({"materials": ["jute_bags", "wooden_pallets"], "unit": "piece"}, "materials"),
    ({"materials": ["jute_bags"], "unit": "t"}, "unit"),
    ({"materials": ["jute_bags"], "unit": "piece", "quantity": "0.5"}, "quantity"),
    ({"unit": "piece"}, "unit"),
    ({"quantity": "-25"}, "quantity"),
    ({"quantity": "1e30"}, "quantity"),
    ({"min_lot": "26"}, "min_lot"),
    ({"available_from": "2026-06-02", "available_until": "2026-06-01"}, "available_until"),
    ({"period": "daily"}, "period"),
]


@pytest.mark.parametrize(("overrides", "field"), BAD_NEEDS, ids=[f"{f}={o}"[:60] for o, f in BAD_NEEDS])
def test_it_refuses_a_bad_need_naming_the_field_and_writing_nothing(farm, catalogue, overrides, field):
    events = Event.objects.count()
    with pytest.raises(DomainError) as caught:
        make_need(farm, **overrides)
    assert caught.value.code is ErrorCode.INVALID
    assert caught.value.field == field
    assert Need.objects.count() == 0
    assert Event.objects.count() == events


def test_a_bulk_need_may_accept_tonne_and_cubic_metre_materials_in_tonnes(farm, catalogue):
    need = make_need(farm, materials=["brewers_spent_grain", "whey"], unit="t")
    assert sorted(m.key for m in need.materials.all()) == ["brewers_spent_grain", "whey"]


def test_a_piece_need_accepts_exactly_one_material(farm, catalogue):
    need = make_need(farm, materials=["precast_concrete_panel"], unit="piece", quantity="60", min_lot="10")
    assert [m.key for m in need.materials.all()] == ["precast_concrete_panel"]


def test_materials_may_be_given_as_semicolon_separated_keys_and_duplicates_collapse(farm, catalogue):
    need = make_need(farm, materials="straw;straw;chicken_manure")
    assert sorted(m.key for m in need.materials.all()) == ["chicken_manure", "straw"]


def test_a_new_need_records_an_event_with_its_materials(farm, catalogue):
    need = make_need(farm)
    event = Event.objects.get(action="need.created")
    assert event.object_id == str(need.pk)
    assert sorted(event.data["materials"]) == ["bread_residues", "brewers_spent_grain"]


def test_updating_the_materials_rechecks_the_unit(farm, catalogue):
    need = make_need(farm)
    with pytest.raises(DomainError) as caught:
        services.need_update(need=need, actor=farm.user, materials=["jute_bags"])
    assert caught.value.field == "unit"
    assert sorted(m.key for m in need.materials.all()) == ["bread_residues", "brewers_spent_grain"]
    need = services.need_update(
        need=need, actor=farm.user, materials=["jute_bags"], unit="piece", quantity="300"
    )
    assert [m.key for m in need.materials.all()] == ["jute_bags"]


def test_pause_resume_and_close_a_need(farm, catalogue):
    need = make_need(farm)
    need = services.need_update(need=need, actor=farm.user, status="paused")
    assert need.status == "paused"
    need = services.need_set_status(need=need, actor=farm.user, status="active")
    assert services.need_close(need=need, actor=farm.user).status == "closed"
    assert Event.objects.filter(action="need.status_changed").count() == 3
