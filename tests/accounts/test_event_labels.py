"""Every action code written anywhere in the code base has a label in words.

The codes are read from the source itself: every ``action=`` keyword of a call to the audit
writer (``event_record``, ``Event(...)``, ``Event.objects.create``), including f-strings and
conditional expressions, so a new code cannot reach the audit log as a raw code.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from django.utils import translation

from accounts.event_labels import ACTION_LABELS, action_label

ROOT = Path(__file__).resolve().parents[2]
APPS = ("accounts", "marketplace", "matching", "monitor", "config")
WRITERS = {"event_record", "Event", "create"}


def _writer(call: ast.Call) -> bool:
    func = call.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
    if name != "create":
        return name in WRITERS
    # Event.objects.create(...)
    owner = func.value if isinstance(func, ast.Attribute) else None
    return (
        isinstance(owner, ast.Attribute) and isinstance(owner.value, ast.Name) and owner.value.id == "Event"
    )


def _patterns(node: ast.AST) -> list[str]:
    """Regular expressions for every value an ``action=`` expression can take."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [re.escape(node.value)]
    if isinstance(node, ast.JoinedStr):
        parts: list[str] = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(re.escape(str(value.value)))
            else:
                parts.append("[a-z_]+")
        return ["".join(parts)]
    if isinstance(node, ast.IfExp):
        return _patterns(node.body) + _patterns(node.orelse)
    return [".+"]  # a variable: must be covered by the f-string or constant that builds it


def written_codes() -> dict[str, list[str]]:
    """{pattern: [where]} for every audit write in the source tree."""
    found: dict[str, list[str]] = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(), filename=str(path))
            # The writer itself passes its ``action`` parameter through: not a code of its own.
            passthrough = {
                id(node)
                for function in ast.walk(tree)
                if isinstance(function, ast.FunctionDef) and function.name == "event_record"
                for node in ast.walk(function)
            }
            for call in ast.walk(tree):
                if not isinstance(call, ast.Call) or not _writer(call) or id(call) in passthrough:
                    continue
                for keyword in call.keywords:
                    if keyword.arg == "action":
                        for pattern in _patterns(keyword.value):
                            found.setdefault(pattern, []).append(f"{path.relative_to(ROOT)}:{call.lineno}")
    return found


def test_the_scan_finds_the_known_writers():
    patterns = written_codes()
    assert re.escape("deal.agreed") in patterns and re.escape("worker.heartbeat") in patterns
    assert re.escape("organisation.unverified") in patterns  # the else branch of a conditional
    assert any(p.startswith("proposal\\.") and "[a-z_]+" in p for p in patterns)  # f"proposal.{action}"
    assert len(patterns) >= 30


def test_every_action_code_written_anywhere_has_a_label():
    missing = []
    for pattern, where in written_codes().items():
        assert pattern != ".+", (
            f"an action code built from a variable at {where}: use a literal or an f-string"
        )
        matching = [code for code in ACTION_LABELS if re.fullmatch(pattern, code)]
        if not matching:
            missing.append((pattern, where))
    assert missing == [], f"action codes without a label in accounts/event_labels.py: {missing}"


def test_the_expansions_of_built_codes_are_all_labelled():
    from matching.services import TRANSITIONS

    accepts = {action for (_, action) in TRANSITIONS if action.startswith("accept")}
    for action in accepts:
        assert f"proposal.{action}" in ACTION_LABELS
    for listing in ("offer", "need"):
        for suffix in ("created", "updated", "status_changed", "photo_added", "photo_deleted"):
            assert f"{listing}.{suffix}" in ACTION_LABELS


def test_labels_are_words_in_the_users_language_and_unknown_codes_stay_readable():
    assert action_label("deal.agreed") == "Deal agreed"
    assert action_label("something.new") == "something.new"
    with translation.override("ru"):
        assert isinstance(action_label("deal.agreed"), str)
    assert all("." not in str(label) or " " in str(label) for label in ACTION_LABELS.values())
