"""Fan a large run out over several workers, without a Celery result backend.

The coordinator (the run's claimant) splits the snapshot into independent groups of
components, stores each group as a :class:`RunPart` row (the database stays the record of what
is owed), and sends one ``solve_part`` task per part. Each part worker stores its solution; the
part that completes the set merges the solutions and writes every proposal in one transaction,
exactly as a single worker would. Parts belong to one claim of the run: if a part's worker
dies, the run's lease runs out, the sweeper re-queues the whole run under a new claim, and the
old parts are ignored.
"""

from __future__ import annotations

import logging
import time
from dataclasses import fields
from datetime import date
from decimal import Decimal
from typing import Any, cast

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import engine, solver_workers
from .models import MatchRun, RunPart, RunStatus

log = logging.getLogger(__name__)


# --- JSON codec for the engine's frozen dataclasses -------------------------------------------
def _enc(value: Any) -> Any:
    if isinstance(value, Decimal):
        return {"d": str(value)}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    if isinstance(value, (tuple, list, frozenset, set)):
        items = [_enc(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, (frozenset, set)) else items
    return value


def _dec(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"d"}:
        return Decimal(value["d"])
    if isinstance(value, dict) and set(value) == {"date"}:
        return date.fromisoformat(value["date"])
    if isinstance(value, list):
        return tuple(_dec(v) for v in value)
    return value


def _record(obj) -> dict:
    return {f.name: _enc(getattr(obj, f.name)) for f in fields(obj)}


def _build(cls, data: dict):
    return cls(**{k: _dec(v) for k, v in data.items()})


def problem_to_json(problem: engine.Problem) -> dict:
    return {
        **{
            k: _enc(getattr(problem, k))
            for k in (
                "objective",
                "horizon_start",
                "horizon_days",
                "circuity",
                "road_freight_kg_per_tkm",
                "time_limit_s",
            )
        },
        "declined_pairs": sorted([list(p) for p in problem.declined_pairs]),
        "offers": [_record(o) for o in problem.offers],
        "needs": [_record(n) for n in problem.needs],
        "materials": [_record(m) for m in problem.materials],
    }


def problem_from_json(data: dict) -> engine.Problem:
    return engine.Problem(
        offers=tuple(_build(engine.OfferInput, o) for o in data["offers"]),
        needs=tuple(_build(engine.NeedInput, n) for n in data["needs"]),
        materials=tuple(_build(engine.MaterialSpec, m) for m in data["materials"]),
        declined_pairs=frozenset((a, b) for a, b in data["declined_pairs"]),
        **{
            k: _dec(data[k])
            for k in (
                "objective",
                "horizon_start",
                "horizon_days",
                "circuity",
                "road_freight_kg_per_tkm",
                "time_limit_s",
            )
        },
    )


def solution_to_json(solution: engine.Solution) -> dict:
    data = {f.name: getattr(solution, f.name) for f in fields(solution) if f.name not in ("flows", "stats")}
    data["flows"] = [
        [fl.offer_id, fl.need_id, fl.material, fl.quantity, fl.unit, fl.mass_kg, fl.distance_km]
        for fl in solution.flows
    ]
    data["stats"] = {k: v for k, v in solution.stats.items() if isinstance(v, (int, float, str, bool, dict))}
    return data


def solution_from_json(data: dict) -> engine.Solution:
    flows = tuple(engine.Flow(*row) for row in data["flows"])
    rest = {k: v for k, v in data.items() if k not in ("flows",)}
    return engine.Solution(flows=flows, **rest)


# --- Splitting ------------------------------------------------------------------------------
def batches(problem: engine.Problem, parts: int) -> list[engine.Problem]:
    """Independent components grouped into at most ``parts`` balanced sub-problems.

    The union of whole components is itself independent, so each batch is an ordinary
    problem; assignment is largest-first to the lightest batch, in a stable order.
    """
    components = engine.split_components(problem)
    loads = [0] * parts
    groups: list[list[engine.Problem]] = [[] for _ in range(parts)]
    order = sorted(
        range(len(components)),
        key=lambda i: (-(len(components[i].offers) * max(len(components[i].needs), 1)), i),
    )
    for i in order:
        target = min(range(parts), key=lambda b: (loads[b], b))
        groups[target].append(components[i])
        loads[target] += len(components[i].offers) * max(len(components[i].needs), 1)
    result = []
    for group in groups:
        if not group:
            continue
        offers = tuple(o for p in group for o in p.offers)
        needs = tuple(n for p in group for n in p.needs)
        keys = {m.key for p in group for m in p.materials}
        result.append(
            engine.Problem(
                offers=offers,
                needs=needs,
                materials=tuple(m for m in problem.materials if m.key in keys),
                objective=problem.objective,
                horizon_start=problem.horizon_start,
                horizon_days=problem.horizon_days,
                circuity=problem.circuity,
                declined_pairs=frozenset(pair for p in group for pair in p.declined_pairs),
                road_freight_kg_per_tkm=problem.road_freight_kg_per_tkm,
                time_limit_s=problem.time_limit_s,
            )
        )
    return result


def union(problems: list[engine.Problem]) -> engine.Problem:
    """The whole problem again from its parts (they partition the listings)."""
    first = problems[0]
    materials = {m.key: m for p in problems for m in p.materials}
    return engine.Problem(
        offers=tuple(o for p in problems for o in p.offers),
        needs=tuple(n for p in problems for n in p.needs),
        materials=tuple(materials[k] for k in sorted(materials)),
        objective=first.objective,
        horizon_start=first.horizon_start,
        horizon_days=first.horizon_days,
        circuity=first.circuity,
        declined_pairs=frozenset().union(*(p.declined_pairs for p in problems)),
        road_freight_kg_per_tkm=first.road_freight_kg_per_tkm,
        time_limit_s=first.time_limit_s,
    )


def should_fan_out(problem: engine.Problem) -> int:
    """How many parts to use (1 = solve in place)."""
    parts = int(getattr(settings, "MATCHING_FANOUT_PARTS", 1))
    threshold = int(getattr(settings, "MATCHING_FANOUT_MIN_LISTINGS", 4000))
    if parts <= 1 or len(problem.offers) + len(problem.needs) < threshold:
        return 1
    return parts


def fan_out(run: MatchRun, token: str, problem: engine.Problem, parts: int) -> int:
    """Store the parts and send their tasks after commit. Returns the number of parts."""
    from .tasks import solve_part

    pieces = batches(problem, parts)
    with transaction.atomic():
        if (
            not MatchRun.objects.select_for_update()
            .filter(pk=run.pk, claim_token=token, status=RunStatus.RUNNING)
            .exists()
        ):
            return 0
        created = RunPart.objects.bulk_create(
            [
                RunPart(run=run, claim_token=token, index=i, total=len(pieces), problem=problem_to_json(p))
                for i, p in enumerate(pieces)
            ]
        )
        MatchRun.objects.filter(pk=run.pk, claim_token=token).update(
            progress=25,
            progress_message=f"Solving in {len(pieces)} parts on the workers",
            parameters={**run.parameters, "parts": len(pieces)},
        )
        ids = [p.pk for p in created]
        transaction.on_commit(lambda: [solve_part.delay(pk) for pk in ids])
    return len(pieces)


def part_execute(*, part_id: int, worker: str) -> str:
    """Solve one part; the part that completes its set writes the run's results.

    While a part is being solved its worker keeps the run's lease alive (the coordinator that
    fanned out has returned); parts of an older claim of the run are ignored.
    """
    from config.logs import log_context

    from .runs import LeaseHeartbeat

    if not RunPart.objects.filter(pk=part_id, status=RunPart.Status.QUEUED).update(
        status=RunPart.Status.RUNNING, worker=worker[:200], started_at=timezone.now()
    ):
        return "not-claimed"
    part = RunPart.objects.select_related("run").get(pk=part_id)
    run = part.run
    if run.claim_token != part.claim_token or run.status != RunStatus.RUNNING:
        return "stale"
    with log_context(run_id=run.pk), LeaseHeartbeat(run_id=run.pk, token=part.claim_token):
        return _part_solve(part, run)


def _part_solve(part: RunPart, run: MatchRun) -> str:
    from .runs import _progress, log_solved, log_written, match_run_fail, write_results

    part_id = part.pk
    slow = float(settings.MATCHING_TEST_SLOW_SOLVE_S)
    if slow:  # test setting, as for whole runs
        time.sleep(slow)
    started = time.perf_counter()
    try:
        problem = problem_from_json(part.problem)
        workers = solver_workers.workers_for(problem)
        solution = engine.solve(problem, workers=workers) if workers > 1 else engine.solve(problem)
    except engine.EngineError as exc:
        match_run_fail(
            run_id=run.pk, error=f"part {part.index + 1}: {type(exc).__name__}: {exc}", token=part.claim_token
        )
        return "failed"
    RunPart.objects.filter(pk=part_id).update(
        status=RunPart.Status.DONE,
        solution=solution_to_json(solution),
        finished_at=timezone.now(),
        seconds=round(time.perf_counter() - started, 4),
    )
    done = RunPart.objects.filter(run=run, claim_token=part.claim_token, status=RunPart.Status.DONE).count()
    _progress(
        run.pk, part.claim_token, 25 + int(60 * done / part.total), f"{done} of {part.total} parts solved"
    )
    if done < part.total:
        return "part-done"
    parts = list(RunPart.objects.filter(run=run, claim_token=part.claim_token).order_by("index"))
    merged = engine.merge(solution_from_json(cast(dict, p.solution)) for p in parts)  # every part is done
    log_solved(run.pk, merged)
    problems = [problem_from_json(p.problem) for p in parts]
    destinations = {o.id: o.current_destination for p in problems for o in p.offers}
    seconds = sum(p.seconds or 0 for p in parts)
    written = write_results(
        run, part.claim_token, merged, destinations=destinations, seconds=seconds, problem=union(problems)
    )
    log_written(run, written)
    if written:
        log.info("match run %s ended: succeeded (%s parts)", run.pk, part.total)
    return "succeeded" if written else "part-done"
