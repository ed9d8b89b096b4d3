"""Deliveries in the deal's unit (issue 10 point 5) and the web delivery form (issue 9 point 10)."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.errors import DomainError
from matching import services
from matching.models import Deal, Delivery, Proposal
from tests import factories as f

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def agree(proposal, *personas) -> Deal:
    for persona in personas:
        services.proposal_accept(proposal=Proposal.objects.get(pk=proposal.pk), actor=persona.user)
    return Deal.objects.get(proposal=proposal)


@pytest.fixture
def bag_deal(brewery, farm, municipality, run_now):
    """36,000 jute bags (3,000 a month) of 0.65 kg, agreed in pieces."""
    f.make_offer(brewery.organisation, brewery.site, "jute_bags", 3000, unit="piece", period="month")
    f.make_need(farm.organisation, farm.site, "jute_bags", 50000, unit="piece", max_distance_km=60)
    run_now()
    deal = agree(Proposal.objects.get(), brewery, farm)
    assert deal.unit == "piece" and deal.quantity == 36000
    return deal


@pytest.fixture
def grain_deal(grain_market, brewery, farm, run_now):
    run_now()
    return agree(Proposal.objects.get(), brewery, farm)


def test_a_piece_deal_takes_deliveries_in_pieces_with_their_mass(bag_deal, brewery):
    delivery = services.delivery_record(deal=bag_deal, actor=brewery.user, date=TODAY(), quantity="1000")
    bag_deal.refresh_from_db()
    assert (delivery.quantity, delivery.mass_t) == (Decimal("1000"), Decimal("0.650"))
    assert (bag_deal.delivered_quantity, bag_deal.delivered_t) == (Decimal("1000"), Decimal("0.650"))
    assert delivery.net_kg > 0


def test_single_light_pieces_add_up_to_the_exact_mass(bag_deal, brewery):
    for _ in range(3):
        services.delivery_record(deal=bag_deal, actor=brewery.user, date=TODAY(), quantity=1)
    bag_deal.refresh_from_db()
    # 3 × 0.65 kg = 1.95 kg → 0.002 t in all, however the single bags round
    assert bag_deal.delivered_quantity == 3 and bag_deal.delivered_t == Decimal("0.002")
    assert sum(d.mass_t for d in Delivery.objects.all()) == bag_deal.delivered_t


@pytest.mark.parametrize(
    "amount, field",
    [
        ({"mass_t": "1"}, "mass_t"),
        ({"quantity": "2.5"}, "quantity"),
        ({"quantity": "0"}, "quantity"),
        ({}, "quantity"),
    ],
)
def test_a_piece_deal_refuses_tonnes_and_fractions(bag_deal, brewery, amount, field):
    with pytest.raises(DomainError) as exc:
        services.delivery_record(deal=bag_deal, actor=brewery.user, date=TODAY(), **amount)
    assert exc.value.field == field
    assert not Delivery.objects.exists()


def test_the_tolerance_holds_in_pieces(bag_deal, brewery):
    services.delivery_record(deal=bag_deal, actor=brewery.user, date=TODAY(), quantity=39600)  # +10 %
    with pytest.raises(DomainError) as exc:
        services.delivery_record(deal=bag_deal, actor=brewery.user, date=TODAY(), quantity=1)
    assert exc.value.field == "quantity" and "pieces" in exc.value.message
    assert Delivery.objects.count() == 1


def test_a_bulk_deal_takes_quantity_or_mass_t_in_tonnes(grain_deal, brewery):
    services.delivery_record(deal=grain_deal, actor=brewery.user, date=TODAY(), quantity="12.5")
    services.delivery_record(deal=grain_deal, actor=brewery.user, date=TODAY(), mass_t="0.001")
    services.delivery_record(deal=grain_deal, actor=brewery.user, date=TODAY(), quantity="2", mass_t="2.000")
    grain_deal.refresh_from_db()
    assert grain_deal.delivered_t == grain_deal.delivered_quantity == Decimal("14.501")
    with pytest.raises(DomainError) as exc:
        services.delivery_record(deal=grain_deal, actor=brewery.user, date=TODAY(), quantity="2", mass_t="3")
    assert exc.value.field == "mass_t"


# --- API --------------------------------------------------------------------------------------------


def test_the_api_takes_pieces_and_states_quantity_and_mass(bag_deal, brewery):
    url = f"/api/v1/deals/{bag_deal.pk}/deliveries/"
    response = brewery.client().post(url, {"date": TODAY().isoformat(), "quantity": 2000}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["delivered_quantity"] == "2000.000" and body["delivered_t"] == "1.300"
    assert {k: body["deliveries"][0][k] for k in ("quantity", "unit", "mass_t")} == {
        "quantity": "2000.000",
        "unit": "piece",
        "mass_t": "1.300",
    }
    refused = brewery.client().post(url, {"date": TODAY().isoformat(), "mass_t": "1"}, format="json")
    assert refused.status_code == 400 and "mass_t" in refused.json()
    fraction = brewery.client().post(url, {"date": TODAY().isoformat(), "quantity": "1.5"}, format="json")
    assert fraction.status_code == 400 and "quantity" in fraction.json()
    assert Delivery.objects.count() == 1


def test_the_api_takes_tonnes_as_quantity_for_bulk_deals(grain_deal, farm):
    url = f"/api/v1/deals/{grain_deal.pk}/deliveries/"
    response = farm.client().post(url, {"date": TODAY().isoformat(), "quantity": "7.25"}, format="json")
    assert response.status_code == 201 and response.json()["deliveries"][0]["mass_t"] == "7.250"
    assert response.json()["deliveries"][0]["unit"] == "t"


# --- Pages ---------------------------------------------------------------------------------------


def test_the_web_form_accepts_one_kilogram(grain_deal, brewery, client):
    client.force_login(brewery.user)
    response = client.post(
        reverse("matching:deal", args=[grain_deal.pk]), {"date": TODAY().isoformat(), "mass_t": "0.001"}
    )
    assert response.status_code == 302
    grain_deal.refresh_from_db()
    assert grain_deal.delivered_t == Decimal("0.001")


def test_a_refused_delivery_answers_400_with_the_form_and_the_reason(grain_deal, brewery, client):
    client.force_login(brewery.user)
    url = reverse("matching:deal", args=[grain_deal.pk])
    response = client.post(url, {"date": TODAY().isoformat(), "mass_t": "99999"})
    assert response.status_code == 400 and "tolerance" in response.content.decode()
    htmx = client.post(url, {"date": TODAY().isoformat(), "mass_t": "-1"}, HTTP_HX_REQUEST="true")
    assert htmx.status_code == 400 and 'id="delivery-form"' in htmx.content.decode()
    assert "<html" not in htmx.content.decode()
    assert not Delivery.objects.exists()


def test_the_piece_deal_page_asks_for_pieces_and_shows_them(bag_deal, brewery, client):
    client.force_login(brewery.user)
    url = reverse("matching:deal", args=[bag_deal.pk])
    page = client.get(url).content.decode()
    assert "Delivered quantity (pieces)" in page and "36 000 pieces" in page
    assert client.post(url, {"date": TODAY().isoformat(), "quantity": "1200"}).status_code == 302
    page = client.get(url).content.decode()
    assert "1 200 pieces" in page
    assert "1 200 pieces" in client.get(reverse("matching:deals")).content.decode()


def test_the_transfer_act_of_a_piece_deal_states_the_pieces(bag_deal, brewery, client):
    delivery = services.delivery_record(deal=bag_deal, actor=brewery.user, date=TODAY(), quantity="500")
    client.force_login(brewery.user)
    act = client.get(reverse("reports:delivery-act", args=[delivery.pk])).content.decode()
    assert "Quantity delivered" in act and "500 pieces" in act and "36 000 pieces" in act


def test_reports_count_the_pieces(bag_deal, brewery):
    from matching.reports.impact_report import ReportParams, impact_report_for

    services.delivery_record(deal=bag_deal, actor=brewery.user, date=TODAY(), quantity="700")
    for basis, pieces in (("agreed", 36000), ("delivered", 700)):
        report = impact_report_for(user=brewery.user, params=ReportParams(basis, "material"))
        assert report["totals"]["pieces"] == pieces and report["rows"][0]["pieces"] == pieces
