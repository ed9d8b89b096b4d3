"""The fate-baseline migrations on a database that already holds impacts of the old arithmetic.

The city is built through the services, the schema is then taken back to before the fate
migrations and the rows are given the figures the old code stored (no baseline column;
``landfill_avoided_kg`` held the avoided emission of whatever the destination was; supply in
other use earned substitution). Migrating forward must backfill without recomputing, keep every
stored number and version, and leave every invariant holding.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from marketplace import factor_data
from marketplace.factor_services import active_factor_set, factor_set_import
from marketplace.models import FactorSet, ImpactMethod
from matching import services
from matching.impact import FlowFactors, flow_impact
from matching.invariants import check_invariants
from matching.models import Deal, Delivery, Proposal
from tests import factories as f

pytestmark = pytest.mark.django_db(transaction=True)

OLD_STRAW_BURNING = Decimal("68")  # a set could state it by hand before the fate file existed


def _before_fates(executor: MigrationExecutor) -> list[tuple[str, str]]:
    """The migration just before each app's fate migration (whatever its number after merges)."""
    targets = []
    for app, suffix in (("marketplace", "_fate_factors"), ("matching", "_fate_baselines")):
        (node,) = [n for n in executor.loader.graph.nodes if n[0] == app and n[1].endswith(suffix)]
        (parent,) = [p for p in executor.loader.graph.node_map[node].parents if p.key[0] == app]
        targets.append(parent.key)
    return targets


def _migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection)


def _legacy_impact(row, destination, factor, freight) -> dict:
    """What the code before fate baselines stored for a row (impact method 1)."""
    baselines = {"open_burning": factor.open_burning_kg_per_t} if factor.open_burning_kg_per_t else {}
    impact = flow_impact(
        mass_t=row.mass_t,
        distance_km=row.distance_km if hasattr(row, "distance_km") else row.deal.distance_km,
        current_destination=destination,
        factors=FlowFactors(
            landfill_kg_per_t=factor.landfill_kg_per_t,
            substitution_kg_per_t=factor.substitution_kg_per_t,
            treatment_kg_per_t=factor.treatment_kg_per_t,
            road_freight_kg_per_tkm=freight,
            baseline_kg_per_t=tuple(sorted(baselines.items())),
            impact_method=1,
        ),
    )
    return {
        "landfill_avoided_kg": impact.baseline_avoided_kg,  # the old meaning of the column
        "substitution_avoided_kg": impact.substitution_avoided_kg,
        "treatment_kg": impact.treatment_kg,
        "transport_kg": impact.transport_kg,
        "net_kg": impact.net_kg,
    }


def _make_legacy(apps) -> dict[str, dict]:
    FactorSetOld = apps.get_model("marketplace", "FactorSet")
    FactorOld = apps.get_model("marketplace", "Factor")
    (factor_set,) = FactorSetOld.objects.all()
    # The old digest: the two files it knew, concatenated.
    old_digest = hashlib.sha256(
        factor_data.DEFAULT_FACTORS_PATH.read_bytes() + factor_data.DEFAULT_GLOBALS_PATH.read_bytes()
    ).hexdigest()
    FactorSetOld.objects.update(source_digest=old_digest, version=f"2025.01.10-{old_digest[:8]}")
    FactorOld.objects.update(open_burning_kg_per_t=None, incineration_kg_per_t=None)
    FactorOld.objects.filter(material__key="straw").update(open_burning_kg_per_t=OLD_STRAW_BURNING)
    factors = {f.material_id: f for f in FactorOld.objects.all()}
    stored = {}
    for model in ("Proposal", "Deal"):
        for row in apps.get_model("matching", model).objects.all():
            figures = _legacy_impact(
                row, row.current_destination, factors[row.material_id], factor_set.road_freight_kg_per_tkm
            )
            type(row).objects.filter(pk=row.pk).update(**figures)
            stored[f"{model}:{row.pk}"] = figures
    for row in apps.get_model("matching", "Delivery").objects.select_related("deal"):
        figures = _legacy_impact(
            row,
            row.deal.current_destination,
            factors[row.deal.material_id],
            factor_set.road_freight_kg_per_tkm,
        )
        type(row).objects.filter(pk=row.pk).update(**figures)
        stored[f"Delivery:{row.pk}"] = figures
    return stored


