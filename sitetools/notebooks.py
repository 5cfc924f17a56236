"""Walkthrough notebooks: one per section, written as jupytext percent-format ``.py`` files.

``docs/<section>/walkthrough.py`` is the source. At build time `execute` runs it with nbclient
(the snippets' environment, a fresh kernel, an empty folder) and `check_outputs` checks the
executed notebook's output data: TensorFlow's C++ log lines on stderr are dropped from what is
shown, any other stderr output fails the build. mkdocs-jupyter then renders the executed
notebook as a page (its own ``execute`` is off; sitetools/hooks.py hands it the executed file).

Beside the source sits ``walkthrough.ipynb``, generated from it (without outputs)
by ``python -m sitetools.notebooks sync``: the site serves that file for download, and the
"Open in Colab" link opens it from the repository, since Colab opens ``.ipynb`` files only.
A test fails when the two drift apart.

Command line::

    python -m sitetools.notebooks sync     # rewrite every walkthrough.ipynb from its .py
    python -m sitetools.notebooks check    # exit 1 naming the notebooks that are out of date
"""

from __future__ import annotations

import argparse
import hashlib
import html
import re
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sitetools import snippets

__all__ = [
    "COLAB",
    "NotebookError",
    "check_outputs",
    "execute",
    "notebook_links",
    "out_of_date",
    "sources",
    "to_ipynb",
]

SOURCE_NAME = "walkthrough.py"
COLAB = "https://colab.research.google.com/github/{repository}/blob/main/{path}"

_H1_END = re.compile(r"</h1>")
# The longest a walkthrough may run; beyond it the build fails rather than hangs.
TIMEOUT_S = 900


class NotebookError(ValueError):
    """A notebook failed to run, or wrote something to stderr besides TensorFlow's runtime log."""


def sources(root: Path) -> list[Path]:
    """The walkthrough notebooks' sources, ``docs/<section>/walkthrough.py``, sorted."""
    return sorted((root / "docs").glob(f"*/{SOURCE_NAME}"))


def to_ipynb(source: Path) -> str:
    """The ``.ipynb`` text of a percent-format notebook, without outputs, with a Python kernel."""
    import jupytext  # type: ignore[import-untyped]

    notebook = jupytext.read(source)
    for number, cell in enumerate(notebook.cells, 1):
        cell.id = f"cell-{number}"  # nbformat makes random ids; the file must be reproducible
    notebook.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    text: str = jupytext.writes(notebook, fmt="ipynb")
    return text if text.endswith("\n") else text + "\n"


def out_of_date(root: Path) -> list[Path]:
    """The ``.ipynb`` files that are missing or differ from what their ``.py`` gives."""
    return [
        source.with_suffix(".ipynb")
        for source in sources(root)
        if not source.with_suffix(".ipynb").is_file()
        or source.with_suffix(".ipynb").read_text(encoding="utf-8") != to_ipynb(source)
    ]


def check_outputs(notebook: Any, *, where: str) -> str:
    """Drop the runtime's log lines from the notebook's stderr outputs; refuse any other stderr.

    The rule is the snippet runner's (`sitetools.snippets.split_stderr`), applied to the
    executed notebook's output data: a cell's ``stderr`` stream outputs are joined (a line may
    arrive in pieces) and split into TensorFlow's C++ log lines, which are removed from what the
    page shows, and everything else, which fails the build (a warning on a page is noise for a
    reader or a problem to fix).

    Args:
        notebook: an executed nbformat notebook; changed in place.
        where: names the notebook in error messages.

    Returns:
        The runtime log lines removed, one per line.

    Raises:
        NotebookError: naming the notebook, the cell and the first lines left on stderr.
    """
    removed: list[str] = []
    for number, cell in enumerate(notebook.cells, 1):
        if cell.get("cell_type") != "code":
            continue
        outputs = cell.get("outputs", [])
        stderr = [
            o for o in outputs if o.get("output_type") == "stream" and o.get("name") == "stderr"
        ]
        if not stderr:
            continue
        runtime, other = snippets.split_stderr("".join(o.get("text", "") for o in stderr))
        if other:
            shown = "\n".join(other[:8])
            raise NotebookError(f"{where}: cell {number} wrote to stderr:\n{shown}")
        removed += runtime
        cell["outputs"] = [o for o in outputs if all(o is not e for e in stderr)]
    return "\n".join(removed)


def execute(source: Path, *, cache_dir: Path, where: str) -> Path:
    """Run a walkthrough as a reader would, check its outputs; return the executed ``.ipynb``.

    The notebook runs in a fresh kernel, in an empty temporary folder, with the snippets'
    environment (`sitetools.snippets._snippet_env`). Its outputs are checked and cleaned by
    `check_outputs`; the result is cached in ``cache_dir`` under a hash of the source (the
    caller keys ``cache_dir`` on dlcv and the locked versions), with the removed runtime log
    beside it (``.runtime.log``).

    Raises:
        NotebookError: if a cell raises, the run takes over `TIMEOUT_S`, or a cell writes
            anything but runtime log lines to stderr.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    key = hashlib.sha256(source.read_bytes()).hexdigest()[:16]
    target = cache_dir / f"{source.parent.name}-{key}.ipynb"
    if target.is_file():
        return target
    notebook = nbformat.reads(to_ipynb(source), as_version=4)  # type: ignore[no-untyped-call]
    workdir = tempfile.mkdtemp(prefix="dlcv-notebook-")
    try:
        client = NotebookClient(
            notebook,
            timeout=TIMEOUT_S,
            kernel_name="python3",
            allow_errors=False,
            resources={"metadata": {"path": workdir}},
        )
        client.execute(env=snippets._snippet_env())
    except (CellExecutionError, CellTimeoutError) as exc:
        raise NotebookError(f"{where}: {exc}") from exc
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    runtime_log = check_outputs(notebook, where=where)
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    partial.write_text(nbformat.writes(notebook), encoding="utf-8")  # type: ignore[no-untyped-call]
    target.with_suffix(".runtime.log").write_text(runtime_log, encoding="utf-8")
    partial.replace(target)  # atomic: a later build never reads a half-written notebook
    return target


def notebook_links(page_html: str, *, src_uri: str, repository: str) -> str:
    """Add "Download" and "Open in Colab" links under the notebook's title.

    Args:
        page_html: the rendered notebook page.
        src_uri: the notebook's path under ``docs/``, e.g. ``fundamentals/walkthrough.py``.
        repository: the GitHub repository, ``owner/name``.
    """
    ipynb = Path(src_uri).with_suffix(".ipynb")
    colab = COLAB.format(repository=repository, path=f"docs/{ipynb.as_posix()}")
    links = (
        '<p class="dlcv-notebook-links">'
        f'<a href="../{ipynb.name}" download>Download the notebook ({ipynb.name})</a> · '
        f'<a href="{html.escape(colab)}">Open in Colab</a> · '
        "the outputs below come from the run that built this site</p>"
    )
    return _H1_END.sub(lambda m: m.group(0) + links, page_html, count=1)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["sync", "check"])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1])
    args = parser.parse_args(argv)
    stale = out_of_date(args.root)
    if args.command == "check":
        for path in stale:
            print(f"{path.relative_to(args.root)} is out of date: run `make notebooks`")
        return 1 if stale else 0
    for path in stale:
        path.write_text(to_ipynb(path.with_suffix(".py")), encoding="utf-8")
        print(f"wrote {path.relative_to(args.root)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
