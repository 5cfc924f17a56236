"""A warm Python for the snippet runner: import the heavy libraries once, fork per snippet.

Importing TensorFlow costs several seconds of CPU time, as much as many snippets spend on their
own work, and every snippet pays it again in a fresh ``python name.py``. This process imports
the modules named on its command line once, then serves requests from the runner (see
``Warm`` in ``sitetools/_process.py``) over a Unix socket: each request carries the snippet's
command line, folder and environment, and the two pipe ends for its stdout and stderr. For
each one it forks a child that becomes a reader's ``python name.py`` (its own session, its
folder as working directory, ``sys.argv``, ``sys.path[0]``, ``__main__``, stdin empty) and runs
the file; the parent reports the child's pid, then its exit status and CPU time.

Nothing has run in TensorFlow when the child forks (importing it starts no runtime), so each
child starts its runtime, thread pools and random state afresh. Standard library only: this
file is run by path with the snippet's Python, and its folder holds nothing else.

After the imports, the objects they made are frozen out of the garbage collector
(``gc.freeze()``, which Python's documentation recommends before forking, there for memory
sharing): a child's collections, including the full one Python runs as it exits, then skip
the 370,000-odd objects of the preloaded libraries, which live as long as the process anyway.
Without it the collector's passes over them cost a child about 1.5 s of CPU time at exit,
more than many snippets spend on their work.
"""

from __future__ import annotations

import atexit
import builtins
import contextlib
import gc
import importlib
import importlib.machinery
import json
import os
import signal
import socket
import sys
import types
import warnings
from types import TracebackType
from typing import Any

_MAX_MESSAGE = 1 << 20


def _send(sock: socket.socket, message: dict[str, object]) -> None:
    sock.sendall(json.dumps(message).encode("utf-8"))


def _preload(names: list[str]) -> list[str]:
    """Import what is installed of ``names``; return the ones that imported."""
    loaded = []
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # absent or broken here: the snippet meets it itself
            continue
        loaded.append(name)
    return loaded


def _trimmed(tb: TracebackType | None, script: str) -> TracebackType | None:
    """The traceback from the snippet's own first frame on, as ``python name.py`` shows it."""
    while tb is not None and tb.tb_frame.f_code.co_filename != script:
        tb = tb.tb_next
    return tb


def _become_snippet(request: dict[str, Any], out_fd: int, err_fd: int) -> None:
    """In the forked child: turn this process into the snippet's own, then run it."""
    os.setsid()
    stdin = os.open(os.devnull, os.O_RDONLY)
    os.dup2(stdin, 0)
    os.dup2(out_fd, 1)
    os.dup2(err_fd, 2)
    for fd in (stdin, out_fd, err_fd):
        os.close(fd)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    os.chdir(str(request["cwd"]))
    os.environ.clear()
    os.environ.update(request["env"])
    argv = [str(a) for a in request["argv"]]
    script = os.path.abspath(argv[0])
    sys.argv = argv
    sys.path.insert(0, os.path.dirname(script))
    record = request.get("record")
    recorder = sys.modules.get("sitecustomize")
    if record and hasattr(recorder, "_record"):
        # The runner's module recorder (sitetools/_recorder) runs at exit, as in a cold start.
        atexit.register(recorder._record, record)  # type: ignore[union-attr]
    try:
        _run_as_main(script)
    except SystemExit:
        raise
    except BaseException as exc:  # reported as Python reports it, with status 1
        exc = exc.with_traceback(_trimmed(exc.__traceback__, script))
        sys.excepthook(type(exc), exc, exc.__traceback__)
        raise SystemExit(1) from None


def _run_as_main(script: str) -> None:
    """Run ``script`` as ``python script`` runs it: in a fresh ``__main__`` module."""
    main = types.ModuleType("__main__")
    main.__file__ = script
    main.__loader__ = importlib.machinery.SourceFileLoader("__main__", script)
    main.__dict__.update({"__builtins__": builtins, "__cached__": None, "__annotations__": {}})
    sys.modules["__main__"] = main
    with open(script, "rb") as source:
        code = compile(source.read(), script, "exec", dont_inherit=True)
    exec(code, main.__dict__)


def serve(sock: socket.socket, preload: list[str]) -> None:
    """Answer the runner's requests until it closes the socket."""
    ready = _preload(preload)
    gc.collect()
    gc.freeze()  # see the module's docstring
    _send(sock, {"ready": ready})
    while True:
        data, fds, _, _ = socket.recv_fds(sock, _MAX_MESSAGE, 2)
        if not data:
            return
        request = json.loads(data)
        out_fd, err_fd = fds
        with warnings.catch_warnings():
            # Python 3.12+ warns about forking with threads running (BLAS pools idle here).
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:
            sock.close()
            _become_snippet(request, out_fd, err_fd)
            raise SystemExit(0)
        os.close(out_fd)
        os.close(err_fd)
        _send(sock, {"pid": pid})
        _, status, usage = os.wait4(pid, 0)
        _send(sock, {"status": status, "cpu": usage.ru_utime + usage.ru_stime})


def main() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    sock = socket.socket(fileno=int(sys.argv[1]))
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        serve(sock, sys.argv[2:])  # until the runner closes the socket or goes away


if __name__ == "__main__":
    main()
