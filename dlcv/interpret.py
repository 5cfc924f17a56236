"""See what a trained convnet responds to: inputs that excite a
channel, and Grad-CAM heatmaps.

Two questions about a trained image classifier have gradient answers. What input pattern
makes one channel of a layer respond most strongly? `visualize_filter` finds one by
gradient ascent on the input. Which regions of this image made the model choose this
class? `grad_cam` weights a convolutional layer's feature maps by the gradient of the
class score and keeps the positive part. The intermediate activations themselves are
read with `dlcv.probing.layer_outputs`. `train_face_classifier` trains the small face
classifier that the page on what a convnet sees looks into.

Every function here works on Keras models with a single input that takes images as
(batch, height, width, channels) arrays, the Keras default `channels_last` layout.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any, NamedTuple

import keras
import numpy as np
import tensorflow as tf
from matplotlib import colormaps

from dlcv._keras_graph import check_model_inputs
from dlcv._validation import (
    _is_int,
    check_fraction,
    check_non_empty_str,
    check_non_negative_int,
    check_positive_int,
    check_positive_number,
    check_size_pair,
    check_value_range,
)

__all__ = [
    "FaceClassifier",
    "grad_cam",
    "overlay_heatmap",
    "train_face_classifier",
    "upsample_heatmap",
    "visualize_filter",
]


def _single_input(model: Any) -> Any:
    """Return the model's one symbolic input, or raise a precise error."""
    inputs = check_model_inputs(model)
    if len(inputs) != 1:
        raise ValueError(
            f"`model` must have a single image input. Received: model={model.name!r} "
            f"with {len(inputs)} inputs"
        )
    if len(inputs[0].shape) != 4:
        raise ValueError(
            "`model` must take images of shape (batch, height, width, channels). "
            f"Received: model={model.name!r} with input shape {tuple(inputs[0].shape)}"
        )
    return inputs[0]


def _output_shape(layer: keras.layers.Layer) -> tuple[int | None, ...] | None:
    """The shape of a layer's single output, or None if it has several (or none)."""
    try:
        output = layer.output
    except (AttributeError, ValueError):
        return None
    if isinstance(output, list | tuple | dict):
        return None
    return tuple(output.shape)


def _spatial_layer(model: keras.Model, layer: Any) -> keras.layers.Layer:
    """Return the named layer if its output is a stack of feature maps (rank 4)."""
    name = check_non_empty_str(layer, "layer")
    spatial = [
        candidate.name
        for candidate in model.layers
        if not isinstance(candidate, keras.layers.InputLayer)
        and (shape := _output_shape(candidate)) is not None
        and len(shape) == 4
    ]
    names = [candidate.name for candidate in model.layers]
    if name not in names:
        raise ValueError(
            "`layer` must name a layer of the model with a spatial output "
            f"({', '.join(spatial) or 'none'}). Received: layer={name!r}"
        )
    found = model.get_layer(name)
    shape = _output_shape(found)
    if shape is None or len(shape) != 4 or isinstance(found, keras.layers.InputLayer):
        received = (
            "an input layer"
            if isinstance(found, keras.layers.InputLayer)
            else (f"output shape {shape}" if shape is not None else "several outputs")
        )
        raise ValueError(
            "`layer` must name a layer with a spatial output of shape (batch, height, "
            f"width, channels), such as {', '.join(spatial) or 'none'}. Received: "
            f"layer={name!r} with {received}"
        )
    return found


def _check_images(model_input: Any, images: Any) -> np.ndarray:
    """Return `images` as float32 if its shape fits the model's input."""
    array = np.asarray(images, dtype=np.float32)
    expected = tuple(model_input.shape[1:])
    wanted = "(N, " + ", ".join("any" if d is None else str(d) for d in expected) + ")"
    fits = array.ndim == 4 and all(
        want is None or want == got
        for want, got in zip(expected, array.shape[1:], strict=True)
    )
    if not fits or len(array) == 0:
        raise ValueError(
            f"`images` must be a non-empty array of shape {wanted} to fit the model's "
            f"input. Received: images.shape={array.shape}"
        )
    if not np.all(np.isfinite(array)):
        raise ValueError(
            "`images` must hold finite values. Received: images with NaN or inf"
        )
    return array


