"""Install requirements.lock into the project's ``.venv``: with uv when it can, else with pip.

pip installs one package after another on one core; on a fresh 2-core machine that was about
80 s of the set-up, most of it unpacking TensorFlow and compiling bytecode while the other core
sat idle. uv downloads and unpacks in parallel: a few seconds from a warm cache.

Bytecode: uv's ``--compile-bytecode`` compiles all of the environment's 11,500 modules, about
40 CPU-seconds, most of which nothing here ever imports. Instead one Python imports what the
project's programs import (`WARM_IMPORTS`: TensorFlow, Keras, Matplotlib, MkDocs, Jupyter,
pytest, Playwright) with bytecode writing on: about 4,700 modules in 18 CPU-seconds, which a
process then loads from their ``.pyc`` files even where ``PYTHONDONTWRITEBYTECODE`` is set (a
module missed is compiled when first imported, and written unless that variable is set).

uv does not read pip's configuration, so the indexes, the local wheel folders, the constraint
file and the certificate that pip is configured with (``pip config list``: environment, user
and site files) are passed on to it; with none configured, both use PyPI. pip picks the best
version across all its indexes, hence ``--index-strategy unsafe-best-match``. The lock pins
every version, so the result is the same set of packages either way.

When uv cannot be installed (no wheel for the platform, an index that has none), the same
lock is installed with pip, as before. Standard library only: this runs before anything else
is installed. Run by the Makefile as ``.venv/bin/python -m sitetools.locked_install``.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from sitetools._cli import command_parser

# `pip config list` prints `scope.key='value'`; these keys have a uv counterpart.
_FLAGS = {
    "index-url": "--index-url",
    "extra-index-url": "--extra-index-url",
    "find-links": "--find-links",
    "constraint": "--constraint",
}


# pip reads the [global] section, then the command's own ([install]), then its environment
# variables (listed as ":env:"); a later one overrides an earlier one.
_SECTIONS = {"global": 0, "install": 1, ":env:": 2}


def pip_settings(listing: str) -> dict[str, list[str]]:
    """The values of pip's index, link, constraint and certificate settings in ``listing``
    (the output of ``pip config list``), as ``pip install`` resolves them: an environment
    variable over ``[install]`` over ``[global]``, whatever order the listing prints them in
    (it sorts them by file). Other sections (``[download]``, say) do not apply to installs.

    >>> pip_settings(":env:.find-links='/opt/wheels'\\nglobal.extra-index-url='file:///a b'")
    {'find-links': ['/opt/wheels'], 'extra-index-url': ['file:///a', 'b']}
    """
    found: dict[str, tuple[int, list[str]]] = {}
    for line in listing.splitlines():
        name, sep, value = line.partition("=")
        section, _, key = name.rpartition(".")
        if not sep or section not in _SECTIONS or key not in (*_FLAGS, "cert"):
            continue
        words = shlex.split(value)
        rank = _SECTIONS[section]
        if key not in found or rank >= found[key][0]:
            found[key] = (rank, words[0].split() if words else [])
    return {key: values for key, (_, values) in found.items()}


def uv_arguments(settings: dict[str, list[str]]) -> list[str]:
    """uv's flags for pip's ``settings`` (see `pip_settings`).

    >>> uv_arguments({"find-links": ["/w"], "index-url": ["file:///p"]})[2:]
    ['--index-url', 'file:///p', '--find-links', '/w']
    """
    args = ["--index-strategy", "unsafe-best-match"]
    for key, flag in _FLAGS.items():
        for value in settings.get(key, []):
            if key == "constraint" and not Path(value).is_file():
                continue  # it would stop uv; the lock pins every version anyway
            args += [flag, value]
    return args


def _pip(python: str, *args: str) -> None:
    subprocess.run([python, "-m", "pip", *args], check=True)


# What the project's programs import (the snippets, the runner, the site build, the notebooks,
# the tests): their modules' bytecode is written once, at install (`compile_imported`).
WARM_IMPORTS = (
    "tensorflow",
    "keras",
    "numpy",
    "scipy",
    "sklearn",
    "skimage",
    "matplotlib.pyplot",
    "PIL.Image",
    "mkdocs.commands.build",
    "material",
    "mkdocstrings",
    "griffe",
    "pymdownx.superfences",
    "markdown",
    "nbclient",
    "nbconvert",
    "ipykernel.kernelapp",
    "jupytext",
    "nbformat",
    "playwright.sync_api",
    "pytest",
    "xdist",
    "hypothesis",
    "yaml",
)
_WARM_SCRIPT = """
import importlib, sys
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
    except Exception:
        pass  # not installed here, or fails to import: its own users will say so
"""


def compile_imported(python: str, modules: Sequence[str] = WARM_IMPORTS) -> bool:
    """Write the bytecode of ``modules`` and of every module they import, by importing them in
    one Python of the environment with bytecode writing on; whether that Python succeeded.

    A failure costs only speed (each process then compiles what it imports), so it is reported
    by the return value, not raised.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    proc = subprocess.run(
        [python, "-c", _WARM_SCRIPT, *modules],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.returncode == 0


def _with_pip(python: str, lock: Path, project: Path) -> str:
    _pip(python, "install", "--quiet", "-r", str(lock))
    _pip(python, "install", "--quiet", "--no-deps", "-e", str(project))
    return "pip"


def install(lock: Path, project: Path, *, python: str = sys.executable) -> str:
    """Install ``lock``, then ``project`` in editable mode without dependencies, into the
    environment of ``python``; return the installer used ("uv" or "pip")."""
    try:
        _pip(python, "install", "--quiet", "uv")
        uv = [python, "-m", "uv"]
        subprocess.run([*uv, "--version"], check=True, capture_output=True)
    except (subprocess.CalledProcessError, OSError) as exc:
        print(f"locked_install: uv is not available ({exc}); installing with pip", file=sys.stderr)
        return _with_pip(python, lock, project)
    listing = subprocess.run(
        [python, "-m", "pip", "config", "list"], capture_output=True, text=True, check=False
    ).stdout
    settings = pip_settings(listing)
    env = dict(os.environ)
    if settings.get("cert"):
        env.setdefault("SSL_CERT_FILE", settings["cert"][0])
    common = [*uv, "pip", "install", "--quiet", "--python", python, *uv_arguments(settings)]
    try:
        subprocess.run([*common, "-r", str(lock)], check=True, env=env)
        subprocess.run([*common, "--no-deps", "-e", str(project)], check=True, env=env)
    except subprocess.CalledProcessError as exc:
        # An index uv reads differently from pip, say: the lock is the same for pip.
        print(f"locked_install: uv failed ({exc}); installing with pip", file=sys.stderr)
        return _with_pip(python, lock, project)
    # pip compiles every module it installs; uv was not asked to (see the module's docstring).
    if not compile_imported(python):
        print("locked_install: could not precompile the imported modules", file=sys.stderr)
    return "uv"


def main(argv: Sequence[str] | None = None) -> int:
    parser = command_parser("sitetools.locked_install", __doc__)
    parser.add_argument("--lock", type=Path, default=Path("requirements.lock"))
    parser.add_argument("--project", type=Path, default=Path("."))
    args = parser.parse_args(argv)
    try:
        print(f"locked_install: {args.lock} installed with {install(args.lock, args.project)}")
    except subprocess.CalledProcessError as exc:
        print(f"error: installing {args.lock} failed: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
