"""No template has an empty table header: screen readers announce nothing for it (axe
empty-table-header). An action column gets a visually hidden name instead."""

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
EMPTY_HEADER = re.compile(r"<th(\s[^>]*)?>\s*</th>")


def test_no_template_has_an_empty_table_header():
    found = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0)}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for match in EMPTY_HEADER.finditer(path.read_text(encoding="utf-8"))
    ]
    assert found == []
