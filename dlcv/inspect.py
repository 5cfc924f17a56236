"""Look inside Keras models: what each layer computes,
what it costs and what it sees.
"""

from __future__ import annotations

import dataclasses
import math
import re
import warnings
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from dlcv._validation import (
    check_non_empty_str,
    check_non_negative_int,
    check_positive_int,
    check_same_length,
)

__all__ = [
    "LayerProfile",
    "ProbeResult",
    "Profile",
    "ReceptiveField",
    "ReceptiveFieldStep",
    "count_parameters",
    "fit_linear_probe",
    "format_profile",
    "format_receptive_field",
    "layer_outputs",
    "probe_layers",
    "profile",
    "receptive_field",
]


def layer_outputs(
    model: keras.Model,
    inputs: np.ndarray | Sequence[np.ndarray],
    *,
    layer_names: Sequence[str] | None = None,
    batch_size: int = 256,
) -> dict[str, np.ndarray]:
    """Return what each named layer of a model outputs for the given inputs.

    A second model is built that shares the first one's layers and weights but outputs
    the chosen layers' results; it runs in inference mode (dropout off, batch
    normalisation using its moving statistics), in batches of `batch_size` examples.

    Args:
        model: a built Sequential or functional Keras model.
        inputs: the input examples (a list of arrays for a model with several inputs).
        layer_names: the layers to read, in the order wanted. Defaults to `None`,
            meaning every layer except input layers, in model order.
        batch_size: examples per batch. Defaults to 256.

    Returns:
        A dict mapping each layer name to its outputs, a NumPy array whose first axis
        indexes the examples, in the order of `layer_names`.

    Raises:
        TypeError: if `model` is not a Keras model or `batch_size` is not an integer.
        ValueError: if the model has no defined inputs (not built), a name in
            `layer_names` is not a layer of the model, a chosen layer has several
            outputs, or `batch_size` is not positive.

    Examples:
        >>> model = keras.Sequential(
        ...     [
        ...         keras.Input((4,)),
        ...         keras.layers.Dense(3, name="hidden"),
        ...         keras.layers.Dense(2),
        ...     ]
        ... )
        >>> outputs = layer_outputs(model, np.zeros((5, 4)), layer_names=["hidden"])
        >>> outputs["hidden"].shape
        (5, 3)

    See: docs/fundamentals/what-deep-means.md
    """
    if not isinstance(model, keras.Model):
        raise TypeError(
            f"`model` must be a Keras Model. Received: model={type(model).__name__} "
            "object"
        )
    batch_size = check_positive_int(batch_size, "batch_size")
    try:
        model_inputs = model.inputs
    except (AttributeError, ValueError):
        model_inputs = None
    if not model_inputs:
        raise ValueError(
            "`model` must have defined inputs (start it with keras.Input). "
            f"Received: model={model.name!r} without inputs"
        )

    layers = {layer.name: layer for layer in model.layers}
    if layer_names is None:
        names = [
            name
            for name, layer in layers.items()
            if not isinstance(layer, keras.layers.InputLayer)
        ]
    else:
        names = [str(name) for name in layer_names]
        unknown = [name for name in names if name not in layers]
        if unknown:
            raise ValueError(
                f"`layer_names` must name layers of the model ({', '.join(layers)}). "
                f"Received: layer_names={list(layer_names)!r}"
            )
    outputs = []
    for name in names:
        output = layers[name].output
        if isinstance(output, list | tuple | dict):
            raise ValueError(
                "`layer_names` must name layers with a single output. Received: "
                f"layer_names containing {name!r}, which has {len(output)} outputs"
            )
        outputs.append(output)

    # A single input is passed bare: Keras warns when the structure of the call's inputs
    # (one array) differs from the structure the model was built with (a list of one).
    extractor = keras.Model(
        inputs=model_inputs[0] if len(model_inputs) == 1 else model_inputs,
        outputs=outputs,
    )
    arrays = (
        [np.asarray(x) for x in inputs] if isinstance(inputs, list | tuple) else None
    )
    count = len(arrays[0]) if arrays is not None else len(inputs)
    pieces: list[list[np.ndarray]] = [[] for _ in names]
    # Called eagerly batch by batch rather than through `predict`, which
    # traces a new tf.function for every extractor and makes TensorFlow warn
    # about retracing in loops.
    for start in range(0, count, batch_size):
        if arrays is not None:
            batch: object = [array[start : start + batch_size] for array in arrays]
        else:
            batch = np.asarray(inputs[start : start + batch_size])
        results = extractor(batch, training=False)
        if not isinstance(results, list | tuple):
            results = [results]
        for piece, result in zip(pieces, results, strict=True):
            piece.append(keras.ops.convert_to_numpy(result))
    return {
        name: np.concatenate(piece, axis=0) if piece else np.empty((0,))
        for name, piece in zip(names, pieces, strict=True)
    }


