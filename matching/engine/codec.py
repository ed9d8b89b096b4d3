"""JSON for the engine's frozen dataclasses: a :class:`Problem` or a :class:`Solution` to plain
JSON values and back, exactly (``decode(encode(x)) == x``).

Fan-out stores each part's problem and solution in the database as JSON (``RunPart``), so a
part can be solved by any worker. Decimals travel as ``{"d": "1.50"}`` (their exact text),
dates as ``{"date": "2026-01-31"}``, tuples and sets as lists (sets sorted, so the text is
deterministic); a solution's ``stats`` keep only their JSON-able values (they take no part in
equality). Pure Python, no Django.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from .problem import (
    Flow,
    MaterialSpec,
    NeedInput,
    OfferInput,
    Problem,
    Recipe,
    ShareBound,
    Solution,
    StorageInput,
)

#: the problem's scalar settings, stored under their own names
PROBLEM_SETTINGS = (
    "objective",
    "horizon_start",
    "horizon_days",
    "circuity",
    "road_freight_kg_per_tkm",
    "time_limit_s",
    "time_step",
)
#: settings added later, with the value a part stored before them means (issue 13: aggregate)
SETTING_DEFAULTS: dict[str, Any] = {"time_step": "none"}

Record = TypeVar("Record", OfferInput, NeedInput, MaterialSpec, StorageInput, ShareBound)


def encode_value(value: Any) -> Any:
    """A value of an engine field as JSON (Decimal, date, tuples and sets included)."""
    if isinstance(value, Decimal):
        return {"d": str(value)}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    if isinstance(value, (tuple, list, frozenset, set)):
        items = [encode_value(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, (frozenset, set)) else items
    return value


def decode_value(value: Any) -> Any:
    """The inverse of :func:`encode_value` (lists come back as tuples)."""
    if isinstance(value, dict) and set(value) == {"d"}:
        return Decimal(value["d"])
    if isinstance(value, dict) and set(value) == {"date"}:
        return date.fromisoformat(value["date"])
    if isinstance(value, list):
        return tuple(decode_value(v) for v in value)
    return value


def _record(obj: OfferInput | NeedInput | MaterialSpec | StorageInput | ShareBound | Flow) -> dict[str, Any]:
    return {f.name: encode_value(getattr(obj, f.name)) for f in fields(obj)}


def _build(cls: type[Record], data: dict[str, Any]) -> Record:
    return cls(**{k: decode_value(v) for k, v in data.items()})


def _need_record(need: NeedInput) -> dict[str, Any]:
    """A need, with its recipe (a nested dataclass, issue 13) as an object of its own."""
    data = {f.name: encode_value(getattr(need, f.name)) for f in fields(need) if f.name != "recipe"}
    recipe = need.recipe
    data["recipe"] = (
        None
        if recipe is None
        else {
            "shares": [_record(share) for share in recipe.shares],
            "c_to_n": encode_value(recipe.c_to_n),
            "moisture_pct": encode_value(recipe.moisture_pct),
        }
    )
    return data


def _need_build(data: dict[str, Any]) -> NeedInput:
    values = {k: decode_value(v) for k, v in data.items() if k != "recipe"}
    recipe = data.get("recipe")
    if recipe is not None:
        values["recipe"] = Recipe(
            shares=tuple(_build(ShareBound, share) for share in recipe["shares"]),
            c_to_n=decode_value(recipe["c_to_n"]),
            moisture_pct=decode_value(recipe["moisture_pct"]),
        )
    return NeedInput(**values)


def _flow_build(row: list[Any] | dict[str, Any]) -> Flow:
    if isinstance(row, list):  # parts stored before issue 13: the first seven fields in order
        return Flow(*row)
    return Flow(**{k: decode_value(v) for k, v in row.items()})


def problem_to_json(problem: Problem) -> dict[str, Any]:
    return {
        **{k: encode_value(getattr(problem, k)) for k in PROBLEM_SETTINGS},
        "declined_pairs": sorted([list(p) for p in problem.declined_pairs]),
        "declined_storage_triples": sorted([list(t) for t in problem.declined_storage_triples]),
        "offers": [_record(o) for o in problem.offers],
        "needs": [_need_record(n) for n in problem.needs],
        "materials": [_record(m) for m in problem.materials],
        "storages": [_record(s) for s in problem.storages],
    }


def problem_from_json(data: dict[str, Any]) -> Problem:
    return Problem(
        offers=tuple(_build(OfferInput, o) for o in data["offers"]),
        needs=tuple(_need_build(n) for n in data["needs"]),
        materials=tuple(_build(MaterialSpec, m) for m in data["materials"]),
        declined_pairs=frozenset((a, b) for a, b in data["declined_pairs"]),
        # parts stored before these fields: no yards, no triples, nothing booked (the defaults)
        storages=tuple(_build(StorageInput, s) for s in data.get("storages", [])),
        declined_storage_triples=frozenset((a, b, c) for a, b, c in data.get("declined_storage_triples", [])),
        **{k: decode_value(data[k]) if k in data else SETTING_DEFAULTS[k] for k in PROBLEM_SETTINGS},
    )


def solution_to_json(solution: Solution) -> dict[str, Any]:
    data: dict[str, Any] = {
        f.name: getattr(solution, f.name) for f in fields(solution) if f.name not in ("flows", "stats")
    }
    data["flows"] = [_record(fl) for fl in solution.flows]
    data["stats"] = {k: v for k, v in solution.stats.items() if isinstance(v, (int, float, str, bool, dict))}
    return data


def solution_from_json(data: dict[str, Any]) -> Solution:
    flows = tuple(_flow_build(row) for row in data["flows"])
    rest = {k: v for k, v in data.items() if k != "flows"}
    return Solution(flows=flows, **rest)
