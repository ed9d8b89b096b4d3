"""The dashboards: the city's for the municipality, a company's own for a company."""

import json

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def embedded(page: str, element_id: str):
    start = page.index(f'id="{element_id}"')
    start = page.index(">", start) + 1
    return json.loads(page[start : page.index("</script>", start)])


def test_the_city_dashboard_shows_figures_charts_sankey_and_flow_lines(
    client, municipality, grain_market, run_now
):
    run_now()
    client.force_login(municipality.user)
    page = client.get(reverse("matching:dashboard")).content.decode()
    charts = embedded(page, "chart-data")
    assert charts["material"]["mass_t"] == [1500.0]
    sankey = embedded(page, "sankey-data")
    assert {link["source"].split(":")[0] for link in sankey} == {"supply", "material"}
    assert sum(link["value_t"] for link in sankey if link["source"].startswith("supply:")) == 1500.0
    flows = embedded(page, "flow-data")
    assert len(flows) == 1 and flows[0]["from"] == [43.238, 76.945]
    assert "Start a city-wide run" in page and "vendor/echarts/echarts.min.js" in page


def test_the_city_dashboard_on_the_agreed_basis_is_empty_before_any_deal(
    client, municipality, grain_market, run_now
):
    run_now()
    client.force_login(municipality.user)
    page = client.get(reverse("matching:dashboard") + "?basis=agreed").content.decode()
    assert "No matched flows on this basis yet" in page


def test_a_company_dashboard_shows_its_listings_and_waiting_proposals(client, brewery, grain_market, run_now):
    run_now()
    client.force_login(brewery.user)
    page = client.get(reverse("matching:dashboard")).content.decode()
    assert "1 proposal waits for you" in page
    assert "spent grain" in page.lower()
    assert "chart-data" not in page  # the city's charts are the municipality's


def test_a_new_company_sees_helpful_empty_states(client, outsider):
    client.force_login(outsider.user)
    page = client.get(reverse("matching:dashboard")).content.decode()
    assert "No offers yet" in page and "No needs yet" in page and "Awaiting verification" in page


def test_company_flow_lines_round_the_counterparts_site(brewery, grain_market, run_now):
    from matching.dashboards import flow_lines

    run_now()
    line = flow_lines(user=brewery.user, basis="proposed")[0]
    assert line["from"] == [43.238, 76.945]  # own site, exact
    assert line["to"] == [43.3, 77.24]  # the farm's, rounded to ~1 km until a deal is agreed
