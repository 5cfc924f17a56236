"""Save figures the way the site shows them: PNG files that carry their own alt text.

Snippets call `use_style()` once, before they create a figure, so every figure on the
site shares one look; `save_figure` then writes the PNG with its alt text, its caption
and the size of its smallest text in the file's metadata. This module never selects a
Matplotlib backend or imports `pyplot` itself: a figure built as
`matplotlib.figure.Figure()` needs no GUI, and a `pyplot` figure is closed through
`pyplot`.

Sizes are chosen for the page, not the screen: a figure is scaled to the width of the
text column, so what matters is the ratio of its text to its width. At `WIDTH` inches
and `MIN_FONT_PT` points, text reaches a 688-pixel column (Material's, in a 1280-pixel
window) at about 17 pixels and a 343-pixel phone column at about 8.5.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

import matplotlib.style
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.figure import Figure
from matplotlib.text import Text
from PIL import Image, PngImagePlugin

from dlcv._validation import check_non_empty_str, check_positive_int

__all__ = [
    "read_alt_text",
    "save_figure",
    "use_style",
]

ALT_TEXT_KEY = "Description"
# PNG's own keyword for "a short (one line) title or caption for the image".
CAPTION_KEY = "Title"
# The em size of the figure's smallest text, in the PNG's own pixels.
SMALLEST_FONT_KEY = "dlcv:smallest-font-px"
# The widest a figure should be, in inches, with text no smaller than MIN_FONT_PT.
WIDTH = 5.6
MIN_FONT_PT = 10.0
DPI = 200
# A full-colour PNG over this many bytes is saved with a palette of 256 colours instead;
# plots lose nothing visible, photographs a little, and a figure stays light to load.
FULL_COLOUR_LIMIT = 250_000

_STYLE: dict[str, Any] = {
    "figure.figsize": (WIDTH, 3.5),
    "figure.facecolor": "white",
    "figure.constrained_layout.use": True,
    "savefig.dpi": DPI,
    "font.size": 11.0,
    "axes.titlesize": 11.0,
    "axes.labelsize": 11.0,
    "xtick.labelsize": MIN_FONT_PT,
    "ytick.labelsize": MIN_FONT_PT,
    "legend.fontsize": MIN_FONT_PT,
    "legend.title_fontsize": MIN_FONT_PT,
    "figure.titlesize": 12.0,
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
    effect when a figure or its text is created, not when it is saved. Figures default
    to `WIDTH` inches wide and text to at least `MIN_FONT_PT` points; a figure made
    wider, or text made smaller, reads smaller on the page.

    Examples:
        >>> use_style()
        >>> import matplotlib
        >>> matplotlib.rcParams["figure.constrained_layout.use"]
        True
        >>> float(matplotlib.rcParams["figure.figsize"][0]) == WIDTH
        True

    See: [Contributing](../contributing/index.md)
    """
    matplotlib.style.use(_STYLE)


def save_figure(
    fig: Figure,
    path: str | Path,
    *,
    alt: str,
    caption: str | None = None,
    dpi: int = DPI,
) -> Path:
    """Save a figure as a PNG file with its alt text and caption inside, then close it.

    The alt text goes in the PNG metadata under the key `"Description"` and the
    caption under `"Title"`, where the site's snippet runner reads them: the alt text
    describes the image for readers who cannot see it, the caption is shown under it.
    The em size of the figure's smallest visible text, in the file's pixels, goes under
    `"dlcv:smallest-font-px"`, so a test can tell how large it reads once the page
    scales the image. A full-colour file over 250 kB is saved with 256 colours instead.

    Args:
        fig: the Matplotlib figure to save.
        path: where to write it; must end in `.png`.
        alt: what the figure shows, in a sentence or two (alt text).
        caption: a short caption, one line; None saves none.
        dpi: resolution in dots per inch. Defaults to 200.

    Returns:
        The path written, as a `pathlib.Path`.

    Raises:
        TypeError: if `fig` is not a Matplotlib figure, `alt` or `caption` is not a
            string or `dpi` not an integer.
        ValueError: if `path` does not end in `.png`, `alt` or `caption` is empty,
            `caption` spans lines or `dpi` is not positive.

    Examples:
        >>> import tempfile
        >>> from matplotlib.figure import Figure
        >>> fig = Figure()
        >>> _ = fig.subplots().plot([0, 1], [0, 1])
        >>> path = Path(tempfile.mkdtemp()) / "line.png"
        >>> out = save_figure(fig, path, alt="A rising line.", caption="A line.")
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
    if caption is not None:
        caption = check_non_empty_str(caption, "caption")
        if "\n" in caption:
            raise ValueError(
                f"`caption` must be one line. Received: caption={caption!r}"
            )
    dpi = check_positive_int(dpi, "dpi")
    drawn = io.BytesIO()
    fig.savefig(drawn, format="png", dpi=dpi)
    text = {ALT_TEXT_KEY: alt}
    if caption is not None:
        text[CAPTION_KEY] = caption
    smallest = _smallest_font_pt(fig)
    if smallest is not None:
        text[SMALLEST_FONT_KEY] = f"{smallest * dpi / 72:.1f}"
    _write_png(Image.open(drawn), path, text)
    # A figure made with pyplot stays in pyplot's registry (and memory) until
    # closed there; if pyplot was never imported, the figure cannot be registered
    # and needs no closing.
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close(fig)
    return path


def _smallest_font_pt(fig: Figure) -> float | None:
    """The size in points of the smallest non-empty text that `fig` shows, or None."""
    sizes = []
    stack: list[Any] = [fig]
    while stack:
        artist = stack.pop()
        if not artist.get_visible():
            continue
        if isinstance(artist, Text):
            if artist.get_text().strip():
                sizes.append(float(artist.get_fontsize()))
            continue
        if isinstance(artist, Axis):
            # The tick labels in view, not every tick object the axis keeps around.
            stack += [artist.label, artist.offsetText]
            stack += [*artist.get_majorticklabels(), *artist.get_minorticklabels()]
            continue
        children = artist.get_children()
        if isinstance(artist, Axes) and not artist.axison:
            children = [child for child in children if not isinstance(child, Axis)]
        stack += children
    return min(sizes, default=None)


def _write_png(image: Image.Image, path: Path, text: dict[str, str]) -> None:
    """Write `image` on white, without an alpha channel, with `text` as PNG metadata:
    in full colour, or with a 256-colour palette when full colour is over the limit."""
    with image:
        info = PngImagePlugin.PngInfo()
        # Matplotlib's own text ("Software") first; Latin-1 as tEXt, the rest as iTXt.
        drawn = {k: v for k, v in image.info.items() if isinstance(k, str)}
        for key, value in {**drawn, **text}.items():
            if isinstance(value, str):
                info.add_text(key, value)
        dpi = image.info.get("dpi")
        white = Image.new("RGBA", image.size, "white")
        flat = Image.alpha_composite(white, image.convert("RGBA")).convert("RGB")
    encoded = io.BytesIO()
    options: dict[str, Any] = {"pnginfo": info, "optimize": True}
    if dpi is not None:
        options["dpi"] = dpi
    flat.save(encoded, "PNG", **options)
    if encoded.tell() > FULL_COLOUR_LIMIT:
        encoded = io.BytesIO()
        palette = flat.quantize(256, method=Image.Quantize.MEDIANCUT)
        palette.save(encoded, "PNG", **options)
    path.write_bytes(encoded.getvalue())


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
