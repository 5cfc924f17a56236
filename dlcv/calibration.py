"""Calibration of a classifier's confidence: reliability bins, the expected
calibration error, and temperature scaling fitted on held-out logits.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlcv._validation import check_positive_int, check_positive_number, check_rank

__all__ = [
    "apply_temperature",
    "expected_calibration_error",
    "fit_temperature",
    "reliability_bins",
]


def _check_labels(values: Any, rows: int, classes: int) -> np.ndarray:
    labels: np.ndarray = np.asarray(values)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            "`labels` must be a 1-D array of integer class indices. "
            f"Received: labels with shape {labels.shape} and dtype {labels.dtype}"
        )
    if len(labels) != rows:
        raise ValueError(
            f"`labels` must hold one label per row ({rows} rows). "
            f"Received: len(labels)={len(labels)}"
        )
    if rows and (labels.min() < 0 or labels.max() >= classes):
        raise ValueError(
            f"`labels` must be class indices from 0 to {classes - 1}. "
            f"Received: labels from {labels.min()} to {labels.max()}"
        )
    return labels


def _check_probabilities(values: Any) -> np.ndarray:
    probabilities: np.ndarray = check_rank(values, 2, "probabilities").astype(
        np.float64
    )
    if len(probabilities) == 0:
        raise ValueError(
            "`probabilities` must hold at least one row. "
            f"Received: probabilities.shape={probabilities.shape}"
        )
    sums = probabilities.sum(axis=1)
    if probabilities.min() < 0 or not np.allclose(sums, 1.0, atol=1e-3):
        raise ValueError(
            "`probabilities` must be non-negative rows that sum to 1 (apply a softmax "
            "to logits first). "
            f"Received: rows summing to {sums.min():.4g} to {sums.max():.4g}"
        )
    return probabilities


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    result: np.ndarray = shifted / shifted.sum(axis=1, keepdims=True)
    return result


# --8<-- [start:bins]
def reliability_bins(
    probabilities: Any, labels: Any, *, bins: int = 10
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Group predictions by confidence into equal-width bins, and measure each bin.

    A prediction is the most probable class and its confidence that class's
    probability. Bin `m` of `bins` (counting from 1) holds the confidences in
    `((m - 1) / bins, m / bins]`; a confidence of exactly 0, impossible after a
    softmax, would join the first bin.

    Args:
        probabilities: an array of shape `(examples, classes)`, rows summing to 1.
        labels: the true classes, one integer per row.
        bins: the number of equal-width bins over `[0, 1]`. Defaults to 10.

    Returns:
        A tuple `(counts, confidence, accuracy)` of arrays of length `bins`: the
        number of predictions in each bin, their mean confidence and the fraction of
        them that are right (both NaN for an empty bin).

    Raises:
        TypeError: if `bins` is not an integer.
        ValueError: if `probabilities` is not a non-empty 2-D array of rows summing
            to 1, `labels` is not one valid class index per row, or `bins` is not
            positive.

    Examples:
        >>> probabilities = np.array(
        ...     [[0.9, 0.05, 0.05], [0.8, 0.1, 0.1], [0.4, 0.3, 0.3]])
        >>> counts, confidence, accuracy = reliability_bins(
        ...     probabilities, np.array([0, 1, 2]), bins=2)
        >>> counts, confidence.round(2), accuracy.round(2)
        (array([1, 2]), array([0.4 , 0.85]), array([0. , 0.5]))

    See: [Robustness and calibration](../vision/robustness-and-calibration.md)
    """
    probabilities = _check_probabilities(probabilities)
    labels = _check_labels(labels, *probabilities.shape)
    bins = check_positive_int(bins, "bins")
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == labels
    # ceil(c * bins) - 1 is the bin whose interval ((m-1)/M, m/M] holds c.
    index = np.clip(np.ceil(confidence * bins).astype(int) - 1, 0, bins - 1)
    counts = np.bincount(index, minlength=bins)
    with np.errstate(invalid="ignore"):
        mean_confidence = np.bincount(index, confidence, minlength=bins) / counts
        bin_accuracy = np.bincount(index, correct, minlength=bins) / counts
    return counts, mean_confidence, bin_accuracy


def expected_calibration_error(
    probabilities: Any, labels: Any, *, bins: int = 10
) -> float:
    """The gap between confidence and accuracy, averaged over equal-width bins.

    `ECE = sum over bins of (n_m / n) * |accuracy_m - confidence_m|`, where bin `m`
    holds `n_m` of the `n` predictions (see `reliability_bins`); empty bins count
    for nothing. 0 means that, bin by bin, the model is right as often as it is
    confident; its value depends on the number of bins.

    Args:
        probabilities: an array of shape `(examples, classes)`, rows summing to 1.
        labels: the true classes, one integer per row.
        bins: the number of equal-width bins over `[0, 1]`. Defaults to 10.

    Returns:
        The expected calibration error, a float in `[0, 1]`.

    Raises:
        TypeError: if `bins` is not an integer.
        ValueError: as `reliability_bins`.

    Examples:
        >>> probabilities = np.array(
        ...     [[0.9, 0.05, 0.05], [0.8, 0.1, 0.1], [0.4, 0.3, 0.3]])
        >>> round(expected_calibration_error(probabilities, [0, 1, 2], bins=2), 4)
        0.3667

    See: [Robustness and calibration](../vision/robustness-and-calibration.md)
    """
    counts, confidence, accuracy = reliability_bins(probabilities, labels, bins=bins)
    filled = counts > 0
    gaps = np.abs(accuracy[filled] - confidence[filled])
    return float(np.sum(counts[filled] * gaps) / counts.sum())


