"""Photos are served by the app with the listing's visibility rule, in production too."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests import factories as f

pytestmark = pytest.mark.django_db


def jpeg() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (30, 120, 70)).save(buffer, "JPEG")
    return SimpleUploadedFile("grain.jpg", buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def photo_url(brewery, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    offer = f.make_offer(brewery.organisation, brewery.site, "brewers_spent_grain", 100, status="draft")
    response = brewery.client().post(
        f"/api/v1/offers/{offer.pk}/photos/", {"image": jpeg()}, format="multipart"
    )
    assert response.status_code == 201, response.content
    return offer, response.json()["url"]


def test_the_owner_gets_the_photo_from_the_app(client, brewery, photo_url):
    _, url = photo_url
    assert url.startswith("/photos/")
    client.force_login(brewery.user)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"


def test_a_draft_listings_photo_is_404_for_others_until_it_is_published(client, farm, photo_url):
    offer, url = photo_url
    client.force_login(farm.user)
    assert client.get(url).status_code == 404
    offer.status = "active"
    offer.save(update_fields=["status"])
    assert client.get(url).status_code == 200


def test_photos_need_a_login(client, photo_url):
    assert client.get(photo_url[1]).status_code == 302
