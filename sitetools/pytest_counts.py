"""A pytest plugin that says how many Markdown code blocks ran, next to pytest's own summary."""

from __future__ import annotations

from typing import Any

import pytest

_outcomes: dict[str, int] = {"passed": 0, "failed": 0, "skipped": 0}


def _is_codeblock(item: Any) -> bool:
    return type(item).__module__.startswith("pytest_codeblocks")


@pytest.hookimpl
def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.nodeid.split("::")[0].endswith(".md") and (
        report.when == "call" or (report.when == "setup" and report.skipped)
    ):
        _outcomes[report.outcome] = _outcomes.get(report.outcome, 0) + 1


@pytest.hookimpl
def pytest_terminal_summary(terminalreporter: Any) -> None:
    total = sum(_outcomes.values())
    terminalreporter.write_line(
        f"code blocks: {total} tested in place ({_outcomes['passed']} passed, "
        f"{_outcomes['failed']} failed, {_outcomes['skipped']} skipped)"
    )
