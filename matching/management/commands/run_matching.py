"""Start a match run, wait for it, print its summary."""

import time

from django.core.management.base import BaseCommand, CommandError

from accounts.errors import DomainError
from matching import runs
from matching.models import MatchRun, Objective, RunStatus


class Command(BaseCommand):
    help = "Run the city-wide matching now (through the worker when REDIS_URL is set) and print the summary."

    def add_arguments(self, parser):
        parser.add_argument("--objective", choices=Objective.values, default=Objective.DIVERT_THEN_DISTANCE)
        parser.add_argument("--horizon-days", type=int, default=365)
        parser.add_argument("--timeout", type=float, default=900, help="seconds to wait for the run")

    def handle(self, *args, objective, horizon_days, timeout, **options):
        try:
            run = runs.match_run_start(actor=None, objective=objective, horizon_days=horizon_days)
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Match run #{run.pk} queued ({objective}).")
        deadline = time.monotonic() + timeout
        last = None
        while True:
            run = MatchRun.objects.select_related("factor_set").get(pk=run.pk)
            if (run.progress, run.progress_message) != last and run.status == RunStatus.RUNNING:
                last = (run.progress, run.progress_message)
                self.stdout.write(f"  {run.progress:3d}% {run.progress_message}")
            if run.status in (RunStatus.SUCCEEDED, RunStatus.FAILED):
                break
            if time.monotonic() > deadline:
                raise CommandError(f"Run #{run.pk} still {run.status} after {timeout:.0f} s.")
            time.sleep(0.5)
        self.stdout.write(runs.run_summary(run))
        if run.status == RunStatus.FAILED:
            raise CommandError(f"Run #{run.pk} failed.")
