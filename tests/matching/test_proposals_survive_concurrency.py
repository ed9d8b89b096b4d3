"""A run's write and an acceptance at the same moment (PostgreSQL row locks, real threads)."""

import threading

import pytest
from django.db import connection

from matching import engine, runs, services
from matching.models import MatchRun, Proposal, RunStatus
from matching.snapshot import build_snapshot

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _solved_run(municipality):
    """A second run, claimed and solved, about to write (its snapshot predates the acceptance)."""
    run = runs.match_run_start(actor=municipality.user, enqueue=False)
    token = runs.claim(run_id=run.pk, worker="racer")
    run = MatchRun.objects.select_related("factor_set").get(pk=run.pk)
    snapshot = build_snapshot(
        factor_set=run.factor_set,
        objective=run.objective,
        horizon_start=run.horizon_start,
        horizon_days=run.horizon_days,
    )
    destinations = {o.id: o.current_destination for o in snapshot.problem.offers}
    return run, token, engine.solve(snapshot.problem), destinations


@pytest.mark.parametrize("attempt", range(5))
def test_an_acceptance_racing_a_run_write_leaves_one_proposal_accepted(
    grain_market, brewery, municipality, attempt
):
    first = runs.match_run_start(actor=municipality.user, enqueue=False)
    assert runs.match_run_execute(run_id=first.pk) == "succeeded"
    original = Proposal.objects.get()
    run, token, solution, destinations = _solved_run(municipality)
    barrier = threading.Barrier(2)
    errors = []

    def write():
        try:
            barrier.wait()
            runs.write_results(
                run=run, token=token, solution=solution, destinations=destinations, seconds=0.1
            )
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    def accept():
        try:
            barrier.wait()
            services.proposal_accept(proposal=Proposal.objects.get(pk=original.pk), actor=brewery.user)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write), threading.Thread(target=accept)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert MatchRun.objects.get(pk=run.pk).status == RunStatus.SUCCEEDED
    # Whichever came first: one proposal, the original, accepted by the supplier, nothing twice.
    assert list(Proposal.objects.values_list("pk", "status")) == [(original.pk, "accepted_by_offer")]
