"""The tests mirror the code: tests/dlcv/ tests the package, tests/site/ the site's tooling.

`sitetools` never imports `dlcv` (docs/contributing/architecture.md), so the site's tests start
without TensorFlow, whose import alone costs seconds of CPU time in every process that makes it:
no conftest they load, no helper and no test module of theirs imports it at module level.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("tensorflow", "keras", "dlcv")


def test_collecting_the_site_tests_imports_no_tensorflow() -> None:
    # A fresh Python collects tests/site as `pytest tests/site` would, then reports what the
    # collection loaded: its conftest chain, tests/helpers and every test module.
    code = (
        "import json, sys\n"
        "import pytest\n"
        "status = pytest.main(['--collect-only', '-q', '-p', 'no:cacheprovider', 'tests/site'])\n"
        f"loaded = [name for name in {HEAVY!r} if name in sys.modules]\n"
        "print(json.dumps({'status': int(status), 'loaded': loaded}))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    *listing, last = proc.stdout.strip().splitlines()
    outcome = json.loads(last)
    assert outcome["status"] == 0, "\n".join(listing[-40:])
    # The collection saw the site's tests (this one among them), not an empty folder.
    assert any(line.startswith("tests/site/test_pages.py::") for line in listing), listing[-20:]
    assert any(line.startswith("tests/site/test_layout.py::") for line in listing)
    assert outcome["loaded"] == [], (
        f"collecting tests/site imported {outcome['loaded']}: import them inside the fixture or "
        "test that needs them, or move the test to tests/dlcv/"
    )


def test_every_test_module_sits_in_the_half_it_tests() -> None:
    tests = ROOT / "tests"
    misplaced = sorted(
        path.relative_to(tests).as_posix()
        for path in tests.rglob("test_*.py")
        if path.relative_to(tests).parts[0] not in ("dlcv", "site")
    )
    assert not misplaced, f"move these to tests/dlcv/ (the package) or tests/site/: {misplaced}"


def test_the_longest_test_files_named_for_scheduling_exist() -> None:
    """A renamed or deleted file would silently leave the schedule (tests/conftest.py)."""
    from helpers.longest_first import LONGEST_FIRST

    missing = [path for path in LONGEST_FIRST if not (ROOT / path).is_file()]
    assert missing == [], f"helpers/longest_first.py names files that do not exist: {missing}"
