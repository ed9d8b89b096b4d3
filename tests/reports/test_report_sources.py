"""The printable report cites sources and a confidence, never the factor file's working notes."""

from django.urls import reverse

from matching.reports.sources import citation, confidence

LANDFILL = (
    "IPCC 2006 V5 Ch3 Tier 1 methane commitment: DOC x DOCf 0.5 x MCF 1.0 x F 0.5 x 16/12 x (1-OX 0) "
    "x GWP 25 (no gas capture); DOC 0.05 = IPCC 2006 V5 Ch2 default for domestic sludge (wet) "
    "[memory, unverified]"
)
DERIVED = "Derived: 0.14 t barley-equivalent x 0.45 kgCO2e/kg [memory]"
FATES = (
    "Open burning in the field: IPCC 2006 V4 Ch2 Table 2.5 CH4 2.7 + N2O 0.07 g/kg dry matter burnt, "
    "Table 2.6 combustion factor 0.90, dm 0.85: 0.85x0.90x(2.7x25+0.07x298); CO2 biogenic (not counted). "
    "Incineration: IPCC 2006 V5 Ch5 N2O 50 g/t wet waste x 298"
)


def test_a_citation_keeps_the_reference_and_drops_the_arithmetic_and_tags():
    assert citation(LANDFILL) == "IPCC 2006 V5 Ch3 Tier 1 methane commitment"
    assert citation(DERIVED) == "Derived estimate"
    assert citation(FATES) == (
        "Open burning in the field: IPCC 2006 V4 Ch2 Table 2.5; Incineration: IPCC 2006 V5 Ch5"
    )
    assert citation("DEFRA/DESNZ 2025 conversion factors, HGV average laden [verified]") == (
        "DEFRA/DESNZ 2025 conversion factors, HGV average laden"
    )
    assert citation("") == ""


def test_remarks_in_parentheses_go_but_cited_works_stay():
    assert citation("IPCC 2006 V5 Ch5 eq 5.1 (manure, dm 0.40 as in the landfill note): fossil CO2") == (
        "IPCC 2006 V5 Ch5 eq 5.1"
    )
    assert (
        citation("Jute bags (PwC 2006 jute LCA) [value memory, unverified]")
        == "Jute bags (PwC 2006 jute LCA)"
    )


def test_confidence_is_the_weakest_level_the_notes_state_else_what_the_tags_say():
    assert confidence("Density 0.5-0.9 [memory]. conf: landfill low, substitution medium.") == "low"
    assert confidence("conf: substitution high, landfill medium-low.") == "low-medium"
    assert confidence("conf: high.") == "high"
    assert confidence("", "ICE v2 [verified]", "IPCC [verified via GPC code]") == "verified"
    assert confidence("", "ICE v2 [verified]", "guess [memory, unverified]") == "unverified"
    assert confidence("", "no tags at all") == ""


def test_the_printable_report_prints_citations_and_confidence_not_notes(client, city, municipality):
    from marketplace.models import Factor

    factor = Factor.objects.filter(factor_set__is_active=True, material__key="brewers_spent_grain").get()
    Factor.objects.filter(pk=factor.pk).update(
        source_landfill=LANDFILL, source_substitution=DERIVED, notes="Density [memory]. conf: low."
    )
    client.force_login(municipality.user)
    html = client.get(reverse("reports:impact"), {"basis": "agreed"}).content.decode()
    assert "IPCC 2006 V5 Ch3 Tier 1 methane commitment; Derived estimate" in html
    assert 'data-confidence="low"' in html and "Confidence: low" in html
    assert "[memory, unverified]" not in html and "[memory]" not in html
    assert "DOCf 0.5" not in html
    assert f'href="{reverse("matching:dashboard")}?basis=agreed">Back to the dashboard' in html
    assert "<main" in html


def test_the_act_and_the_report_have_a_main_landmark_and_no_empty_headers(
    client, city, brewery, municipality
):
    client.force_login(brewery.user)
    act = client.get(reverse("reports:delivery-act", args=[city.deliveries[0].pk])).content.decode()
    client.force_login(municipality.user)
    report = client.get(reverse("reports:impact")).content.decode()
    for html in (act, report):
        assert html.count('<main id="main">') == 1
        assert "<th></th>" not in html
