from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.strict import StrictQuerySerializer, StrictSerializer
from marketplace.models import FactorSet, Material, Period, StorageUnit, Unit
from matching import services
from matching.api.deal_room import CounterpartMixin, EconomicsMixin
from matching.api.terms import PlanEntrySerializer, TermsSerializer
from matching.explain import explanation
from matching.flow_view import FlowView, flow_view_for, viewer_of
from matching.models import Deal, DeclinedBy, Delivery, MatchRun, Objective, Proposal
from matching.progress import progress_text
from matching.runs import DEFAULT_TIME_STEP, TIME_STEPS


class HypotheticalListingSerializer(StrictSerializer):
    """A hypothetical offer, need or storage yard of a what-if run, validated like a real one."""

    kind = serializers.ChoiceField(
        choices=["offer", "need", "storage"],
        required=False,
        help_text="Inferred when absent: `capacity` makes a storage yard, else `materials` a need. "
        "A yard (`materials`, `capacity`, `unit` t or piece, optional window and handling) is used "
        "like a real one that accepts automatically, by runs with a time_step of month or week.",
    )
    name = serializers.CharField(required=False, max_length=200)
    latitude = serializers.FloatField(min_value=-90, max_value=90)
    longitude = serializers.FloatField(min_value=-180, max_value=180)
    material = serializers.CharField(required=False, help_text="An offer's material key.")
    materials = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="A need's accepted material keys."
    )
    quantity = serializers.DecimalField(
        max_digits=16, decimal_places=3, required=False, help_text="Offers and needs (required there)."
    )
    capacity = serializers.DecimalField(
        max_digits=14, decimal_places=3, required=False, help_text="Storage yards (required there)."
    )
    unit = serializers.ChoiceField(
        choices=sorted({*Unit.values, *StorageUnit.values}), help_text="A yard's is `t` or `piece`."
    )
    period = serializers.ChoiceField(choices=Period.choices, required=False)
    available_from = serializers.DateField(required=False, allow_null=True)
    available_until = serializers.DateField(required=False, allow_null=True)
    min_lot = serializers.DecimalField(max_digits=16, decimal_places=3, required=False, allow_null=True)
    max_distance_km = serializers.DecimalField(
        max_digits=7, decimal_places=2, required=False, allow_null=True, help_text="Required for needs."
    )
    current_destination = serializers.CharField(required=False, help_text="Offers: landfill when absent.")
    handling_kg_co2e_per_t = serializers.DecimalField(max_digits=10, decimal_places=3, required=False)
    handling_cost_kzt_per_t = serializers.DecimalField(max_digits=12, decimal_places=2, required=False)


class WhatIfParametersSerializer(StrictSerializer):
    """The parameters of a what-if run (``dry_run: true``)."""

    radius_factor = serializers.FloatField(
        required=False, min_value=0.1, max_value=10, help_text="Multiplies every need's and offer's radius."
    )
    circuity = serializers.FloatField(required=False, min_value=1.0, max_value=3.0)
    objective = serializers.ChoiceField(choices=Objective.choices, required=False)
    extra_listings = HypotheticalListingSerializer(
        many=True,
        required=False,
        help_text="Hypothetical offers, needs and storage yards (also accepted as "
        "`{offers, needs, storages}`). "
        "Errors name the path, e.g. `parameters.extra_listings[0].quantity`.",
    )


@extend_schema_field(WhatIfParametersSerializer)
class WhatIfParametersField(serializers.JSONField):
    """Free JSON on input (``matching.whatif`` checks it and names the path at fault)."""


class MatchRunInputSerializer(StrictSerializer):
    objective = serializers.ChoiceField(choices=Objective.choices, default=Objective.DIVERT_THEN_DISTANCE)
    horizon_days = serializers.IntegerField(min_value=1, max_value=3650, default=365)
    dry_run = serializers.BooleanField(
        default=False, help_text="A what-if run: solved like any run, it publishes nothing (issue 14)."
    )
    parameters = WhatIfParametersField(
        required=False,
        help_text="What-if runs only. Validated like real listings; a 400 names the path "
        "(`parameters.extra_listings[0].quantity`).",
    )
    time_step = serializers.ChoiceField(
        choices=[(step, step) for step in TIME_STEPS],
        default=DEFAULT_TIME_STEP,
        help_text="Periods the horizon is split into (issue 13): `month` (default), `week`, or `none` "
        "(the whole horizon at once). Proposals then carry a delivery `schedule`.",
    )


