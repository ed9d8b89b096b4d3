"""Operator admin for the catalogue, factor sets, listings and photos.

Published factor sets are read-only here as everywhere: a number in a report must always be
traceable to the factors it used.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Factor, FactorSet, ListingPhoto, Material, MaterialRequest, Need, Offer, Storage


@admin.register(Material)
class MaterialAdmin(admin.ModelAdmin):
    list_display = ("name_en", "name_ru", "name_kk", "key", "category", "unit_basis", "ewc_code", "hazardous")
    list_filter = ("category", "unit_basis", "hazardous")
    search_fields = ("key", "name_en", "name_ru", "name_kk", "ewc_code")
    ordering = ("key",)


class FactorInline(admin.TabularInline):
    model = Factor
    extra = 0
    autocomplete_fields = ("material",)
    fields = (
        "material",
        "landfill_kg_per_t",
        "substitution_kg_per_t",
        "treatment_kg_per_t",
        "open_burning_kg_per_t",
        "incineration_kg_per_t",
        "notes",
    )

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and not (obj and obj.is_published)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not (obj and obj.is_published)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj and obj.is_published)


@admin.register(FactorSet)
class FactorSetAdmin(admin.ModelAdmin):
    list_display = ("version", "status", "is_active", "road_freight_kg_per_tkm", "gwp_ch4", "published_at")
    list_filter = ("status", "is_active")
    search_fields = ("version", "source_notes")
    inlines = (FactorInline,)
    # Status, activity and publication move only through factor_services (publish), never by hand.
    readonly_fields = (
        "status",
        "is_active",
        "based_on",
        "source_digest",
        "impact_method",
        "created_at",
        "created_by",
        "published_at",
        "published_by",
    )

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not (obj and obj.is_published)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj and obj.is_published)


@admin.register(Factor)
class FactorAdmin(admin.ModelAdmin):
    list_display = (
        "material",
        "factor_set",
        "landfill_kg_per_t",
        "substitution_kg_per_t",
        "treatment_kg_per_t",
        "open_burning_kg_per_t",
        "incineration_kg_per_t",
    )
    list_filter = ("factor_set", "material__category")
    search_fields = ("material__key", "material__name_en", "factor_set__version")
    list_select_related = ("material", "factor_set")
    autocomplete_fields = ("material",)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not (obj and obj.factor_set.is_published)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj and obj.factor_set.is_published)


class PhotoInline(admin.TabularInline):
    model = ListingPhoto
    extra = 0
    fields = ("image", "width", "height", "caption", "uploaded_by", "uploaded_at")
    readonly_fields = ("image", "width", "height", "uploaded_by", "uploaded_at")

    def has_add_permission(self, request, obj=None):
        # Uploads go through listing_photo_add (format check, re-encoding, EXIF removal).
        return False


LISTING_LIST = ("id", "organisation", "site", "quantity", "unit", "period", "status", "created_at")


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "organisation",
        "material",
        "quantity",
        "unit",
        "period",
        "current_destination",
        "status",
        "created_at",
    )
    list_filter = ("status", "period", "current_destination", "material__category", "organisation__verified")
    search_fields = ("organisation__name", "material__key", "material__name_en", "description", "site__name")
    list_select_related = ("organisation", "site", "material")
    autocomplete_fields = ("material",)
    raw_id_fields = ("organisation", "site", "created_by")
    date_hierarchy = "created_at"
    inlines = (PhotoInline,)


@admin.register(Need)
class NeedAdmin(admin.ModelAdmin):
    list_display = (*LISTING_LIST[:4], "materials_list", *LISTING_LIST[4:], "max_distance_km")
    list_filter = ("status", "period", "materials__category", "organisation__verified")
    search_fields = (
        "organisation__name",
        "materials__key",
        "materials__name_en",
        "description",
        "site__name",
    )
    list_select_related = ("organisation", "site")
    filter_horizontal = ("materials",)
    raw_id_fields = ("organisation", "site", "created_by")
    date_hierarchy = "created_at"
    inlines = (PhotoInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("materials")

    @admin.display(description=_("materials"))
    def materials_list(self, need: Need) -> str:
        return ", ".join(m.name for m in need.materials.all())


@admin.register(ListingPhoto)
class ListingPhotoAdmin(admin.ModelAdmin):
    list_display = ("id", "offer", "need", "width", "height", "caption", "uploaded_at")
    search_fields = ("caption", "offer__organisation__name", "need__organisation__name")
    list_filter = ("uploaded_at",)
    raw_id_fields = ("offer", "need", "uploaded_by")
    readonly_fields = ("image", "width", "height", "uploaded_by", "uploaded_at")

    def has_add_permission(self, request):
        return False


@admin.register(MaterialRequest)
class MaterialRequestAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "organisation", "status", "material", "created_at", "answered_at")
    list_filter = ("status",)
    search_fields = ("name", "description", "organisation__name")
    list_select_related = ("organisation", "material")
    raw_id_fields = ("organisation", "requested_by", "answered_by")
    autocomplete_fields = ("material",)
    # Answers go through material_request_answer (the municipality's page or the API), audited.
    readonly_fields = ("status", "answer", "material", "answered_by", "answered_at", "created_at")


@admin.register(Storage)
class StorageAdmin(admin.ModelAdmin):
    """Storage yards (issue 13)."""

    list_display = (
        "id",
        "organisation",
        "site",
        "capacity",
        "unit",
        "accept_automatically",
        "status",
        "created_at",
    )
    list_filter = ("status", "unit", "accept_automatically", "organisation__verified")
    search_fields = ("organisation__name", "materials__key", "description", "site__name")
    list_select_related = ("organisation", "site")
    filter_horizontal = ("materials",)
    raw_id_fields = ("organisation", "site", "created_by")
