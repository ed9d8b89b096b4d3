"""Proposals inbox, deal pages and match runs as people use them."""

import pytest
from django.urls import reverse
from django.utils import timezone

from matching.models import Deal, MatchRun, Proposal

pytestmark = pytest.mark.django_db


@pytest.fixture
def proposed(grain_market, run_now):
    run_now()
    return Proposal.objects.get()


def test_the_inbox_shows_the_proposal_with_its_explanation(client, brewery, proposed):
    client.force_login(brewery.user)
    page = client.get(reverse("matching:proposals")).content.decode()
    assert "Almaty Brewery" in page and "Talgar Dairy Farm" in page and "km" in page
    assert reverse("matching:proposal-accept", args=[proposed.pk]) in page


def test_the_inbox_has_a_helpful_empty_state(client, outsider):
    client.force_login(outsider.user)
    assert "No proposals yet" in client.get(reverse("matching:proposals")).content.decode()


def test_accepting_from_both_sides_with_htmx_makes_a_deal(client, brewery, farm, proposed):
    client.force_login(brewery.user)
    row = client.post(reverse("matching:proposal-accept", args=[proposed.pk]), HTTP_HX_REQUEST="true")
    assert row.status_code == 200 and "Accepted by the supplier" in row.content.decode()
    client.force_login(farm.user)
    client.post(reverse("matching:proposal-accept", args=[proposed.pk]))
    deal = Deal.objects.get()
    page = client.get(reverse("matching:deal", args=[deal.pk])).content.decode()
    assert "Record a delivery" in page
    response = client.post(
        reverse("matching:deal", args=[deal.pk]), {"date": timezone.localdate().isoformat(), "mass_t": "12.5"}
    )
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.delivered_t == 12.5


def test_a_delivery_beyond_the_agreement_shows_the_reason(client, brewery, farm, proposed):
    for persona in (brewery, farm):
        client.force_login(persona.user)
        client.post(reverse("matching:proposal-accept", args=[proposed.pk]))
    deal = Deal.objects.get()
    response = client.post(
        reverse("matching:deal", args=[deal.pk]),
        {"date": timezone.localdate().isoformat(), "mass_t": "99999"},
    )
    assert response.status_code == 400 and "tolerance" in response.content.decode()


def test_outsiders_get_404_on_others_proposals_and_deals(client, outsider, proposed):
    client.force_login(outsider.user)
    assert client.post(reverse("matching:proposal-accept", args=[proposed.pk])).status_code == 404
    assert Proposal.objects.get().status == "proposed"


def test_the_municipality_starts_a_run_and_watches_its_progress(
    client, municipality, grain_market, django_capture_on_commit_callbacks
):
    client.force_login(municipality.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("matching:runs"), {"objective": "divert_then_distance"})
    run = MatchRun.objects.get()
    assert response.status_code == 302 and response.url == reverse("matching:run", args=[run.pk])
    partial = client.get(reverse("matching:run", args=[run.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert 'data-status="succeeded"' in partial and "hx-trigger" not in partial
    assert "Proven optimal" in partial


def test_an_open_run_keeps_polling(client, municipality, grain_market):
    from matching import runs

    run = runs.match_run_start(actor=municipality.user, enqueue=False)
    client.force_login(municipality.user)
    partial = client.get(reverse("matching:run", args=[run.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in partial


def test_a_company_cannot_start_a_run_from_the_page(client, brewery, grain_market):
    client.force_login(brewery.user)
    assert client.post(reverse("matching:runs"), {"objective": "divert_then_distance"}).status_code == 403
    assert not MatchRun.objects.exists()


def test_the_inbox_keeps_its_status_filter_on_the_next_page(
    client, brewery, farm, grain_market, run_now, monkeypatch
):
    """One pagination partial for every list: its links keep the query string (?status=)."""
    from matching import views
    from tests import factories as f

    f.make_need(farm.organisation, farm.site, ["brewers_spent_grain"], 300, max_distance_km=80)
    run_now()
    assert Proposal.objects.filter(status="proposed").count() == 2
    monkeypatch.setattr(views, "PAGE_SIZE", 1)
    client.force_login(farm.user)
    first = client.get(reverse("matching:proposals"), {"status": "proposed"}).content.decode()
    assert 'href="?status=proposed&amp;page=2"' in first
    second = client.get(reverse("matching:proposals"), {"status": "proposed", "page": "2"}).content.decode()
    assert 'href="?status=proposed&amp;page=1"' in second and "Page 2 of 2" in second
