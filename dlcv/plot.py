"""Save figures the way the site shows them: PNG files that carry their own alt text.

Snippets call `use_style()` once, before they create a figure, so every figure on the
site shares one look; `save_figure` then writes the PNG with its alt text in the file's
metadata. This module never selects a Matplotlib backend or imports `pyplot` itself: a
figure built as `matplotlib.figure.Figure()` needs no GUI, and a `pyplot` figure is
closed through `pyplot`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import matplotlib.style
from matplotlib.figure import Figure
from PIL import Image

from dlcv._validation import check_non_empty_str, check_positive_int

__all__ = [
    "read_alt_text",
    "save_figure",
    "use_style",
]

ALT_TEXT_KEY = "Description"

_STYLE: dict[str, Any] = {
    "figure.figsize": (8.0, 4.5),
    "figure.facecolor": "white",
    "figure.constrained_layout.use": True,
    "font.size": 10.0,
    "axes.titlesize": 11.0,
    "axes.labelsize": 10.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": False,
    "image.cmap": "viridis",
    "legend.frameon": False,
    "savefig.facecolor": "white",
}


def use_style() -> None:
    """Apply the site's shared Matplotlib look (sizes, fonts, colours) to later figures.

    Call it once at the top of a snippet, before creating figures: most settings take
    effect when a figure or its text is created, not when it is saved.

    Examples:
        >>> use_style()
        >>> import matplotlib
        >>> matplotlib.rcParams["figure.constrained_layout.use"]
        True

    See: [Contributing](../contributing/index.md)
    """
    matplotlib.style.use(_STYLE)


def save_figure(fig: Figure, path: str | Path, *, alt: str, dpi: int = 150) -> Path:
    """Save a figure as a PNG file with its alt text stored inside, then close it.

    The alt text goes in the PNG metadata under the key `"Description"`, where the
    site's snippet runner reads it to describe the image for readers who cannot see it.

    Args:
        fig: the Matplotlib figure to save.
        path: where to write it; must end in `.png`.
        alt: what the figure shows, in a sentence or two (alt text).
        dpi: resolution in dots per inch. Defaults to 150.

    Returns:
        The path written, as a `pathlib.Path`.

    Raises:
        TypeError: if `fig` is not a Matplotlib figure, `alt` is not a string or
            `dpi` not an integer.
        ValueError: if `path` does not end in `.png`, `alt` is empty or
            `dpi` is not positive.

    Examples:
        >>> import tempfile
        >>> from matplotlib.figure import Figure
        >>> fig = Figure()
        >>> _ = fig.subplots().plot([0, 1], [0, 1])
        >>> path = Path(tempfile.mkdtemp()) / "line.png"
        >>> out = save_figure(fig, path, alt="A rising line.")
        >>> read_alt_text(out)
        'A rising line.'

    See: [Contributing](../contributing/index.md)
    """
    if not isinstance(fig, Figure):
        raise TypeError(
            f"`fig` must be a matplotlib Figure. Received: fig={type(fig).__name__} "
            "object"
        )
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise ValueError(f"`path` must end in '.png'. Received: path={str(path)!r}")
    alt = check_non_empty_str(alt, "alt")
    dpi = check_positive_int(dpi, "dpi")
    fig.savefig(path, format="png", dpi=dpi, metadata={ALT_TEXT_KEY: alt})
    # A figure made with pyplot stays in pyplot's registry (and memory) until
    # closed there; if pyplot was never imported, the figure cannot be registered
    # and needs no closing.
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close(fig)
    return path


def read_alt_text(path: str | Path) -> str | None:
    """Read the alt text that `save_figure` stored in a PNG file.

    Args:
        path: the PNG file.

    Returns:
        The alt text, or `None` when the file carries none.

    Examples:
        >>> import tempfile
        >>> from matplotlib.figure import Figure
        >>> path = Path(tempfile.mkdtemp()) / "empty.png"
        >>> out = save_figure(Figure(), path, alt="Empty.")
        >>> read_alt_text(out)
        'Empty.'

    See: [Contributing](../contributing/index.md)
    """
    with Image.open(path) as image:
        text = getattr(image, "text", {})
        value = text.get(ALT_TEXT_KEY)
    return None if value is None else str(value)
