"""Test set-up shared by every test module."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# TensorFlow's C++ start-up chatter says nothing about the tests.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest
import tensorflow as tf

# Two logical CPU devices stand in for two GPUs in the strategy tests. This must happen before
# TensorFlow initialises its devices, which is why it lives here and not in a fixture.
_cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(
    _cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()]
)


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built once per test session with `mkdocs build --strict` (snippet results come
    from the cache that `make test` has just filled). tests/test_site.py checks what it holds;
    tests/test_browser.py serves it. A failed build fails every test that uses it.

    With ``DLCV_BUILT_SITE=DIR`` the site is built into DIR and kept there: CI uploads that
    one (for review, or to Pages) rather than building the site a second time."""
    kept = os.environ.get("DLCV_BUILT_SITE")
    site = Path(kept).resolve() if kept else tmp_path_factory.mktemp("built") / "site"
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return site


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Group tests for pytest-xdist (`make test` runs ``-n auto --dist loadgroup``).

    A test file runs in one worker, so its module-scoped fixtures (trained models, generated
    files) are built once; the files that use `built_site` share one worker, so the site is
    built once.
    """
    for item in items:
        uses_site = "built_site" in getattr(item, "fixturenames", ())
        group = "built-site" if uses_site else item.nodeid.split("::")[0]
        item.add_marker(pytest.mark.xdist_group(group))
