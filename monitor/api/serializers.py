"""Input and output serializers of the monitor API. The output ones also declare the stable
JSON shape of the public statistics in the OpenAPI schema."""

from __future__ import annotations

from rest_framework import serializers

from config.strict import StrictSerializer
from monitor.models import Target, TargetBasis, TargetIndicator


def _t(help_text: str = "", *, null: bool = False) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=24, decimal_places=3, coerce_to_string=True, allow_null=null, help_text=help_text or None
    )


# --- Targets -----------------------------------------------------------------------------------


class TargetInputSerializer(StrictSerializer):
    indicator = serializers.ChoiceField(choices=TargetIndicator.choices)
    year = serializers.IntegerField(help_text="Calendar year, 2000–2100.")
    value = serializers.DecimalField(
        max_digits=16, decimal_places=3, help_text="The target at year end (> 0), in t or t CO₂e."
    )
    basis = serializers.ChoiceField(choices=TargetBasis.choices, default=TargetBasis.DELIVERED)

    def validate(self, attrs):
        if hasattr(self.initial_data, "keys"):
            unknown = sorted(set(self.initial_data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({unknown[0]: ["Unknown field."]})
        return attrs


class TargetSerializer(serializers.ModelSerializer):
    class Meta:
        model = Target
        fields = ["id", "indicator", "year", "value", "basis", "created_at", "updated_at"]
        read_only_fields = fields


class TargetMonthSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    cumulative = _t("From 1 January to the end of the month (or to today, in the current month).")
    expected = _t("The straight line at the same day.")


class TargetLinePointSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    expected = _t("The straight line at the end of the month.")


class TargetProgressSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    indicator = serializers.CharField(help_text=", ".join(TargetIndicator.values))
    indicator_label = serializers.CharField()
    year = serializers.IntegerField()
    basis = serializers.CharField(help_text=", ".join(TargetBasis.values))
    value = _t()
    achieved = _t(
        "Cumulative at the evaluation day (null in public when it would isolate a small cell).", null=True
    )
    share = serializers.DecimalField(
        max_digits=12, decimal_places=4, coerce_to_string=True, allow_null=True, help_text="achieved ÷ value"
    )
    expected = _t("The straight line at the evaluation day.")
    on_track = serializers.BooleanField(
        help_text="Cumulative at or above the straight line from 1 January to the target at year end, "
        "evaluated today (current year), on 31 December (past years); a future year is on track."
    )
    evaluated_on = serializers.DateField(allow_null=True, help_text="null for a year not begun.")
    months = TargetMonthSerializer(many=True)
    line = TargetLinePointSerializer(many=True)


# --- Public statistics -------------------------------------------------------------------------


class PublicFiguresSerializer(serializers.Serializer):
    waste_diverted_t = _t("Waste-bound tonnes moved (null when fewer than k organisations).", null=True)
    net_co2e_t = _t("Net CO₂e avoided, t (null when fewer than k organisations).", null=True)
    organisations = serializers.IntegerField(help_text="Distinct organisations (either side).")
    deals = serializers.IntegerField()


class PublicRowSerializer(PublicFiguresSerializer):
    key = serializers.CharField(help_text='A category, district or YYYY-MM; "other" for the folded cells.')
    label = serializers.CharField()  # type: ignore[assignment]  # a field named "label", as in reports
    other = serializers.BooleanField(help_text="The folded cells (k-anonymity).")


class PublicTrendSerializer(PublicFiguresSerializer):
    month = serializers.CharField(help_text="YYYY-MM (months folded for k-anonymity are left out).")


class PublicLicenceSerializer(serializers.Serializer):
    name = serializers.CharField()
    url = serializers.URLField()
    attribution = serializers.CharField()
    text = serializers.CharField()


class WasteFiguresSerializer(serializers.Serializer):
    listed_t = _t("Waste-bound supply of active offers within the horizon.", null=True)
    diverted_t = _t("What deals take from it (agreed, or delivered, within the last horizon).", null=True)
    left_t = _t("listed − diverted.", null=True)
    left_co2e_t = _t("What is left emits at its fate (active factor set); null without one.", null=True)
    left_ch4_t = _t("The landfill part as methane: landfill CO₂e ÷ GWP of CH₄.", null=True)
    offers = serializers.IntegerField()
    organisations = serializers.IntegerField()


class WasteRowSerializer(WasteFiguresSerializer):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    other = serializers.BooleanField(required=False)


class WastePictureSerializer(serializers.Serializer):
    basis = serializers.CharField()
    horizon_start = serializers.DateField()
    horizon_days = serializers.IntegerField()
    factor_set = serializers.CharField(allow_null=True)
    gwp_ch4 = serializers.DecimalField(max_digits=8, decimal_places=3, allow_null=True)
    suppressed = serializers.BooleanField(required=False)
    totals = WasteFiguresSerializer()
    rows = WasteRowSerializer(many=True, help_text="By material category.")
    by_fate = WasteRowSerializer(many=True, help_text="By current destination.")


class PublicParticipantSerializer(serializers.Serializer):
    name = serializers.CharField()
    kind = serializers.CharField()
    sector = serializers.CharField()
    sector_label = serializers.CharField()


class PublicParticipantsSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Organisations taking part (either side of a deal).")
    named = PublicParticipantSerializer(many=True, help_text="Only those that opted in (public_profile).")
    unnamed = serializers.IntegerField()


class PublicImpactSerializer(serializers.Serializer):
    basis = serializers.CharField(help_text="agreed or delivered")
    group_by = serializers.CharField(help_text="category, district or month")
    generated_at = serializers.DateTimeField()
    k_anonymity = serializers.IntegerField(
        help_text="Every published figure is built from 0 or ≥ k organisations."
    )
    licence = PublicLicenceSerializer()
    suppressed = serializers.BooleanField(
        help_text="True when the whole city has fewer than k organisations."
    )
    totals = PublicFiguresSerializer()
    rows = PublicRowSerializer(many=True)
    trend = PublicTrendSerializer(many=True)
    targets = TargetProgressSerializer(many=True)
    waste_picture = WastePictureSerializer()
    participants = PublicParticipantsSerializer()


PUBLIC_EXAMPLE = {
    "basis": "agreed",
    "group_by": "category",
    "generated_at": "2026-03-02T10:15:04+05:00",
    "k_anonymity": 3,
    "licence": {
        "name": "CC BY 4.0",
        "url": "https://creativecommons.org/licenses/by/4.0/",
        "attribution": "Qaita, Almaty industrial symbiosis exchange",
        "text": "Open data under CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/). "
        "Attribute: Qaita, Almaty industrial symbiosis exchange.",
    },
    "suppressed": False,
    "totals": {"waste_diverted_t": "3350.000", "net_co2e_t": "1214.562", "organisations": 9, "deals": 6},
    "rows": [
        {
            "key": "biomass",
            "label": "Biomass",
            "other": False,
            "waste_diverted_t": "2900.000",
            "net_co2e_t": "1120.004",
            "organisations": 5,
            "deals": 4,
        },
        {
            "key": "other",
            "label": "Other categories and cells of fewer than 3 organisations",
            "other": True,
            "waste_diverted_t": "450.000",
            "net_co2e_t": "94.558",
            "organisations": 4,
            "deals": 2,
        },
    ],
    "trend": [
        {
            "month": "2026-02",
            "waste_diverted_t": "3350.000",
            "net_co2e_t": "1214.562",
            "organisations": 9,
            "deals": 6,
        }
    ],
    "targets": [
        {
            "id": 1,
            "indicator": "waste_diverted_t",
            "indicator_label": "Waste diverted (t)",
            "year": 2026,
            "basis": "agreed",
            "value": "20000.000",
            "achieved": "3350.000",
            "share": "0.1675",
            "expected": "3342.466",
            "on_track": True,
            "evaluated_on": "2026-03-02",
            "months": [
                {"month": "2026-01", "cumulative": "0.000", "expected": "1698.630"},
                {"month": "2026-02", "cumulative": "3350.000", "expected": "3232.877"},
            ],
            "line": [{"month": "2026-01", "expected": "1698.630"}],
        }
    ],
    "waste_picture": {
        "basis": "agreed",
        "horizon_start": "2026-03-02",
        "horizon_days": 365,
        "factor_set": "2025.01.10-ed87be77",
        "gwp_ch4": "25.000",
        "suppressed": False,
        "totals": {
            "listed_t": "12800.000",
            "diverted_t": "3350.000",
            "left_t": "9450.000",
            "left_co2e_t": "5105.400",
            "left_ch4_t": "196.616",
            "offers": 14,
            "organisations": 8,
        },
        "rows": [],
        "by_fate": [],
    },
    "participants": {
        "count": 9,
        "named": [
            {
                "name": "Almaty Brewery",
                "kind": "company",
                "sector": "agriculture_food",
                "sector_label": "Agriculture & food processing",
            }
        ],
        "unnamed": 8,
    },
}
