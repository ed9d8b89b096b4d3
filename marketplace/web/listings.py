"""Pages for a company's own offers and needs: list, create, edit, status, photos, detail.

Thin: tenant data through the access helpers, every write through the services, and a
service's refusal shown on the field it names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import services as account_services
from accounts.access import acting_organisation, int_or_none, member_organisation_ids
from accounts.errors import DomainError, ErrorCode, apply_domain_error
from accounts.models import Organisation

from .. import access, extensions, services, web_selectors
from ..forms import (
    NEW_SITE,
    NEW_SITE_PREFIX,
    RECIPE_PRESETS,
    RECIPE_RANGE_FIELDS,
    NeedForm,
    OfferForm,
    PhotoForm,
    material_units,
    recipe_shares_text,
)
from ..models import ListingStatus, Material, Need, Offer, Unit
from ..photos import MAX_PHOTOS_PER_LISTING
from . import page_of, safe_next


@dataclass(frozen=True)
class Kind:
    name: str  # "offer" or "need"
    model: type
    form: type
    access: Any
    create: Any
    update: Any
    set_status: Any

    @property
    def plural(self) -> str:
        return f"{self.name}s"

    def url(self, view: str, *args) -> str:
        return reverse(f"marketplace:{self.name}{view}", args=args)


KINDS = {
    "offer": Kind(
        "offer",
        Offer,
        OfferForm,
        access.access_offer,
        services.offer_create,
        services.offer_update,
        services.offer_set_status,
    ),
    "need": Kind(
        "need",
        Need,
        NeedForm,
        access.access_need,
        services.need_create,
        services.need_update,
        services.need_set_status,
    ),
}


def listing_url(listing) -> str:
    return reverse(
        "marketplace:offer" if isinstance(listing, Offer) else "marketplace:need", args=[listing.pk]
    )


def status_actions(listing) -> list[tuple[str, str]]:
    """The status buttons of a listing: exactly the moves of the services' one transition table
    (``services.STATUS_TRANSITIONS``), in the order the statuses are declared."""
    labels = {
        ListingStatus.ACTIVE: _("Resume") if listing.status == ListingStatus.PAUSED else _("Publish"),
        ListingStatus.PAUSED: _("Pause"),
        ListingStatus.CLOSED: _("Close"),
    }
    allowed = services.STATUS_TRANSITIONS[listing.status]
    return [(status, labels[status]) for status in ListingStatus if status in allowed]


def _acting_organisation(request) -> Organisation:
    """The organisation the user acts for: the one chosen (``?organisation=``), else their first."""
    chosen = int_or_none(request.GET.get("organisation") or request.POST.get("organisation"))
    return acting_organisation(request.user, chosen, or_first=True)


# --- My listings -----------------------------------------------------------------------------
@login_required
def my_listings(request):
    kind = request.GET.get("kind") if request.GET.get("kind") in web_selectors.KINDS else "offers"
    status = request.GET.get("status") if request.GET.get("status") in ListingStatus.values else ""
    listings = web_selectors.my_listing_list(user=request.user, kind=kind, status=status or None)
    page = page_of(request, listings)
    return render(
        request,
        "marketplace/my_listings.html",
        {
            "kind": kind,
            "status": status,
            "statuses": ListingStatus.choices,
            "page": page,
            "rows": [_row(listing) for listing in page.object_list],
            "counts": web_selectors.my_listing_counts(user=request.user),
        },
    )


def _row(listing) -> dict:
    return {
        "listing": listing,
        "url": listing_url(listing),
        "actions": status_actions(listing),
        "kind": "offer" if isinstance(listing, Offer) else "need",
        "materials": web_selectors.listing_materials(listing),
    }


@login_required
@require_POST
def listing_status(request, kind: str, pk: int):
    spec = KINDS[kind]
    listing = spec.access(request.user, pk, for_write=True)
    try:
        listing = spec.set_status(
            **{kind: listing}, actor=request.user, status=request.POST.get("status", "")
        )
    except DomainError as exc:
        if exc.code is ErrorCode.NOT_FOUND:
            raise
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(what)s is now %(status)s.")
            % {
                "what": _("The offer") if kind == "offer" else _("The need"),
                "status": listing.get_status_display().lower(),
            },
        )
    if request.htmx:
        listing = spec.access(request.user, pk, for_write=True)
        return render(
            request,
            "marketplace/partials/listing_row.html",
            {"row": _row(listing), "next": safe_next(request, reverse("marketplace:mine"))},
        )
    return redirect(safe_next(request, reverse("marketplace:mine")))


# --- Create and edit ---------------------------------------------------------------------------
def _initial(listing) -> dict:
    initial = {
        name: getattr(listing, name)
        for name in (
            "quantity",
            "unit",
            "period",
            "available_from",
            "available_until",
            "min_lot",
            "max_distance_km",
            "description",
        )
    }
    initial["site"] = str(listing.site_id)
    if isinstance(listing, Offer):
        initial["material"] = listing.material.key
        initial["current_destination"] = listing.current_destination
    else:
        initial["materials"] = [m.key for m in listing.materials.all()]
        recipe = listing.recipe or {}
        for key, (low, high) in RECIPE_RANGE_FIELDS.items():
            if recipe.get(key):
                initial[low], initial[high] = recipe[key]
        initial["recipe_shares"] = recipe_shares_text(recipe) or None
    return {key: value for key, value in initial.items() if value is not None}


def _preset_initial(request, kind: str) -> dict | None:
    """The need form's preset button (issue 13): the form as posted, with the preset's recipe
    fields filled in, shown again without saving (works without JavaScript)."""
    preset = RECIPE_PRESETS.get(request.POST.get("recipe_preset", "")) if kind == "need" else None
    if request.method != "POST" or preset is None:
        return None
    initial: dict[str, Any] = {
        key: request.POST.getlist(key) if key == "materials" else request.POST.get(key)
        for key in request.POST
        if key not in ("csrfmiddlewaretoken", "recipe_preset")
    }
    return {**initial, **preset}


def _save(form, spec: Kind, *, organisation: Organisation, user, listing=None):
    """Create or update the listing (and the new site, and the photos) all or nothing."""
    with transaction.atomic():
        site: Any = form.cleaned_data["site"]
        if site == NEW_SITE:
            try:
                site = account_services.site_create(
                    organisation=organisation, actor=user, **form.new_site_values()
                )
            except DomainError as exc:
                exc.field = f"{NEW_SITE_PREFIX}{exc.field or 'name'}"
                raise
        values = form.listing_values(site)
        if listing is None:
            status = ListingStatus.ACTIVE if form.cleaned_data.get("publish") else ListingStatus.DRAFT
            listing = spec.create(organisation=organisation, actor=user, status=status, **values)
        else:
            listing = spec.update(**{spec.name: listing}, actor=user, **values)
        for image in form.cleaned_data.get("photos") or []:
            try:
                services.listing_photo_add(listing=listing, actor=user, image=image, size=image.size)
            except DomainError as exc:
                if exc.field in (None, "image"):
                    exc.field = "photos"
                exc.message = f"{image.name}: {exc.message}"
                raise
    return listing


def _form_page(request, spec: Kind, form, *, organisation, listing=None, status: int = 200):
    sites = form.sites
    return render(
        request,
        "marketplace/listing_form.html",
        {
            "form": form,
            "kind": spec.name,
            "listing": listing,
            "organisation": organisation,
            "organisations": Organisation.objects.filter(
                id__in=member_organisation_ids(request.user)
            ).order_by("name"),
            "units": {
                "materials": material_units(form.materials),
                "labels": {value: str(label) for value, label in Unit.choices},
                "hint": _("Units that fit the chosen material: %(units)s"),
            },
            "sites_data": [
                {"id": s.pk, "name": s.name, "lat": float(s.latitude), "lon": float(s.longitude)}
                for s in sites
            ],
            "max_photos": MAX_PHOTOS_PER_LISTING,
            "photos": list(listing.photos.all()) if listing is not None else [],
        },
        status=status,
    )


@login_required
def listing_create(request, kind: str):
    spec = KINDS[kind]
    organisation = _acting_organisation(request)
    sites = organisation.sites.order_by("name", "id")
    preset = _preset_initial(request, kind)
    if preset is not None:
        form = spec.form(sites=sites, materials=Material.objects.all(), initial=preset)
        return _form_page(request, spec, form, organisation=organisation)
    form = spec.form(
        request.POST or None,
        request.FILES or None,
        sites=sites,
        materials=Material.objects.all(),
        initial={"site": str(sites[0].pk)} if sites else None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            listing = _save(form, spec, organisation=organisation, user=request.user)
        except DomainError as exc:
            if exc.code is ErrorCode.NOT_FOUND:
                raise
            apply_domain_error(form, exc)
        else:
            messages.success(
                request, _("Your offer is saved.") if kind == "offer" else _("Your need is saved.")
            )
            return redirect(listing_url(listing))
    status = 400 if form.is_bound and form.errors else 200
    return _form_page(request, spec, form, organisation=organisation, status=status)


@login_required
def listing_edit(request, kind: str, pk: int):
    spec = KINDS[kind]
    listing = spec.access(request.user, pk, for_write=True)
    organisation = listing.organisation
    sites = organisation.sites.order_by("name", "id")
    preset = _preset_initial(request, kind)
    if preset is not None:
        form = spec.form(sites=sites, materials=Material.objects.all(), initial=preset, editing=True)
        return _form_page(request, spec, form, organisation=organisation, listing=listing)
    form = spec.form(
        request.POST or None,
        request.FILES or None,
        sites=sites,
        materials=Material.objects.all(),
        initial=_initial(listing),
        editing=True,
    )
    if request.method == "POST" and form.is_valid():
        try:
            listing = _save(form, spec, organisation=organisation, user=request.user, listing=listing)
        except DomainError as exc:
            if exc.code is ErrorCode.NOT_FOUND:
                raise
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect(listing_url(listing))
    status = 400 if form.is_bound and form.errors else 200
    return _form_page(request, spec, form, organisation=organisation, listing=listing, status=status)


# --- Detail and photos ---------------------------------------------------------------------------
def _match_status(listing, user) -> dict | None:
    """Why the latest real run did (not) propose it (issue 14): owner and municipality only."""
    return extensions.match_status_of(listing, user=user)


def _detail(request, spec: Kind, listing, *, photo_form=None, status: int = 200):
    is_owner = listing.organisation_id in member_organisation_ids(request.user)
    location = web_selectors.listing_location(user=request.user, listing=listing)
    can_edit = is_owner and listing.status != ListingStatus.CLOSED
    return render(
        request,
        "marketplace/listing_detail.html",
        {
            "listing": listing,
            "kind": spec.name,
            "match_status": _match_status(listing, request.user),
            "is_owner": is_owner,
            "can_edit": can_edit,
            "location": location,
            "materials": web_selectors.listing_materials(listing),
            "photos": list(listing.photos.all()),
            "actions": status_actions(listing) if is_owner else [],
            "photo_form": (photo_form or PhotoForm()) if can_edit else None,
            "max_photos": MAX_PHOTOS_PER_LISTING,
            "map_data": {
                "lat": float(location.latitude),
                "lon": float(location.longitude),
                "exact": location.exact,
                "label": listing.organisation.name,
            },
        },
        status=status,
    )


@login_required
def listing_detail(request, kind: str, pk: int):
    spec = KINDS[kind]
    return _detail(request, spec, spec.access(request.user, pk))


@login_required
@require_POST
def photo_upload(request, kind: str, pk: int):
    spec = KINDS[kind]
    listing = spec.access(request.user, pk, for_write=True)
    form = PhotoForm(request.POST, request.FILES)
    if form.is_valid():
        image = form.cleaned_data["image"]
        try:
            services.listing_photo_add(
                listing=listing,
                actor=request.user,
                image=image,
                caption=form.cleaned_data["caption"],
                size=image.size,
            )
        except DomainError as exc:
            if exc.code is ErrorCode.NOT_FOUND:
                raise
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Photo added."))
            return redirect(listing_url(listing))
    listing = spec.access(request.user, pk, for_write=True)
    return _detail(request, spec, listing, photo_form=form, status=400)


@login_required
@require_POST
def photo_delete(request, kind: str, pk: int, photo_pk: int):
    spec = KINDS[kind]
    listing = spec.access(request.user, pk, for_write=True)
    photo = access.access_listing_photo(request.user, listing, photo_pk)
    services.listing_photo_delete(photo=photo, actor=request.user)
    messages.success(request, _("Photo deleted."))
    return redirect(safe_next(request, listing_url(listing)))


# --- Material search (htmx) ------------------------------------------------------------------------
MAX_OPTIONS = 60


@login_required
def material_options(request):
    """``<option>`` elements for the material select, matching ``q`` in any language or the EWC code.

    The options already chosen stay (a need may accept several materials); with exactly one match
    and nothing chosen yet, the single-material select picks it.
    """
    from ..forms import material_label
    from ..selectors import material_list

    multiple = request.GET.get("field") == "materials"
    selected = set(request.GET.getlist("materials" if multiple else "material")) - {""}
    matches = list(material_list(q=request.GET.get("q", ""))[:MAX_OPTIONS])
    chosen = [m for m in Material.objects.filter(key__in=selected) if m not in matches]
    materials = sorted([*chosen, *matches], key=lambda m: material_label(m).casefold())
    if not multiple and not selected and len(matches) == 1:
        selected = {matches[0].key}
    return render(
        request,
        "marketplace/partials/material_options.html",
        {
            "options": [(m.key, material_label(m), m.key in selected) for m in materials],
            "multiple": multiple,
            "empty": not matches,
        },
    )


def map_config(request):
    """The tile server and its attribution, for map pages whose view does not pass them."""
    from django.http import JsonResponse

    from marketplace.geo import map_settings

    return JsonResponse(map_settings())