# --8<-- [end:bins]


# --8<-- [start:temperature]
def apply_temperature(logits: Any, temperature: float) -> np.ndarray:
    """Turn logits into probabilities with a softmax at a temperature:
    `softmax(logits / temperature)`.

    A temperature above 1 spreads the probabilities out (less confident), below 1
    sharpens them; dividing every logit of a row by the same positive number keeps
    their order, so the most probable class does not change.

    Args:
        logits: an array of shape `(examples, classes)`.
        temperature: a positive number.

    Returns:
        The probabilities, an array of shape `(examples, classes)`, rows summing to 1.

    Raises:
        TypeError: if `temperature` is not a number.
        ValueError: if `logits` is not 2-D or `temperature` is not positive.

    Examples:
        >>> apply_temperature(np.array([[2.0, 0.0]]), 2.0).round(3)
        array([[0.731, 0.269]])

    See: [Robustness and calibration](../vision/robustness-and-calibration.md)
    """
    logits = check_rank(logits, 2, "logits").astype(np.float64)
    temperature = check_positive_number(temperature, "temperature")
    return _softmax(logits / temperature)


def _nll(logits: np.ndarray, labels: np.ndarray, temperature: float) -> float:
    scaled = logits / temperature
    top = scaled.max(axis=1)
    log_sum = top + np.log(np.exp(scaled - top[:, None]).sum(axis=1))
    return float(np.mean(log_sum - scaled[np.arange(len(labels)), labels]))


def fit_temperature(
    logits: Any, labels: Any, *, bounds: tuple[float, float] = (0.05, 20.0)
) -> float:
    """Find the temperature that minimizes the negative log-likelihood of `labels`.

    Fit it on held-out data (not the training set, where a network is more confident
    than elsewhere), then apply it to new logits with `apply_temperature`. The mean
    negative log-likelihood is a convex function of `1 / temperature`, so it has no
    local minimum but its lowest point, found by golden-section search over
    `log(temperature)` within `bounds`.

    Args:
        logits: an array of shape `(examples, classes)`.
        labels: the true classes, one integer per row.
        bounds: the smallest and largest temperature searched. Defaults to
            `(0.05, 20.0)`.

    Returns:
        The fitted temperature, a float within `bounds` (to about 1e-6 in its log).

    Raises:
        TypeError: if `bounds` holds something other than numbers.
        ValueError: if `logits` is not a non-empty 2-D array, `labels` is not one
            valid class index per row, or `bounds` is not two positive numbers in
            increasing order.

    Examples:
        >>> logits = np.array([[4.0, 0.0], [4.0, 0.0], [0.0, 4.0], [4.0, 0.0]])
        >>> temperature = fit_temperature(logits, np.array([0, 0, 1, 1]))
        >>> bool(temperature > 1.0)
        True

    See: [Robustness and calibration](../vision/robustness-and-calibration.md)
    """
    logits = check_rank(logits, 2, "logits").astype(np.float64)
    if len(logits) == 0:
        raise ValueError(
            "`logits` must hold at least one row. "
            f"Received: logits.shape={logits.shape}"
        )
    labels = _check_labels(labels, *logits.shape)
    if not isinstance(bounds, tuple | list) or len(bounds) != 2:
        raise ValueError(
            "`bounds` must be two positive numbers (low, high) with low < high. "
            f"Received: bounds={bounds!r}"
        )
    low = check_positive_number(bounds[0], "bounds")
    high = check_positive_number(bounds[1], "bounds")
    if not low < high:
        raise ValueError(
            "`bounds` must be two positive numbers (low, high) with low < high. "
            f"Received: bounds={bounds!r}"
        )
    # Golden-section search: each step keeps the part of the interval that must hold
    # the minimum of a function with one minimum, shrinking it by 0.618.
    ratio = (np.sqrt(5.0) - 1.0) / 2.0
    a, b = np.log(low), np.log(high)
    c, d = b - ratio * (b - a), a + ratio * (b - a)
    fc, fd = _nll(logits, labels, np.exp(c)), _nll(logits, labels, np.exp(d))
    while b - a > 1e-6:
        if fc <= fd:
            b, d, fd = d, c, fc
            c = b - ratio * (b - a)
            fc = _nll(logits, labels, np.exp(c))
        else:
            a, c, fc = c, d, fd
            d = a + ratio * (b - a)
            fd = _nll(logits, labels, np.exp(d))
    return float(np.exp((a + b) / 2.0))


# --8<-- [end:temperature]
