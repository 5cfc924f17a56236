"""Contrastive self-supervised learning: SimCLR's NT-Xent loss, written with Keras
operations so that it trains a network, and the two augmented views of a batch that
it compares.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from dlcv._validation import (
    check_non_negative_int,
    check_non_negative_number,
    check_positive_number,
    check_rank,
)

__all__ = [
    "make_views",
    "nt_xent_loss",
]


def _check_embeddings(z: Any, name: str) -> Any:
    """Return `z` as a floating-point tensor of shape `(batch, dimension)`."""
    z = keras.ops.convert_to_tensor(z)
    if not keras.backend.is_float_dtype(z.dtype):
        z = keras.ops.cast(z, keras.config.floatx())
    if len(z.shape) != 2:
        raise ValueError(
            f"`{name}` must be an array of rank 2, one embedding per row. "
            f"Received: {name}.shape={tuple(z.shape)}"
        )
    return z


# --8<-- [start:nt_xent]
def nt_xent_loss(z1: Any, z2: Any, *, temperature: float = 0.5) -> Any:
    """SimCLR's contrastive loss (NT-Xent) for a batch of positive pairs.

    Row `i` of `z1` and row `i` of `z2` embed two views of the same example: a
    positive pair. The `2N` embeddings are scaled to unit length; each one is asked
    to pick out its partner among the other `2N - 1` by a softmax over its cosine
    similarities divided by `temperature`, and the loss is the cross-entropy of
    that choice, averaged over all `2N` embeddings. The other `2(N - 1)` embeddings
    of the batch serve as the negatives.

    Written with `keras.ops`, so gradients flow through it and it can be the loss
    of a training step.

    Args:
        z1: embeddings of the first views, of shape `(N, dimension)`, `N >= 2`.
        z2: embeddings of the second views, of the same shape.
        temperature: divides the cosine similarities before the softmax; a small
            value sharpens it. Defaults to 0.5.

    Returns:
        The mean loss, a scalar tensor in the dtype of `z1` (float32 for integer
        inputs). It is `log(2N - 1)` when all the embeddings are equal.

    Raises:
        TypeError: if `temperature` is not a number.
        ValueError: if `z1` is not of rank 2 or holds fewer than two rows, `z2`
            does not have its shape, or `temperature` is not positive and finite.

    Examples:
        >>> z = np.eye(3)
        >>> round(float(nt_xent_loss(z, z, temperature=1.0)), 4)
        0.9048
        >>> collapsed = np.ones((3, 2))  # 2N - 1 = 5 equal candidates: log(5)
        >>> round(float(nt_xent_loss(collapsed, collapsed)), 4)
        1.6094

    See: [Self-supervised learning](../vision/self-supervised-learning.md)
    """
    temperature = check_positive_number(temperature, "temperature")
    z1 = _check_embeddings(z1, "z1")
    z2 = keras.ops.cast(_check_embeddings(z2, "z2"), z1.dtype)
    if tuple(z2.shape) != tuple(z1.shape):
        raise ValueError(
            "`z2` must have the shape of `z1`. "
            f"Received: z1.shape={tuple(z1.shape)}, z2.shape={tuple(z2.shape)}"
        )
    n = z1.shape[0]
    if n is not None and n < 2:
        raise ValueError(
            "`z1` must hold at least two pairs: the other pairs are the negatives. "
            f"Received: z1.shape={tuple(z1.shape)}"
        )
    z = keras.ops.concatenate([z1, z2], axis=0)  # rows 0..N-1, then N..2N-1
    # Cosine similarity: the dot product of unit vectors. The floor keeps a zero
    # embedding at zero instead of dividing by zero.
    squared = keras.ops.sum(z * z, axis=1, keepdims=True)
    z = z / keras.ops.sqrt(keras.ops.maximum(squared, 1e-12))
    logits = keras.ops.matmul(z, keras.ops.transpose(z)) / temperature
    # An embedding is never its own candidate: the indicator k != i of the paper.
    count = keras.ops.shape(z)[0]
    self_pairs = keras.ops.eye(count, dtype="bool")
    logits = keras.ops.where(self_pairs, keras.ops.cast(-1e9, z.dtype), logits)
    # Row i's partner is row i + N (and row i + N's is row i): roll the batch by N.
    partners = keras.ops.roll(z, count // 2, axis=0)
    positive = keras.ops.sum(z * partners, axis=1) / temperature
    # -log(exp(positive) / sum_k exp(logit_k)) for each of the 2N embeddings.
    losses = keras.ops.logsumexp(logits, axis=1) - positive
    return keras.ops.mean(losses)


# --8<-- [end:nt_xent]


# --8<-- [start:make_views]
def make_views(
    images: Any,
    *,
    max_shift: int = 1,
    noise: float = 0.1,
    seed: int | np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Two randomly augmented views of each image: the positive pairs of SimCLR.

    Each view shifts its image by a whole number of pixels, drawn independently
    for each view and axis from `-max_shift` to `max_shift` (the pixels moved in
    are zero, the background of a digit), adds Gaussian noise of standard
    deviation `noise`, and clips to [0, 1]. It never flips or rotates: a mirrored 2
    is no digit, and a 6 turned upside down reads as a 9.

    Args:
        images: an array of shape `(batch, height, width, channels)`, in [0, 1].
        max_shift: the largest shift, in pixels, along each axis. Defaults to 1.
        noise: the standard deviation of the added noise. Defaults to 0.1.
        seed: a seed or NumPy generator for the random draws. Defaults to `None`,
            meaning fresh randomness.

    Returns:
        A pair `(view1, view2)` of float32 arrays with the shape of `images`.

    Raises:
        TypeError: if `max_shift` is not an integer or `noise` not a number.
        ValueError: if `images` is not of rank 4, `max_shift` is negative or not
            smaller than the images' height and width, or `noise` is negative.

    Examples:
        >>> images = np.zeros((2, 4, 4, 1))
        >>> images[:, 1, 1] = 1.0
        >>> view1, view2 = make_views(images, max_shift=1, noise=0.0, seed=0)
        >>> view1.shape, view1.dtype.name, float(view1.sum()), float(view2.sum())
        ((2, 4, 4, 1), 'float32', 2.0, 2.0)

    See: [Self-supervised learning](../vision/self-supervised-learning.md)
    """
    images = check_rank(images, 4, "images").astype(np.float32)
    max_shift = check_non_negative_int(max_shift, "max_shift")
    noise = check_non_negative_number(noise, "noise")
    batch, height, width, _ = images.shape
    if max_shift >= min(height, width):
        raise ValueError(
            "`max_shift` must be smaller than the images' height and width. "
            f"Received: max_shift={max_shift}, images.shape={images.shape}"
        )
    rng = np.random.default_rng(seed)
    s = max_shift
    padded = np.pad(images, ((0, 0), (s, s), (s, s), (0, 0)))
    views = []
    for _ in range(2):
        # A window of the padded image at offset (dy, dx) in 0..2s: a shift by s - dy.
        dy = rng.integers(0, 2 * s + 1, size=batch)
        dx = rng.integers(0, 2 * s + 1, size=batch)
        rows = (dy[:, None] + np.arange(height))[:, :, None]
        cols = (dx[:, None] + np.arange(width))[:, None, :]
        view = padded[np.arange(batch)[:, None, None], rows, cols]
        view = view + rng.normal(0.0, noise, size=view.shape) if noise else view
        views.append(np.clip(view, 0.0, 1.0).astype(np.float32))
    return views[0], views[1]


# --8<-- [end:make_views]
