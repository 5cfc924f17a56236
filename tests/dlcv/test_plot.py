"""Tests for dlcv.plot."""

import sys

import matplotlib
import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

from dlcv.plot import read_alt_text, save_figure, use_style


def _figure():
    fig = Figure(figsize=(2, 1))
    fig.subplots().plot([0, 1], [1, 0])
    return fig


def test_alt_text_round_trips_through_the_png(tmp_path):
    alt = "A falling line — drawn for a test, with non-ASCII text: é."
    path = save_figure(_figure(), tmp_path / "line.png", alt=alt, dpi=50)
    assert path == tmp_path / "line.png"
    assert read_alt_text(path) == alt
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.size == (100, 50)


def test_accepts_string_paths_and_png_without_alt(tmp_path):
    path = save_figure(_figure(), str(tmp_path / "x.PNG"), alt="x")
    assert path.exists()
    Image.fromarray(np.zeros((4, 4), dtype=np.uint8)).save(tmp_path / "plain.png")
    assert read_alt_text(tmp_path / "plain.png") is None


def test_save_figure_closes_pyplot_figures(tmp_path):
    import matplotlib.pyplot as plt

    assert "matplotlib.pyplot" in sys.modules
    fig, ax = plt.subplots()
    ax.plot([1, 2])
    number = fig.number
    save_figure(fig, tmp_path / "p.png", alt="Two points.")
    assert number not in plt.get_fignums()


@pytest.mark.parametrize(
    ("name", "alt", "error", "phrase"),
    [
        ("figure.svg", "ok", ValueError, r"`path` must end in '\.png'"),
        ("figure", "ok", ValueError, r"`path` must end in '\.png'"),
        ("figure.png", "", ValueError, "`alt` must be a non-empty string"),
        ("figure.png", "   ", ValueError, "`alt` must be a non-empty string"),
        ("figure.png", None, TypeError, "`alt` must be a non-empty string"),
    ],
)
def test_save_figure_rejects_bad_arguments(tmp_path, name, alt, error, phrase):
    with pytest.raises(error, match=phrase):
        save_figure(_figure(), tmp_path / name, alt=alt)
    assert not (tmp_path / name).exists()


def test_save_figure_needs_a_figure_and_a_positive_dpi(tmp_path):
    with pytest.raises(TypeError, match="`fig` must be a matplotlib Figure"):
        save_figure("not a figure", tmp_path / "a.png", alt="x")
    with pytest.raises(ValueError, match="`dpi` must be a positive integer"):
        save_figure(_figure(), tmp_path / "a.png", alt="x", dpi=0)


def test_use_style_sets_the_shared_look():
    with matplotlib.rc_context():
        matplotlib.rcParams["figure.constrained_layout.use"] = False
        use_style()
        assert matplotlib.rcParams["figure.constrained_layout.use"] is True
        assert matplotlib.rcParams["axes.spines.top"] is False
        assert matplotlib.rcParams["savefig.facecolor"] == "white"
