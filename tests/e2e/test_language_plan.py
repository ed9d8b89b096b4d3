"""Which language each main page is visited in by the phone and axe tests (no browser needed)."""

from __future__ import annotations

from tests.e2e.main_pages import language_plan


def test_the_language_plan_rotates_and_covers_every_page_and_language() -> None:
    """Deterministic: page i in language i mod 3, the every-language few in all three."""
    pages = [("", f"p{i}", f"/{i}/") for i in range(7)] + [("", "home", "/")]
    plan = language_plan(pages, every_language=frozenset({"home"}))
    assert [(lang, name) for lang, _, name, _ in plan] == [
        ("en", "p0"),
        ("ru", "p1"),
        ("kk", "p2"),
        ("en", "p3"),
        ("ru", "p4"),
        ("kk", "p5"),
        ("en", "p6"),
        ("en", "home"),
        ("ru", "home"),
        ("kk", "home"),
    ]
    assert [lang for lang, *_ in language_plan(pages[:3], offset=1)] == ["ru", "kk", "en"]
