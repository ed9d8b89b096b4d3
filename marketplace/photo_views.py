"""Listing photos served through Django, with the listing's own visibility rule.

Photos are not public files: a draft listing's photos are its owner's, and in production the
media folder is not served by any web server. Stored names are random, the bytes re-encoded.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from .models import ListingPhoto
from .selectors import listing_is_visible


@require_GET
@login_required
@cache_control(private=True, max_age=3600)
def listing_photo(request, pk: int):
    photo = ListingPhoto.objects.select_related("offer", "need").filter(pk=pk).first()
    listing = (photo.offer or photo.need) if photo is not None else None
    if photo is None or listing is None or not listing_is_visible(request.user, listing):
        raise Http404
    try:
        handle = photo.image.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(handle, content_type="image/jpeg")
