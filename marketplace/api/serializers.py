"""Input and output serializers for the marketplace API. Inputs parse and shape; services decide."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import District
from config.strict import StrictQuerySerializer, StrictSerializer
from marketplace import extensions
from marketplace.listing_rules import allowed_units, quantity_in_tonnes
from marketplace.models import (
    Category,
    Destination,
    Factor,
    FactorSet,
    ListingPhoto,
    ListingStatus,
    MatchReason,
    Material,
    Need,
    Offer,
    Period,
    Unit,
)
from marketplace.selectors import coarse_coordinate


class ListingStatusField(serializers.ChoiceField):
    """A listing status: draft → active ⇄ paused → closed (``ListingStatusEnum`` in the schema)."""

    def __init__(self, **kwargs):
        super().__init__(choices=ListingStatus.choices, **kwargs)


def _number(**kwargs) -> serializers.DecimalField:
    """A decimal input (JSON number or string); ranges are the services' business."""
    return serializers.DecimalField(max_digits=None, decimal_places=None, **kwargs)


# --- Catalogue ---------------------------------------------------------------------------
class MaterialSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True, help_text="Name in the request's language.")
    units = serializers.SerializerMethodField(help_text="Units a quantity of this material may be stated in.")

    class Meta:
        model = Material
        fields = [
            "id",
            "key",
            "name",
            "name_en",
            "name_ru",
            "name_kk",
            "ewc_code",
            "category",
            "unit_basis",
            "mass_per_piece_t",
            "density_t_per_m3",
            "hazardous",
            "substituted_virgin_material",
            "moisture_pct",
            "nitrogen_pct_dry",
            "c_to_n",
            "max_storage_days",
            "properties_source",
            "units",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_units(self, material: Material) -> list[str]:
        return list(allowed_units(material))


class MaterialQuerySerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=Category.choices, required=False)
    q = serializers.CharField(
        required=False,
        max_length=100,
        help_text="Matches the key, the EWC code or a name in English, Russian or Kazakh.",
    )


# --- Factor sets -------------------------------------------------------------------------
class FactorSerializer(serializers.ModelSerializer):
    material = serializers.CharField(source="material.key", read_only=True)
    material_name = serializers.CharField(source="material.name", read_only=True)

    class Meta:
        model = Factor
        fields = [
            "material",
            "material_name",
            "landfill_kg_per_t",
            "substitution_kg_per_t",
            "treatment_kg_per_t",
            "open_burning_kg_per_t",
            "incineration_kg_per_t",
            "source_landfill",
            "source_substitution",
            "source_fates",
            "notes",
        ]
        read_only_fields = fields


class FactorSetSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(
        choices=FactorSet.Status.choices, read_only=True, help_text="`draft` or `published` (immutable)."
    )
    based_on = serializers.CharField(source="based_on.version", read_only=True, allow_null=True, default=None)

    class Meta:
        model = FactorSet
        fields = [
            "id",
            "version",
            "status",
            "is_active",
            "based_on",
            "road_freight_kg_per_tkm",
            "road_freight_source",
            "gwp_ch4",
            "gwp_basis",
            "landfill_method",
            "impact_method",
            "source_notes",
            "created_at",
            "published_at",
        ]
        read_only_fields = fields


class FactorSetDetailSerializer(FactorSetSerializer):
    factors = FactorSerializer(many=True, read_only=True)

    class Meta(FactorSetSerializer.Meta):
        fields = [*FactorSetSerializer.Meta.fields, "factors"]
        read_only_fields = fields


class FactorSetCreateSerializer(StrictSerializer):
    version = serializers.CharField(max_length=40)
    based_on = serializers.IntegerField(
        required=False, help_text="Id of the set to copy (default: the active one)."
    )


class FactorSetUpdateSerializer(StrictSerializer):
    road_freight_kg_per_tkm = _number(required=False)
    road_freight_source = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    gwp_ch4 = _number(required=False)
    gwp_basis = serializers.CharField(required=False, allow_blank=True, max_length=200)
    landfill_method = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    source_notes = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class FactorUpdateSerializer(StrictSerializer):
    landfill_kg_per_t = _number(required=False, allow_null=True)
    substitution_kg_per_t = _number(required=False)
    treatment_kg_per_t = _number(required=False)
    open_burning_kg_per_t = _number(required=False, allow_null=True)
    incineration_kg_per_t = _number(required=False, allow_null=True)
    source_landfill = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    source_substitution = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    source_fates = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=5000)


# --- Listings: output --------------------------------------------------------------------
class SiteLocationSerializer(serializers.Serializer):
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6)
    address = serializers.CharField(allow_null=True, help_text="Only for those who see the exact site.")
    district = serializers.ChoiceField(choices=District.choices)
    exact = serializers.BooleanField(help_text="False: rounded to about 1 km (two decimals).")


class PhotoSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = ListingPhoto
        fields = ["id", "url", "width", "height", "caption", "uploaded_at"]
        read_only_fields = fields

    def get_url(self, photo: ListingPhoto) -> str:
        from django.urls import reverse

        return reverse("listing-photo", args=[photo.pk])


class MatchStatusSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=MatchReason.choices)
    nearest_km = serializers.IntegerField(
        allow_null=True, help_text="The nearest compatible counterpart's road distance, whole km."
    )
    explanation = serializers.CharField()
    run = serializers.IntegerField(help_text="The real run it comes from.")


class ListingOutputMixin(serializers.Serializer):
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    site_location = serializers.SerializerMethodField()
    distance_km = serializers.SerializerMethodField(
        help_text="Great-circle distance from `near` (on the coordinates you may see); null without `near`."
    )
    photos = PhotoSerializer(many=True, read_only=True)
    match_status = serializers.SerializerMethodField(
        help_text="Why the latest real run did (not) propose this listing (issue 14); the owner and the "
        "municipality see it, others null; null before any run."
    )

    @extend_schema_field(MatchStatusSerializer(allow_null=True))
    def get_match_status(self, listing) -> dict | None:
        request = self.context.get("request")
        return extensions.match_status_of(
            listing, user=getattr(request, "user", None), stored=self.context.get("match_statuses")
        )

    @extend_schema_field(SiteLocationSerializer)
    def get_site_location(self, listing) -> dict:
        site = listing.site
        exact_ids = self.context.get("exact_site_ids", set())
        exact = exact_ids is None or listing.site_id in exact_ids
        return {
            "latitude": str(site.latitude if exact else coarse_coordinate(site.latitude)),
            "longitude": str(site.longitude if exact else coarse_coordinate(site.longitude)),
            "address": site.address if exact else None,
            "district": site.district,
            "exact": exact,
        }

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_distance_km(self, listing) -> float | None:
        distance = getattr(listing, "distance_km", None)
        return None if distance is None else round(float(distance), 2)


LISTING_FIELDS = [
    "id",
    "organisation",
    "organisation_name",
    "site",
    "site_location",
    "quantity",
    "unit",
    "period",
    "available_from",
    "available_until",
    "max_distance_km",
    "min_lot",
    "description",
    "status",
    "photos",
    "distance_km",
    "created_at",
    "updated_at",
    "match_status",
]


class OfferSerializer(ListingOutputMixin, serializers.ModelSerializer):
    status = ListingStatusField(read_only=True)
    material: serializers.SlugRelatedField[Material] = serializers.SlugRelatedField(
        slug_field="key", read_only=True
    )
    material_name = serializers.CharField(source="material.name", read_only=True)
    mass_t = serializers.SerializerMethodField(help_text="The quantity in tonnes (per period).")

    class Meta:
        model = Offer
        fields = [
            *LISTING_FIELDS[:5],
            "material",
            "material_name",
            *LISTING_FIELDS[5:11],
            "current_destination",
            *LISTING_FIELDS[11:],
            "mass_t",
        ]
        read_only_fields = fields

    # A decimal string like every other quantity (null when the unit has no known mass).
    @extend_schema_field(serializers.DecimalField(max_digits=None, decimal_places=3, allow_null=True))
    def get_mass_t(self, offer: Offer) -> str | None:
        mass = quantity_in_tonnes(offer.material, offer.quantity, offer.unit)
        return None if mass is None else str(Decimal(mass).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP))


RANGE_SCHEMA = {
    "type": "array",
    "items": {"type": "string", "format": "decimal"},
    "minItems": 2,
    "maxItems": 2,
    "nullable": True,
}
RECIPE_SCHEMA = {
    "type": "object",
    "nullable": True,
    "description": "A blend (issue 13): `shares` are mass fractions (0–1) of what the need receives, "
    "for some of its materials; `c_to_n` and `moisture_pct` bound the received mix (wet mass basis) "
    "and need the moisture, nitrogen and C:N of every accepted material. 400 when bounds are "
    "out of order or range, shares infeasible or a share's material is not accepted. Null: no recipe.",
    "properties": {
        "shares": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "material": {"type": "string"},
                    "min": {"type": "string", "format": "decimal"},
                    "max": {"type": "string", "format": "decimal"},
                },
                "required": ["material"],
            },
        },
        "c_to_n": RANGE_SCHEMA,
        "moisture_pct": RANGE_SCHEMA,
    },
    "example": {"c_to_n": ["25", "30"], "moisture_pct": ["50", "60"]},
}


@extend_schema_field(RECIPE_SCHEMA)
class RecipeField(serializers.JSONField):
    """A need's recipe: free JSON on input, checked by ``marketplace.recipes`` (400 naming it)."""


