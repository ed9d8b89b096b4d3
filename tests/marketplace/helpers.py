"""Builders for marketplace tests: listings through the services, images, the catalogue.

The ``catalogue`` and ``media_root`` fixtures wrap :func:`load_catalogue` and
:func:`use_temporary_media`; ``tests/marketplace/conftest.py`` and the marketplace API test
modules declare them (the shared ``tests/conftest.py`` belongs to the whole suite).
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from marketplace import services
from marketplace.models import Material, Need, Offer

OFFER_DEFAULTS: dict[str, Any] = {
    "material": "brewers_spent_grain",
    "quantity": "40",
    "unit": "t",
    "period": "week",
    "status": "active",
    "description": "Wet spent grain, collected daily.",
}
NEED_DEFAULTS: dict[str, Any] = {
    "materials": ["brewers_spent_grain", "bread_residues"],
    "quantity": "25",
    "unit": "t",
    "period": "week",
    "max_distance_km": "60",
    "status": "active",
    "description": "Cattle feed.",
}


def load_catalogue() -> dict[str, Material]:
    """The project's material catalogue and its active factor set, as a fresh install has them."""
    from marketplace.factor_services import factor_set_import

    factor_set_import()
    return {m.key: m for m in Material.objects.all()}


def use_temporary_media(settings, tmp_path):
    """Uploaded files go to a temporary folder, never into the project."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def make_offer(persona, *, site=None, **overrides: Any) -> Offer:
    fields = {**OFFER_DEFAULTS, **overrides}
    return services.offer_create(
        organisation=persona.organisation, actor=persona.user, site=site or persona.site, **fields
    )


def make_need(persona, *, site=None, **overrides: Any) -> Need:
    fields = {**NEED_DEFAULTS, **overrides}
    return services.need_create(
        organisation=persona.organisation, actor=persona.user, site=site or persona.site, **fields
    )


def offer_payload(persona, **overrides: Any) -> dict[str, Any]:
    return {"site": persona.site.pk, **OFFER_DEFAULTS, **overrides}


def need_payload(persona, **overrides: Any) -> dict[str, Any]:
    return {"site": persona.site.pk, **NEED_DEFAULTS, **overrides}


def image_bytes(fmt: str = "JPEG", *, size=(64, 48), exif: bool = False, mode: str = "RGB") -> bytes:
    """A small image; with ``exif`` a JPEG carrying a camera model and GPS-like tags."""
    from PIL import Image

    image = Image.new(mode, size, (200, 120, 40) if mode == "RGB" else (200, 120, 40, 128))
    out = io.BytesIO()
    kwargs: dict[str, Any] = {}
    if exif:
        tags = Image.Exif()
        tags[0x0110] = "Secret Camera 3000"  # Model
        tags[0x010F] = "Qaita Test"  # Make
        tags[0x8825] = {1: "N", 2: (43.0, 15.0, 0.0)}  # GPS IFD
        kwargs["exif"] = tags.tobytes()
    image.save(out, format=fmt, **kwargs)
    return out.getvalue()


def decimal(value: Any) -> Decimal:
    return Decimal(str(value))
