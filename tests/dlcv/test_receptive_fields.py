"""Tests for dlcv.receptive_fields: how far a convnet's units see."""

import keras
import pytest

from dlcv.receptive_fields import ReceptiveField, format_receptive_field, receptive_field


@pytest.fixture(scope="module")
def vgg16():
    return keras.applications.VGG16(weights=None, input_shape=(224, 224, 3))


def test_receptive_field_of_a_chain_of_layers():
    result = receptive_field([(3, 1), (3, 1), (2, 2), (3, 1), (3, 1, 2)])
    assert isinstance(result, ReceptiveField)
    assert [step.size for step in result.steps] == [(3,), (5,), (6,), (10,), (18,)]
    assert [step.jump for step in result.steps] == [(1,), (1,), (2,), (2,), (2,)]
    assert (result.size, result.jump) == ((18,), (2,))
    assert result.steps[-1].dilation == (2,)
    assert receptive_field([]).size == (1,)


def test_vgg16_receptive_field_grows_to_212_pixels(vgg16):
    # Five blocks of 3x3 convolutions ending in 2x2 pooling: 1 + 2+2+1 + 4+4+2 + 3*8+4
    # + 3*16+8 + 3*32+16 = 212 pixels, with a jump of 2**5 = 32.
    result = receptive_field(vgg16)
    pool5 = next(step for step in result.steps if step.name == "block5_pool")
    assert (pool5.size, pool5.jump) == ((212, 212), (32, 32))
    conv1 = result.steps[0]
    assert (conv1.kernel, conv1.stride, conv1.dilation, conv1.size) == (
        (3, 3),
        (1, 1),
        (1, 1),
        (3, 3),
    )
    flatten = next(step for step in result.steps if step.name == "flatten")
    assert flatten.size is None and flatten.kernel is None
    assert result.size is None  # the classifier sees the whole image


def test_receptive_field_takes_the_largest_path_and_walks_nested_models():
    inputs = keras.Input((32, 32, 3))
    deep = keras.layers.Conv2D(4, 3, padding="same", name="a")(inputs)
    deep = keras.layers.Conv2D(4, 3, padding="same", name="b")(deep)
    skip = keras.layers.Conv2D(4, 1, name="skip")(inputs)
    joined = keras.layers.Add(name="join")([skip, deep])
    inner = keras.Sequential(
        [keras.Input((32, 32, 4)), keras.layers.Conv2D(4, (1, 7), strides=(1, 2), name="wide")],
        name="inner",
    )
    result = receptive_field(keras.Model(inputs, inner(joined)))
    steps = {step.name: step for step in result.steps}
    assert steps["join"].size == (5, 5)
    assert steps["inner/wide"].size == (5, 11)
    assert (result.size, result.jump) == ((5, 11), (1, 2))
    text = format_receptive_field(result)
    assert text.splitlines()[0].split()[:3] == ["Layer", "Kernel", "Stride"]
    assert "inner/wide" in text and "1x7" in text and "5x11" in text
    assert str(result) == text


def test_receptive_field_rejects_what_it_cannot_compute():
    inputs = keras.Input((8, 8, 3))
    upsampled = keras.layers.UpSampling2D(name="up")(inputs)
    with pytest.raises(ValueError, match=r"Received: up \(UpSampling2D\)"):
        receptive_field(keras.Model(inputs, upsampled))
    with pytest.raises(ValueError, match="must hold \\(kernel, stride\\)"):
        receptive_field([(3,)])
    with pytest.raises(ValueError, match=r"`layers\[1\]` must be a positive integer"):
        receptive_field([(3, 1), (3, 0)])
    with pytest.raises(TypeError, match="`layers` must be a Keras model or a list"):
        receptive_field("vgg")
    with pytest.raises(TypeError, match="`result` must be a ReceptiveField"):
        format_receptive_field("field")
