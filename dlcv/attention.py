"""Attention from tensor operations: scaled dot-product attention, the multi-head
self-attention of a Keras `MultiHeadAttention` layer recomputed from its weights, and
the patches a vision transformer reads an image as.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from dlcv._validation import check_rank, check_size_pair

__all__ = [
    "extract_patches",
    "multi_head_self_attention",
    "scaled_dot_product_attention",
]


def _softmax(scores: np.ndarray) -> np.ndarray:
    # Subtracting the row maximum changes nothing mathematically and keeps exp finite.
    shifted = np.exp(scores - scores.max(axis=-1, keepdims=True))
    result: np.ndarray = shifted / shifted.sum(axis=-1, keepdims=True)
    return result


# --8<-- [start:scaled_dot_product]
def scaled_dot_product_attention(
    query: Any, key: Any, value: Any, *, mask: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """Attend from each query to every key, and average the values with those weights.

    Computes `softmax(query @ key.T / sqrt(d)) @ value`, where `d` is the size of the
    last axis of `query` and `key`, over any leading batch (and head) axes.

    Args:
        query: an array of shape `(..., targets, d)`.
        key: an array of shape `(..., sources, d)`, with the leading axes of `query`.
        value: an array of shape `(..., sources, d_value)`.
        mask: optional booleans that broadcast to `(..., targets, sources)`: `True`
            where a query may attend to a key. Every query must be allowed at least
            one key. Defaults to `None`, meaning every query attends to every key.

    Returns:
        A pair `(output, weights)`: `output` of shape `(..., targets, d_value)` and
        the attention weights of shape `(..., targets, sources)`, each row summing to
        one.

    Raises:
        ValueError: if the shapes do not fit together, or a query may attend to no
            key.

    Examples:
        >>> q = np.array([[1.0, 0.0]])
        >>> k = np.array([[1.0, 0.0], [0.0, 1.0]])
        >>> v = np.array([[10.0], [20.0]])
        >>> output, weights = scaled_dot_product_attention(q, k, v)
        >>> weights.round(3)
        array([[0.67, 0.33]])
        >>> output.round(2)
        array([[13.3]])

    See: [Attention and vision transformers](../vision/attention.md)
    """
    query, key, value = (np.asarray(a, dtype=np.float64) for a in (query, key, value))
    for name, array in (("query", query), ("key", key), ("value", value)):
        if array.ndim < 2:
            raise ValueError(
                f"`{name}` must be an array of rank 2 or more. "
                f"Received: {name}.shape={array.shape}"
            )
    if key.shape[-1] != query.shape[-1]:
        raise ValueError(
            "`key` must have the last axis of `query`. "
            f"Received: query.shape={query.shape}, key.shape={key.shape}"
        )
    if value.shape[-2] != key.shape[-2]:
        raise ValueError(
            "`value` must have one row per row of `key`. "
            f"Received: key.shape={key.shape}, value.shape={value.shape}"
        )
    # Dividing by sqrt(d) keeps the scores' spread near one whatever the width, so
    # the softmax does not saturate [Vaswani et al. 2017, sec. 3.2.1].
    scores = query @ np.swapaxes(key, -1, -2) / np.sqrt(query.shape[-1])
    if mask is not None:
        allowed = np.broadcast_to(np.asarray(mask, dtype=bool), scores.shape)
        if not allowed.any(axis=-1).all():
            raise ValueError(
                "`mask` must let every query attend to at least one key. "
                f"Received: mask with {int((~allowed.any(axis=-1)).sum())} empty rows"
            )
        scores = np.where(allowed, scores, -np.inf)
    weights = _softmax(scores)
    return weights @ value, weights


# --8<-- [end:scaled_dot_product]


# --8<-- [start:multi_head]
def multi_head_self_attention(
    x: Any, layer: keras.layers.MultiHeadAttention, *, mask: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """Recompute a Keras `MultiHeadAttention` layer's self-attention from its weights.

    Each head projects the sequence to its own queries, keys and values, attends with
    `scaled_dot_product_attention`, and the heads' outputs are projected back to the
    model width and summed. The result equals `layer(x, x, attention_mask=mask)`.

    Args:
        x: an array of shape `(batch, tokens, width)`.
        layer: a built `keras.layers.MultiHeadAttention` with biases (the default),
            no output shape override and attention over the token axis only.
        mask: optional booleans that broadcast to `(batch, tokens, tokens)`, as the
            layer's `attention_mask`: `True` where a token may attend to another.
            Defaults to `None`.

    Returns:
        A pair `(output, weights)`: `output` of shape `(batch, tokens, width)` and
        the weights of shape `(batch, heads, tokens, tokens)`.

    Raises:
        TypeError: if `layer` is not a `MultiHeadAttention` layer.
        ValueError: if `x` is not of rank 3, or `layer` is not built, has no biases,
            or was built for another width.

    Examples:
        >>> layer = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)
        >>> x = np.random.default_rng(0).normal(size=(1, 5, 8)).astype("float32")
        >>> expected = np.asarray(layer(x, x))
        >>> output, weights = multi_head_self_attention(x, layer)
        >>> bool(np.abs(output - expected).max() < 1e-5), weights.shape
        (True, (1, 2, 5, 5))

    See: [Attention and vision transformers](../vision/attention.md)
    """
    if not isinstance(layer, keras.layers.MultiHeadAttention):
        raise TypeError(
            "`layer` must be a keras.layers.MultiHeadAttention. "
            f"Received: layer={type(layer).__name__}"
        )
    x = check_rank(x, 3, "x").astype(np.float64)
    weights = layer.get_weights()
    if not layer.built or len(weights) != 8:
        raise ValueError(
            "`layer` must be built, with biases (use_bias=True). "
            f"Received: layer with {len(weights)} weight arrays"
        )
    wq, bq, wk, bk, wv, bv, wo, bo = (w.astype(np.float64) for w in weights)
    if wq.ndim != 3 or wo.ndim != 3 or wq.shape[0] != x.shape[-1]:
        raise ValueError(
            "`layer` must have been built for inputs of width x.shape[-1], attending "
            f"over one axis. Received: x.shape={x.shape}, query kernel {wq.shape}"
        )
    # The kernels hold one (width, key_dim) projection per head: (width, heads, dim).
    q = np.einsum("btw,whd->bhtd", x, wq) + bq[:, None, :]
    k = np.einsum("bsw,whd->bhsd", x, wk) + bk[:, None, :]
    v = np.einsum("bsw,whd->bhsd", x, wv) + bv[:, None, :]
    # One mask for every head: (batch, tokens, tokens) -> (batch, 1, tokens, tokens).
    head_mask = None if mask is None else np.expand_dims(np.asarray(mask, bool), -3)
    heads, attention = scaled_dot_product_attention(q, k, v, mask=head_mask)
    # The output kernel (heads, dim, width) projects each head and sums the heads.
    output = np.einsum("bhtd,hdw->btw", heads, wo) + bo
    return output, attention


# --8<-- [end:multi_head]


# --8<-- [start:patches]
def extract_patches(images: Any, patch_size: int | tuple[int, int]) -> np.ndarray:
    """Cut images into non-overlapping patches and flatten each into one vector.

    The patches are listed row by row, left to right, the order a vision transformer
    reads them in.

    Args:
        images: an array of shape `(batch, height, width, channels)`.
        patch_size: the patch's side, or its `(height, width)`; it must divide the
            images' height and width.

    Returns:
        An array of shape `(batch, patches, patch_height * patch_width * channels)`.

    Raises:
        TypeError: if `patch_size` is not an integer or a pair of integers.
        ValueError: if `images` is not of rank 4 or `patch_size` does not divide its
            height and width.

    Examples:
        >>> images = np.arange(16.0).reshape(1, 4, 4, 1)
        >>> patches = extract_patches(images, 2)
        >>> patches.shape
        (1, 4, 4)
        >>> patches[0, 1]
        array([2., 3., 6., 7.])

    See: [Attention and vision transformers](../vision/attention.md)
    """
    images = check_rank(images, 4, "images")
    ph, pw = check_size_pair(patch_size, "patch_size")
    batch, height, width, channels = images.shape
    if height % ph or width % pw:
        raise ValueError(
            "`patch_size` must divide the images' height and width. "
            f"Received: patch_size={patch_size!r}, images.shape={images.shape}"
        )
    grid = images.reshape(batch, height // ph, ph, width // pw, pw, channels)
    # (batch, rows, cols, ph, pw, channels): one patch per (row, col), row-major.
    grid = grid.transpose(0, 1, 3, 2, 4, 5)
    patches: np.ndarray = grid.reshape(batch, (height // ph) * (width // pw), -1)
    return patches


# --8<-- [end:patches]
