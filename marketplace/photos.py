"""Listing photos: sniff, bound and re-encode every upload before it is stored.

The file name and the declared content type are never trusted: Pillow decides what the bytes
are. Re-encoding to a fresh JPEG drops EXIF (GPS positions of a company's yard included) and
anything smuggled after the image data; the pixel limit is checked from the header, before the
image is decoded, so a decompression bomb never reaches memory.
"""

from __future__ import annotations

import io
import uuid
import warnings
import weakref
from typing import IO

from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from accounts.errors import invalid

MAX_PHOTOS_PER_LISTING = 5
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_SOURCE_PIXELS = 40_000_000
MAX_EDGE_PX = 2000
ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})
JPEG_QUALITY = 85


def _open(data: bytes) -> Image.Image:
    with warnings.catch_warnings():
        # Pillow warns (then raises) on huge images; we check the size ourselves first.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
        except (
            UnidentifiedImageError,
            Image.DecompressionBombError,
            Image.DecompressionBombWarning,
            OSError,
            ValueError,
        ):
            raise invalid("image", _("The file is not a JPEG, PNG or WebP image.")) from None
    if image.format not in ACCEPTED_FORMATS:
        raise invalid("image", _("Only JPEG, PNG and WebP images are accepted."))
    width, height = image.size
    if width < 1 or height < 1 or width * height > MAX_SOURCE_PIXELS:
        raise invalid(
            "image",
            _("The image is too large (at most %(n)s megapixels).") % {"n": MAX_SOURCE_PIXELS // 1_000_000},
        )
    return image


class _KeepOnCommit:
    """The ``on_commit`` callback of one stored file: run means committed, keep the file."""

    def __init__(self, committed: dict[str, bool]):
        self.committed = committed

    def __call__(self) -> None:
        self.committed["yes"] = True


def _delete_if_uncommitted(storage: Storage, name: str, committed: dict[str, bool]) -> None:
    if not committed["yes"]:
        storage.delete(name)


def delete_on_rollback(storage: Storage, name: str) -> None:
    """Delete the stored file ``name`` unless the current transaction commits: no orphans.

    The inverse of ``transaction.on_commit``, which Django lacks: a callback is registered with
    ``on_commit``; Django runs it on commit and drops it, never run, when the transaction or an
    enclosing savepoint rolls back. Dropped unrun, the callback is garbage at once (CPython
    reference counting) and its finaliser deletes the file. Outside a transaction (autocommit)
    the row is already saved, so the file stays.
    """
    committed = {"yes": False}
    keep = _KeepOnCommit(committed)
    weakref.finalize(keep, _delete_if_uncommitted, storage, name, committed)
    transaction.on_commit(keep)


def process_upload(upload: IO[bytes], *, size: int | None = None) -> ContentFile:
    """Validate an uploaded image and return it re-encoded as an EXIF-free JPEG ≤ 2000 px.

    Raises ``invalid("image", …)`` for anything that is not a sane JPEG, PNG or WebP.
    """
    if size is not None and size > MAX_UPLOAD_BYTES:
        raise invalid(
            "image", _("The file is larger than %(n)s MB.") % {"n": MAX_UPLOAD_BYTES // (1024 * 1024)}
        )
    data = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise invalid(
            "image", _("The file is larger than %(n)s MB.") % {"n": MAX_UPLOAD_BYTES // (1024 * 1024)}
        )
    if not data:
        raise invalid("image", _("The file is empty."))
    _open(data).verify()  # structural check; verify() leaves the image unusable, so reopen
    image = _open(data)
    try:
        image.load()
        image = ImageOps.exif_transpose(image)
        if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
            rgba = image.convert("RGBA")
            canvas = Image.new("RGB", rgba.size, (255, 255, 255))
            canvas.paste(rgba, mask=rgba.getchannel("A"))
            image = canvas
        else:
            image = image.convert("RGB")
        image.thumbnail((MAX_EDGE_PX, MAX_EDGE_PX))
        out = io.BytesIO()
        # No exif= argument: Pillow writes no metadata of its own accord.
        image.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise invalid("image", _("The image could not be read.")) from None
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.jpg")
