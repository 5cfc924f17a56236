"""Call something that may block on a named pipe, without letting it hang the test run."""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers import forked


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
    """Run `script` in a process of its own (``python -c script args...``, forked with
    TensorFlow imported: tests/helpers/forked.py), so a crash or a runaway read cannot take
    pytest down."""
    return forked.run(None, *args, code=script, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
