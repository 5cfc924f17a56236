"""dlcv installs like a real package: its own name on PyPI, a version from the git tag, a wheel
that holds `dlcv` alone and pulls no docs or test tools, and no install line naming the wrong
distribution.

The wheel is built once per module from a copy of the checkout tagged `v9.8.7`, sdist first and
the wheel from the unpacked sdist, as the release workflow does (a stale `build/` folder in the
checkout cannot leak into it). The release workflow points these tests at the artifact it is about
to publish instead: DLCV_WHEEL=<path to the .whl> and DLCV_WHEEL_VERSION=<the tag without "v">.
"""

from __future__ import annotations

import email.parser
import email.policy
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import lazy_loader
import pytest
import yaml

from sitetools.install import DISTRIBUTION, release_series

ROOT = Path(__file__).resolve().parents[2]
TAG_VERSION = "9.8.7"
# Not tools of the package: whatever the extras say, an unconditional requirement on one of these
# would install a docs or test tool with `pip install dlcv-kb`.
NEVER_REQUIRED = {"mkdocs", "mkdocs-material", "pytest", "ruff", "mypy", "setuptools", "twine"}


def _normalize(name: str) -> str:
    """PyPI's form of a distribution name (PEP 503): `dlcv_kb`, `DLCV.kb` and `dlcv-kb` are one."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(
        [
            "git",
            "-c",
            "user.name=dlcv tests",
            "-c",
            "user.email=tests@dlcv.invalid",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "tag.gpgsign=false",
            *args,
        ],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return proc.stdout


def _project_files() -> list[str]:
    """The checkout's files as they are now: tracked and new, not ignored (no .venv, no site/)."""
    try:
        listing = _git(ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    # A tracked file deleted in the working tree is listed too.
    return [name for name in listing.split("\0") if name and (ROOT / name).is_file()]


def _tagged_copy(dest: Path) -> Path:
    """A copy of the checkout as it is now, committed and tagged."""
    for name in _project_files():
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, dest / name)
    _git(dest, "init", "-q")
    _git(dest, "add", "-A")
    _git(dest, "commit", "-q", "--no-verify", "-m", "release under test")
    _git(dest, "tag", f"v{TAG_VERSION}")
    return dest


