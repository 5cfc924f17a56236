"""Building blocks of convolutional architectures, as functional helpers.

Each `apply_*` function takes a 4-D channels-last tensor (batch, height, width,
channels) of the functional API, adds the block's layers and returns the block's output,
so blocks compose like layers: `x = apply_residual_block(x, 64, name="stage1_block1")`.
Every layer a block creates is named from `name` (`stage1_block1_conv1`,
`stage1_block1_bn1` …), so summaries, profiles and `layer_outputs` read like the
architecture; with `name=None` a unique name such as `residual_block_3` is chosen.

Batch normalisation follows the convolution and comes before the nonlinearity, as Ioffe
and Szegedy placed it and as ResNet and MobileNet use it; the convolution then has no
bias, because normalisation subtracts the mean of its output and its learned offset
`beta` takes the bias's place.
"""

from __future__ import annotations

from typing import Any

import keras

from dlcv._validation import check_non_empty_str, check_one_of, check_positive_int

__all__ = [
    "apply_bottleneck_block",
    "apply_conv_bn",
    "apply_inverted_residual_block",
    "apply_residual_block",
    "apply_separable_block",
    "apply_squeeze_excite",
    "apply_upsample_block",
    "apply_vgg_block",
]


def _channels(x: Any, name: str = "x") -> int:
    """Return the number of channels of a 4-D channels-last tensor, or raise."""
    shape = getattr(x, "shape", None)
    if shape is None:
        raise TypeError(
            f"`{name}` must be a tensor of the functional API (e.g. from keras.Input). "
            f"Received: {name}={type(x).__name__} object"
        )
    if len(shape) != 4 or shape[-1] is None:
        raise ValueError(
            f"`{name}` must be a 4-D tensor (batch, height, width, channels) with a "
            f"known number of channels. Received: {name}.shape={tuple(shape)}"
        )
    return int(shape[-1])


def _prefix(name: str | None, default: str) -> str:
    if name is None:
        return f"{default}_{keras.backend.get_uid(default)}"
    return check_non_empty_str(name, "name")


def _check_ratio(value: Any, name: str) -> int | None:
    return None if value is None else check_positive_int(value, name)


# --8<-- [start:apply_conv_bn]
def apply_conv_bn(
    x: Any,
    filters: int,
    kernel_size: int = 3,
    *,
    strides: int = 1,
    activation: str | None = "relu",
    name: str | None = None,
) -> Any:
    """Apply a convolution, batch normalisation and an
    activation: the unit most blocks repeat.

    The convolution uses `"same"` padding and no bias: batch normalisation right after
    it subtracts the mean of each channel, so a bias would be cancelled, and the
    normalisation's learned offset plays its role.

    Args:
        x: a 4-D channels-last tensor of the functional API.
        filters: the number of output channels.
        kernel_size: the side of the square kernel. Defaults to 3.
        strides: the step between kernel positions; 2 halves height and
            width. Defaults to 1.
        activation: the activation after the normalisation, any name Keras accepts,
            or `None` for none (a linear output, as before a residual sum).
            Defaults to `"relu"`.
        name: the prefix of the layer names (`<name>_conv`, `<name>_bn`, `<name>_act`).
            Defaults to `None`, meaning a unique `conv_bn_<n>`.

    Returns:
        The block's output tensor, with `filters` channels.

    Raises:
        TypeError: if `x` is not a tensor or `filters`, `kernel_size` or `strides` is
            not an integer.
        ValueError: if `x` is not 4-D with known channels, `filters`, `kernel_size` or
            `strides` is not positive, or `name` is empty.

    Examples:
        >>> inputs = keras.Input((32, 32, 3))
        >>> outputs = apply_conv_bn(inputs, 16, strides=2, name="stem")
        >>> tuple(outputs.shape), keras.Model(inputs, outputs).layers[1].name
        ((None, 16, 16, 16), 'stem_conv')

    See: [Architecture patterns](../vision/architectures.md)
    """
    _channels(x)
    filters = check_positive_int(filters, "filters")
    kernel_size = check_positive_int(kernel_size, "kernel_size")
    strides = check_positive_int(strides, "strides")
    prefix = _prefix(name, "conv_bn")
    x = keras.layers.Conv2D(
        filters,
        kernel_size,
        strides=strides,
        padding="same",
        use_bias=False,
        name=f"{prefix}_conv",
    )(x)
    x = keras.layers.BatchNormalization(name=f"{prefix}_bn")(x)
    if activation is not None:
        x = keras.layers.Activation(activation, name=f"{prefix}_act")(x)
    return x
    # --8<-- [end:apply_conv_bn]


