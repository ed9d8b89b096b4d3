"""The monitor sits above matching: it may import accounts, marketplace and matching, and none of
them (nor config's settings) imports it. Pages of other apps reach it only through its template
tags (``{% load monitor %}``)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_no_lower_app_imports_the_monitor():
    offenders = []
    for app in ("accounts", "marketplace", "matching"):
        for path in (ROOT / app).rglob("*.py"):
            if any(name == "monitor" or name.startswith("monitor.") for name in _imports(path)):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_the_monitor_imports_only_the_apps_below_it():
    project = {"accounts", "marketplace", "matching", "monitor", "config", "tests"}
    used: set[str] = set()
    for path in (ROOT / "monitor").rglob("*.py"):
        names = _imports(path)
        # config.strict is the one leaf every app's input serializers share (it imports no app).
        used |= {name.split(".")[0] for name in names if name != "config.strict"} & project
    assert used <= {"accounts", "marketplace", "matching", "monitor"}
    assert {"accounts", "marketplace", "matching"} <= used
