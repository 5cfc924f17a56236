"""dlcv.calibration: ECE on hand-worked cases and an independent loop, temperature
scaling on a constructed over-confident model."""

import numpy as np
import pytest
import scipy.special

from dlcv.calibration import (
    apply_temperature,
    expected_calibration_error,
    fit_temperature,
    reliability_bins,
)

# Confidences 0.9 (right), 0.65 (wrong), 0.75 (right), 0.55 (right): none on a bin edge.
PROBABILITIES = np.array([[0.9, 0.1], [0.65, 0.35], [0.25, 0.75], [0.45, 0.55]])
LABELS = np.array([0, 1, 1, 1])


def test_reliability_bins_by_hand() -> None:
    counts, confidence, accuracy = reliability_bins(PROBABILITIES, LABELS, bins=5)
    np.testing.assert_array_equal(counts, [0, 0, 1, 2, 1])
    np.testing.assert_allclose(confidence[2:], [0.55, 0.7, 0.9])
    np.testing.assert_allclose(accuracy[2:], [1.0, 0.5, 1.0])
    assert np.isnan(confidence[:2]).all() and np.isnan(accuracy[:2]).all()


def test_expected_calibration_error_by_hand() -> None:
    # Two bins: all four in (0.5, 1], mean confidence 2.85 / 4, accuracy 3 / 4.
    assert expected_calibration_error(PROBABILITIES, LABELS, bins=2) == pytest.approx(0.0375)
    # Five bins: 1/4 * |1 - 0.55| + 2/4 * |0.5 - 0.7| + 1/4 * |1 - 0.9|.
    assert expected_calibration_error(PROBABILITIES, LABELS, bins=5) == pytest.approx(0.2375)


def test_a_confidence_on_a_bin_edge_goes_to_the_lower_bin() -> None:
    counts, _, _ = reliability_bins(np.array([[0.5, 0.5], [1.0, 0.0]]), [0, 0], bins=2)
    np.testing.assert_array_equal(counts, [1, 1])


def test_expected_calibration_error_equals_an_independent_loop() -> None:
    rng = np.random.default_rng(0)
    probabilities = scipy.special.softmax(rng.normal(scale=3, size=(500, 10)), axis=1)
    labels = rng.integers(0, 10, size=500)
    for bins in (1, 7, 15):
        confidence = probabilities.max(axis=1)
        correct = probabilities.argmax(axis=1) == labels
        expected = 0.0
        for m in range(bins):
            low, high = m / bins, (m + 1) / bins
            members = (confidence > low) & (confidence <= high)
            if members.any():
                gap = abs(correct[members].mean() - confidence[members].mean())
                expected += members.mean() * gap
        assert expected_calibration_error(probabilities, labels, bins=bins) == (
            pytest.approx(expected)
        )


def test_perfect_confident_predictions_have_zero_error() -> None:
    probabilities = np.eye(3)[[0, 1, 2, 1]]
    assert expected_calibration_error(probabilities, [0, 1, 2, 1]) == 0.0
    assert expected_calibration_error(probabilities, [1, 0, 0, 0]) == 1.0


def test_apply_temperature_equals_scipy_softmax() -> None:
    logits = np.random.default_rng(1).normal(size=(6, 4))
    for temperature in (0.5, 1.0, 3.0):
        np.testing.assert_allclose(
            apply_temperature(logits, temperature),
            scipy.special.softmax(logits / temperature, axis=1),
        )


def _nll(probabilities: np.ndarray, labels: np.ndarray) -> float:
    return float(-np.mean(np.log(probabilities[np.arange(len(labels)), labels])))


def test_temperature_scaling_repairs_an_over_confident_model() -> None:
    # Labels drawn from softmax(z); the model reports z * 4, far too sure of itself.
    rng = np.random.default_rng(2)
    true_logits = rng.normal(scale=1.5, size=(4000, 5))
    cumulative = scipy.special.softmax(true_logits, axis=1).cumsum(axis=1)
    labels = (rng.uniform(size=(4000, 1)) > cumulative).sum(axis=1)
    logits = 4.0 * true_logits
    temperature = fit_temperature(logits[:2000], labels[:2000])
    assert temperature == pytest.approx(4.0, rel=0.1)
    before = apply_temperature(logits[2000:], 1.0)
    after = apply_temperature(logits[2000:], temperature)
    test = labels[2000:]
    np.testing.assert_array_equal(before.argmax(axis=1), after.argmax(axis=1))
    assert _nll(after, test) < _nll(before, test)
    assert expected_calibration_error(after, test) < expected_calibration_error(before, test)


def test_fit_temperature_finds_the_minimum_of_a_grid_search() -> None:
    rng = np.random.default_rng(3)
    logits = rng.normal(scale=2, size=(300, 10))
    labels = rng.integers(0, 10, size=300)
    grid = np.exp(np.linspace(np.log(0.05), np.log(20.0), 4001))
    losses = [_nll(scipy.special.softmax(logits / t, axis=1), labels) for t in grid]
    assert fit_temperature(logits, labels) == pytest.approx(grid[int(np.argmin(losses))], rel=2e-3)


def test_calibration_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="must be an array of rank 2"):
        expected_calibration_error(np.ones(3) / 3, [0])
    with pytest.raises(ValueError, match="rows that sum to 1"):
        expected_calibration_error(np.ones((2, 3)), [0, 1])
    with pytest.raises(ValueError, match="at least one row"):
        reliability_bins(np.zeros((0, 3)), np.zeros(0, int))
    with pytest.raises(ValueError, match="one label per row"):
        reliability_bins(PROBABILITIES, [0, 1])
    with pytest.raises(ValueError, match="class indices from 0 to 1"):
        reliability_bins(PROBABILITIES, [0, 1, 2, 1])
    with pytest.raises(ValueError, match="1-D array of integer class indices"):
        reliability_bins(PROBABILITIES, [0.0, 1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="must be a positive integer"):
        reliability_bins(PROBABILITIES, LABELS, bins=0)
    with pytest.raises(ValueError, match="must be a positive number"):
        apply_temperature(np.zeros((1, 2)), 0.0)
    with pytest.raises(ValueError, match="must be an array of rank 2"):
        fit_temperature(np.zeros(3), [0])
    with pytest.raises(ValueError, match="low < high"):
        fit_temperature(np.zeros((2, 2)), [0, 1], bounds=(2.0, 1.0))
    with pytest.raises(ValueError, match="must be a positive number"):
        fit_temperature(np.zeros((2, 2)), [0, 1], bounds=(0.0, 1.0))