@dataclasses.dataclass(frozen=True)
class ProbeResult:
    """How well a linear classifier reads the labels from one representation.

    Attributes:
        name: the representation's name (a layer name, or `"input"` for the raw input).
        dimension: the number of values per example once flattened.
        train_accuracy: the probe's accuracy on the examples it was fitted to.
        test_accuracy: its accuracy on held-out examples.
        converged: whether the solver converged within its iteration limit.
    """

    name: str
    dimension: int
    train_accuracy: float
    test_accuracy: float
    converged: bool


def _flatten(features: object, name: str) -> np.ndarray:
    array = np.asarray(features, dtype=np.float64)
    if array.ndim < 1 or len(array) == 0:
        raise ValueError(
            f"`{name}` must hold at least one example. Received: "
            f"{name}.shape={array.shape}"
        )
    return array.reshape(len(array), -1)


# --8<-- [start:fit_linear_probe]
def fit_linear_probe(
    train_features: np.ndarray,
    train_labels: np.ndarray,
    test_features: np.ndarray,
    test_labels: np.ndarray,
    *,
    name: str = "features",
    regularization: float = 1.0,
    max_iter: int = 500,
) -> ProbeResult:
    """Fit a linear classifier (a probe) on fixed features and measure its accuracy.

    The features are flattened to one vector per example and standardised with the
    training set's mean and spread, then a multinomial logistic regression with an L2
    penalty is fitted on them. The features themselves are not changed: the probe only
    measures how much of the label a linear read-out can recover from them.

    Args:
        train_features: the training examples' features, first axis indexing examples.
        train_labels: one integer class label per training example.
        test_features: the held-out examples' features, with the same shape per example.
        test_labels: one label per held-out example.
        name: a name for the representation, kept in the result.
            Defaults to `"features"`.
        regularization: the strength of the L2 penalty (scikit-learn's `1 / C`); larger
            values give a simpler probe. Defaults to 1.0.
        max_iter: the most iterations the L-BFGS solver may take. Defaults to 500.

    Returns:
        A `ProbeResult` with the probe's train and test accuracy; `converged` is `False`
        when the solver stopped at `max_iter` (the accuracies are then still reported).

    Raises:
        TypeError: if `name` is not a string or `max_iter` not an integer.
        ValueError: if a feature set is empty, labels and features differ in
            length, the two feature sets differ in size per example, there are
            fewer than two classes, `regularization` is not a positive number or
            `max_iter` is not positive.

    Examples:
        >>> labels = np.arange(40) % 2
        >>> noise = np.random.default_rng(0).normal(0, 0.1, (40, 3))
        >>> features = labels[:, np.newaxis] + noise
        >>> result = fit_linear_probe(
        ...     features[:30], labels[:30], features[30:], labels[30:]
        ... )
        >>> result.dimension, result.test_accuracy
        (3, 1.0)

    See: docs/fundamentals/layers-of-representations.md
    """
    name = check_non_empty_str(name, "name")
    max_iter = check_positive_int(max_iter, "max_iter")
    if (
        isinstance(regularization, bool)
        or not isinstance(regularization, int | float)
        or not math.isfinite(regularization)
        or regularization <= 0
    ):
        raise ValueError(
            "`regularization` must be a positive number. "
            f"Received: regularization={regularization!r}"
        )
    x_train = _flatten(train_features, "train_features")
    x_test = _flatten(test_features, "test_features")
    y_train = np.asarray(train_labels).reshape(-1)
    y_test = np.asarray(test_labels).reshape(-1)
    check_same_length(x_train, "train_features", y_train, "train_labels")
    check_same_length(x_test, "test_features", y_test, "test_labels")
    if x_test.shape[1] != x_train.shape[1]:
        raise ValueError(
            "`test_features` must have as many values per example as `train_features` "
            f"({x_train.shape[1]}). Received: {x_test.shape[1]} values per example"
        )
    if len(np.unique(y_train)) < 2:
        raise ValueError(
            "`train_labels` must contain at least two classes. "
            f"Received: train_labels with classes {np.unique(y_train).tolist()}"
        )

    # Standardising puts every feature on one scale, so a single penalty strength treats
    # them alike and L-BFGS converges in far fewer steps than on raw activations.
    scaler = StandardScaler().fit(x_train)
    x_train = scaler.transform(x_train)
    x_test = scaler.transform(x_test)
    probe = LogisticRegression(C=1.0 / regularization, max_iter=max_iter)
    # One BLAS thread: these matrices are small, and OpenBLAS threads that wait for work
    # compete with TensorFlow's thread pool for the cores; on a 2-core machine one
    # thread fitted the probes about ten times faster than two.
    with (
        threadpool_limits(limits=1, user_api="blas"),
        warnings.catch_warnings(record=True) as caught,
    ):
        # Not converging is reported in the result rather than printed: a probe that
        # stops early still gives a (slightly pessimistic) accuracy.
        warnings.simplefilter("always", ConvergenceWarning)
        probe.fit(x_train, y_train)
    converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
    for w in caught:
        if not issubclass(w.category, ConvergenceWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return ProbeResult(
        name=name,
        dimension=int(x_train.shape[1]),
        train_accuracy=float(probe.score(x_train, y_train)),
        test_accuracy=float(probe.score(x_test, y_test)),
        converged=converged,
    )
    # --8<-- [end:fit_linear_probe]


def probe_layers(
    model: keras.Model,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    *,
    layer_names: Sequence[str] | None = None,
    include_input: bool = True,
    regularization: float = 1.0,
    max_iter: int = 500,
    batch_size: int = 256,
) -> list[ProbeResult]:
    """Fit one linear probe on the output of each chosen layer of a model.

    Each layer's outputs are read with `layer_outputs` (inference mode) for the training
    and the test examples, and `fit_linear_probe` is fitted on them. Comparing the
    probes' test accuracies shows how linearly separable the classes are at each depth
    (Alain and Bengio's linear classifier probes).

    Args:
        model: a built Sequential or functional Keras model with a single input.
        x_train: the training inputs.
        y_train: one integer label per training input.
        x_test: the held-out inputs.
        y_test: one label per held-out input.
        layer_names: the layers to probe, in the order wanted. Defaults to `None`,
            meaning every layer except input layers, in model order.
        include_input: whether to probe the raw input first, under the name `"input"`.
            Defaults to `True`.
        regularization: the probes' L2 penalty strength. Defaults to 1.0.
        max_iter: the most solver iterations per probe. Defaults to 500.
        batch_size: examples per batch when reading layer outputs. Defaults to 256.

    Returns:
        One `ProbeResult` per representation, the input first if `include_input`, then
        the layers in the order of `layer_names`.

    Raises:
        TypeError: if `model` is not a Keras model or an integer
            option is not an integer.
        ValueError: for the reasons `layer_outputs` and `fit_linear_probe` give, e.g. a
            name in `layer_names` that is not a layer of the model (the message lists
            the layers that exist).

    Examples:
        >>> keras.utils.set_random_seed(0)
        >>> model = keras.Sequential(
        ...     [
        ...         keras.Input((4,)),
        ...         keras.layers.Dense(3, name="hidden"),
        ...         keras.layers.Dense(2),
        ...     ]
        ... )
        >>> x = np.random.default_rng(0).normal(size=(20, 4))
        >>> y = (x[:, 0] > 0).astype(int)
        >>> results = probe_layers(
        ...     model, x[:15], y[:15], x[15:], y[15:], layer_names=["hidden"]
        ... )
        >>> ", ".join(f"{r.name}: {r.dimension} values" for r in results)
        'input: 4 values, hidden: 3 values'

    See: docs/fundamentals/layers-of-representations.md
    """
    train_outputs = layer_outputs(
        model, x_train, layer_names=layer_names, batch_size=batch_size
    )
    test_outputs = layer_outputs(
        model, x_test, layer_names=layer_names, batch_size=batch_size
    )
    pairs: list[tuple[str, np.ndarray, np.ndarray]] = []
    if include_input:
        pairs.append(("input", np.asarray(x_train), np.asarray(x_test)))
    pairs.extend(
        (name, train_outputs[name], test_outputs[name]) for name in train_outputs
    )
    return [
        fit_linear_probe(
            train,
            y_train,
            test,
            y_test,
            name=name,
            regularization=regularization,
            max_iter=max_iter,
        )
        for name, train, test in pairs
    ]


def count_parameters(model: keras.Model, *, trainable_only: bool = False) -> int:
    """Count the numbers a model stores in its weights.

    Args:
        model: a built Keras model.
        trainable_only: whether to count only the weights that training updates (leaving
            out, e.g., batch normalisation's moving statistics and frozen layers).
            Defaults to `False`.

    Returns:
        The total number of scalar values in the chosen weights.

    Raises:
        TypeError: if `model` is not a Keras model.
        ValueError: if the model is not built yet (its weights do not exist).

    Examples:
        >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
        >>> count_parameters(model)  # a 4x3 kernel and 3 biases
        15

    See: docs/fundamentals/shallow-versus-deep.md
    """
    if not isinstance(model, keras.Model):
        raise TypeError(
            f"`model` must be a Keras Model. Received: model={type(model).__name__} "
            "object"
        )
    if not model.built:
        raise ValueError(
            "`model` must be built (start it with keras.Input, or call it once). "
            f"Received: model={model.name!r}, not built"
        )
    weights = model.trainable_weights if trainable_only else model.weights
    return sum(math.prod(weight.shape) for weight in weights)


# --- profiling: parameters, multiply-accumulates and activation memory
# ------------------------

# Layers that act on each position separately (or only shift positions, as padding
# and cropping do): they leave the receptive field's size and the jump between
# neighbours unchanged.
_POINTWISE_NAMES = (
    "BatchNormalization",
    "LayerNormalization",
    "GroupNormalization",
    "UnitNormalization",
    "Activation",
    "ReLU",
    "LeakyReLU",
    "PReLU",
    "ELU",
    "Softmax",
    "Add",
    "Subtract",
    "Multiply",
    "Average",
    "Maximum",
    "Minimum",
    "Concatenate",
    "Rescaling",
    "Normalization",
    "ZeroPadding1D",
    "ZeroPadding2D",
    "ZeroPadding3D",
    "Cropping1D",
    "Cropping2D",
    "Cropping3D",
    "Dropout",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "SpatialDropout3D",
    "GaussianDropout",
    "GaussianNoise",
    "AlphaDropout",
    "ActivityRegularization",
    "Identity",
)

# Layers that do no multiply-accumulates under the counting convention of the
# architecture papers (He et al. 2016, Howard et al. 2017, Sandler et al. 2018 count the
# multiply-adds of convolutions and fully connected layers): normalisation (folded into
# the preceding convolution at inference), activations, pooling, element-wise merges,
# in-model preprocessing, layout changes and layers that are the identity at inference.
_ZERO_MAC_NAMES = (
    *_POINTWISE_NAMES,
    "MaxPooling1D",
    "MaxPooling2D",
    "MaxPooling3D",
    "AveragePooling1D",
    "AveragePooling2D",
    "AveragePooling3D",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalAveragePooling3D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "GlobalMaxPooling3D",
    "Reshape",
    "Flatten",
    "Permute",
    "RepeatVector",
    "UpSampling1D",
    "UpSampling2D",
    "UpSampling3D",
)
_ZERO_MAC_LAYERS: tuple[type, ...] = tuple(
    getattr(keras.layers, name)
    for name in _ZERO_MAC_NAMES
    if hasattr(keras.layers, name)
)
_SEPARABLE = (keras.layers.SeparableConv1D, keras.layers.SeparableConv2D)
_DEPTHWISE = (keras.layers.DepthwiseConv1D, keras.layers.DepthwiseConv2D)
_TRANSPOSED = (
    keras.layers.Conv1DTranspose,
    keras.layers.Conv2DTranspose,
    keras.layers.Conv3DTranspose,
)
_CONV = (keras.layers.Conv1D, keras.layers.Conv2D, keras.layers.Conv3D)

_Call = tuple[Any, list[Any], list[Any]]


def _graph_of(model: keras.Model) -> Any:
    if isinstance(model, keras.Sequential):
        # A Sequential started with keras.Input keeps an equivalent functional model.
        return getattr(model, "_functional", None)
    return model


def _calls(model: keras.Model) -> list[_Call] | None:
    """Every call in a model's graph as (operation, input
    tensors, output tensors), in order.

    Returns `None` for a model without a graph (a subclassed model). Keras 3 keeps the
    graph's calls in `_nodes_by_depth` and its operations, in model order, in
    `_operations`; the public `model.layers` leaves out operations called directly on
    tensors (`keras.ops.add(a, b)`), which must be reported rather than skipped, and
    lists a shared layer once however often it is called.
    """
    graph = _graph_of(model)
    by_depth = getattr(graph, "_nodes_by_depth", None)
    operations = getattr(graph, "_operations", None)
    if graph is None or by_depth is None or operations is None:
        return None
    order = {id(operation): i for i, operation in enumerate(operations)}
    nodes = [
        node for depth in sorted(by_depth, reverse=True) for node in by_depth[depth]
    ]
    nodes.sort(key=lambda node: order.get(id(node.operation), len(order)))
    return [
        (node.operation, list(node.arguments.keras_tensors), list(node.outputs))
        for node in nodes
    ]


def _check_graph_model(model: Any) -> list[_Call]:
    if not isinstance(model, keras.Model):
        raise TypeError(
            f"`model` must be a Keras Model. Received: model={type(model).__name__} "
            "object"
        )
    calls = _calls(model)
    if calls is None:
        raise ValueError(
            "`model` must be a Sequential or functional model started with keras.Input "
            f"(a subclassed model has no graph to walk). Received: model={model.name!r}"
        )
    return calls


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
    if isinstance(layer, _ZERO_MAC_LAYERS):
        return 0
    if not isinstance(
        layer, (*_SEPARABLE, *_DEPTHWISE, *_TRANSPOSED, *_CONV, keras.layers.Dense)
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
    if isinstance(layer, _SEPARABLE):
        depthwise = in_channels * int(layer.depth_multiplier)
        return int(math.prod(out_space) * depthwise * (window + int(layer.filters)))
    if isinstance(layer, _DEPTHWISE):
        return int(
            math.prod(out_space) * in_channels * int(layer.depth_multiplier) * window
        )
    if isinstance(layer, _TRANSPOSED):
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
    model: keras.Model,
    calls: list[_Call],
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
            inner = _calls(operation)
            if inner is not None:
                rows.extend(_profile_calls(operation, inner, f"{name}/", seen, times))
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


# --8<-- [start:profile]
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

    See: docs/vision/architectures.md
    """
    calls = _check_graph_model(model)
    rows = _profile_calls(model, calls, "", set(), {})
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
    # --8<-- [end:profile]


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

    See: docs/vision/architectures.md
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
    widths = [
        max(len(line[i]) for line in [header, *table]) for i in range(len(header))
    ]
    lines = [
        "  ".join(
            cell.ljust(width) if i < 3 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(line, widths, strict=True))
        ).rstrip()
        for line in [header, *table]
    ]
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


# --- receptive fields
# ---------------------------------------------------------------------------

_POINTWISE = tuple(
    getattr(keras.layers, n) for n in _POINTWISE_NAMES if hasattr(keras.layers, n)
)
_POOLING = tuple(
    getattr(keras.layers, f"{kind}Pooling{d}D")
    for kind in ("Max", "Average")
    for d in (1, 2, 3)
)
_GLOBAL = (
    *(
        getattr(keras.layers, f"Global{kind}Pooling{d}D")
        for kind in ("Max", "Average")
        for d in (1, 2, 3)
    ),
    keras.layers.Flatten,
)


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
    calls: list[_Call],
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
        inner = _calls(operation) if isinstance(operation, keras.Model) else None
        ndim = len(inputs[0].shape) - 2 if inputs else 0
        if inner is not None:
            graph = _graph_of(operation)
            for tensor in graph.inputs:
                states[id(tensor)] = state
            _receptive_calls(inner, states, f"{name}/", steps, unknown)
            outer = _merge([states[id(tensor)] for tensor in graph.outputs])
            for tensor in outputs:
                states[id(tensor)] = outer
            continue
        if isinstance(operation, (*_CONV, *_DEPTHWISE, *_SEPARABLE)):
            kernel = _axes(operation.kernel_size, ndim)
            stride = _axes(operation.strides, ndim)
            dilation = _axes(operation.dilation_rate, ndim)
        elif isinstance(operation, _POOLING):
            kernel = _axes(operation.pool_size, ndim)
            stride = _axes(operation.strides, ndim)
            dilation = (1,) * ndim
        elif isinstance(operation, _POINTWISE) or (
            isinstance(operation, keras.layers.Dense) and ndim > 0
        ):
            kernel = stride = dilation = (1,) * ndim
        elif isinstance(operation, keras.layers.Dense) and state[0] is None:
            pass  # a dense layer on a flattened input keeps seeing the whole input
        elif not isinstance(operation, _GLOBAL):
            unknown.append(f"{name} ({type(operation).__name__})")
            continue
        if kernel is not None and stride is not None and dilation is not None:
            state = _grow(state, kernel, stride, dilation)
        else:
            state = (None, None)
        for tensor in outputs:
            states[id(tensor)] = state
        steps.append(ReceptiveFieldStep(name, kernel, stride, dilation, *state))


# --8<-- [start:receptive_field]
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

    See: docs/vision/architectures.md
    """
    if isinstance(layers, keras.Model):
        calls = _check_graph_model(layers)
        graph = _graph_of(layers)
        states: dict[int, _State] = {}
        for tensor in graph.inputs:
            ndim = len(tensor.shape) - 2
            states[id(tensor)] = ((1,) * ndim, (1,) * ndim)
        steps: list[ReceptiveFieldStep] = []
        unknown: list[str] = []
        _receptive_calls(calls, states, "", steps, unknown)
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
    # --8<-- [end:receptive_field]


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

    See: docs/vision/architectures.md
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
    widths = [
        max(len(line[i]) for line in [header, *table]) for i in range(len(header))
    ]
    return "\n".join(
        "  ".join(
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(line, widths, strict=True))
        ).rstrip()
        for line in [header, *table]
    )
