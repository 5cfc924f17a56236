"""Tests for dlcv.blocks."""

import keras
import numpy as np
import pytest

from dlcv.blocks import (
    apply_bottleneck_block,
    apply_conv_bn,
    apply_inverted_residual_block,
    apply_residual_block,
    apply_separable_block,
    apply_squeeze_excite,
    apply_upsample_block,
    apply_vgg_block,
)


def _model(block, input_shape, *args, **kwargs):
    inputs = keras.Input(input_shape)
    return keras.Model(inputs, block(inputs, *args, **kwargs))


def _names(model):
    return [layer.name for layer in model.layers[1:]]


def test_conv_bn_has_no_bias_and_names_its_layers():
    model = _model(apply_conv_bn, (8, 8, 3), 4, strides=2, name="stem")
    assert _names(model) == ["stem_conv", "stem_bn", "stem_act"]
    assert model.get_layer("stem_conv").use_bias is False
    assert model.output.shape == (None, 4, 4, 4)
    # 3*3*3*4 weights, then gamma, beta, moving mean and variance for 4 channels.
    assert model.count_params() == 108 + 16
    linear = _model(apply_conv_bn, (8, 8, 3), 4, activation=None, name="lin")
    assert _names(linear) == ["lin_conv", "lin_bn"]


def test_vgg_block_stacks_convolutions_then_pools():
    model = _model(apply_vgg_block, (16, 16, 3), 8, convs=3, name="block1")
    assert _names(model) == ["block1_conv1", "block1_conv2", "block1_conv3", "block1_pool"]
    assert model.output.shape == (None, 8, 8, 8)
    assert model.count_params() == (27 * 8 + 8) + 2 * (72 * 8 + 8)
    with_bn = _model(apply_vgg_block, (16, 16, 3), 8, batch_norm=True, name="b")
    assert "b_conv1_bn" in _names(with_bn)


def test_residual_block_uses_identity_or_projection_shortcut():
    same = _model(apply_residual_block, (8, 8, 16), 16, name="res")
    assert not any("shortcut" in name for name in _names(same))
    assert same.count_params() == 2 * (9 * 16 * 16 + 4 * 16)
    down = _model(apply_residual_block, (8, 8, 16), 32, strides=2, name="down")
    assert down.output.shape == (None, 4, 4, 32)
    assert down.get_layer("down_shortcut_conv").strides == (2, 2)
    wider = _model(apply_residual_block, (8, 8, 16), 32, name="wide")
    assert wider.get_layer("wide_shortcut_conv").kernel_size == (1, 1)


def test_residual_block_adds_its_input():
    # With the branch's last scale (gamma) at zero the branch outputs zero, so the block is
    # relu(x + 0): what makes a residual block easy to start as the identity.
    model = _model(apply_residual_block, (6, 6, 4), 4, name="res")
    bn = model.get_layer("res_2_bn")
    gamma, beta, mean, variance = bn.get_weights()
    bn.set_weights([np.zeros_like(gamma), beta, mean, variance])
    x = np.random.default_rng(0).normal(size=(2, 6, 6, 4)).astype("float32")
    np.testing.assert_allclose(model(x, training=False), np.maximum(x, 0.0), atol=1e-6)


def test_bottleneck_block_expands_and_strides_the_3x3_convolution():
    model = _model(apply_bottleneck_block, (8, 8, 64), 16, strides=2, name="b")
    assert model.output.shape == (None, 4, 4, 64)
    assert model.get_layer("b_1_conv").strides == (1, 1)
    assert model.get_layer("b_2_conv").strides == (2, 2)
    assert model.get_layer("b_3_conv").filters == 64
    identity = _model(apply_bottleneck_block, (8, 8, 64), 16, name="id")
    weights = 64 * 16 + 9 * 16 * 16 + 16 * 64
    assert identity.count_params() == weights + 4 * (16 + 16 + 64)


def test_squeeze_excite_rescales_channels_globally():
    model = _model(apply_squeeze_excite, (5, 5, 32), ratio=8, name="se")
    assert _names(model) == ["se_squeeze", "se_reduce", "se_expand", "se_scale"]
    assert model.get_layer("se_reduce").units == 4
    assert model.count_params() == (32 * 4 + 4) + (4 * 32 + 32)
    expand = model.get_layer("se_expand")
    expand.set_weights([np.zeros_like(w) for w in expand.get_weights()])
    x = np.random.default_rng(1).normal(size=(2, 5, 5, 32)).astype("float32")
    # sigmoid(0) = 0.5 for every channel.
    np.testing.assert_allclose(model(x), 0.5 * x, rtol=1e-6)
    tiny = _model(apply_squeeze_excite, (5, 5, 4), ratio=16, name="tiny")
    assert tiny.get_layer("tiny_reduce").units == 1


