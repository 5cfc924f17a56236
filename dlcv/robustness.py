"""Robustness of an image classifier: adversarial examples made with the fast gradient
sign method and projected gradient descent under an L-infinity budget, and two common
corruptions, Gaussian noise and Gaussian blur.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import tensorflow as tf

from dlcv._validation import (
    check_non_negative_int,
    check_non_negative_number,
    check_positive_int,
    check_positive_number,
    check_rank,
    check_same_length,
    check_value_range,
)

__all__ = [
    "fgsm",
    "gaussian_blur",
    "gaussian_noise",
    "pgd",
]


def _check_inputs(
    model: Any, images: Any, labels: Any, value_range: Any
) -> tuple[np.ndarray, np.ndarray, tuple[float, float]]:
    if not callable(model):
        raise TypeError(
            "`model` must be a callable Keras model. "
            f"Received: model={type(model).__name__}"
        )
    images = check_rank(images, 4, "images").astype(np.float32)
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            "`labels` must be a 1-D array of integer class indices. "
            f"Received: labels with shape {labels.shape} and dtype {labels.dtype}"
        )
    check_same_length(images, "images", labels, "labels")
    low, high = check_value_range(value_range)
    if images.min(initial=low) < low or images.max(initial=high) > high:
        raise ValueError(
            "`images` must lie within `value_range`. "
            f"Received: images in [{images.min()}, {images.max()}], "
            f"value_range={value_range!r}"
        )
    return images, labels, (low, high)


def _loss_gradient(
    model: Any, images: np.ndarray, labels: np.ndarray, from_logits: bool
) -> np.ndarray:
    """The gradient of the summed cross-entropy with respect to the input pixels."""
    x = tf.convert_to_tensor(images)
    with tf.GradientTape() as tape:
        tape.watch(x)
        outputs = model(x, training=False)
        loss = keras.losses.sparse_categorical_crossentropy(
            labels, outputs, from_logits=from_logits
        )
        # The sum, not the mean: each image's gradient is then its own loss's, whatever
        # the batch size (only its sign is used, but a mean can underflow to zero).
        total = tf.reduce_sum(loss)
    gradient: np.ndarray = tape.gradient(total, x).numpy()
    return gradient


# --8<-- [start:fgsm]
def fgsm(
    model: Any,
    images: Any,
    labels: Any,
    epsilon: float,
    *,
    from_logits: bool = True,
    value_range: tuple[float, float] = (0.0, 1.0),
) -> np.ndarray:
    """Perturb images by the fast gradient sign method: one step of size `epsilon`.

    Each pixel moves by `epsilon` in the direction that increases the model's
    cross-entropy loss on the true label, `x + epsilon * sign(grad_x loss)`, and the
    result is clipped to `value_range`, so no pixel moves by more than `epsilon` (an
    L-infinity budget).

    Args:
        model: a Keras model (or any callable on a batch of images that TensorFlow
            can differentiate) that returns logits or probabilities.
        images: an array of shape `(batch, height, width, channels)`, within
            `value_range`.
        labels: the true classes, one integer per image.
        epsilon: the largest change of a pixel, 0 or more.
        from_logits: whether the model returns logits (`True`) or probabilities.
            Defaults to `True`.
        value_range: the valid `(low, high)` of a pixel. Defaults to `(0.0, 1.0)`.

    Returns:
        The perturbed images, a float32 array of the shape of `images`.

    Raises:
        TypeError: if `model` is not callable or `epsilon` not a number.
        ValueError: if the images are not of rank 4 or outside `value_range`, the
            labels are not one integer per image, or `epsilon` is negative.

    Examples:
        >>> model = keras.Sequential([keras.Input((2, 2, 1)), keras.layers.Flatten(),
        ...                           keras.layers.Dense(2)])
        >>> images = np.full((3, 2, 2, 1), 0.5, dtype="float32")
        >>> adversarial = fgsm(model, images, np.array([0, 1, 0]), 0.1)
        >>> round(float(np.abs(adversarial - images).max()), 6)
        0.1

    See: [Robustness and calibration](../vision/robustness-and-calibration.md)
    """
    images, labels, (low, high) = _check_inputs(model, images, labels, value_range)
    epsilon = check_non_negative_number(epsilon, "epsilon")
    gradient = _loss_gradient(model, images, labels, from_logits)
    adversarial = images + epsilon * np.sign(gradient)
    result: np.ndarray = np.clip(adversarial, low, high).astype(np.float32)
    return result


# --8<-- [end:fgsm]


# --8<-- [start:pgd]
def pgd(
    model: Any,
    images: Any,
    labels: Any,
    epsilon: float,
    *,
    steps: int = 10,
    step_size: float | None = None,
    random_start: bool = True,
    seed: int = 0,
    from_logits: bool = True,
    value_range: tuple[float, float] = (0.0, 1.0),
) -> np.ndarray:
    """Perturb images by projected gradient descent on the loss, within an L-infinity
    ball of radius `epsilon`.

    Starting from the images (plus uniform noise in the ball with `random_start`),
    each step moves every pixel by `step_size` in the direction of the loss gradient's
    sign, then projects back: onto the ball of radius `epsilon` around the original
    images, then onto `value_range`.

    Args:
        model: a Keras model (or any differentiable callable on a batch of images)
            that returns logits or probabilities.
        images: an array of shape `(batch, height, width, channels)`, within
            `value_range`.
        labels: the true classes, one integer per image.
        epsilon: the radius of the L-infinity ball, 0 or more.
        steps: the number of gradient steps, 1 or more. Defaults to 10.
        step_size: how far one step moves a pixel. Defaults to `None`, meaning
            `2.5 * epsilon / steps`.
        random_start: whether to start from a uniformly random point of the ball.
            Defaults to `True`.
        seed: the seed of the random start. Defaults to 0.
        from_logits: whether the model returns logits (`True`) or probabilities.
            Defaults to `True`.
        value_range: the valid `(low, high)` of a pixel. Defaults to `(0.0, 1.0)`.

    Returns:
        The perturbed images, a float32 array of the shape of `images`, each pixel
        within `epsilon` of the original and within `value_range`.

    Raises:
        TypeError: if `model` is not callable, or a number or count is of the wrong
            type.
        ValueError: if the images are not of rank 4 or outside `value_range`, the
            labels are not one integer per image, `epsilon` is negative, `steps` or
            `step_size` not positive, or `seed` negative.

    Examples:
        >>> model = keras.Sequential([keras.Input((2, 2, 1)), keras.layers.Flatten(),
        ...                           keras.layers.Dense(2)])
        >>> images = np.full((3, 2, 2, 1), 0.5, dtype="float32")
        >>> adversarial = pgd(model, images, np.array([0, 1, 0]), 0.1, steps=5)
        >>> bool(np.abs(adversarial - images).max() <= 0.1 + 1e-6)
        True

    See: [Robustness and calibration](../vision/robustness-and-calibration.md)
    """
    images, labels, (low, high) = _check_inputs(model, images, labels, value_range)
    epsilon = check_non_negative_number(epsilon, "epsilon")
    steps = check_positive_int(steps, "steps")
    alpha = (
        2.5 * epsilon / steps
        if step_size is None
        else check_positive_number(step_size, "step_size")
    )
    seed = check_non_negative_int(seed, "seed", maximum=2**32 - 1)
    # The ball's box, already intersected with the valid pixel range.
    lower = np.maximum(images - epsilon, low)
    upper = np.minimum(images + epsilon, high)
    x: np.ndarray = images.copy()
    if random_start:
        rng = np.random.default_rng(seed)
        noise = rng.uniform(-epsilon, epsilon, size=images.shape)
        x = np.clip(images + noise, lower, upper).astype(np.float32)
    for _ in range(steps):
        gradient = _loss_gradient(model, x, labels, from_logits)
        # Projecting onto a box is clipping each pixel to its interval.
        x = np.clip(x + alpha * np.sign(gradient), lower, upper).astype(np.float32)
    return x


# --8<-- [end:pgd]


# --8<-- [start:corruptions]
def gaussian_noise(
    images: Any,
    sigma: float,
    *,
    seed: int = 0,
    value_range: tuple[float, float] = (0.0, 1.0),
) -> np.ndarray:
    """Add independent Gaussian noise to every pixel, then clip to `value_range`.

    Args:
        images: an array of shape `(batch, height, width, channels)`.
        sigma: the noise's standard deviation, in pixel units, 0 or more.
        seed: the seed of the noise. Defaults to 0.
        value_range: the valid `(low, high)` of a pixel. Defaults to `(0.0, 1.0)`.

    Returns:
        The noisy images, a float32 array of the shape of `images`.

    Raises:
        TypeError: if `sigma` is not a number or `seed` not an integer.
        ValueError: if `images` is not of rank 4, `sigma` is negative or `seed`
            negative.

    Examples:
        >>> images = np.full((2, 4, 4, 1), 0.5, dtype="float32")
        >>> noisy = gaussian_noise(images, 0.1)
        >>> noisy.shape, bool(noisy.min() >= 0.0 and noisy.max() <= 1.0)
        ((2, 4, 4, 1), True)

    See: [Robustness and calibration](../vision/robustness-and-calibration.md)
    """
    images = check_rank(images, 4, "images").astype(np.float32)
    sigma = check_non_negative_number(sigma, "sigma")
    seed = check_non_negative_int(seed, "seed", maximum=2**32 - 1)
    low, high = check_value_range(value_range)
    noise = np.random.default_rng(seed).normal(0.0, sigma, size=images.shape)
    result: np.ndarray = np.clip(images + noise, low, high).astype(np.float32)
    return result


def _gaussian_kernel(sigma: float) -> np.ndarray:
    # Three standard deviations each side hold all but 0.3% of a Gaussian's weight
    # (the radius is rounded to whole pixels, so a little more or less here).
    radius = int(3.0 * sigma + 0.5)
    offsets = np.arange(-radius, radius + 1, dtype=np.float64)
    kernel = np.exp(-0.5 * (offsets / sigma) ** 2)
    result: np.ndarray = kernel / kernel.sum()
    return result


def gaussian_blur(images: Any, sigma: float) -> np.ndarray:
    """Blur images with a Gaussian of standard deviation `sigma` pixels.

    The Gaussian is separable, so it is applied along the rows, then along the
    columns, each channel on its own; the kernel reaches `round(3 * sigma)` pixels each
    side, and the images are extended by repeating their edge pixels. A blur of pixels
    in a range stays in that range.

    Args:
        images: an array of shape `(batch, height, width, channels)`.
        sigma: the blur's standard deviation in pixels, 0 or more; 0 returns the
            images unchanged.

    Returns:
        The blurred images, a float32 array of the shape of `images`.

    Raises:
        TypeError: if `sigma` is not a number.
        ValueError: if `images` is not of rank 4 or `sigma` is negative.

    Examples:
        >>> images = np.zeros((1, 9, 9, 1), dtype="float32")
        >>> images[0, 4, 4, 0] = 1.0
        >>> blurred = gaussian_blur(images, 1.0)
        >>> round(float(blurred.sum()), 4), round(float(blurred[0, 4, 4, 0]), 4)
        (1.0, 0.1592)

    See: [Robustness and calibration](../vision/robustness-and-calibration.md)
    """
    images = check_rank(images, 4, "images").astype(np.float32)
    sigma = check_non_negative_number(sigma, "sigma")
    if sigma == 0.0:
        unchanged: np.ndarray = images.copy()
        return unchanged
    kernel = _gaussian_kernel(sigma)
    radius = len(kernel) // 2
    result = images.astype(np.float64)
    for axis in (1, 2):
        pad = [(0, 0)] * 4
        pad[axis] = (radius, radius)
        padded = np.pad(result, pad, mode="edge")
        size = result.shape[axis]
        # A weighted sum of shifted copies: one per kernel tap.
        result = sum(
            weight * np.take(padded, np.arange(tap, tap + size), axis=axis)
            for tap, weight in enumerate(kernel)
        )
    blurred: np.ndarray = result.astype(np.float32)
    return blurred


# --8<-- [end:corruptions]
