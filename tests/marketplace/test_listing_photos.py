"""listing_photo_add / listing_photo_delete: sniffed, bounded, re-encoded, EXIF gone."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.errors import DomainError, ErrorCode
from accounts.models import Event
from marketplace import photos, services
from marketplace.models import ListingPhoto
from tests.marketplace.helpers import image_bytes, make_need, make_offer


def upload(data: bytes, name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def add(persona, listing, data: bytes, name: str = "photo.jpg"):
    return services.listing_photo_add(
        listing=listing, actor=persona.user, image=upload(data, name), size=len(data)
    )


def test_a_jpeg_with_exif_is_stored_without_it(brewery, catalogue, media_root):
    source = image_bytes("JPEG", exif=True)
    assert Image.open(io.BytesIO(source)).getexif()  # the fixture really carries EXIF
    photo = add(brewery, make_offer(brewery), source)
    with photo.image.open("rb") as stored:
        data = stored.read()
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    assert not image.getexif()
    assert b"Exif" not in data and b"Secret Camera" not in data
    assert (photo.width, photo.height) == (64, 48)


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_png_and_webp_are_accepted_and_re_encoded_as_jpeg(brewery, catalogue, media_root, fmt):
    photo = add(brewery, make_offer(brewery), image_bytes(fmt), name=f"x.{fmt.lower()}")
    assert photo.image.name.endswith(".jpg")


def test_a_transparent_png_is_flattened_onto_white(brewery, catalogue, media_root):
    photo = add(brewery, make_offer(brewery), image_bytes("PNG", mode="RGBA"), name="x.png")
    with photo.image.open("rb") as stored:
        assert Image.open(stored).mode == "RGB"


def test_a_large_image_is_scaled_down_to_2000_px(brewery, catalogue, media_root):
    photo = add(brewery, make_offer(brewery), image_bytes("JPEG", size=(3000, 1500)))
    assert (photo.width, photo.height) == (2000, 1000)


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"GIF89a" + b"\x00" * 100, "photo.jpg"),
        (b"%PDF-1.4 not an image", "photo.jpg"),
        (b"", "photo.jpg"),
    ],
    ids=["gif-bytes-named-jpg", "pdf-named-jpg", "empty"],
)
def test_the_content_not_the_name_decides_the_format(brewery, catalogue, media_root, data, name):
    with pytest.raises(DomainError) as caught:
        add(brewery, make_offer(brewery), data, name)
    assert caught.value.field == "image"
    assert ListingPhoto.objects.count() == 0


def test_a_real_gif_is_refused(brewery, catalogue, media_root):
    with pytest.raises(DomainError) as caught:
        add(brewery, make_offer(brewery), image_bytes("GIF"), "photo.gif")
    assert caught.value.field == "image"


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims huge dimensions: what a decompression bomb looks like from the outside."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def test_a_decompression_bomb_is_refused_from_its_header(brewery, catalogue, media_root):
    with pytest.raises(DomainError) as caught:
        add(brewery, make_offer(brewery), _png_header_only(50_000, 50_000), "bomb.png")
    assert caught.value.field == "image"


def test_a_file_over_five_megabytes_is_refused(brewery, catalogue, media_root):
    data = image_bytes("JPEG") + b"\x00" * photos.MAX_UPLOAD_BYTES
    with pytest.raises(DomainError) as caught:
        add(brewery, make_offer(brewery), data)
    assert "MB" in caught.value.message


def test_a_listing_holds_at_most_five_photos(farm, catalogue, media_root):
    need = make_need(farm)
    for _ in range(5):
        add(farm, need, image_bytes("JPEG"))
    with pytest.raises(DomainError) as caught:
        add(farm, need, image_bytes("JPEG"))
    assert caught.value.field == "image"
    assert need.photos.count() == 5


def test_adding_and_deleting_a_photo_are_events_and_deleting_removes_the_file(
    brewery, catalogue, media_root, django_capture_on_commit_callbacks
):
    offer = make_offer(brewery)
    photo = add(brewery, offer, image_bytes("JPEG"))
    path = media_root / photo.image.name
    assert path.exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.listing_photo_delete(photo=photo, actor=brewery.user)
    assert not path.exists()
    actions = list(
        Event.objects.filter(object_id=str(offer.pk), action__contains="photo")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["offer.photo_added", "offer.photo_deleted"]


def test_a_stranger_cannot_add_a_photo(brewery, farm, catalogue, media_root):
    with pytest.raises(DomainError) as caught:
        add(farm, make_offer(brewery), image_bytes("JPEG"))
    assert caught.value.code is ErrorCode.FORBIDDEN
