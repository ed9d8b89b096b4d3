"""Run progress and failure messages in the reader's language.

A worker writes ``MatchRun.progress_message`` (and ``error``) long before anyone reads it, and
many people in different languages read the same run. So the stored text is the English
rendering of one of the message patterns below, and :func:`progress_text` turns it back into
the reader's language when it is shown (page, API): it recognises the pattern, takes its
values, and renders the translated pattern with them. A text that matches no pattern (an
exception's own message, a message added without a pattern here) is shown as stored.

To add a progress message: write it in ``runs``/``fanout`` as ``PATTERN % values`` with a
pattern listed here (named ``%(x)s`` placeholders), and translate the pattern.
"""

from __future__ import annotations

import re
from functools import cache

from django.utils.translation import gettext, gettext_noop

#: Every message a run states while it is queued, running, done or failed.
PATTERNS = (
    gettext_noop("Claimed by a worker"),
    gettext_noop("Waiting to retry"),
    gettext_noop("Failed"),
    gettext_noop("Done"),
    gettext_noop("Re-queued after a lost worker"),
    gettext_noop("Solving %(offers)s offers × %(needs)s needs"),
    gettext_noop("Writing %(proposals)s proposals"),
    gettext_noop("Solving in %(parts)s parts on the workers"),
    gettext_noop("%(done)s of %(total)s parts solved"),
    gettext_noop("Gave up after %(attempts)s attempts (workers died or timed out)."),
    gettext_noop("Worker lost %(attempts)s times; giving up."),
)

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@cache
def _compiled() -> tuple[tuple[re.Pattern[str], str], ...]:
    compiled = []
    for pattern in PATTERNS:
        parts = _PLACEHOLDER.split(pattern)
        # split() alternates literal text and placeholder names: text, name, text, name, text …
        regex = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts))
        compiled.append((re.compile(f"^{regex}$"), pattern))
    return tuple(compiled)


def progress_text(message: str) -> str:
    """``message`` (as stored, in English) in the active language."""
    if not message:
        return message
    for regex, pattern in _compiled():
        match = regex.match(message)
        if match:
            return gettext(pattern) % match.groupdict()
    return message
