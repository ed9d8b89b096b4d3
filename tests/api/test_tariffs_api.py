"""/api/v1/tariffs/: the municipality drafts, edits and publishes; companies get 403."""

from decimal import Decimal

import pytest

from accounts.models import Event
from matching.models import Tariff
from tests import deal_room

pytestmark = pytest.mark.django_db


@pytest.fixture
def proposed(grain_market, run_now):
    return deal_room.propose(run_now)


@pytest.fixture
def agreed(proposed, brewery, farm):
    return deal_room.agree(proposed, brewery, farm)


URL = "/api/v1/tariffs/"
GOOD = {"version": "2026.1", "landfill_gate_fee_kzt_per_t": "4500.00", "transport_kzt_per_tkm": "45.50"}


def create(persona, **overrides):
    return persona.client().post(URL, {**GOOD, **overrides}, format="json")


def test_the_municipality_drafts_then_publishes_a_tariff(municipality):
    response = create(municipality)
    assert response.status_code == 201
    body = response.json()
    assert {
        "id",
        "version",
        "landfill_gate_fee_kzt_per_t",
        "transport_kzt_per_tkm",
        "status",
        "published_at",
    } <= set(body)
    assert (body["status"], body["published_at"], body["is_active"]) == ("draft", None, False)
    published = municipality.client().post(f"{URL}{body['id']}/publish/")
    assert published.status_code == 200
    assert published.json()["status"] == "published" and published.json()["published_at"]
    assert published.json()["is_active"] is True
    assert Event.objects.filter(action="tariff.published", object_id=str(body["id"])).exists()
    listed = municipality.client().get(URL).json()["results"]
    assert [t["version"] for t in listed] == ["2026.1"]


def test_drafts_can_be_edited_and_published_ones_cannot(municipality):
    draft = create(municipality).json()
    edited = municipality.client().patch(
        f"{URL}{draft['id']}/", {"transport_kzt_per_tkm": "50"}, format="json"
    )
    assert edited.status_code == 200 and edited.json()["transport_kzt_per_tkm"] == "50.00"
    municipality.client().post(f"{URL}{draft['id']}/publish/")
    frozen = municipality.client().patch(
        f"{URL}{draft['id']}/", {"transport_kzt_per_tkm": "1"}, format="json"
    )
    assert frozen.status_code == 409
    assert Tariff.objects.get().transport_kzt_per_tkm == Decimal("50.00")
    assert municipality.client().post(f"{URL}{draft['id']}/publish/").status_code == 409


def test_the_latest_published_tariff_is_the_only_active_one(municipality):
    first = create(municipality).json()
    second = create(municipality, version="2026.2", landfill_gate_fee_kzt_per_t="5000").json()
    municipality.client().post(f"{URL}{first['id']}/publish/")
    municipality.client().post(f"{URL}{second['id']}/publish/")
    assert list(Tariff.objects.filter(is_active=True).values_list("version", flat=True)) == ["2026.2"]
    assert Tariff.objects.get(version="2026.1").status == "published"


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"version": ""}, "version"),
        ({"version": "x" * 41}, "version"),
        ({"landfill_gate_fee_kzt_per_t": "-1"}, "landfill_gate_fee_kzt_per_t"),
        ({"landfill_gate_fee_kzt_per_t": "abc"}, "landfill_gate_fee_kzt_per_t"),
        ({"landfill_gate_fee_kzt_per_t": "NaN"}, "landfill_gate_fee_kzt_per_t"),
        ({"landfill_gate_fee_kzt_per_t": None}, "landfill_gate_fee_kzt_per_t"),
        ({"transport_kzt_per_tkm": "-0.01"}, "transport_kzt_per_tkm"),
        ({"transport_kzt_per_tkm": "1.234"}, "transport_kzt_per_tkm"),
        ({"transport_kzt_per_tkm": "1e20"}, "transport_kzt_per_tkm"),
        ({"transport_kzt_per_tkm": True}, "transport_kzt_per_tkm"),
    ],
)
def test_bad_input_is_400_naming_the_field_and_writes_nothing(municipality, overrides, field):
    response = create(municipality, **overrides)
    assert response.status_code == 400 and field in response.json()
    assert Tariff.objects.count() == 0


def test_a_missing_field_and_a_duplicate_version_are_400(municipality):
    response = municipality.client().post(URL, {"version": "x"}, format="json")
    assert response.status_code == 400 and "landfill_gate_fee_kzt_per_t" in response.json()
    assert create(municipality).status_code == 201
    duplicate = create(municipality, version="2026.1 ")
    assert duplicate.status_code == 400 and "version" in duplicate.json()
    assert Tariff.objects.count() == 1


