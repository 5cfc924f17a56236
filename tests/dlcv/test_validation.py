"""Tests for dlcv._validation: one message form, TypeError for types, ValueError for values."""

import numpy as np
import pytest

from dlcv import _validation as v


def test_positive_int_accepts_python_and_numpy_integers():
    assert v.check_positive_int(3, "n") == 3
    result = v.check_positive_int(np.int64(5), "n")
    assert result == 5
    assert type(result) is int


@pytest.mark.parametrize("value", [0, -1])
def test_positive_int_rejects_non_positive_values(value):
    with pytest.raises(ValueError, match="must be a positive integer") as info:
        v.check_positive_int(value, "batch_size")
    assert str(info.value) == (
        f"`batch_size` must be a positive integer. Received: batch_size={value}"
    )


@pytest.mark.parametrize("value", [1.0, "3", True, None])
def test_positive_int_rejects_non_integers(value):
    with pytest.raises(TypeError, match=r"`n` must be a positive integer\. Received: n="):
        v.check_positive_int(value, "n")


def test_non_negative_int_allows_zero_but_not_negatives():
    assert v.check_non_negative_int(0, "warmup") == 0
    with pytest.raises(ValueError, match="must be a non-negative integer"):
        v.check_non_negative_int(-1, "warmup")
    with pytest.raises(TypeError, match="must be a non-negative integer"):
        v.check_non_negative_int(0.5, "warmup")


@pytest.mark.parametrize("value", [0, 1, -0.1, 1.5])
def test_fraction_rejects_values_outside_the_open_interval(value):
    with pytest.raises(ValueError, match=r"strictly between 0 and 1\. Received: f="):
        v.check_fraction(value, "f")


def test_fraction_accepts_and_converts():
    assert v.check_fraction(np.float32(0.5), "f") == 0.5
    with pytest.raises(TypeError, match="strictly between 0 and 1"):
        v.check_fraction("0.5", "f")
    with pytest.raises(TypeError, match="strictly between 0 and 1"):
        v.check_fraction(True, "f")


def test_one_of_lists_the_options():
    assert v.check_one_of("a", "mode", ("a", "b")) == "a"
    with pytest.raises(ValueError, match=r"must be one of 'a', 'b'\. Received: mode='c'"):
        v.check_one_of("c", "mode", ("a", "b"))


def test_rank_reports_the_shape():
    assert v.check_rank([[1, 2]], 2, "x").shape == (1, 2)
    with pytest.raises(
        ValueError, match=r"must be an array of rank 4\. Received: x\.shape=\(2, 3\)"
    ):
        v.check_rank(np.zeros((2, 3)), 4, "x")


def test_same_length_names_both_arguments():
    v.check_same_length([1, 2], "images", [3, 4], "labels")
    with pytest.raises(ValueError, match=r"`labels` must be as long as `images` \(2 items\)"):
        v.check_same_length([1, 2], "images", [3], "labels")


def test_non_empty_str():
    assert v.check_non_empty_str("x", "alt") == "x"
    with pytest.raises(ValueError, match="must be a non-empty string"):
        v.check_non_empty_str("  ", "alt")
    with pytest.raises(TypeError, match="must be a non-empty string"):
        v.check_non_empty_str(None, "alt")


@pytest.mark.parametrize("check", [v.check_positive_int, v.check_non_negative_int])
def test_integers_beyond_int64_are_refused_by_name(check):
    # NumPy and TensorFlow would fail on them with an OverflowError naming no argument.
    assert check(v.INT64_MAX, "n") == v.INT64_MAX
    with pytest.raises(
        ValueError, match=r"`n` must be a .* integer of at most 9223372036854775807"
    ):
        check(2**63, "n")
    with pytest.raises(ValueError, match=r"`seed` must be a .* integer of at most 9\."):
        check(10, "seed", maximum=9)


def test_positive_number_refuses_wrong_types_and_out_of_range_values_apart():
    assert v.check_positive_number(np.float32(0.5), "step_size") == 0.5
    assert type(v.check_positive_number(2, "step_size")) is float
    for value in ("0.1", None, True, np.True_, 1j):
        with pytest.raises(TypeError, match=r"`lr` must be a positive number\. Received"):
            v.check_positive_number(value, "lr")
    for value in (0, -1.5, float("nan"), float("inf"), 10**400):
        with pytest.raises(ValueError, match=r"`lr` must be a positive number\. Received"):
            v.check_positive_number(value, "lr")


def test_positive_numbers_name_the_whole_sequence():
    assert v.check_positive_numbers(np.array([0.5, 2]), "scales") == (0.5, 2.0)
    message = r"`scales` must be a non-empty sequence of positive numbers\. Received: scales="
    for values in (2.0, "12", b"12", None):
        with pytest.raises(TypeError, match=message):
            v.check_positive_numbers(values, "scales")
    with pytest.raises(TypeError, match=rf"{message}\[1, 'a'\]"):
        v.check_positive_numbers([1, "a"], "scales")
    for values in ([], [1, 0], [float("nan")]):
        with pytest.raises(ValueError, match=message):
            v.check_positive_numbers(values, "scales")


def test_size_pair_takes_an_integer_for_a_square_or_two_sides():
    assert v.check_size_pair(8, "size") == (8, 8)
    assert v.check_size_pair([4, np.int64(6)], "size") == (4, 6)
    assert all(type(side) is int for side in v.check_size_pair((4, np.int64(6)), "size"))


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("8", TypeError),
        (8.0, TypeError),
        (None, TypeError),
        (True, TypeError),
        (np.array([8, 8]), TypeError),
        ((8, 2.5), TypeError),
        ((8, True), TypeError),
        (0, ValueError),
        ((8, 0), ValueError),
        ((8,), ValueError),
        ((8, 8, 3), ValueError),
        (2**63, ValueError),
    ],
)
def test_size_pair_refuses_wrong_types_and_out_of_range_values_apart(value, error):
    # The message shows the whole argument, whichever side is wrong.
    expected = (
        "`size` must be a positive integer or a (height, width) pair of them. "
        f"Received: size={value!r}"
    )
    with pytest.raises(error) as info:
        v.check_size_pair(value, "size")
    assert str(info.value) == expected


def test_size_pair_names_its_maximum():
    assert v.check_size_pair((16, 3), "image_size", maximum=16) == (16, 3)
    for value in (17, (3, 17)):
        with pytest.raises(ValueError, match=r"pair of them, each at most 16\. Received"):
            v.check_size_pair(value, "image_size", maximum=16)
