"""The site's explanatory diagrams, drawn as SVG by this script and checked into docs/.

Each diagram shows what its page explains, and every number in it is one the page states and
cites: the bit counts of the floating-point formats (hardware/precision.md), the memory sizes
and bandwidth of one GPU (hardware/gpus-tpus-and-cuda.md), the steps of a data-parallel
all-reduce (hardware/scaling-out.md) and the window sliding over an input
(vision/convolution-and-pooling.md). The numbers live in the tables below, next to the page and
the reference they come from.

The SVG files are written by ``python -m sitetools.diagrams`` into ``docs/assets/diagrams/``;
``--check`` writes nothing and fails when a checked-in file is not what this script draws
(tests/site/test_pages.py runs the same comparison). A diagram is drawn on white, as the snippets'
figures are, so it reads the same in the light and the dark scheme; its text is at least 13
units high in a drawing about 640 wide.

Example:
    >>> svg = DIAGRAMS["conv-window.svg"]()
    >>> svg.startswith("<svg") and 'role="img"' in svg
    True
"""

from __future__ import annotations

import html
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from sitetools._cli import command_parser

__all__ = ["DIAGRAMS", "FLOAT_FORMATS", "GPU_MEMORY", "check", "write"]

FOLDER = Path("docs/assets/diagrams")
FONT = "font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif\""
INK = "#212121"
MUTED = "#555555"
LINE = "#9e9e9e"
SIGN, EXPONENT, MANTISSA = "#c62828", "#2e7d32", "#3949ab"
ACCENT = "#3949ab"
TIMES, MINUS = "\u00d7", "\u2212"  # the multiplication and minus signs a reader expects

# (name, sign, exponent, mantissa bits, note): hardware/precision.md, which cites IEEE 754
# (float32, float16), Kalamkar et al. 2019 and Google Cloud (bfloat16), NVIDIA's CUDA Math API
# and TensorFlow's API documentation (TF32), and Micikevicius et al. 2022 (FP8).
FLOAT_FORMATS: tuple[tuple[str, int, int, int, str], ...] = (
    ("FP32", 1, 8, 23, "32 bits"),
    ("TF32", 1, 8, 10, "at least 19 bits, kept in 32"),
    ("FP16", 1, 5, 10, "16 bits"),
    ("BF16", 1, 8, 7, "16 bits"),
    ("FP8 E4M3", 1, 4, 3, "8 bits"),
    ("FP8 E5M2", 1, 5, 2, "8 bits"),
)

# One NVIDIA Tesla V100 (hardware/gpus-tpus-and-cuda.md, from NVIDIA's V100 whitepaper): what
# each level holds, and its size.
GPU_MEMORY = {
    "sms": "80",
    "registers": "256 KB per SM",
    "shared": "128 KB per SM",
    "l2": "6 MB",
    "hbm": "16 GB HBM2",
    "bandwidth": "900 GB/s",
}


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    """An SVG document: white background, a title for assistive technology, the body."""
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}" role="img" {FONT} font-size="14" fill="{INK}">',
            f"<title>{html.escape(title)}</title>",
            f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
            *body,
            "</svg>",
            "",
        ]
    )


def _text(x: float, y: float, text: str, **attributes: str) -> str:
    extra = "".join(f' {name.replace("_", "-")}="{value}"' for name, value in attributes.items())
    return f'<text x="{x:g}" y="{y:g}"{extra}>{html.escape(text)}</text>'


def _rect(x: float, y: float, w: float, h: float, fill: str, stroke: str = "none") -> str:
    return (
        f'<rect x="{x:g}" y="{y:g}" width="{w:g}" height="{h:g}" rx="3" fill="{fill}" '
        f'stroke="{stroke}"/>'
    )


def _arrow(x1: float, y1: float, x2: float, y2: float, colour: str = MUTED) -> str:
    return (
        f'<line x1="{x1:g}" y1="{y1:g}" x2="{x2:g}" y2="{y2:g}" stroke="{colour}" '
        f'stroke-width="2" marker-end="url(#arrow)"/>'
    )


_MARKER = (
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
    f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{MUTED}"/>'
    "</marker></defs>"
)