def test_zero_rates_are_allowed(municipality):
    response = create(municipality, landfill_gate_fee_kzt_per_t="0", transport_kzt_per_tkm="0")
    assert response.status_code == 201


def test_companies_get_403_on_the_whole_endpoint(municipality, brewery, outsider):
    tariff_id = create(municipality).json()["id"]
    for persona in (brewery, outsider):
        client = persona.client()
        assert client.get(URL).status_code == 403
        assert client.get(f"{URL}{tariff_id}/").status_code == 403
        assert client.post(URL, GOOD, format="json").status_code == 403
        assert client.patch(f"{URL}{tariff_id}/", {"version": "x"}, format="json").status_code == 403
        assert client.post(f"{URL}{tariff_id}/publish/").status_code == 403
    assert Tariff.objects.get().status == "draft"


def test_unknown_tariffs_are_404_for_the_municipality(municipality):
    assert municipality.client().get(f"{URL}999999/").status_code == 404
    assert municipality.client().post(f"{URL}999999/publish/").status_code == 404
    assert municipality.client().delete(f"{URL}999999/").status_code == 405


def test_proposals_and_deals_show_economics_once_a_tariff_is_published(
    agreed, brewery, municipality, outsider
):
    deal_url, proposal_url = f"/api/v1/deals/{agreed.pk}/", f"/api/v1/proposals/{agreed.proposal_id}/"
    assert brewery.client().get(deal_url).json()["economics"] is None
    assert brewery.client().get(proposal_url).json()["economics"] is None
    draft = create(municipality).json()
    assert brewery.client().get(deal_url).json()["economics"] is None  # a draft prices nothing
    municipality.client().post(f"{URL}{draft['id']}/publish/")
    mass, distance = agreed.mass_t, agreed.distance_km
    expected = {
        "disposal_fee_avoided_kzt": str((Decimal("4500.00") * mass).quantize(Decimal("0.01"))),
        "transport_cost_kzt": str(
            (Decimal("45.50") * (mass * distance).quantize(Decimal("0.001"))).quantize(Decimal("0.01"))
        ),
        "price_total_kzt": None,
        "tariff": "2026.1",
        "estimate": True,
    }
    for persona in (brewery, municipality):
        assert persona.client().get(deal_url).json()["economics"] == expected
        assert persona.client().get(proposal_url).json()["economics"] == expected
    listed = brewery.client().get("/api/v1/proposals/").json()["results"]
    assert listed[0]["economics"]["tariff"] == "2026.1"
    assert outsider.client().get(deal_url).status_code == 404


def test_a_page_of_proposals_reads_the_tariff_once(proposed, brewery, municipality):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    deal_room.publish_tariff(municipality)
    with CaptureQueriesContext(connection) as queries:
        response = brewery.client().get("/api/v1/proposals/")
    assert response.status_code == 200 and response.json()["results"][0]["economics"]
    assert sum('"matching_tariff"' in q["sql"] for q in queries.captured_queries) == 1


def test_haulage_cost_before_a_deal_comes_from_the_viewers_rounded_distance(
    proposed, brewery, farm, municipality
):
    """Fix A: the transport cost must not give back the exact distance to a hidden site."""
    from matching.flow_view import flow_view_for, viewer_of

    draft = create(municipality).json()
    municipality.client().post(f"{URL}{draft['id']}/publish/")
    url = f"/api/v1/proposals/{proposed.pk}/"

    def cost(tkm):
        return str((Decimal("45.50") * tkm).quantize(Decimal("0.01")))

    exact_tkm = (proposed.mass_t * proposed.distance_km).quantize(Decimal("0.001"))
    assert municipality.client().get(url).json()["economics"]["transport_cost_kzt"] == cost(exact_tkm)
    for persona in (brewery, farm):
        row = persona.client().get(url).json()
        view = flow_view_for(viewer_of(persona.user), proposed)
        assert not row["distance_exact"] and view.distance_km == view.distance_km.to_integral_value()
        assert row["economics"]["transport_cost_kzt"] == cost(view.tkm)
        # Derived from the shown whole-km distance, not the exact one.
        assert Decimal(row["economics"]["transport_cost_kzt"]) == (
            Decimal("45.50") * (proposed.mass_t * Decimal(row["distance_km"])).quantize(Decimal("0.001"))
        ).quantize(Decimal("0.01"))
        assert row["economics"]["transport_cost_kzt"] != cost(exact_tkm)
