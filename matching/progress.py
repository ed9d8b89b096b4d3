"""Run progress and failure messages in the reader's language.

A worker writes ``MatchRun.progress_message`` (and ``error``) long before anyone reads it, and
many people in different languages read the same run. So the stored text is the English text of
one of the stages in :mod:`matching.progress_labels`, and :func:`progress_text` turns it back
into the reader's language when it is shown (page, API): it recognises the stage by its pattern,
takes its values, and renders the stage's label with them. A text that matches no stage (an
exception's own message) is shown as stored.

To add a progress message: add a stage to ``matching.progress_labels.STAGES`` and store
``progress_message(stage, **values)``.
"""

from __future__ import annotations

import re
from functools import cache

from .progress_labels import STAGES, stage_text

#: Every message a run states while it is queued, running, done or failed (English, as stored).
PATTERNS = tuple(STAGES.values())

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@cache
def _compiled() -> tuple[tuple[re.Pattern[str], str], ...]:
    compiled = []
    for stage, pattern in STAGES.items():
        parts = _PLACEHOLDER.split(pattern)
        # split() alternates literal text and placeholder names: text, name, text, name, text …
        regex = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts))
        compiled.append((re.compile(f"^{regex}$"), stage))
    return tuple(compiled)


def progress_stage(message: str) -> tuple[str, dict[str, str]] | None:
    """``(stage code, values)`` of a stored message, or None when it is no known stage."""
    for regex, stage in _compiled():
        match = regex.match(message or "")
        if match:
            return stage, match.groupdict()
    return None


def progress_text(message: str) -> str:
    """``message`` (as stored, in English) in the active language."""
    if not message:
        return message
    found = progress_stage(message)
    if found is None:
        return message
    return stage_text(*found)
