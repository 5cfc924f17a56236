"""Run the site's snippets the way a reader would, and cache what they printed and drew.

Each snippet under ``snippets/`` is copied alone into an empty temporary folder and run there
in a fresh Python process, with seeds and the plotting backend fixed. What it printed, the
figures it saved (PNG files with their alt text in the ``Description`` metadata) and a
provenance record are kept in ``.cache/snippets/<key>/``, where the key hashes the snippet, the
``dlcv`` sources and the locked versions: change any of them and the snippet runs again.

Command line::

    python -m sitetools.snippets run [--fresh] [--root DIR] [PATH_OR_PAGE ...]

``--fresh`` ignores cached results (CI and publishing use it). A failing, slow or noisy snippet
makes the command exit with status 1 and names the snippet.

Snippets run as many at once as there are cores. Alone, a snippet is held to its time budget
in wall-clock seconds; sharing the cores, it is held to its CPU time (its own and its child
processes'), which for a CPU-bound program is at least the wall time it takes alone, or to its
wall time divided by the number running at once, whichever is larger. Pages show the CPU time,
which does not depend on what else ran beside it.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "Result",
    "SnippetError",
    "discover",
    "run_all",
]

# Bump when the way a snippet is run or stored changes, so old cache entries are not reused.
RUNNER_VERSION = "2"
DEFAULT_BUDGET_S = 20.0
# A snippet is killed at this multiple of its budget; between budget and kill it fails as too slow.
KILL_FACTOR = 3.0
FIGURE_SUFFIXES = (".png",)

_BUDGET_RE = re.compile(r"^#\s*budget:\s*(?P<seconds>\d+(?:\.\d+)?)\s*s\b(?P<why>.*)$", re.M)
_VARIES_RE = re.compile(r"^#\s*output varies:\s*\S", re.M)

# TensorFlow's C++ runtime writes start-up messages to stderr before Python code runs, whatever
# TF_CPP_MIN_LOG_LEVEL says. They say nothing about the snippet, so they are dropped; every other
# line on stderr fails the run, because it would be noise (or a real warning) on the page.
_ABSL_LINE = re.compile(r"^(?P<level>[IWEF])\d{4} [\d:.]+\s+\d+ (?P<source>[\w.]+):\d+\] ")
_STARTUP_SOURCES = frozenset(
    {
        "port.cc",
        "cudart_stub.cc",
        "cpu_feature_guard.cc",
        "cuda_platform.cc",
        "cuda_executor.cc",
        "cuda_dnn.cc",
        "cuda_fft.cc",
        "cuda_blas.cc",
        "gpu_device.cc",
        "computation_placer.cc",
        "tpu_api_dlsym_initializer.cc",
    }
)
_STARTUP_LINES = (
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "To enable the following instructions:",
    "Skipping registering GPU devices...",
)


class SnippetError(RuntimeError):
    """Raised when one or more snippets fail; the message names each of them."""


@dataclasses.dataclass(frozen=True)
class Figure:
    """A figure a snippet saved: its file name, alt text and cached location."""

    name: str
    alt: str
    path: Path


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
    """Return the snippet's time budget in seconds: 20 s, or what a ``# budget: N s`` line says."""
    match = _BUDGET_RE.search(source)
    if match is None:
        return DEFAULT_BUDGET_S
    if not match.group("why").strip(" -—:"):
        raise SnippetError("a `# budget: N s` line must say why the snippet needs more time")
    return float(match.group("seconds"))


def filter_stderr(text: str) -> str:
    """Drop TensorFlow's start-up log lines from ``text``; return what is left."""
    kept = []
    for line in text.splitlines():
        if not line.strip() or line.startswith(_STARTUP_LINES):
            continue
        match = _ABSL_LINE.match(line)
        if match and (match["level"] == "I" or match["source"] in _STARTUP_SOURCES):
            continue
        kept.append(line)
    return "\n".join(kept)


def _hash_files(digest: hashlib._Hash, root: Path, paths: Iterable[Path]) -> None:
    for path in sorted(paths):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")


