"""A reader's environment: `dlcv` installed from its wheel, not from the checkout.

A reader who copies a snippet into a project of their own has `dlcv` from ``pip install
dlcv-kb``: the wheel, holding only what the wheel holds. The snippet pass runs the snippets
with this environment's Python, so a snippet that only works beside the checkout (a file the
wheel lacks, an import of ``sitetools``) fails there, as it would for the reader.

The environment lives in ``.cache/reader/``: a virtual environment with the wheel built from
the checkout installed ``--no-deps``. Its third-party packages (TensorFlow, Keras, ...) are the
running interpreter's, the project's ``.venv``: a ``.pth`` file in the reader environment names
that site-packages folder as a plain path. A plain path is not a site directory, so the
``.pth`` files there are not run, and the editable install of `dlcv` they hold stays off. It is
built again only when `dlcv/`, pyproject.toml, README.md or the interpreter changes.

Command line (prints the reader environment's Python, building the environment first if
needed)::

    python -m sitetools.reader_env [--root DIR]

Everything is offline: the wheel is built with ``pip wheel --no-deps --no-build-isolation
--no-index``, so setuptools and setuptools-scm must already be installed (the test extra).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from sitetools._cli import command_parser

__all__ = ["ReaderEnvError", "ensure", "reader_python"]

# Bump when the way the environment is built changes, so an old one is rebuilt.
BUILDER_VERSION = "1"
READER_DIR = Path(".cache") / "reader"
# What the wheel is built from: the package and what its metadata reads.
_BUILD_INPUTS = ("pyproject.toml", "README.md")
_PTH_NAME = "dlcv-reader-dependencies.pth"
_TIMEOUT_S = 300


class ReaderEnvError(RuntimeError):
    """The reader environment could not be built, or `dlcv` there is not the wheel's."""


def reader_python(root: Path) -> Path:
    """The reader environment's Python under ``root`` (it may not exist yet)."""
    venv = root / READER_DIR / "venv"
    if os.name == "nt":
        return venv / "Scripts" / "python.exe"
    return venv / "bin" / "python"


def _package_files(root: Path) -> list[Path]:
    package = root / "dlcv"
    return sorted(
        p
        for p in package.rglob("*")
        if p.is_file() and "__pycache__" not in p.relative_to(root).parts
    )


def version_of(root: Path) -> str:
    """The version setuptools-scm gives the checkout (from its git tags), as the wheel gets it.

    The wheel is built from a copy without ``.git``, so the version is computed here and handed
    to the build; without git history it is the fallback in pyproject.toml.
    """
    from setuptools_scm import get_version

    try:
        return str(get_version(root=str(root), fallback_version="0.0.0+unknown"))
    except (LookupError, OSError):
        return "0.0.0+unknown"