def test_old_impacts_keep_their_numbers_gain_their_fate_and_still_recompute(
    brewery, farm, municipality, run_now
):
    f.make_offer(brewery.organisation, brewery.site, "brewers_spent_grain", 200)
    f.make_need(farm.organisation, farm.site, ["brewers_spent_grain"], 200, max_distance_km=80)
    f.make_offer(farm.organisation, farm.site, "straw", 600, current_destination="open_burning")
    f.make_need(brewery.organisation, brewery.site, ["straw"], 600, max_distance_km=150)
    f.make_offer(brewery.organisation, brewery.site, "cardboard_paper", 40, current_destination="other_use")
    f.make_need(farm.organisation, farm.site, ["cardboard_paper"], 40, max_distance_km=80)
    run = run_now()
    by_material = {p.material.key: p for p in Proposal.objects.filter(run=run).select_related("material")}
    straw = by_material["straw"]
    services.proposal_accept(proposal=straw, actor=farm.user)
    services.proposal_accept(proposal=Proposal.objects.get(pk=straw.pk), actor=brewery.user)
    deal = Deal.objects.get(proposal=straw)
    services.delivery_record(deal=deal, actor=farm.user, date=timezone.localdate(), mass_t="100")
    old_set = active_factor_set()

    executor = MigrationExecutor(connection)
    targets = _before_fates(executor)
    latest = executor.loader.graph.leaf_nodes()
    try:
        executor = _migrate(targets)
        stored = _make_legacy(executor.loader.project_state(targets).apps)
    finally:
        _migrate(latest)

    old_set.refresh_from_db()
    assert old_set.impact_method == ImpactMethod.LANDFILL_ONLY and old_set.is_active
    for key, figures in stored.items():
        model, pk = key.split(":")
        row = {"Proposal": Proposal, "Deal": Deal, "Delivery": Delivery}[model].objects.get(pk=pk)
        fate = row.deal.current_destination if model == "Delivery" else row.current_destination
        assert row.baseline == fate, key
        assert row.baseline_avoided_kg == figures["landfill_avoided_kg"], key
        assert row.landfill_avoided_kg == (figures["landfill_avoided_kg"] if fate == "landfill" else 0), key
        for name in ("substitution_avoided_kg", "treatment_kg", "transport_kg", "net_kg"):
            assert getattr(row, name) == figures[name], (key, name)
    straw.refresh_from_db()
    assert straw.baseline_avoided_kg == Decimal("600") * OLD_STRAW_BURNING and straw.landfill_avoided_kg == 0
    cardboard = Proposal.objects.get(pk=by_material["cardboard_paper"].pk)
    assert cardboard.baseline == "other_use" and cardboard.substitution_avoided_kg > 0  # method 1 kept it
    assert check_invariants() == []

    # The first import with the fate file is new content: a new version; the old set stays.
    new_set, created = factor_set_import()
    assert created and new_set.is_active and new_set.impact_method == ImpactMethod.FATE_BASELINES
    old_set.refresh_from_db()
    assert old_set.is_published and not old_set.is_active
    assert old_set.factors.get(material__key="straw").open_burning_kg_per_t == OLD_STRAW_BURNING
    assert old_set.factors.get(material__key="straw").source_fates == ""

    rerun = run_now()
    fresh = Proposal.objects.get(run=rerun, material__key="cardboard_paper")
    assert fresh.factor_set == new_set and fresh.substitution_avoided_kg == 0
    cardboard.refresh_from_db()
    assert cardboard.status == "expired" and cardboard.factor_set == old_set
    assert cardboard.substitution_avoided_kg > 0  # nothing recomputed silently
    assert check_invariants() == []
    assert FactorSet.objects.count() == 2
