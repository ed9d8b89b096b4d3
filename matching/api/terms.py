"""Serializers of terms, delivery plans and direct requests (issue 11 points 3–5).

The views are in ``matching.api.views`` (the proposal's ``terms`` action, the listings'
``request`` endpoints); the proposal and deal serializers show ``terms`` and ``plan``.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema_field
from rest_framework import serializers

from config.strict import StrictSerializer
from matching.economics import kzt
from matching.models import ScheduleEvery, TermsRevision, TransportBy


class TermsScheduleSerializer(serializers.Serializer):
    every = serializers.ChoiceField(choices=ScheduleEvery.choices)
    start = serializers.DateField()
    end = serializers.DateField()


class PartyRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class TermsSerializer(serializers.ModelSerializer):
    unit = serializers.CharField(source="proposal.unit", read_only=True)
    price_total_kzt = serializers.SerializerMethodField()
    schedule = serializers.SerializerMethodField()
    author = serializers.SerializerMethodField()
    organisation = serializers.SerializerMethodField()

    class Meta:
        model = TermsRevision
        fields = [
            "number",
            "quantity",
            "unit",
            "price_per_unit_kzt",
            "price_total_kzt",
            "transport_by",
            "schedule",
            "author",
            "organisation",
            "created_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "price_per_unit_kzt": {
                "help_text": "Signed: positive, the receiver pays the supplier; negative, the supplier "
                "pays the receiver to take it (a gate fee)."
            }
        }

    @extend_schema_field(serializers.DecimalField(max_digits=20, decimal_places=2))
    def get_price_total_kzt(self, terms: TermsRevision) -> str:
        return f"{kzt(terms.quantity * terms.price_per_unit_kzt):f}"

    @extend_schema_field(TermsScheduleSerializer(allow_null=True))
    def get_schedule(self, terms: TermsRevision) -> dict | None:
        schedule = terms.schedule_dict()
        return None if schedule is None else TermsScheduleSerializer(schedule).data

    @extend_schema_field(PartyRefSerializer(allow_null=True))
    def get_author(self, terms: TermsRevision) -> dict | None:
        user = terms.author
        return None if user is None else {"id": user.pk, "name": user.get_full_name() or user.username}

    @extend_schema_field(PartyRefSerializer)
    def get_organisation(self, terms: TermsRevision) -> dict:
        return {"id": terms.organisation_id, "name": terms.organisation.name}


class TermsScheduleInputSerializer(StrictSerializer):
    every = serializers.ChoiceField(choices=ScheduleEvery.choices)
    start = serializers.DateField()
    end = serializers.DateField(required=False, help_text="Optional for `once` (then the start).")


class TermsInputSerializer(StrictSerializer):
    quantity = serializers.DecimalField(
        max_digits=16,
        decimal_places=3,
        help_text="In the proposal's unit: > 0 and at most the proposal's quantity (whole pieces for piece "
        "proposals, tonnes to the kilogram for bulk).",
    )
    price_per_unit_kzt = serializers.DecimalField(
        max_digits=16,
        decimal_places=2,
        help_text="KZT per unit, signed: positive = the receiver pays the supplier; negative = the "
        "supplier pays the receiver to take it (a gate fee).",
    )
    transport_by = serializers.ChoiceField(choices=TransportBy.choices)
    schedule = TermsScheduleInputSerializer(
        required=False,
        allow_null=True,
        help_text="Dates inside the offer's and the need's availability windows, start ≤ end.",
    )


TERMS_EXAMPLE = OpenApiExample(
    "Monthly, receiver collects",
    request_only=True,
    value={
        "quantity": "120",
        "price_per_unit_kzt": "-1500.00",
        "transport_by": "receiver",
        "schedule": {"every": "month", "start": "2027-01-15", "end": "2027-12-15"},
    },
)


class PlanEntrySerializer(serializers.Serializer):
    date = serializers.DateField()
    quantity = serializers.DecimalField(max_digits=16, decimal_places=3, help_text="In the deal's unit.")
    cumulative = serializers.DecimalField(
        max_digits=16, decimal_places=3, help_text="Planned up to this date."
    )
    delivered_cumulative = serializers.DecimalField(
        max_digits=16, decimal_places=3, help_text="Delivered on or before this date."
    )
    overdue = serializers.BooleanField(
        help_text="The date has passed and everything delivered so far is short of `cumulative`."
    )


# --- Direct requests ------------------------------------------------------------------------------


class RequestWithNeedInputSerializer(StrictSerializer):
    need = serializers.IntegerField(min_value=1, help_text="One of your organisation's needs.")


class RequestWithOfferInputSerializer(StrictSerializer):
    offer = serializers.IntegerField(min_value=1, help_text="One of your organisation's offers.")