class MatchRunStatsSerializer(serializers.Serializer):
    """A finished run's figures. Supply is *waste-bound* when its current destination is landfill,
    open burning, incineration or unknown; supply already in other use is not waste (issue 10).
    ``diverted_t + landfilled_t = waste_t``. Runs finished before waste-bound supply existed
    have no ``waste_t``/``other_moved_t`` and count every moved tonne as diverted."""

    offers = serializers.IntegerField()
    needs = serializers.IntegerField()
    arcs = serializers.IntegerField()
    components = serializers.IntegerField()
    solve_seconds = serializers.FloatField()
    proven_optimal = serializers.BooleanField()
    bound = serializers.FloatField(
        required=False,
        allow_null=True,
        help_text="Upper bound on the primary objective: diverted waste-bound kg (`divert_then_distance`) "
        "or net avoided kg CO2e (`net_climate`); equals the achieved value when proven optimal.",
    )
    gap = serializers.FloatField(
        required=False,
        allow_null=True,
        help_text="Relative optimality gap (bound − achieved) / max(1, |bound|): 0 when proven optimal; "
        "null without a bound. Runs finished before issue 13 have none.",
    )
    supply_t = serializers.FloatField(help_text="All eligible supply within the horizon, waste-bound or not.")
    waste_t = serializers.FloatField(help_text="The waste-bound part of supply_t.")
    diverted_t = serializers.FloatField(help_text="Waste-bound tonnes moved to a need: diverted from waste.")
    landfilled_t = serializers.FloatField(
        help_text="Waste-bound tonnes left in their fate (landfill, open burning, incineration, unknown)."
    )
    other_moved_t = serializers.FloatField(help_text="Tonnes moved from offers already in other use.")
    tkm = serializers.FloatField()
    net_co2e_t = serializers.FloatField()
    # What the run did with the proposals on the table (docs/proposals.md).
    proposals = serializers.IntegerField(help_text="Proposals this run stands behind: new + kept.")
    new_proposals = serializers.IntegerField(required=False)
    kept_proposals = serializers.IntegerField(required=False, help_text="Made again unchanged: same id.")
    awaiting_proposals = serializers.IntegerField(
        required=False, help_text="Accepted by one side, held (quantity reserved) for the other."
    )
    expired_proposals = serializers.IntegerField(required=False)


class WhatIfFlowSerializer(serializers.Serializer):
    offer = serializers.IntegerField(help_text="Negative for a hypothetical offer.")
    need = serializers.IntegerField(help_text="Negative for a hypothetical need.")
    hypothetical = serializers.BooleanField()
    material = serializers.CharField()
    quantity = serializers.CharField()
    unit = serializers.CharField()
    mass_t = serializers.CharField()
    distance_km = serializers.CharField()
    net_kg = serializers.CharField()


class WhatIfSerializer(serializers.Serializer):
    """A what-if run's parameters and the flows it found (municipality only; nothing published)."""

    parameters = serializers.DictField()
    flows = WhatIfFlowSerializer(many=True)


