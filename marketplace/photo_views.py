"""Listing photos served through Django, with the listing's own visibility rule.

Photos are not public files: a draft listing's photos are its owner's, and in production the
media folder is not served by any web server. Stored names are random, the bytes re-encoded.
This is the one photo view: the API's ``photo.url`` (``listing-photo``) and the pages'
``marketplace:photo`` both route here.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from .models import ListingPhoto
from .selectors import listing_is_visible


@require_safe
@login_required
@cache_control(private=True, max_age=3600)
def listing_photo(request, pk: int):
    """A listing photo, served only to those who may see the listing (404 to everyone else)."""
    photo = ListingPhoto.objects.select_related("offer", "need").filter(pk=pk).first()
    listing = (photo.offer or photo.need) if photo is not None else None
    if photo is None or listing is None or not listing_is_visible(request.user, listing):
        raise Http404
    try:
        handle = photo.image.open("rb")
    except (FileNotFoundError, ValueError):  # the file is gone, or the row has none
        raise Http404 from None
    return FileResponse(handle, content_type="image/jpeg")