_ACTIVATION_LAYERS = (
    keras.layers.Activation,
    keras.layers.ELU,
    keras.layers.LeakyReLU,
    keras.layers.PReLU,
    keras.layers.ReLU,
    keras.layers.Softmax,
)


def _linear_copy(layer: keras.layers.Layer) -> Any:
    """The layer's output without its built-in activation, as a new symbolic tensor.

    A copy of the layer with a linear activation is applied to the layer's input and
    given the layer's weight values; the model the layer belongs to is never modified.
    """
    config = {**layer.get_config(), "activation": "linear"}
    config.pop("name", None)
    linear = type(layer).from_config(config)
    output = linear(layer.input)
    linear.set_weights(layer.get_weights())
    return output


def _pre_activation(layer: keras.layers.Layer) -> Any:
    """The symbolic output of `layer` before its activation function, if it has one."""
    if isinstance(layer, _ACTIVATION_LAYERS):
        return layer.input
    activation = getattr(layer, "activation", None)
    if activation is None or activation is keras.activations.linear:
        return layer.output
    if "activation" not in layer.get_config():
        return layer.output
    return _linear_copy(layer)


def _is_softmax(layer: keras.layers.Layer) -> bool:
    if isinstance(layer, keras.layers.Softmax):
        return True
    return getattr(layer, "activation", None) is keras.activations.softmax


def _class_scores(model: keras.Model) -> Any:
    """The symbolic per-class scores Grad-CAM
    differentiates: the logits before a softmax.

    A model that ends in a softmax (a layer with `activation="softmax"`, or a separate
    `Softmax` or `Activation("softmax")` layer) is read just before it; any other
    output is used as it is.
    """
    outputs = model.outputs
    if len(outputs) != 1:
        raise ValueError(
            f"`model` must have a single output. Received: model={model.name!r} with "
            f"{len(outputs)} outputs"
        )
    last = model.layers[-1]
    if (
        _output_shape(last) is None
        or last.output is not outputs[0]
        or not _is_softmax(last)
    ):
        return outputs[0]
    return _pre_activation(last)


def _check_class_index(class_index: Any, count: int, classes: int) -> np.ndarray | None:
    """Return one class index per image (or None for the predicted class)."""
    if class_index is None:
        return None
    values = np.asarray(class_index)
    integral = values.dtype.kind in "iu" or (
        values.ndim == 0 and isinstance(class_index, numbers.Integral)
    )
    if (
        not integral
        or isinstance(class_index, bool | np.bool_)
        or values.ndim > 1
        or (values.ndim == 1 and len(values) != count)
        or np.any(values < 0)
        or np.any(values >= classes)
    ):
        raise ValueError(
            f"`class_index` must be None, an integer in [0, {classes}) or one such "
            f"integer per image ({count}). Received: class_index={class_index!r}"
        )
    return np.broadcast_to(values, (count,)).astype(np.int32)


# --8<-- [start:grad_cam]
def _grad_cam_batch(
    extractor: keras.Model, images: tf.Tensor, classes: tf.Tensor | None
) -> tf.Tensor:
    with tf.GradientTape() as tape:
        # Watching the input records every operation, even in a model
        # whose weights are frozen.
        tape.watch(images)
        feature_maps, scores = extractor(images, training=False)
        if classes is None:
            classes = tf.argmax(
                scores, axis=-1, output_type=tf.int32
            )  # the predicted class
        class_scores = tf.gather(scores, classes, axis=1, batch_dims=1)
        # Each image's score depends only on its own feature maps (inference
        # mode), so the gradient of the sum gives every image its own gradient
        # in one backward pass.
        total = tf.reduce_sum(tf.cast(class_scores, tf.float32))
    gradients = tape.gradient(total, feature_maps)
    if gradients is None:
        raise ValueError("The class scores do not depend on the chosen `layer`.")
    feature_maps = tf.cast(feature_maps, tf.float32)
    # alpha_k: how much the class score rises, on average over
    # positions, per unit of map k.
    weights = tf.reduce_mean(tf.cast(gradients, tf.float32), axis=(1, 2))
    # The weighted sum of the maps; ReLU keeps what speaks *for* the class.
    heatmaps = tf.nn.relu(tf.einsum("bhwk,bk->bhw", feature_maps, weights))
    peak = tf.reduce_max(heatmaps, axis=(1, 2), keepdims=True)
    return tf.math.divide_no_nan(heatmaps, peak)  # each map scaled to [0, 1]
    # --8<-- [end:grad_cam]