def environment_hash(root: Path) -> str:
    """Hash what every snippet depends on besides itself: dlcv's code and the locked versions."""
    digest = hashlib.sha256(f"runner {RUNNER_VERSION} python {sys.version}".encode())
    package = root / "dlcv"
    files = [p for p in package.rglob("*.py")] if package.is_dir() else []
    files += [p for p in (root / "requirements.lock", root / "pyproject.toml") if p.is_file()]
    _hash_files(digest, root, files)
    return digest.hexdigest()


def cache_key(snippet: Path, env_hash: str) -> str:
    digest = hashlib.sha256(env_hash.encode())
    digest.update(snippet.read_bytes())
    return digest.hexdigest()[:24]


_PROVENANCE_SCRIPT = r"""
import json, platform, sys
import tensorflow as tf, keras
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
                  "python": platform.python_version(), "cpu": cpu, "devices": devices}))
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


def machine_provenance(root: Path, python: str) -> dict[str, str]:
    """Describe the machine and versions the snippets run with (one subprocess, once per run)."""
    proc = subprocess.run(
        [python, "-c", _PROVENANCE_SCRIPT],
        capture_output=True,
        text=True,
        env=_snippet_env(),
        timeout=120,
    )
    if proc.returncode != 0:
        raise SnippetError(f"Could not import TensorFlow to describe the machine:\n{proc.stderr}")
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    accelerators = [d for d in info["devices"] if d != "CPU"]
    device = (
        ", ".join(accelerators) if accelerators else f"CPU ({info['cpu']}, {os.cpu_count()} cores)"
    )
    return {
        "device": device,
        "tensorflow": info["tensorflow"],
        "keras": info["keras"],
        "python": info["python"],
        "commit": _commit(root),
    }


def _snippet_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "PYTHONHASHSEED": "0",
            "PYTHONUNBUFFERED": "1",
            "MPLBACKEND": "Agg",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            # Wide enough that printed NumPy arrays and tables never wrap differently by terminal.
            "COLUMNS": "100",
        }
    )
    return env


@dataclasses.dataclass(frozen=True)
class _Completed:
    returncode: int | None  # None: killed at the time limit
    stdout: str
    stderr: str
    seconds: float
    cpu_seconds: float


def _run_process(args: list[str], *, cwd: Path, env: dict[str, str], timeout: float) -> _Completed:
    """Run ``args`` and measure its wall time and the CPU time of it and its reaped children.

    `subprocess.run` reaps the child without reporting its resource usage, so this waits with
    `os.wait4`, which does, while two threads drain the pipes. The child leads its own process
    group, so the time limit stops the processes it started too.
    """
    start = time.perf_counter()
    proc = subprocess.Popen(
        args,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    streams: dict[str, str] = {}

    def drain(key: str, stream: Any) -> None:
        streams[key] = stream.read()

    readers = [
        threading.Thread(target=drain, args=("out", proc.stdout), daemon=True),
        threading.Thread(target=drain, args=("err", proc.stderr), daemon=True),
    ]
    for reader in readers:
        reader.start()
    killed = threading.Event()

    def kill() -> None:
        killed.set()
        with contextlib.suppress(ProcessLookupError):  # nothing left to stop
            os.killpg(proc.pid, signal.SIGKILL)

    timer = threading.Timer(timeout, kill)
    timer.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        timer.cancel()
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
    if killed.is_set():
        # Processes the snippet started may still hold the pipes open; stop them too.
        kill()
    for reader in readers:
        reader.join(timeout=10)
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()
    return _Completed(
        None if killed.is_set() else proc.returncode,
        streams.get("out", ""),
        streams.get("err", ""),
        seconds,
        usage.ru_utime + usage.ru_stime,
    )


def charged_seconds(seconds: float, cpu_seconds: float, sharing: int) -> float:
    """The time a snippet's budget is checked against, given how many snippets ran at once.

    Alone, its wall time. Sharing the cores with others, its wall time is inflated by them, so
    it is charged its CPU time (at least its wall time alone, for a CPU-bound program) or its
    wall time divided by the number sharing, whichever is larger.
    """
    if sharing <= 1:
        return seconds
    return max(cpu_seconds, seconds / sharing)


def _read_alt(path: Path) -> str:
    from PIL import Image

    with Image.open(path) as image:
        return str(image.info.get("Description", "")).strip()


def run_one(
    snippet: Path,
    *,
    root: Path,
    python: str,
    cache_root: Path,
    env_hash: str,
    provenance: dict[str, str] | Callable[[], dict[str, str]],
    fresh: bool,
    check_budget: bool = True,
    sharing: int = 1,
) -> Result:
    """Run one snippet (or reuse its cached result) and return what it produced.

    ``sharing`` is how many snippets run at once, which decides what its budget is checked
    against (see `charged_seconds`).

    With ``check_budget=False`` a run over its budget still counts (it is stopped only at
    ``KILL_FACTOR`` times the budget): for reruns that check output, not speed.
    """
    name = snippet.relative_to(root / "snippets").as_posix()
    source = snippet.read_text(encoding="utf-8")
    try:
        budget = budget_of(source)
    except SnippetError as exc:
        return Result(name, False, "", (), 0.0, DEFAULT_BUDGET_S, False, {}, f"{name}: {exc}")
    entry = cache_root / cache_key(snippet, env_hash)
    record = entry / "result.json"
    if not fresh and record.is_file():
        data = json.loads(record.read_text(encoding="utf-8"))
        figures = tuple(Figure(f["name"], f["alt"], entry / f["name"]) for f in data["figures"])
        return Result(
            name,
            True,
            data["stdout"],
            figures,
            data["seconds"],
            budget,
            True,
            data["provenance"],
            "",
            data["cpu_seconds"],
        )

    prov = provenance() if callable(provenance) else provenance
    workdir = Path(tempfile.mkdtemp(prefix="dlcv-snippet-"))
    try:
        shutil.copy2(snippet, workdir / snippet.name)
        proc = _run_process(
            [python, snippet.name],
            cwd=workdir,
            env=_snippet_env(),
            timeout=budget * KILL_FACTOR,
        )
        if proc.returncode is None:
            return Result(
                name,
                False,
                "",
                (),
                proc.seconds,
                budget,
                False,
                prov,
                f"{name}: killed after {budget * KILL_FACTOR:.0f} s (budget {budget:.0f} s)",
                proc.cpu_seconds,
            )
        seconds = proc.seconds
        charged = charged_seconds(seconds, proc.cpu_seconds, sharing)
        noise = filter_stderr(proc.stderr)
        error = ""
        if proc.returncode != 0:
            error = f"{name}: exited with status {proc.returncode}\n{_tail(noise or proc.stderr)}"
        elif noise:
            error = f"{name}: wrote to stderr (it would show as noise on the page):\n{_tail(noise)}"
        elif check_budget and charged > budget:
            how = "" if sharing <= 1 else f" (CPU {proc.cpu_seconds:.1f} s, wall {seconds:.1f} s)"
            error = (
                f"{name}: took {charged:.1f} s{how}, over its {budget:.0f} s budget "
                "(make it faster, or add a `# budget: N s — why` line)"
            )
        saved: list[tuple[Path, str]] = []
        if not error:
            for path in sorted(workdir.rglob("*")):
                if path.suffix.lower() not in FIGURE_SUFFIXES:
                    continue
                alt = _read_alt(path)
                if not alt:
                    error = (
                        f"{name}: figure {path.name} has no alt text "
                        "(save it with dlcv.plot.save_figure(fig, path, alt=...))"
                    )
                    break
                saved.append((path, alt))
        if error:
            return Result(
                name, False, proc.stdout, (), seconds, budget, False, prov, error, proc.cpu_seconds
            )

        tmp_entry = Path(tempfile.mkdtemp(prefix="entry-", dir=_ensure(cache_root)))
        kept = []
        for path, alt in saved:
            fig_name = path.relative_to(workdir).as_posix().replace("/", "_")
            shutil.copy2(path, tmp_entry / fig_name)
            kept.append(Figure(fig_name, alt, entry / fig_name))
        record_data: dict[str, Any] = {
            "name": name,
            "stdout": proc.stdout,
            "figures": [{"name": f.name, "alt": f.alt} for f in kept],
            "seconds": round(seconds, 2),
            "cpu_seconds": round(proc.cpu_seconds, 2),
            "provenance": {**prov, "date": dt.date.today().isoformat()},
        }
        (tmp_entry / "result.json").write_text(json.dumps(record_data, indent=1), encoding="utf-8")
        # Publish the entry atomically: a reader never sees a half-written cache entry.
        shutil.rmtree(entry, ignore_errors=True)
        tmp_entry.rename(entry)
        return Result(
            name,
            True,
            proc.stdout,
            tuple(kept),
            seconds,
            budget,
            False,
            record_data["provenance"],
            "",
            proc.cpu_seconds,
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _ensure(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _tail(text: str, lines: int = 25) -> str:
    return "\n".join("    " + line for line in text.strip().splitlines()[-lines:])


def run_all(
    root: Path,
    *,
    selectors: Sequence[str] = (),
    fresh: bool = False,
    jobs: int | None = None,
    python: str | None = None,
    cache_root: Path | None = None,
    check_budget: bool = True,
    log: Callable[[str], None] = print,
) -> list[Result]:
    """Run (or reuse) every selected snippet, in parallel; return their results in path order.

    ``check_budget=False`` accepts runs over their time budget (see `run_one`).
    """
    root = root.resolve()
    snippets = discover(root, selectors)
    python = python or sys.executable
    cache_root = cache_root or root / ".cache" / "snippets"
    env_hash = environment_hash(root)
    lock = threading.Lock()
    prov: dict[str, str] = {}

    def provenance() -> dict[str, str]:
        with lock:
            if not prov:
                prov.update(machine_provenance(root, python))
        return prov

    # Much of a short snippet's time is single-threaded (importing TensorFlow, building a model),
    # so one per core keeps the cores busy; budgets then count CPU time (`charged_seconds`).
    jobs = jobs or max(1, os.cpu_count() or 1)
    sharing = min(jobs, len(snippets))
    results: dict[Path, Result] = {}
    done = 0
    mode = "fresh" if fresh else "cache allowed"
    log(f"snippets: {len(snippets)} to run ({mode}, {jobs} at once)")

    def run_logged(path: Path, **kwargs: Any) -> Result:
        if not kwargs["fresh"] and (cache_root / cache_key(path, env_hash)).is_dir():
            return run_one(path, **kwargs)
        log(f"  running {path.relative_to(root / 'snippets').as_posix()} ...")
        return run_one(path, **kwargs)

    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {
            pool.submit(
                run_logged,
                path,
                root=root,
                python=python,
                cache_root=cache_root,
                env_hash=env_hash,
                provenance=provenance,
                fresh=fresh,
                check_budget=check_budget,
                sharing=sharing,
            ): path
            for path in snippets
        }
        for future in concurrent.futures.as_completed(futures):
            result = future.result()
            results[futures[future]] = result
            done += 1
            status = "cached" if result.cached else ("ok" if result.ok else "FAILED")
            log(
                f"  [{done}/{len(snippets)}] {result.name}: {status} "
                f"({result.seconds:.1f} s, CPU {result.cpu_seconds:.1f} s)"
            )
    return [results[p] for p in snippets]


def summarize(results: Sequence[Result]) -> str:
    ran = sum(not r.cached for r in results)
    failed = [r for r in results if not r.ok]
    line = (
        f"snippets: {len(results) - len(failed)} passed, {len(failed)} failed "
        f"({ran} ran, {len(results) - ran} from cache)"
    )
    if failed:
        line += "\n" + "\n".join(r.error for r in failed)
    return line


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sitetools.snippets", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run snippets (all, or those a path/page/section selects)")
    run.add_argument("selectors", nargs="*", help="snippet path, page or section under snippets/")
    run.add_argument("--fresh", action="store_true", help="ignore cached results")
    run.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1])
    run.add_argument("--jobs", type=int, default=None, help="snippets at once (default: cores)")
    args = parser.parse_args(argv)
    fresh = args.fresh or os.environ.get("DLCV_SNIPPET_CACHE", "").lower() in {"off", "0", "no"}
    try:
        results = run_all(args.root, selectors=args.selectors, fresh=fresh, jobs=args.jobs)
    except SnippetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(summarize(results))
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
