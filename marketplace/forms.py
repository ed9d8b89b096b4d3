"""Forms for marketplace pages. They parse input; the services decide, exactly as for the API.

Field names match the services' keyword arguments, so a :class:`accounts.errors.DomainError`
naming a field lands on that field of the form (see :func:`accounts.errors.apply_domain_error`).
"""

from __future__ import annotations

from typing import cast

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import District, Organisation
from config.strict import StrictDecimalField

from . import importers
from .listing_rules import allowed_units
from .models import Category, Destination, Material, Period, StorageUnit, Unit
from .photos import MAX_PHOTOS_PER_LISTING

NEW_SITE = "new"
#: Prefix of the fields that describe a site created from a listing form.
NEW_SITE_PREFIX = "new_site_"


def material_label(material: Material) -> str:
    """The name in the active language with the European Waste Catalogue code."""
    return f"{material.name} ({material.ewc_code})" if material.ewc_code else material.name


def material_choices(materials) -> list[tuple[str, str]]:
    return sorted(((m.key, material_label(m)) for m in materials), key=lambda choice: choice[1].casefold())


def material_units(materials) -> dict[str, list[str]]:
    """Which units fit each material, for the form's script (the services check it again)."""
    return {m.key: list(allowed_units(m)) for m in materials}


class ListingImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV or XLSX file"),
        help_text=_("At most 2 MB and 5,000 rows. Nothing is imported unless every row is valid."),
    )
    organisation: forms.ModelChoiceField[Organisation] = forms.ModelChoiceField(
        queryset=None, label=_("Organisation"), required=False
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        if organisations.count() <= 1:
            del self.fields["organisation"]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > importers.MAX_IMPORT_BYTES:
            raise forms.ValidationError(_("The file is larger than 2 MB."))
        return upload


class MultipleImageInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    """Several image files in one input; each one is checked by the photo service."""

    widget = MultipleImageInput

    def clean(self, data, initial=None):
        if isinstance(data, (list, tuple)):
            return [super(MultipleImageField, self).clean(item, initial) for item in data if item]
        return [super().clean(data, initial)] if data else []


def _date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _photos_help_text() -> str:
    return gettext("JPEG, PNG or WebP, at most 5 MB each and %(count)d per listing.") % {
        "count": MAX_PHOTOS_PER_LISTING
    }


# Formatted when shown, in the reader's language: ``gettext_lazy(...) % values`` would be
# rendered once, in the language active when this module was imported.
_photos_help = lazy(_photos_help_text, str)


class ListingForm(forms.Form):
    """What offers and needs share; the subclasses add the material field(s)."""

    site = forms.ChoiceField(label=_("Site"))
    new_site_name = forms.CharField(label=_("Name of the new site"), max_length=200, required=False)
    new_site_address = forms.CharField(label=_("Address of the new site"), max_length=300, required=False)
    new_site_latitude = StrictDecimalField(
        label=_("Latitude"),
        required=False,
        max_digits=9,
        decimal_places=6,
        widget=forms.NumberInput(attrs={"step": "0.000001"}),
    )
    new_site_longitude = StrictDecimalField(
        label=_("Longitude"),
        required=False,
        max_digits=10,
        decimal_places=6,
        widget=forms.NumberInput(attrs={"step": "0.000001"}),
    )
    new_site_district = forms.ChoiceField(
        label=_("District"), choices=District.choices, initial=District.OTHER, required=False
    )
    quantity = StrictDecimalField(
        label=_("Quantity"),
        max_digits=14,
        decimal_places=3,
        min_value=0.001,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    unit = forms.ChoiceField(label=_("Unit"), choices=Unit.choices)
    period = forms.ChoiceField(label=_("Period"), choices=Period.choices, initial=Period.YEAR)
    available_from = forms.DateField(
        label=_("Available from"),
        required=False,
        widget=_date_input(),
        help_text=_("Leave the window open for “always”."),
    )
    available_until = forms.DateField(label=_("Available until"), required=False, widget=_date_input())
    min_lot = StrictDecimalField(
        label=_("Minimum lot"),
        required=False,
        max_digits=14,
        decimal_places=3,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
        help_text=_("The smallest quantity worth a trip, in the same unit."),
    )
    max_distance_km = StrictDecimalField(
        label=_("Maximum transport distance (km)"),
        required=False,
        max_digits=7,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    description = forms.CharField(
        label=_("Description and quality notes"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    photos = MultipleImageField(
        label=_("Photos"),
        required=False,
        widget=MultipleImageInput(
            attrs={"accept": "image/jpeg,image/png,image/webp", "data-photo-preview": ""}
        ),
        help_text=_photos_help(),
    )
    publish = forms.BooleanField(
        label=_("Publish now (otherwise it is saved as a draft)"), required=False, initial=True
    )

    site_fields = (
        "new_site_name",
        "new_site_address",
        "new_site_latitude",
        "new_site_longitude",
        "new_site_district",
    )

    def __init__(self, *args, sites, materials, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.sites = list(sites)
        self.editing = editing
        choices = [(str(site.pk), site.name) for site in self.sites]
        choices.append((NEW_SITE, _("A new site — click its place on the map")))
        cast(forms.ChoiceField, self.fields["site"]).choices = choices
        if not self.sites:
            self.fields["site"].initial = NEW_SITE
        self.materials = list(materials)
        if editing:
            del self.fields["publish"]

    @property
    def wants_new_site(self) -> bool:
        return self.cleaned_data.get("site") == NEW_SITE

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("site") == NEW_SITE:
            if not (cleaned.get("new_site_name") or "").strip():
                self.add_error("new_site_name", _("Name the new site."))
            for coordinate in ("new_site_latitude", "new_site_longitude"):
                if cleaned.get(coordinate) is None and coordinate not in self.errors:
                    self.add_error(
                        coordinate, _("Click the site's place on the map, or type its coordinates.")
                    )
        return cleaned

    def new_site_values(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data.get("new_site_name") or "",
            "address": data.get("new_site_address") or "",
            "latitude": data.get("new_site_latitude"),
            "longitude": data.get("new_site_longitude"),
            "district": data.get("new_site_district") or District.OTHER,
        }

    def listing_values(self, site) -> dict:
        """The services' keyword arguments (site already resolved)."""
        data = self.cleaned_data
        values = {
            name: data.get(name)
            for name in (
                "quantity",
                "unit",
                "period",
                "available_from",
                "available_until",
                "min_lot",
                "max_distance_km",
            )
        }
        values["description"] = data.get("description") or ""
        values["site"] = site
        return values


class OfferForm(ListingForm):
    material = forms.ChoiceField(label=_("Material"))
    current_destination = forms.ChoiceField(
        label=_("Where does it go today?"),
        choices=Destination.choices,
        initial=Destination.LANDFILL,
        help_text=_("Avoided emissions are counted against this baseline only."),
    )

    field_order = ["material", "quantity", "unit", "period", "current_destination", "site"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["material"].choices = [
            ("", _("— choose a material —")),
            *material_choices(self.materials),
        ]
        self.fields["max_distance_km"].help_text = _("Optional: how far you would let it travel.")

    def listing_values(self, site) -> dict:
        values = super().listing_values(site)
        values["material"] = self.cleaned_data["material"]
        values["current_destination"] = self.cleaned_data["current_destination"]
        return values


def _recipe_number(label, **kwargs):
    return StrictDecimalField(
        label=label,
        required=False,
        max_digits=9,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
        **kwargs,
    )


#: The recipe fields of the need form, and the preset button's values (the study's compost).
RECIPE_RANGE_FIELDS = {
    "c_to_n": ("recipe_c_to_n_min", "recipe_c_to_n_max"),
    "moisture_pct": ("recipe_moisture_min", "recipe_moisture_max"),
}
RECIPE_PRESETS = {
    "compost": {
        "recipe_c_to_n_min": "25",
        "recipe_c_to_n_max": "30",
        "recipe_moisture_min": "50",
        "recipe_moisture_max": "60",
    }
}


def recipe_shares_text(recipe: dict | None) -> str:
    """``material min max`` lines of a stored recipe's shares (the need form's text box)."""
    return "\n".join(
        f"{row['material']} {row['min']} {row['max']}" for row in (recipe or {}).get("shares", [])
    )


class NeedForm(ListingForm):
    # a field named like ListingForm.materials (the catalogue): the form metaclass moves it into
    # base_fields, so the two never meet at run time
    materials = forms.MultipleChoiceField(  # type: ignore[assignment]
        label=_("Materials you accept"),
        help_text=_(
            "Several bulk materials, or exactly one counted in pieces. Hold Ctrl (⌘) to choose several."
        ),
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )

    # A blend (issue 13): quality ranges of the received mix and shares of its materials.
    recipe_c_to_n_min = _recipe_number(_("C:N from"))
    recipe_c_to_n_max = _recipe_number(_("C:N to"))
    recipe_moisture_min = _recipe_number(_("Moisture from (%)"))
    recipe_moisture_max = _recipe_number(_("Moisture to (%)"))
    recipe_shares = forms.CharField(
        label=_("Shares of the mix"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "straw 0.2 0.6"}),
        help_text=_(
            "One line per material: its key, then the smallest and largest share (0–1) of what you receive."
        ),
    )

    field_order = ["materials", "quantity", "unit", "period", "max_distance_km", "site"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["materials"].choices = material_choices(self.materials)
        field = self.fields["max_distance_km"]
        field.required = True
        field.label = _("Collection radius (km)")
        field.help_text = _("How far from your site you would collect or accept deliveries.")

    def clean(self):
        cleaned = super().clean()
        for low, high in RECIPE_RANGE_FIELDS.values():
            if self.errors.get(low) or self.errors.get(high):
                continue  # the field's own error says what is wrong with it
            if (cleaned.get(low) is None) != (cleaned.get(high) is None):
                self.add_error(high if cleaned.get(high) is None else low, _("Give both ends of the range."))
        shares = []
        for number, line in enumerate((cleaned.get("recipe_shares") or "").splitlines(), start=1):
            parts = line.replace(",", " ").split()
            if not parts:
                continue
            if len(parts) != 3:
                self.add_error(
                    "recipe_shares",
                    _("Line %(n)d: a material key, then the smallest and largest share.") % {"n": number},
                )
                continue
            shares.append({"material": parts[0], "min": parts[1], "max": parts[2]})
        self.shares = shares
        return cleaned

    def recipe_value(self) -> dict | None:
        """The recipe for the service (``marketplace.recipes`` checks it), or ``None``."""
        data = self.cleaned_data
        recipe: dict = {}
        for key, (low, high) in RECIPE_RANGE_FIELDS.items():
            if data.get(low) is not None and data.get(high) is not None:
                recipe[key] = [str(data[low]), str(data[high])]
        if getattr(self, "shares", None):
            recipe["shares"] = self.shares
        return recipe or None

    def listing_values(self, site) -> dict:
        values = super().listing_values(site)
        values["materials"] = list(self.cleaned_data["materials"])
        values["recipe"] = self.recipe_value()
        return values


class PhotoForm(forms.Form):
    image = forms.ImageField(
        label=_("Photo"),
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp", "data-photo-preview": ""}
        ),
        help_text=_("JPEG, PNG or WebP, at most 5 MB."),
    )
    caption = forms.CharField(label=_("Caption"), max_length=200, required=False)


class SearchForm(forms.Form):
    """The marketplace search: what, and how far from which of my sites."""

    KIND_CHOICES = (("offers", _("Offers (residues available)")), ("needs", _("Needs (materials wanted)")))

    kind = forms.ChoiceField(label=_("Looking for"), choices=KIND_CHOICES, initial="offers", required=False)
    material = forms.ChoiceField(label=_("Material"), required=False)
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=[("", _("Any category")), *Category.choices]
    )
    site = forms.ChoiceField(label=_("From my site"), required=False)
    radius_km = StrictDecimalField(
        label=_("Within (km)"),
        required=False,
        min_value=1,
        max_value=1000,
        decimal_places=2,
        initial=50,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )

    def __init__(self, *args, sites, materials, **kwargs):
        super().__init__(*args, **kwargs)
        self.sites = list(sites)
        self.fields["material"].choices = [("", _("Any material")), *material_choices(materials)]
        self.fields["site"].choices = [("", _("Anywhere")), *[(str(s.pk), s.name) for s in self.sites]]

    def site_obj(self):
        value = self.cleaned_data.get("site")
        return next((s for s in self.sites if str(s.pk) == value), None)


class FactorSetCopyForm(forms.Form):
    version = forms.CharField(
        label=_("Version of the new draft"),
        max_length=40,
        help_text=_("For example 2026.1 — it is cited by every run that uses it."),
    )


FACTOR_NUMBER_FIELDS = (
    "landfill_kg_per_t",
    "substitution_kg_per_t",
    "treatment_kg_per_t",
    "open_burning_kg_per_t",
    "incineration_kg_per_t",
)


def _factor_number(label, *, required: bool):
    return StrictDecimalField(
        label=label,
        required=required,
        max_digits=12,
        decimal_places=4,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )


class FactorForm(forms.Form):
    landfill_kg_per_t = _factor_number(_("Landfill (kg CO₂e/t)"), required=False)
    substitution_kg_per_t = _factor_number(_("Substitution (kg CO₂e/t)"), required=True)
    treatment_kg_per_t = _factor_number(_("Treatment (kg CO₂e/t)"), required=True)
    open_burning_kg_per_t = _factor_number(_("Open burning (kg CO₂e/t)"), required=False)
    incineration_kg_per_t = _factor_number(_("Incineration (kg CO₂e/t)"), required=False)
    source_landfill = forms.CharField(
        label=_("Source of the landfill factor"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    source_substitution = forms.CharField(
        label=_("Source of the substitution factor"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    source_fates = forms.CharField(
        label=_("Source of the open-burning and incineration factors"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class FactorSetForm(forms.Form):
    road_freight_kg_per_tkm = StrictDecimalField(
        label=_("Road freight (kg CO₂e per t·km)"), max_digits=10, decimal_places=6
    )
    road_freight_source = forms.CharField(
        label=_("Source of the road-freight factor"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    gwp_ch4 = StrictDecimalField(label=_("GWP of CH₄"), max_digits=8, decimal_places=3)
    gwp_basis = forms.CharField(label=_("GWP basis"), max_length=200, required=False)
    landfill_method = forms.CharField(
        label=_("Landfill method"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    source_notes = forms.CharField(
        label=_("Sources and notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class StorageForm(forms.Form):
    """A storage yard (issue 13); the storage service decides, as for the API."""

    site = forms.ChoiceField(label=_("Site"))
    materials = forms.MultipleChoiceField(
        label=_("Materials it stores"),
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_(
            "A yard counted in tonnes holds any of these by mass (panels at their catalogue weight); "
            "one counted in pieces holds piece materials only (panels, beams…)."
        ),
    )
    capacity = StrictDecimalField(
        label=_("Capacity"),
        max_digits=14,
        decimal_places=3,
        min_value=0.001,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
        help_text=_("How much it holds at once."),
    )
    unit = forms.ChoiceField(label=_("Unit"), choices=StorageUnit.choices, initial=StorageUnit.TONNE)
    available_from = forms.DateField(label=_("Available from"), required=False, widget=_date_input())
    available_until = forms.DateField(label=_("Available until"), required=False, widget=_date_input())
    handling_kg_co2e_per_t = StrictDecimalField(
        label=_("Handling (kg CO₂e per t)"),
        required=False,
        max_digits=10,
        decimal_places=3,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    handling_cost_kzt_per_t = StrictDecimalField(
        label=_("Handling cost (KZT per t)"),
        required=False,
        max_digits=14,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    accept_automatically = forms.BooleanField(
        label=_("Accept flows through this yard automatically"), required=False
    )
    description = forms.CharField(
        label=_("Description"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    publish = forms.BooleanField(
        label=_("Publish now (otherwise it is saved as a draft)"), required=False, initial=True
    )

    VALUE_FIELDS = (
        "materials",
        "capacity",
        "unit",
        "available_from",
        "available_until",
        "handling_kg_co2e_per_t",
        "handling_cost_kzt_per_t",
        "accept_automatically",
        "description",
    )

    def __init__(self, *args, sites, materials, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["site"]).choices = [(str(s.pk), s.name) for s in sites]
        cast(forms.MultipleChoiceField, self.fields["materials"]).choices = material_choices(materials)
        if editing:
            del self.fields["publish"]

    def storage_values(self) -> dict:
        data = self.cleaned_data
        values = {name: data.get(name) for name in self.VALUE_FIELDS}
        values["materials"] = list(data["materials"])
        values["description"] = data.get("description") or ""
        values["accept_automatically"] = bool(data.get("accept_automatically"))
        values["site"] = data["site"]
        return values
