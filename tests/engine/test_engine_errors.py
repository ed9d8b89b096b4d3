"""Malformed input becomes a typed error naming the listing, never a print or a crash."""

import dataclasses
import pickle
from decimal import Decimal

import pytest
from engine_support import HORIZON, MATERIALS

from matching.engine import (
    EngineError,
    InfeasibleInput,
    NeedInput,
    OfferInput,
    Problem,
    SolverTimeout,
    merge,
    solve,
)

OFFER = OfferInput(1, "grain", 43.2, 76.9, Decimal(5), "t", "once", None, None, None, None)
NEED = NeedInput(2, ("grain",), 43.21, 76.9, Decimal(5), "t", "once", None, None, None, Decimal(20))
PROBLEM = Problem(offers=(OFFER,), needs=(NEED,), materials=MATERIALS, horizon_start=HORIZON)


@pytest.mark.parametrize(
    "change, listing",
    [
        (dict(offers=(dataclasses.replace(OFFER, material="unobtainium"),)), ("offer", 1)),
        (dict(needs=(dataclasses.replace(NEED, materials=("bags", "panels"), unit="piece"),)), ("need", 2)),
        (dict(needs=(dataclasses.replace(NEED, materials=("grain", "bags")),)), ("need", 2)),
        # deliberately invalid input: a need without a maximum distance
        (dict(needs=(dataclasses.replace(NEED, max_distance_km=None),)), ("need", 2)),  # type: ignore[arg-type]
        (dict(offers=(dataclasses.replace(OFFER, period="fortnight"),)), ("offer", 1)),
        (dict(offers=(dataclasses.replace(OFFER, quantity=Decimal(-1)),)), ("offer", 1)),
    ],
)
def test_it_names_the_listing_it_cannot_model(change, listing):
    with pytest.raises(InfeasibleInput) as error:
        solve(dataclasses.replace(PROBLEM, **change))
    assert error.value.listing == listing


def test_it_rejects_unknown_objectives_and_duplicate_ids():
    with pytest.raises(InfeasibleInput):
        solve(dataclasses.replace(PROBLEM, objective="vibes"))
    with pytest.raises(InfeasibleInput):
        solve(dataclasses.replace(PROBLEM, offers=(OFFER, OFFER)))


def test_an_empty_problem_has_an_empty_proven_solution():
    solution = solve(dataclasses.replace(PROBLEM, offers=(), needs=()))
    assert solution.flows == () and solution.proven_optimal and solution.supply_kg == 0


def test_unmatched_supply_counts_as_landfilled():
    far = dataclasses.replace(NEED, lat=44.5)
    solution = solve(dataclasses.replace(PROBLEM, needs=(far,)))
    assert solution.landfilled_kg == solution.supply_kg == 5000 and solution.diverted_kg == 0


def test_merging_nothing_or_mixed_objectives_is_an_error():
    with pytest.raises(EngineError):
        merge([])
    with pytest.raises(EngineError):
        merge([solve(PROBLEM), solve(dataclasses.replace(PROBLEM, objective="net_climate"))])


def test_errors_survive_a_process_boundary():
    error = pickle.loads(pickle.dumps(SolverTimeout("late", bound=12.5)))
    assert isinstance(error, SolverTimeout) and error.bound == 12.5 and str(error) == "late"
