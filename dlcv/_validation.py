"""Argument checks shared by dlcv's public functions.

Every check raises with one message form, so users (and tests) meet the same wording
everywhere: "`batch_size` must be a positive integer. Received: batch_size=0".
This module is private: its names are not re-exported by `dlcv`.

What the checks have in common is stated here once. Each takes the argument's `name`,
used only in the message, and most take the value and return it as what the caller needs
(an `int`, a `float`, a tuple of them). A `TypeError` from a check means the value is of
the wrong kind, a `ValueError` that it breaks the rule (the checks of a choice, a rank,
a length or a range raise only `ValueError`). A `bool` is never a number here:
`batch_size=True` is a mistake, not a batch of one. The docstrings below state each
check's rule and its other arguments.
"""

from __future__ import annotations

import contextlib
import math
import numbers
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

__all__ = [
    "check_fraction",
    "check_non_empty_str",
    "check_non_negative_int",
    "check_non_negative_number",
    "check_one_of",
    "check_positive_int",
    "check_positive_number",
    "check_positive_numbers",
    "check_rank",
    "check_same_length",
    "check_size_pair",
    "check_value_range",
]


# The largest integer NumPy and TensorFlow take as an int64: a larger count, size or
# seed fails inside them with an OverflowError that names no argument.
INT64_MAX = 2**63 - 1


def _message(name: str, requirement: str, received: str) -> str:
    return f"`{name}` must be {requirement}. Received: {received}"


def _is_int(value: object) -> bool:
    # bool is an int subclass, but `batch_size=True` is a mistake, not
    # a batch size of one.
    return isinstance(value, numbers.Integral) and not isinstance(
        value, bool | np.bool_
    )


def _is_real(value: object) -> bool:
    # A bool is an Integral, hence a Real, but `alpha=True` is a mistake.
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


@contextlib.contextmanager
def _reworded(message: str) -> Iterator[None]:
    """Re-raise a TypeError or ValueError from the block, same class, with `message`:
    when one part of an argument fails its check, the error shows the whole argument.
    """
    try:
        yield
    except (TypeError, ValueError) as error:
        raise type(error)(message) from None


def _check_int(
    value: Any, name: str, requirement: str, *, minimum: int, maximum: int
) -> int:
    """The integer checks' one rule: TypeError for a non-integer, ValueError for an
    integer out of range."""
    message = _message(name, requirement, f"{name}={value!r}")
    if not _is_int(value):
        raise TypeError(message)
    if value < minimum:
        raise ValueError(message)
    if value > maximum:
        raise ValueError(
            _message(name, f"{requirement} of at most {maximum}", f"{name}={value!r}")
        )
    return int(value)


def _check_real(
    value: Any, name: str, requirement: str, in_range: Callable[[float], bool]
) -> float:
    """The number checks' one rule: TypeError for what is not a real number, ValueError
    for a number `in_range` refuses."""
    message = _message(name, requirement, f"{name}={value!r}")
    if not _is_real(value):
        raise TypeError(message)
    try:
        number = float(value)
    except OverflowError:  # an int beyond what a float holds
        raise ValueError(message) from None
    if not in_range(number):
        raise ValueError(message)
    return number


def check_positive_int(value: Any, name: str, *, maximum: int = INT64_MAX) -> int:
    """Return `value` as an `int` if it is an integer greater than zero.

    Args:
        maximum: the largest value accepted. Defaults to `INT64_MAX` (2**63 - 1).

    Raises:
        TypeError: if `value` is not an integer.
        ValueError: if `value` is zero or negative, or above `maximum`.

    Examples:
        >>> check_positive_int(32, "batch_size")
        32

    See: [Contributing](../contributing/index.md)
    """
    return _check_int(value, name, "a positive integer", minimum=1, maximum=maximum)