class MatchRunSerializer(serializers.ModelSerializer):
    factor_set: serializers.SlugRelatedField[FactorSet] = serializers.SlugRelatedField(
        slug_field="version", read_only=True
    )
    stats = serializers.SerializerMethodField()
    what_if = serializers.SerializerMethodField()
    time_step = serializers.SerializerMethodField(
        help_text="The periods the run split its horizon into (issue 13): `month`, `week` or `none` "
        "(runs queued before time buckets solved the whole horizon at once: `none`)."
    )

    class Meta:
        model = MatchRun
        fields = [
            "id",
            "status",
            "objective",
            "time_step",
            "horizon_days",
            "horizon_start",
            "factor_set",
            "created_at",
            "started_at",
            "finished_at",
            "error",
            "stats",
            "progress",
            "progress_message",
            "attempts",
            "dry_run",
            "what_if",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=[(step, step) for step in TIME_STEPS]))
    def get_time_step(self, run: MatchRun) -> str:
        return run.time_step

    @extend_schema_field(MatchRunStatsSerializer)
    def get_stats(self, run: MatchRun) -> dict:
        return run.stats or {}

    @extend_schema_field(WhatIfSerializer(allow_null=True))
    def get_what_if(self, run: MatchRun) -> dict | None:
        if not run.dry_run:
            return None
        return {
            "parameters": {k: v for k, v in (run.parameters or {}).items() if k != "time_limit_s"},
            "flows": (run.breakdown or {}).get("flows", []),
        }

    def to_representation(self, instance):
        data = super().to_representation(instance)
        # Stored in English by the worker; stated in the reader's language.
        for key in ("progress_message", "error"):
            if data.get(key):
                data[key] = progress_text(data[key])
        return data


class MatchRunCreatedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()


class ImpactSerializer(serializers.Serializer):
    baseline = serializers.CharField(
        help_text="The fate the flow is counted against (the offer's current destination): "
        "landfill, open_burning, incineration, unknown or other_use."
    )
    baseline_avoided_kg = serializers.DecimalField(
        max_digits=18,
        decimal_places=3,
        help_text="That fate's factor × mass; 0 for unknown and other_use, or when the set has no factor.",
    )
    landfill_avoided_kg = serializers.DecimalField(
        max_digits=18,
        decimal_places=3,
        help_text="baseline_avoided_kg when the baseline is landfill, else 0.",
    )
    substitution_avoided_kg = serializers.DecimalField(
        max_digits=18, decimal_places=3, help_text="0 when the baseline is other_use."
    )
    treatment_kg = serializers.DecimalField(max_digits=18, decimal_places=3)
    transport_kg = serializers.DecimalField(max_digits=18, decimal_places=3)
    storage_kg = serializers.DecimalField(
        max_digits=18,
        decimal_places=3,
        help_text="Handling at the storage yard (its factor × mass) for a flow through a yard; "
        "0 for a direct flow.",
    )
    net_kg = serializers.DecimalField(
        max_digits=18,
        decimal_places=3,
        help_text="baseline_avoided_kg + substitution_avoided_kg − treatment_kg − transport_kg − storage_kg.",
    )


class _ImpactMixin(serializers.Serializer):
    """Impact, distance and explanation as the requesting viewer may see them (``flow_view``)."""

    impact = serializers.SerializerMethodField()
    material: serializers.SlugRelatedField[Material] = serializers.SlugRelatedField(
        slug_field="key", read_only=True
    )
    factor_set: serializers.SlugRelatedField[FactorSet] = serializers.SlugRelatedField(
        slug_field="version", read_only=True
    )
    explanation = serializers.SerializerMethodField()
    distance_exact = serializers.SerializerMethodField(
        help_text="False when `distance_km` (whole km) and the transport figures come from the "
        "counterpart's site rounded to about a kilometre, as before a deal."
    )

    def _view(self, obj) -> FlowView:
        cache = cast(dict[str, Any], self.context).setdefault("_flow_views", {})
        key = (type(obj).__name__, obj.pk)
        if key not in cache:
            cache[key] = flow_view_for(viewer_of(self.context.get("request")), obj)
        return cache[key]

    @extend_schema_field(ImpactSerializer)
    def get_impact(self, obj) -> dict:
        return ImpactSerializer(self._view(obj).impact).data

    def get_explanation(self, obj) -> str:
        return explanation(obj, self._view(obj))

    def get_distance_exact(self, obj) -> bool:
        return self._view(obj).exact

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if "distance_km" in data:
            data["distance_km"] = self.fields["distance_km"].to_representation(
                self._view(instance).distance_km
            )
        return data


class OrganisationRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class PeriodQuantitySerializer(serializers.Serializer):
    period_start = serializers.DateField()
    quantity = serializers.DecimalField(max_digits=16, decimal_places=3, help_text="In the proposal's unit.")


