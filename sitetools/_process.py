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
import os
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import IO

__all__ = ["Completed", "Processes", "Stopped", "run"]

# After the snippet and its group have ended, its pipes close at once; a reader still waiting
# after this long means a process outside the group (one that left the session) holds them.
_READ_GRACE_S = 5.0
# Orphaned processes that already exited are reaped by init shortly; give it a moment before
# calling them alive.
_ZOMBIE_GRACE_S = 0.5
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
    """Send SIGKILL to a process group; nothing happens if it is already gone."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signal.SIGKILL)


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


def run(
    args: list[str],
    *,
    cwd: Path,
    env: dict[str, str],
    timeout: float,
    max_output: int,
    processes: Processes | None = None,
) -> Completed:
    """Run ``args`` in its own process group; return its exit status, output and times.

    `subprocess.run` reaps the child without reporting its resource usage, so this waits with
    `os.wait4`, which does, while two threads drain the pipes. The group is killed when the
    time limit passes, when either stream exceeds ``max_output`` bytes, and in any case once
    the main process has exited.

    Raises:
        Stopped: if ``processes`` is stopping and the command was not started.
    """
    processes = processes or Processes()
    start = time.perf_counter()
    proc = processes.start(args, cwd=cwd, env=env)
    group = proc.pid
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

    if proc.stdout is None or proc.stderr is None:  # cannot happen with PIPE; keeps mypy sure
        raise RuntimeError("the snippet's pipes were not opened")
    readers = [
        threading.Thread(target=drain, args=("out", proc.stdout), daemon=True),
        threading.Thread(target=drain, args=("err", proc.stderr), daemon=True),
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
        _, status, usage = os.wait4(proc.pid, 0)
    except BaseException:
        kill_group(group)
        raise
    finally:
        timer.cancel()
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
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
        returncode=proc.returncode,
        stdout=streams.get("out", b""),
        stderr=streams.get("err", b""),
        seconds=seconds,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        timed_out=timed_out.is_set(),
        overflowed=overflowed.is_set(),
        left_running=left_running,
        incomplete=incomplete,
    )
