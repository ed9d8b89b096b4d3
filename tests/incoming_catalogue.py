"""A helper's own translations (``locale/_incoming/<name>.<lang>.po``) in the running catalogue.

The lead merges ``locale/_incoming`` into ``locale/*/LC_MESSAGES/django.po`` after a helper's
branch lands; until then a test that renders a page in Russian or Kazakh would see English for
the branch's new msgids. :func:`incoming_translations` adds those translations *behind* the
compiled catalogue for one test (what the catalogue already holds wins), and is a no-op once the
incoming file is gone (merged).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.utils.translation import trans_real

INCOMING = Path(settings.BASE_DIR) / "locale" / "_incoming"


def parse_po(path: Path) -> dict:
    """``{msgid | "ctxt\\x04msgid" | (msgid, form): msgstr}`` of the translated entries."""
    catalog: dict = {}
    entry: dict[str, str] = {}
    key: str | None = None

    def flush() -> None:
        msgid = entry.get("msgid", "")
        if msgid:
            if "msgctxt" in entry:
                msgid = f"{entry['msgctxt']}\x04{msgid}"
            forms = sorted(k for k in entry if k.startswith("msgstr["))
            if forms:
                for k in forms:
                    if entry[k]:
                        catalog[(msgid, int(k[7:-1]))] = entry[k]
            elif entry.get("msgstr"):
                catalog[msgid] = entry["msgstr"]
        entry.clear()

    for raw in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = raw.strip()
        if not line:
            flush()
            key = None
        elif line.startswith("#"):
            continue
        elif line.startswith('"') and key is not None:
            entry[key] += ast.literal_eval(line)
        else:
            key, _sep, rest = line.partition(" ")
            if key in entry and key == "msgctxt" or key == "msgid" and "msgid" in entry:
                flush()
            entry[key] = ast.literal_eval(rest)
    return catalog


@contextmanager
def incoming_translations(name: str) -> Iterator[None]:
    """Within the block, ru/kk pages also know ``locale/_incoming/<name>.<lang>.po``."""
    added = []
    for lang, _label in settings.LANGUAGES:
        po = INCOMING / f"{name}.{lang}.po"
        if not po.exists():
            continue
        trans = trans_real.translation(lang)
        catalog = trans._catalog  # type: ignore[attr-defined]
        catalog._catalogs.append(parse_po(po))
        catalog._plurals.append(catalog._plurals[0])
        added.append(catalog)
    try:
        yield
    finally:
        for catalog in added:
            catalog._catalogs.pop()
            catalog._plurals.pop()
