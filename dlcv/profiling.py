"""Profile what a Keras model costs, layer by layer: parameters, multiply-accumulates
(MACs), FLOPs and activation memory, counted from the layers' shapes alone.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Sequence
from typing import Any

import keras

from dlcv._keras_graph import Call, check_graph_model, read_graph
from dlcv._layer_kinds import CONV, DEPTHWISE, SEPARABLE, TRANSPOSED, ZERO_MAC
from dlcv._table import align_columns
from dlcv._validation import check_non_negative_int

__all__ = [
    "LayerProfile",
    "Profile",
    "format_profile",
    "profile",
]


def _shape(tensor: Any, where: str) -> tuple[int, ...]:
    """The shape of one example (batch axis dropped), which must be fully known."""
    shape = tuple(tensor.shape[1:])
    if any(size is None for size in shape):
        raise ValueError(
            "`model` must have a fully defined input shape to be profiled, e.g. "
            f"keras.Input((224, 224, 3)). Received: {where} with shape "
            f"{tuple(tensor.shape)}"
        )
    return tuple(int(size) for size in shape)


def _itemsize(dtype: Any) -> int:
    name = keras.backend.standardize_dtype(dtype)
    bits = re.search(r"\d+", name)
    return 1 if bits is None else max(1, int(bits.group()) // 8)


def _split_channels(
    shape: tuple[int, ...], data_format: str
) -> tuple[tuple[int, ...], int]:
    if data_format == "channels_first":
        return shape[1:], shape[0]
    return shape[:-1], shape[-1]


def _macs(layer: Any, inputs: list[Any], outputs: list[Any], where: str) -> int | None:
    """Multiply-accumulates of one call for one example, or
    `None` if the class is unknown.
    """
    if isinstance(layer, ZERO_MAC):
        return 0
    if not isinstance(
        layer, (*SEPARABLE, *DEPTHWISE, *TRANSPOSED, *CONV, keras.layers.Dense)
    ):
        return None
    in_shape = _shape(inputs[0], where)
    out_shape = _shape(outputs[0], where)
    if isinstance(layer, keras.layers.Dense):
        # A dense layer on an N-D input applies the same matrix at every position.
        return int(math.prod(in_shape[:-1]) * in_shape[-1] * int(layer.units))
    in_space, in_channels = _split_channels(in_shape, layer.data_format)
    out_space, _ = _split_channels(out_shape, layer.data_format)
    window = math.prod(layer.kernel_size)
    if isinstance(layer, SEPARABLE):
        depthwise = in_channels * int(layer.depth_multiplier)
        return int(math.prod(out_space) * depthwise * (window + int(layer.filters)))
    if isinstance(layer, DEPTHWISE):
        return int(
            math.prod(out_space) * in_channels * int(layer.depth_multiplier) * window
        )
    if isinstance(layer, TRANSPOSED):
        # Each input position scatters a window of weights into every output channel.
        return int(math.prod(in_space) * in_channels * window * int(layer.filters))
    groups = int(getattr(layer, "groups", 1))
    return int(
        math.prod(out_space) * int(layer.filters) * window * (in_channels // groups)
    )


@dataclasses.dataclass(frozen=True)
class LayerProfile:
    """What one call of one layer costs, for one example.

    Attributes:
        name: the layer's name; a layer inside a nested model is named `outer/inner`,
            and the second call of a shared layer `name#2`.
        class_name: the layer's class, or `keras.ops.<Name>` for an operation called
            directly on tensors.
        output_shape: the shape of its (first) output for one example,
            without the batch axis.
        params: the numbers in its weights, trainable or not, counted at
            its first call only.
        macs: its multiply-accumulates, or `None` when its class is not supported (it is
            then listed in `Profile.unsupported`, never counted as zero).
        activation_bytes: the size of its outputs in bytes, in their dtype.

    See: [Architecture patterns](../vision/architectures.md)
    """

    name: str
    class_name: str
    output_shape: tuple[int, ...]
    params: int
    macs: int | None
    activation_bytes: int

    @property
    def flops(self) -> int | None:
        """Floating-point operations, counting one multiply-add as two."""
        return None if self.macs is None else 2 * self.macs


@dataclasses.dataclass(frozen=True)
class Profile:
    """A model's cost, layer by layer and in total, for one example.

    Attributes:
        name: the model's name.
        layers: one `LayerProfile` per layer call, in model order
            (input layers left out).
        params: the total number of parameters; equals `model.count_params()`.
        macs: the total multiply-accumulates of the supported layers.
        activation_bytes: the total size of every layer's outputs in bytes.
        unsupported: the layers whose multiply-accumulates are unknown, as `"name
            (Class)"`; when it is not empty, `macs` is a lower bound.

    See: [Architecture patterns](../vision/architectures.md)
    """

    name: str
    layers: tuple[LayerProfile, ...]
    params: int
    macs: int
    activation_bytes: int
    unsupported: tuple[str, ...]

    @property
    def flops(self) -> int:
        """Floating-point operations of the supported layers,
        counting one multiply-add as two.
        """
        return 2 * self.macs

    def __str__(self) -> str:
        return format_profile(self)


def _profile_calls(
    calls: Sequence[Call],
    prefix: str,
    seen: set[int],
    times: dict[str, int],
) -> list[LayerProfile]:
    rows: list[LayerProfile] = []
    for operation, inputs, outputs in calls:
        if isinstance(operation, keras.layers.InputLayer):
            continue
        name = f"{prefix}{operation.name}"
        times[name] = times.get(name, 0) + 1
        if times[name] > 1:
            name = f"{name}#{times[name]}"
        if isinstance(operation, keras.Model):
            inner = read_graph(operation)
            if inner is not None:
                rows.extend(_profile_calls(inner.calls, f"{name}/", seen, times))
                continue
        is_layer = isinstance(operation, keras.layers.Layer)
        params = 0
        if is_layer and id(operation) not in seen:
            seen.add(id(operation))
            params = int(operation.count_params())
        where = f"layer {name!r}"
        macs = _macs(operation, inputs, outputs, where) if is_layer else None
        shapes = [_shape(output, where) for output in outputs]
        rows.append(
            LayerProfile(
                name=name,
                class_name=type(operation).__name__
                if is_layer
                else f"keras.ops.{type(operation).__name__}",
                output_shape=shapes[0] if shapes else (),
                params=params,
                macs=macs,
                activation_bytes=sum(
                    math.prod(shape) * _itemsize(output.dtype)
                    for shape, output in zip(shapes, outputs, strict=True)
                ),
            )
        )
    return rows


def profile(model: keras.Model) -> Profile:
    """Count a model's parameters, multiply-accumulates
    (MACs), FLOPs and activation memory.

    The counts are for one example and come from the layers' shapes alone: nothing runs.
    Counting conventions, those of the architecture papers:

    - A convolution costs (output positions) * (output channels) * (kernel window) *
      (input channels per group) MACs, whatever its stride, dilation or padding (padded
      zeros count as inputs); a depthwise convolution has one input channel per group; a
      separable one adds its pointwise 1x1 convolution; a transposed one costs (input
      positions) * (input channels) * (kernel window) * (output channels). A dense layer
      costs (positions) * (inputs) * (units), with one position per example on a 2-D
      input. Biases are not counted.
    - Batch and layer normalisation, activations, pooling, element-wise merges (Add,
      Multiply, Concatenate …), Rescaling and Normalization, padding, cropping,
      reshaping, upsampling and dropout count 0 MACs: at inference normalisation folds
      into the preceding convolution, and the papers leave the rest out.
    - FLOPs are twice the MACs: one multiply-add is two floating-point operations.
    - Activation memory is the size of each layer's outputs in their dtype;
      summed, it is roughly what training keeps for the backward pass (inference
      needs far less at once).
    - Nested Sequential and functional models are walked layer by layer; a layer called
      several times is counted at each call, its parameters once.

    Any other layer class, including subclassed models and operations called directly on
    tensors, is listed in `unsupported` with `macs=None` in its row: it is never counted
    as zero without saying so. Its parameters are still counted.

    Args:
        model: a Sequential or functional Keras model with a fully defined input shape.

    Returns:
        A `Profile` with one row per layer call and the totals.

    Raises:
        TypeError: if `model` is not a Keras model.
        ValueError: if the model has no graph (a subclassed model, or a Sequential
            without keras.Input) or a layer's shape is not fully defined.

    Examples:
        >>> model = keras.Sequential(
        ...     [keras.Input((32, 32, 3)), keras.layers.Conv2D(8, 3, padding="same")]
        ... )
        >>> result = profile(model)
        >>> result.params, result.macs, result.flops  # 3*3*3*8 + 8; 32*32 * 8 * 3*3*3
        (224, 221184, 442368)

    See: [Architecture patterns](../vision/architectures.md)
    """
    graph = check_graph_model(model)
    rows = _profile_calls(graph.calls, "", set(), {})
    return Profile(
        name=model.name,
        layers=tuple(rows),
        params=sum(row.params for row in rows),
        macs=sum(row.macs for row in rows if row.macs is not None),
        activation_bytes=sum(row.activation_bytes for row in rows),
        unsupported=tuple(
            f"{row.name} ({row.class_name})" for row in rows if row.macs is None
        ),
    )


def _human(value: float, units: Sequence[str], base: float) -> str:
    for unit in units[:-1]:
        if abs(value) < base:
            return f"{value:.3g} {unit}".rstrip()
        value /= base
    return f"{value:.3g} {units[-1]}"


def _count(value: int | None) -> str:
    return "?" if value is None else _human(value, ("", "k", "M", "G", "T"), 1000.0)


def _bytes(value: int) -> str:
    return _human(value, ("B", "KiB", "MiB", "GiB", "TiB"), 1024.0)


def format_profile(result: Profile, *, max_rows: int | None = None) -> str:
    """Lay out a profile as a plain-text table with totals.

    Args:
        result: what `profile` returned.
        max_rows: show at most this many layer rows (the first ones), then a line saying
            how many were left out; `None` shows them all. Defaults to `None`.

    Returns:
        The table: one row per layer (name, class, output shape, parameters, MACs,
        activation size), a totals line, the FLOP convention and any unsupported layers.

    Raises:
        TypeError: if `result` is not a `Profile` or `max_rows` is not an integer.
        ValueError: if `max_rows` is negative.

    Examples:
        >>> model = keras.Sequential(
        ...     [keras.Input((4,)), keras.layers.Dense(2, name="out")]
        ... )
        >>> print(format_profile(profile(model)))
        Layer  Class  Output shape  Params  MACs  Activations
        out    Dense  2                 10     8          8 B
        Total: 10 parameters, 8 MACs = 16 FLOPs (2 per MAC), 8 B of activations

    See: [Architecture patterns](../vision/architectures.md)
    """
    if not isinstance(result, Profile):
        raise TypeError(
            f"`result` must be a Profile. Received: result={type(result).__name__} "
            "object"
        )
    if max_rows is not None:
        max_rows = check_non_negative_int(max_rows, "max_rows")
    shown = result.layers if max_rows is None else result.layers[:max_rows]
    header = ("Layer", "Class", "Output shape", "Params", "MACs", "Activations")
    table = [
        (
            row.name,
            row.class_name,
            "x".join(str(size) for size in row.output_shape),
            f"{row.params:,}",
            _count(row.macs),
            _bytes(row.activation_bytes),
        )
        for row in shown
    ]
    lines = align_columns([header, *table], "<<<>>>")
    if len(shown) < len(result.layers):
        lines.append(f"… {len(result.layers) - len(shown)} more layers")
    lines.append(
        f"Total: {result.params:,} parameters, {_count(result.macs)} MACs = "
        f"{_count(result.flops)} FLOPs (2 per MAC), "
        f"{_bytes(result.activation_bytes)} of activations"
    )
    if result.unsupported:
        lines.append(
            f"MACs not counted for {len(result.unsupported)} unsupported layers (the "
            f"totals are lower bounds): {', '.join(result.unsupported)}"
        )
    return "\n".join(lines)