def _stamp(root: Path, version: str) -> str:
    """A hash of what the environment is built from: the sources, the version, the interpreter
    and the builder."""
    digest = hashlib.sha256(
        f"builder {BUILDER_VERSION}\0{version}\0{sys.executable}\0{sys.version}".encode()
    )
    files = _package_files(root) + [
        root / name for name in _BUILD_INPUTS if (root / name).is_file()
    ]
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _run(args: Sequence[str], *, cwd: Path, what: str, env: dict[str, str] | None = None) -> str:
    try:
        proc = subprocess.run(
            list(args),
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ReaderEnvError(f"{what}: no result after {_TIMEOUT_S} s") from exc
    if proc.returncode != 0:
        raise ReaderEnvError(f"{what} failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}")
    return proc.stdout


def _build_wheel(root: Path, out: Path, version: str) -> Path:
    """Build the wheel from a copy of its inputs, so the checkout gets no build/ or egg-info."""
    with tempfile.TemporaryDirectory(prefix="dlcv-reader-src-") as tmp:
        source = Path(tmp)
        for path in _package_files(root):
            target = source / path.relative_to(root)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
        for name in _BUILD_INPUTS:
            if (root / name).is_file():
                shutil.copy2(root / name, source / name)
        _run(
            [
                *(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"),
                *("--no-index", "--quiet", "--wheel-dir", str(out), str(source)),
            ],
            cwd=source,
            what="building the dlcv wheel",
            env={**os.environ, "SETUPTOOLS_SCM_PRETEND_VERSION_FOR_DLCV_KB": version},
        )
    wheels = sorted(out.glob("*.whl"))
    if len(wheels) != 1:
        raise ReaderEnvError(f"expected one wheel in {out}, found {[w.name for w in wheels]}")
    return wheels[0]


def _dependency_paths() -> list[str]:
    """The running interpreter's site-packages folders (pure and platform), each once."""
    paths = [sysconfig.get_path("purelib"), sysconfig.get_path("platlib")]
    return list(dict.fromkeys(p for p in paths if p))


def _check(python: Path, venv: Path) -> None:
    """Raise unless `dlcv` imports, from an empty folder, from the reader environment."""
    with tempfile.TemporaryDirectory(prefix="dlcv-reader-check-") as empty:
        where = _run(
            [str(python), "-c", "import dlcv; print(dlcv.__file__)"],
            cwd=Path(empty),
            what="importing dlcv in the reader environment",
        ).strip()
    if not Path(where).resolve().is_relative_to(venv.resolve()):
        raise ReaderEnvError(
            f"the reader environment imports dlcv from {where}, not from its wheel in {venv}"
        )


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold a lock on ``folder`` so two processes (pytest workers) do not build it at once."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as handle:
        if os.name == "nt":
            yield
            return
        import fcntl

        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure(root: Path, *, log: bool = False) -> Path:
    """Build the reader environment under ``root`` if it is missing or stale; return its Python.

    Args:
        root: the repository root (dlcv/ and pyproject.toml live there).
        log: say on stderr when the environment is (re)built.

    Returns:
        The path of the reader environment's Python.

    Raises:
        ReaderEnvError: if the wheel or the environment cannot be built, or `dlcv` there is not
            the wheel's.

    Example:
        >>> python = ensure(ROOT)  # doctest: +SKIP
        >>> python.name
        'python'
    """
    root = root.resolve()
    folder = root / READER_DIR
    python = reader_python(root)
    venv = folder / "venv"
    stamp_file = folder / "stamp"
    version = version_of(root)
    stamp = _stamp(root, version)
    with _locked(folder):
        fresh = stamp_file.is_file() and stamp_file.read_text(encoding="utf-8") == stamp
        if fresh and python.is_file():
            return python
        if log:
            print(f"reader_env: building {venv} with dlcv from its wheel", file=sys.stderr)
        stamp_file.unlink(missing_ok=True)
        for old in (venv, folder / "dist"):
            shutil.rmtree(old, ignore_errors=True)
        wheel = _build_wheel(root, folder / "dist", version)
        _run(
            [sys.executable, "-m", "venv", "--without-pip", str(venv)],
            cwd=folder,
            what="creating the reader environment",
        )
        site_packages = Path(
            _run(
                [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                cwd=folder,
                what="locating the reader environment's site-packages",
            ).strip()
        )
        _run(
            [
                *(sys.executable, "-m", "pip", "--python", str(python), "install"),
                *("--no-deps", "--no-index", "--quiet", str(wheel)),
            ],
            cwd=folder,
            what="installing the dlcv wheel into the reader environment",
        )
        # After the wheel's own folder on sys.path: dlcv comes from the wheel, the rest from here.
        (site_packages / _PTH_NAME).write_text(
            "".join(f"{path}\n" for path in _dependency_paths()), encoding="utf-8"
        )
        _check(python, venv)
        stamp_file.write_text(stamp, encoding="utf-8")
    return python


def main(argv: Sequence[str] | None = None) -> int:
    parser = command_parser("sitetools.reader_env", __doc__)
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1])
    args = parser.parse_args(argv)
    try:
        python = ensure(args.root, log=True)
    except ReaderEnvError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(python)
    return 0


if __name__ == "__main__":
    sys.exit(main())
