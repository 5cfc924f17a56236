"""`mkdocs build --strict` in a process of its own, as the site's tests run it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def mkdocs_build(
    *args: str, cwd: Path = ROOT, env: Mapping[str, str] | None = None, timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    """Run `python -m mkdocs build --strict *args` in `cwd` and return what it printed.

    Its environment is this process's, with Material's MkDocs 2.0 notice off and this
    repository first on PYTHONPATH (mkdocs.yml names the extension `sitetools.mdext`, which
    a project outside the repository must still import), then `env`.
    """
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": path, **(env or {})},
    )
