"""Match runs: the lifecycle of a run (:mod:`.lifecycle`), executing one (:mod:`.execute`),
fanning a large one out over several workers (:mod:`.fanout`), and the command-line summary
(:mod:`.summary`).

Dependencies go one way: ``execute`` → ``fanout`` → ``lifecycle``. The public names are
re-exported here, so ``from matching.runs import match_run_start`` works for callers outside
the package; modules inside it import from the module that defines a name.
"""

from .execute import match_run_execute, part_execute, write_results
from .lifecycle import (
    DEFAULT_TIME_STEP,
    TIME_STEPS,
    LeaseHeartbeat,
    active_run,
    claim,
    lease_renew,
    lease_seconds,
    match_run_fail,
    match_run_send,
    match_run_start,
    match_runs_sweep,
    max_attempts,
    progress,
    queued_bound_seconds,
    release,
)
from .summary import run_summary

__all__ = [
    "DEFAULT_TIME_STEP",
    "TIME_STEPS",
    "LeaseHeartbeat",
    "active_run",
    "claim",
    "lease_renew",
    "lease_seconds",
    "match_run_execute",
    "match_run_fail",
    "match_run_send",
    "match_run_start",
    "match_runs_sweep",
    "max_attempts",
    "part_execute",
    "progress",
    "queued_bound_seconds",
    "release",
    "run_summary",
    "write_results",
]
