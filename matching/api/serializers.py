from __future__ import annotations

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from matching.explain import explanation
from matching.models import Deal, Delivery, MatchRun, Objective, Proposal


class MatchRunInputSerializer(serializers.Serializer):
    objective = serializers.ChoiceField(choices=Objective.choices, default=Objective.DIVERT_THEN_DISTANCE)
    horizon_days = serializers.IntegerField(min_value=1, max_value=3650, default=365)


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
    supply_t = serializers.FloatField(help_text="All eligible supply within the horizon, waste-bound or not.")
    waste_t = serializers.FloatField(help_text="The waste-bound part of supply_t.")
    diverted_t = serializers.FloatField(help_text="Waste-bound tonnes moved to a need: diverted from waste.")
    landfilled_t = serializers.FloatField(
        help_text="Waste-bound tonnes left in their fate (landfill, open burning, incineration, unknown)."
    )
    other_moved_t = serializers.FloatField(help_text="Tonnes moved from offers already in other use.")
    tkm = serializers.FloatField()
    net_co2e_t = serializers.FloatField()


class MatchRunSerializer(serializers.ModelSerializer):
    factor_set = serializers.SlugRelatedField(slug_field="version", read_only=True)
    stats = serializers.SerializerMethodField()

    class Meta:
        model = MatchRun
        fields = [
            "id",
            "status",
            "objective",
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
        ]
        read_only_fields = fields

    @extend_schema_field(MatchRunStatsSerializer)
    def get_stats(self, run: MatchRun) -> dict:
        return run.stats or {}


class MatchRunCreatedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()


class ImpactSerializer(serializers.Serializer):
    landfill_avoided_kg = serializers.DecimalField(max_digits=18, decimal_places=3)
    substitution_avoided_kg = serializers.DecimalField(max_digits=18, decimal_places=3)
    treatment_kg = serializers.DecimalField(max_digits=18, decimal_places=3)
    transport_kg = serializers.DecimalField(max_digits=18, decimal_places=3)
    net_kg = serializers.DecimalField(max_digits=18, decimal_places=3)


class _ImpactMixin(serializers.Serializer):
    impact = serializers.SerializerMethodField()
    material = serializers.SlugRelatedField(slug_field="key", read_only=True)
    factor_set = serializers.SlugRelatedField(slug_field="version", read_only=True)
    explanation = serializers.SerializerMethodField()

    @extend_schema_field(ImpactSerializer)
    def get_impact(self, obj) -> dict:
        return ImpactSerializer(obj.impact_dict()).data

    def get_explanation(self, obj) -> str:
        return explanation(obj)


class ProposalSerializer(_ImpactMixin, serializers.ModelSerializer):
    class Meta:
        model = Proposal
        fields = [
            "id",
            "run",
            "offer",
            "need",
            "material",
            "quantity",
            "unit",
            "mass_t",
            "distance_km",
            "impact",
            "factor_set",
            "status",
            "explanation",
            "current_destination",
            "offer_accepted_at",
            "need_accepted_at",
            "decided_at",
            "created_at",
        ]
        read_only_fields = fields


class DeclineInputSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class DeliverySerializer(serializers.ModelSerializer):
    act_url = serializers.SerializerMethodField()

    class Meta:
        model = Delivery
        fields = ["id", "date", "mass_t", "created_at", "act_url"]
        read_only_fields = fields

    def get_act_url(self, delivery: Delivery) -> str:
        """The transfer act (PDF) of this delivery."""
        return f"/api/v1/deliveries/{delivery.pk}/act/"


class DeliveryInputSerializer(serializers.Serializer):
    date = serializers.DateField()
    mass_t = serializers.DecimalField(max_digits=16, decimal_places=3, min_value=Decimal("0.001"))


class DealSerializer(_ImpactMixin, serializers.ModelSerializer):
    deliveries = DeliverySerializer(many=True, read_only=True)
    realised_impact = serializers.SerializerMethodField()

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
            "delivered_t",
            "deliveries",
            "impact",
            "realised_impact",
            "factor_set",
            "explanation",
            "agreed_at",
        ]
        read_only_fields = fields

    @extend_schema_field(ImpactSerializer)
    def get_realised_impact(self, deal: Deal) -> dict:
        totals = {
            key: sum((getattr(d, key) for d in deal.deliveries.all()), start=type(deal.net_kg)(0))
            for key in Deal.IMPACT_KEYS
        }
        return ImpactSerializer(totals).data
