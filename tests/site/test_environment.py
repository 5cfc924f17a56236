"""The environment is one environment: the same versions on every supported Python, and CI that
tests each of them while running contributors' code with no secret and no write access."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"

# A marker on a Python version means the lock resolves differently by interpreter.
_PYTHON_MARKER = re.compile(r"\bpython_(full_)?version\b")


def _supported_from_pyproject() -> list[str]:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    match = re.search(r'^requires-python = ">=3\.(\d+),<3\.(\d+)"$', text, re.M)
    assert match, "pyproject.toml must state requires-python as '>=3.X,<3.Y'"
    low, high = int(match[1]), int(match[2])
    return [f"3.{minor}" for minor in range(low, high)]


def _workflow(name: str) -> dict[Any, Any]:
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_lock_resolves_one_version_for_every_supported_python() -> None:
    lines = (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines()
    pinned = [line for line in lines if line and not line.startswith((" ", "#"))]
    assert len(pinned) > 100  # the whole stack, not an empty or truncated file
    marked = [line for line in pinned if _PYTHON_MARKER.search(line)]
    assert not marked, f"requirements.lock resolves by Python version: {marked}"
    names = [line.split("==")[0] for line in pinned]
    duplicated = sorted({name for name in names if names.count(name) > 1})
    assert not duplicated, f"requirements.lock pins these more than once: {duplicated}"


def test_supported_pythons_agree_everywhere() -> None:
    supported = _supported_from_pyproject()
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    match = re.search(r"^SUPPORTED_PYTHONS := (.+)$", makefile, re.M)
    assert match and match[1].split() == supported
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    for version in supported:
        assert f"Programming Language :: Python :: {version}" in pyproject
    said = ", ".join(supported[:-1]) + f" or {supported[-1]}"
    for doc in ("README.md", "CONTRIBUTING.md"):
        text = " ".join((ROOT / doc).read_text(encoding="utf-8").split())
        assert f"Python {said}" in text, f"{doc} must name the supported Pythons: {said}"


def test_ci_tests_every_supported_python_and_arm() -> None:
    jobs = _workflow("ci.yml")["jobs"]
    gate = jobs["test"]["steps"]
    main_python = next(s["with"]["python-version"] for s in gate if "setup-python" in s["uses"])
    include = jobs["platforms"]["strategy"]["matrix"]["include"]
    tested = {main_python} | {entry["python"] for entry in include}
    assert tested == set(_supported_from_pyproject())
    assert any(entry["runner"].endswith("-arm") for entry in include)


@pytest.mark.parametrize("workflow", ["ci.yml"])
def test_pull_request_ci_has_no_secret_and_no_write_access(workflow: str) -> None:
    """Pull requests run contributors' snippets: keep them away from secrets and write tokens."""
    text = (WORKFLOWS / workflow).read_text(encoding="utf-8")
    data = _workflow(workflow)
    triggers = data[True]  # YAML 1.1 reads the key `on` as True
    assert "pull_request" in triggers
    assert "pull_request_target" not in triggers
    assert data["permissions"] == {}
    for name, job in data["jobs"].items():
        permissions = job.get("permissions")
        assert permissions is not None, f"job {name} must set its permissions"
        granted = {scope: level for scope, level in permissions.items() if level != "none"}
        assert granted in ({}, {"contents": "read"}), f"job {name} asks for {granted}"
        for step in job["steps"]:
            if "actions/checkout" in step.get("uses", ""):
                assert step["with"]["persist-credentials"] is False
    assert "secrets." not in text
    assert "github.token" not in text
