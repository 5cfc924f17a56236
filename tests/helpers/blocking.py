"""Call something that may block on a named pipe, without letting it hang the test run."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest


def call_with_timeout(function: Callable[..., Any], *args: Any, seconds: float, fifo: Path) -> Any:
    """Run `function(*args)` in a thread; if it blocks on `fifo`, free it and fail the test."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = function(*args)
        except Exception as error:
            outcome["error"] = error

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        # Opening the pipe for writing, then closing it, gives the blocked reader an end of file.
        with open(fifo, "wb"):
            pass
        thread.join(30)
        pytest.fail(f"{function.__name__} blocked on the named pipe {fifo}")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def run_apart(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `script` in its own Python, so a crash or a runaway read cannot take pytest down."""
    return subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