# --8<-- [start:apply_vgg_block]
def apply_vgg_block(
    x: Any,
    filters: int,
    *,
    convs: int = 2,
    kernel_size: int = 3,
    batch_norm: bool = False,
    name: str | None = None,
) -> Any:
    """Apply a VGG-style block: a few small convolutions
    with ReLU, then 2x2 max pooling.

    Simonyan and Zisserman built the convolutional part of VGG from such blocks:
    two stacked 3x3 convolutions see a 5x5 window and three see 7x7, with fewer
    weights than one large kernel and a nonlinearity between each. Pooling then
    halves height and width.

    Args:
        x: a 4-D channels-last tensor of the functional API.
        filters: the number of output channels of every convolution.
        convs: how many convolutions the block stacks. Defaults to 2.
        kernel_size: the side of the square kernels. Defaults to 3.
        batch_norm: whether to normalise after each convolution (a later addition; the
            original VGG networks had none). Defaults to `False`.
        name: the prefix of the layer names (`<name>_conv1` … and `<name>_pool`).
            Defaults to `None`, meaning a unique `vgg_block_<n>`.

    Returns:
        The block's output tensor, with `filters` channels and half
        the height and width.

    Raises:
        TypeError: if `x` is not a tensor or `filters`, `convs` or `kernel_size` is not
            an integer.
        ValueError: if `x` is not 4-D with known channels, `filters`, `convs` or
            `kernel_size` is not positive, or `name` is empty.

    Examples:
        >>> inputs = keras.Input((32, 32, 3))
        >>> tuple(apply_vgg_block(inputs, 64, name="block1").shape)
        (None, 16, 16, 64)

    See: [Architecture patterns](../vision/architectures.md)
    """
    _channels(x)
    filters = check_positive_int(filters, "filters")
    convs = check_positive_int(convs, "convs")
    kernel_size = check_positive_int(kernel_size, "kernel_size")
    prefix = _prefix(name, "vgg_block")
    for i in range(1, convs + 1):
        if batch_norm:
            x = apply_conv_bn(x, filters, kernel_size, name=f"{prefix}_conv{i}")
        else:
            x = keras.layers.Conv2D(
                filters,
                kernel_size,
                padding="same",
                activation="relu",
                name=f"{prefix}_conv{i}",
            )(x)
    return keras.layers.MaxPooling2D(2, name=f"{prefix}_pool")(x)
    # --8<-- [end:apply_vgg_block]


def _shortcut(x: Any, channels: int, filters: int, strides: int, prefix: str) -> Any:
    """The identity when shapes match, else a strided 1x1
    projection (He et al.'s option B).
    """
    if strides == 1 and channels == filters:
        return x
    return apply_conv_bn(
        x, filters, 1, strides=strides, activation=None, name=f"{prefix}_shortcut"
    )


