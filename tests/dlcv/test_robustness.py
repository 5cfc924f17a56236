"""dlcv.robustness: FGSM and PGD against independent gradients, corruptions against
SciPy and NumPy."""

import keras
import numpy as np
import pytest
import scipy.ndimage
import tensorflow as tf

from dlcv.robustness import fgsm, gaussian_blur, gaussian_noise, pgd


@pytest.fixture(scope="module")
def linear_model() -> keras.Model:
    """A linear classifier of 3x3 images into 4 classes, with fixed random weights."""
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((3, 3, 1)), keras.layers.Flatten(), keras.layers.Dense(4)])


@pytest.fixture(scope="module")
def batch() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    images = rng.uniform(0.0, 1.0, size=(32, 3, 3, 1)).astype("float32")
    return images, rng.integers(0, 4, size=32)


def _losses(model: keras.Model, images: np.ndarray, labels: np.ndarray) -> np.ndarray:
    return np.asarray(
        keras.losses.sparse_categorical_crossentropy(labels, model(images), from_logits=True)
    )


def test_fgsm_moves_each_pixel_by_epsilon_times_the_gradient_sign(
    linear_model: keras.Model,
) -> None:
    rng = np.random.default_rng(2)
    # Pixels far enough from 0 and 1 that no step is clipped.
    images = rng.uniform(0.3, 0.7, size=(8, 3, 3, 1)).astype("float32")
    labels = rng.integers(0, 4, size=8)
    x = tf.constant(images)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = loss_fn(labels, linear_model(x))
    expected = 0.05 * np.sign(tape.gradient(loss, x).numpy())
    adversarial = fgsm(linear_model, images, labels, 0.05)
    np.testing.assert_allclose(adversarial - images, expected, atol=1e-6)
    assert adversarial.dtype == np.float32


def test_fgsm_on_probabilities_equals_fgsm_on_logits(linear_model: keras.Model) -> None:
    images, labels = np.full((4, 3, 3, 1), 0.5, "float32"), np.array([0, 1, 2, 3])
    softmax_model = keras.Sequential([linear_model, keras.layers.Softmax()])
    np.testing.assert_allclose(
        fgsm(softmax_model, images, labels, 0.1, from_logits=False),
        fgsm(linear_model, images, labels, 0.1),
        atol=1e-6,
    )


def test_fgsm_clips_to_the_pixel_range(
    linear_model: keras.Model, batch: tuple[np.ndarray, np.ndarray]
) -> None:
    images, labels = batch
    adversarial = fgsm(linear_model, images, labels, 0.5)
    assert adversarial.min() >= 0.0 and adversarial.max() <= 1.0
    assert np.abs(adversarial - images).max() <= 0.5 + 1e-6
    # Clipping bites: some pixel could not move its full step.
    assert np.abs(adversarial - images).min() < 0.5 - 1e-3
    shifted = fgsm(linear_model, images * 2 - 1, labels, 0.5, value_range=(-1, 1))
    assert shifted.min() >= -1.0 and shifted.max() <= 1.0


@pytest.mark.parametrize("random_start", [False, True])
def test_pgd_stays_in_the_ball_and_the_pixel_range(
    linear_model: keras.Model, batch: tuple[np.ndarray, np.ndarray], random_start: bool
) -> None:
    images, labels = batch
    for epsilon in (0.0, 0.05, 0.3):
        adversarial = pgd(linear_model, images, labels, epsilon, steps=7, random_start=random_start)
        assert adversarial.shape == images.shape and adversarial.dtype == np.float32
        assert np.abs(adversarial - images).max() <= epsilon + 1e-6
        assert adversarial.min() >= 0.0 and adversarial.max() <= 1.0


def test_pgd_is_at_least_as_strong_as_fgsm_on_a_linear_model(
    linear_model: keras.Model, batch: tuple[np.ndarray, np.ndarray]
) -> None:
    images, labels = batch
    epsilon = 0.2
    fgsm_loss = _losses(linear_model, fgsm(linear_model, images, labels, epsilon), labels)
    pgd_images = pgd(linear_model, images, labels, epsilon, steps=20, random_start=False)
    pgd_loss = _losses(linear_model, pgd_images, labels)
    clean_loss = _losses(linear_model, images, labels)
    assert pgd_loss.mean() >= fgsm_loss.mean() - 1e-6
    assert fgsm_loss.mean() > clean_loss.mean()
    predict = lambda x: np.asarray(linear_model(x)).argmax(axis=1)  # noqa: E731
    assert np.mean(predict(pgd_images) == labels) <= np.mean(
        predict(fgsm(linear_model, images, labels, epsilon)) == labels
    )


