"""Tests for dlcv.profiling: parameters, multiply-accumulates and activation memory."""

import keras
import pytest

from dlcv.blocks import apply_residual_block
from dlcv.profiling import LayerProfile, Profile, format_profile, profile

# Published multiply-adds for one 224x224 image, and where they are printed.
PUBLISHED_MACS = {
    # He et al. 2016, arXiv:1512.03385, Sec. 4.1: "This model has 3.8 billion FLOPs", where the
    # paper's FLOPs are multiply-adds ("3.6 billion FLOPs (multiply-adds)" for ResNet-34).
    "ResNet50": 3.8e9,
    # He et al. 2016, same section: "VGG-16/19 nets (15.3/19.6 billion FLOPs)".
    "VGG16": 15.3e9,
    # Howard et al. 2017, arXiv:1704.04861, Table 8: 1.0 MobileNet-224, 569 million Mult-Adds.
    "MobileNet": 569e6,
    # Sandler et al. 2018, arXiv:1801.04381, Table 4: MobileNetV2, 300M MAdds.
    "MobileNetV2": 300e6,
}


@pytest.fixture(scope="module")
def applications():
    return {
        name: getattr(keras.applications, name)(weights=None, input_shape=(224, 224, 3))
        for name in [*PUBLISHED_MACS, "EfficientNetB0"]
    }


def _row(result, name):
    (row,) = [row for row in result.layers if row.name == name]
    return row


def _single(layer, input_shape):
    inputs = keras.Input(input_shape)
    return profile(keras.Model(inputs, layer(inputs)))


# --- counting conventions, layer by layer ----------------------------------------------------


def test_conv2d_counts_output_positions_times_window_times_channels():
    # 'valid' 5x5 over 16x16 with stride 1 leaves 12x12 positions.
    result = _single(keras.layers.Conv2D(8, 5, name="c"), (16, 16, 3))
    assert result.layers[0].macs == 12 * 12 * 8 * 25 * 3
    assert result.layers[0].flops == 2 * result.layers[0].macs
    assert result.params == 25 * 3 * 8 + 8
    # Stride shrinks the output, dilation only spreads the taps: same window of 9.
    strided = _single(keras.layers.Conv2D(8, 3, strides=2, padding="same"), (16, 16, 4))
    assert strided.macs == 8 * 8 * 8 * 9 * 4
    dilated = _single(keras.layers.Conv2D(8, 3, dilation_rate=2, padding="same"), (16, 16, 4))
    assert dilated.macs == 16 * 16 * 8 * 9 * 4


