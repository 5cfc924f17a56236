"""Walkthrough notebooks: one per section, written as jupytext percent-format ``.py`` files.

``docs/<section>/walkthrough.py`` is the source; mkdocs-jupyter executes it at build time and
renders it as a page. Beside it sits ``walkthrough.ipynb``, generated from it (without outputs)
by ``python -m sitetools.notebooks sync``: the site serves that file for download, and the
"Open in Colab" link opens it from the repository, since Colab opens ``.ipynb`` files only.
A test fails when the two drift apart.

Command line::

    python -m sitetools.notebooks sync     # rewrite every walkthrough.ipynb from its .py
    python -m sitetools.notebooks check    # exit 1 naming the notebooks that are out of date
"""

from __future__ import annotations

import argparse
import html
import re
from collections.abc import Sequence
from pathlib import Path

from sitetools import snippets

__all__ = [
    "COLAB",
    "NotebookError",
    "clean_outputs",
    "notebook_links",
    "out_of_date",
    "sources",
    "to_ipynb",
]

SOURCE_NAME = "walkthrough.py"
COLAB = "https://colab.research.google.com/github/{repository}/blob/main/{path}"

# One output block of nbconvert's HTML; the stderr ones are checked and, when they hold only
# TensorFlow's start-up log, removed.
_STDERR_BLOCK = re.compile(
    r'<div class="jp-OutputArea-child">\s*<div class="jp-OutputPrompt[^"]*"></div>\s*'
    r'<div class="jp-RenderedText[^"]*" data-mime-type="application/vnd\.jupyter\.stderr"'
    r"[^>]*>\s*<pre>(?P<text>.*?)</pre>\s*</div>\s*</div>",
    re.S,
)
_H1_END = re.compile(r"</h1>")


class NotebookError(ValueError):
    """A notebook wrote something to stderr besides TensorFlow's start-up log."""


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


def clean_outputs(page_html: str, *, where: str) -> str:
    """Drop stderr blocks that hold only TensorFlow's start-up log; refuse any other stderr.

    The snippet runner applies the same rule (``sitetools.snippets.filter_stderr``): a warning
    on a page is either noise a reader should not see or a problem to fix, so it fails the build.

    Raises:
        NotebookError: naming the notebook (`where`) and the first lines left on stderr.
    """

    def check(match: re.Match[str]) -> str:
        left = snippets.filter_stderr(html.unescape(re.sub(r"<[^>]+>", "", match["text"])))
        if left.strip():
            shown = "\n".join(left.strip().splitlines()[:8])
            raise NotebookError(f"{where}: a cell wrote to stderr:\n{shown}")
        return ""

    return _STDERR_BLOCK.sub(check, page_html)


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
