"""The marketplace search: active offers or needs by material and distance, as a list and a map."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from accounts.errors import DomainError, apply_domain_error
from accounts.selectors import site_list_for

from .. import web_selectors
from ..forms import SearchForm
from ..models import ListingStatus, Material
from ..selectors import ListingFilters
from . import page_of
from .listings import listing_url

DEFAULT_RADIUS_KM = "50"


@login_required
def search(request):
    sites = list(site_list_for(user=request.user).order_by("organisation__name", "name", "id"))
    data = request.GET.copy()
    if not any(key in data for key in ("kind", "material", "category", "site", "radius_km")):
        # A first visit searches around the user's first site, so the page starts useful.
        data.update(
            {"kind": "offers", "site": str(sites[0].pk) if sites else "", "radius_km": DEFAULT_RADIUS_KM}
        )
    form = SearchForm(data, sites=sites, materials=Material.objects.all())
    page, points, origin, status = None, [], None, 200
    kind = "offers"
    if form.is_valid():
        kind = form.cleaned_data.get("kind") or "offers"
        site = form.site_obj()
        radius = form.cleaned_data.get("radius_km")
        near = (float(site.latitude), float(site.longitude)) if site and radius else None
        filters = ListingFilters(
            material=form.cleaned_data.get("material") or None,
            category=form.cleaned_data.get("category") or None,
            status=ListingStatus.ACTIVE,
            near=near,
            radius_km=float(radius) if near else None,
        )
        try:
            results = web_selectors.search_listings(user=request.user, kind=kind, filters=filters)
            page = page_of(request, results)
        except DomainError as exc:
            apply_domain_error(form, exc, mapping={"near": "site"})
            status = 400
        else:
            points = web_selectors.map_points(
                user=request.user, listings=page.object_list, url_for=listing_url
            )
            if near:
                origin = {
                    "lat": near[0],
                    "lon": near[1],
                    "name": site.name,
                    "radius_km": float(radius),
                    # The circle drawn: how far the road radius reaches as the crow flies.
                    "reach_km": float(radius) / web_selectors.search_circuity(),
                }
    else:
        status = 400
    rows = []
    if page is not None:
        for listing, point in zip(page.object_list, points, strict=True):
            rows.append(
                {
                    "listing": listing,
                    "url": point["url"],
                    "point": point,
                    "materials": web_selectors.listing_materials(listing),
                    "distance_km": web_selectors.search_road_km(
                        getattr(listing, "distance_km", None), exact=point["exact"]
                    ),
                }
            )
    return render(
        request,
        "marketplace/search.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "kind": kind,
            "has_sites": bool(sites),
            "circuity": web_selectors.search_circuity(),
            "map_data": {"points": points, "origin": origin},
        },
        status=status,
    )
