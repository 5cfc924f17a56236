"""The graph of a Sequential or functional Keras model, as a list of calls.

This is the one module of `dlcv` that reads Keras's private attributes. Keras 3 has
public API for a graph's inputs, outputs and operations (`model.inputs`,
`model.outputs`, `keras.Function(...).operations`) but none for its nodes, the
individual calls: `operations` lists a shared layer once however often it is called,
and which tensors each call consumed and produced is only kept in the private
`_nodes_by_depth`. When a Keras upgrade moves that attribute, this module is the one
to change; `read_graph` then returns `None`, as for a model without a graph.
"""

from __future__ import annotations

import dataclasses
from typing import Any, NamedTuple

import keras

__all__ = [
    "Call",
    "Graph",
    "check_graph_model",
    "check_model",
    "check_model_inputs",
    "read_graph",
]


class Call(NamedTuple):
    """One call in a model's graph: the operation, and the tensors it read and wrote.

    Attributes:
        operation: the layer, nested model or `keras.ops` operation that was called.
        inputs: the symbolic tensors it was called on.
        outputs: the symbolic tensors it returned.
    """

    operation: Any
    inputs: list[Any]
    outputs: list[Any]


@dataclasses.dataclass(frozen=True)
class Graph:
    """A model's graph: its symbolic inputs and outputs and every call between them.

    Attributes:
        inputs: the graph's input tensors, in order.
        outputs: its output tensors, in order.
        calls: every call, in the order of the model's operations (a shared layer's
            calls follow one another).
    """

    inputs: tuple[Any, ...]
    outputs: tuple[Any, ...]
    calls: tuple[Call, ...]


def _function_of(model: keras.Model) -> keras.Function | None:
    """The model's graph as a `keras.Function`, or `None` if it has none."""
    if isinstance(model, keras.Function):  # a functional model is a Function
        return model
    # A Sequential started with keras.Input exposes its graph's tensors publicly; a
    # new Function over them walks the same nodes. Subclassed models have neither.
    try:
        inputs, outputs = model.inputs, model.outputs
    except (AttributeError, ValueError):
        return None
    if not inputs or not outputs:
        return None
    # An explicit name leaves Keras's automatic-name counters alone.
    return keras.Function(inputs, outputs, name=model.name)


def read_graph(model: keras.Model) -> Graph | None:
    """Read every call in a model's graph, in model order.

    Returns `None` for a model without a graph: a subclassed model, or a Sequential
    that was not started with `keras.Input`. The calls are read from the graph's
    nodes rather than from `model.layers`, which leaves out operations called directly
    on tensors (`keras.ops.add(a, b)`) and lists a shared layer once however often it
    is called; both must be seen to be reported or counted.

    Examples:
        >>> inputs = keras.Input((4,))
        >>> shared = keras.layers.Dense(4)
        >>> outputs = keras.ops.relu(shared(shared(inputs)))
        >>> graph = read_graph(keras.Model(inputs, outputs))
        >>> [type(call.operation).__name__ for call in graph.calls]
        ['InputLayer', 'Dense', 'Dense', 'Relu']
        >>> read_graph(keras.Sequential([keras.layers.Dense(2)])) is None
        True
    """
    function = _function_of(model)
    if function is None:
        return None
    by_depth = getattr(function, "_nodes_by_depth", None)  # private: see module doc
    if by_depth is None:
        return None
    order = {id(operation): i for i, operation in enumerate(function.operations)}
    nodes = [
        node for depth in sorted(by_depth, reverse=True) for node in by_depth[depth]
    ]
    # Stable: calls of one operation keep their depth order (first call first).
    nodes.sort(key=lambda node: order.get(id(node.operation), len(order)))
    calls = tuple(
        Call(node.operation, list(node.arguments.keras_tensors), list(node.outputs))
        for node in nodes
    )
    return Graph(tuple(function.inputs), tuple(function.outputs), calls)


def check_model(model: Any) -> Any:
    """Return `model` if it is a Keras model, for a caller's argument check.

    Raises:
        TypeError: if `model` is not a Keras model.
    """
    if not isinstance(model, keras.Model):
        raise TypeError(
            f"`model` must be a Keras Model. Received: model={type(model).__name__} "
            "object"
        )
    return model


def check_model_inputs(model: Any) -> list[Any]:
    """Return the symbolic inputs of `model`, a Keras model that has them.

    Raises:
        TypeError: if `model` is not a Keras model.
        ValueError: if it has no defined inputs (not started with keras.Input, never
            called).
    """
    check_model(model)
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        inputs = None
    if not inputs:
        raise ValueError(
            "`model` must have defined inputs (start it with keras.Input). "
            f"Received: model={model.name!r} without inputs"
        )
    return list(inputs)


def check_graph_model(model: Any) -> Graph:
    """Return the graph of `model`, raising the errors a caller's argument check needs.

    Raises:
        TypeError: if `model` is not a Keras model.
        ValueError: if it has no graph (a subclassed model, or a Sequential without
            keras.Input).
    """
    check_model(model)
    graph = read_graph(model)
    if graph is None:
        raise ValueError(
            "`model` must be a Sequential or functional model started with keras.Input "
            f"(a subclassed model has no graph to walk). Received: model={model.name!r}"
        )
    return graph