# --8<-- [start:apply_residual_block]
def apply_residual_block(
    x: Any,
    filters: int,
    *,
    strides: int = 1,
    se_ratio: int | None = None,
    name: str | None = None,
) -> Any:
    """Apply a basic residual block: two 3x3 convolutions
    whose output is added to the input.

    The block computes `relu(x + F(x))`, where `F` is conv-BN-ReLU-conv-BN. When
    `strides` or the number of channels changes, the shortcut becomes a 1x1 convolution
    with batch normalisation (a projection) so that the two terms have the same shape.
    With `se_ratio`, a squeeze-and-excitation block rescales the channels of `F(x)`
    before the sum, as in SE-ResNet.

    Args:
        x: a 4-D channels-last tensor of the functional API.
        filters: the number of output channels.
        strides: the stride of the first convolution and of the projection; 2 halves
            height and width. Defaults to 1.
        se_ratio: the reduction ratio of a squeeze-and-excitation block on the residual
            branch, or `None` for none. Defaults to `None`.
        name: the prefix of the layer names. Defaults to `None`, meaning a unique
            `residual_block_<n>`.

    Returns:
        The block's output tensor, with `filters` channels.

    Raises:
        TypeError: if `x` is not a tensor, `filters` or `strides` is not an integer, or
            `se_ratio` is neither an integer nor `None`.
        ValueError: if `x` is not 4-D with known channels, `filters`, `strides` or
            `se_ratio` is not positive, or `name` is empty.

    Examples:
        >>> inputs = keras.Input((32, 32, 16))
        >>> outputs = apply_residual_block(inputs, 32, strides=2, name="stage2_block1")
        >>> tuple(outputs.shape)
        (None, 16, 16, 32)

    See: [Architecture patterns](../vision/architectures.md)
    """
    channels = _channels(x)
    filters = check_positive_int(filters, "filters")
    strides = check_positive_int(strides, "strides")
    se_ratio = _check_ratio(se_ratio, "se_ratio")
    prefix = _prefix(name, "residual_block")
    shortcut = _shortcut(x, channels, filters, strides, prefix)
    y = apply_conv_bn(x, filters, 3, strides=strides, name=f"{prefix}_1")
    y = apply_conv_bn(y, filters, 3, activation=None, name=f"{prefix}_2")
    return _join_residual(shortcut, y, se_ratio, prefix)


def _join_residual(shortcut: Any, y: Any, se_ratio: int | None, prefix: str) -> Any:
    """Return `relu(shortcut + y)`, first rescaling the channels
    of the branch `y` by squeeze-and-excitation when `se_ratio` is given.
    """
    if se_ratio is not None:
        y = apply_squeeze_excite(y, ratio=se_ratio, name=f"{prefix}_se")
    y = keras.layers.Add(name=f"{prefix}_add")([shortcut, y])
    return keras.layers.ReLU(name=f"{prefix}_out")(y)
    # --8<-- [end:apply_residual_block]


def apply_bottleneck_block(
    x: Any,
    filters: int,
    *,
    strides: int = 1,
    expansion: int = 4,
    se_ratio: int | None = None,
    name: str | None = None,
) -> Any:
    """Apply a bottleneck residual block: 1x1 reduce, 3x3,
    1x1 expand, plus the shortcut.

    The 3x3 convolution, the expensive one, works on `filters` channels while the
    block's input and output have `expansion * filters`, which is what made 50 to 152
    layers affordable in ResNet. The stride sits on the 3x3 convolution: a strided 1x1
    convolution would skip three quarters of its input positions, while a strided 3x3
    one still reads them all. (Keras's `ResNet50` follows the original Caffe model and
    strides the first 1x1 convolution; the number of weights is the same.)

    Args:
        x: a 4-D channels-last tensor of the functional API.
        filters: the number of channels inside the bottleneck.
        strides: the stride of the 3x3 convolution and of the projection. Defaults to 1.
        expansion: the output has `expansion * filters` channels. Defaults to 4.
        se_ratio: the reduction ratio of a squeeze-and-excitation block on the residual
            branch, or `None` for none. Defaults to `None`.
        name: the prefix of the layer names. Defaults to `None`, meaning a unique
            `bottleneck_block_<n>`.

    Returns:
        The block's output tensor, with `expansion * filters` channels.

    Raises:
        TypeError: if `x` is not a tensor, `filters`, `strides` or `expansion` is not an
            integer, or `se_ratio` is neither an integer nor `None`.
        ValueError: if `x` is not 4-D with known channels, `filters`, `strides`,
            `expansion` or `se_ratio` is not positive, or `name` is empty.

    Examples:
        >>> inputs = keras.Input((56, 56, 64))
        >>> tuple(apply_bottleneck_block(inputs, 64, name="conv2_block1").shape)
        (None, 56, 56, 256)

    See: [Architecture patterns](../vision/architectures.md)
    """
    channels = _channels(x)
    filters = check_positive_int(filters, "filters")
    strides = check_positive_int(strides, "strides")
    expansion = check_positive_int(expansion, "expansion")
    se_ratio = _check_ratio(se_ratio, "se_ratio")
    prefix = _prefix(name, "bottleneck_block")
    outputs = expansion * filters
    shortcut = _shortcut(x, channels, outputs, strides, prefix)
    y = apply_conv_bn(x, filters, 1, name=f"{prefix}_1")
    y = apply_conv_bn(y, filters, 3, strides=strides, name=f"{prefix}_2")
    y = apply_conv_bn(y, outputs, 1, activation=None, name=f"{prefix}_3")
    return _join_residual(shortcut, y, se_ratio, prefix)


