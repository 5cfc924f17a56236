"""Test set-up shared by both halves of the suite.

The tests mirror the code: ``tests/dlcv/`` tests the ``dlcv`` package (and the benchmarks and
wheel built from it), ``tests/site/`` tests the site's tooling (``sitetools``, the pages, the
snippet runner, the site build and the browser checks). ``tests/helpers/`` holds what tests of
either half import (``from helpers.site_markdown import site_markdown``): this file's folder is
on ``sys.path`` (pyproject.toml's ``pythonpath``).

Nothing here imports TensorFlow: ``tests/dlcv/conftest.py`` does, for the package's tests
alone, so that ``pytest tests/site`` starts without it (tests/site/test_layout.py checks it).
"""

from __future__ import annotations

import os

import pytest
from helpers.longest_first import LONGEST_FIRST

# TensorFlow's C++ start-up chatter says nothing about the tests; the snippets and programs the
# tests start in their own processes inherit the setting.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Longest test files first (helpers/longest_first.py says why)."""
    rank = {path: i for i, path in enumerate(LONGEST_FIRST)}
    # A stable sort: within a file, and among the other files, the order stays as collected.
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))