def grad_cam(
    model: keras.Model,
    images: np.ndarray,
    *,
    layer: str,
    class_index: int | Sequence[int] | np.ndarray | None = None,
    batch_size: int = 64,
) -> np.ndarray:
    """Compute Grad-CAM heatmaps: where in each image the evidence for a class lies.

    Following Selvaraju et al. (2017), the gradient of the class score with respect to
    the chosen layer's feature maps $A^k$ is averaged over positions to weigh each map,
    $\\alpha_k = \\operatorname{mean}_{i,j} \\partial y^c / \\partial A^k_{ij}$, and
    the heatmap is $\\mathrm{ReLU}(\\sum_k \\alpha_k A^k)$. The score $y^c$ is the
    class's logit: a model that ends in a softmax (a layer with `activation="softmax"`
    or a `Softmax` layer) is read just before it, without modifying the model. The
    softmax's gradient would mix in the other classes' evidence and fade to zero once
    the model is confident. A model that ends in anything else (logits, a sigmoid) is
    used as it is; a sigmoid only rescales each image's gradients, which the
    normalisation below cancels.

    The model runs in inference mode. Each heatmap is divided by its largest value, so
    it lies in [0, 1]; a map with no positive evidence is all zeros.

    Args:
        model: a built Keras model with one image input (batch, height, width, channels)
            and one output of class scores (batch, classes).
        images: the images, shaped like the model's input.
        layer: the name of a layer with a spatial output (usually the last convolutional
            layer, whose maps are the most class-specific and still keep a layout).
        class_index: the class to explain: `None` for each image's predicted class, one
            integer for all images, or one integer per image. Defaults to `None`.
        batch_size: images per backward pass. Defaults to 64.

    Returns:
        A float32 array of shape (N, h, w): one heatmap per image at the
        resolution of the layer's feature maps (h x w). Use `upsample_heatmap` to
        bring it to the image size.

    Raises:
        TypeError: if `model` is not a Keras model, `layer` not a string or
            `batch_size` not an integer.
        ValueError: if the model has no single image input or several outputs, `layer`
            is not one of its layers (the message lists the layers with a spatial
            output) or has no spatial output, `images` does not fit the model's input,
            or `class_index` is not a valid class.

    Examples:
        >>> keras.utils.set_random_seed(0)
        >>> model = keras.Sequential(
        ...     [
        ...         keras.Input((8, 8, 1)),
        ...         keras.layers.Conv2D(
        ...             4, 3, padding="same", activation="relu", name="conv"
        ...         ),
        ...         keras.layers.GlobalAveragePooling2D(),
        ...         keras.layers.Dense(3, activation="softmax"),
        ...     ]
        ... )
        >>> images = np.random.default_rng(0).random((2, 8, 8, 1))
        >>> heatmaps = grad_cam(model, images, layer="conv", class_index=1)
        >>> heatmaps.shape, bool(heatmaps.min() >= 0.0 and heatmaps.max() <= 1.0)
        ((2, 8, 8), True)

    See: [What a convnet sees](../vision/what-a-convnet-sees.md)
    """
    model_input = _single_input(model)
    target = _spatial_layer(model, layer)
    batch_size = check_positive_int(batch_size, "batch_size")
    array = _check_images(model_input, images)
    scores = _class_scores(model)
    if len(scores.shape) != 2:
        raise ValueError(
            "`model` must output one score per class, of shape (batch, classes). "
            f"Received: model={model.name!r} with output shape {tuple(scores.shape)}"
        )
    classes = _check_class_index(class_index, len(array), int(scores.shape[-1]))
    extractor = keras.Model(inputs=model_input, outputs=[target.output, scores])
    pieces = []
    for start in range(0, len(array), batch_size):
        batch = tf.constant(array[start : start + batch_size])
        chosen = (
            None
            if classes is None
            else tf.constant(classes[start : start + batch_size])
        )
        try:
            pieces.append(_grad_cam_batch(extractor, batch, chosen).numpy())
        except ValueError as error:
            if "do not depend" not in str(error):
                raise
            raise ValueError(
                "`layer` must lie on the path from the input to the output. "
                f"Received: layer={layer!r}, which the class scores do not depend on"
            ) from None
    return np.concatenate(pieces).astype(np.float32)