def test_grouped_depthwise_separable_and_transposed_convolutions():
    grouped = _single(keras.layers.Conv2D(8, 3, groups=4, padding="same"), (10, 10, 16))
    assert grouped.macs == 10 * 10 * 8 * 9 * (16 // 4)
    depthwise = _single(
        keras.layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same"), (10, 10, 6)
    )
    assert depthwise.macs == 10 * 10 * 6 * 2 * 9
    separable = _single(keras.layers.SeparableConv2D(12, 3, padding="same"), (10, 10, 6))
    assert separable.macs == 10 * 10 * 6 * 9 + 10 * 10 * 6 * 12
    transposed = _single(keras.layers.Conv2DTranspose(4, 3, strides=2, padding="same"), (5, 5, 6))
    assert transposed.layers[0].output_shape == (10, 10, 4)
    assert transposed.macs == 5 * 5 * 6 * 9 * 4
    one_d = _single(keras.layers.Conv1D(4, 3), (10, 2))
    assert one_d.macs == 8 * 4 * 3 * 2


def test_dense_counts_every_position_of_an_nd_input():
    assert _single(keras.layers.Dense(5), (7,)).macs == 7 * 5
    assert _single(keras.layers.Dense(5), (3, 4, 7)).macs == 3 * 4 * 7 * 5


def test_layers_counted_as_zero_by_convention_are_not_unsupported():
    inputs = keras.Input((8, 8, 4))
    x = keras.layers.Rescaling(1 / 255)(inputs)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.ReLU()(x)
    y = keras.layers.MaxPooling2D()(x)
    y = keras.layers.ZeroPadding2D(2)(y)
    y = keras.layers.AveragePooling2D(2)(y)
    y = keras.layers.UpSampling2D(2)(y)
    z = keras.layers.Concatenate()([x, keras.layers.Dropout(0.5)(y)])
    z = keras.layers.GlobalAveragePooling2D()(z)
    result = profile(keras.Model(inputs, keras.layers.Flatten()(z)))
    assert result.unsupported == ()
    assert result.macs == 0
    assert all(row.macs == 0 for row in result.layers)


def test_activation_memory_follows_the_output_dtype():
    result = _single(keras.layers.Conv2D(8, 3, padding="same"), (10, 10, 3))
    assert result.activation_bytes == 10 * 10 * 8 * 4
    half = _single(keras.layers.Conv2D(8, 3, padding="same", dtype="float16"), (10, 10, 3))
    assert half.activation_bytes == 10 * 10 * 8 * 2


# --- graphs: nesting, sharing, reporting what is not counted ---------------------------------


def test_nested_models_are_walked_and_shared_layers_counted_per_call():
    inner = keras.Sequential(
        [keras.Input((8, 8, 3)), keras.layers.Conv2D(4, 3, padding="same", name="conv")],
        name="inner",
    )
    shared = keras.layers.Conv2D(4, 1, name="shared")
    inputs = keras.Input((8, 8, 3))
    a = inner(inputs)
    b = inner(inputs)
    merged = keras.layers.Add(name="add")([shared(a), shared(b)])
    model = keras.Model(inputs, merged)
    result = profile(model)
    assert [row.name for row in result.layers] == [
        "inner/conv",
        "inner#2/conv",
        "shared",
        "shared#2",
        "add",
    ]
    assert result.params == model.count_params() == (27 * 4 + 4) + (4 * 4 + 4)
    assert _row(result, "inner#2/conv").params == 0  # weights counted at the first call only
    assert result.macs == 2 * (64 * 4 * 27) + 2 * (64 * 4 * 4)


def test_unknown_layers_and_raw_ops_are_reported_not_counted_as_zero():
    class Scale(keras.layers.Layer):
        def build(self, input_shape):
            self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones")

        def call(self, x):
            return x * self.scale

    inputs = keras.Input((4, 4, 3))
    x = Scale(name="scale")(inputs)
    x = keras.ops.add(x, inputs)
    x = keras.layers.Conv2D(2, 1, name="conv")(x)
    model = keras.Model(inputs, x)
    result = profile(model)
    assert result.unsupported == ("scale (Scale)", "add (keras.ops.Add)")
    assert _row(result, "scale").macs is None
    assert _row(result, "scale").flops is None
    assert result.params == model.count_params() == 3 + 3 * 2 + 2
    assert result.macs == 16 * 2 * 3
    text = format_profile(result)
    assert "?" in text
    assert "MACs not counted for 2 unsupported layers" in text
    assert "scale (Scale), add (keras.ops.Add)" in text


def test_format_profile_shows_rows_totals_and_the_flop_convention():
    inputs = keras.Input((8, 8, 3))
    model = keras.Model(inputs, apply_residual_block(inputs, 8, name="res"))
    result = profile(model)
    text = format_profile(result)
    lines = text.splitlines()
    assert lines[0].split() == [
        "Layer",
        "Class",
        "Output",
        "shape",
        "Params",
        "MACs",
        "Activations",
    ]
    assert len(lines) == 1 + len(result.layers) + 1
    assert "res_1_conv" in lines[1] or "res_shortcut_conv" in lines[1]
    assert f"Total: {result.params:,} parameters" in lines[-1]
    assert "FLOPs (2 per MAC)" in lines[-1]
    assert str(result) == text
    short = format_profile(result, max_rows=3).splitlines()
    assert short[4] == f"… {len(result.layers) - 3} more layers"
    with pytest.raises(ValueError, match="`max_rows` must be a non-negative integer"):
        format_profile(result, max_rows=-1)
    with pytest.raises(TypeError, match="`result` must be a Profile"):
        format_profile("profile")


def test_profile_rejects_models_it_cannot_walk():
    with pytest.raises(TypeError, match="`model` must be a Keras Model"):
        profile("resnet")

    class Subclassed(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(2)

        def call(self, x):
            return self.dense(x)

    subclassed = Subclassed()
    subclassed(keras.ops.zeros((1, 3)))
    with pytest.raises(ValueError, match="must be a Sequential or functional model"):
        profile(subclassed)
    with pytest.raises(ValueError, match="must be a Sequential or functional model"):
        profile(keras.Sequential([keras.layers.Dense(2)]))
    inputs = keras.Input((None, None, 3))
    any_size = keras.Model(inputs, keras.layers.Conv2D(2, 3)(inputs))
    with pytest.raises(ValueError, match="must have a fully defined input shape"):
        profile(any_size)


# --- standard architectures against Keras and the papers --------------------------------------


@pytest.mark.parametrize("name", [*PUBLISHED_MACS, "EfficientNetB0"])
def test_parameters_equal_keras_count_and_every_layer_is_supported(applications, name):
    model = applications[name]
    result = profile(model)
    assert isinstance(result, Profile)
    assert all(isinstance(row, LayerProfile) for row in result.layers)
    assert result.params == model.count_params()
    assert result.unsupported == ()
    assert len(result.layers) == len(model.layers) - 1  # every layer but the input


@pytest.mark.parametrize("name", list(PUBLISHED_MACS))
def test_multiply_accumulates_agree_with_the_papers(applications, name):
    macs = profile(applications[name]).macs
    assert macs == pytest.approx(PUBLISHED_MACS[name], rel=0.03)