def test_pgd_random_start_depends_on_the_seed(
    linear_model: keras.Model, batch: tuple[np.ndarray, np.ndarray]
) -> None:
    images, labels = batch
    first = pgd(linear_model, images, labels, 0.1, steps=1, step_size=0.01, seed=0)
    again = pgd(linear_model, images, labels, 0.1, steps=1, step_size=0.01, seed=0)
    other = pgd(linear_model, images, labels, 0.1, steps=1, step_size=0.01, seed=1)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_pgd_equals_fgsm_when_the_gradient_sign_never_changes() -> None:
    # Two classes, a linear model: the loss gradient's sign is w_other - w_true's
    # everywhere, so every PGD step goes the same way and ends where FGSM's one does.
    keras.utils.set_random_seed(3)
    model = keras.Sequential(
        [keras.Input((2, 2, 1)), keras.layers.Flatten(), keras.layers.Dense(2)]
    )
    images = np.full((6, 2, 2, 1), 0.5, "float32")
    labels = np.array([0, 1, 0, 1, 0, 1])
    np.testing.assert_allclose(
        pgd(model, images, labels, 0.1, steps=4, random_start=False),
        fgsm(model, images, labels, 0.1),
        atol=1e-6,
    )


def test_gaussian_blur_equals_scipy() -> None:
    images = np.random.default_rng(4).uniform(size=(3, 8, 8, 2)).astype("float32")
    for sigma in (0.5, 1.0, 1.7):
        expected = scipy.ndimage.gaussian_filter(
            images.astype(np.float64),
            sigma=(0, sigma, sigma, 0),
            mode="nearest",
            truncate=3.0,
        )
        np.testing.assert_allclose(gaussian_blur(images, sigma), expected, atol=1e-6)
    np.testing.assert_array_equal(gaussian_blur(images, 0.0), images)


def test_gaussian_noise_has_the_requested_spread_and_range() -> None:
    images = np.full((50, 8, 8, 1), 0.5, "float32")
    noisy = gaussian_noise(images, 0.05, seed=5)
    assert noisy.dtype == np.float32 and noisy.shape == images.shape
    assert abs(float((noisy - images).std()) - 0.05) < 0.003
    assert abs(float((noisy - images).mean())) < 0.003
    np.testing.assert_array_equal(noisy, gaussian_noise(images, 0.05, seed=5))
    assert not np.array_equal(noisy, gaussian_noise(images, 0.05, seed=6))
    loud = gaussian_noise(images, 2.0)
    assert loud.min() == 0.0 and loud.max() == 1.0
    np.testing.assert_array_equal(gaussian_noise(images, 0.0), images)


def test_attacks_reject_bad_arguments(linear_model: keras.Model) -> None:
    images, labels = np.full((2, 3, 3, 1), 0.5, "float32"), np.array([0, 1])
    with pytest.raises(TypeError, match="must be a callable Keras model"):
        fgsm("model", images, labels, 0.1)
    with pytest.raises(ValueError, match="must be an array of rank 4"):
        fgsm(linear_model, images[0], labels, 0.1)
    with pytest.raises(ValueError, match="1-D array of integer class indices"):
        fgsm(linear_model, images, np.array([0.0, 1.0]), 0.1)
    with pytest.raises(ValueError, match="as long as `images`"):
        fgsm(linear_model, images, np.array([0, 1, 2]), 0.1)
    with pytest.raises(ValueError, match="must lie within `value_range`"):
        fgsm(linear_model, images + 1.0, labels, 0.1)
    with pytest.raises(ValueError, match="must be a non-negative number"):
        fgsm(linear_model, images, labels, -0.1)
    with pytest.raises(ValueError, match="must be a non-negative number"):
        pgd(linear_model, images, labels, -0.1)
    with pytest.raises(ValueError, match="must be a positive integer"):
        pgd(linear_model, images, labels, 0.1, steps=0)
    with pytest.raises(ValueError, match="must be a positive number"):
        pgd(linear_model, images, labels, 0.1, step_size=0.0)
    with pytest.raises(ValueError, match="pair of finite numbers"):
        pgd(linear_model, images, labels, 0.1, value_range=(1, 0))


def test_corruptions_reject_bad_arguments() -> None:
    images = np.zeros((1, 4, 4, 1))
    with pytest.raises(ValueError, match="must be an array of rank 4"):
        gaussian_blur(images[0], 1.0)
    with pytest.raises(ValueError, match="must be a non-negative number"):
        gaussian_blur(images, -1.0)
    with pytest.raises(TypeError, match="must be a non-negative number"):
        gaussian_noise(images, "0.1")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="must be a non-negative integer"):
        gaussian_noise(images, 0.1, seed=-1)
