"""Record which ``dlcv`` modules a snippet loaded, for its cache key (see sitetools.snippets).

The runner puts this folder first on ``PYTHONPATH`` and names a file in
``DLCV_SNIPPET_MODULES``; Python imports this module at start-up, before the snippet, and the
snippet itself still runs as ``python name.py`` (its ``__file__``, ``sys.argv`` and tracebacks
are a reader's). At exit each process, the snippet's own and any Python it starts, appends the
files of the ``dlcv`` modules it loaded, relative to the folder holding ``dlcv``, then one
``import NAME`` line per top-level module outside the standard library that it imported (so the
page can say what to install, and the runner can check that ``dlcv-kb`` installs it), and a
final ``#`` line that says the list is complete.
"""

from __future__ import annotations

import atexit
import os
import sys

PACKAGE = "dlcv"


def _record(target: str) -> None:
    files = set()
    package = sys.modules.get(PACKAGE)
    package_file = getattr(package, "__file__", None)
    if package_file:
        parent = os.path.dirname(os.path.dirname(os.path.abspath(package_file)))
        for name, module in list(sys.modules.items()):
            path = getattr(module, "__file__", None)
            if path and (name == PACKAGE or name.startswith(PACKAGE + ".")):
                # A stub beside a module counts too: dlcv/__init__.pyi lists the names
                # that `dlcv` serves, and which module serves each.
                stub = os.path.splitext(path)[0] + ".pyi"
                for used in (path, stub) if os.path.isfile(stub) else (path,):
                    rel = os.path.relpath(os.path.abspath(used), parent)
                    files.add(rel.replace(os.sep, "/"))
    stdlib = sys.stdlib_module_names
    imported = {
        name.partition(".")[0]
        for name in list(sys.modules)
        if not name.startswith("_") and name.partition(".")[0] not in stdlib
    }
    imported.discard("sitecustomize")  # this recorder
    lines = [f"{path}\n" for path in sorted(files)]
    lines += [f"import {name}\n" for name in sorted(imported)]
    with open(target, "a", encoding="utf-8") as out:
        out.write("".join(lines) + "#\n")


def _install() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    # The snippet sees sys.path as a reader's Python sets it, without this folder...
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    # ...and a sitecustomize of the host's own still runs. Import machinery expects this
    # module's name in sys.modules when it returns, so it is put back.
    mine = sys.modules.pop("sitecustomize")
    try:
        import sitecustomize  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        pass
    finally:
        sys.modules["sitecustomize"] = mine
    target = os.environ.get("DLCV_SNIPPET_MODULES")
    if target:
        atexit.register(_record, target)


_install()