def upsample_heatmap(heatmaps: np.ndarray, size: int | tuple[int, int]) -> np.ndarray:
    """Resize heatmaps to an image's size with bilinear interpolation.

    Args:
        heatmaps: one heatmap (h, w) or a stack of them (N, h, w), e.g. from `grad_cam`.
        size: the target (height, width), or one integer for a square.

    Returns:
        A float32 array of shape (height, width) or (N, height, width), with values
        between the smallest and largest input values.

    Raises:
        TypeError: if `size` is not an integer or a pair of them.
        ValueError: if `heatmaps` is not of rank 2 or 3 or `size` is not one or two
            positive integers.

    Examples:
        >>> upsample_heatmap(np.eye(2), (4, 4)).round(2)
        array([[1.  , 0.75, 0.25, 0.  ],
               [0.75, 0.62, 0.38, 0.25],
               [0.25, 0.38, 0.62, 0.75],
               [0.  , 0.25, 0.75, 1.  ]], dtype=float32)

    See: [What a convnet sees](../vision/what-a-convnet-sees.md)
    """
    array = np.asarray(heatmaps, dtype=np.float32)
    if array.ndim not in (2, 3):
        raise ValueError(
            "`heatmaps` must have shape (h, w) or (N, h, w). "
            f"Received: heatmaps.shape={array.shape}"
        )
    height, width = check_size_pair(size, "size")
    stack = array[None] if array.ndim == 2 else array
    resized = tf.image.resize(stack[..., None], (height, width), method="bilinear")[
        ..., 0
    ]
    # Bilinear interpolation never leaves the input's range, up to rounding.
    result: np.ndarray = np.clip(resized.numpy(), stack.min(), stack.max()).astype(
        np.float32
    )
    return result[0] if array.ndim == 2 else result


def overlay_heatmap(
    image: np.ndarray,
    heatmap: np.ndarray,
    *,
    alpha: float = 0.5,
    cmap: str = "inferno",
) -> np.ndarray:
    """Blend a heatmap, coloured and resized to the image, over the image.

    Args:
        image: a grey (H, W) or (H, W, 1), or colour (H, W, 3) image
            with values in [0, 1].
        heatmap: an (h, w) heatmap with values in [0, 1], e.g. one of `grad_cam`'s; it
            is resized bilinearly to (H, W).
        alpha: the heatmap's weight in the blend, strictly between 0
            and 1. Defaults to 0.5.
        cmap: the name of a Matplotlib colormap for the heatmap.
            Defaults to `"inferno"`.

    Returns:
        An (H, W, 3) float32 RGB image with values in [0, 1], ready for `imshow`.

    Raises:
        TypeError: if `alpha` is not a number.
        ValueError: if `image` or `heatmap` has the wrong shape or values outside [0,
            1], `alpha` is not strictly between 0 and 1, or `cmap` is not a
            Matplotlib colormap.

    Examples:
        >>> blended = overlay_heatmap(np.zeros((4, 4)), np.ones((2, 2)), alpha=0.5)
        >>> blended.shape, bool(blended.max() <= 1.0)
        ((4, 4, 3), True)

    See: [What a convnet sees](../vision/what-a-convnet-sees.md)
    """
    picture = np.asarray(image, dtype=np.float32)
    if picture.ndim == 3 and picture.shape[-1] == 1:
        picture = picture[..., 0]
    if picture.ndim == 2:
        picture = np.repeat(picture[..., None], 3, axis=-1)
    if picture.ndim != 3 or picture.shape[-1] != 3:
        raise ValueError(
            "`image` must have shape (H, W), (H, W, 1) or (H, W, 3). "
            f"Received: image.shape={np.shape(image)}"
        )
    heat = np.asarray(heatmap, dtype=np.float32)
    if heat.ndim != 2:
        raise ValueError(
            f"`heatmap` must have shape (h, w). Received: heatmap.shape={heat.shape}"
        )
    for name, values in (("image", picture), ("heatmap", heat)):
        if not np.all(np.isfinite(values)) or values.min() < 0.0 or values.max() > 1.0:
            raise ValueError(
                f"`{name}` must hold values in [0, 1]. Received: {name} with values in "
                f"[{values.min():g}, {values.max():g}]"
            )
    alpha = check_fraction(alpha, "alpha")
    if cmap not in colormaps:
        raise ValueError(
            "`cmap` must name a Matplotlib colormap (e.g. 'inferno', 'jet'). Received: "
            f"cmap={cmap!r}"
        )
    heat = upsample_heatmap(heat, picture.shape[:2])
    coloured = np.asarray(colormaps[cmap](heat), dtype=np.float32)[..., :3]
    return np.clip((1.0 - alpha) * picture + alpha * coloured, 0.0, 1.0).astype(
        np.float32
    )