class ProposalSerializer(EconomicsMixin, _ImpactMixin, serializers.ModelSerializer):
    waiting_for = serializers.SerializerMethodField(
        help_text='The sides still to decide: "supplier" (the offer\'s organisation), '
        '"receiver" (the need\'s) and, for a flow through a storage yard that does not accept '
        'automatically, "yard" (the yard\'s owner).'
    )
    schedule = PeriodQuantitySerializer(
        many=True,
        read_only=True,
        help_text="When the need receives what (issue 13): one entry per period, summing to `quantity`; "
        "empty for a run with time_step none. It seeds the deal's delivery plan.",
    )
    storage_schedule = PeriodQuantitySerializer(
        many=True, read_only=True, help_text="For a flow through a storage yard: when it enters the yard."
    )
    waiting_for_organisations = serializers.SerializerMethodField()
    # declared, not generated: a generated read-only choice field loses allow_blank, and the
    # schema would then refuse the "" of a proposal nobody declined
    declined_by = serializers.ChoiceField(
        choices=DeclinedBy.choices,
        allow_blank=True,
        read_only=True,
        help_text='"supplier" or "receiver" (the pair is not proposed again, direct or through '
        'any yard), "yard" (the yard\'s owner: not through that yard again), or "" (not declined).',
    )
    terms = serializers.SerializerMethodField(help_text="The current terms (the latest revision), or null.")
    terms_revisions = serializers.SerializerMethodField(
        help_text="Every revision of the terms, oldest first."
    )

    class Meta:
        model = Proposal
        fields = [
            "id",
            "origin",
            "run",
            "first_run",
            "offer",
            "need",
            "material",
            "quantity",
            "unit",
            "mass_t",
            "distance_km",
            "distance_exact",
            "impact",
            "factor_set",
            "status",
            "explanation",
            "current_destination",
            "waiting_for",
            "waiting_for_organisations",
            "respond_by",
            "offer_accepted_at",
            "need_accepted_at",
            "decided_at",
            "created_at",
            "terms",
            "terms_revisions",
            "schedule",
            "via_storage",
            "storage_schedule",
            "storage_accepted_at",
            "declined_by",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "via_storage": {"help_text": "The storage yard the flow goes through (issue 13), or null."},
            "storage_accepted_at": {"help_text": "When the storage yard's owner accepted the flow."},
            "origin": {"help_text": '"run" (a match run proposed it) or "request" (a party asked directly).'},
            "run": {
                "help_text": "The latest run that proposed it (a kept proposal moves to each new run); "
                "null for a direct request."
            },
            "first_run": {"help_text": "The run that first proposed it."},
            "respond_by": {
                "help_text": "Once one side has accepted: until when the other side may accept "
                "(MATCHING_RESPONSE_DAYS after the first acceptance); then it expires."
            },
        }

    @extend_schema_field(
        serializers.ListField(child=serializers.ChoiceField(choices=["supplier", "receiver", "yard"]))
    )
    def get_waiting_for(self, proposal: Proposal) -> list[str]:
        return proposal.waiting_for

    @extend_schema_field(OrganisationRefSerializer(many=True))
    def get_waiting_for_organisations(self, proposal: Proposal) -> list[dict]:
        return [{"id": org.pk, "name": org.name} for org in proposal.waiting_for_organisations()]

    def _revisions(self, proposal: Proposal) -> list:
        return sorted(proposal.terms_revisions.all(), key=lambda r: r.number)

    @extend_schema_field(TermsSerializer(allow_null=True))
    def get_terms(self, proposal: Proposal) -> dict | None:
        current = [r for r in self._revisions(proposal) if r.number == proposal.terms_number]
        return TermsSerializer(current[0]).data if current else None

    @extend_schema_field(TermsSerializer(many=True))
    def get_terms_revisions(self, proposal: Proposal) -> list[dict]:
        return cast(list[dict], TermsSerializer(self._revisions(proposal), many=True).data)


