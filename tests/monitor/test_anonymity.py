"""The k-anonymity rule, cell by cell (pure: no database)."""

from decimal import Decimal

from monitor.anonymity import Cell, fold, is_safe, union_is_safe


def cell(key, *orgs, size=1, waste=None):
    builders = {"net": set(orgs)}
    if waste is not None:
        builders["waste"] = set(waste)
    return Cell(key=key, builders=builders, size=Decimal(size))


def test_a_figure_is_safe_when_nobody_or_at_least_k_organisations_build_it():
    assert is_safe(set(), 3) and is_safe({1, 2, 3}, 3)
    assert not is_safe({1}, 3) and not is_safe({1, 2}, 3)


def test_cells_of_at_least_k_organisations_are_shown_and_nothing_is_folded():
    folding = fold([cell("a", 1, 2, 3), cell("b", 4, 5, 6, 7)], k=3)
    assert folding.shown == ("a", "b") and folding.folded == () and not folding.suppressed
    assert not folding.has_other


def test_a_small_cell_alone_in_other_is_folded_with_the_next_smallest():
    # "other" = c alone would be c itself: the next smallest cell (b, 3 organisations) joins it.
    folding = fold(
        [cell("a", 1, 2, 3, 4, size=900), cell("b", 5, 6, 7, size=400), cell("c", 8, 9, size=100)], k=3
    )
    assert folding.shown == ("a",)
    assert set(folding.folded) == {"b", "c"}
    assert folding.has_other


def test_two_small_cells_that_are_safe_together_are_folded_alone():
    folding = fold([cell("a", 1, 2, 3), cell("b", 4, 5), cell("c", 6)], k=3)
    assert folding.shown == ("a",) and set(folding.folded) == {"b", "c"}


def test_two_small_cells_of_the_same_two_organisations_still_need_a_third():
    # b and c are both built by organisations 4 and 5: together still only two.
    folding = fold(
        [
            cell("a", 1, 2, 3, size=10),
            cell("b", 4, 5, size=2),
            cell("c", 4, 5, size=1),
            cell("d", 6, 7, 8, 9, size=20),
        ],
        k=3,
    )
    assert "a" in folding.folded and "d" in folding.shown
    assert union_is_safe([cell("a", 1, 2, 3), cell("b", 4, 5), cell("c", 4, 5)], 3)


def test_the_smallest_is_the_one_with_fewest_organisations_then_least_mass():
    folding = fold([cell("big", 1, 2, 3, size=10), cell("small", 4, 5, 6, size=5), cell("tiny", 7)], k=3)
    assert set(folding.folded) == {"small", "tiny"} and folding.shown == ("big",)


def test_a_city_of_fewer_than_k_organisations_is_suppressed_entirely():
    folding = fold([cell("a", 1), cell("b", 1, 2)], k=3)
    assert folding.suppressed and folding.shown == () and not folding.has_other


def test_every_figure_of_a_cell_must_be_safe():
    # Three organisations in the cell, but only one of them builds its waste figure.
    unsafe = cell("a", 1, 2, 3, waste={1})
    assert not unsafe.is_safe(3)
    assert cell("b", 1, 2, 3, waste=set()).is_safe(3)


def test_cells_named_in_merge_always_go_to_other():
    folding = fold([cell("biomass", 1, 2, 3), cell("other", 4, 5, 6)], k=3, merge=["other"])
    assert folding.shown == ("biomass",) and folding.folded == ("other",)


def test_no_published_figure_can_be_subtracted_back_to_a_small_cell():
    """Exhaustive on small tables: every shown cell and "other" are each safe."""
    import itertools

    orgs = range(1, 6)
    layouts = list(itertools.combinations_with_replacement([frozenset(c) for c in _subsets(orgs)], 3))
    for layout in layouts[:4000]:
        cells = [cell(f"c{i}", *sorted(s), size=i + 1) for i, s in enumerate(layout)]
        folding = fold(cells, k=3)
        by_key = {c.key: c for c in cells}
        for key in folding.shown:
            assert by_key[key].is_safe(3)
        if folding.folded and not folding.suppressed:
            assert union_is_safe([by_key[k] for k in folding.folded], 3)
        if folding.suppressed:
            assert not union_is_safe(cells, 3)


def _subsets(items):
    import itertools

    items = list(items)
    for size in range(1, len(items) + 1):
        yield from itertools.combinations(items, size)
