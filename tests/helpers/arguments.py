"""The argument-check test that several test modules share."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest


def rejects_bad_arguments(
    cases: Sequence[tuple[Callable[..., Any], dict[str, Any], type[Exception], str]],
) -> Callable[..., None]:
    """A test that each `(function, kwargs, error, phrase)` of `cases` raises `error` from
    `function(**kwargs)`, its message matching `phrase`. Assign it to a `test_...` name."""

    @pytest.mark.parametrize(("function", "kwargs", "error", "phrase"), cases)
    def test(function: Callable[..., Any], kwargs: dict[str, Any], error: Any, phrase: str) -> None:
        with pytest.raises(error, match=phrase):
            function(**kwargs)

    return test