def _check_filter_indices(filter_index: Any, channels: int) -> list[int]:
    many = isinstance(filter_index, Sequence | np.ndarray) and not isinstance(
        filter_index, str
    )
    indices: list[Any] = (
        [filter_index] if _is_int(filter_index) else list(filter_index) if many else []
    )
    valid = bool(indices) and all(
        _is_int(i) and 0 <= int(i) < channels for i in indices
    )
    if not valid:
        raise ValueError(
            f"`filter_index` must be an integer in [0, {channels}) or a non-empty "
            f"sequence of them (the layer has {channels} channels). Received: "
            f"filter_index={filter_index!r}"
        )
    return [int(i) for i in indices]


# --8<-- [start:gradient_ascent]
def _own_channel(
    maps: tf.Tensor, channels: tf.Tensor, reduce: Any = tf.reduce_mean
) -> tf.Tensor:
    """Reduce each image's maps over positions, for its own
    channel: image i, channels[i].
    """
    values = reduce(tf.cast(maps, tf.float32), axis=(1, 2))
    return tf.gather(values, channels, axis=1, batch_dims=1)


def _ascend(
    extractor: keras.Model,
    start: np.ndarray,
    channels: tf.Tensor,
    *,
    steps: int,
    step: float,
    low: float,
    high: float,
) -> np.ndarray:
    image = tf.Variable(start)
    for _ in range(steps):
        with tf.GradientTape() as tape:
            activations, responses = extractor(image, training=False)
            # A channel that is zero everywhere (a ReLU below threshold at every
            # position) has no gradient: follow its response before the
            # activation until it wakes.
            silent = _own_channel(activations, channels, tf.reduce_max) <= 0.0
            objective = tf.reduce_sum(
                tf.where(
                    tf.stop_gradient(silent),
                    _own_channel(responses, channels),
                    _own_channel(activations, channels),
                )
            )
        gradient = tape.gradient(objective, image)
        # Unit root-mean-square gradient per image: `step` is then a pixel change,
        # whatever the scale of the activations.
        rms = tf.sqrt(
            tf.reduce_mean(tf.square(gradient), axis=(1, 2, 3), keepdims=True)
        )
        # Clipping keeps a valid image: without a bound the activation of a ReLU network
        # grows without limit as the pixels do.
        image.assign(
            tf.clip_by_value(
                image + step * tf.math.divide_no_nan(gradient, rms), low, high
            )
        )
    return np.asarray(image.numpy())
    # --8<-- [end:gradient_ascent]


