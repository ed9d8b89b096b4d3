"""A factor set on another GWP basis, at the Django level (SPEC §2: every number is traceable).

The shipped set reproduces the Almaty study at GWP100(CH₄) = 25 (IPCC AR4). The municipality
copies it, moves it to AR5 (28) and scales the landfill factors, which are methane × GWP, by
28/25. A new run then uses the new figures; proposals of the old run keep their version and
their numbers, and both still recompute exactly from their own pinned set.
"""

from decimal import Decimal

import pytest

from marketplace.factor_services import (
    active_factor_set,
    factor_set_copy,
    factor_set_publish,
    factor_set_update,
    factor_update,
)
from matching.impact import flow_impact
from matching.invariants import check_invariants
from matching.models import Proposal
from matching.reports.impact_report import ReportParams, build_report
from matching.snapshot import flow_factors_for

pytestmark = pytest.mark.django_db

AR4, AR5 = Decimal(25), Decimal(28)


def publish_ar5(actor):
    old = active_factor_set()
    assert old.gwp_ch4 == AR4
    draft = factor_set_copy(source=old, version="ar5-gwp28", actor=actor)
    factor_set_update(factor_set=draft, actor=actor, gwp_ch4=AR5, gwp_basis="IPCC AR5 GWP100")
    for factor in draft.factors.exclude(landfill_kg_per_t=None):
        factor_update(factor=factor, actor=actor, landfill_kg_per_t=factor.landfill_kg_per_t * AR5 / AR4)
    return factor_set_publish(factor_set=draft, actor=actor)


def test_a_new_gwp_basis_changes_new_landfill_figures_and_leaves_old_proposals_alone(
    grain_market, municipality, run_now
):
    first = run_now()
    old = Proposal.objects.get(run=first)
    old_version, old_impact = old.factor_set.version, old.impact_dict()
    old_landfill_factor = old.factor_set.factors.get(material=old.material).landfill_kg_per_t

    new_set = publish_ar5(municipality.user)
    second = run_now()
    new = Proposal.objects.get(run=second)

    assert second.factor_set == new_set and new.factor_set.version == "ar5-gwp28"
    assert (new.offer_id, new.need_id, new.mass_t, new.distance_km) == (
        old.offer_id,
        old.need_id,
        old.mass_t,
        old.distance_km,
    )
    new_factor = new_set.factors.get(material=new.material)
    assert new_factor.landfill_kg_per_t == old_landfill_factor * Decimal("1.12")
    expected = (new.mass_t * old_landfill_factor * AR5 / AR4).quantize(Decimal("0.001"))
    assert new.landfill_avoided_kg == expected
    assert new.landfill_avoided_kg / old.landfill_avoided_kg == Decimal("1.12")
    # only the landfill component moves; the net moves by exactly its change
    assert new.substitution_avoided_kg == old.substitution_avoided_kg
    assert new.transport_kg == old.transport_kg and new.treatment_kg == old.treatment_kg
    assert new.net_kg - old.net_kg == new.landfill_avoided_kg - old.landfill_avoided_kg

    old.refresh_from_db()
    assert old.status == "expired"  # superseded by the new run, but its figures are history
    assert old.factor_set.version == old_version and old.impact_dict() == old_impact
    pinned = flow_factors_for(old.factor_set.factors.get(material=old.material), old.factor_set)
    assert (
        flow_impact(
            mass_t=old.mass_t,
            distance_km=old.distance_km,
            current_destination=old.current_destination,
            factors=pinned,
        ).as_dict()
        == old_impact
    )
    assert check_invariants() == []


def test_a_deal_agreed_after_a_new_publication_keeps_its_proposals_version(
    grain_market, municipality, run_now, brewery, farm
):
    from matching import services

    run_now()
    first = Proposal.objects.get()
    services.proposal_accept(proposal=first, actor=brewery.user)
    publish_ar5(municipality.user)
    services.proposal_accept(proposal=Proposal.objects.get(pk=first.pk), actor=farm.user)
    report = build_report(params=ReportParams("agreed", "material"), organisation_ids=None)
    # a deal keeps the version its proposal was computed with, even when agreed after a new publication
    assert report["factor_sets"] == [first.factor_set.version]
