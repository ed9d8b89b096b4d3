"""The engine's JSON codec (fan-out parts travel through the database as JSON): exact round
trips, through real JSON text, without Django."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from engine_support import random_problem

from matching import engine
from matching.engine import codec

ROOT = Path(__file__).resolve().parents[2]


def through_text(data: dict) -> dict:
    """What the database gives back: the JSON as text and parsed again."""
    return json.loads(json.dumps(data))


@pytest.mark.parametrize("seed", range(12))
def test_a_problem_survives_the_json_round_trip_exactly(seed):
    problem = random_problem(seed, lots=seed % 3 == 0)
    problem = replace(
        problem, declined_pairs=frozenset({(o.id, n.id) for o in problem.offers[:1] for n in problem.needs})
    )
    back = codec.problem_from_json(through_text(codec.problem_to_json(problem)))
    assert back == problem
    # Decimals keep their exact text (not floats), dates stay dates, tuples stay tuples.
    for before, after in zip(problem.offers, back.offers, strict=True):
        assert type(after.quantity) is Decimal and str(after.quantity) == str(before.quantity)
        assert after.available_from is None or type(after.available_from) is date
    for spec in back.materials:
        assert isinstance(spec.baseline_kg_per_t, tuple)
        assert all(isinstance(pair, tuple) and type(pair[1]) is Decimal for pair in spec.baseline_kg_per_t)
    assert all(isinstance(need.materials, tuple) for need in back.needs)
    assert type(back.road_freight_kg_per_tkm) is Decimal and back.horizon_start == problem.horizon_start


@pytest.mark.parametrize("seed", range(12))
def test_a_solution_survives_the_json_round_trip_and_still_merges(seed):
    problem = random_problem(seed)
    solution = engine.solve(problem)
    back = codec.solution_from_json(through_text(codec.solution_to_json(solution)))
    assert back == solution and back.flows == solution.flows
    assert back.stats["offers"] == solution.stats["offers"]
    # The parts' solutions, decoded, merge into what one solve gives (what fan-out relies on).
    parts = engine.split_components(problem)
    decoded = [codec.solution_from_json(through_text(codec.solution_to_json(engine.solve(p)))) for p in parts]
    assert engine.merge(decoded).flows == solution.flows


def test_the_encoding_is_deterministic_for_sets():
    problem = random_problem(3)
    pairs = frozenset({(o.id, n.id) for o in problem.offers for n in problem.needs})
    one = codec.problem_to_json(replace(problem, declined_pairs=pairs))
    other = codec.problem_to_json(replace(problem, declined_pairs=frozenset(sorted(pairs, reverse=True))))
    assert json.dumps(one) == json.dumps(other)
    assert codec.encode_value({"y", "x"}) == ["x", "y"]


def test_values_encode_and_decode():
    assert codec.encode_value(Decimal("1.50")) == {"d": "1.50"}
    assert codec.decode_value({"d": "1.50"}) == Decimal("1.50")
    assert codec.encode_value(date(2026, 1, 31)) == {"date": "2026-01-31"}
    assert codec.decode_value({"date": "2026-01-31"}) == date(2026, 1, 31)
    assert codec.decode_value(codec.encode_value((1, (Decimal("2"), "x")))) == (1, (Decimal("2"), "x"))


def test_the_codec_imports_without_django():
    code = (
        "import sys, matching.engine.codec; assert 'django' not in sys.modules, 'django imported'; "
        "print('clean')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "clean"
