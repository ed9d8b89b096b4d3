"""What a match run says while it is queued, running, done or failed: one code per stage.

A worker stores ``MatchRun.progress_message`` (and ``error``) long before anyone reads it, and
people in different languages read the same run. So the worker stores the English text of a
stage (:func:`progress_message`, e.g. ``progress_message("solving", offers=12, needs=30)`` →
``"Solving 12 offers × 30 needs"``), and the page and the API show it in the reader's language
(:func:`stage_text`, through :func:`matching.progress.progress_text`, which recognises the
stored English text), with the plural forms the counts ask for ("1 предложение",
"3 предложения", "12 предложений").

To add a stage: a code and its English pattern in :data:`STAGES` (named ``%(x)s`` placeholders;
counts are plain integers), its rendering in :func:`stage_text`, and the translations.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import gettext, gettext_noop, ngettext

from config.units import number_text

#: Stage code → the English text the worker stores (also the pattern it is recognised by).
STAGES: dict[str, str] = {
    "claimed": gettext_noop("Claimed by a worker"),
    "retry_wait": gettext_noop("Waiting to retry"),
    "failed": gettext_noop("Failed"),
    "done": gettext_noop("Done"),
    "requeued": gettext_noop("Re-queued after a lost worker"),
    "solving": "Solving %(offers)s offers × %(needs)s needs",
    "writing": "Writing %(proposals)s proposals",
    "fanout": "Solving in %(parts)s parts on the workers",
    "parts_done": "%(done)s of %(total)s parts solved",
    "gave_up": "Gave up after %(attempts)s attempts (workers died or timed out).",
    "worker_lost": "Worker lost %(attempts)s times; giving up.",
}


def progress_message(stage: str, **values: object) -> str:
    """The text a worker stores for ``stage`` (English; shown translated by :func:`stage_text`)."""
    return STAGES[stage] % {key: str(value) for key, value in values.items()}


def _count(value: object) -> int:
    try:
        return int(str(value).replace(" ", "").replace(",", ""))
    except ValueError:
        return 0  # not a count: the plural form of "many"


def _n(value: object) -> str:
    text = str(value)
    return number_text(text, "0") if text.strip().lstrip("-").isdigit() else text


def stage_text(stage: str, values: Mapping[str, object] | None = None) -> str:
    """``stage`` with ``values`` in the active language (plural forms from the catalogue)."""
    v = dict(values or {})
    if stage == "solving":
        offers, needs = v.get("offers", ""), v.get("needs", "")
        return gettext("Solving %(offers)s × %(needs)s") % {
            "offers": ngettext("%(n)s offer", "%(n)s offers", _count(offers)) % {"n": _n(offers)},
            "needs": ngettext("%(n)s need", "%(n)s needs", _count(needs)) % {"n": _n(needs)},
        }
    if stage == "writing":
        n = v.get("proposals", "")
        return ngettext("Writing %(n)s proposal", "Writing %(n)s proposals", _count(n)) % {"n": _n(n)}
    if stage == "fanout":
        n = v.get("parts", "")
        return ngettext(
            "Solving in %(n)s part on the workers", "Solving in %(n)s parts on the workers", _count(n)
        ) % {"n": _n(n)}
    if stage == "parts_done":
        done, total = v.get("done", ""), v.get("total", "")
        return ngettext(
            "%(done)s of %(total)s part solved", "%(done)s of %(total)s parts solved", _count(total)
        ) % {"done": _n(done), "total": _n(total)}
    if stage == "gave_up":
        n = v.get("attempts", "")
        return ngettext(
            "Gave up after %(n)s attempt (workers died or timed out).",
            "Gave up after %(n)s attempts (workers died or timed out).",
            _count(n),
        ) % {"n": _n(n)}
    if stage == "worker_lost":
        n = v.get("attempts", "")
        return ngettext(
            "Worker lost %(n)s time; giving up.", "Worker lost %(n)s times; giving up.", _count(n)
        ) % {"n": _n(n)}
    return gettext(STAGES[stage])
