"""Flow-factor sets: import from the cited files, copy into a draft, edit, publish.

A published set never changes (enforced here and by the admin); exactly one published set is
active. Every publication is an audit event.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import require_authority
from accounts.errors import DomainError, conflict, invalid
from accounts.services import event_record
from config.strict import parse_decimal

from . import factor_data, material_properties
from .models import Factor, FactorSet, ImpactMethod, Material

if TYPE_CHECKING:
    from accounts.models import User


EDITABLE_FACTOR_FIELDS = (
    "landfill_kg_per_t",
    "substitution_kg_per_t",
    "treatment_kg_per_t",
    "open_burning_kg_per_t",
    "incineration_kg_per_t",
    "source_landfill",
    "source_substitution",
    "source_fates",
    "notes",
)
# Factors a set may leave empty: no landfill factor (whey), or a fate the material does not have.
NULLABLE_FACTOR_FIELDS = ("landfill_kg_per_t", "open_burning_kg_per_t", "incineration_kg_per_t")
EDITABLE_SET_FIELDS = (
    "road_freight_kg_per_tkm",
    "road_freight_source",
    "gwp_ch4",
    "gwp_basis",
    "landfill_method",
    "source_notes",
)


def active_factor_set() -> FactorSet | None:
    return FactorSet.objects.filter(is_active=True).first()


def require_active_factor_set() -> FactorSet:
    factor_set = active_factor_set()
    if factor_set is None:
        raise conflict(_("No flow-factor set is published yet: run `manage.py import_factors`."))
    return factor_set


def _digest(*paths: Path) -> str:
    """SHA-256 over the files in order, each prefixed by its length, so that moving bytes from
    the end of one file to the start of the next cannot give the same digest."""
    sha = hashlib.sha256()
    for path in paths:
        data = Path(path).read_bytes()
        sha.update(len(data).to_bytes(8, "big"))
        sha.update(data)
    return sha.hexdigest()


def materials_upsert(
    table: factor_data.FactorTable, properties: dict[str, material_properties.PropertyRow] | None = None
) -> int:
    """Create or update the catalogue entries described by a factor table, with their blend and
    storage properties (``material-properties.csv``; a material without a row keeps none)."""
    count = 0
    for row in table.materials:
        found = (properties or {}).get(row.key)
        props = {
            "moisture_pct": found.moisture_pct if found else None,
            "nitrogen_pct_dry": found.nitrogen_pct_dry if found else None,
            "c_to_n": found.c_to_n if found else None,
            "max_storage_days": found.max_storage_days if found else None,
            "properties_source": found.source_text if found else "",
        }
        Material.objects.update_or_create(
            key=row.key,
            defaults={
                "name_en": row.name_en,
                "name_ru": row.name_ru,
                "name_kk": row.name_kk,
                "ewc_code": row.ewc_code,
                "category": row.category,
                "unit_basis": row.unit_basis,
                "mass_per_piece_t": row.mass_per_unit_t if row.unit_basis == "piece" else None,
                "density_t_per_m3": row.density_t_per_m3,
                "hazardous": row.hazardous,
                "substituted_virgin_material": row.substituted_virgin_material,
                **props,
            },
        )
        count += 1
    return count


@transaction.atomic
def factor_set_import(
    *,
    factors_path: Path | None = None,
    globals_path: Path | None = None,
    fates_path: Path | None = None,
    version: str | None = None,
    publish: bool = True,
    actor: User | None = None,
    properties_path: Path | None = None,
) -> tuple[FactorSet, bool]:
    """Load the catalogue and a factor set from the CSV files (default: the project's copies).

    Returns ``(factor_set, created)``. Importing files identical to an existing set's is a no-op:
    the digest covers all three files (material factors, globals, fate baselines), so a set
    imported before the fate file existed never matches, and the first import with it creates a
    new version while the old set stays as it was published (impact method 1, no fate factors).
    With ``publish`` the new set is published and becomes the active one. The materials' blend
    and storage properties (``material-properties.csv``) are catalogue data, not factors: they
    are loaded on every import and are not part of the digest.
    Raises :class:`factor_data.FactorFileError` (nothing written) on a bad file.
    """
    factors_path = Path(factors_path or factor_data.DEFAULT_FACTORS_PATH)
    globals_path = Path(globals_path or factor_data.DEFAULT_GLOBALS_PATH)
    fates_path = Path(fates_path or factor_data.DEFAULT_FATES_PATH)
    table = factor_data.load_factor_table(factors_path, globals_path, fates_path)
    properties = material_properties.load_properties(
        properties_path or material_properties.DEFAULT_PROPERTIES_PATH
    )
    unknown = sorted(set(properties) - {row.key for row in table.materials})
    if unknown:
        raise factor_data.FactorFileError(
            Path(properties_path or material_properties.DEFAULT_PROPERTIES_PATH),
            None,
            "material_key",
            f"{unknown[0]!r} is not a material of the flow-factor file",
        )
    digest = _digest(factors_path, globals_path, fates_path)
    materials_upsert(table, properties)
    existing = FactorSet.objects.filter(source_digest=digest).order_by("id").first()
    if existing is not None:
        return existing, False
    version = version or f"{timezone.localdate():%Y.%m.%d}-{digest[:8]}"
    if FactorSet.objects.filter(version=version).exists():
        raise invalid("version", _("A factor set %(version)s exists already.") % {"version": repr(version)})
    gwp = table.globals.get(factor_data.GWP_CH4_KEY)
    freight = table.globals.get(factor_data.ROAD_FREIGHT_KEY)
    factor_set = FactorSet.objects.create(
        version=version,
        road_freight_kg_per_tkm=table.road_freight_kg_per_tkm,
        road_freight_source=table.road_freight_source
        + (f" — {freight.notes}" if freight and freight.notes else ""),
        gwp_ch4=table.gwp_ch4,
        gwp_basis=table.gwp_source + (f" — {gwp.notes}" if gwp and gwp.notes else ""),
        landfill_method=table.landfill_method,
        source_digest=digest,
        created_by=actor,
        source_notes=(
            f"Imported from {factors_path.name}, {globals_path.name} and {fates_path.name} "
            f"(sha256 {digest[:16]}…)."
        ),
        impact_method=ImpactMethod.FATE_BASELINES,
    )
    materials = {m.key: m for m in Material.objects.all()}
    Factor.objects.bulk_create(
        [
            Factor(
                factor_set=factor_set,
                material=materials[row.key],
                landfill_kg_per_t=row.landfill_kg_per_t,
                substitution_kg_per_t=row.substitution_kg_per_t,
                treatment_kg_per_t=row.treatment_kg_per_t,
                open_burning_kg_per_t=table.fate(row.key).open_burning_kg_per_t,
                incineration_kg_per_t=table.fate(row.key).incineration_kg_per_t,
                source_landfill=row.source_landfill,
                source_substitution=row.source_substitution,
                source_fates=table.fate(row.key).source,
                notes=row.notes,
            )
            for row in table.materials
        ]
    )
    event_record(
        actor=actor,
        action="factor_set.imported",
        obj=factor_set,
        data={
            "version": version,
            "materials": len(table.materials),
            "digest": digest,
            "files": [factors_path.name, globals_path.name, fates_path.name],
        },
    )
    if publish:
        _publish(factor_set, actor)
    return factor_set, True


def _publish(factor_set: FactorSet, actor) -> FactorSet:
    now = timezone.now()
    # Conditional updates: a set is published once, and the active flag moves in one transaction.
    if not FactorSet.objects.filter(pk=factor_set.pk, status=FactorSet.Status.DRAFT).update(
        status=FactorSet.Status.PUBLISHED, published_at=now, published_by=actor
    ):
        raise conflict(_("This factor set is published already."))
    # Lock the current active set so two publications cannot both try to become active.
    list(FactorSet.objects.select_for_update().filter(is_active=True))
    FactorSet.objects.filter(is_active=True).update(is_active=False)
    FactorSet.objects.filter(pk=factor_set.pk).update(is_active=True)
    from config import generation_cache as report_cache

    report_cache.bump()
    factor_set.refresh_from_db()
    event_record(
        actor=actor, action="factor_set.published", obj=factor_set, data={"version": factor_set.version}
    )
    return factor_set


@transaction.atomic
def factor_set_publish(*, factor_set: FactorSet, actor: User) -> FactorSet:
    """Publish a draft (municipality only): it becomes immutable and the active set."""
    require_authority(actor)
    if not factor_set.factors.exists():
        raise invalid("factors", _("A factor set without factors cannot be published."))
    return _publish(factor_set, actor)


@transaction.atomic
def factor_set_copy(*, source: FactorSet, version: str, actor: User) -> FactorSet:
    """Copy a set (usually the active one) into a new draft that can be edited."""
    require_authority(actor)
    version = (version or "").strip()
    if not version or len(version) > 40:
        raise invalid("version", _("A version of 1 to 40 characters is required."))
    if FactorSet.objects.filter(version=version).exists():
        raise invalid("version", _("A factor set %(version)s exists already.") % {"version": repr(version)})
    # A new draft follows today's impact method even when its source is an older set.
    draft = FactorSet.objects.create(
        version=version,
        based_on=source,
        created_by=actor,
        impact_method=ImpactMethod.FATE_BASELINES,
        **{field: getattr(source, field) for field in EDITABLE_SET_FIELDS},
    )
    Factor.objects.bulk_create(
        [
            Factor(
                factor_set=draft,
                material_id=f.material_id,
                **{field: getattr(f, field) for field in EDITABLE_FACTOR_FIELDS},
            )
            for f in source.factors.all()
        ]
    )
    event_record(
        actor=actor,
        action="factor_set.drafted",
        obj=draft,
        data={"version": version, "based_on": source.version},
    )
    return draft


def _require_draft(factor_set: FactorSet) -> None:
    if factor_set.is_published:
        raise conflict(_("A published factor set is immutable; copy it into a new draft instead."))


def _clean_factor_value(field: str, value: Any) -> Any:
    if field.startswith("source") or field == "notes":
        return str(value or "")[:5000]
    if value is None and field in NULLABLE_FACTOR_FIELDS:
        return None
    if value is None or isinstance(value, bool):
        raise invalid(field, _("A number is required."))
    try:
        number = parse_decimal(value)
    except (InvalidOperation, ValueError):
        raise invalid(field, _("A number is required.")) from None
    if not number.is_finite() or abs(number) >= Decimal("1e8"):
        raise invalid(field, _("A finite number below 100,000,000 is required."))
    # Every factor is an emission per tonne: a negative one would break the arithmetic of SPEC §4
    # (and the impact module refuses it), so it is refused here, naming the field.
    if number < 0:
        raise invalid(field, _("Must not be negative."))
    return number.quantize(Decimal("0.0001"))


# Set-wide numbers: (decimal places, exclusive upper bound) from the model's columns.
_SET_NUMBER_FORMAT = {"road_freight_kg_per_tkm": (6, Decimal("1e4")), "gwp_ch4": (3, Decimal("1e5"))}


def _clean_set_value(field: str, value: Any) -> Any:
    if field not in _SET_NUMBER_FORMAT:
        return str(value or "")[:5000]
    places, bound = _SET_NUMBER_FORMAT[field]
    if value is None or isinstance(value, bool):
        raise invalid(field, _("A number is required."))
    try:
        number = parse_decimal(value)
    except (InvalidOperation, ValueError):
        raise invalid(field, _("A number is required.")) from None
    if not number.is_finite() or not 0 <= number < bound:
        raise invalid(
            field, _("A number from 0 to below %(bound)s is required.") % {"bound": f"{bound:,.0f}"}
        )
    if field == "gwp_ch4" and number <= 0:
        raise invalid(field, _("Must be positive."))
    return number.quantize(Decimal(1).scaleb(-places))


@transaction.atomic
def factor_set_update(*, factor_set: FactorSet, actor: User, **fields: Any) -> FactorSet:
    """Edit a draft's set-wide values (freight factor, GWP, sources)."""
    require_authority(actor)
    factor_set = FactorSet.objects.select_for_update().get(pk=factor_set.pk)
    _require_draft(factor_set)
    for field, value in fields.items():
        if field not in EDITABLE_SET_FIELDS:
            raise invalid(field, _("This field cannot be edited."))
        setattr(factor_set, field, _clean_set_value(field, value))
    factor_set.save()
    event_record(actor=actor, action="factor_set.edited", obj=factor_set, data={"fields": sorted(fields)})
    return factor_set


@transaction.atomic
def factor_update(*, factor: Factor, actor: User, **fields: Any) -> Factor:
    """Edit one material's factors in a draft set."""
    require_authority(actor)
    factor_set = FactorSet.objects.select_for_update().get(pk=factor.factor_set_id)
    _require_draft(factor_set)
    for field, value in fields.items():
        if field not in EDITABLE_FACTOR_FIELDS:
            raise invalid(field, _("This field cannot be edited."))
        setattr(factor, field, _clean_factor_value(field, value))
    factor.save()
    event_record(
        actor=actor,
        action="factor.edited",
        obj=factor,
        data={"fields": sorted(fields), "version": factor_set.version},
    )
    return factor


@transaction.atomic
def factor_set_delete(*, factor_set: FactorSet, actor: User) -> None:
    """Delete a draft nobody built on; published sets stay for ever (runs cite them)."""
    from django.db.models import ProtectedError

    require_authority(actor)
    _require_draft(factor_set)
    version, pk = factor_set.version, factor_set.pk
    try:
        factor_set.delete()
    except ProtectedError:
        raise conflict(_("Another factor set is based on this draft.")) from None
    event_record(actor=actor, action="factor_set.deleted", obj=FactorSet(pk=pk), data={"version": version})


__all__ = [
    "DomainError",
    "active_factor_set",
    "require_active_factor_set",
    "factor_set_import",
    "factor_set_publish",
    "factor_set_copy",
    "factor_set_update",
    "factor_update",
    "factor_set_delete",
    "materials_upsert",
]
