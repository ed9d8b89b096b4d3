"""Handling at storage yards in the impact report: totalled as ``storage_kg`` beside transport,
and the net stays the sum of its components; the printable report and the command show it."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from matching.reports.impact_report import ReportParams, build_report
from tests import factories as f
from tests.yards import (
    direct_panel_flow,
    panel_flow,
    panel_need,
    panel_offer,
    panel_yard,
    propose,
    yard_owner_persona,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def yard_and_direct(brewery, farm, municipality):
    """40 panels through a yard with handling 10 kg CO₂e/t and 20 sent direct."""
    f.ensure_factor_set()
    yard = panel_yard(yard_owner_persona(), handling_kg_co2e_per_t="10")
    need = panel_need(farm, 60)
    return propose(
        municipality,
        panel_flow(panel_offer(brewery), need, yard),
        direct_panel_flow(panel_offer(brewery, 20), need),
    )


def test_the_totals_carry_the_storage_handling_and_net_is_the_sum_of_components(yard_and_direct):
    through_yard, direct = yard_and_direct
    totals = build_report(params=ReportParams("proposed", "material"), organisation_ids=None)["totals"]

    assert through_yard.storage_kg > 0 and direct.storage_kg == 0
    assert (
        totals["storage_kg"]
        == through_yard.storage_kg
        == (through_yard.mass_t * 10).quantize(Decimal("0.001"))
    )
    assert totals["net_kg"] == through_yard.net_kg + direct.net_kg
    assert totals["net_kg"] == (
        totals["baseline_avoided_kg"]
        + totals["substitution_avoided_kg"]
        - totals["treatment_kg"]
        - totals["transport_kg"]
        - totals["storage_kg"]
    )


def test_the_api_totals_show_storage_kg(yard_and_direct, municipality):
    through_yard, _ = yard_and_direct
    body = municipality.client().get("/api/v1/reports/impact/", {"basis": "proposed"}).json()

    assert Decimal(body["totals"]["storage_kg"]) == through_yard.storage_kg


def test_the_printable_report_has_a_storage_handling_line(client, yard_and_direct, municipality):
    client.force_login(municipality.user)
    html = client.get(reverse("reports:impact"), {"basis": "proposed"}).content.decode()

    assert "Emitted by handling at storage yards" in html and "Storage handling, t CO₂e" in html
    assert "transport − storage handling" in html


def test_the_printable_report_in_russian_translates_the_line(client, yard_and_direct, municipality):
    client.force_login(municipality.user)
    html = client.get(
        reverse("reports:impact"), {"basis": "proposed"}, HTTP_ACCEPT_LANGUAGE="ru"
    ).content.decode()

    assert "Выбросы при обработке на площадках хранения" in html


def test_the_command_prints_a_storage_column(yard_and_direct):
    out = StringIO()
    call_command("impact_report", "--basis", "proposed", stdout=out)
    header = next(line for line in out.getvalue().splitlines() if line.startswith("Material"))

    assert "storage t" in header


def test_the_transfer_act_of_a_yard_delivery_shows_the_handling(client, brewery, farm, municipality):
    from django.utils import timezone

    from matching import services
    from matching.models import Deal

    f.ensure_factor_set()
    yard = panel_yard(yard_owner_persona(), handling_kg_co2e_per_t="10", accept_automatically=True)
    (proposal,) = propose(municipality, panel_flow(panel_offer(brewery), panel_need(farm), yard))
    services.proposal_accept(proposal=proposal, actor=brewery.user)
    services.proposal_accept(proposal=proposal, actor=farm.user)
    delivery = services.delivery_record(
        deal=Deal.objects.get(), actor=brewery.user, date=timezone.localdate(), quantity="10"
    )

    client.force_login(brewery.user)
    html = client.get(reverse("reports:delivery-act", args=[delivery.pk])).content.decode()

    assert delivery.storage_kg > 0
    assert "Emitted by handling at the storage yard" in html and f"−{delivery.storage_kg}" in html
