"""A need whose blend recipe no mix of its own accepted materials can meet is told so
(``recipe_out_of_reach``), not ``outcompeted``: the exact mix check, the engine, a real run."""

from __future__ import annotations

import itertools
import random
from datetime import date
from decimal import Decimal
from fractions import Fraction as F

import pytest
from django.utils import translation

from matching import engine
from matching.diagnostics import explanation
from matching.engine.diagnose import REASONS, diagnose, mix_reachable, recipe_out_of_reach
from matching.engine.problem import Recipe, ShareBound
from matching.models import ListingMatchStatus
from tests import factories as f

# --- the exact mix check ------------------------------------------------------------------------


def _moisture_rows(water: dict[str, int | F], lo, hi) -> list[dict[str, F]]:
    """The moisture rows of ``recipe_rows``: Σ X_m (w_m − lo) ≥ 0 and Σ X_m (hi − w_m) ≥ 0."""
    return [{m: F(w) - F(lo) for m, w in water.items()}, {m: F(hi) - F(w) for m, w in water.items()}]


def test_manure_and_straw_cannot_reach_50_to_60_percent_moisture():
    # chicken manure 46 %, straw 10 %: every mix is at most 46 % wet
    assert not mix_reachable(_moisture_rows({"manure": 46, "straw": 10}, 50, 60), ["manure", "straw"])
    assert mix_reachable(_moisture_rows({"manure": 46, "straw": 10}, 40, 60), ["manure", "straw"])


def test_the_only_feasible_mix_on_a_bound_is_reachable_and_a_hair_beyond_it_is_not():
    water = {"manure": 50, "straw": 10}
    # moisture >= 50 %: only pure manure, exactly on the lower bound
    assert mix_reachable(_moisture_rows(water, 50, 60), ["manure", "straw"])
    assert not mix_reachable(_moisture_rows(water, F(5001, 100), 60), ["manure", "straw"])
    # an exact interior point: 50 % and 20 % make exactly 30 % only at one third / two thirds
    exact = _moisture_rows({"a": 50, "b": 20}, 30, 30)
    assert mix_reachable(exact, ["a", "b"])
    # ... and a share cap just under one third of "a" rules that single mix out
    cap = [{"a": F(1, 3) - 1, "b": F(1, 3)}]  # X_a <= 1/3 ΣX: still feasible, on the bound
    assert mix_reachable(exact + cap, ["a", "b"])
    cap = [{"a": F(333, 1000) - 1, "b": F(333, 1000)}]
    assert not mix_reachable(exact + cap, ["a", "b"])


def test_no_material_no_mix_and_no_row_any_mix():
    assert not mix_reachable([], [])
    assert mix_reachable([], ["a"])
    assert mix_reachable([{"a": F(0)}], ["a"])
    assert not mix_reachable([{"a": F(-1)}], ["a"])


def test_three_materials_can_be_needed_where_no_pair_works():
    # moisture exactly 30 % and C:N-like row exactly 0: no pair, only the three together
    rows = [
        {"a": F(10), "b": F(-20), "c": F(0)},
        {"a": F(-10), "b": F(20), "c": F(0)},  # 10 x_a = 20 x_b
        {"a": F(1), "b": F(1), "c": F(-1)},
        {"a": F(-1), "b": F(-1), "c": F(1)},  # x_c = x_a + x_b
    ]
    assert mix_reachable(rows, ["a", "b", "c"])  # x = (1/3, 1/6, 1/2)
    for pair in itertools.combinations("abc", 2):
        assert not mix_reachable(rows, list(pair))


def _solve(matrix: list[list[F]], rhs: list[F]) -> list[F] | None:
    """The unique solution of a square exact system, or None when it is singular."""
    n = len(matrix)
    a = [[*row, b] for row, b in zip(matrix, rhs, strict=True)]
    for c in range(n):
        p = next((r for r in range(c, n) if a[r][c] != 0), None)
        if p is None:
            return None
        a[c], a[p] = a[p], a[c]
        for r in range(n):
            if r != c and a[r][c] != 0:
                k = a[r][c] / a[c][c]
                a[r] = [x - k * y for x, y in zip(a[r], a[c], strict=True)]
    return [a[i][n] / a[i][i] for i in range(n)]


