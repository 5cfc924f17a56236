"""Compute how far a convnet's units see: the receptive field of each layer's outputs
and the jump between neighbouring outputs, in input pixels.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import keras

from dlcv._keras_graph import Call, check_graph_model, read_graph
from dlcv._layer_kinds import CONV, DEPTHWISE, GLOBAL, POINTWISE, POOLING, SEPARABLE
from dlcv._table import align_columns
from dlcv._validation import check_positive_int

__all__ = [
    "ReceptiveField",
    "ReceptiveFieldStep",
    "format_receptive_field",
    "receptive_field",
]


@dataclasses.dataclass(frozen=True)
class ReceptiveFieldStep:
    """The receptive field after one layer, one value per spatial axis.

    Attributes:
        name: the layer's name (`outer/inner` inside a nested model).
        kernel: the layer's window (1 for layers that act on each position alone), or
            `None` for a layer that mixes all positions (global pooling, flattening).
        stride: the step between the layer's windows, or `None` as for `kernel`.
        dilation: the spacing of the window's taps, or `None` as for `kernel`.
        size: how many input pixels one output position depends on along each axis, or
            `None` when it depends on the whole input.
        jump: the distance in input pixels between neighbouring output positions (the
            cumulative stride), or `None` as for `size`.

    See: [Architecture patterns](../vision/architectures.md)
    """

    name: str
    kernel: tuple[int, ...] | None
    stride: tuple[int, ...] | None
    dilation: tuple[int, ...] | None
    size: tuple[int, ...] | None
    jump: tuple[int, ...] | None


@dataclasses.dataclass(frozen=True)
class ReceptiveField:
    """How the receptive field grows through a network.

    Attributes:
        steps: one `ReceptiveFieldStep` per layer, in order.
        size: the receptive field of the output, per spatial axis
            (`None`: the whole input).
        jump: the output's cumulative stride, per spatial axis (`None` as for `size`).

    See: [Architecture patterns](../vision/architectures.md)
    """

    steps: tuple[ReceptiveFieldStep, ...]
    size: tuple[int, ...] | None
    jump: tuple[int, ...] | None

    def __str__(self) -> str:
        return format_receptive_field(self)


_State = tuple[tuple[int, ...] | None, tuple[int, ...] | None]


def _grow(
    state: _State,
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
) -> _State:
    size, jump = state
    if size is None or jump is None:
        return None, None
    # Each layer widens the field by (k - 1) dilated taps, spaced by the jump so far.
    new_size = tuple(
        r + (k - 1) * d * j
        for r, k, d, j in zip(size, kernel, dilation, jump, strict=True)
    )
    return new_size, tuple(j * s for j, s in zip(jump, stride, strict=True))


def _merge(states: list[_State]) -> _State:
    """Where paths join, the field is the largest over them
    (the union of their windows).
    """
    if not states:
        raise ValueError("`model` must connect every layer to its inputs")
    if any(size is None or jump is None for size, jump in states):
        return None, None
    sizes = [size for size, _ in states if size is not None]
    jumps = [jump for _, jump in states if jump is not None]
    return (
        tuple(max(values) for values in zip(*sizes, strict=True)),
        tuple(max(values) for values in zip(*jumps, strict=True)),
    )


def _axes(value: Any, ndim: int) -> tuple[int, ...]:
    values = (
        tuple(int(v) for v in value) if isinstance(value, Sequence) else (int(value),)
    )
    return values * ndim if len(values) == 1 else values


def _receptive_calls(
    calls: Sequence[Call],
    states: dict[int, _State],
    prefix: str,
    steps: list[ReceptiveFieldStep],
    unknown: list[str],
) -> None:
    for operation, inputs, outputs in calls:
        if isinstance(operation, keras.layers.InputLayer):
            continue
        name = f"{prefix}{operation.name}"
        state = _merge([states[id(tensor)] for tensor in inputs])
        kernel: tuple[int, ...] | None = None
        stride: tuple[int, ...] | None = None
        dilation: tuple[int, ...] | None = None
        inner = read_graph(operation) if isinstance(operation, keras.Model) else None
        ndim = len(inputs[0].shape) - 2 if inputs else 0
        if inner is not None:
            for tensor in inner.inputs:
                states[id(tensor)] = state
            _receptive_calls(inner.calls, states, f"{name}/", steps, unknown)
            outer = _merge([states[id(tensor)] for tensor in inner.outputs])
            for tensor in outputs:
                states[id(tensor)] = outer
            continue
        if isinstance(operation, (*CONV, *DEPTHWISE, *SEPARABLE)):
            kernel = _axes(operation.kernel_size, ndim)
            stride = _axes(operation.strides, ndim)
            dilation = _axes(operation.dilation_rate, ndim)
        elif isinstance(operation, POOLING):
            kernel = _axes(operation.pool_size, ndim)
            stride = _axes(operation.strides, ndim)
            dilation = (1,) * ndim
        elif isinstance(operation, POINTWISE) or (
            isinstance(operation, keras.layers.Dense) and ndim > 0
        ):
            kernel = stride = dilation = (1,) * ndim
        elif isinstance(operation, keras.layers.Dense) and state[0] is None:
            pass  # a dense layer on a flattened input keeps seeing the whole input
        elif not isinstance(operation, GLOBAL):
            unknown.append(f"{name} ({type(operation).__name__})")
            continue
        if kernel is not None and stride is not None and dilation is not None:
            state = _grow(state, kernel, stride, dilation)
        else:
            state = (None, None)
        for tensor in outputs:
            states[id(tensor)] = state
        steps.append(ReceptiveFieldStep(name, kernel, stride, dilation, *state))


def receptive_field(layers: keras.Model | Sequence[Sequence[int]]) -> ReceptiveField:
    """Compute how many input pixels each layer's output positions depend on.

    Going through a layer with kernel `k`, stride `s` and dilation `d`, the receptive
    field `r` and the jump `j` (the distance in input pixels between neighbouring
    outputs, i.e. the product of the strides so far) become `r + (k - 1) * d * j` and
    `j * s`, starting from `r = j = 1` at the input. Pooling counts as a layer with its
    pool size and stride; layers that act on each position alone (normalisation,
    activations, padding …) change neither. Where paths join (Add, Concatenate), the
    field is the largest over the paths; global pooling and flattening make it the
    whole input. This is the theoretical field: the pixels near its centre weigh far
    more than those at its edge.

    Args:
        layers: either a Sequential or functional Keras model (its convolution,
            pooling, pointwise, merge and global layers are read, nested models
            included, one value per spatial axis), or a list of `(kernel, stride)`
            or `(kernel, stride, dilation)` integer tuples describing a chain of
            layers along one axis.

    Returns:
        A `ReceptiveField`: one step per layer, and the final size and jump.

    Raises:
        TypeError: if `layers` is neither a model nor a list of integer tuples.
        ValueError: if a tuple does not have 2 or 3 positive integers, the model
            has no graph, or it contains layers whose effect on the field is
            unknown (upsampling, transposed convolutions, reshapes, custom layers);
            the message names them.

    Examples:
        >>> steps = receptive_field([(3, 1), (3, 1), (2, 2), (3, 1, 2)]).steps
        >>> [(step.size[0], step.jump[0]) for step in steps]
        [(3, 1), (5, 1), (6, 2), (14, 2)]

    See: [Architecture patterns](../vision/architectures.md)
    """
    if isinstance(layers, keras.Model):
        graph = check_graph_model(layers)
        states: dict[int, _State] = {}
        for tensor in graph.inputs:
            ndim = len(tensor.shape) - 2
            states[id(tensor)] = ((1,) * ndim, (1,) * ndim)
        steps: list[ReceptiveFieldStep] = []
        unknown: list[str] = []
        _receptive_calls(graph.calls, states, "", steps, unknown)
        if unknown:
            raise ValueError(
                "`layers` must contain only layers whose effect on the receptive field "
                "is known (convolution, pooling, pointwise, merge, global). Received: "
                f"{', '.join(unknown)}"
            )
        size, jump = _merge([states[id(tensor)] for tensor in graph.outputs])
        return ReceptiveField(tuple(steps), size, jump)

    if isinstance(layers, str | bytes) or not isinstance(layers, Sequence):
        raise TypeError(
            "`layers` must be a Keras model or a list of (kernel, stride[, dilation]) "
            f"tuples. Received: layers={type(layers).__name__} object"
        )
    state: _State = ((1,), (1,))
    steps = []
    for i, entry in enumerate(layers, start=1):
        if not isinstance(entry, Sequence) or len(entry) not in (2, 3):
            raise ValueError(
                "`layers` must hold (kernel, stride) or (kernel, stride, dilation) "
                f"tuples. Received: layers[{i - 1}]={entry!r}"
            )
        kernel, stride, dilation = (
            check_positive_int(value, f"layers[{i - 1}]") for value in (*entry, 1)[:3]
        )
        state = _grow(state, (kernel,), (stride,), (dilation,))
        steps.append(
            ReceptiveFieldStep(f"layer {i}", (kernel,), (stride,), (dilation,), *state)
        )
    return ReceptiveField(tuple(steps), *state)


def format_receptive_field(result: ReceptiveField) -> str:
    """Lay out a receptive-field computation as a plain-text table.

    Args:
        result: what `receptive_field` returned.

    Returns:
        One row per layer (name, kernel, stride, dilation, receptive field, jump),
        values per spatial axis joined by "x"; "-" marks a layer without a window and
        "all" a field that covers the whole input.

    Raises:
        TypeError: if `result` is not a `ReceptiveField`.

    Examples:
        >>> print(format_receptive_field(receptive_field([(3, 1), (2, 2)])))
        Layer    Kernel  Stride  Dilation  Receptive field  Jump
        layer 1       3       1         1                3     1
        layer 2       2       2         1                4     2

    See: [Architecture patterns](../vision/architectures.md)
    """
    if not isinstance(result, ReceptiveField):
        raise TypeError(
            "`result` must be a ReceptiveField. Received: "
            f"result={type(result).__name__} object"
        )

    def cell(values: tuple[int, ...] | None, missing: str) -> str:
        return missing if values is None else "x".join(str(v) for v in values)

    header = ("Layer", "Kernel", "Stride", "Dilation", "Receptive field", "Jump")
    table = [
        (
            step.name,
            cell(step.kernel, "-"),
            cell(step.stride, "-"),
            cell(step.dilation, "-"),
            cell(step.size, "all"),
            cell(step.jump, "-"),
        )
        for step in result.steps
    ]
    return "\n".join(align_columns([header, *table], "<>>>>>"))
