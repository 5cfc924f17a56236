"""dlcv.attention: attention from tensor operations equals Keras's layer."""

import keras
import numpy as np
import pytest

from dlcv.attention import (
    extract_patches,
    multi_head_self_attention,
    scaled_dot_product_attention,
)


@pytest.mark.parametrize(
    ("batch", "tokens", "width", "heads", "key_dim"),
    [(1, 5, 8, 1, 8), (2, 16, 12, 3, 4), (3, 7, 6, 4, 5)],
)
def test_multi_head_self_attention_equals_keras(
    batch: int, tokens: int, width: int, heads: int, key_dim: int
) -> None:
    keras.utils.set_random_seed(batch)
    layer = keras.layers.MultiHeadAttention(num_heads=heads, key_dim=key_dim)
    x = np.random.default_rng(0).normal(size=(batch, tokens, width)).astype("float32")
    expected, expected_weights = layer(x, x, return_attention_scores=True)
    output, weights = multi_head_self_attention(x, layer)
    assert output.shape == (batch, tokens, width)
    np.testing.assert_allclose(output, np.asarray(expected), atol=1e-5)
    np.testing.assert_allclose(weights, np.asarray(expected_weights), atol=1e-5)


def test_multi_head_self_attention_with_a_mask_equals_keras() -> None:
    keras.utils.set_random_seed(0)
    layer = keras.layers.MultiHeadAttention(num_heads=2, key_dim=3)
    x = np.random.default_rng(1).normal(size=(2, 6, 4)).astype("float32")
    # Causal: token t attends to tokens 0..t only.
    mask = np.broadcast_to(np.tril(np.ones((6, 6), dtype=bool)), (2, 6, 6))
    expected, expected_weights = layer(x, x, attention_mask=mask, return_attention_scores=True)
    output, weights = multi_head_self_attention(x, layer, mask=mask)
    np.testing.assert_allclose(output, np.asarray(expected), atol=1e-5)
    np.testing.assert_allclose(weights, np.asarray(expected_weights), atol=1e-5)
    assert np.all(weights[..., ~mask[0]] == 0)


def test_scaled_dot_product_attention_weights_are_a_softmax_of_scaled_scores() -> None:
    rng = np.random.default_rng(0)
    q, k, v = rng.normal(size=(3, 4)), rng.normal(size=(5, 4)), rng.normal(size=(5, 2))
    output, weights = scaled_dot_product_attention(q, k, v)
    scores = np.exp(q @ k.T / 2.0)
    np.testing.assert_allclose(weights, scores / scores.sum(axis=1, keepdims=True))
    np.testing.assert_allclose(output, weights @ v)
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0)


def test_scaled_dot_product_attention_rejects_bad_shapes_and_masks() -> None:
    q, k, v = np.zeros((3, 4)), np.zeros((5, 4)), np.zeros((5, 2))
    with pytest.raises(ValueError, match="must be an array of rank 2 or more"):
        scaled_dot_product_attention(np.zeros(4), k, v)
    with pytest.raises(ValueError, match="must have the last axis of `query`"):
        scaled_dot_product_attention(q, np.zeros((5, 3)), v)
    with pytest.raises(ValueError, match="must have one row per row of `key`"):
        scaled_dot_product_attention(q, k, np.zeros((4, 2)))
    with pytest.raises(ValueError, match="at least one key"):
        scaled_dot_product_attention(q, k, v, mask=np.zeros((3, 5), dtype=bool))


def test_multi_head_self_attention_rejects_bad_arguments() -> None:
    x = np.zeros((1, 4, 6), dtype="float32")
    with pytest.raises(TypeError, match=r"must be a keras\.layers\.MultiHeadAttention"):
        multi_head_self_attention(x, keras.layers.Dense(3))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="must be built"):
        multi_head_self_attention(x, keras.layers.MultiHeadAttention(2, 3))
    layer = keras.layers.MultiHeadAttention(num_heads=2, key_dim=3)
    layer(x, x)
    with pytest.raises(ValueError, match="must be an array of rank 3"):
        multi_head_self_attention(x[0], layer)
    with pytest.raises(ValueError, match="inputs of width"):
        multi_head_self_attention(np.zeros((1, 4, 5)), layer)


def test_extract_patches_lists_patches_row_by_row() -> None:
    images = np.arange(2 * 4 * 6 * 3, dtype=float).reshape(2, 4, 6, 3)
    patches = extract_patches(images, (2, 3))
    assert patches.shape == (2, 4, 18)
    for index, (row, col) in enumerate([(0, 0), (0, 1), (1, 0), (1, 1)]):
        block = images[:, 2 * row : 2 * row + 2, 3 * col : 3 * col + 3]
        np.testing.assert_array_equal(patches[:, index], block.reshape(2, -1))


def test_extract_patches_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="must be an array of rank 4"):
        extract_patches(np.zeros((8, 8)), 2)
    with pytest.raises(ValueError, match="must divide the images' height and width"):
        extract_patches(np.zeros((1, 8, 8, 1)), 3)
    with pytest.raises((TypeError, ValueError), match="patch_size"):
        extract_patches(np.zeros((1, 8, 8, 1)), 0)