def _by_vertices(rows: list[dict[str, F]], materials: list[str]) -> bool:
    """A polytope that is not empty has a vertex: n − 1 tight constraints with Σx = 1."""
    n = len(materials)
    if not n:
        return False
    tight = [[F(int(i == j)) for j in range(n)] for i in range(n)]  # x_i = 0
    tight += [[row.get(m, F(0)) for m in materials] for row in rows]  # row = 0
    for chosen in itertools.combinations(tight, n - 1):
        x = _solve([*chosen, [F(1)] * n], [F(0)] * (n - 1) + [F(1)])
        if x is not None and all(v >= 0 for v in x):
            if all(sum(row.get(m, F(0)) * v for m, v in zip(materials, x, strict=True)) >= 0 for row in rows):
                return True
    return False


@pytest.mark.parametrize("seed", range(5))
def test_the_simplex_agrees_with_every_vertex_on_random_exact_rows(seed):
    rng = random.Random(seed)
    for _ in range(150):
        materials = ["a", "b", "c", "d"][: rng.randint(1, 4)]
        rows = [
            {m: F(rng.randint(-4, 4), rng.choice([1, 2, 3])) for m in materials}
            for _ in range(rng.randint(0, 5))
        ]
        assert mix_reachable(rows, materials) == _by_vertices(rows, materials), rows


# --- the engine --------------------------------------------------------------------------------


def _spec(key: str, moisture) -> engine.MaterialSpec:
    return engine.MaterialSpec(
        key=key,
        unit_basis="t",
        mass_per_piece_t=None,
        density_t_per_m3=None,
        landfill_kg_per_t=Decimal(500),
        substitution_kg_per_t=Decimal(0),
        treatment_kg_per_t=Decimal(0),
        moisture_pct=Decimal(moisture),
        nitrogen_pct_dry=Decimal("1"),
        c_to_n=Decimal(20),
    )


def _offer(i: int, material: str, lat: float, qty: int) -> engine.OfferInput:
    return engine.OfferInput(
        id=i, material=material, lat=lat, lon=77.0, quantity=Decimal(qty), unit="t", period="once",
        available_from=None, available_until=None, min_lot=None, max_distance_km=None,
    )  # fmt: skip


def _need(i: int, materials, lat: float, qty: int, recipe: Recipe | None = None) -> engine.NeedInput:
    return engine.NeedInput(
        id=i, materials=tuple(materials), lat=lat, lon=77.0, quantity=Decimal(qty), unit="t",
        period="once", available_from=None, available_until=None, min_lot=None,
        max_distance_km=Decimal(50), recipe=recipe,
    )  # fmt: skip


def test_the_engine_names_a_recipe_out_of_reach_and_still_names_an_outbid_need_outcompeted():
    specs = (_spec("manure", 46), _spec("straw", 10), _spec("x", 30))
    problem = engine.Problem(
        offers=(_offer(1, "manure", 43.00, 10), _offer(2, "straw", 43.00, 10), _offer(3, "x", 43.00, 10)),
        needs=(
            # nothing but manure and straw, 50-60 % wet: out of reach, although both sit next door
            _need(1, ("manure", "straw"), 43.01, 10, Recipe(moisture_pct=(Decimal(50), Decimal(60)))),
            # a reachable recipe (x alone is 30 % wet), but a nearer need without one takes all of x
            _need(2, ("x",), 43.20, 10, Recipe(moisture_pct=(Decimal(20), Decimal(40)))),
            _need(3, ("x",), 43.01, 10),
        ),
        materials=specs,
        horizon_start=date(2026, 1, 1),
    )
    solution = engine.solve(problem)
    found = {(d.kind, d.id): d for d in diagnose(problem, solution.flows)}
    assert not [fl for fl in solution.flows if fl.need_id == 1]
    assert found[("need", 1)].reason == "recipe_out_of_reach"
    assert found[("need", 1)].nearest_km is None
    assert found[("need", 3)].reason == "matched"
    assert found[("need", 2)].reason == "outcompeted" and found[("need", 2)].nearest_km is not None
    materials = {s.key: s for s in specs}
    assert recipe_out_of_reach(problem.needs[0], materials)
    assert not recipe_out_of_reach(problem.needs[1], materials)
    assert not recipe_out_of_reach(problem.needs[2], materials)  # no recipe


