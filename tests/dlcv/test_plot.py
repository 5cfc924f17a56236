"""Tests for dlcv.plot."""

import sys

import matplotlib
import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

from dlcv.plot import FULL_COLOUR_LIMIT, read_alt_text, save_figure, use_style


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


def _text(path):
    with Image.open(path) as image:
        return dict(image.text), image.mode


def test_caption_and_smallest_text_size_are_stored_in_the_png(tmp_path):
    fig = Figure(figsize=(2, 1))
    ax = fig.subplots()
    ax.plot([0, 1], [1, 0])
    ax.tick_params(labelsize=9)
    ax.set_title("small", fontsize=6)
    ax.set_xlabel("   ")  # blank text is not text a reader has to read
    path = save_figure(fig, tmp_path / "f.png", alt="A line.", caption="Captioned.", dpi=144)
    text, mode = _text(path)
    assert text["Title"] == "Captioned."
    # 6 pt at 144 dpi is 12 pixels of the file
    assert text["dlcv:smallest-font-px"] == "12.0"
    assert mode == "RGB", "figures are drawn on white: no alpha channel"


def test_hidden_axes_and_blank_figures_add_no_text_size(tmp_path):
    fig = Figure(figsize=(2, 1))
    ax = fig.subplots()
    ax.imshow(np.eye(4))
    ax.tick_params(labelsize=3)
    ax.set_axis_off()  # its tick labels are not drawn
    ax.set_title("seen", fontsize=8)
    text, _ = _text(save_figure(fig, tmp_path / "a.png", alt="x", dpi=72))
    assert text["dlcv:smallest-font-px"] == "8.0"
    assert "Title" not in text
    text, _ = _text(save_figure(Figure(figsize=(1, 1)), tmp_path / "b.png", alt="x"))
    assert "dlcv:smallest-font-px" not in text


def test_a_heavy_figure_is_saved_with_a_palette(tmp_path):
    noise = np.random.default_rng(0).random((400, 400, 3))
    fig = Figure(figsize=(4, 4), layout="none")  # whatever style an earlier test applied
    fig.add_axes((0, 0, 1, 1)).imshow(noise, interpolation="nearest")
    path = save_figure(fig, tmp_path / "noise.png", alt="Noise.", dpi=100)
    _, mode = _text(path)
    assert mode == "P"
    assert read_alt_text(path) == "Noise."
    light = save_figure(_figure(), tmp_path / "line.png", alt="A line.")
    assert _text(light)[1] == "RGB" and light.stat().st_size < FULL_COLOUR_LIMIT


@pytest.mark.parametrize(
    ("caption", "error", "phrase"),
    [
        ("", ValueError, "`caption` must be a non-empty string"),
        (3, TypeError, "`caption` must be a non-empty string"),
        ("two\nlines", ValueError, "`caption` must be one line"),
    ],
)
def test_save_figure_rejects_bad_captions(tmp_path, caption, error, phrase):
    with pytest.raises(error, match=phrase):
        save_figure(_figure(), tmp_path / "c.png", alt="x", caption=caption)
    assert not (tmp_path / "c.png").exists()


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
        assert matplotlib.rcParams["savefig.dpi"] == 200
