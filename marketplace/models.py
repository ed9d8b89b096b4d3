"""Materials, versioned flow-factor sets, offers (residues) and needs (material demand)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    # The study's material types.
    BIOMASS = "biomass", _("Biomass")
    MINERALS = "minerals", _("Minerals")
    METALS = "metals", _("Metals")
    FOSSIL_FUELS = "fossil_fuels", _("Fossil fuels")
    OTHER = "other", _("Other")


class UnitBasis(models.TextChoices):
    TONNE = "t", _("tonnes (bulk)")
    CUBIC_METRE = "m3", _("cubic metres (bulk)")
    PIECE = "piece", _("pieces")


class Unit(models.TextChoices):
    TONNE = "t", _("t")
    KILOGRAM = "kg", _("kg")
    CUBIC_METRE = "m3", _("m³")
    PIECE = "piece", _("pieces")


class Period(models.TextChoices):
    ONCE = "once", _("once")
    WEEK = "week", _("per week")
    MONTH = "month", _("per month")
    YEAR = "year", _("per year")


class Destination(models.TextChoices):
    LANDFILL = "landfill", _("Landfill")
    OPEN_BURNING = "open_burning", _("Open burning")
    INCINERATION = "incineration", _("Incineration")
    OTHER_USE = "other_use", _("Other use")
    UNKNOWN = "unknown", _("Unknown")


class MatchReason(models.TextChoices):
    """Why the latest real run did (not) propose a listing (issue 14; matching writes it, the
    listing pages show it, so the vocabulary lives with the listings)."""

    MATCHED = "matched", _("Matched")
    PARTLY_MATCHED = "partly_matched", _("Partly matched")
    NO_COUNTERPART_IN_RADIUS = "no_counterpart_in_radius", _("No counterpart within reach")
    WINDOWS_DO_NOT_OVERLAP = "windows_do_not_overlap", _("Availability windows do not overlap")
    DECLINED_BY_COUNTERPART = "declined_by_counterpart", _("Declined by the counterpart")
    OUTCOMPETED = "outcompeted", _("Outcompeted")
    RECIPE_OUT_OF_REACH = "recipe_out_of_reach", _("Recipe out of reach")
    ORGANISATION_UNVERIFIED = "organisation_unverified", _("Organisation not verified")
    NOT_ACTIVE = "not_active", _("Not active")


class ListingStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    CLOSED = "closed", _("Closed")


class Material(models.Model):
    key = models.SlugField(_("key"), max_length=60, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_ru = models.CharField(_("name (Russian)"), max_length=200)
    name_kk = models.CharField(_("name (Kazakh)"), max_length=200)
    ewc_code = models.CharField(_("EWC code"), max_length=12)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    unit_basis = models.CharField(_("unit basis"), max_length=5, choices=UnitBasis.choices)
    mass_per_piece_t = models.DecimalField(
        _("mass per piece (t)"), max_digits=12, decimal_places=6, null=True, blank=True
    )
    density_t_per_m3 = models.DecimalField(
        _("bulk density (t/m³)"), max_digits=8, decimal_places=4, null=True, blank=True
    )
    hazardous = models.BooleanField(_("hazardous"), default=False)
    substituted_virgin_material = models.CharField(_("virgin material displaced"), max_length=300, blank=True)
    # Blend and storage properties (material-properties.csv); empty: not known / not a feedstock.
    moisture_pct = models.DecimalField(
        _("moisture (wet-mass %)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    nitrogen_pct_dry = models.DecimalField(
        _("nitrogen (dry-matter %)"), max_digits=6, decimal_places=3, null=True, blank=True
    )
    c_to_n = models.DecimalField(_("C:N ratio"), max_digits=8, decimal_places=2, null=True, blank=True)
    max_storage_days = models.PositiveIntegerField(
        _("maximum storage (days)"), null=True, blank=True, help_text=_("Empty: storable without limit.")
    )
    properties_source = models.TextField(_("source of the properties"), blank=True)

    class Meta:
        ordering = ["key"]
        verbose_name = _("material")
        verbose_name_plural = _("materials")
        constraints = [
            models.CheckConstraint(condition=Q(category__in=Category.values), name="material_category_valid"),
            models.CheckConstraint(
                condition=Q(unit_basis__in=UnitBasis.values), name="material_unit_basis_valid"
            ),
            models.CheckConstraint(
                condition=~Q(unit_basis=UnitBasis.PIECE) | Q(mass_per_piece_t__gt=0),
                name="material_piece_has_mass",
            ),
            models.CheckConstraint(
                condition=Q(density_t_per_m3__isnull=True) | Q(density_t_per_m3__gt=0),
                name="material_density_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """The name in the active language (en, ru, kk), English otherwise."""
        lang = (get_language() or "en")[:2]
        return getattr(self, f"name_{lang}", None) or self.name_en

    @property
    def substitute(self) -> str:
        """What it replaces, in the active language (``marketplace.substitute_names``)."""
        from .substitute_names import substitute_name

        return substitute_name(self.key, self.substituted_virgin_material)

    @property
    def is_piece(self) -> bool:
        return self.unit_basis == UnitBasis.PIECE

    @property
    def has_blend_properties(self) -> bool:
        """Moisture, nitrogen and C:N are all known: the material can enter a quality bound."""
        return None not in (self.moisture_pct, self.nitrogen_pct_dry, self.c_to_n)


class ImpactMethod(models.IntegerChoices):
    LANDFILL_ONLY = 1, _("1: landfill baseline only; supply already in other use earns substitution")
    FATE_BASELINES = 2, _("2: a baseline for every fate; no substitution for supply already in other use")


class FactorSet(models.Model):
    """A versioned, citable table of emission factors. Immutable once published.

    Exactly one published set is active at a time (a partial unique constraint). Every run,
    proposal, deal and report records the set it used.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    version = models.CharField(_("version"), max_length=40, unique=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    is_active = models.BooleanField(_("active"), default=False)
    based_on = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    road_freight_kg_per_tkm = models.DecimalField(
        _("road freight (kg CO₂e per t·km)"), max_digits=10, decimal_places=6
    )
    road_freight_source = models.TextField(_("road freight source"), blank=True)
    gwp_ch4 = models.DecimalField(_("GWP of CH₄"), max_digits=8, decimal_places=3)
    gwp_basis = models.CharField(_("GWP basis"), max_length=200, blank=True)
    landfill_method = models.TextField(_("landfill method"), blank=True)
    source_notes = models.TextField(_("sources and notes"), blank=True)
    # The arithmetic the set's impacts follow (matching.impact.IMPACT_METHODS): sets published
    # before fate baselines keep method 1, so their stored impacts still recompute exactly.
    impact_method = models.PositiveSmallIntegerField(
        _("impact method"), choices=ImpactMethod.choices, default=ImpactMethod.FATE_BASELINES
    )
    # SHA-256 of the imported files, so importing the same data twice is a no-op.
    source_digest = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("flow-factor set")
        verbose_name_plural = _("flow-factor sets")
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="factor_set_one_active"
            ),
            models.CheckConstraint(
                condition=~Q(is_active=True) | Q(status="published"), name="factor_set_active_is_published"
            ),
            models.CheckConstraint(
                condition=Q(road_freight_kg_per_tkm__gte=0), name="factor_set_freight_nonneg"
            ),
            models.CheckConstraint(condition=Q(gwp_ch4__gt=0), name="factor_set_gwp_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.version} ({self.get_status_display()})"

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED


class Factor(models.Model):
    """One material's factors within a set (kg CO₂e per tonne)."""

    factor_set = models.ForeignKey(FactorSet, on_delete=models.CASCADE, related_name="factors")
    material = models.ForeignKey(Material, on_delete=models.PROTECT, related_name="factors")
    landfill_kg_per_t = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    substitution_kg_per_t = models.DecimalField(max_digits=12, decimal_places=4, default=Decimal(0))
    treatment_kg_per_t = models.DecimalField(max_digits=12, decimal_places=4, default=Decimal(0))
    # Baselines other than landfill: counted only when the set states a factor (never the landfill one).
    open_burning_kg_per_t = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    incineration_kg_per_t = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    source_landfill = models.TextField(blank=True)
    source_substitution = models.TextField(blank=True)
    # Where the open-burning and incineration factors come from (fate-factors.csv's source).
    source_fates = models.TextField(blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["factor_set_id", "material__key"]
        verbose_name = _("flow factor")
        verbose_name_plural = _("flow factors")
        constraints = [
            models.UniqueConstraint(fields=["factor_set", "material"], name="factor_unique_per_set"),
            models.CheckConstraint(
                condition=Q(substitution_kg_per_t__gte=0) & Q(treatment_kg_per_t__gte=0),
                name="factor_nonnegative",
            ),
            models.CheckConstraint(
                condition=(Q(open_burning_kg_per_t__isnull=True) | Q(open_burning_kg_per_t__gte=0))
                & (Q(incineration_kg_per_t__isnull=True) | Q(incineration_kg_per_t__gte=0)),
                name="factor_fates_nonnegative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.material.key} @ {self.factor_set.version}"


class Listing(models.Model):
    """What offers and needs share."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="%(class)ss"
    )
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="%(class)ss")
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3)
    unit = models.CharField(_("unit"), max_length=5, choices=Unit.choices)
    period = models.CharField(_("period"), max_length=5, choices=Period.choices, default=Period.YEAR)
    available_from = models.DateField(_("available from"), null=True, blank=True)
    available_until = models.DateField(_("available until"), null=True, blank=True)
    min_lot = models.DecimalField(_("minimum lot"), max_digits=14, decimal_places=3, null=True, blank=True)
    max_distance_km = models.DecimalField(
        _("maximum distance (km)"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    description = models.TextField(_("description and quality notes"), blank=True, max_length=4000)
    status = models.CharField(
        _("status"), max_length=10, choices=ListingStatus.choices, default=ListingStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]

    @staticmethod
    def shared_constraints(prefix: str) -> list[models.BaseConstraint]:
        return [
            models.CheckConstraint(condition=Q(quantity__gt=0), name=f"{prefix}_quantity_positive"),
            models.CheckConstraint(condition=Q(unit__in=Unit.values), name=f"{prefix}_unit_valid"),
            models.CheckConstraint(condition=Q(period__in=Period.values), name=f"{prefix}_period_valid"),
            models.CheckConstraint(
                condition=Q(status__in=ListingStatus.values), name=f"{prefix}_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(min_lot__isnull=True) | (Q(min_lot__gt=0) & Q(min_lot__lte=F("quantity"))),
                name=f"{prefix}_min_lot_range",
            ),
            models.CheckConstraint(
                condition=Q(available_from__isnull=True)
                | Q(available_until__isnull=True)
                | Q(available_from__lte=F("available_until")),
                name=f"{prefix}_window_in_order",
            ),
            models.CheckConstraint(
                condition=Q(max_distance_km__isnull=True)
                | (Q(max_distance_km__gt=0) & Q(max_distance_km__lte=1000)),
                name=f"{prefix}_max_distance_range",
            ),
        ]


class Offer(Listing):
    """A residue output a company offers."""

    material = models.ForeignKey(Material, on_delete=models.PROTECT, related_name="offers")
    current_destination = models.CharField(
        _("current destination"), max_length=20, choices=Destination.choices, default=Destination.LANDFILL
    )

    class Meta(Listing.Meta):
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        constraints = [
            *Listing.shared_constraints("offer"),
            models.CheckConstraint(
                condition=Q(current_destination__in=Destination.values), name="offer_destination_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "material"], name="offer_status_material_idx"),
            # Lists are newest first: the index lets a page stop after its rows instead of sorting all.
            models.Index(fields=["-created_at", "-id"], name="offer_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"Offer #{self.pk}: {self.quantity} {self.unit} {self.material.key}"


class Need(Listing):
    """A material demand: accepts one or more bulk materials, or exactly one piece material."""

    materials = models.ManyToManyField(Material, related_name="needs")
    # A blend (issue 13): {"shares": [{"material", "min", "max"}], "c_to_n": [lo, hi],
    # "moisture_pct": [lo, hi]}; decimals as strings; null: no recipe (listing_rules.clean_recipe).
    recipe = models.JSONField(_("recipe"), null=True, blank=True)

    class Meta(Listing.Meta):
        verbose_name = _("need")
        verbose_name_plural = _("needs")
        constraints = [
            *Listing.shared_constraints("need"),
            models.CheckConstraint(
                condition=Q(max_distance_km__isnull=False), name="need_max_distance_required"
            ),
        ]
        indexes = [
            models.Index(fields=["status"], name="need_status_idx"),
            models.Index(fields=["-created_at", "-id"], name="need_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"Need #{self.pk}: {self.quantity} {self.unit}"


class StorageUnit(models.TextChoices):
    TONNE = "t", _("t")
    PIECE = "piece", _("pieces")


class Storage(models.Model):
    """A storage yard (issue 13): a listing kind where materials may wait between periods."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="storages"
    )
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="storages")
    materials = models.ManyToManyField(Material, related_name="storages")
    capacity = models.DecimalField(_("capacity"), max_digits=14, decimal_places=3)
    unit = models.CharField(_("unit"), max_length=5, choices=StorageUnit.choices, default=StorageUnit.TONNE)
    available_from = models.DateField(_("available from"), null=True, blank=True)
    available_until = models.DateField(_("available until"), null=True, blank=True)
    handling_kg_co2e_per_t = models.DecimalField(
        _("handling (kg CO₂e per t)"), max_digits=10, decimal_places=3, null=True, blank=True
    )
    handling_cost_kzt_per_t = models.DecimalField(
        _("handling cost (KZT per t)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    accept_automatically = models.BooleanField(
        _("accept flows automatically"),
        default=False,
        help_text=_("Flows through this yard need no acceptance by its owner."),
    )
    description = models.TextField(_("description"), blank=True, max_length=4000)
    status = models.CharField(
        _("status"), max_length=10, choices=ListingStatus.choices, default=ListingStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("storage yard")
        verbose_name_plural = _("storage yards")
        constraints = [
            models.CheckConstraint(condition=Q(capacity__gt=0), name="storage_capacity_positive"),
            models.CheckConstraint(condition=Q(unit__in=StorageUnit.values), name="storage_unit_valid"),
            models.CheckConstraint(condition=Q(status__in=ListingStatus.values), name="storage_status_valid"),
            models.CheckConstraint(
                condition=Q(available_from__isnull=True)
                | Q(available_until__isnull=True)
                | Q(available_from__lte=F("available_until")),
                name="storage_window_in_order",
            ),
            models.CheckConstraint(
                condition=(Q(handling_kg_co2e_per_t__isnull=True) | Q(handling_kg_co2e_per_t__gte=0))
                & (Q(handling_cost_kzt_per_t__isnull=True) | Q(handling_cost_kzt_per_t__gte=0)),
                name="storage_handling_nonnegative",
            ),
        ]
        indexes = [models.Index(fields=["status"], name="storage_status_idx")]

    def __str__(self) -> str:
        return f"Storage #{self.pk}: {self.capacity} {self.unit}"


def listing_photo_path(instance: ListingPhoto, filename: str) -> str:
    owner = f"offer-{instance.offer_id}" if instance.offer_id else f"need-{instance.need_id}"
    return f"listings/{owner}/{filename}"


class ListingPhoto(models.Model):
    """A photo of an offer or a need; stored re-encoded, without EXIF."""

    offer = models.ForeignKey(Offer, null=True, blank=True, on_delete=models.CASCADE, related_name="photos")
    need = models.ForeignKey(Need, null=True, blank=True, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to=listing_photo_path, width_field="width", height_field="height")
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    caption = models.CharField(max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("listing photo")
        verbose_name_plural = _("listing photos")
        constraints = [
            models.CheckConstraint(
                condition=(Q(offer__isnull=False) & Q(need__isnull=True))
                | (Q(offer__isnull=True) & Q(need__isnull=False)),
                name="photo_belongs_to_one_listing",
            ),
        ]

    def __str__(self) -> str:
        owner = f"offer #{self.offer_id}" if self.offer_id else f"need #{self.need_id}"
        return f"Photo #{self.pk} of {owner}"


class MaterialRequestStatus(models.TextChoices):
    OPEN = "open", _("Waiting for the municipality")
    ADDED = "added", _("Added to the catalogue")
    ANSWERED = "answered", _("Answered")


class MaterialRequest(models.Model):
    """A company asks for a material that is not in the catalogue; the municipality answers.

    The answer is text, and names the catalogue material to use when there is one (added for the
    request, or one that already fits).
    """

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="material_requests"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(_("material"), max_length=200)
    description = models.TextField(_("what it is, how much, how often"), blank=True, max_length=2000)
    status = models.CharField(
        _("status"), max_length=10, choices=MaterialRequestStatus.choices, default=MaterialRequestStatus.OPEN
    )
    answer = models.TextField(_("answer"), blank=True, max_length=2000)
    material = models.ForeignKey(
        Material, null=True, blank=True, on_delete=models.PROTECT, related_name="requests"
    )
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("material request")
        verbose_name_plural = _("material requests")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=MaterialRequestStatus.values), name="material_request_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Material request #{self.pk}: {self.name} ({self.status})"
