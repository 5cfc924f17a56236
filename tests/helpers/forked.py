"""Start the programs tests run in their own processes without importing TensorFlow each time.

A test that must survive a crash, kill a run or run two workers starts a program in a process
of its own: ``tests/helpers/train_worker.py``, or a script that ``blocking.run_apart`` runs. A
new Python spends several CPU-seconds importing TensorFlow before the program does anything,
most of what such a test costs. ``start`` forks the program instead from one server process per
test process that has imported NumPy, TensorFlow and Keras once: Python's own ``forkserver``
start method with those modules preloaded. Nothing has run in TensorFlow in the server, so each
child starts its runtime, thread pools and random state afresh, as a new Python does, and it is
a process like any other: it can be killed, and its exit status, or the signal that killed it
as a negative number, is its ``returncode``, as with `subprocess.Popen`.

The child sees the environment it is given (variables TensorFlow reads at start-up, such as
``TF_CONFIG`` and the thread counts, are read when its runtime starts, after the fork),
``sys.argv`` and ``sys.path[0]`` as ``python script.py`` sets them, and output files of its own.
The server itself starts with the test process's environment and a fixed hash seed.

POSIX only (the tests that use it kill processes with POSIX signals).
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.forkserver
import os
import runpy
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from multiprocessing.process import BaseProcess
from pathlib import Path

PRELOAD = ["numpy", "tensorflow", "keras"]


def _context() -> multiprocessing.context.BaseContext:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


def _main(script: str | None, code: str | None, args: Sequence[str], env: Mapping[str, str],
          cwd: str, out: str, err: str) -> None:  # fmt: skip
    """The child: become `python script args...` (or `python -c code args...`) and run it."""
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    for fd, path in ((1, out), (2, err)):
        opened = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(opened, fd)
        os.close(opened)
    if script is not None:
        sys.argv = [script, *args]
        sys.path[0] = os.path.dirname(os.path.abspath(script))
        runpy.run_path(script, run_name="__main__")
    else:
        sys.argv = ["-c", *args]
        sys.path[0] = ""
        exec(compile(code or "", "<string>", "exec"), {"__name__": "__main__"})


class Forked:
    """A program forked by `start`: the parts of `subprocess.Popen` the tests use."""

    def __init__(self, process: BaseProcess, folder: tempfile.TemporaryDirectory[str]) -> None:
        self._process = process
        self._folder = folder
        self.pid = process.pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None and not self._process.is_alive():
            self.returncode = self._process.exitcode
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            os.kill(self.pid or 0, sig)

    def wait(self, timeout: float | None = None) -> int:
        self._process.join(timeout)
        if self._process.exitcode is None:
            raise subprocess.TimeoutExpired(f"forked {self.pid}", timeout or 0)
        self.returncode = self._process.exitcode
        return self.returncode

    def communicate(self, timeout: float | None = None) -> tuple[str, str]:
        """Wait for the program to end; return what it wrote to stdout and to stderr."""
        self.wait(timeout)
        folder = Path(self._folder.name)
        try:
            return tuple(  # type: ignore[return-value]
                (folder / name).read_text(encoding="utf-8", errors="replace")
                for name in ("stdout", "stderr")
            )
        finally:
            self._folder.cleanup()


_server_started = False


def start(
    script: str | os.PathLike[str] | None = None,
    *args: str,
    code: str | None = None,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
) -> Forked:
    """Run `script` (or `code`, as ``python -c`` would) with `args` in a forked child, in
    `env` (default: this process's environment) and `cwd` (default: the current folder)."""
    global _server_started
    if (script is None) == (code is None):
        raise TypeError(f"start needs a script or code, not both. Received: {script=}, {code=}")
    context = _context()
    if not _server_started:
        # The server is a new Python: its hash seed is read as it starts, so it gets a fixed
        # one (as the programs had when each was a Python of its own).
        saved = os.environ.get("PYTHONHASHSEED")
        os.environ["PYTHONHASHSEED"] = "0"
        try:
            multiprocessing.forkserver.ensure_running()
        finally:
            if saved is None:
                del os.environ["PYTHONHASHSEED"]
            else:
                os.environ["PYTHONHASHSEED"] = saved
        _server_started = True
    folder = tempfile.TemporaryDirectory(prefix="forked-")
    process = context.Process(
        target=_main,
        args=(
            None if script is None else os.fspath(script),
            code,
            list(args),
            dict(os.environ if env is None else env),
            os.fspath(cwd or os.getcwd()),
            str(Path(folder.name) / "stdout"),
            str(Path(folder.name) / "stderr"),
        ),
    )
    process.start()
    return Forked(process, folder)


def run(
    script: str | os.PathLike[str] | None = None,
    *args: str,
    code: str | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """`start`, then wait for the program: what `subprocess.run(..., capture_output=True,
    text=True)` returns."""
    child = start(script, *args, code=code, env=env)
    try:
        stdout, stderr = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        child.send_signal(signal.SIGKILL)
        child.wait()
        raise
    argv = ["-c" if script is None else os.fspath(script), *args]
    return subprocess.CompletedProcess(argv, child.returncode or 0, stdout, stderr)