def test_an_offer_near_only_needs_that_cannot_take_it_is_not_told_it_was_outcompeted():
    bare = engine.MaterialSpec(
        key="y", unit_basis="t", mass_per_piece_t=None, density_t_per_m3=None,
        landfill_kg_per_t=Decimal(500), substitution_kg_per_t=Decimal(0), treatment_kg_per_t=Decimal(0),
    )  # fmt: skip
    specs = (_spec("manure", 46), _spec("straw", 10), _spec("x", 30), bare)
    problem = engine.Problem(
        offers=(
            _offer(1, "manure", 43.00, 10),  # next to need 1 alone, whose recipe is out of reach
            _offer(2, "y", 43.00, 10),  # next to need 2 alone, whose moisture bound bars y
        ),
        needs=(
            _need(1, ("manure", "straw"), 43.01, 10, Recipe(moisture_pct=(Decimal(50), Decimal(60)))),
            _need(2, ("x", "y"), 43.01, 10, Recipe(moisture_pct=(Decimal(20), Decimal(40)))),
            _need(3, ("manure",), 44.00, 5),  # takes manure, but 111 km away (radius 50)
        ),
        materials=specs,
        horizon_start=date(2026, 1, 1),
    )
    solution = engine.solve(problem)
    found = {(d.kind, d.id): d for d in diagnose(problem, solution.flows)}
    # before: both were "outcompeted" by needs that could never take them
    assert found[("offer", 1)].reason == "no_counterpart_in_radius"
    assert found[("offer", 2)].reason == "no_counterpart_in_radius"
    assert found[("offer", 2)].nearest_km is None  # no need can take y at all
    assert 105 <= found[("offer", 1)].nearest_km <= 150  # need 3, the nearest that takes manure
    assert found[("need", 1)].reason == "recipe_out_of_reach"
    assert not solution.flows


def test_a_share_floor_on_a_material_the_recipe_bars_is_out_of_reach():
    # "y" has no moisture, so a moisture bound bars it; a floor on its share cannot be met
    bare = engine.MaterialSpec(
        key="y", unit_basis="t", mass_per_piece_t=None, density_t_per_m3=None,
        landfill_kg_per_t=Decimal(500), substitution_kg_per_t=Decimal(0), treatment_kg_per_t=Decimal(0),
    )  # fmt: skip
    recipe = Recipe(
        shares=(ShareBound(material="y", min=Decimal("0.1"), max=Decimal("0.5")),),
        moisture_pct=(Decimal(20), Decimal(40)),
    )
    need = _need(1, ("x", "y"), 43.0, 10, recipe)
    assert recipe_out_of_reach(need, {"x": _spec("x", 30), "y": bare})
    widened = _need(1, ("x", "y"), 43.0, 10, Recipe(moisture_pct=(Decimal(20), Decimal(40))))
    assert not recipe_out_of_reach(widened, {"x": _spec("x", 30), "y": bare})


def test_the_reason_is_in_the_vocabulary_and_explained_in_every_language():
    from marketplace.models import MatchReason

    assert "recipe_out_of_reach" in REASONS and "recipe_out_of_reach" in MatchReason.values
    english = explanation("recipe_out_of_reach", None)
    for language in ("ru", "kk"):
        with translation.override(language):
            assert explanation("recipe_out_of_reach", None) != english
            assert str(MatchReason.RECIPE_OUT_OF_REACH.label) != "Recipe out of reach"


# --- a real run --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_real_run_stores_and_shows_recipe_out_of_reach(brewery, farm, municipality, run_now):
    from marketplace import services as market

    f.make_offer(brewery.organisation, brewery.site, "chicken_manure", 200)
    f.make_offer(brewery.organisation, brewery.site, "straw", 200)
    need = f.make_need(farm.organisation, farm.site, ["chicken_manure", "straw"], 100, max_distance_km=80)
    # chicken manure is 46 % wet, straw 10 %: no mix reaches 50 %; validation accepts the recipe
    market.need_update(need=need, actor=farm.user, recipe={"moisture_pct": ["50", "60"]})
    run = run_now()
    stored = ListingMatchStatus.objects.get(need=need)
    assert (stored.reason, stored.nearest_km, stored.run_id) == ("recipe_out_of_reach", None, run.pk)
    response = farm.client().get(f"/api/v1/needs/{need.pk}/")
    assert response.status_code == 200
    status = response.json()["match_status"]
    assert status["reason"] == "recipe_out_of_reach" and status["nearest_km"] is None
    assert status["explanation"] == explanation("recipe_out_of_reach", None)
    # widened to what the mix can reach, the next run serves it
    market.need_update(need=need, actor=farm.user, recipe={"moisture_pct": ["20", "60"]})
    run_now()
    assert ListingMatchStatus.objects.get(need=need).reason in ("matched", "partly_matched")
