"""Run the site's snippets the way a reader would, and cache what they printed and drew.

Each snippet under ``snippets/`` is copied alone into an empty temporary folder and run there
in a fresh Python process, with seeds and the plotting backend fixed. What it printed, the
figures it saved (PNG files with their alt text in the ``Description`` metadata) and a
provenance record are kept in ``.cache/snippets/<key>/``, where the key hashes the snippet, the
``dlcv`` sources and the locked versions: change any of them and the snippet runs again.

Command line::

    python -m sitetools.snippets run [--fresh] [--show-runtime-log] [--root DIR] [PATH_OR_PAGE ...]
    python -m sitetools.snippets prune [--root DIR]

``--fresh`` ignores cached results (CI and publishing use it). A failing, slow or noisy snippet
makes the command exit with status 1 and names the snippet. ``--show-runtime-log`` prints,
under each snippet, the log lines TensorFlow's C++ runtime wrote to stderr (`RUNTIME_LINE`):
they describe the machine, not the snippet, so they never fail a run (unless fatal) and never
show on a page, but each cache entry keeps them (``runtime_log`` in ``result.json``). Any other
stderr line fails the snippet. A run over every snippet removes the cache entries no snippet
uses any more; a partial run removes only the older entries of the snippets it ran; ``prune``
does the former without running anything.

A snippet's output is decoded as UTF-8 (anything else fails it) and capped at 1 MiB. When its
main process exits, whatever it started and left running is killed and the snippet fails.
Ctrl-C or SIGTERM stops the running snippets at once and removes their folders.

Trust model: a snippet is a program, run with the contributor's rights; it can read and write
outside its folder, and nothing sandboxes it, so snippets are reviewed like code. What the
runner does guarantee is that a snippet sees only an allow-listed environment (`_ENV_NAMES`:
paths, locale, the accelerator and CPU settings TensorFlow and OpenBLAS need, and the
runner's own settings), never tokens or keys the runner holds, since whatever it prints is
published; and that no process it starts outlives it.

Snippets run as many at once as there are cores, each with one compute thread
(`THREAD_SETTINGS`). Alone, a snippet is measured against its time budget in wall-clock seconds;
sharing the cores, against its CPU time (its own and its child processes'), which for a
CPU-bound program is at least the wall time it takes alone, or its wall time divided by the
number running at once, whichever is larger. A run over budget is reported in the summary, and
fails only with ``--strict-budget``: speed depends on the machine.
A run at ``KILL_FACTOR`` times its budget is stopped and fails, which catches a hang. Pages
show the CPU time, which does not depend on what else ran beside it.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from sitetools import _process, install
from sitetools._cli import command_parser

__all__ = [
    "Result",
    "SnippetError",
    "discover",
    "run_all",
]

# Bump when the way a snippet is run or stored changes, so old cache entries are not reused.
RUNNER_VERSION = "7"
DEFAULT_BUDGET_S = 20.0
# Budgets beyond this are mistakes (and a timer cannot wait "forever"): split the snippet.
MAX_BUDGET_S = 600.0
# More than this on stdout is a dump, not something a page shows; nothing is cached then.
MAX_OUTPUT_BYTES = 1 << 20
# A snippet is killed at this multiple of its budget: that catches a hang. Between budget and
# kill it is reported as slow, and fails only with --strict-budget: how fast a snippet runs
# depends on the machine (the same pass takes about twice the CPU time on one 2-core AMD EPYC
# VM as on a 2-core Xeon one), so the gate checks that snippets work, not how fast. The limit
# is wall time, so it grows with the number of snippets sharing the cores: on a busy machine a
# heavy snippet's wall time stretches with the others', and only a hang should hit the limit.
KILL_FACTOR = 6.0
FIGURE_SUFFIXES = (".png",)
# The package whose modules a snippet's key depends on, as far as the snippet loads them.
PACKAGE = "dlcv"
# Under the cache folder: index key → the dlcv files that snippet's run loaded (`CacheKeys`).
DEPS_DIR = "deps"
# Holds the sitecustomize.py that records those files in the snippet's own process.
_RECORDER = Path(__file__).resolve().parent / "_recorder"
_MODULES_VARIABLE = "DLCV_SNIPPET_MODULES"
# What a warm Python (`_process.Warm`, `run --warm`) imports once before forking a child per
# snippet: the libraries whose import costs most of a short snippet's CPU time.
PRELOAD = ("numpy", "tensorflow", "keras", "matplotlib.pyplot")

_KEY_RE = re.compile(r"[0-9a-f]{24}")
# Cache entries are written under this prefix, then renamed to their key.
_PARTIAL_PREFIX = "entry-"
_BUDGET_RE = re.compile(r"^#\s*budget:\s*(?P<seconds>\d+(?:\.\d+)?)\s*s\b(?P<why>.*)$", re.M)
_VARIES_RE = re.compile(r"^#\s*output varies:\s*\S", re.M)

# TensorFlow, XLA and the CUDA libraries log from C++ through absl (or glog), whatever
# TF_CPP_MIN_LOG_LEVEL says, in one format: level, MMDD, time, thread id, source file:line.
# Such lines describe the machine (its CPU features, a missing GPU driver, the devices found),
# not the snippet, so they are kept in the run's record but not shown as its output. The source
# must be a C/C++ (or CUDA) file: Python's absl logging writes the same prefix with a .py file,
# and a Python warning is the snippet's business. A fatal (F) line fails the run.
RUNTIME_LINE = re.compile(
    r"^(?P<level>[IWEF])\d{4} \d{2}:\d{2}:\d{2,}\.\d+ +\d+ "
    r"(?P<source>[\w.+/-]+\.(?:cc|cpp|cxx|c|h|hpp|cu)):\d+\] "
)
# absl writes this unprefixed line once, before the first log line of a process.
_RUNTIME_PREAMBLE = frozenset(
    {"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR"}
)
# Second lines of the two multi-line start-up messages (cpu_feature_guard.cc, gpu_device.cc);
# accepted only right after a log line, where the message they continue ends.
_RUNTIME_CONTINUATIONS = (
    re.compile(
        r"^To enable the following instructions: .*rebuild TensorFlow with the appropriate "
        r"compiler flags\.$"
    ),
    re.compile(r"^Skipping registering GPU devices\.\.\.$"),
)


class SnippetError(RuntimeError):
    """Raised when one or more snippets fail; the message names each of them."""


@dataclasses.dataclass(frozen=True)
class Figure:
    """A figure a snippet saved: its file name, alt text, cached location and caption."""

    name: str
    alt: str
    path: Path
    caption: str = ""


@dataclasses.dataclass(frozen=True)
class Result:
    """What one run of a snippet produced."""

    name: str  # path relative to snippets/, e.g. "fundamentals/what-deep-means/x.py"
    ok: bool
    stdout: str
    figures: tuple[Figure, ...]
    seconds: float
    budget: float
    cached: bool
    provenance: dict[str, str]
    error: str = ""
    cpu_seconds: float = 0.0
    # TensorFlow's C++ log lines from stderr (`RUNTIME_LINE`): recorded, never shown as output.
    runtime_log: str = ""
    # Set when the run took longer than the snippet's budget but passed (see KILL_FACTOR).
    over_budget: str = ""
    # The extras of dlcv-kb the snippet's imports need (sitetools.install), usually none.
    extras: tuple[str, ...] = ()


def discover(root: Path, selectors: Sequence[str] = ()) -> list[Path]:
    """Return the snippet files under ``root/snippets``, filtered by path or page selectors.

    A selector is a snippet path (``fundamentals/what-deep-means/x.py``), a page
    (``fundamentals/what-deep-means``) or a section (``fundamentals``), relative to ``snippets/``.
    """
    base = root / "snippets"
    found = sorted(p for p in base.rglob("*.py") if "__pycache__" not in p.parts)
    if not selectors:
        return found
    chosen = []
    for path in found:
        rel = path.relative_to(base).as_posix()
        for sel in selectors:
            sel = sel.strip("/").removeprefix("snippets/").removeprefix("docs/").removesuffix(".md")
            if rel == sel or rel.startswith(sel + "/"):
                chosen.append(path)
                break
    if not chosen:
        raise SnippetError(f"No snippet matches {list(selectors)} under {base}")
    return chosen


def varies(source: str) -> bool:
    """Whether a snippet says (``# output varies: why``) that its output changes run to run."""
    return _VARIES_RE.search(source) is not None


def budget_of(source: str) -> float:
    """Return the snippet's time budget in seconds: 20 s, or what a ``# budget: N s`` line says.

    Raises:
        SnippetError: if the line gives no reason, or a budget that is zero or over
            `MAX_BUDGET_S` (naming the line).
    """
    match = _BUDGET_RE.search(source)
    if match is None:
        return DEFAULT_BUDGET_S
    line = source.count("\n", 0, match.start()) + 1
    if not match.group("why").strip(" -—:"):
        raise SnippetError(
            f"line {line}: a `# budget: N s` line must say why the snippet needs more time"
        )
    seconds = float(match.group("seconds"))
    if not 0 < seconds <= MAX_BUDGET_S:
        raise SnippetError(
            f"line {line}: `# budget` must be more than 0 and at most {MAX_BUDGET_S:.0f} s. "
            f"Received: budget={match.group('seconds')} s"
        )
    return seconds


def is_runtime_line(line: str) -> bool:
    """Whether ``line`` is a non-fatal log line of TensorFlow's C++ runtime (see `RUNTIME_LINE`).

    Example:
        >>> is_runtime_line("W0000 00:00:1732000000.000000    1234 gpu_device.cc:2344] Cannot "
        ...                 "dlopen some GPU libraries.")
        True
        >>> is_runtime_line("UserWarning: careful")
        False
    """
    match = RUNTIME_LINE.match(line)
    return match is not None and match["level"] != "F"


def split_stderr(text: str) -> tuple[list[str], list[str]]:
    """Split stderr into the runtime's log lines and everything else (blank lines dropped).

    Returns:
        ``(runtime, other)``: the runtime log lines, kept in the run's record, and the other
        lines, any of which fails a run (a warning, a traceback, the snippet's own stderr, a
        fatal log line).
    """
    runtime: list[str] = []
    other: list[str] = []
    previous_runtime = False
    for line in text.splitlines():
        if not line.strip():
            continue
        continuation = previous_runtime and any(c.match(line) for c in _RUNTIME_CONTINUATIONS)
        if is_runtime_line(line) or line in _RUNTIME_PREAMBLE or continuation:
            runtime.append(line)
            previous_runtime = True
        else:
            other.append(line)
            previous_runtime = False
    return runtime, other


def filter_stderr(text: str) -> str:
    """Drop the runtime's log lines from ``text`` (see `split_stderr`); return what is left."""
    return "\n".join(split_stderr(text)[1])


def _hash_files(digest: hashlib._Hash, root: Path, paths: Iterable[Path]) -> None:
    for path in sorted(paths):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")


def environment_hash(root: Path) -> str:
    """Hash dlcv's whole code and the locked versions (the notebooks' cache uses it)."""
    digest = hashlib.sha256(f"runner {RUNNER_VERSION} python {sys.version}".encode())
    package = root / PACKAGE
    files = [p for p in package.rglob("*.py")] if package.is_dir() else []
    files += [p for p in (root / "requirements.lock", root / "pyproject.toml") if p.is_file()]
    _hash_files(digest, root, files)
    return digest.hexdigest()


def base_hash(root: Path) -> str:
    """Hash what every snippet depends on besides itself and dlcv: the runner, the Python
    version and the locked versions (``requirements.lock``, ``pyproject.toml``)."""
    digest = hashlib.sha256(f"runner {RUNNER_VERSION} python {sys.version}".encode())
    files = [p for p in (root / "requirements.lock", root / "pyproject.toml") if p.is_file()]
    _hash_files(digest, root, files)
    return digest.hexdigest()


def _digest(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()[:24]


class CacheKeys:
    """A snippet's cache key: the snippet, the dlcv modules it loaded, the lock, runner, Python.

    The lookup has two levels. The *index key* hashes the snippet's name and text with
    `base_hash`; under it, ``deps/<index key>.json`` records the dlcv files its last run
    loaded. The *entry key*, the cache folder's name, hashes the index key with the current
    contents of exactly those files. So an edit to ``dlcv/detection.py`` reruns the snippets
    that loaded it and no other; a snippet never run under its index key has no entry key yet
    (it has to run).
    """

    def __init__(self, root: Path, cache_root: Path) -> None:
        self.root = root
        self.cache_root = cache_root
        self._base = base_hash(root)
        self._file_hashes: dict[str, str] = {}
        self._lock = threading.Lock()

    def name(self, snippet: Path) -> str:
        return snippet.relative_to(self.root / "snippets").as_posix()

    def index_key(self, snippet: Path) -> str:
        """The key of the snippet's text under the lock, runner and Python version."""
        return _digest(self._base, self.name(snippet), snippet.read_text(encoding="utf-8"))

    def _file_hash(self, rel: str) -> str:
        with self._lock:
            if rel not in self._file_hashes:
                path = self.root / rel
                data = path.read_bytes() if path.is_file() else b"missing"
                self._file_hashes[rel] = hashlib.sha256(data).hexdigest()
            return self._file_hashes[rel]

    def entry_key(self, index_key: str, modules: Sequence[str]) -> str:
        """The cache folder's name for ``index_key`` with ``modules`` as they are now."""
        return _digest(index_key, *(f"{m}:{self._file_hash(m)}" for m in sorted(modules)))

    def modules(self, snippet: Path) -> list[str] | None:
        """The dlcv files the snippet's last run (under its index key) loaded, or None."""
        record = self.cache_root / DEPS_DIR / f"{self.index_key(snippet)}.json"
        try:
            return list(json.loads(record.read_text(encoding="utf-8"))["modules"])
        except (OSError, ValueError, KeyError):
            return None

    def key(self, snippet: Path) -> str | None:
        """The snippet's current entry key, or None when it has not run under its index key."""
        modules = self.modules(snippet)
        return None if modules is None else self.entry_key(self.index_key(snippet), modules)

    def record(self, snippet: Path, modules: Sequence[str]) -> str:
        """Remember which dlcv files the snippet loaded; return its entry key."""
        index_key = self.index_key(snippet)
        folder = _ensure(self.cache_root / DEPS_DIR)
        data = {"name": self.name(snippet), "modules": sorted(modules)}
        tmp = folder / f".{index_key}.{os.getpid()}.{threading.get_ident()}"
        tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
        tmp.replace(folder / f"{index_key}.json")
        return self.entry_key(index_key, modules)


def all_modules(root: Path) -> list[str]:
    """Every dlcv file: what a run that could not say what it loaded depends on."""
    package = root / PACKAGE
    if not package.is_dir():
        return []
    files = [*package.rglob("*.py"), *package.rglob("*.pyi")]
    return sorted(p.relative_to(root).as_posix() for p in files)


def _read_record(record: Path, root: Path) -> tuple[list[str], list[str]]:
    """What the recorder (`sitetools/_recorder`) wrote for a run, read once.

    Returns:
        ``(modules, imported)``: the dlcv files the run loaded, or every dlcv file when some
        process of it exited without saying (``os._exit``, a kill); and the top-level modules
        outside the standard library it imported (``import NAME`` lines).
    """
    try:
        lines = record.read_text(encoding="utf-8").splitlines()
    except OSError:
        return all_modules(root), []
    imported = sorted({line[len("import ") :] for line in lines if line.startswith("import ")})
    if not lines or lines[-1] != "#":
        return all_modules(root), imported
    modules = sorted({line for line in lines if line and line != "#" and " " not in line})
    return modules, imported


_PROVENANCE_SCRIPT = r"""
import json, platform, sys
import tensorflow as tf, keras, dlcv
devices = []
for d in tf.config.list_physical_devices():
    name = d.device_type
    if d.device_type == "GPU":
        details = tf.config.experimental.get_device_details(d)
        name = "GPU " + details.get("device_name", "")
    devices.append(name.strip())
cpu = platform.processor() or platform.machine()
try:
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
except OSError:
    pass
print(json.dumps({"tensorflow": tf.__version__, "keras": keras.__version__,
                  "dlcv": dlcv.__version__, "python": platform.python_version(),
                  "cpu": cpu, "devices": devices}))
"""


def _commit(root: Path) -> str:
    sha = os.environ.get("GITHUB_SHA", "")[:7]
    if sha:
        return sha
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short=7", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "dlcv", "snippets"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "uncommitted"
    return sha + ("+changes" if dirty else "")


def machine_provenance(
    root: Path, python: str, *, warm: _process.Warm | None = None
) -> dict[str, str]:
    """Describe the machine and versions the snippets run with (one process, once per run).

    With ``warm``, the description runs in a child of that warm Python, which has imported
    TensorFlow already, as the snippets do; otherwise in a fresh ``python``, which imports it.
    """
    # From an empty folder, as snippets run: the checkout's dlcv/ and its install metadata
    # must not stand in for the dlcv the snippets import.
    with tempfile.TemporaryDirectory(prefix="dlcv-provenance-") as empty:
        script = Path(empty) / "provenance.py"
        script.write_text(_PROVENANCE_SCRIPT, encoding="utf-8")
        proc = _process.run(
            [script.name] if warm is not None else [python, script.name],
            cwd=Path(empty),
            env=_snippet_env(),
            timeout=120,
            max_output=MAX_OUTPUT_BYTES,
            warm=warm,
        )
    stdout = proc.stdout.decode("utf-8", errors="replace")
    if proc.returncode != 0 or not stdout.strip():
        stderr = proc.stderr.decode("utf-8", errors="replace")
        raise SnippetError(f"Could not import TensorFlow to describe the machine:\n{stderr}")
    info = json.loads(stdout.strip().splitlines()[-1])
    accelerators = [d for d in info["devices"] if d != "CPU"]
    device = (
        ", ".join(accelerators)
        if accelerators
        else f"CPU ({info['cpu']}, {os.cpu_count()} cores, one thread per snippet)"
    )
    return {
        "device": device,
        "tensorflow": info["tensorflow"],
        "keras": info["keras"],
        "dlcv": info["dlcv"],
        "python": info["python"],
        "commit": _commit(root),
    }


# What a snippet may see of the runner's environment. Anything else (tokens, keys, a
# contributor's own settings) stays out: a snippet could print it into a published page.
_ENV_NAMES = frozenset(
    {
        "PATH",
        "HOME",
        "TMPDIR",
        "TZ",
        "LANG",
        "VIRTUAL_ENV",
        "PYTHONPATH",
        "LD_LIBRARY_PATH",
        # Which accelerators TensorFlow sees, and how it compiles for them.
        "CUDA_VISIBLE_DEVICES",
        "CUDA_HOME",
        "HIP_VISIBLE_DEVICES",
        "ROCR_VISIBLE_DEVICES",
        "XLA_FLAGS",
        # OpenBLAS's CPU settings: some hosts set these because older OpenBLAS builds crash
        # on CPUs they do not recognise. (Thread counts are the runner's: THREAD_SETTINGS.)
        "OPENBLAS_CORETYPE",
        "OPENBLAS_L2_SIZE",
        "KERAS_BACKEND",
        "KERAS_HOME",
        "XDG_CACHE_HOME",
    }
)
_ENV_PREFIXES = ("LC_", "TF_")


# One compute thread per snippet, whatever the host sets. The runner already runs one snippet
# per core, so a TensorFlow or OpenBLAS pool of one thread per core in each snippet only makes
# them contend for the same cores. And a reduction split over threads adds in an order that
# depends on how many there are, so with one thread a snippet prints the same numbers on a
# machine with any number of cores, however many snippets run beside it (a count derived from
# the cores or the jobs would not: the determinism rerun in tests/site/test_pages.py runs two at
# once). The provenance line says so (`machine_provenance`).
THREAD_SETTINGS = {
    "TF_NUM_INTRAOP_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


def _snippet_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment a snippet runs with: the allow-listed part of ``base`` (default
    ``os.environ``), one compute thread (`THREAD_SETTINGS`) and the settings that make runs
    repeatable."""
    base = os.environ if base is None else base
    env = {k: v for k, v in base.items() if k in _ENV_NAMES or k.startswith(_ENV_PREFIXES)}
    env.update(THREAD_SETTINGS)
    env.update(
        {
            "PYTHONHASHSEED": "0",
            "PYTHONUNBUFFERED": "1",
            # Output is decoded as UTF-8 whatever the host's locale says.
            "PYTHONUTF8": "1",
            "MPLBACKEND": "Agg",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            # Wide enough that printed NumPy arrays and tables never wrap differently by terminal.
            "COLUMNS": "100",
        }
    )
    return env


def charged_seconds(seconds: float, cpu_seconds: float, sharing: int) -> float:
    """The time a snippet's budget is checked against, given how many snippets ran at once.

    Alone, its wall time. Sharing the cores with others, its wall time is inflated by them, so
    it is charged its CPU time (at least its wall time alone, for a CPU-bound program) or its
    wall time divided by the number sharing, whichever is larger.
    """
    if sharing <= 1:
        return seconds
    return max(cpu_seconds, seconds / sharing)


def _read_alt_and_caption(path: Path) -> tuple[str, str]:
    """A figure's alt text and caption, from its PNG metadata (`dlcv.plot.save_figure`)."""
    from PIL import Image

    with Image.open(path) as image:
        alt, caption = (str(image.info.get(key, "")).strip() for key in ("Description", "Title"))
    return alt, caption


def _failure(completed: _process.Completed, *, name: str, budget: float, kill_after: float) -> str:
    """Why a finished run is unusable, whatever it printed; empty if nothing went wrong."""
    if completed.timed_out:
        return f"{name}: killed after {kill_after:.0f} s (budget {budget:.0f} s)"
    if completed.overflowed:
        return (
            f"{name}: printed more than {MAX_OUTPUT_BYTES // 1024} KiB, so it was stopped and "
            "nothing was cached (a page shows a summary, not a dump)"
        )
    if completed.left_running:
        return (
            f"{name}: left a child process running after it exited (wait for, or end, the "
            "processes it starts); it was killed"
        )
    if completed.incomplete:
        return (
            f"{name}: its output could not be read in full (a process outside its process "
            "group still holds stdout or stderr open)"
        )
    return ""


def run_one(
    snippet: Path,
    *,
    root: Path,
    python: str,
    cache_root: Path,
    keys: CacheKeys,
    provenance: dict[str, str] | Callable[[_process.Warm | None], dict[str, str]],
    fresh: bool,
    check_budget: bool = False,
    sharing: int = 1,
    processes: _process.Processes | None = None,
    warm: _process.Warm | None = None,
) -> Result:
    """Run one snippet (or reuse its cached result) and return what it produced.

    With ``warm``, it runs in a child of that warm Python, which imported `PRELOAD` once
    beforehand; its CPU time then leaves that import out, and its provenance says so.

    ``sharing`` is how many snippets run at once, which decides what its budget is checked
    against (see `charged_seconds`).

    A run over its budget still counts, with ``over_budget`` saying by how much (it is stopped
    only at ``KILL_FACTOR`` times the budget); with ``check_budget=True`` it fails instead.

    Raises:
        _process.Stopped: if ``processes`` is stopping (the runner was interrupted).
    """
    name = snippet.relative_to(root / "snippets").as_posix()
    source = snippet.read_text(encoding="utf-8")
    try:
        budget = budget_of(source)
    except SnippetError as exc:
        return Result(name, False, "", (), 0.0, DEFAULT_BUDGET_S, False, {}, f"{name}: {exc}")
    if not fresh:
        cached = cached_result(snippet, keys=keys, budget=budget)
        if cached is not None:
            return cached

    prov = provenance(warm) if callable(provenance) else provenance
    if warm is not None and warm.preloaded:
        prov = {**prov, "preloaded": ", ".join(warm.preloaded)}
    workdir = Path(tempfile.mkdtemp(prefix="dlcv-snippet-"))
    # Beside the snippet's folder, not in it: the snippet sees only itself there.
    modules_record = workdir.with_name(workdir.name + ".modules")
    try:
        shutil.copy2(snippet, workdir / snippet.name)
        kill_after = budget * KILL_FACTOR * max(1, sharing)
        proc = _process.run(
            [snippet.name] if warm is not None else [python, snippet.name],
            cwd=workdir,
            env=_recording_env(_snippet_env(), modules_record),
            timeout=kill_after,
            max_output=MAX_OUTPUT_BYTES,
            processes=processes,
            warm=warm,
            record=str(modules_record),
        )
        seconds, cpu = proc.seconds, proc.cpu_seconds
        # stderr is only reported, never published: replace what is not UTF-8.
        runtime, other = split_stderr(proc.stderr.decode("utf-8", errors="replace"))
        runtime_log = "\n".join(runtime)

        def failed(error: str, stdout: str = "") -> Result:
            return Result(
                name, False, stdout, (), seconds, budget, False, prov, error, cpu, runtime_log
            )

        error = _failure(proc, name=name, budget=budget, kill_after=kill_after)
        if error:
            return failed(error)
        try:
            stdout = proc.stdout.decode("utf-8")
        except UnicodeDecodeError as exc:
            return failed(f"{name}: printed output that is not UTF-8 ({exc})")
        noise = "\n".join(other)
        charged = charged_seconds(seconds, cpu, sharing)
        if proc.returncode != 0:
            error = f"{name}: exited with status {proc.returncode}\n{_tail(noise or runtime_log)}"
        elif noise:
            error = f"{name}: wrote to stderr (it would show as noise on the page):\n{_tail(noise)}"
        over_budget = ""
        if not error and charged > budget:
            how = "" if sharing <= 1 else f" (CPU {cpu:.1f} s, wall {seconds:.1f} s)"
            over_budget = (
                f"{name}: took {charged:.1f} s{how}, over its {budget:.0f} s budget "
                "(make it faster, or add a `# budget: N s — why` line)"
            )
            if check_budget:
                error, over_budget = over_budget, ""
        saved: list[tuple[Path, str, str]] = []
        if not error:
            for path in sorted(workdir.rglob("*")):
                if path.suffix.lower() not in FIGURE_SUFFIXES:
                    continue
                alt, caption = _read_alt_and_caption(path)
                # The page shows both: the alt text to those who cannot see the figure, the
                # caption under it.
                missing = " and ".join(
                    what for what, text in (("alt text", alt), ("caption", caption)) if not text
                )
                if missing:
                    error = (
                        f"{name}: figure {path.name} has no {missing} (save it with "
                        "dlcv.plot.save_figure(fig, path, alt=..., caption=...))"
                    )
                    break
                saved.append((path, alt, caption))
        modules, imported = _read_record(modules_record, root)
        requirements = install.requirements_of(source, imported)
        if not error and requirements.problems:
            error = f"{name}: " + "; ".join(requirements.problems)
        if error:
            return failed(error, stdout)

        entry = cache_root / keys.entry_key(keys.index_key(snippet), modules)
        tmp_entry = Path(tempfile.mkdtemp(prefix=_PARTIAL_PREFIX, dir=_ensure(cache_root)))
        kept = []
        for path, alt, caption in saved:
            fig_name = path.relative_to(workdir).as_posix().replace("/", "_")
            shutil.copy2(path, tmp_entry / fig_name)
            kept.append(Figure(fig_name, alt, entry / fig_name, caption))
        record_data: dict[str, Any] = {
            "name": name,
            "stdout": stdout,
            "figures": [{"name": f.name, "alt": f.alt, "caption": f.caption} for f in kept],
            "seconds": round(seconds, 2),
            "cpu_seconds": round(cpu, 2),
            "provenance": {**prov, "date": dt.date.today().isoformat()},
            # The C++ runtime's log: not output, but a record of what the machine said.
            "runtime_log": runtime_log,
            # The dlcv files it loaded: its cache key covers exactly these.
            "modules": modules,
            # What its imports need besides dlcv-kb itself (the page's install line).
            "extras": list(requirements.extras),
        }
        (tmp_entry / "result.json").write_text(json.dumps(record_data, indent=1), encoding="utf-8")
        # Publish the entry atomically: a reader never sees a half-written cache entry.
        shutil.rmtree(entry, ignore_errors=True)
        tmp_entry.rename(entry)
        keys.record(snippet, modules)
        return Result(
            name,
            True,
            stdout,
            tuple(kept),
            seconds,
            budget,
            False,
            record_data["provenance"],
            "",
            cpu,
            runtime_log,
            over_budget,
            requirements.extras,
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        modules_record.unlink(missing_ok=True)


def _warm_env() -> dict[str, str]:
    """What a warm Python starts with: the snippets' environment with the module recorder
    loaded, but no record file (each child gets its own)."""
    return _recording_env(_snippet_env(), None)


def _recording_env(env: dict[str, str], record: Path | None) -> dict[str, str]:
    """``env`` with the recorder (`sitetools/_recorder`) loaded at start-up, writing to
    ``record`` (None: to no file); the snippet's own PYTHONPATH, if any, follows it."""
    path = os.pathsep.join(p for p in (str(_RECORDER), env.get("PYTHONPATH", "")) if p)
    recording = {} if record is None else {_MODULES_VARIABLE: str(record)}
    return {**env, "PYTHONPATH": path, **recording}


def cached_result(snippet: Path, *, keys: CacheKeys, budget: float | None = None) -> Result | None:
    """The snippet's cached result under its current key, or None when it has to run."""
    key = keys.key(snippet)
    if key is None:
        return None
    entry = keys.cache_root / key
    try:
        data = json.loads((entry / "result.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if budget is None:
        try:
            budget = budget_of(snippet.read_text(encoding="utf-8"))
        except SnippetError:
            budget = DEFAULT_BUDGET_S
    figures = tuple(
        Figure(f["name"], f["alt"], entry / f["name"], f.get("caption", ""))
        for f in data["figures"]
    )
    return Result(
        keys.name(snippet),
        True,
        data["stdout"],
        figures,
        data["seconds"],
        budget,
        True,
        data["provenance"],
        "",
        data["cpu_seconds"],
        data.get("runtime_log", ""),
        extras=tuple(data.get("extras", ())),
    )


def _ensure(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _tail(text: str, lines: int = 25) -> str:
    return "\n".join("    " + line for line in text.strip().splitlines()[-lines:])


# How long the runner's main thread waits at a time for a snippet to finish. The kernel may hand
# Ctrl-C or SIGTERM to any thread of the runner; Python runs the handler in the main thread, but
# only when that thread next runs bytecode. Blocked in an untimed wait, it could sleep through
# the signal until a snippet ended (a stuck one: until its kill timer).
_SIGNAL_POLL_S = 0.25


def _as_completed(
    futures: Iterable[concurrent.futures.Future[Result]],
) -> Iterator[concurrent.futures.Future[Result]]:
    """`concurrent.futures.as_completed` with timed waits, so that a signal taken by another
    thread interrupts the main thread within `_SIGNAL_POLL_S` (futures done in the same wait
    come in the order given)."""
    order = list(futures)
    pending = set(order)
    while pending:
        done, pending = concurrent.futures.wait(
            pending, timeout=_SIGNAL_POLL_S, return_when=concurrent.futures.FIRST_COMPLETED
        )
        yield from (future for future in order if future in done)


@contextlib.contextmanager
def _terminate_as_exit() -> Iterator[None]:
    """Turn SIGTERM into SystemExit while the runner runs, so its clean-up runs too.

    Only the main thread may install signal handlers; elsewhere this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def prune(
    cache_root: Path,
    current: Mapping[str, str],
    *,
    complete: bool,
    current_index: Mapping[str, str] | None = None,
) -> list[Path]:
    """Remove cache entries no current snippet uses; return the removed folders and records.

    Args:
        cache_root: the cache folder (``.cache/snippets``).
        current: snippet name → its current entry key, for the snippets just run.
        complete: whether ``current`` holds every snippet there is. Then every entry under
            another key goes (snippets since deleted or renamed too); otherwise only entries of
            the snippets in ``current`` under an older key, so a partial run never removes
            another snippet's result.
        current_index: snippet name → its current index key (`CacheKeys`); the records under
            ``deps/`` are pruned by the same rule. None leaves them alone.

    Returns:
        The folders (and ``deps/`` records) removed, including ones a killed run left
        half-written.
    """
    if not cache_root.is_dir():
        return []
    keep = set(current.values())
    removed = []
    for entry in sorted(cache_root.iterdir()):
        if not entry.is_dir() or entry.name in keep:
            continue
        if entry.name.startswith(_PARTIAL_PREFIX):
            stale = complete
        elif not _KEY_RE.fullmatch(entry.name):
            continue  # not ours
        elif complete:
            stale = True
        else:
            try:
                name = json.loads((entry / "result.json").read_text(encoding="utf-8"))["name"]
            except (OSError, ValueError, KeyError):
                continue
            stale = name in current
        if stale:
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    deps = cache_root / DEPS_DIR
    if current_index is not None and deps.is_dir():
        keep_index = set(current_index.values())
        for record in sorted(deps.glob("*.json")):
            if record.stem in keep_index:
                continue
            if not complete:
                try:
                    name = json.loads(record.read_text(encoding="utf-8"))["name"]
                except (OSError, ValueError, KeyError):
                    continue
                if name not in current_index:
                    continue
            record.unlink(missing_ok=True)
            removed.append(record)
    return removed


def parse_shard(text: str) -> tuple[int, int]:
    """Parse ``I/N`` (1 ≤ I ≤ N) into ``(I, N)``.

    Raises:
        SnippetError: if ``text`` is not of that form.
    """
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if match is None or not 1 <= int(match[1]) <= int(match[2]):
        raise SnippetError(
            f"`--shard` must be I/N with 1 <= I <= N, e.g. 2/4. Received: shard={text!r}"
        )
    return int(match[1]), int(match[2])


def shard_of(name: str, count: int) -> int:
    """The shard (1 to ``count``) a snippet belongs to: a hash of its name, so stable across
    runs and machines, and a new snippet moves no other one."""
    return int(hashlib.sha256(name.encode()).hexdigest(), 16) % count + 1


def _budget_or_default(path: Path) -> float:
    """The snippet's time budget for planning, or the default when its budget line is invalid
    (its run then fails, naming the line)."""
    try:
        return budget_of(path.read_text(encoding="utf-8"))
    except SnippetError:
        return DEFAULT_BUDGET_S


def _start_order(paths: Sequence[Path], *, longest_first: bool) -> list[Path]:
    """``paths`` by time budget, longest (or shortest) first; path order among equal budgets."""
    budgets = {path: _budget_or_default(path) for path in paths}
    return sorted(paths, key=lambda p: -budgets[p] if longest_first else budgets[p])


def run_all(
    root: Path,
    *,
    selectors: Sequence[str] = (),
    fresh: bool = False,
    jobs: int | None = None,
    python: str | None = None,
    cache_root: Path | None = None,
    check_budget: bool = False,
    show_runtime_log: bool = False,
    shard: tuple[int, int] | None = None,
    warm: bool = False,
    longest_first: bool = True,
    log: Callable[[str], None] = print,
) -> list[Result]:
    """Run (or reuse) every selected snippet, in parallel; return their results in path order.

    They start in order of their time budgets, longest first, so that no long snippet is left
    running alone at the end of the pass; ``longest_first=False`` starts the shortest first
    (`make serve`: most pages fill in soonest).

    ``warm=True`` runs them in children of warm Pythons (one per job; see `run_one`) where the
    platform allows, and a snippet whose warm Python fails runs in a fresh one instead.

    ``check_budget=True`` fails runs over their time budget; by default they are reported in
    `summarize` (see `run_one` and `KILL_FACTOR`).
    ``show_runtime_log`` logs each snippet's runtime log lines (`RUNTIME_LINE`) after it.
    ``shard=(i, n)`` runs only the selected snippets of shard ``i`` of ``n`` (`shard_of`).
    Afterwards, cache entries the snippets no longer use are pruned (see `prune`). Interrupted
    (Ctrl-C, SIGTERM), it kills the running snippets at once, removes their folders and
    re-raises.
    """
    root = root.resolve()
    snippets = discover(root, selectors)
    python = python or sys.executable
    cache_root = cache_root or root / ".cache" / "snippets"
    keys = CacheKeys(root, cache_root)
    if shard is not None:
        snippets = [p for p in snippets if shard_of(keys.name(p), shard[1]) == shard[0]]
    lock = threading.Lock()
    prov: dict[str, str] = {}

    def provenance(warm: _process.Warm | None = None) -> dict[str, str]:
        # In the first snippet's warm Python, when it has one: a fresh Python would import
        # TensorFlow once more only to print its version and the devices it sees.
        with lock:
            if not prov:
                prov.update(machine_provenance(root, python, warm=warm))
        return prov

    # Much of a short snippet's time is single-threaded (importing TensorFlow, building a model),
    # so one per core keeps the cores busy; budgets then count CPU time (`charged_seconds`).
    jobs = jobs or max(1, os.cpu_count() or 1)
    sharing = max(1, min(jobs, len(snippets)))
    results: dict[Path, Result] = {}
    done = 0
    mode = "fresh" if fresh else "cache allowed"
    where = "" if shard is None else f", shard {shard[0]}/{shard[1]}"
    log(f"snippets: {len(snippets)} to run ({mode}, {jobs} at once{where})")
    processes = _process.Processes()

    # Warm Pythons, started on first use (a run with everything cached starts none).
    idle: queue.SimpleQueue[_process.Warm | None] = queue.SimpleQueue()
    started: list[_process.Warm] = []
    starting = threading.Lock()
    # A warm Python that fails once is not tried again in this pass: the rest start fresh.
    use_warm = [warm and _process.Warm.available()]

    def take_warm() -> _process.Warm | None:
        try:
            return idle.get_nowait()
        except queue.Empty:
            pass
        with starting:
            if not use_warm[0] or processes.stopping:
                return None
            made = _process.Warm(python, env=_warm_env(), preload=PRELOAD)
            started.append(made)
        return made

    # What every snippet's `run_one` shares; `run_logged` adds `fresh` and `warm`.
    shared: dict[str, Any] = {
        "root": root,
        "python": python,
        "cache_root": cache_root,
        "keys": keys,
        "provenance": provenance,
        "check_budget": check_budget,
        "sharing": sharing,
        "processes": processes,
    }

    def run_logged(path: Path) -> Result:
        if not fresh:
            cached = cached_result(path, keys=keys)
            if cached is not None:
                return cached
        log(f"  running {keys.name(path)} ...")
        zygote = take_warm()
        try:
            if zygote is not None:
                try:
                    zygote.wait_ready()
                    return run_one(path, **shared, fresh=True, warm=zygote)
                except _process.WarmError as exc:
                    log(f"  {keys.name(path)}: {exc}; running it and the rest in fresh Pythons")
                    use_warm[0] = False
                    zygote.close()
                    zygote = None
            return run_one(path, **shared, fresh=True)
        finally:
            if zygote is not None:
                idle.put(zygote)

    pool = concurrent.futures.ThreadPoolExecutor(max_workers=jobs)
    try:
        with _terminate_as_exit():
            futures = {
                pool.submit(run_logged, path): path
                for path in _start_order(snippets, longest_first=longest_first)
            }
            for future in _as_completed(futures):
                result = future.result()
                results[futures[future]] = result
                done += 1
                status = "cached" if result.cached else ("ok" if result.ok else "FAILED")
                log(
                    f"  [{done}/{len(snippets)}] {result.name}: {status} "
                    f"({result.seconds:.1f} s, CPU {result.cpu_seconds:.1f} s)"
                )
                if show_runtime_log and result.runtime_log:
                    log("\n".join(f"      {line}" for line in result.runtime_log.splitlines()))
    except BaseException:
        # Ctrl-C, SIGTERM or a crash: stop every snippet now rather than at its kill timer;
        # each worker then removes its snippet's folder as it returns.
        processes.stop()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        for zygote in started:
            zygote.close()
    pool.shutdown(wait=True)
    ordered = [results[p] for p in snippets]
    current = {keys.name(p): keys.key(p) or "" for p in snippets}
    current_index = {keys.name(p): keys.index_key(p) for p in snippets}
    complete = not selectors and shard is None
    prune(cache_root, current, complete=complete, current_index=current_index)
    return ordered


def collect(root: Path, *, cache_root: Path | None = None) -> dict[str, Result | None]:
    """Every snippet's cached result under its current key, without running any: None for
    those that have to run. `mkdocs serve` shows these while the runner fills in the rest."""
    root = root.resolve()
    keys = CacheKeys(root, cache_root or root / ".cache" / "snippets")
    return {keys.name(path): cached_result(path, keys=keys) for path in discover(root)}


def changed_since(root: Path, base: Path, *, cache_root: Path | None = None) -> list[str]:
    """The snippets whose current result is not the one in the ``base`` cache folder.

    ``base`` is a copy of the cache as it was before this run (in CI, the one that the last
    publish run on main saved): a snippet that is new, edited, or loads a dlcv file that
    changed has another key now, so it ran in this run and is listed.
    """
    root = root.resolve()
    keys = CacheKeys(root, cache_root or root / ".cache" / "snippets")
    return [
        keys.name(path)
        for path in discover(root)
        if (key := keys.key(path)) is None or not (base / key / "result.json").is_file()
    ]


def merge(target: Path, sources: Sequence[Path]) -> int:
    """Copy the cache entries and ``deps/`` records of ``sources`` into ``target``.

    Entries are named by their key, so shards' caches never collide: the merged folder is what
    one run over every snippet would have left. Returns how many entries were copied.
    """
    copied = 0
    for source in sources:
        if not source.is_dir():
            raise SnippetError(f"`merge` needs cache folders. Received: {source} (not a folder)")
        for entry in sorted(source.iterdir()):
            done = (target / entry.name / "result.json").is_file()
            if entry.is_dir() and _KEY_RE.fullmatch(entry.name) and not done:
                shutil.rmtree(target / entry.name, ignore_errors=True)
                shutil.copytree(entry, target / entry.name)
                copied += 1
        deps = source / DEPS_DIR
        if deps.is_dir():
            _ensure(target / DEPS_DIR)
            for record in sorted(deps.glob("*.json")):
                shutil.copy2(record, target / DEPS_DIR / record.name)
    return copied


def plan(
    root: Path,
    *,
    target_s: float,
    max_shards: int,
    jobs: int = 2,
    cache_root: Path | None = None,
) -> list[int]:
    """The shards to split a fresh run into so each takes about ``target_s`` or less.

    The estimate is each snippet's recorded CPU time where a cache holds one, else its time
    budget, over ``jobs`` cores. Returns ``[1]`` (no split) when the whole pass fits.

    Raises:
        SnippetError: if ``target_s`` or ``max_shards`` is not positive.
    """
    if not target_s > 0:
        raise SnippetError(f"`target_s` must be positive. Received: target_s={target_s}")
    if max_shards < 1:
        raise SnippetError(f"`max_shards` must be at least 1. Received: max_shards={max_shards}")
    root = root.resolve()
    keys = CacheKeys(root, cache_root or root / ".cache" / "snippets")
    total = 0.0
    for path in discover(root):
        cached = cached_result(path, keys=keys)
        if cached is not None:
            total += max(cached.cpu_seconds, cached.seconds / max(1, jobs))
        else:
            total += _budget_or_default(path)
    count = min(max_shards, max(1, -int(-(total / max(1, jobs)) // target_s)))
    return list(range(1, count + 1))


def _results_by_name(cache: Path) -> dict[str, tuple[str, dict[str, Any]]]:
    """Snippet name → (entry key, its result.json) in a cache folder; the newest per name."""
    found: dict[str, tuple[float, str, dict[str, Any]]] = {}
    if cache.is_dir():
        for entry in sorted(cache.iterdir()):
            record = entry / "result.json"
            if not (_KEY_RE.fullmatch(entry.name) and record.is_file()):
                continue
            try:
                data = json.loads(record.read_text(encoding="utf-8"))
                name = data["name"]
            except (OSError, ValueError, KeyError):
                continue
            mtime = record.stat().st_mtime
            if name not in found or mtime > found[name][0]:
                found[name] = (mtime, entry.name, data)
    return {name: (key, data) for name, (_, key, data) in found.items()}


def _figure_digests(cache: Path, key: str, data: Mapping[str, Any]) -> dict[str, str]:
    digests = {}
    for figure in data.get("figures", []):
        path = cache / key / figure["name"]
        digests[figure["name"]] = (
            hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
        )
    return digests


def diff(old: Path, new: Path) -> str:
    """Markdown: for each snippet whose result in ``new`` is not the one in ``old``, what changed.

    Printed lines as a unified diff (changed numbers show as a removed and an added line), and
    figures added, removed or changed, by name. Snippets in ``old`` alone are listed as removed.
    """
    import difflib

    before = _results_by_name(old)
    after = _results_by_name(new)
    sections = []
    for name in sorted(set(before) | set(after)):
        if name not in after:
            sections.append(f"### `{name}`\n\nRemoved (no result in the new run).")
            continue
        new_key, new_data = after[name]
        if name in before and before[name][0] == new_key:
            continue  # the same entry: it did not run
        parts = [f"### `{name}`", ""]
        old_data: Mapping[str, Any] = before[name][1] if name in before else {}
        old_lines = str(old_data.get("stdout", "")).splitlines()
        new_lines = str(new_data.get("stdout", "")).splitlines()
        if name not in before:
            parts.append("New: no earlier result.")
        if old_lines == new_lines:
            parts.append("Output: unchanged.")
        else:
            lines = list(
                difflib.unified_diff(old_lines, new_lines, "before", "after", n=1, lineterm="")
            )
            parts += ["Output:", "", "```diff", *lines, "```"]
        old_figures = _figure_digests(old, before[name][0], old_data) if name in before else {}
        new_figures = _figure_digests(new, new_key, new_data)
        changes = [f"added `{f}`" for f in sorted(set(new_figures) - set(old_figures))]
        changes += [f"removed `{f}`" for f in sorted(set(old_figures) - set(new_figures))]
        changes += [
            f"changed `{f}`"
            for f in sorted(set(old_figures) & set(new_figures))
            if old_figures[f] != new_figures[f]
        ]
        if changes:
            parts += ["", "Figures: " + ", ".join(changes) + "."]
        sections.append("\n".join(parts))
    heading = "## Snippet results that changed\n\n"
    if not sections:
        return heading + "No snippet ran: every result is the one the base run saved.\n"
    count = len(sections)
    return (
        heading + f"{count} snippet{'s' if count != 1 else ''}:\n\n" + "\n\n".join(sections) + "\n"
    )


def summarize(results: Sequence[Result]) -> str:
    ran = sum(not r.cached for r in results)
    failed = [r for r in results if not r.ok]
    line = (
        f"snippets: {len(results) - len(failed)} passed, {len(failed)} failed "
        f"({ran} ran, {len(results) - ran} from cache)"
    )
    if failed:
        line += "\n" + "\n".join(r.error for r in failed)
    slow = [r.over_budget for r in results if r.ok and r.over_budget]
    if slow:
        line += (
            f"\nover budget on this machine ({len(slow)}; reported, not failed: "
            "--strict-budget fails them):\n" + "\n".join(slow)
        )
    return line


def main(argv: Sequence[str] | None = None) -> int:
    parser = command_parser("sitetools.snippets", __doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run snippets (all, or those a path/page/section selects)")
    run.add_argument("selectors", nargs="*", help="snippet path, page or section under snippets/")
    run.add_argument("--fresh", action="store_true", help="ignore cached results")
    run.add_argument("--jobs", type=int, default=None, help="snippets at once (default: cores)")
    run.add_argument("--shard", default=None, help="I/N: run only shard I of N (1-based)")
    run.add_argument(
        "--python",
        default=None,
        help="the interpreter that runs the snippets (default: this one); `make test` passes "
        "the reader environment's (python -m sitetools.reader_env)",
    )
    run.add_argument(
        "--cold",
        action="store_true",
        help="start every snippet in a fresh Python (default on Linux: fork each from a Python "
        "that has imported TensorFlow once; see sitetools/_zygote/zygote.py)",
    )
    run.add_argument(
        "--shortest-first",
        action="store_true",
        help="start the snippets with the shortest budgets first (default: longest first, "
        "which finishes the pass soonest; `make serve` fills most pages soonest this way)",
    )
    run.add_argument(
        "--strict-budget",
        action="store_true",
        help="fail a snippet that runs over its time budget (default: report it)",
    )
    run.add_argument(
        "--show-runtime-log",
        action="store_true",
        help="print each snippet's TensorFlow C++ log lines (kept out of its output)",
    )
    clean = sub.add_parser("prune", help="remove cache entries that no current snippet uses")
    merging = sub.add_parser("merge", help="copy shards' cache folders into one")
    merging.add_argument("target", type=Path)
    merging.add_argument("sources", type=Path, nargs="+")
    diffing = sub.add_parser("diff", help="Markdown: what changed between two cache folders")
    diffing.add_argument("old", type=Path)
    diffing.add_argument("new", type=Path)
    planning = sub.add_parser("plan", help="print the shards of a fresh run as a JSON list")
    planning.add_argument("--target-minutes", type=float, default=15.0)
    planning.add_argument("--max-shards", type=int, default=4)
    planning.add_argument("--jobs", type=int, default=2, help="cores per runner")
    for command in (run, clean, planning):
        command.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1])
    args = parser.parse_args(argv)
    try:
        if args.command == "merge":
            copied = merge(args.target, args.sources)
            print(f"snippets: merged {copied} cache entries into {args.target}")
            return 0
        if args.command == "diff":
            sys.stdout.write(diff(args.old, args.new))
            return 0
        root = args.root.resolve()
        if args.command == "plan":
            shards = plan(
                root,
                target_s=args.target_minutes * 60,
                max_shards=args.max_shards,
                jobs=args.jobs,
            )
            print(json.dumps(shards))
            return 0
        if args.command == "prune":
            keys = CacheKeys(root, root / ".cache" / "snippets")
            found = discover(root)
            current = {keys.name(path): keys.key(path) or "" for path in found}
            index = {keys.name(path): keys.index_key(path) for path in found}
            removed = prune(keys.cache_root, current, complete=True, current_index=index)
            print(f"snippets: pruned {len(removed)} cache entries")
            return 0
        fresh = args.fresh or os.environ.get("DLCV_SNIPPET_CACHE", "").lower() in {"off", "0", "no"}
        shard = parse_shard(args.shard) if args.shard else None
        results = run_all(
            root,
            selectors=args.selectors,
            fresh=fresh,
            jobs=args.jobs,
            python=args.python,
            check_budget=args.strict_budget,
            show_runtime_log=args.show_runtime_log,
            shard=shard,
            warm=not args.cold,
            longest_first=not args.shortest_first,
        )
    except SnippetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("snippets: interrupted; the running snippets were stopped", file=sys.stderr)
        return 130
    print(summarize(results))
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
