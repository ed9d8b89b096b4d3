"""Tariffs (the municipality's money rates) and the estimated economics of proposals and deals.

Like a factor set, a tariff is drafted, then published once and immutable; the latest published
one is active and prices every estimate. Only the municipality reads or writes tariffs.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import pk_or_404, require_authority
from accounts.errors import conflict, invalid, not_found
from accounts.services import event_record

from . import economics
from .models import Tariff

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


RATE_FIELDS = ("landfill_gate_fee_kzt_per_t", "transport_kzt_per_tkm")
MAX_RATE = Decimal("999999999999.99")


# --- Selectors --------------------------------------------------------------------------------


def tariff_active() -> Tariff | None:
    """The published tariff that prices estimates now (the latest published), or ``None``."""
    return Tariff.objects.filter(is_active=True).first()


def tariff_list_for(*, user: User | AnonymousUser) -> QuerySet[Tariff]:
    require_authority(user)
    return Tariff.objects.select_related("created_by", "published_by")


def access_tariff(user: User | AnonymousUser, pk) -> Tariff:
    """Companies get a 403 for any tariff (existing or not); the municipality a 404 for a missing one."""
    require_authority(user)
    tariff = Tariff.objects.filter(pk=pk_or_404(pk)).first()
    if tariff is None:
        raise not_found()
    return tariff


def rates_of(tariff: Tariff) -> economics.Rates:
    return economics.Rates(
        version=tariff.version,
        landfill_gate_fee_kzt_per_t=tariff.landfill_gate_fee_kzt_per_t,
        transport_kzt_per_tkm=tariff.transport_kzt_per_tkm,
    )


def flow_terms(flow):
    """The terms that price a flow: a deal's agreed terms, a proposal's current ones (or None)."""
    from .models import Deal

    if isinstance(flow, Deal):
        return flow.terms
    if not flow.terms_number:
        return None
    for revision in flow.terms_revisions.all():  # prefetched by the selectors
        if revision.number == flow.terms_number:
            return revision
    return None


def economics_of(flow, *, tariff: Tariff | None, viewer=None, view=None) -> dict[str, Any] | None:
    """The estimated ``economics`` of a proposal or deal under ``tariff`` (``None`` without one),
    as ``viewer`` (``matching.flow_view.Viewer``) may see it: the haulage cost from the same
    tonne-kilometres as the viewer's impact (the rounded distance to a hidden site before a deal;
    exact for the municipality; ``viewer=None``, internal use, is exact). ``view``: that viewer's
    ``FlowView`` when the caller has it already. ``price_total_kzt`` = the terms' quantity × price per unit
    (the current terms on a proposal, the agreed ones on a deal), ``None`` without terms.
    """
    if tariff is None:
        return None
    from .flow_view import flow_view_for

    if view is None:
        view = flow_view_for(viewer, flow)
    terms = flow_terms(flow)
    return economics.flow_economics(
        mass_t=flow.mass_t,
        distance_km=flow.distance_km,
        current_destination=flow.current_destination,
        rates=rates_of(tariff),
        price_total_kzt=None if terms is None else terms.quantity * terms.price_per_unit_kzt,
        shown_tkm=view.tkm,
    ).as_dict()


# --- Services ---------------------------------------------------------------------------------


def _clean_version(value: Any, *, exclude_pk: int | None = None) -> str:
    version = ("" if value is None else str(value)).strip()
    if not version or len(version) > 40:
        raise invalid("version", _("A version of 1 to 40 characters is required."))
    same = Tariff.objects.filter(version__iexact=version)
    if exclude_pk is not None:
        same = same.exclude(pk=exclude_pk)
    if same.exists():
        raise invalid("version", _("A tariff %(version)s exists already.") % {"version": repr(version)})
    return version


def _clean_rate(field: str, value: Any) -> Decimal:
    if value is None or isinstance(value, bool) or str(value).strip() == "":
        raise invalid(field, _("A number is required."))
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise invalid(field, _("A number is required.")) from None
    if not number.is_finite():
        raise invalid(field, _("A finite number is required."))
    if number < 0:
        raise invalid(field, _("Must be zero or more."))
    if number > MAX_RATE:
        raise invalid(field, _("At most %(max)s.") % {"max": MAX_RATE})
    if number != number.quantize(economics.KZT_QUANTUM):
        raise invalid(field, _("At most two decimal places (tiyn)."))
    return number.quantize(economics.KZT_QUANTUM)


@transaction.atomic
def tariff_create(
    *, actor: User, version: Any, landfill_gate_fee_kzt_per_t: Any, transport_kzt_per_tkm: Any
) -> Tariff:
    """A new draft tariff (municipality only); it prices nothing until published."""
    require_authority(actor)
    cleaned = {
        "version": _clean_version(version),
        "landfill_gate_fee_kzt_per_t": _clean_rate(
            "landfill_gate_fee_kzt_per_t", landfill_gate_fee_kzt_per_t
        ),
        "transport_kzt_per_tkm": _clean_rate("transport_kzt_per_tkm", transport_kzt_per_tkm),
    }
    tariff = Tariff.objects.create(created_by=actor, **cleaned)
    event_record(
        actor=actor,
        action="tariff.drafted",
        obj=tariff,
        data={key: str(value) for key, value in cleaned.items()},
    )
    return tariff


@transaction.atomic
def tariff_update(*, tariff: Tariff, actor: User, **fields: Any) -> Tariff:
    """Change a draft's version or rates; a published tariff is immutable (409)."""
    require_authority(actor)
    tariff = Tariff.objects.select_for_update().get(pk=tariff.pk)
    if tariff.is_published:
        raise conflict(_("A published tariff is immutable; draft a new version instead."))
    unknown = sorted(set(fields) - {"version", *RATE_FIELDS})
    if unknown:
        raise invalid(unknown[0], _("This field cannot be edited."))
    cleaned: dict[str, Any] = {}
    if "version" in fields:
        cleaned["version"] = _clean_version(fields["version"], exclude_pk=tariff.pk)
    for field in RATE_FIELDS:
        if field in fields:
            cleaned[field] = _clean_rate(field, fields[field])
    for key, value in cleaned.items():
        setattr(tariff, key, value)
    tariff.save()
    event_record(actor=actor, action="tariff.edited", obj=tariff, data={"fields": sorted(cleaned)})
    return tariff


@transaction.atomic
def tariff_publish(*, tariff: Tariff, actor: User) -> Tariff:
    """Publish a draft: it becomes immutable and the active tariff (the previous one retires)."""
    require_authority(actor)
    now = timezone.now()
    # Conditional updates: a tariff is published once, and the active flag moves in one transaction.
    if not Tariff.objects.filter(pk=tariff.pk, status=Tariff.Status.DRAFT).update(
        status=Tariff.Status.PUBLISHED, published_at=now, published_by=actor
    ):
        raise conflict(_("This tariff is published already."))
    # Lock the active tariff so two publications cannot both try to become active.
    list(Tariff.objects.select_for_update().filter(is_active=True))
    Tariff.objects.filter(is_active=True).update(is_active=False)
    Tariff.objects.filter(pk=tariff.pk).update(is_active=True)
    from . import report_cache

    report_cache.bump()
    tariff.refresh_from_db()
    event_record(
        actor=actor,
        action="tariff.published",
        obj=tariff,
        data={
            "version": tariff.version,
            "landfill_gate_fee_kzt_per_t": str(tariff.landfill_gate_fee_kzt_per_t),
            "transport_kzt_per_tkm": str(tariff.transport_kzt_per_tkm),
        },
    )
    return tariff
