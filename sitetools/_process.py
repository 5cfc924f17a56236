"""Process handling for the snippet runner: one snippet, its process group, its pipes.

A snippet runs as the leader of a new session, so everything it starts shares its process
group and can be stopped at once. `run` measures the snippet's wall and CPU time, caps what
it may print, and always ends the group when the snippet's main process exits, so no process
outlives the run and no pipe is held open. `Processes` tracks the groups running at once, so
that an interrupted runner stops them all immediately.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

__all__ = ["Completed", "Processes", "Stopped", "Warm", "WarmError", "run"]

_ZYGOTE = Path(__file__).resolve().parent / "_zygote" / "zygote.py"
_MAX_MESSAGE = 1 << 20

# After the snippet and its group have ended, its pipes close at once; a reader still waiting
# after this long means a process outside the group (one that left the session) holds them.
_READ_GRACE_S = 5.0
# Orphaned processes that already exited are reaped by init shortly; give it a moment before
# calling them alive.
_ZOMBIE_GRACE_S = 0.5
# How long kill_group waits for a killed group to stop running.
_KILL_WAIT_S = 2.0
_CHUNK = 65536


class Stopped(Exception):
    """Raised by `run` when the runner is stopping and starts no new process."""


@dataclasses.dataclass(frozen=True)
class Completed:
    """How a process ended and what it wrote.

    ``stdout`` and ``stderr`` are bytes as written, cut at the cap; the flags say what went
    wrong: killed at the time limit, more output than the cap, processes left running after
    the main one exited, or pipes that could not be read to their end.
    """

    returncode: int
    stdout: bytes
    stderr: bytes
    seconds: float
    cpu_seconds: float
    timed_out: bool = False
    overflowed: bool = False
    left_running: bool = False
    incomplete: bool = False


class Processes:
    """The process groups running now; `stop` kills them all and refuses new ones."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._groups: set[int] = set()
        self._stopping = False

    def start(self, args: list[str], *, cwd: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
        """Start ``args`` as the leader of a new session, unless the runner is stopping.

        Raises:
            Stopped: if `stop` was called.
        """
        with self._lock:
            if self._stopping:
                raise Stopped("the runner is stopping")
            proc = subprocess.Popen(
                args,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
            self._groups.add(proc.pid)
            return proc

    @property
    def stopping(self) -> bool:
        """Whether `stop` was called."""
        with self._lock:
            return self._stopping

    def track(self, group: int) -> None:
        """Track a group started elsewhere (by a `Warm` Python); kill it if stopping.

        Raises:
            Stopped: if `stop` was called.
        """
        with self._lock:
            if not self._stopping:
                self._groups.add(group)
                return
        kill_group(group)
        raise Stopped("the runner is stopping")

    def forget(self, group: int) -> None:
        with self._lock:
            self._groups.discard(group)

    def stop(self) -> None:
        """Kill every running group now; `start` refuses from now on."""
        with self._lock:
            self._stopping = True
            groups = list(self._groups)
        for group in groups:
            kill_group(group)


def kill_group(group: int) -> None:
    """Send SIGKILL to a process group and wait, up to `_KILL_WAIT_S`, until none of it runs;
    nothing happens if it is already gone.

    A signal is delivered when the kernel next schedules its process, so on a busy machine a
    killed process can run on for a moment after `killpg` returns; waiting here means that
    what the runner reports as killed has stopped.
    """
    try:
        os.killpg(group, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        return
    deadline = time.monotonic() + _KILL_WAIT_S
    while _group_alive(group) and time.monotonic() < deadline:
        time.sleep(0.01)


def _group_alive(group: int) -> bool:
    """Whether a process of ``group`` is still running (zombies waiting to be reaped are not)."""
    proc = Path("/proc")
    if not proc.is_dir():
        try:
            os.killpg(group, 0)
        except (ProcessLookupError, PermissionError):
            return False
        return True
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # it exited while we looked
            continue
        # Fields after the parenthesised command name: state, ppid, pgrp, ...
        fields = stat.rpartition(")")[2].split()
        if len(fields) > 2 and int(fields[2]) == group and fields[0] not in {"Z", "X"}:
            return True
    return False


def _left_running(group: int) -> bool:
    deadline = time.monotonic() + _ZOMBIE_GRACE_S
    while _group_alive(group):
        if time.monotonic() >= deadline:
            return True
        time.sleep(0.05)
    return False


class WarmError(RuntimeError):
    """Raised when a `Warm` Python could not start or stopped answering."""


class Warm:
    """A Python that has imported ``preload`` once and forks a fresh child per command.

    The child is what ``python name.py`` would be, minus the imports' start-up cost: its own
    session, working folder, environment, ``sys.argv``, ``sys.path[0]`` and ``__main__``
    (see ``sitetools/_zygote/zygote.py``). Linux only (`available`); one command at a time.

    Args:
        python: the interpreter, e.g. the reader's environment's.
        env: the environment it starts with: the snippets' own, since some variables are
            read only while the libraries import.
        preload: top-level modules to import first; absent ones are skipped.
    """

    def __init__(self, python: str, *, env: dict[str, str], preload: Sequence[str]) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self._proc = subprocess.Popen(
                [python, str(_ZYGOTE), str(theirs.fileno()), *preload],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                pass_fds=[theirs.fileno()],
                start_new_session=True,
            )
        finally:
            theirs.close()
        self._sock = ours
        self._lock = threading.Lock()
        self.preloaded: tuple[str, ...] = ()
        self._ready = False

    @staticmethod
    def available() -> bool:
        """Whether this platform can run one (fork, SOCK_SEQPACKET and fd passing)."""
        return sys.platform.startswith("linux")

    def _receive(self) -> dict[str, Any]:
        data = self._sock.recv(_MAX_MESSAGE)
        if not data:
            try:
                code: int | None = self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                code = None
            raise WarmError(f"the warm Python stopped (exit status {code})")
        message: dict[str, Any] = json.loads(data)
        return message

    def wait_ready(self) -> tuple[str, ...]:
        """Block until the preloads are imported; return the ones that imported.

        Raises:
            WarmError: if the Python exited first.
        """
        if not self._ready:
            self.preloaded = tuple(self._receive()["ready"])
            self._ready = True
        return self.preloaded

    def start(
        self, args: list[str], *, cwd: Path, env: dict[str, str], record: str | None = None
    ) -> tuple[int, IO[bytes], IO[bytes], Callable[[], tuple[int, float]]]:
        """Fork a child running ``args``; return its pid, its stdout and stderr, and a
        function that waits for it and returns its wait status and CPU seconds.

        ``record`` is the file the runner's module recorder writes to at the child's exit.
        """
        self.wait_ready()
        self._lock.acquire()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        request = {"argv": args, "cwd": str(cwd), "env": env, "record": record}
        try:
            socket.send_fds(self._sock, [json.dumps(request).encode("utf-8")], [out_w, err_w])
            pid = int(self._receive()["pid"])
        except BaseException:
            for fd in (out_r, err_r):
                os.close(fd)
            self._lock.release()
            raise
        finally:
            os.close(out_w)
            os.close(err_w)

        def wait() -> tuple[int, float]:
            try:
                done = self._receive()
            finally:
                self._lock.release()
            return int(done["status"]), float(done["cpu"])

        return pid, os.fdopen(out_r, "rb"), os.fdopen(err_r, "rb"), wait

    def close(self) -> None:
        """End the warm Python (a running child is the caller's to end)."""
        with contextlib.suppress(OSError):
            self._sock.close()
        with contextlib.suppress(OSError):
            self._proc.kill()
        self._proc.wait()


def run(
    args: list[str],
    *,
    cwd: Path,
    env: dict[str, str],
    timeout: float,
    max_output: int,
    processes: Processes | None = None,
    warm: Warm | None = None,
    record: str | None = None,
) -> Completed:
    """Run ``args`` in its own process group; return its exit status, output and times.

    With ``warm``, the process is a child of that `Warm` Python instead of a fresh one
    (``record`` is then its module recorder's file; a fresh one reads it from ``env``).

    `subprocess.run` reaps the child without reporting its resource usage, so this waits with
    `os.wait4`, which does, while two threads drain the pipes. The group is killed when the
    time limit passes, when either stream exceeds ``max_output`` bytes, and in any case once
    the main process has exited.

    Raises:
        Stopped: if ``processes`` is stopping and the command was not started.
    """
    processes = processes or Processes()
    start = time.perf_counter()
    if warm is None:
        proc = processes.start(args, cwd=cwd, env=env)
        if proc.stdout is None or proc.stderr is None:  # cannot happen with PIPE (for mypy)
            raise RuntimeError("the snippet's pipes were not opened")
        group, stdout, stderr = proc.pid, proc.stdout, proc.stderr

        def wait() -> tuple[int, float]:
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)  # reaped: Popen must not wait
            return status, usage.ru_utime + usage.ru_stime
    else:
        group, stdout, stderr, wait = warm.start(args, cwd=cwd, env=env, record=record)
        try:
            processes.track(group)
        except Stopped:
            stdout.close()
            stderr.close()
            wait()
            raise
    overflowed = threading.Event()
    streams: dict[str, bytes] = {}

    def drain(key: str, stream: IO[bytes]) -> None:
        # The reader closes its own pipe: closing it from another thread while a read is
        # blocked (a pipe held open by an escaped process) would block that thread too.
        chunks: list[bytes] = []
        size = 0
        with stream:
            while chunk := stream.read1(_CHUNK):  # type: ignore[attr-defined]
                if size + len(chunk) > max_output:
                    overflowed.set()
                    kill_group(group)  # a runaway print stops now, not at the time limit
                    break
                chunks.append(chunk)
                size += len(chunk)
        streams[key] = b"".join(chunks)

    readers = [
        threading.Thread(target=drain, args=("out", stdout), daemon=True),
        threading.Thread(target=drain, args=("err", stderr), daemon=True),
    ]
    for reader in readers:
        reader.start()
    timed_out = threading.Event()

    def on_timeout() -> None:
        timed_out.set()
        kill_group(group)

    timer = threading.Timer(timeout, on_timeout)
    timer.start()
    try:
        status, cpu_seconds = wait()
    except BaseException:
        kill_group(group)
        raise
    finally:
        timer.cancel()
    seconds = time.perf_counter() - start
    returncode = os.waitstatus_to_exitcode(status)
    try:
        left_running = _left_running(group)
        # Whatever is left of the group (running or not) goes now: nothing outlives a snippet.
        kill_group(group)
        deadline = time.monotonic() + _READ_GRACE_S
        for reader in readers:
            reader.join(timeout=max(0.0, deadline - time.monotonic()))
        incomplete = any(reader.is_alive() for reader in readers)
    finally:
        processes.forget(group)
    return Completed(
        returncode=returncode,
        stdout=streams.get("out", b""),
        stderr=streams.get("err", b""),
        seconds=seconds,
        cpu_seconds=cpu_seconds,
        timed_out=timed_out.is_set(),
        overflowed=overflowed.is_set(),
        left_running=left_running,
        incomplete=incomplete,
    )
