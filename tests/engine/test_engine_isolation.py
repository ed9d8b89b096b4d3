"""The engine is plain Python: importing it must not pull in Django."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_importing_the_engine_does_not_import_django():
    code = (
        "import sys, matching.engine; assert 'django' not in sys.modules, 'django imported'; print('clean')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "clean"


def test_no_engine_module_mentions_django():
    for path in (ROOT / "matching" / "engine").glob("*.py"):
        assert "import django" not in path.read_text() and "from django" not in path.read_text(), path