def float_formats() -> str:
    """Each format as a row of bits: sign, exponent and mantissa, to one scale."""
    bit, left, top, row = 14, 100, 58, 44
    body = []
    for i, (label, colour) in enumerate(
        [("sign", SIGN), ("exponent: range", EXPONENT), ("mantissa: precision", MANTISSA)]
    ):
        x = left + i * 170
        body += [_rect(x, 16, 14, 14, colour), _text(x + 20, 28, label)]
    for i, (name, sign, exponent, mantissa, note) in enumerate(FLOAT_FORMATS):
        y = top + i * row
        body.append(_text(left - 10, y + 19, name, text_anchor="end", font_weight="600"))
        x = left
        for width, colour in ((sign, SIGN), (exponent, EXPONENT), (mantissa, MANTISSA)):
            body.append(_rect(x, y, width * bit - 2, 28, colour))
            body.append(
                _text(
                    x + (width * bit - 2) / 2,
                    y + 19,
                    str(width),
                    text_anchor="middle",
                    fill="#ffffff",
                    font_weight="600",
                )
            )
            x += width * bit
        body.append(_text(x + 8, y + 19, note, fill=MUTED))
    height = top + len(FLOAT_FORMATS) * row
    return _svg(
        640,
        height,
        "Bits of FP32, TF32, FP16, BF16, FP8 E4M3 and FP8 E5M2: sign, exponent and mantissa",
        body,
    )


def gpu_memory() -> str:
    """The levels of one GPU's memory, from each SM's registers to the host's memory."""
    m = GPU_MEMORY
    body = [_MARKER]
    # Streaming multiprocessors: three drawn, the rest implied.
    for i in range(3):
        x = 20 + i * 150
        body += [
            _rect(x, 20, 136, 118, "#e8eaf6", ACCENT),
            _text(
                x + 10, 40, f"SM {i}" if i < 2 else f"… SM {int(m['sms']) - 1}", font_weight="600"
            ),
            # 13 px text from 6 px in: "shared memory" fits its box in wide fonts too
            # (DejaVu Sans, a common Linux fallback for system-ui, drew it past the edge at 14 px).
            _rect(x + 10, 50, 116, 36, "#ffffff", LINE),
            _text(x + 16, 66, "registers", font_size="13"),
            _text(x + 16, 81, "per thread", fill=MUTED, font_size="12"),
            _rect(x + 10, 92, 116, 36, "#ffffff", LINE),
            _text(x + 16, 108, "shared memory", font_size="13"),
            _text(x + 16, 123, "per block", fill=MUTED, font_size="12"),
        ]
    body += [
        _text(470, 42, f"{m['sms']} SMs", font_weight="600"),
        _text(470, 66, "registers:"),
        _text(470, 81, m["registers"], fill=MUTED, font_size="13"),
        _text(470, 108, "L1 + shared:"),
        _text(470, 123, m["shared"], fill=MUTED, font_size="13"),
        _arrow(230, 140, 230, 164),
        _rect(20, 166, 436, 40, "#f3e5f5", "#8e24aa"),
        _text(32, 191, "L2 cache", font_weight="600"),
        _text(110, 191, "shared by all SMs", fill=MUTED, font_size="13"),
        _text(470, 191, m["l2"], fill=MUTED, font_size="13"),
        _arrow(230, 208, 230, 236),
        _text(240, 227, m["bandwidth"], font_weight="600", fill=ACCENT),
        _rect(20, 238, 436, 48, "#e0f2f1", "#00796b"),
        _text(32, 258, "device (global) memory", font_weight="600"),
        _text(32, 277, "every thread of every block", fill=MUTED, font_size="13"),
        _text(470, 266, m["hbm"], fill=MUTED, font_size="13"),
        _arrow(230, 288, 230, 316),
        _text(240, 307, "the program copies data across", fill=MUTED, font_size="13"),
        _rect(20, 318, 436, 40, "#fafafa", LINE),
        _text(32, 343, "host memory (the CPU's)", font_weight="600"),
        _text(470, 336, "a separate memory", fill=MUTED, font_size="13"),
        _text(470, 351, "space", fill=MUTED, font_size="13"),
        _text(620, 30, "closer to", text_anchor="end", fill=MUTED, font_size="13"),
        _text(620, 45, "the cores", text_anchor="end", fill=MUTED, font_size="13"),
        _arrow(605, 330, 605, 58),
        _text(620, 350, "farther", text_anchor="end", fill=MUTED, font_size="13"),
    ]
    return _svg(640, 372, "The memory hierarchy of an NVIDIA V100 GPU", body)


