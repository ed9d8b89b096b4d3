"""offer_create / offer_update / offer_set_status: the rules, the events, nothing written on a refusal."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from accounts.errors import DomainError, ErrorCode
from accounts.models import Event
from marketplace import services
from marketplace.models import Offer
from tests import factories
from tests.marketplace.helpers import make_offer

BAD_OFFERS = [
    ({"quantity": "-1"}, "quantity"),
    ({"quantity": "0"}, "quantity"),
    ({"quantity": "NaN"}, "quantity"),
    ({"quantity": "Infinity"}, "quantity"),
    ({"quantity": "-Infinity"}, "quantity"),
    ({"quantity": float("nan")}, "quantity"),
    ({"quantity": float("inf")}, "quantity"),
    ({"quantity": "1e30"}, "quantity"),
    ({"quantity": "10000000.001"}, "quantity"),
    ({"quantity": "abc"}, "quantity"),
    ({"quantity": None}, "quantity"),
    ({"quantity": True}, "quantity"),
    ({"quantity": "0.0001"}, "quantity"),
    ({"material": "unobtainium"}, "material"),
    ({"material": ""}, "material"),
    ({"unit": "piece"}, "unit"),
    ({"unit": "litre"}, "unit"),
    ({"material": "jute_bags", "unit": "t"}, "unit"),
    ({"material": "jute_bags", "unit": "kg"}, "unit"),
    ({"material": "jute_bags", "unit": "piece", "quantity": "10.5"}, "quantity"),
    ({"material": "jute_bags", "unit": "piece", "quantity": "100", "min_lot": "2.5"}, "min_lot"),
    ({"period": "fortnight"}, "period"),
    ({"available_from": "2026-05-01", "available_until": "2026-04-01"}, "available_until"),
    ({"available_from": "01/05/2026"}, "available_from"),
    ({"min_lot": "41"}, "min_lot"),
    ({"min_lot": "0"}, "min_lot"),
    ({"min_lot": "-3"}, "min_lot"),
    ({"max_distance_km": "0"}, "max_distance_km"),
    ({"max_distance_km": "1001"}, "max_distance_km"),
    ({"max_distance_km": "-5"}, "max_distance_km"),
    ({"current_destination": "the_moon"}, "current_destination"),
    ({"status": "paused"}, "status"),
    ({"status": "closed"}, "status"),
    ({"description": "x" * 4001}, "description"),
    ({"description": "nul\x00byte"}, "description"),
    ({"material": "straw\x00"}, "material"),
]


@pytest.mark.parametrize(("overrides", "field"), BAD_OFFERS, ids=[f"{f}={o}"[:60] for o, f in BAD_OFFERS])
def test_it_refuses_a_bad_offer_naming_the_field_and_writing_nothing(brewery, catalogue, overrides, field):
    events = Event.objects.count()
    with pytest.raises(DomainError) as caught:
        make_offer(brewery, **overrides)
    assert caught.value.code is ErrorCode.INVALID
    assert caught.value.field == field
    assert Offer.objects.count() == 0
    assert Event.objects.count() == events


def test_it_refuses_another_organisations_site(brewery, farm, catalogue):
    with pytest.raises(DomainError) as caught:
        make_offer(brewery, site=farm.site)
    assert caught.value.field == "site"
    assert Offer.objects.count() == 0


def test_it_refuses_a_user_who_is_not_a_member(brewery, farm, catalogue):
    with pytest.raises(DomainError) as caught:
        services.offer_create(
            organisation=brewery.organisation,
            actor=farm.user,
            site=brewery.site,
            material="brewers_spent_grain",
            quantity="1",
            unit="t",
        )
    assert caught.value.code is ErrorCode.FORBIDDEN
    assert Offer.objects.count() == 0


def test_it_creates_a_draft_by_default_with_landfill_as_destination_and_records_an_event(brewery, catalogue):
    offer = make_offer(brewery, status="draft", quantity="40.0004", min_lot="5")
    assert offer.status == "draft"
    assert offer.current_destination == "landfill"
    assert offer.quantity == Decimal("40.000")
    event = Event.objects.get(action="offer.created")
    assert event.object_id == str(offer.pk) and event.actor == brewery.user
    assert event.organisation == brewery.organisation


def test_creating_with_status_active_publishes_at_once(brewery, catalogue):
    assert make_offer(brewery, status="active").status == "active"


@pytest.mark.parametrize(
    ("material", "unit"),
    [
        ("brewers_spent_grain", "t"),
        ("brewers_spent_grain", "kg"),
        ("brewers_spent_grain", "m3"),
        ("whey", "m3"),
        ("whey", "t"),
        ("jute_bags", "piece"),
        ("precast_concrete_panel", "piece"),
    ],
)
def test_it_accepts_every_unit_that_fits_the_material(brewery, catalogue, material, unit):
    assert make_offer(brewery, material=material, unit=unit, quantity="10").unit == unit


def test_m3_is_refused_for_a_tonne_material_without_a_density(brewery, catalogue):
    catalogue["steel_scrap"].density_t_per_m3 = None
    catalogue["steel_scrap"].save()
    with pytest.raises(DomainError) as caught:
        make_offer(brewery, material="steel_scrap", unit="m3")
    assert caught.value.field == "unit"


def test_an_update_is_validated_as_a_whole_and_writes_nothing_when_refused(brewery, catalogue):
    offer = make_offer(brewery, min_lot="5")
    with pytest.raises(DomainError) as caught:
        services.offer_update(offer=offer, actor=brewery.user, quantity="4")
    assert caught.value.field == "min_lot"
    offer.refresh_from_db()
    assert offer.quantity == Decimal("40")
    assert not Event.objects.filter(action="offer.updated").exists()


def test_an_update_changes_the_fields_and_records_which(brewery, catalogue):
    offer = make_offer(brewery)
    offer = services.offer_update(offer=offer, actor=brewery.user, quantity="45", description="Now drier.")
    assert offer.quantity == Decimal("45") and offer.description == "Now drier."
    assert Event.objects.get(action="offer.updated").data == {"fields": ["description", "quantity"]}


def test_an_update_may_move_the_offer_to_another_own_site_but_not_to_a_strangers(brewery, farm, catalogue):
    offer = make_offer(brewery)
    second = factories.make_site(brewery.organisation, "Second yard", latitude="43.3", longitude="76.9")
    assert services.offer_update(offer=offer, actor=brewery.user, site=second).site == second
    with pytest.raises(DomainError) as caught:
        services.offer_update(offer=offer, actor=brewery.user, site=farm.site.pk)
    assert caught.value.field == "site"


def test_status_moves_draft_active_paused_active_closed_and_each_step_is_an_event(brewery, catalogue):
    offer = make_offer(brewery, status="draft")
    for status in ("active", "paused", "active", "closed"):
        offer = services.offer_set_status(offer=offer, actor=brewery.user, status=status)
        assert offer.status == status
    steps = [
        (e.data["from"], e.data["to"])
        for e in Event.objects.filter(action="offer.status_changed").order_by("id")
    ]
    assert steps == [("draft", "active"), ("active", "paused"), ("paused", "active"), ("active", "closed")]


@pytest.mark.parametrize(("start", "target"), [("active", "draft"), ("draft", "paused")])
def test_a_transition_outside_the_table_is_a_conflict(brewery, catalogue, start, target):
    offer = make_offer(brewery, status=start)
    with pytest.raises(DomainError) as caught:
        services.offer_set_status(offer=offer, actor=brewery.user, status=target)
    assert caught.value.code is ErrorCode.CONFLICT


def test_a_closed_offer_is_final(brewery, catalogue):
    offer = services.offer_close(offer=make_offer(brewery), actor=brewery.user)
    for change in ({"status": "active"}, {"quantity": "3"}):
        with pytest.raises(DomainError) as caught:
            services.offer_update(offer=offer, actor=brewery.user, **change)
        assert caught.value.code is ErrorCode.CONFLICT
    with pytest.raises(DomainError):
        services.offer_set_status(offer=offer, actor=brewery.user, status="active")


def test_an_unknown_field_in_an_update_is_refused(brewery, catalogue):
    with pytest.raises(DomainError) as caught:
        services.offer_update(offer=make_offer(brewery), actor=brewery.user, organisation=1)
    assert caught.value.field == "organisation"


def test_dates_may_be_given_as_dates_or_iso_text(brewery, catalogue):
    offer = make_offer(brewery, available_from=datetime.date(2026, 1, 1), available_until="2026-12-31")
    assert offer.available_until == datetime.date(2026, 12, 31)
