"""A photo file lives exactly as long as its row: a rolled-back upload leaves no file behind."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from PIL import Image

from marketplace import services
from marketplace.models import ListingPhoto, Offer
from tests.marketplace.helpers import image_bytes, make_offer

pytestmark = pytest.mark.django_db


def stored_files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def add(persona, listing):
    data = image_bytes("JPEG")
    return services.listing_photo_add(
        listing=listing,
        actor=persona.user,
        image=SimpleUploadedFile("p.jpg", data, content_type="image/jpeg"),
        size=len(data),
    )


class Boom(Exception):
    pass


def test_a_photo_whose_transaction_rolls_back_leaves_no_file(brewery, catalogue, media_root):
    offer = make_offer(brewery)
    with pytest.raises(Boom), transaction.atomic():
        photo = add(brewery, offer)
        assert (media_root / photo.image.name).exists()  # written, not yet committed
        raise Boom
    assert not ListingPhoto.objects.exists()
    assert stored_files(media_root) == []


def test_a_committed_photo_keeps_its_file(brewery, catalogue, media_root, django_capture_on_commit_callbacks):
    offer = make_offer(brewery)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        photo = add(brewery, offer)
    assert callbacks  # the keep-on-commit callback ran, as a commit runs it
    assert (media_root / photo.image.name).is_file()
    assert stored_files(media_root) == [media_root / photo.image.name]


def _png(name: str) -> io.BytesIO:
    data = io.BytesIO()
    Image.new("RGB", (40, 30), (120, 90, 30)).save(data, format="PNG")
    data.seek(0)
    data.name = name
    return data


def test_a_form_whose_second_photo_is_bad_leaves_neither_listing_nor_files(
    client, brewery, catalogue, media_root
):
    bogus = io.BytesIO(b"not an image at all")
    bogus.name = "evil.png"
    client.force_login(brewery.user)
    response = client.post(
        reverse("marketplace:offer-create"),
        {
            "material": "brewers_spent_grain",
            "quantity": "40",
            "unit": "t",
            "period": "week",
            "current_destination": "landfill",
            "site": str(brewery.site.pk),
            "publish": "on",
            "photos": [_png("good.png"), bogus],
        },
    )
    assert response.status_code == 400
    assert Offer.objects.count() == 0 and ListingPhoto.objects.count() == 0
    assert stored_files(media_root) == []