class NeedSerializer(ListingOutputMixin, serializers.ModelSerializer):
    status = ListingStatusField(read_only=True)
    materials: serializers.SlugRelatedField[Material] = serializers.SlugRelatedField(
        slug_field="key", many=True, read_only=True
    )
    recipe = RecipeField(read_only=True, allow_null=True)

    class Meta:
        model = Need
        fields = [*LISTING_FIELDS[:5], "materials", *LISTING_FIELDS[5:], "recipe"]
        read_only_fields = fields


# --- Listings: input ---------------------------------------------------------------------
class ListingInputSerializer(StrictSerializer):
    site = serializers.IntegerField(help_text="One of your organisation's sites.")
    quantity = _number(help_text="Per period, in `unit`; positive, at most 10,000,000.")
    unit = serializers.ChoiceField(choices=Unit.choices)
    period = serializers.ChoiceField(choices=Period.choices, default=Period.YEAR)
    available_from = serializers.DateField(required=False, allow_null=True)
    available_until = serializers.DateField(required=False, allow_null=True)
    min_lot = _number(required=False, allow_null=True, help_text="Smallest lot worth a trip, in `unit`.")
    description = serializers.CharField(required=False, allow_blank=True, max_length=4000, default="")
    status = ListingStatusField(
        default=ListingStatus.DRAFT,
        help_text="`draft` (default) or `active` to publish at once; on update also `paused` and `closed`.",
    )


class OfferInputSerializer(ListingInputSerializer):
    organisation = serializers.IntegerField(
        required=False, help_text="Needed only by members of several organisations."
    )
    material = serializers.CharField(max_length=60, help_text="A material key from /api/v1/materials/.")
    max_distance_km = _number(required=False, allow_null=True, help_text="Optional, 0 < km ≤ 1000.")
    current_destination = serializers.ChoiceField(choices=Destination.choices, default=Destination.LANDFILL)


class NeedInputSerializer(ListingInputSerializer):
    organisation = serializers.IntegerField(
        required=False, help_text="Needed only by members of several organisations."
    )
    materials = serializers.ListField(
        child=serializers.CharField(max_length=60),
        max_length=50,
        help_text="Material keys: bulk materials, or exactly one piece material.",
    )
    max_distance_km = _number(help_text="Required, 0 < km ≤ 1000.")
    recipe = RecipeField(required=False, allow_null=True, default=None)


class OfferUpdateSerializer(OfferInputSerializer):
    organisation = None  # type: ignore[assignment]  # None removes the inherited field (DRF); the stubs do not model it

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("partial", True)
        super().__init__(*args, **kwargs)


class NeedUpdateSerializer(NeedInputSerializer):
    organisation = None  # type: ignore[assignment]  # None removes the inherited field (DRF); the stubs do not model it

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("partial", True)
        super().__init__(*args, **kwargs)


class ListingQuerySerializer(StrictQuerySerializer):
    material = serializers.CharField(required=False, max_length=60, help_text="A material key.")
    category = serializers.ChoiceField(choices=Category.choices, required=False)
    status = ListingStatusField(required=False)
    organisation = serializers.IntegerField(required=False, min_value=1)
    near = serializers.CharField(
        required=False, max_length=60, help_text="`latitude,longitude` in degrees; needs `radius_km`."
    )
    radius_km = serializers.CharField(required=False, max_length=30, help_text="0 < km ≤ 1000; needs `near`.")


class PhotoUploadSerializer(StrictSerializer):
    image = serializers.FileField(
        help_text="JPEG, PNG or WebP, at most 5 MB; stored re-encoded without EXIF."
    )
    caption = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class ImportUploadSerializer(StrictSerializer):
    file = serializers.FileField(help_text="CSV or XLSX, at most 2 MB and 5,000 rows.")
    organisation = serializers.IntegerField(
        required=False, help_text="Needed only by members of several organisations."
    )
    confirm_duplicates = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Also write rows equal to an active listing of yours (same site, material(s), "
        "quantity, unit and period) or to an earlier row; they are skipped otherwise.",
    )


class ImportErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="Spreadsheet row (the header is row 1; 0: the whole file).")
    field = serializers.CharField()
    reason = serializers.CharField()


class ImportRefusedSerializer(serializers.Serializer):
    # Both present when the file was read and refused; a missing file or a bad `organisation`
    # answers field errors only ({"file": [...]} / {"organisation": [...]}).
    file = serializers.ListField(child=serializers.CharField(), required=False)
    # a field named like Serializer.errors: DRF's metaclass moves it into the declared fields
    errors = ImportErrorSerializer(  # type: ignore[assignment]
        many=True, required=False, help_text="Every refused row, when the file was read."
    )


class ImportResultSerializer(serializers.Serializer):
    offers = serializers.ListField(child=serializers.IntegerField(), help_text="Ids of the created offers.")
    needs = serializers.ListField(child=serializers.IntegerField(), help_text="Ids of the created needs.")
    skipped_duplicates = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Rows (spreadsheet numbering) not written because they equal an active listing or an "
        "earlier row; send `confirm_duplicates=true` to write them.",
    )
