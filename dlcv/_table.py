"""Plain-text tables: the layout shared by dlcv's `format_*` functions.

This module is private: its names are not re-exported by `dlcv`.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["align_columns"]


def align_columns(
    rows: Sequence[Sequence[str]], align: str, *, gap: str = "  ", indent: str = ""
) -> list[str]:
    """Lay out rows of text cells in columns as wide as their widest cell.

    Args:
        rows: the rows, a header first if there is one; every row has one cell per
            column.
        align: one character per column, `"<"` to align its cells on the left or `">"`
            on the right.
        gap: the text between two columns. Defaults to two spaces.
        indent: the text before each line. Defaults to `""`.

    Returns:
        One line per row, without trailing white space; no line for no rows.

    Raises:
        ValueError: if `align` holds a character other than `<` and `>`, or a row has
            not one cell per column.

    Examples:
        >>> for line in align_columns([("layer", "MACs"), ("conv", "42.3 k")], "<>"):
        ...     print(line)
        layer    MACs
        conv   42.3 k
    """
    if set(align) - {"<", ">"}:
        raise ValueError(f"`align` must be made of '<' and '>'. Received: {align=}")
    for row in rows:
        if len(row) != len(align):
            raise ValueError(
                f"Every row must have one cell per column of `align` ({len(align)}). "
                f"Received: {row=}"
            )
    widths = [max((len(row[i]) for row in rows), default=0) for i in range(len(align))]
    return [
        (
            indent
            + gap.join(
                f"{cell:{side}{width}}"
                for cell, side, width in zip(row, align, widths, strict=True)
            )
        ).rstrip()
        for row in rows
    ]
