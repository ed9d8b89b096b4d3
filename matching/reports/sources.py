"""What the printable report says about where a factor comes from: a citation and a confidence.

The factor file's source columns are working notes: a reference, then the arithmetic behind the
number, and tags such as ``[verified]`` or ``[memory, unverified]``; its ``notes`` column ends
with the author's confidence (``conf: landfill low, substitution medium.``). A reader of the
report needs the reference and how far to trust it, not the notes, so this module extracts both.
Pure functions on text; the factor admin and the factor-set pages still show the full notes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

_TAG = re.compile(r"\s*\[([^\]]*)\]")
_CONF = re.compile(r"\bconf(?:idence)?\s*:\s*([^.;]*)", re.IGNORECASE)
_LEVEL = re.compile(r"\b(low-medium|medium-low|medium-high|high-medium|low|medium|high)\b", re.IGNORECASE)
_MAX_CITATION = 140

# Ordered from the least to the most trust; a factor's confidence is its weakest stated level.
LEVELS = ("low", "low-medium", "medium", "medium-high", "high")
_SYNONYMS = {"medium-low": "low-medium", "high-medium": "medium-high"}
LEVEL_LABELS = {
    "low": pgettext_lazy("confidence", "low"),
    "low-medium": pgettext_lazy("confidence", "low to medium"),
    "medium": pgettext_lazy("confidence", "medium"),
    "medium-high": pgettext_lazy("confidence", "medium to high"),
    "high": pgettext_lazy("confidence", "high"),
    "verified": pgettext_lazy("confidence", "verified source"),
    "unverified": pgettext_lazy("confidence", "unverified estimate"),
    "": pgettext_lazy("confidence", "not stated"),
}


@dataclass(frozen=True)
class Source:
    """One factor's provenance as the report prints it."""

    citations: tuple[str, ...]
    confidence: str  # a key of LEVEL_LABELS

    @property
    def confidence_label(self) -> str:
        return str(LEVEL_LABELS[self.confidence])


def tags(text: str) -> list[str]:
    """The bracketed working tags in ``text`` (``["memory, unverified"]``)."""
    return [tag.strip().lower() for tag in _TAG.findall(text or "")]


def citation(text: str) -> str:
    """The references in a source note, without its arithmetic, remarks and tags.

    ``"IPCC 2006 V5 Ch3 Tier 1 methane commitment: DOC x DOCf 0.5 … [verified]"`` →
    ``"IPCC 2006 V5 Ch3 Tier 1 methane commitment"``; ``"Open burning in the field: IPCC 2006 V4
    Ch2 Table 2.5 CH4 2.7 …. Incineration: IPCC 2006 V5 Ch5 N2O 50 g/t …"`` → ``"Open burning in
    the field: IPCC 2006 V4 Ch2 Table 2.5; Incineration: IPCC 2006 V5 Ch5"``. A note that starts
    with "Derived:" cites the derivation's sources when it names them, or says it is derived.
    """
    text = _TAG.sub("", text or "").strip()
    cited: list[str] = []
    for number, sentence in enumerate(_sentences(text)):
        head, colon, rest = _partition(sentence, (": ",))
        label = head.strip()
        if colon and label.lower() == "derived":
            named = re.findall(r"\(([^()]*\d{4}[^()]*)\)", rest)
            cited.append(str(_("Derived estimate")) + (f" ({'; '.join(named)})" if named else ""))
        elif colon and label.lower() == "not applicable":
            cited.append(str(_("Not applicable")))
        elif colon and not re.search(r"\d", label) and len(label) <= 60:
            # "Open burning in the field: IPCC 2006 …": a label, then its reference.
            reference = _reference(rest)
            if reference:
                cited.append(f"{label}: {reference}")
        elif number == 0:
            cited.append(_reference(head if colon else sentence))
    result = "; ".join(c for c in cited if c)
    if len(result) > _MAX_CITATION:
        result = result[: _MAX_CITATION - 1].rsplit(" ", 1)[0] + "…"
    return result


# Where a reference ends and its arithmetic begins: a formula, an operator, a "value = …".
_STOP = re.compile(r"^(CH4|N2O|CO2|DOC\w*|DM|dm|x|×|=|\+|->|→)$|=")


def _reference(text: str) -> str:
    """The leading reference of ``text``: its first clause, up to where the arithmetic starts."""
    kept: list[str] = []
    for word in _drop_remarks(_first_clause(text)).split():
        if _STOP.search(word):
            break
        kept.append(word)
    return " ".join(kept).rstrip(",;:.") if kept else ""


def _sentences(text: str) -> list[str]:
    """``text`` cut at ". " outside parentheses (not after "al." or "eq.")."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        elif char == "." and depth == 0 and text.startswith(". ", i):
            word = text[start:i].rsplit(" ", 1)[-1].lower()
            if word in {"al", "eq", "ch", "vol", "no", "e.g", "i.e"}:
                continue
            parts.append(text[start:i].strip())
            start = i + 2
    parts.append(text[start:].strip())
    return [p for p in parts if p]


_YEAR = re.compile(r"\b(19|20)\d\d\b")


def _partition(text: str, separators: tuple[str, ...]) -> tuple[str, str, str]:
    """Like ``str.partition`` at the first of ``separators`` outside parentheses."""
    depth = 0
    for i, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        elif depth == 0:
            for sep in separators:
                if text.startswith(sep, i):
                    return text[:i], sep, text[i + len(sep) :]
    return text, "", ""


def _first_clause(text: str) -> str:
    """``text`` up to the first "; " or " — " outside parentheses."""
    return _partition(text, ("; ", " — "))[0].strip()


def _drop_remarks(text: str) -> str:
    """Remove parenthesised remarks that cite nothing (no year): "(manure, dm 0.40 …)"."""
    depth, start = 0, 0
    pieces: list[str] = []
    for i, char in enumerate(text):
        if char == "(":
            if depth == 0:
                pieces.append(text[start:i])
                start = i
            depth += 1
        elif char == ")" and depth:
            depth -= 1
            if depth == 0:
                group = text[start : i + 1]
                if _YEAR.search(group):
                    pieces.append(group)
                start = i + 1
    pieces.append(text[start:])
    return re.sub(r"\s{2,}", " ", "".join(pieces)).strip()


def confidence(notes: str, *source_texts: str) -> str:
    """The weakest confidence stated in ``notes`` (``conf: …``), else what the tags say."""
    stated = _CONF.search(notes or "")
    if stated:
        levels = [_SYNONYMS.get(m.lower(), m.lower()) for m in _LEVEL.findall(stated.group(1))]
        if levels:
            return min(levels, key=LEVELS.index)
    found = [tag for text in source_texts for tag in tags(text)]
    if not found:
        return ""
    if any("unverified" in t or "memory" in t or "assumption" in t for t in found):
        return "unverified"
    return "verified" if all(t.startswith("verified") for t in found) else "unverified"


def factor_source(factor) -> Source:
    """The citations (landfill, substitution, other fates; each once) and confidence of a factor."""
    texts = [factor.source_landfill, factor.source_substitution, factor.source_fates]
    citations: list[str] = []
    for text in texts:
        cited = citation(text)
        if cited and cited not in citations:
            citations.append(cited)
    return Source(citations=tuple(citations), confidence=confidence(factor.notes, *texts))
