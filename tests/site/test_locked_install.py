"""The set-up installs the lock with uv, told what pip is configured with, or else with pip."""

from __future__ import annotations

import doctest
import subprocess
import sys
from pathlib import Path

import pytest

from sitetools import locked_install


def test_docstring_examples_run() -> None:
    result = doctest.testmod(locked_install)
    assert result.attempted >= 2 and result.failed == 0


def test_pip_configuration_becomes_uv_flags_resolved_as_pip_install_resolves_it(
    tmp_path: Path,
) -> None:
    constraint = tmp_path / "constraints.txt"
    constraint.write_text("")
    listing = "\n".join(
        [
            # `pip config list` sorts: the environment variable comes first, yet wins.
            ":env:.find-links='/opt/wheels'",
            "global.find-links='/ignored'",
            "install.index-url='file:///install/simple'",
            "global.index-url='file:///global/simple'",  # [install] wins over [global]
            "download.extra-index-url='file:///not/for/installs'",
            f"global.constraint='{constraint}'",
            "global.extra-index-url='file:///a/simple file:///b/simple'",
            "global.cert='/etc/ssl/certs/ca.crt'",
            "not a setting",
        ]
    )
    settings = locked_install.pip_settings(listing)
    assert settings["find-links"] == ["/opt/wheels"]
    assert settings["index-url"] == ["file:///install/simple"]
    assert settings["cert"] == ["/etc/ssl/certs/ca.crt"]
    args = locked_install.uv_arguments(settings)
    assert args[:2] == ["--index-strategy", "unsafe-best-match"]
    assert args[2:] == [
        "--index-url",
        "file:///install/simple",
        "--extra-index-url",
        "file:///a/simple",
        "--extra-index-url",
        "file:///b/simple",
        "--find-links",
        "/opt/wheels",
        "--constraint",
        str(constraint),
    ]
    # A constraint file that is not there is left out rather than failing uv.
    assert "--constraint" not in locked_install.uv_arguments({"constraint": ["/no/such"]})


def test_no_pip_configuration_means_no_index_flags() -> None:
    assert locked_install.uv_arguments(locked_install.pip_settings("")) == [
        "--index-strategy",
        "unsafe-best-match",
    ]


@pytest.mark.parametrize("fails", ["installing uv", "uv itself"])
def test_pip_installs_the_lock_when_uv_cannot(
    fails: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[list[str]] = []

    def fake_run(args: list[str], **_: object) -> subprocess.CompletedProcess[str]:
        calls.append(list(args))
        if (fails == "installing uv" and args[-1] == "uv") or (
            fails == "uv itself" and args[2:4] == ["uv", "pip"]
        ):
            raise subprocess.CalledProcessError(1, args)
        return subprocess.CompletedProcess(args, 0, stdout="", stderr="")

    monkeypatch.setattr(locked_install.subprocess, "run", fake_run)
    lock = tmp_path / "requirements.lock"
    used = locked_install.install(lock, tmp_path, python="py")
    assert used == "pip"
    assert calls[-2] == ["py", "-m", "pip", "install", "--quiet", "-r", str(lock)]
    assert calls[-1] == ["py", "-m", "pip", "install", "--quiet", "--no-deps", "-e", str(tmp_path)]


def test_uv_installs_the_lock_then_the_project_then_compiles_what_is_imported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[list[str]] = []

    def fake_run(args: list[str], **_: object) -> subprocess.CompletedProcess[str]:
        calls.append(list(args))
        out = ":env:.find-links='/w'\n" if args[-2:] == ["config", "list"] else ""
        return subprocess.CompletedProcess(args, 0, stdout=out, stderr="")

    monkeypatch.setattr(locked_install.subprocess, "run", fake_run)
    lock = tmp_path / "requirements.lock"
    assert locked_install.install(lock, tmp_path, python="py") == "uv"
    lock_install, project_install, warm = calls[-3], calls[-2], calls[-1]
    assert lock_install[:4] == ["py", "-m", "uv", "pip"]
    assert "--compile-bytecode" not in lock_install and lock_install[-2:] == ["-r", str(lock)]
    assert warm[:2] == ["py", "-c"] and warm[3:] == list(locked_install.WARM_IMPORTS)
    assert "--find-links" in lock_install and "/w" in lock_install
    assert project_install[-3:] == ["--no-deps", "-e", str(tmp_path)]


def test_compiling_what_is_imported_writes_bytecode_even_where_writing_is_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The imports run with bytecode writing on, whatever the caller's environment says, and
    write only what is imported (a module that fails is compiled before it runs); the failure
    stops nothing."""
    (tmp_path / "used.py").write_text("import helper\n")
    (tmp_path / "helper.py").write_text("X = 1\n")
    (tmp_path / "unused.py").write_text("Y = 2\n")
    (tmp_path / "broken.py").write_text("raise ImportError('not here')\n")
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    assert locked_install.compile_imported(sys.executable, ["broken", "used"])
    written = sorted(p.name.split(".")[0] for p in (tmp_path / "__pycache__").glob("*.pyc"))
    assert written == ["broken", "helper", "used"]  # not "unused"
