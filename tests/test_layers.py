"""The apps are layered one way: accounts ← marketplace ← matching ← config, the monitor above
matching beside config (docs/architecture.md).

Every first-party import is read from the AST, deferred ones (inside a function) included, and
relative ones resolved. A lower layer importing a higher one fails, naming the file and line.

The one documented exception: config's *leaf* modules (:data:`CONFIG_LEAVES`: strict input,
safe ``next``, request-id logging) are shared plumbing every app uses. They may be imported
from anywhere because they import no app themselves, which the last test enforces.
"""

from __future__ import annotations

import ast
from pathlib import Path

from django.conf import settings
from django.utils.module_loading import import_string

ROOT = Path(__file__).resolve().parents[1]
APPS = ("accounts", "marketplace", "matching", "monitor", "config")
CONFIG_LEAVES = frozenset(
    {"config.strict", "config.web", "config.logs", "config.units", "config.generation_cache"}
)

# What each app may import besides itself (and the config leaves).
ALLOWED = {
    "accounts": set(),
    "marketplace": {"accounts"},
    "matching": {"accounts", "marketplace"},
    "monitor": {"accounts", "marketplace", "matching"},
    "config": {"accounts", "marketplace", "matching"},  # beside the monitor: URLs include it by name
}


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def first_party_imports(path: Path, root: Path = ROOT) -> list[tuple[int, str]]:
    """``(line, module)`` for every import of one of :data:`APPS` in ``path``, at any depth."""
    module = _module_name(path, root)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            # ``from config import strict`` / ``from .. import access``: name the submodule.
            names = [f"{target}.{alias.name}" for alias in node.names] if "." not in target else [target]
        else:
            continue
        found.extend((node.lineno, name) for name in names if name.split(".")[0] in APPS)
    return found


def _imports_config_leaf_only(name: str) -> bool:
    return any(name == leaf or name.startswith(leaf + ".") for leaf in CONFIG_LEAVES)


def _app_files(app: str, root: Path):
    for path in sorted((root / app).rglob("*.py")):
        if "migrations" not in path.parts:
            yield path


def layer_violations(app: str, root: Path = ROOT) -> list[str]:
    offenders = []
    allowed = ALLOWED[app] | {app}
    for path in _app_files(app, root):
        for line, name in first_party_imports(path, root):
            top = name.split(".")[0]
            if top in allowed:
                continue
            if top == "config" and _imports_config_leaf_only(name):
                continue
            offenders.append(f"{path.relative_to(root)}:{line} imports {name}")
    return sorted(set(offenders))


def test_accounts_imports_no_app_above_it():
    assert layer_violations("accounts") == []


def test_marketplace_imports_only_accounts():
    assert layer_violations("marketplace") == []


def test_matching_imports_neither_the_monitor_nor_config():
    assert layer_violations("matching") == []


def test_the_monitor_imports_only_the_apps_below_it():
    assert layer_violations("monitor") == []


def test_config_wires_the_apps_but_imports_no_monitor_module():
    assert layer_violations("config") == []


def test_config_leaves_import_no_app():
    """The exception holds only while the leaves are leaves."""
    offenders = []
    for leaf in sorted(CONFIG_LEAVES):
        path = ROOT / (leaf.replace(".", "/") + ".py")
        assert path.exists(), leaf
        offenders += [
            f"{leaf}:{line} imports {name}"
            for line, name in first_party_imports(path)
            if not _imports_config_leaf_only(name)
        ]
    assert offenders == []


def test_the_checker_sees_deferred_and_relative_imports(tmp_path):
    """The walk is only worth its green if it catches an import hidden in a function."""
    (tmp_path / "marketplace" / "web").mkdir(parents=True)
    (tmp_path / "marketplace" / "__init__.py").write_text("")
    (tmp_path / "marketplace" / "web" / "probe.py").write_text(
        "from .. import selectors\n"
        "from config import strict, api\n"
        "def f():\n"
        "    from matching.selectors import deal_site_ids\n"
        "    from ...matching import models\n"
    )
    probe = tmp_path / "marketplace" / "web" / "probe.py"
    assert [name for _, name in first_party_imports(probe, tmp_path)] == [
        "marketplace.selectors",
        "config.strict",
        "config.api",
        "matching.selectors",
        "matching.models",
    ]
    assert layer_violations("marketplace", tmp_path) == [
        "marketplace/web/probe.py:2 imports config.api",
        "marketplace/web/probe.py:4 imports matching.selectors",
        "marketplace/web/probe.py:5 imports matching.models",
    ]


def test_matching_lends_the_marketplace_its_rules_through_settings():
    """The deal-counterpart rule for exact sites, the listings' match status and the yards' booked
    room are wired."""
    from marketplace import extensions
    from matching import diagnostics, snapshot
    from matching import selectors as matching_selectors

    assert import_string(settings.MARKETPLACE_DEAL_SITES) is matching_selectors.deal_site_querysets
    assert import_string(settings.MARKETPLACE_MATCH_STATUSES) is diagnostics.statuses_for
    assert import_string(settings.MARKETPLACE_MATCH_STATUS) is diagnostics.match_status_of
    assert import_string(settings.MARKETPLACE_STORAGE_BOOKED) is snapshot.storage_booked_peak
    assert extensions.deal_site_querysets(set()) is not None
