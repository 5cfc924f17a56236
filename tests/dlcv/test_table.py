"""Tests for dlcv._table: the column layout of the `format_*` functions."""

import pytest

from dlcv._table import align_columns


def test_columns_take_their_widest_cell_and_their_own_alignment():
    rows = [("name", "n", "kind"), ("a", "1000", "x"), ("longer", "7", "")]
    assert align_columns(rows, "<><") == [
        "name       n  kind",
        "a       1000  x",
        "longer     7",
    ]


def test_gap_and_indent_and_no_rows():
    assert align_columns([("a", "b"), ("ccc", "d")], "<<", gap=" | ", indent="> ") == [
        "> a   | b",
        "> ccc | d",
    ]
    assert align_columns([], "<>") == []


def test_bad_alignment_or_row_length_is_refused():
    with pytest.raises(ValueError, match=r"`align` must be made of '<' and '>'"):
        align_columns([("a",)], "^")
    with pytest.raises(ValueError, match=r"one cell per column of `align` \(2\)"):
        align_columns([("a", "b"), ("c",)], "<<")