def test_blocks_with_squeeze_excite_put_it_on_the_branch():
    model = _model(apply_residual_block, (8, 8, 32), 32, se_ratio=4, name="r")
    assert model.get_layer("r_se_scale").output.shape == (None, 8, 8, 32)
    bottleneck = _model(apply_bottleneck_block, (8, 8, 64), 16, se_ratio=4, name="b")
    assert bottleneck.get_layer("b_se_reduce").units == 16


def test_separable_block_needs_far_fewer_weights_than_a_convolution():
    model = _model(apply_separable_block, (16, 16, 32), 64, strides=2, name="sep")
    assert model.output.shape == (None, 8, 8, 64)
    assert model.get_layer("sep_dw_conv").count_params() == 9 * 32
    assert model.get_layer("sep_pw_conv").count_params() == 32 * 64
    assert 9 * 32 + 32 * 64 < 9 * 32 * 64 / 7


def test_inverted_residual_block_is_linear_at_the_narrow_end():
    model = _model(apply_inverted_residual_block, (8, 8, 16), 16, name="ir")
    names = _names(model)
    assert names[0] == "ir_expand_conv"
    assert model.get_layer("ir_expand_conv").filters == 96
    assert "ir_project_act" not in names  # the linear bottleneck
    assert names[-1] == "ir_add"
    down = _model(apply_inverted_residual_block, (8, 8, 16), 24, strides=2, expansion=1, name="d")
    assert "d_add" not in _names(down)
    assert "d_expand_conv" not in _names(down)
    assert down.output.shape == (None, 4, 4, 24)


def test_unnamed_blocks_get_unique_names():
    inputs = keras.Input((8, 8, 8))
    x = apply_residual_block(inputs, 8)
    x = apply_residual_block(x, 8)
    names = [layer.name for layer in keras.Model(inputs, x).layers]
    assert len(names) == len(set(names))
    assert any(name.startswith("residual_block_") for name in names)


@pytest.mark.parametrize(
    ("call", "error", "phrase"),
    [
        (lambda x: apply_vgg_block(x, 0), ValueError, "`filters` must be a positive integer"),
        (lambda x: apply_vgg_block(x, 8, convs=0), ValueError, "`convs` must be a positive"),
        (lambda x: apply_residual_block(x, 8, strides=1.5), TypeError, "`strides` must be"),
        (lambda x: apply_residual_block(x, 8, se_ratio=0), ValueError, "`se_ratio` must be"),
        (lambda x: apply_squeeze_excite(x, ratio=0), ValueError, "`ratio` must be a positive"),
        (lambda x: apply_separable_block(x, 8, name=""), ValueError, "`name` must be a non-empty"),
        (lambda x: apply_bottleneck_block(x, 8, expansion=0), ValueError, "`expansion` must"),
        (lambda x: apply_conv_bn(np.zeros((8, 8)), 4), ValueError, "`x` must be a 4-D tensor"),
        (lambda x: apply_conv_bn([1, 2], 4), TypeError, "`x` must be a tensor"),
    ],
)
def test_blocks_reject_bad_arguments(call, error, phrase):
    with pytest.raises(error, match=phrase):
        call(keras.Input((8, 8, 4)))


def _decoder(coarse, fine, *args, **kwargs):
    x, skip = keras.Input(coarse), keras.Input(fine)
    return keras.Model([x, skip], apply_upsample_block(x, skip, *args, **kwargs))