# --8<-- [start:apply_separable_block]
def apply_separable_block(
    x: Any,
    filters: int,
    *,
    strides: int = 1,
    kernel_size: int = 3,
    name: str | None = None,
) -> Any:
    """Apply a depthwise-separable convolution: a per-channel
    spatial filter, then a 1x1 mix.

    A standard convolution filters space and mixes channels in one step; this block
    splits the two, as in MobileNet: a depthwise convolution filters each input channel
    on its own, and a pointwise (1x1) convolution mixes the channels. Each is followed
    by batch normalisation and ReLU. For `C` input and `F` output channels and a `kxk`
    kernel, the weights drop from `k*k*C*F` to `k*k*C + C*F`.

    Args:
        x: a 4-D channels-last tensor of the functional API.
        filters: the number of output channels of the pointwise convolution.
        strides: the stride of the depthwise convolution. Defaults to 1.
        kernel_size: the side of the depthwise kernel. Defaults to 3.
        name: the prefix of the layer names (`<name>_dw_conv`, `<name>_pw_conv` …).
            Defaults to `None`, meaning a unique `separable_block_<n>`.

    Returns:
        The block's output tensor, with `filters` channels.

    Raises:
        TypeError: if `x` is not a tensor or `filters`, `strides` or `kernel_size` is
            not an integer.
        ValueError: if `x` is not 4-D with known channels, `filters`, `strides` or
            `kernel_size` is not positive, or `name` is empty.

    Examples:
        >>> inputs = keras.Input((32, 32, 32))
        >>> model = keras.Model(inputs, apply_separable_block(inputs, 64, name="sep"))
        >>> [model.get_layer(f"sep_{p}_conv").count_params() for p in ("dw", "pw")]
        [288, 2048]

    See: [Architecture patterns](../vision/architectures.md)
    """
    _channels(x)
    filters = check_positive_int(filters, "filters")
    strides = check_positive_int(strides, "strides")
    kernel_size = check_positive_int(kernel_size, "kernel_size")
    prefix = _prefix(name, "separable_block")
    x = _depthwise_bn_relu(x, kernel_size, strides, prefix)
    return apply_conv_bn(x, filters, 1, name=f"{prefix}_pw")


def _depthwise_bn_relu(
    x: Any, kernel_size: int, strides: int, prefix: str, max_value: float | None = None
) -> Any:
    """Apply a depthwise convolution (no bias), batch normalisation
    and a ReLU, capped at `max_value` if given (6 for ReLU6).
    """
    x = keras.layers.DepthwiseConv2D(
        kernel_size,
        strides=strides,
        padding="same",
        use_bias=False,
        name=f"{prefix}_dw_conv",
    )(x)
    x = keras.layers.BatchNormalization(name=f"{prefix}_dw_bn")(x)
    return keras.layers.ReLU(max_value, name=f"{prefix}_dw_relu")(x)
    # --8<-- [end:apply_separable_block]


