"""Fan a large run out over several workers, without a Celery result backend: split and gather.

The coordinator (the run's claimant) splits the snapshot into independent groups of
components, stores each group as a :class:`RunPart` row (the database stays the record of what
is owed), and sends one ``solve_part`` task per part. Each part worker stores its solution; the
part that completes the set gathers them, merged, and :mod:`matching.runs.execute` writes every
proposal in one transaction, exactly as a single worker would. Parts belong to one claim of the
run: if a part's worker dies, the run's lease runs out, the sweeper re-queues the whole run
under a new claim, and the old parts are ignored.

This module imports only :mod:`matching.runs.lifecycle` of the run package (for progress);
problems and solutions travel as JSON through :mod:`matching.engine.codec`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, cast

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .. import engine
from ..engine import codec
from ..enqueue import enqueue
from ..models import MatchRun, RunPart, RunStatus
from ..progress_labels import progress_message
from .lifecycle import progress

#: the Celery task that solves one part (``matching.tasks.solve_part``), sent by name
PART_TASK = "matching.solve_part"


# --- Split -------------------------------------------------------------------------------------
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
                declined_storage_triples=frozenset(t for p in group for t in p.declined_storage_triples),
                road_freight_kg_per_tkm=problem.road_freight_kg_per_tkm,
                time_limit_s=problem.time_limit_s,
                time_step=problem.time_step,
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
        time_step=first.time_step,
        storages=first.storages,
        declined_storage_triples=frozenset().union(*(p.declined_storage_triples for p in problems)),
    )


def should_fan_out(problem: engine.Problem) -> int:
    """How many parts to use (1 = solve in place)."""
    parts = int(settings.MATCHING_FANOUT_PARTS)
    threshold = int(settings.MATCHING_FANOUT_MIN_LISTINGS)
    if parts <= 1 or len(problem.offers) + len(problem.needs) < threshold:
        return 1
    if problem.storages:
        # A storage yard may join components the split does not know of (issue 13): until the
        # engine's split accounts for yards, a run with yards is solved in one piece.
        return 1
    return parts


def _send_parts(ids: list[int]) -> None:
    for pk in ids:
        enqueue(PART_TASK, pk)


def fan_out(*, run: MatchRun, token: str, problem: engine.Problem, parts: int) -> int:
    """Store the parts and send their tasks after commit. Returns the number of parts (0 when
    the claim is no longer ours)."""
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
                RunPart(
                    run=run, claim_token=token, index=i, total=len(pieces), problem=codec.problem_to_json(p)
                )
                for i, p in enumerate(pieces)
            ]
        )
        MatchRun.objects.filter(pk=run.pk, claim_token=token).update(
            progress=25,
            progress_message=progress_message("fanout", parts=len(pieces)),
            parameters={**run.parameters, "parts": len(pieces)},
        )
        transaction.on_commit(partial(_send_parts, [p.pk for p in created]))
    return len(pieces)


# --- Gather ------------------------------------------------------------------------------------
def part_claim(*, part_id: int, worker: str) -> RunPart | None:
    """Take a queued part (None when another worker has it, or it is done)."""
    if not RunPart.objects.filter(pk=part_id, status=RunPart.Status.QUEUED).update(
        status=RunPart.Status.RUNNING, worker=worker[:200], started_at=timezone.now()
    ):
        return None
    return RunPart.objects.select_related("run").get(pk=part_id)


def part_problem(part: RunPart) -> engine.Problem:
    return codec.problem_from_json(cast(dict[str, Any], part.problem))


@dataclass(frozen=True)
class Gathered:
    """Every part of a claim solved: the merged solution and what writing it needs."""

    solution: engine.Solution
    problem: engine.Problem
    destinations: dict[int, str]
    seconds: float


def part_gather(*, part: RunPart, solution: engine.Solution, seconds: float) -> Gathered | None:
    """Store a solved part and report progress; once it completes its set, everything merged
    (None while other parts are still owed)."""
    RunPart.objects.filter(pk=part.pk).update(
        status=RunPart.Status.DONE,
        solution=codec.solution_to_json(solution),
        finished_at=timezone.now(),
        seconds=seconds,
    )
    run_id = part.run_id
    done = RunPart.objects.filter(
        run_id=run_id, claim_token=part.claim_token, status=RunPart.Status.DONE
    ).count()
    progress(
        run_id=run_id,
        token=part.claim_token,
        percent=25 + int(60 * done / part.total),
        message=progress_message("parts_done", done=done, total=part.total),
    )
    if done < part.total:
        return None
    parts = list(RunPart.objects.filter(run_id=run_id, claim_token=part.claim_token).order_by("index"))
    # every part is done, so every part has a solution
    merged = engine.merge(codec.solution_from_json(cast(dict[str, Any], p.solution)) for p in parts)
    problems = [part_problem(p) for p in parts]
    return Gathered(
        solution=merged,
        problem=union(problems),
        destinations={o.id: o.current_destination for p in problems for o in p.offers},
        seconds=sum(p.seconds or 0 for p in parts),
    )
