"""Test set-up for the tests of the site: the site, built once per test run.

No TensorFlow here (tests/site/test_layout.py checks it): the site's tooling never imports it.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

import pytest
from helpers.mkdocs_build import mkdocs_build


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """The site, built once per test run with `mkdocs build --strict` (snippet results come
    from the cache that `make test` has just filled). tests/site/test_site.py checks what it
    holds; tests/site/test_browser.py serves it. A failed build fails every test that uses it.

    Under pytest-xdist (`make test` runs ``--dist loadfile``: a test file runs in one worker, so
    its module-scoped fixtures are built once) the first worker to ask builds the site, holding
    a lock; the others wait for that build and read the same folder.

    With ``DLCV_BUILT_SITE=DIR`` the site is built into DIR and kept there: CI uploads that
    one (for review, or to Pages) rather than building the site a second time."""
    # The folder all workers of this run share (a worker's own base folder is inside it).
    shared = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        shared = shared.parent
    kept = os.environ.get("DLCV_BUILT_SITE")
    site = Path(kept).resolve() if kept else shared / "built-site"
    outcome = shared / "built-site.json"
    with open(shared / "built-site.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not outcome.exists():
            proc = mkdocs_build("--site-dir", str(site))
            outcome.write_text(
                json.dumps({"returncode": proc.returncode, "stderr": proc.stderr[-4000:]})
            )
        built = json.loads(outcome.read_text())
    assert built["returncode"] == 0, built["stderr"]
    return site