def apply_inverted_residual_block(
    x: Any,
    filters: int,
    *,
    strides: int = 1,
    expansion: int = 6,
    name: str | None = None,
) -> Any:
    """Apply MobileNetV2's inverted residual block with a linear bottleneck.

    A 1x1 convolution expands the channels `expansion` times, a 3x3 depthwise
    convolution filters them, and a 1x1 convolution projects back to `filters` channels
    with no activation (the linear bottleneck). The shortcut joins the narrow ends, and
    only when the stride is 1 and the channel count is unchanged. The activations are
    ReLU6, as in MobileNetV2.

    Args:
        x: a 4-D channels-last tensor of the functional API.
        filters: the number of output channels.
        strides: the stride of the depthwise convolution. Defaults to 1.
        expansion: how many times the inner layer widens the input; 1 skips the
            expansion convolution. Defaults to 6.
        name: the prefix of the layer names. Defaults to `None`, meaning a unique
            `inverted_residual_block_<n>`.

    Returns:
        The block's output tensor, with `filters` channels.

    Raises:
        TypeError: if `x` is not a tensor or `filters`, `strides` or `expansion` is not
            an integer.
        ValueError: if `x` is not 4-D with known channels, `filters`, `strides` or
            `expansion` is not positive, or `name` is empty.

    Examples:
        >>> inputs = keras.Input((28, 28, 24))
        >>> tuple(apply_inverted_residual_block(inputs, 24, name="block3").shape)
        (None, 28, 28, 24)

    See: [Architecture patterns](../vision/architectures.md)
    """
    channels = _channels(x)
    filters = check_positive_int(filters, "filters")
    strides = check_positive_int(strides, "strides")
    expansion = check_positive_int(expansion, "expansion")
    prefix = _prefix(name, "inverted_residual_block")
    y = x
    if expansion > 1:
        y = apply_conv_bn(
            y, channels * expansion, 1, activation="relu6", name=f"{prefix}_expand"
        )
    y = _depthwise_bn_relu(y, 3, strides, prefix, max_value=6.0)
    y = apply_conv_bn(y, filters, 1, activation=None, name=f"{prefix}_project")
    if strides == 1 and channels == filters:
        y = keras.layers.Add(name=f"{prefix}_add")([x, y])
    return y


