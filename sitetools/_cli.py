"""The one form of the ``python -m sitetools.<module>`` commands' argument parsers."""

from __future__ import annotations

import argparse

__all__ = ["command_parser"]


def command_parser(module: str, doc: str | None) -> argparse.ArgumentParser:
    """A parser for ``python -m <module>``, whose help is the module's docstring as written.

    ``module`` is named, not read from ``__name__``, which is ``__main__`` under ``-m``. The
    docstring keeps its line breaks and indented command lines, which argparse would reflow.
    """
    return argparse.ArgumentParser(
        prog=f"python -m {module}",
        description=doc,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
