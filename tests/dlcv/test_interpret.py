"""Tests for dlcv.interpret: Grad-CAM, filter visualisation by gradient ascent, overlays."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from dlcv.interpret import (
    grad_cam,
    overlay_heatmap,
    train_face_classifier,
    upsample_heatmap,
    visualize_filter,
)

# --- Grad-CAM -------------------------------------------------------------------------------


def _spot_model(activation=None):
    """A conv layer with fixed weights, global average pooling, and a dense layer in which
    class 0 reads only channel 0 (brightness) and class 1 only channel 1 (darkness)."""
    inputs = keras.Input((8, 8, 1))
    conv = keras.layers.Conv2D(2, 3, padding="same", activation="relu", name="conv")
    x = conv(inputs)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    dense = keras.layers.Dense(2, activation=activation, name="scores")
    outputs = dense(x)
    kernel = np.full((3, 3, 1, 2), 0.5, dtype="float32")
    kernel[1, 1] = 1.0
    kernel[..., 1] *= -1.0
    conv.set_weights([kernel, np.zeros(2, "float32")])
    dense.set_weights([np.eye(2, dtype="float32"), np.zeros(2, "float32")])
    return keras.Model(inputs, outputs)


def _spot_image():
    image = np.zeros((1, 8, 8, 1), dtype="float32")
    image[0, 2, 5, 0] = 1.0
    return image


def test_heatmap_peaks_at_the_bright_spot_that_drives_the_class():
    heatmap = grad_cam(_spot_model(), _spot_image(), layer="conv", class_index=0)
    assert heatmap.shape == (1, 8, 8)
    assert np.unravel_index(heatmap[0].argmax(), (8, 8)) == (2, 5)
    # Hand-worked: alpha = (1/64, 0), so the map is channel 0's response, scaled to peak 1:
    # the kernel centre (1.0) on the spot and 0.5 on its eight neighbours, zero elsewhere.
    expected = np.zeros((8, 8), dtype="float32")
    expected[1:4, 4:7] = 0.5
    expected[2, 5] = 1.0
    np.testing.assert_allclose(heatmap[0], expected, atol=1e-6)


def test_class_without_positive_evidence_gives_an_all_zero_map():
    # Class 1 reads the darkness channel, which a bright spot on black never excites.
    heatmap = grad_cam(_spot_model(), _spot_image(), layer="conv", class_index=1)
    np.testing.assert_array_equal(heatmap, np.zeros((1, 8, 8), dtype="float32"))


def test_default_explains_the_predicted_class():
    heatmap = grad_cam(_spot_model(), _spot_image(), layer="conv")
    np.testing.assert_array_equal(
        heatmap, grad_cam(_spot_model(), _spot_image(), layer="conv", class_index=0)
    )


def _random_model(head="gap", activation=None):
    keras.utils.set_random_seed(1)
    inputs = keras.Input((10, 10, 2))
    x = keras.layers.Conv2D(6, 3, padding="same", activation="relu", name="conv_1")(inputs)
    x = keras.layers.MaxPooling2D(name="pool_1")(x)
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="conv_2")(x)
    if head == "gap":
        x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    else:
        x = keras.layers.Flatten(name="flatten")(x)
        x = keras.layers.Dense(12, activation="tanh", name="hidden")(x)
    outputs = keras.layers.Dense(4, activation=activation, name="scores")(x)
    return keras.Model(inputs, outputs)


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(0).random((5, 10, 10, 2)).astype("float32")


def _direct_grad_cam(model, images, layer, classes):
    """Grad-CAM written out image by image with a GradientTape, as in the paper."""
    extractor = keras.Model(model.inputs[0], [model.get_layer(layer).output, model.outputs[0]])
    maps = []
    for image, c in zip(images, classes, strict=True):
        with tf.GradientTape() as tape:
            features, scores = extractor(image[None], training=False)
            score = scores[0, c]
        grads = tape.gradient(score, features)[0].numpy()
        alpha = grads.mean(axis=(0, 1))
        cam = np.maximum((features[0].numpy() * alpha).sum(axis=-1), 0.0)
        maps.append(cam / cam.max() if cam.max() > 0 else cam)
    return np.stack(maps)


@pytest.mark.parametrize("layer", ["conv_1", "pool_1", "conv_2"])
def test_matches_a_direct_gradient_tape_computation(images, layer):
    model = _random_model(head="dense")
    classes = [0, 1, 2, 3, 1]
    expected = _direct_grad_cam(model, images, layer, classes)
    actual = grad_cam(model, images, layer=layer, class_index=classes, batch_size=2)
    assert actual.dtype == np.float32
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-5)
    assert actual.min() >= 0.0
    # Each map peaks at 1, or is all zeros when nothing speaks for the class.
    assert set(np.round(actual.max(axis=(1, 2)), 5)) <= {0.0, 1.0}


def test_with_global_average_pooling_it_is_zhou_et_al_cam(images):
    # With GAP then a dense layer, d score_c / dA_k(i,j) = W[k, c] / (h w): Grad-CAM is CAM,
    # the dense weights applied to the last feature maps.
    model = _random_model(head="gap")
    features = keras.Model(model.inputs[0], model.get_layer("conv_2").output)(images).numpy()
    weights = model.get_layer("scores").get_weights()[0]
    cam = np.maximum(np.einsum("bhwk,k->bhw", features, weights[:, 2]), 0.0)
    cam /= cam.max(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(
        grad_cam(model, images, layer="conv_2", class_index=2), cam, rtol=1e-4, atol=1e-6
    )


def test_softmax_outputs_are_explained_through_their_logits(images):
    logits_model = _random_model(head="dense")
    softmax_model = _random_model(head="dense", activation="softmax")
    separate = keras.Model(
        logits_model.inputs, keras.layers.Softmax()(logits_model.outputs[0]), name="separate"
    )
    expected = grad_cam(logits_model, images, layer="conv_2", class_index=3)
    for model in (softmax_model, separate):
        np.testing.assert_allclose(
            grad_cam(model, images, layer="conv_2", class_index=3), expected, rtol=1e-5, atol=1e-6
        )
    # The model itself is left as it was: it still outputs probabilities.
    np.testing.assert_allclose(softmax_model(images).numpy().sum(axis=1), 1.0, rtol=1e-5)


def test_predicted_class_and_per_image_classes(images):
    model = _random_model(head="dense")
    predicted = model(images).numpy().argmax(axis=1)
    np.testing.assert_allclose(
        grad_cam(model, images, layer="conv_2"),
        grad_cam(model, images, layer="conv_2", class_index=predicted),
    )
    one = grad_cam(model, images, layer="conv_2", class_index=1)
    np.testing.assert_allclose(
        one, grad_cam(model, images, layer="conv_2", class_index=np.ones(5, dtype=int))
    )


def test_works_when_the_weights_are_frozen(images):
    model = _random_model(head="gap")
    expected = grad_cam(model, images, layer="conv_1", class_index=0)
    model.trainable = False
    np.testing.assert_allclose(grad_cam(model, images, layer="conv_1", class_index=0), expected)


def test_grad_cam_argument_errors(images):
    model = _random_model(head="dense")
    with pytest.raises(TypeError, match=r"must be a Keras Model"):
        grad_cam("model", images, layer="conv_2")
    with pytest.raises(ValueError, match=r"spatial output \(conv_1, pool_1, conv_2\).*'conv_9'"):
        grad_cam(model, images, layer="conv_9")
    with pytest.raises(ValueError, match=r"spatial output of shape.*'hidden' with output shape"):
        grad_cam(model, images, layer="hidden")
    with pytest.raises(ValueError, match=r"an integer in \[0, 4\).*class_index=4"):
        grad_cam(model, images, layer="conv_2", class_index=4)
    with pytest.raises(ValueError, match=r"one such integer per image \(5\)"):
        grad_cam(model, images, layer="conv_2", class_index=[0, 1])
    with pytest.raises(ValueError, match=r"class_index=0.5"):
        grad_cam(model, images, layer="conv_2", class_index=0.5)
    with pytest.raises(ValueError, match=r"shape \(N, 10, 10, 2\).*images.shape=\(5, 10, 10\)"):
        grad_cam(model, images[..., 0], layer="conv_2")
    with pytest.raises(ValueError, match=r"images.shape=\(5, 9, 10, 2\)"):
        grad_cam(model, images[:, :9], layer="conv_2")
    with pytest.raises(ValueError, match=r"positive integer"):
        grad_cam(model, images, layer="conv_2", batch_size=0)


def test_grad_cam_model_errors(images):
    inputs = keras.Input((10, 10, 2))
    x = keras.layers.Conv2D(3, 3, name="conv")(inputs)
    pooled = keras.layers.GlobalAveragePooling2D()(x)
    two_outputs = keras.Model(
        inputs, [keras.layers.Dense(2)(pooled), keras.layers.Dense(3)(pooled)]
    )
    with pytest.raises(ValueError, match=r"single output"):
        grad_cam(two_outputs, images, layer="conv")
    maps_out = keras.Model(inputs, x)
    with pytest.raises(ValueError, match=r"one score per class.*\(None, 8, 8, 3\)"):
        grad_cam(maps_out, images, layer="conv")
    blocked = keras.Model(
        inputs, keras.layers.Dense(2)(keras.ops.stop_gradient(pooled)), name="blocked"
    )
    with pytest.raises(ValueError, match=r"path from the input to the output"):
        grad_cam(blocked, images, layer="conv")


# --- Filter visualisation -------------------------------------------------------------------


def _pixel_model(weight, bias):
    inputs = keras.Input((6, 6, 1))
    conv = keras.layers.Conv2D(1, 1, activation="relu", name="conv")
    model = keras.Model(inputs, conv(inputs))
    conv.set_weights([np.full((1, 1, 1, 1), weight, "float32"), np.full(1, bias, "float32")])
    return model


@pytest.mark.parametrize(("weight", "bias", "optimum"), [(1.0, 0.0, 1.0), (-1.0, 1.0, 0.0)])
def test_ascent_reaches_the_known_optimum_of_a_pixel_detector(weight, bias, optimum):
    # A 1x1 filter that reads brightness is maximised by a white image, one that reads
    # darkness by a black image: the clipped ascent must reach those corners of the box.
    image = visualize_filter(_pixel_model(weight, bias), layer="conv", filter_index=0, steps=20)
    assert image.shape == (6, 6, 1)
    np.testing.assert_allclose(image, optimum, atol=1e-6)


@pytest.fixture(scope="module")
def conv_model():
    keras.utils.set_random_seed(2)
    return keras.Sequential(
        [
            keras.Input((12, 12, 1)),
            keras.layers.Conv2D(4, 3, activation="relu", name="conv_1"),
            keras.layers.MaxPooling2D(name="pool"),
            keras.layers.Conv2D(6, 3, activation="relu", name="conv_2"),
        ]
    )


def _channel_means(model, layer, images):
    maps = keras.Model(model.inputs[0], model.get_layer(layer).output)(images).numpy()
    return maps.mean(axis=(1, 2))


def test_ascent_raises_the_target_channel_well_above_the_starting_noise(conv_model):
    channels = [0, 1, 2, 3, 4, 5]
    found = visualize_filter(conv_model, layer="conv_2", filter_index=channels, seed=3)
    assert found.shape == (6, 12, 12, 1)
    assert found.min() >= 0.0 and found.max() <= 1.0
    noise = np.clip(0.5 + 0.05 * np.random.default_rng(3).standard_normal(found.shape), 0, 1)
    before = _channel_means(conv_model, "conv_2", noise.astype("float32"))
    after = _channel_means(conv_model, "conv_2", found)
    # A reference scale: the best of 200 images of uniform noise over the whole range.
    uniform = np.random.default_rng(1).random((200, 12, 12, 1)).astype("float32")
    best_random = _channel_means(conv_model, "conv_2", uniform).max(axis=0)
    for row, channel in enumerate(channels):
        assert after[row, channel] > before[row, channel] + 0.2
        assert after[row, channel] > 2 * best_random[channel]
        # Each image excites its own channel more than the other images do.
        assert after[row, channel] == pytest.approx(after[:, channel].max())


def test_batched_indices_equal_separate_runs_and_are_reproducible(conv_model):
    batch = visualize_filter(conv_model, layer="conv_1", filter_index=[2, 0], steps=10)
    single = visualize_filter(conv_model, layer="conv_1", filter_index=2, steps=10)
    again = visualize_filter(conv_model, layer="conv_1", filter_index=[2, 0], steps=10)
    np.testing.assert_allclose(batch[0], single, atol=1e-6)
    np.testing.assert_array_equal(batch, again)
    other_range = visualize_filter(
        conv_model, layer="conv_1", filter_index=1, steps=10, value_range=(-1.0, 1.0)
    )
    assert other_range.min() >= -1.0 and other_range.max() <= 1.0


def test_any_size_model_needs_a_size():
    model = keras.Sequential(
        [keras.Input((None, None, 1)), keras.layers.Conv2D(2, 3, activation="relu", name="c")]
    )
    with pytest.raises(ValueError, match=r"`size` must be given"):
        visualize_filter(model, layer="c", filter_index=0)
    assert visualize_filter(model, layer="c", filter_index=1, size=(7, 9), steps=2).shape == (
        7,
        9,
        1,
    )


def test_visualize_filter_argument_errors(conv_model):
    def call(**overrides):
        options = {"layer": "conv_2", "filter_index": 0, "steps": 2, **overrides}
        return visualize_filter(conv_model, **options)

    with pytest.raises(ValueError, match=r"\(conv_1, pool, conv_2\).*layer='dense'"):
        call(layer="dense")
    with pytest.raises(ValueError, match=r"integer in \[0, 6\).*filter_index=6"):
        call(filter_index=6)
    with pytest.raises(ValueError, match=r"filter_index=\[\]"):
        call(filter_index=[])
    with pytest.raises(ValueError, match=r"match the model's input size \(12, 12\)"):
        call(size=(10, 10))
    with pytest.raises(ValueError, match=r"`size` must be .* \(height, width\) pair"):
        call(size=(12, 0))
    with pytest.raises(ValueError, match=r"positive number.*step_size=0"):
        call(step_size=0)
    with pytest.raises(TypeError, match=r"positive number.*step_size='0\.1'"):
        call(step_size="0.1")
    with pytest.raises(ValueError, match=r"low < high"):
        call(value_range=(1.0, 0.0))
    with pytest.raises(TypeError, match=r"steps"):
        call(steps=2.5)


# --- Heatmap helpers ------------------------------------------------------------------------


def test_upsample_matches_tensorflow_bilinear_resize():
    heatmaps = np.random.default_rng(0).random((3, 4, 5)).astype("float32")
    expected = tf.image.resize(heatmaps[..., None], (9, 11), method="bilinear")[..., 0].numpy()
    actual = upsample_heatmap(heatmaps, (9, 11))
    assert actual.shape == (3, 9, 11)
    np.testing.assert_allclose(actual, expected, atol=1e-6)
    np.testing.assert_allclose(upsample_heatmap(heatmaps[1], (9, 11)), expected[1], atol=1e-6)
    with pytest.raises(ValueError, match=r"heatmaps.shape=\(4,\)"):
        upsample_heatmap(np.zeros(4), (2, 2))
    with pytest.raises(ValueError, match=r"\(height, width\) pair of them"):
        upsample_heatmap(heatmaps, (9,))
    with pytest.raises(TypeError, match=r"`size` must be .* Received: size=9\.0"):
        upsample_heatmap(heatmaps, 9.0)
    # One integer is a square, as every other size argument of dlcv takes it.
    assert upsample_heatmap(heatmaps, 7).shape == (3, 7, 7)


def test_overlay_blends_the_coloured_heatmap_over_the_image():
    from matplotlib import colormaps

    image = np.full((4, 4), 0.2, dtype="float32")
    heatmap = np.array([[0.0, 1.0], [1.0, 0.0]], dtype="float32")
    blended = overlay_heatmap(image, heatmap, alpha=0.25, cmap="viridis")
    assert blended.shape == (4, 4, 3) and blended.dtype == np.float32
    coloured = colormaps["viridis"](upsample_heatmap(heatmap, (4, 4)))[..., :3]
    np.testing.assert_allclose(blended, 0.75 * 0.2 + 0.25 * coloured, atol=1e-6)
    rgb = overlay_heatmap(np.zeros((4, 4, 3)), heatmap)
    assert rgb.shape == (4, 4, 3)


def test_overlay_argument_errors():
    heatmap = np.zeros((2, 2))
    with pytest.raises(ValueError, match=r"values in \[0, 1\].*image"):
        overlay_heatmap(np.full((4, 4), 255.0), heatmap)
    with pytest.raises(ValueError, match=r"image.shape=\(4, 4, 2\)"):
        overlay_heatmap(np.zeros((4, 4, 2)), heatmap)
    with pytest.raises(ValueError, match=r"heatmap.shape"):
        overlay_heatmap(np.zeros((4, 4)), np.zeros((1, 2, 2)))
    with pytest.raises(ValueError, match=r"strictly between 0 and 1"):
        overlay_heatmap(np.zeros((4, 4)), heatmap, alpha=1.5)
    with pytest.raises(ValueError, match=r"colormap.*'nope'"):
        overlay_heatmap(np.zeros((4, 4)), heatmap, cmap="nope")


def test_a_nested_base_model_can_be_the_layer(images):
    # Transfer learning wraps a convolutional base as one layer: its output maps are the
    # last feature maps, and Grad-CAM at the base equals Grad-CAM at its last layer.
    keras.utils.set_random_seed(4)
    base = keras.Sequential(
        [keras.Input((10, 10, 2)), keras.layers.Conv2D(5, 3, activation="relu", name="inner")],
        name="base",
    )
    inputs = keras.Input((10, 10, 2))
    x = keras.layers.GlobalAveragePooling2D()(base(inputs))
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(x))
    heatmaps = grad_cam(model, images, layer="base", class_index=2)
    flat = keras.Sequential(
        [
            keras.Input((10, 10, 2)),
            keras.layers.Conv2D(5, 3, activation="relu", name="inner"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(3),
        ]
    )
    flat.set_weights(model.get_weights())
    expected = grad_cam(flat, images, layer="inner", class_index=2)
    np.testing.assert_allclose(heatmaps, expected, rtol=1e-5, atol=1e-6)


def test_ascent_leaves_the_model_unchanged_and_reads_activation_layers(conv_model):
    before = [w.copy() for w in conv_model.get_weights()]
    visualize_filter(conv_model, layer="conv_2", filter_index=1, steps=3)
    for old, new in zip(before, conv_model.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)
    assert conv_model.get_layer("conv_2").activation is keras.activations.relu
    # A separate ReLU layer is a valid target; its silent channels follow its input.
    keras.utils.set_random_seed(5)
    model = keras.Sequential(
        [
            keras.Input((12, 12, 1)),
            keras.layers.Conv2D(3, 3, name="conv"),
            keras.layers.ReLU(name="relu"),
        ]
    )
    found = visualize_filter(model, layer="relu", filter_index=[0, 1, 2], steps=30)
    after = _channel_means(model, "relu", found)
    assert np.all(np.diag(after) > 0.1)


# --- The face classifier of the page ------------------------------------------------------


def test_face_classifier_holds_out_crops_of_each_kind_and_learns_the_rest():
    keras.utils.set_random_seed(0)
    model, crops, labels, faces, backgrounds = train_face_classifier(
        np.random.default_rng(0), held_out=20
    )
    assert crops.shape == (200, 25, 25, 1) and crops.dtype == np.float32
    assert crops.min() >= 0.0 and crops.max() <= 1.0
    np.testing.assert_array_equal(labels, np.repeat([1, 0], 100))
    assert len(set(faces)) == len(set(backgrounds)) == 20
    assert np.all(labels[faces] == 1) and np.all(labels[backgrounds] == 0)
    # The same generator state holds out the same crops.
    rng = np.random.default_rng(0)
    expected_faces, expected_backgrounds = rng.permutation(100), 100 + rng.permutation(100)
    np.testing.assert_array_equal(faces, expected_faces[:20])
    np.testing.assert_array_equal(backgrounds, expected_backgrounds[:20])
    # Faces and background are easy to tell apart: far above chance on unseen crops.
    held_out = np.concatenate([faces, backgrounds])
    predicted = model.predict(crops[held_out], verbose=0).argmax(axis=1)
    assert np.mean(predicted == labels[held_out]) > 0.75
    assert [layer.name for layer in model.layers if "conv" in layer.name] == [
        "conv_1",
        "conv_2",
        "conv_3",
    ]
    assert model.predict(crops[:1, :20, :20], verbose=0).shape == (1, 2)  # any size


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"rng": 0}, TypeError, r"`rng` must be a numpy.random.Generator.*Received: rng=0"),
        ({"held_out": 0}, ValueError, r"held_out.*Received: held_out=0"),
        ({"held_out": 100}, ValueError, r"held_out.*Received: held_out=100"),
        ({"held_out": 2.5}, TypeError, r"held_out.*Received: held_out=2.5"),
        ({"epochs": 0}, ValueError, r"epochs.*Received: epochs=0"),
    ],
)
def test_face_classifier_rejects_bad_arguments(kwargs, error, message):
    arguments = {"rng": np.random.default_rng(0)} | kwargs
    with pytest.raises(error, match=message):
        train_face_classifier(**arguments)