# --8<-- [start:apply_squeeze_excite]
def apply_squeeze_excite(x: Any, *, ratio: int = 16, name: str | None = None) -> Any:
    """Apply a squeeze-and-excitation block: rescale each channel
    by a weight computed globally.

    The block squeezes each channel to its mean over the image (global average pooling),
    passes the `C` means through a small bottleneck of two dense layers (`C / ratio`
    ReLU units, then `C` sigmoid units) and multiplies each channel of `x` by its weight
    in (0, 1), so the network can emphasise the channels that matter for this image.

    Args:
        x: a 4-D channels-last tensor of the functional API.
        ratio: the reduction ratio `r`; the hidden layer has `max(1, C // r)` units.
            Defaults to 16, Hu et al.'s choice.
        name: the prefix of the layer names (`<name>_squeeze`, `<name>_reduce`,
            `<name>_expand`, `<name>_scale`). Defaults to `None`, meaning a unique
            `squeeze_excite_<n>`.

    Returns:
        A tensor of the same shape as `x`.

    Raises:
        TypeError: if `x` is not a tensor or `ratio` is not an integer.
        ValueError: if `x` is not 4-D with known channels, `ratio` is not positive or
            `name` is empty.

    Examples:
        >>> inputs = keras.Input((8, 8, 64))
        >>> outputs = apply_squeeze_excite(inputs, ratio=16, name="se")
        >>> model = keras.Model(inputs, outputs)
        >>> model.count_params()  # 64*4 + 4 weights and biases in, 4*64 + 64 out
        580

    See: [Architecture patterns](../vision/architectures.md)
    """
    channels = _channels(x)
    ratio = check_positive_int(ratio, "ratio")
    prefix = _prefix(name, "squeeze_excite")
    s = keras.layers.GlobalAveragePooling2D(keepdims=True, name=f"{prefix}_squeeze")(x)
    s = keras.layers.Dense(
        max(1, channels // ratio), activation="relu", name=f"{prefix}_reduce"
    )(s)
    s = keras.layers.Dense(channels, activation="sigmoid", name=f"{prefix}_expand")(s)
    return keras.layers.Multiply(name=f"{prefix}_scale")([x, s])
    # --8<-- [end:apply_squeeze_excite]


# --8<-- [start:apply_upsample_block]
def apply_upsample_block(
    x: Any,
    skip: Any,
    filters: int | None = None,
    *,
    convs: int = 2,
    mode: str = "transpose",
    name: str | None = None,
) -> Any:
    """Apply a U-Net decoder step: double the resolution, join
    the skip connection, convolve.

    The coarse features `x` are upsampled 2x, either by a learned 2x2 transposed
    convolution with `filters` channels (U-Net's "up-convolution") or by bilinear
    interpolation, then concatenated along the channels with `skip`, the encoder's
    features at the new resolution, and mixed by `convs` 3x3 conv-BN-ReLU units. The
    skip connection brings back the fine detail the encoder's pooling discarded, which
    the decoder needs to draw sharp boundaries. Unlike the original U-Net, the
    convolutions are padded (`"same"`), so no cropping is needed and the output keeps
    the skip's height and width, and each is batch-normalised.

    Args:
        x: the coarse 4-D channels-last tensor of the functional API.
        skip: the encoder's tensor at twice the height and width of `x`.
        filters: the number of output channels of every convolution, the transposed one
            included. Defaults to `None`, meaning as many as `skip` has: in U-Net each
            decoder step ends with as many channels as the encoder map it joins.
        convs: how many 3x3 conv-BN-ReLU units follow the concatenation. Defaults to 2.
        mode: `"transpose"` for a learned 2x2 transposed convolution with stride 2, or
            `"bilinear"` for interpolation (no weights; the channels of `x` pass
            unchanged). Defaults to `"transpose"`.
        name: the prefix of the layer names (`<name>_up`, `<name>_concat`,
            `<name>_1_conv` …). Defaults to `None`, meaning a unique
            `upsample_block_<n>`.

    Returns:
        The block's output tensor, with `filters` channels and the height
        and width of `skip`.

    Raises:
        TypeError: if `x` or `skip` is not a tensor or an integer
            option is not an integer.
        ValueError: if `x` or `skip` is not 4-D with known channels, `skip` does not
            have twice the height and width of `x`, an integer option is not positive,
            `mode` is unknown or `name` is empty.

    Examples:
        >>> inputs = keras.Input((32, 32, 3))
        >>> skip = apply_conv_bn(inputs, 16, name="enc1")
        >>> bottom = apply_conv_bn(keras.layers.MaxPooling2D(2)(skip), 32, name="enc2")
        >>> tuple(apply_upsample_block(bottom, skip, 16, name="dec1").shape)
        (None, 32, 32, 16)
        >>> tuple(apply_upsample_block(bottom, skip, mode="bilinear").shape)  # as skip
        (None, 32, 32, 16)

    See: [Segmentation](../vision/segmentation.md)
    """
    _channels(x)
    skip_channels = _channels(skip, "skip")
    filters = (
        skip_channels if filters is None else check_positive_int(filters, "filters")
    )
    convs = check_positive_int(convs, "convs")
    mode = check_one_of(mode, "mode", ("transpose", "bilinear"))
    for coarse, fine in zip(x.shape[1:3], skip.shape[1:3], strict=True):
        if coarse is not None and fine is not None and fine != 2 * coarse:
            raise ValueError(
                "`skip` must have twice the height and width of `x`. "
                f"Received: x.shape={tuple(x.shape)}, skip.shape={tuple(skip.shape)}"
            )
    prefix = _prefix(name, "upsample_block")
    if mode == "transpose":
        x = keras.layers.Conv2DTranspose(filters, 2, strides=2, name=f"{prefix}_up")(x)
    else:
        x = keras.layers.UpSampling2D(2, interpolation="bilinear", name=f"{prefix}_up")(
            x
        )
    x = keras.layers.Concatenate(name=f"{prefix}_concat")([x, skip])
    for i in range(1, convs + 1):
        x = apply_conv_bn(x, filters, 3, name=f"{prefix}_{i}")
    return x
    # --8<-- [end:apply_upsample_block]