def _build_wheel(source: Path, out: Path) -> Path:
    sdist = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, setuptools.build_meta as b; print(b.build_sdist(sys.argv[1]))",
            str(out),
        ],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert sdist.returncode == 0, sdist.stderr[-4000:]
    sdist_path = out / sdist.stdout.strip().splitlines()[-1]
    wheel = subprocess.run(
        [
            *(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"),
            *("--no-index", "--quiet", "--wheel-dir", str(out), str(sdist_path)),
        ],
        cwd=out,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert wheel.returncode == 0, wheel.stderr[-4000:]
    (path,) = out.glob("*.whl")
    return path


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The wheel under test and the version it must carry."""
    given = os.environ.get("DLCV_WHEEL")
    if given:
        version = os.environ.get("DLCV_WHEEL_VERSION", "")
        if not version:
            pytest.fail("DLCV_WHEEL is set: DLCV_WHEEL_VERSION must name the version it carries")
        return Path(given).resolve(), version
    source = _tagged_copy(tmp_path_factory.mktemp("checkout"))
    return _build_wheel(source, tmp_path_factory.mktemp("dist")), TAG_VERSION


def _metadata(wheel: Path) -> email.message.Message:
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        text = archive.read(name).decode("utf-8")
    return email.parser.Parser(policy=email.policy.compat32).parsestr(text)


def test_wheel_holds_only_the_dlcv_package(wheel: tuple[Path, str]) -> None:
    path, _ = wheel
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    tops = {name.split("/", 1)[0] for name in names}
    dist_info = {top for top in tops if top.endswith(".dist-info")}
    assert tops - dist_info == {"dlcv"}, sorted(tops)
    assert len(dist_info) == 1
    assert "dlcv/__init__.py" in names
    assert "dlcv/training.py" in names
    # The list of public names, which `import dlcv` reads at run time.
    assert "dlcv/__init__.pyi" in names
    # Lint configuration such as dlcv/ruff.toml belongs to the repository, not the package.
    assert not [name for name in names if name.endswith((".toml", ".cfg", ".ini"))], names


def test_wheel_metadata_names_the_distribution_version_and_license(
    wheel: tuple[Path, str],
) -> None:
    path, version = wheel
    meta = _metadata(path)
    assert _normalize(meta["Name"]) == DISTRIBUTION
    assert meta["Version"] == version
    assert path.name.startswith(f"dlcv_kb-{version}-")
    # What `twine check` and PyPI's page need: the README rendered as Markdown, an SPDX licence.
    assert meta["Description-Content-Type"] == "text/markdown"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert str(meta.get_payload()).strip() == readme.strip(), "the README is the long description"
    assert meta["License-Expression"] == "MIT"
    assert meta["Requires-Python"]
    urls = {url.split(",", 1)[0] for url in meta.get_all("Project-URL", [])}
    assert {"Documentation", "Source", "Issues", "Changelog"} <= urls


def test_installing_the_wheel_pulls_no_docs_or_test_tools(wheel: tuple[Path, str]) -> None:
    path, _ = wheel
    meta = _metadata(path)
    required: set[str] = set()
    by_extra: dict[str, set[str]] = {}
    for line in meta.get_all("Requires-Dist", []):
        spec, _, marker = line.partition(";")
        name = _normalize(re.split(r"[\s\[(<>=!~;]", spec.strip(), maxsplit=1)[0])
        extra = re.search(r"""extra\s*==\s*["']([^"']+)["']""", marker)
        if extra:
            by_extra.setdefault(extra.group(1), set()).add(name)
        else:
            required.add(name)
    assert {"docs", "test"} <= set(by_extra), "the docs and test tools live in extras"
    assert "tensorflow" in required
    tools = (by_extra["docs"] | by_extra["test"] | NEVER_REQUIRED) - by_extra.get("gpu", set())
    assert not required & tools, sorted(required & tools)


def test_version_comes_from_the_installed_distribution(
    wheel: tuple[Path, str], tmp_path: Path
) -> None:
    path, version = wheel
    with zipfile.ZipFile(path) as archive:
        archive.extractall(tmp_path)
    # -I -S: neither the checkout (the working directory) nor site-packages is on the path, only
    # the unpacked wheel, whose .dist-info importlib.metadata finds there.
    assert _version_seen_from(tmp_path) == version


def test_uninstalled_source_says_its_version_is_unknown(tmp_path: Path) -> None:
    # The package's source alone: the checkout may hold a dlcv_kb.egg-info that an editable
    # install wrote, which is install metadata.
    shutil.copytree(ROOT / "dlcv", tmp_path / "dlcv", ignore=shutil.ignore_patterns("__pycache__"))
    assert _version_seen_from(tmp_path) == "0.0.0+unknown"


# --- install lines --------------------------------------------------------------------------

_INSTALL = re.compile(r"\b(?:pip3?\s+install|uv\s+pip\s+install|uv\s+add|pipx\s+install)\b(.*)")
# Where a reader could copy an install line from; this file is left out (it holds examples).
_SCANNED_SUFFIXES = {".md", ".py", ".ipynb", ".yml", ".yaml", ".toml", ".html", ".txt", ".cfg"}


def installed_names(line: str) -> list[str]:
    """The distributions an install command on `line` names (normalized), options skipped.

    Examples:
        >>> installed_names('$ pip install -U "dlcv-kb[gpu]==0.1.*"  # dlcv on a GPU')
        ['dlcv-kb']
    """
    names = []
    for match in _INSTALL.finditer(line):
        # The command ends at a comment, the end of an inline code span or a shell separator.
        command = re.split(r"\s#|`|&&|;|\|", match.group(1))[0]
        previous = ""
        for token in command.split():
            token = token.strip("\"'()")
            option_argument = previous in {"-r", "-c", "-e", "--requirement", "--constraint"}
            previous = token
            if token.startswith("-") or option_argument:
                continue
            name = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", token)
            if name:
                names.append(_normalize(name.group(0).rstrip("._-")))
    return names


@pytest.mark.parametrize(
    ("line", "names"),
    [
        ("pip install dlcv", ["dlcv"]),
        ("$ python -m pip install 'dlcv[gpu]'", ["dlcv"]),
        ("Run `pip install dlcv==0.1` first.", ["dlcv"]),
        ("then pip install dlcv.", ["dlcv"]),
        ("uv add DLCV", ["dlcv"]),
        ('pip install -U "dlcv-kb==0.1.*"   # not dlcv, the unrelated project', ["dlcv-kb"]),
        ("pip install dlcv_kb", ["dlcv-kb"]),
        ("pip install -r requirements.lock", []),
        ('pip install ".[gpu]"', []),
        ("pip install -e dlcv", []),
    ],
)
def test_installed_names_reads_install_commands(line: str, names: list[str]) -> None:
    assert installed_names(line) == names


def _install_lines() -> list[tuple[str, str]]:
    """("path:line", text) of every line in the project that runs an install command."""
    here = Path(__file__).resolve().relative_to(ROOT).as_posix()
    found = []
    for name in _project_files():
        path = ROOT / name
        if name == here or not (path.suffix in _SCANNED_SUFFIXES or path.name == "Makefile"):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if _INSTALL.search(line):
                found.append((f"{name}:{number}", line.strip()))
    return found


def test_release_series_reads_the_newest_release_or_the_first_one() -> None:
    assert release_series("## [Unreleased]\n\n### Added\n") == "0.1"
    assert release_series("## [Unreleased]\n\n## [1.4.2] - 2027-03-01\n## [1.3.0] - x\n") == "1.4"


def test_install_lines_name_the_current_release_series() -> None:
    series = release_series((ROOT / "CHANGELOG.md").read_text(encoding="utf-8"))
    spec = re.compile(r"dlcv[-_.]kb(?:\[[^\]]*\])?([=~<>!][^\s\"'`]*)?", re.IGNORECASE)
    wrong = []
    for where, line in _install_lines():
        if DISTRIBUTION not in installed_names(line):
            continue
        pins = [match.group(1) for match in spec.finditer(line)]
        if not pins or any(pin != f"=={series}.*" for pin in pins):
            wrong.append(f"{where}: {line}")
    assert not wrong, f"install lines must pin dlcv-kb=={series}.*:\n" + "\n".join(wrong)


def test_no_install_line_names_the_unrelated_dlcv_distribution() -> None:
    leftovers = [
        f"{where}: {line}" for where, line in _install_lines() if "dlcv" in installed_names(line)
    ]
    assert not leftovers, (
        f"`dlcv` on PyPI is an unrelated project; install `{DISTRIBUTION}`:\n"
        + "\n".join(leftovers)
    )


# --- the release workflow -------------------------------------------------------------------


def test_release_workflow_publishes_checked_files_with_least_privilege() -> None:
    text = (ROOT / ".github" / "workflows" / "release.yml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    assert data[True] == {"push": {"tags": ["v[0-9]+.[0-9]+.[0-9]+"]}}  # YAML 1.1 reads `on` so
    assert data["permissions"] == {}
    jobs = data["jobs"]
    assert {name: job.get("permissions") for name, job in jobs.items()} == {
        "build": {"contents": "read"},
        "check": {"contents": "read"},
        "publish-pypi": {"id-token": "write"},
        "github-release": {"contents": "write"},
    }
    # Nothing is published before the files pass the checks; PyPI waits for its environment.
    assert jobs["check"]["needs"] == "build"
    assert "check" in jobs["publish-pypi"]["needs"]
    assert "publish-pypi" in jobs["github-release"]["needs"]
    assert jobs["publish-pypi"]["environment"]["name"] == "pypi"
    check_runs = " ".join(step.get("run", "") for step in jobs["check"]["steps"])
    assert "twine check" in check_runs and "bash .ci/run" in check_runs
    # Trusted publishing: no stored token; every action pinned to a full commit.
    assert "secrets." not in text and "password" not in text
    uses = re.findall(r"^\s*(?:-\s+)?uses:\s*(\S+)", text, re.MULTILINE)
    assert uses and all(re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", u) for u in uses), uses


def _version_seen_from(folder: Path) -> str:
    """`dlcv.__version__` as a Python that sees only `folder` (not the checkout, not
    site-packages) reports it.

    `import dlcv` needs lazy_loader, which is copied into `folder` beside it: it carries
    no install record of dlcv-kb's.
    """
    shutil.copytree(Path(lazy_loader.__file__).parent, folder / "lazy_loader")
    probe = "import sys; sys.path.insert(0, sys.argv[1]); import dlcv; print(dlcv.__version__)"
    proc = subprocess.run(
        [sys.executable, "-I", "-S", "-c", probe, str(folder)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()