def visualize_filter(
    model: keras.Model,
    *,
    layer: str,
    filter_index: int | Sequence[int],
    size: int | tuple[int, int] | None = None,
    steps: int = 60,
    step_size: float = 0.05,
    value_range: tuple[float, float] = (0.0, 1.0),
    seed: int = 0,
) -> np.ndarray:
    """Find an input that makes one channel of a layer
    respond strongly, by gradient ascent.

    This is activation maximisation (Erhan et al., 2009): start from faint noise
    around the middle of `value_range` and repeatedly move the input along the
    gradient of the channel's mean response over all positions. Each step changes the
    pixels by `step_size` times the width of `value_range` (root mean square over the
    image), and the pixels are clipped to `value_range`, which plays the role of Erhan
    et al.'s bound on the input's norm. No other regularisation is applied, so the
    result shows what the channel responds to, including high-frequency patterns a
    person would not call natural (Olah et al., 2017, discuss regularisers that trade
    this faithfulness for legibility).

    A ReLU has zero gradient wherever it outputs zero, so a channel that is silent at
    every position of the starting noise would never move. While that is so for an
    image, its ascent follows the channel's mean response before the activation function
    instead (the input of an activation layer, or a layer with a built-in activation
    computed without it, on a copy: the model is not modified), and switches back once
    the channel responds somewhere.

    Args:
        model: a built Keras model with one image input (batch,
            height, width, channels).
        layer: the name of a layer with a spatial output.
        filter_index: the channel to maximise, or a sequence of channels, each maximised
            in its own image in one batch.
        size: the (height, width) of the input to optimise, or one integer for a
            square. Defaults to `None`, meaning
            the model's input size (required when the model accepts any size).
        steps: the number of gradient-ascent steps. Defaults to 60.
        step_size: the pixel change per step, as a fraction of the range of values.
            Defaults to 0.05.
        value_range: the (low, high) range of valid pixel values, the range the model
            was trained on. Defaults to (0.0, 1.0).
        seed: the seed of the starting noise. Defaults to 0.

    Returns:
        A float32 array: one image (height, width, channels) for a single
        `filter_index`, or a stack (K, height, width, channels) for a
        sequence of K indices.

    Raises:
        TypeError: if `model` is not a Keras model, `layer` not a string, `steps` or
            `seed` not an integer, or `step_size` not a number.
        ValueError: if `layer` is not a layer of the model with a spatial output
            (the message lists those), `filter_index` is not a channel of it, `size`
            is missing or differs from the model's fixed input size, or a numeric
            option is out of range.

    Examples:
        >>> keras.utils.set_random_seed(0)
        >>> model = keras.Sequential(
        ...     [
        ...         keras.Input((8, 8, 1)),
        ...         keras.layers.Conv2D(4, 3, activation="relu", name="conv"),
        ...     ]
        ... )
        >>> image = visualize_filter(model, layer="conv", filter_index=2, steps=5)
        >>> image.shape, bool(image.min() >= 0.0 and image.max() <= 1.0)
        ((8, 8, 1), True)

    See: [What a convnet sees](../vision/what-a-convnet-sees.md)
    """
    model_input = _single_input(model)
    target = _spatial_layer(model, layer)
    indices = _check_filter_indices(filter_index, int(target.output.shape[-1]))
    steps = check_positive_int(steps, "steps")
    seed = check_non_negative_int(seed, "seed")
    step = check_positive_number(step_size, "step_size")
    low, high = check_value_range(value_range)
    fixed = tuple(model_input.shape[1:3])
    if size is None:
        if None in fixed:
            raise ValueError(
                "`size` must be given for a model that accepts images of any size. "
                "Received: size=None"
            )
        height, width = int(fixed[0]), int(fixed[1])
    else:
        height, width = check_size_pair(size, "size")
        if any(
            f is not None and f != s
            for f, s in zip(fixed, (height, width), strict=True)
        ):
            raise ValueError(
                f"`size` must match the model's input size {fixed}. Received: "
                f"size={size!r}"
            )
    depth = model_input.shape[-1]
    if depth is None:
        raise ValueError(
            "`model` must fix the number of input channels. Received: "
            f"model={model.name!r} with input shape {tuple(model_input.shape)}"
        )

    rng = np.random.default_rng(seed)
    span = high - low
    noise = rng.standard_normal((len(indices), height, width, int(depth)))
    start = np.clip(low + span * (0.5 + 0.05 * noise), low, high).astype(np.float32)
    extractor = keras.Model(
        inputs=model_input, outputs=[target.output, _pre_activation(target)]
    )
    images = _ascend(
        extractor,
        start,
        tf.constant(indices, dtype=tf.int32),
        steps=steps,
        step=step * span,
        low=low,
        high=high,
    ).astype(np.float32)
    return images[0] if _is_int(filter_index) else images