def test_upsample_block_doubles_resolution_and_concatenates_the_skip():
    model = _decoder((4, 4, 32), (8, 8, 8), 16, name="dec")
    names = [layer.name for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    assert names == [
        "dec_up",
        "dec_concat",
        "dec_1_conv",
        "dec_1_bn",
        "dec_1_act",
        "dec_2_conv",
        "dec_2_bn",
        "dec_2_act",
    ]
    assert model.get_layer("dec_up").output.shape == (None, 8, 8, 16)
    # The skip's 8 channels join the 16 upsampled ones before the first 3x3 convolution.
    assert model.get_layer("dec_concat").output.shape == (None, 8, 8, 24)
    assert model.output.shape == (None, 8, 8, 16)
    up = 2 * 2 * 32 * 16 + 16  # the transposed convolution keeps its bias
    convs = 9 * 24 * 16 + 9 * 16 * 16  # no bias before batch normalisation
    assert model.count_params() == up + convs + 2 * 4 * 16


def test_upsample_block_takes_the_skips_channels_by_default():
    model = _decoder((4, 4, 32), (8, 8, 8), name="dec")
    assert model.get_layer("dec_up").output.shape == (None, 8, 8, 8)
    assert model.output.shape == (None, 8, 8, 8)


def test_upsample_block_passes_the_skip_through_unchanged():
    # With the upsampled branch zeroed, the concatenation's second half is the skip itself.
    model = _decoder((3, 3, 4), (6, 6, 2), 5, name="dec")
    up = model.get_layer("dec_up")
    up.set_weights([np.zeros_like(w) for w in up.get_weights()])
    concat = keras.Model(model.inputs, model.get_layer("dec_concat").output)
    rng = np.random.default_rng(2)
    coarse = rng.normal(size=(2, 3, 3, 4)).astype("float32")
    fine = rng.normal(size=(2, 6, 6, 2)).astype("float32")
    joined = np.asarray(concat([coarse, fine]))
    np.testing.assert_allclose(joined[..., :5], 0.0)
    np.testing.assert_allclose(joined[..., 5:], fine)


def test_bilinear_upsample_block_interpolates_without_weights():
    model = _decoder((4, 4, 6), (8, 8, 2), 4, convs=1, mode="bilinear", name="bi")
    assert model.get_layer("bi_up").count_params() == 0
    assert model.get_layer("bi_concat").output.shape == (None, 8, 8, 8)
    assert model.count_params() == 9 * 8 * 4 + 4 * 4
    x = np.ones((1, 4, 4, 6), dtype="float32")
    up = keras.Model(model.inputs, model.get_layer("bi_up").output)
    np.testing.assert_allclose(up([x, np.zeros((1, 8, 8, 2), "float32")]), 1.0, rtol=1e-6)


def test_upsample_blocks_build_a_small_unet():
    inputs = keras.Input((16, 16, 3))
    e1 = apply_conv_bn(inputs, 8, name="e1")
    e2 = apply_conv_bn(keras.layers.MaxPooling2D(2)(e1), 16, name="e2")
    bottom = apply_conv_bn(keras.layers.MaxPooling2D(2)(e2), 32, name="bottom")
    x = apply_upsample_block(bottom, e2, 16, name="d2")
    x = apply_upsample_block(x, e1, 8, name="d1")
    outputs = keras.layers.Conv2D(4, 1, name="classes")(x)
    model = keras.Model(inputs, outputs)
    images = np.random.default_rng(3).random((2, 16, 16, 3)).astype("float32")
    assert model(images).shape == (2, 16, 16, 4)


@pytest.mark.parametrize(
    ("coarse", "fine", "kwargs", "error", "phrase"),
    [
        ((4, 4, 8), (6, 6, 8), {}, ValueError, "`skip` must have twice the height and width"),
        ((4, 4, 8), (8, 8, 8), {"mode": "nearest"}, ValueError, "`mode` must be one of"),
        ((4, 4, 8), (8, 8, 8), {"convs": 0}, ValueError, "`convs` must be a positive integer"),
        ((4, 4, 8), (8, 8, 8), {"filters": 2.0}, TypeError, "`filters` must be a positive"),
        ((4, 4, 8), (8, 8, 8), {"name": " "}, ValueError, "`name` must be a non-empty"),
    ],
)
def test_upsample_block_rejects_bad_arguments(coarse, fine, kwargs, error, phrase):
    kwargs = {"filters": 4, **kwargs}
    with pytest.raises(error, match=phrase):
        apply_upsample_block(keras.Input(coarse), keras.Input(fine), **kwargs)


def test_upsample_block_rejects_a_skip_that_is_not_a_4d_tensor():
    x = keras.Input((4, 4, 8))
    with pytest.raises(TypeError, match="`skip` must be a tensor"):
        apply_upsample_block(x, [1, 2], 4)
    with pytest.raises(ValueError, match="`skip` must be a 4-D tensor"):
        apply_upsample_block(x, keras.Input((8, 8)), 4)