def check_non_negative_int(value: Any, name: str, *, maximum: int = INT64_MAX) -> int:
    """Return `value` as an `int` if it is an integer from zero up to `maximum`: the
    rule of `check_positive_int`, with zero allowed (a count of warm-up calls, a seed).

    Raises:
        TypeError: if `value` is not an integer.
        ValueError: if `value` is negative, or above `maximum`.

    Examples:
        >>> check_non_negative_int(0, "warmup")
        0

    See: [Contributing](../contributing/index.md)
    """
    return _check_int(value, name, "a non-negative integer", minimum=0, maximum=maximum)


def check_fraction(value: Any, name: str) -> float:
    """Return `value` as a `float` if it lies strictly between 0 and 1.

    Raises:
        TypeError: if `value` is not a real number.
        ValueError: if `value` is not strictly between 0 and 1.

    Examples:
        >>> check_fraction(0.25, "test_fraction")
        0.25

    See: [Contributing](../contributing/index.md)
    """
    requirement = "a number strictly between 0 and 1"
    return _check_real(value, name, requirement, lambda number: 0.0 < number < 1.0)


def check_non_negative_number(value: Any, name: str) -> float:
    """Return `value` as a `float` if it is a finite real number of at least 0.

    Raises:
        TypeError: if `value` is not a real number.
        ValueError: if `value` is negative, infinite or NaN.

    Examples:
        >>> check_non_negative_number(0.5, "noise")
        0.5

    See: [Contributing](../contributing/index.md)
    """
    return _check_real(
        value, name, "a non-negative number", lambda x: math.isfinite(x) and x >= 0.0
    )


def check_positive_number(value: Any, name: str) -> float:
    """Return `value` as a `float` if it is a finite real number greater than 0.

    Raises:
        TypeError: if `value` is not a real number.
        ValueError: if `value` is zero, negative, infinite or NaN.

    Examples:
        >>> check_positive_number(0.01, "learning_rate")
        0.01

    See: [Contributing](../contributing/index.md)
    """
    return _check_real(
        value, name, "a positive number", lambda x: math.isfinite(x) and x > 0.0
    )


def check_positive_numbers(values: Any, name: str) -> tuple[float, ...]:
    """Return `values` as a tuple of floats if it is a non-empty sequence of positive
    numbers.

    Raises:
        TypeError: if `values` is not a sequence (a string is not), or holds something
            other than real numbers.
        ValueError: if `values` is empty, or one of its numbers is not positive and
            finite.

    Examples:
        >>> check_positive_numbers([0.5, 1, 2], "aspect_ratios")
        (0.5, 1.0, 2.0)

    See: [Contributing](../contributing/index.md)
    """
    message = _message(
        name, "a non-empty sequence of positive numbers", f"{name}={values!r}"
    )
    # bytes are a Sequence of ints, but b"12" is not the numbers 49 and 50.
    if isinstance(values, str | bytes) or not isinstance(values, Sequence | np.ndarray):
        raise TypeError(message)
    if len(values) == 0:
        raise ValueError(message)
    with _reworded(message):
        return tuple(check_positive_number(value, name) for value in values)


def check_size_pair(
    value: Any, name: str, *, maximum: int | None = None
) -> tuple[int, int]:
    """Return `value` as a `(height, width)` pair of positive integers; an integer `n`
    stands for the square `(n, n)`.

    Args:
        maximum: the largest side accepted, named in the message. Defaults to `None`,
            meaning `INT64_MAX` (2**63 - 1), left unsaid.

    Returns:
        `(height, width)` as Python ints.

    Raises:
        TypeError: if `value` is neither an integer nor a sequence (a string is not),
            or a side is not an integer.
        ValueError: if `value` is not two sides, or a side is zero, negative or above
            `maximum`.

    Examples:
        >>> check_size_pair(32, "image_size")
        (32, 32)
        >>> check_size_pair([24, 32], "image_size")
        (24, 32)

    See: [Contributing](../contributing/index.md)
    """
    limit = "" if maximum is None else f", each at most {maximum}"
    requirement = f"a positive integer or a (height, width) pair of them{limit}"
    message = _message(name, requirement, f"{name}={value!r}")
    if _is_int(value):
        sides = [value, value]
    elif isinstance(value, Sequence) and not isinstance(value, str | bytes):
        sides = list(value)
    else:
        raise TypeError(message)
    if len(sides) != 2:
        raise ValueError(message)
    largest = INT64_MAX if maximum is None else maximum
    with _reworded(message):
        height = check_positive_int(sides[0], name, maximum=largest)
        width = check_positive_int(sides[1], name, maximum=largest)
    return height, width