def all_reduce() -> str:
    """One synchronous data-parallel step on four replicas."""
    body = [_MARKER, _text(20, 28, "one global batch", font_weight="600")]
    colours = ["#e8eaf6", "#e0f2f1", "#fff3e0", "#fce4ec"]
    for r in range(4):
        x = 20 + r * 155
        body += [
            _rect(x, 38, 140, 26, colours[r], LINE),
            _text(x + 70, 56, f"slice {r}", text_anchor="middle"),
            _arrow(x + 70, 66, x + 70, 88),
            _rect(x, 90, 140, 70, "#ffffff", ACCENT),
            _text(x + 70, 110, f"replica {r}", text_anchor="middle", font_weight="600"),
            _text(x + 70, 128, "full model copy", text_anchor="middle", fill=MUTED, font_size="13"),
            _text(x + 70, 148, f"gradient g{r}", text_anchor="middle"),
            _arrow(x + 70, 162, x + 70, 186),
        ]
    body += [
        _rect(20, 188, 605, 44, "#f3e5f5", "#8e24aa"),
        _text(
            322,
            208,
            "all-reduce: every replica gets g = g0 + g1 + g2 + g3",
            text_anchor="middle",
            font_weight="600",
        ),
        _text(
            322,
            225,
            f"a ring all-reduce sends 2(R {MINUS} 1)\u00b7N/R numbers per worker",
            text_anchor="middle",
            fill=MUTED,
            font_size="13",
        ),
    ]
    for r in range(4):
        x = 20 + r * 155
        body += [
            _arrow(x + 70, 234, x + 70, 258),
            _rect(x, 260, 140, 40, "#ffffff", ACCENT),
            _text(x + 70, 285, "same update", text_anchor="middle"),
        ]
    body.append(
        _text(
            322, 326, "the copies stay identical after every step", text_anchor="middle", fill=MUTED
        )
    )
    return _svg(645, 340, "Data-parallel training with a synchronous all-reduce", body)


def conv_window() -> str:
    """A 3-by-3 kernel over a 5-by-5 input, stride 1, no padding: a 3-by-3 output."""
    cell, body = 40, [_MARKER]
    grid_x, grid_y = 20, 50
    body.append(_text(grid_x, 32, f"input: 5 {TIMES} 5", font_weight="600"))
    for r in range(5):
        for c in range(5):
            inside = r < 3 and 1 <= c < 4
            fill = "#c5cae9" if inside else "#ffffff"
            body.append(_rect(grid_x + c * cell, grid_y + r * cell, cell - 2, cell - 2, fill, LINE))
    body.append(
        f'<rect x="{grid_x + cell - 3}" y="{grid_y - 3}" width="{3 * cell + 4}" '
        f'height="{3 * cell + 4}" fill="none" stroke="{ACCENT}" stroke-width="3" rx="4"/>'
    )
    out_x, out_y = 400, 90
    body.append(_text(out_x, 72, f"output: 3 {TIMES} 3", font_weight="600"))
    for r in range(3):
        for c in range(3):
            fill = "#3949ab" if (r, c) == (0, 1) else "#ffffff"
            body.append(_rect(out_x + c * cell, out_y + r * cell, cell - 2, cell - 2, fill, LINE))
    body += [
        _arrow(grid_x + 4 * cell + 4, grid_y + 40, out_x + cell - 6, out_y + 14, ACCENT),
        _text(238, 72, f"3 {TIMES} 3 window", fill=ACCENT, font_weight="600"),
        _text(238, 116, "9 products,", fill=MUTED, font_size="13"),
        _text(238, 132, "one sum", fill=MUTED, font_size="13"),
        _text(
            out_x,
            out_y + 3 * cell + 24,
            f"o = \u230a(5 + 0 {MINUS} 3) / 1\u230b + 1 = 3",
            fill=MUTED,
        ),
        _text(
            grid_x,
            grid_y + 5 * cell + 22,
            "stride 1 moves the window one pixel at a time;",
            fill=MUTED,
            font_size="13",
        ),
        _text(
            grid_x,
            grid_y + 5 * cell + 38,
            "with no padding it stays inside the input",
            fill=MUTED,
            font_size="13",
        ),
    ]
    return _svg(640, grid_y + 5 * cell + 52, "A 3 by 3 kernel sliding over a 5 by 5 input", body)


DIAGRAMS: dict[str, Callable[[], str]] = {
    "all-reduce.svg": all_reduce,
    "conv-window.svg": conv_window,
    "float-formats.svg": float_formats,
    "gpu-memory.svg": gpu_memory,
}


def check(root: Path) -> list[str]:
    """The diagrams whose checked-in file under `root` is not what this script draws."""
    return [
        name
        for name, draw in DIAGRAMS.items()
        if not (root / FOLDER / name).is_file()
        or (root / FOLDER / name).read_text(encoding="utf-8") != draw()
    ]


def write(root: Path) -> list[Path]:
    """Draw every diagram into ``docs/assets/diagrams/`` under `root`; return the files."""
    folder = root / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, draw in DIAGRAMS.items():
        (folder / name).write_text(draw(), encoding="utf-8")
        written.append(folder / name)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = command_parser("sitetools.diagrams", __doc__)
    parser.add_argument("--check", action="store_true", help="write nothing; fail on a stale file")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1])
    args = parser.parse_args(argv)
    if args.check:
        stale = check(args.root)
        for name in stale:
            print(
                f"{FOLDER / name} is not what sitetools/diagrams.py draws: run "
                "python -m sitetools.diagrams",
                file=sys.stderr,
            )
        return 1 if stale else 0
    for path in write(args.root):
        print(path.relative_to(args.root))
    return 0


if __name__ == "__main__":
    sys.exit(main())
