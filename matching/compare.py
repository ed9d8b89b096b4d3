"""Two runs side by side (issue 14): diverted, left in waste, t·km and net CO₂e, in all, by
material and by the supplying site's district, with the differences (b − a).

Every run stores its figures by material and district when it is written (``MatchRun.breakdown``,
built here by :func:`breakdown_build`); a what-if run also stores its flows there, since it
makes no proposals. Runs written before the breakdown existed compare on their totals only.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from accounts.access import require_authority
from accounts.errors import invalid, not_found
from marketplace.models import Offer
from marketplace.units import KG_PER_TONNE, kg_to_tonnes

from . import engine
from .models import MatchRun, RunStatus
from .snapshot import HYPOTHETICAL

#: the figures compared, as stored in a run's ``stats`` and in each breakdown row
FIGURES = ("diverted_t", "landfilled_t", "tkm", "net_co2e_t")


@dataclass(frozen=True)
class FlowRecord:
    """One flow of a run as written: its amounts and its net impact (kg CO₂e)."""

    offer_id: int
    need_id: int
    material: str
    quantity: Decimal
    unit: str
    mass_t: Decimal
    distance_km: Decimal
    current_destination: str
    net_kg: Decimal
    #: the yard it goes through (negative: a what-if run's hypothetical yard), or None
    via_storage: int | None = None


def _districts(offer_ids: set[int]) -> dict[int, str]:
    real = [i for i in offer_ids if i > 0]
    found: dict[int, str] = {}
    for start in range(0, len(real), 2000):
        found.update(
            Offer.objects.filter(pk__in=real[start : start + 2000]).values_list("pk", "site__district")
        )
    return {i: found.get(i, "other") if i > 0 else HYPOTHETICAL for i in offer_ids}


def _rows(totals: dict[str, dict[str, Any]]) -> dict[str, dict[str, float]]:
    return {
        key: {
            "diverted_t": float(kg_to_tonnes(v["diverted_kg"])),
            "landfilled_t": float(kg_to_tonnes(v["left_kg"])),
            "tkm": round(float(v["tkm"]), 3),
            "net_co2e_t": float((v["net_kg"] / KG_PER_TONNE).quantize(Decimal("0.001"))),
        }
        for key, v in sorted(totals.items())
    }


def breakdown_build(
    *, records: list[FlowRecord], solution: engine.Solution, with_flows: bool = False
) -> dict[str, Any]:
    """A run's figures by material and by district, and (``with_flows``) its flows as JSON."""
    districts = _districts({r.offer_id for r in records})

    def empty() -> dict[str, Any]:
        return {"diverted_kg": 0, "left_kg": 0, "tkm": 0.0, "net_kg": Decimal(0)}

    by: dict[str, dict[str, dict[str, Any]]] = {
        "material": defaultdict(empty),
        "district": defaultdict(empty),
    }
    for r in records:
        for kind, key in (("material", r.material), ("district", districts[r.offer_id])):
            row = by[kind][key]
            if r.current_destination in engine.WASTE_BOUND:
                row["diverted_kg"] += int(r.mass_t * KG_PER_TONNE)
            row["tkm"] += float(r.mass_t * r.distance_km)
            row["net_kg"] += r.net_kg
    for kind, stat in (("material", "left_kg_by_material"), ("district", "left_kg_by_group")):
        for key, kg in (solution.stats.get(stat) or {}).items():
            by[kind][key or "other"]["left_kg"] += int(kg)
    out: dict[str, Any] = {"by_material": _rows(by["material"]), "by_district": _rows(by["district"])}
    if with_flows:
        out["flows"] = [
            {
                "offer": r.offer_id,
                "need": r.need_id,
                "hypothetical": r.offer_id < 0 or r.need_id < 0 or (r.via_storage or 0) < 0,
                "via_storage": r.via_storage,
                "material": r.material,
                "quantity": str(r.quantity),
                "unit": r.unit,
                "mass_t": str(r.mass_t),
                "distance_km": str(r.distance_km),
                "net_kg": str(r.net_kg),
            }
            for r in records
        ]
    return out


def _figures(values: dict[str, Any] | None) -> dict[str, float | None]:
    values = values or {}
    return {k: (float(values[k]) if values.get(k) is not None else None) for k in FIGURES}


def _difference(a: dict[str, float | None], b: dict[str, float | None]) -> dict[str, float | None]:
    return {
        k: (round(b[k] - a[k], 3) if a[k] is not None and b[k] is not None else None)  # type: ignore[operator]
        for k in FIGURES
    }


def _side_by_side(a: MatchRun, b: MatchRun, key: str) -> list[dict[str, Any]]:
    rows_a = (a.breakdown or {}).get(key) or {}
    rows_b = (b.breakdown or {}).get(key) or {}
    zero = dict.fromkeys(FIGURES, 0.0)
    out = []
    for name in sorted(set(rows_a) | set(rows_b)):
        fa = _figures(rows_a.get(name, zero))
        fb = _figures(rows_b.get(name, zero))
        out.append({"key": name, "a": fa, "b": fb, "difference": _difference(fa, fb)})
    return out


def _run_id(field: str, value: Any) -> int:
    if value is None or str(value).strip() == "":
        raise invalid(field, _("A run id is required."))
    text = str(value).strip()
    if not text.isascii() or not text.isdigit() or len(text) > 12:
        raise invalid(field, _("A run id is a whole number."))
    return int(text)


def _summary(run: MatchRun) -> dict[str, Any]:
    figures = _figures(run.stats) if run.status == RunStatus.SUCCEEDED else dict.fromkeys(FIGURES)
    return {
        "id": run.pk,
        "dry_run": run.dry_run,
        "status": run.status,
        "objective": run.objective,
        "created_at": run.created_at,
        "parameters": {
            k: run.parameters.get(k) for k in ("radius_factor", "circuity") if k in (run.parameters or {})
        },
        "extra_listings": sum(len(v) for v in (run.parameters.get("extra_listings") or {}).values()),
        **figures,
    }


def runs_compare(*, actor, a: Any, b: Any) -> dict[str, Any]:
    """Runs ``a`` and ``b`` side by side (the municipality only): 400 for a malformed id, 404 for
    an unknown one. Differences are b − a; a run that has not succeeded has no figures."""
    require_authority(actor)
    ids = {"a": _run_id("a", a), "b": _run_id("b", b)}
    found = {r.pk: r for r in MatchRun.objects.filter(pk__in=ids.values())}
    for pk in ids.values():
        if pk not in found:
            raise not_found(_("No run #%(id)s.") % {"id": pk})
    run_a, run_b = found[ids["a"]], found[ids["b"]]
    sa, sb = _summary(run_a), _summary(run_b)
    return {
        "a": sa,
        "b": sb,
        "difference": _difference(_figures(sa), _figures(sb)),
        "by_material": _side_by_side(run_a, run_b, "by_material"),
        "by_district": _side_by_side(run_a, run_b, "by_district"),
    }