def check_one_of(value: Any, name: str, options: Sequence[str]) -> str:
    """Return `value` if it is one of `options`.

    Args:
        options: the accepted values.

    Returns:
        `value`, unchanged.

    Raises:
        ValueError: if `value` is not one of `options`.

    Examples:
        >>> check_one_of("float32", "dtype", ("float32", "float16"))
        'float32'

    See: [Contributing](../contributing/index.md)
    """
    if value not in options:
        choices = ", ".join(repr(option) for option in options)
        raise ValueError(_message(name, f"one of {choices}", f"{name}={value!r}"))
    return str(value)


def check_rank(array: Any, rank: int, name: str) -> np.ndarray:
    """Return `array` as a NumPy array if it has `rank` dimensions.

    Args:
        array: an array-like value.
        rank: the number of dimensions it must have.
        name: the argument's name, used in the message.

    Returns:
        `array` as a NumPy array (not copied when it already is one).

    Raises:
        ValueError: if `array` does not have `rank` dimensions.

    Examples:
        >>> check_rank(np.zeros((2, 8, 8, 1)), 4, "images").shape
        (2, 8, 8, 1)

    See: [Contributing](../contributing/index.md)
    """
    result = np.asarray(array)
    if result.ndim != rank:
        raise ValueError(
            _message(name, f"an array of rank {rank}", f"{name}.shape={result.shape}")
        )
    return result


def check_same_length(
    first: Any, first_name: str, second: Any, second_name: str
) -> None:
    """Check that two sequences hold the same number of items.

    Args:
        first: the reference sequence.
        first_name: its argument name.
        second: the sequence that must match it.
        second_name: its argument name, used in the message.

    Raises:
        ValueError: if the lengths differ.

    Examples:
        >>> check_same_length([1, 2], "images", [0, 1], "labels")

    See: [Contributing](../contributing/index.md)
    """
    if len(second) != len(first):
        raise ValueError(
            _message(
                second_name,
                f"as long as `{first_name}` ({len(first)} items)",
                f"len({second_name})={len(second)}",
            )
        )


def check_non_empty_str(value: Any, name: str) -> str:
    """Return `value` if it is a string with at least one non-space character.

    Returns:
        `value`, unchanged.

    Raises:
        TypeError: if `value` is not a string.
        ValueError: if `value` is empty or only whitespace.

    Examples:
        >>> check_non_empty_str("Digits in two dimensions", "alt")
        'Digits in two dimensions'

    See: [Contributing](../contributing/index.md)
    """
    message = _message(name, "a non-empty string", f"{name}={value!r}")
    if not isinstance(value, str):
        raise TypeError(message)
    if not value.strip():
        raise ValueError(message)
    return value


def check_value_range(value: Any, name: str = "value_range") -> tuple[float, float]:
    """Return `value` as a `(low, high)` pair of floats if it is
    two finite numbers, low < high.

    Args:
        value: the value to check.
        name: the argument's name, used in the message. Defaults to `"value_range"`.

    Returns:
        `(low, high)` as Python floats.

    Raises:
        ValueError: if `value` is not a pair of finite real numbers
            with the first smaller.

    Examples:
        >>> check_value_range((0, 255))
        (0.0, 255.0)

    See: [Contributing](../contributing/index.md)
    """
    ok = (
        isinstance(value, Sequence)
        and not isinstance(value, str)
        and len(value) == 2
        and all(_is_real(bound) for bound in value)
        and all(math.isfinite(bound) for bound in value)
        and value[0] < value[1]
    )
    if not ok:
        raise ValueError(
            _message(
                name,
                "a pair of finite numbers (low, high) with low < high",
                f"{name}={value!r}",
            )
        )
    return float(value[0]), float(value[1])
