"""The few lines the ``run_matching`` command prints about a run."""

from __future__ import annotations

from typing import Any

from ..models import MatchRun, RunStatus


def _supply_line(s: dict[str, Any]) -> str:
    if "waste_t" not in s:  # a run from before waste-bound supply: every moved tonne counted
        return (
            f"  supply {s.get('supply_t'):,.3f} t: moved {s.get('diverted_t'):,.3f} t, not moved "
            f"{s.get('landfilled_t'):,.3f} t; {s.get('tkm'):,.1f} t·km"
        )
    return (
        f"  supply {s.get('supply_t'):,.3f} t, waste-bound {s.get('waste_t'):,.3f} t: diverted "
        f"{s.get('diverted_t'):,.3f} t from waste, {s.get('landfilled_t'):,.3f} t left in its fate; "
        f"{s.get('other_moved_t'):,.3f} t moved from other uses; {s.get('tkm'):,.1f} t·km"
    )


def run_summary(run: MatchRun) -> str:
    """A few lines for the command line."""
    s = run.stats or {}
    lines = [f"Match run #{run.pk}: {run.status} ({run.objective}, factor set {run.factor_set.version})"]
    if run.status == RunStatus.SUCCEEDED:
        lines += [
            f"  listings: {s.get('offers')} offers, {s.get('needs')} needs; "
            f"{s.get('arcs')} candidate arcs in {s.get('components')} components",
            f"  solved in {s.get('solve_seconds')} s; proven optimal: {s.get('proven_optimal')}",
            _supply_line(s),
            f"  net avoided {s.get('net_co2e_t'):,.3f} t CO₂e; {s.get('proposals')} proposals",
        ]
    elif run.error:
        lines.append(f"  error: {run.error}")
    return "\n".join(lines)