class FaceClassifier(NamedTuple):
    """A small face classifier, the crops it was trained on and the ones held out.

    Attributes:
        model: the trained Keras model: grey images of any size in, the probabilities of
            'not a face' (class 0) and 'face' (class 1) out.
        crops: the 200 float32 crops of scikit-image's LFW subset, shape (200, 25, 25,
            1), values in [0, 1]: the first 100 faces, the last 100 background.
        labels: the label of each crop, shape (200,): 1 for a face, 0 for background.
        faces: the indices into `crops` of the held-out faces.
        backgrounds: the indices into `crops` of the held-out background crops.

    See: [What a convnet sees](../vision/what-a-convnet-sees.md)
    """

    model: keras.Model
    crops: np.ndarray
    labels: np.ndarray
    faces: np.ndarray
    backgrounds: np.ndarray


def train_face_classifier(
    rng: np.random.Generator, *, held_out: int = 25, epochs: int = 20
) -> FaceClassifier:
    """Train a small convnet to tell faces from background on scikit-image's LFW subset.

    The subset holds 200 grey 25x25 crops from Labeled Faces in the Wild, the first 100
    faces and the last 100 background. `held_out` crops of each kind, drawn with `rng`,
    are kept aside; the model trains on the rest. It is three 3x3 convolutions (16, 32
    and 64 channels, ReLU, named `conv_1` to `conv_3`) with max pooling between them, a
    global average over positions and a dense softmax layer over the two classes
    (`classes`), so no layer fixes the image size. Adam at a learning rate of 3e-3,
    batches of 32.

    The weights start from Keras's global random state: call
    `keras.utils.set_random_seed` first for a repeatable model.

    Args:
        rng: the NumPy generator that draws which crops are held out; it is advanced
            by two permutations of 100.
        held_out: how many crops of each kind to hold out, from 1 to 99. Defaults to
            25.
        epochs: the number of training epochs. Defaults to 20.

    Returns:
        A `FaceClassifier`: the trained model, all 200 crops and their labels, and the
        indices of the held-out faces and background crops.

    Raises:
        TypeError: if `rng` is not a `numpy.random.Generator`, or `held_out` or `epochs`
            is not an integer.
        ValueError: if `held_out` is not between 1 and 99, or `epochs` is below 1.

    Examples:
        >>> keras.utils.set_random_seed(0)
        >>> trained = train_face_classifier(np.random.default_rng(0), epochs=1)
        >>> trained.crops.shape, trained.faces.shape, trained.backgrounds.shape
        ((200, 25, 25, 1), (25,), (25,))
        >>> trained.model.predict(trained.crops[:3], verbose=0).shape
        (3, 2)

    See: [What a convnet sees](../vision/what-a-convnet-sees.md)
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            "`rng` must be a numpy.random.Generator, such as "
            f"np.random.default_rng(0). Received: rng={rng!r} of type "
            f"{type(rng).__name__}"
        )
    held_out = check_positive_int(held_out, "held_out", maximum=99)
    epochs = check_positive_int(epochs, "epochs")
    from skimage import data  # scikit-image loads slowly; only this function needs it

    lfw_subset: Any = data.lfw_subset  # scikit-image leaves it untyped
    crops = lfw_subset().astype("float32")[..., np.newaxis]
    labels = np.repeat([1, 0], 100)  # 1: face, 0: not a face
    faces, backgrounds = rng.permutation(100), 100 + rng.permutation(100)
    train = np.concatenate([faces[held_out:], backgrounds[held_out:]])

    def conv(filters: int, name: str) -> keras.layers.Layer:
        return keras.layers.Conv2D(
            filters, 3, padding="same", activation="relu", name=name
        )

    model = keras.Sequential(
        [
            keras.Input((None, None, 1)),
            conv(16, "conv_1"),
            keras.layers.MaxPooling2D(name="pool_1"),
            conv(32, "conv_2"),
            keras.layers.MaxPooling2D(name="pool_2"),
            conv(64, "conv_3"),
            keras.layers.GlobalAveragePooling2D(name="average"),
            keras.layers.Dense(2, activation="softmax", name="classes"),
        ]
    )
    model.compile(keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy")
    model.fit(crops[train], labels[train], epochs=epochs, batch_size=32, verbose=0)
    return FaceClassifier(
        model, crops, labels, faces[:held_out], backgrounds[:held_out]
    )
