"""The fan-out codec carries issue 13's fields: time step, yards, recipes, flow schedules.

On this branch the codec is in ``matching.fanout``; main has since moved it to
``matching.engine.codec`` (and fan-out to ``matching.runs.fanout``): the imports take whichever
exists, so after the merge these tests check the engine's codec (helper "time" makes the new
fields round-trip there).
"""

from __future__ import annotations

import importlib
import json
from datetime import date
from decimal import Decimal

from matching import engine
from matching.engine.problem import Recipe, ShareBound, StorageInput


def _first_module(*names: str):
    for name in names:
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    raise ImportError(names)


codec = _first_module("matching.engine.codec", "matching.fanout")
fanout = _first_module("matching.runs.fanout", "matching.fanout")


def problem() -> engine.Problem:
    need = engine.NeedInput(
        id=2,
        materials=("chicken_manure", "straw"),
        lat=43.3,
        lon=77.2,
        quantity=Decimal(300),
        unit="t",
        period="year",
        available_from=None,
        available_until=None,
        min_lot=None,
        max_distance_km=Decimal(80),
        recipe=Recipe(
            shares=(ShareBound(material="straw", min=Decimal("0.2"), max=Decimal("0.7")),),
            c_to_n=(Decimal(25), Decimal(30)),
        ),
    )
    yard = StorageInput(
        id=7,
        materials=("precast_concrete_panel",),
        lat=43.27,
        lon=77.05,
        capacity=Decimal(100),
        unit="piece",
        available_from=date(2027, 5, 1),
        available_until=None,
        handling_kg_co2e_per_t=Decimal("4.5"),
        owner=3,
    )
    return engine.Problem(
        offers=(),
        needs=(need,),
        materials=(),
        horizon_start=date(2027, 1, 1),
        time_step="week",
        storages=(yard,),
    )


def test_a_problem_round_trips_through_json_with_its_recipe_yards_and_time_step():
    original = problem()
    again = codec.problem_from_json(json.loads(json.dumps(codec.problem_to_json(original))))
    assert again == original


def test_a_solutions_flows_round_trip_with_their_schedules_and_yard():
    flow = engine.Flow(
        offer_id=1,
        need_id=2,
        material="precast_concrete_panel",
        quantity=40,
        unit="piece",
        mass_kg=40_000,
        distance_km=18.5,
        schedule=((date(2027, 9, 1), 40),),
        via_storage=7,
        storage_schedule=((date(2027, 6, 1), 40),),
        legs_km=(8.0, 10.5),
    )
    solution = engine.Solution(
        flows=(flow,),
        objective="divert_then_distance",
        proven_optimal=True,
        bound=1.0,
        supply_kg=1,
        waste_kg=1,
        diverted_kg=1,
        landfilled_kg=0,
        other_moved_kg=0,
        tkm=1.0,
        net_co2e_kg=1.0,
    )
    again = codec.solution_from_json(json.loads(json.dumps(codec.solution_to_json(solution))))
    assert again.flows == (flow,)


def test_flows_stored_by_parts_before_issue_13_still_read():
    old = {"flows": [[1, 2, "straw", 5, "kg", 5, 3.0]], "objective": "divert_then_distance"}
    rest = dict(
        proven_optimal=True,
        bound=None,
        supply_kg=0,
        waste_kg=0,
        diverted_kg=0,
        landfilled_kg=0,
        other_moved_kg=0,
        tkm=0.0,
        net_co2e_kg=0.0,
        stats={},
    )
    (flow,) = codec.solution_from_json({**old, **rest}).flows
    assert flow.schedule == () and flow.via_storage is None


def test_a_run_with_storage_yards_is_solved_in_one_piece(settings):
    settings.MATCHING_FANOUT_PARTS = 4
    settings.MATCHING_FANOUT_MIN_LISTINGS = 0
    assert fanout.should_fan_out(problem()) == 1