class DeclineInputSerializer(StrictSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class DeliverySerializer(serializers.ModelSerializer):
    act_url = serializers.SerializerMethodField()
    unit = serializers.CharField(source="deal.unit", read_only=True)

    class Meta:
        model = Delivery
        fields = ["id", "date", "quantity", "unit", "mass_t", "created_at", "act_url"]
        read_only_fields = fields

    def get_act_url(self, delivery: Delivery) -> str:
        """The transfer act (PDF) of this delivery."""
        return f"/api/v1/deliveries/{delivery.pk}/act/"


class DeliveryInputSerializer(StrictSerializer):
    """A delivery in the deal's unit: ``quantity`` (pieces for a piece deal, tonnes for bulk) or,
    for a bulk deal, ``mass_t``."""

    date = serializers.DateField()
    quantity = serializers.DecimalField(
        max_digits=16,
        decimal_places=3,
        min_value=Decimal("0.001"),
        required=False,
        help_text="In the deal's unit: whole pieces for a piece deal, tonnes for a bulk deal.",
    )
    mass_t = serializers.DecimalField(
        max_digits=16,
        decimal_places=3,
        min_value=Decimal("0.001"),
        required=False,
        help_text="Tonnes; bulk deals only (a piece deal takes `quantity`).",
    )


class DealSerializer(CounterpartMixin, EconomicsMixin, _ImpactMixin, serializers.ModelSerializer):
    deliveries = DeliverySerializer(many=True, read_only=True)
    realised_impact = serializers.SerializerMethodField()
    terms = TermsSerializer(read_only=True, allow_null=True, help_text="The agreed terms, or null.")
    plan = serializers.SerializerMethodField(
        help_text="With a schedule: the agreed quantity spread over the scheduled dates (summing exactly "
        "to it), against the deliveries; null without one."
    )

    class Meta:
        model = Deal
        fields = [
            "id",
            "proposal",
            "offer",
            "need",
            "material",
            "quantity",
            "unit",
            "mass_t",
            "distance_km",
            "distance_exact",
            "delivered_quantity",
            "delivered_t",
            "deliveries",
            "impact",
            "realised_impact",
            "factor_set",
            "explanation",
            "agreed_at",
            "terms",
            "plan",
        ]
        read_only_fields = fields

    @extend_schema_field(PlanEntrySerializer(many=True, allow_null=True))
    def get_plan(self, deal: Deal) -> list[dict] | None:
        rows = services.deal_plan(deal=deal)
        if rows is None:
            return None
        return cast(list[dict], PlanEntrySerializer([r.as_dict() for r in rows], many=True).data)

    @extend_schema_field(ImpactSerializer)
    def get_realised_impact(self, deal: Deal) -> dict:
        totals = {
            key: sum((getattr(d, key) for d in deal.deliveries.all()), start=type(deal.net_kg)(0))
            for key in Deal.IMPACT_KEYS
        }
        totals["baseline"] = deal.baseline
        return ImpactSerializer(totals).data


class RunCompareQuerySerializer(StrictQuerySerializer):
    a = serializers.CharField(help_text="A run id.")
    b = serializers.CharField(help_text="Another run id.")


class RunFiguresSerializer(serializers.Serializer):
    diverted_t = serializers.FloatField(allow_null=True)
    landfilled_t = serializers.FloatField(allow_null=True, help_text="Waste-bound tonnes left in their fate.")
    tkm = serializers.FloatField(allow_null=True)
    net_co2e_t = serializers.FloatField(allow_null=True)


class RunCompareSideSerializer(RunFiguresSerializer):
    id = serializers.IntegerField()
    dry_run = serializers.BooleanField()
    status = serializers.CharField()
    objective = serializers.CharField()
    created_at = serializers.DateTimeField()
    parameters = serializers.DictField()
    extra_listings = serializers.IntegerField(help_text="How many hypothetical listings it added.")


class RunCompareRowSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="A material key, or a district (`hypothetical` for added offers).")
    a = RunFiguresSerializer()
    b = RunFiguresSerializer()
    difference = RunFiguresSerializer()


class RunCompareSerializer(serializers.Serializer):
    a = RunCompareSideSerializer()
    b = RunCompareSideSerializer()
    difference = RunFiguresSerializer(help_text="b − a; null where a run has no figures.")
    by_material = RunCompareRowSerializer(many=True)
    by_district = RunCompareRowSerializer(many=True)
