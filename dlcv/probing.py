"""Probe what a Keras model's layers compute: their outputs, how linearly the classes
separate at each depth, and how many numbers the model stores.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Sequence

import keras
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from dlcv._keras_graph import check_model, check_model_inputs
from dlcv._validation import (
    check_non_empty_str,
    check_positive_int,
    check_same_length,
)

__all__ = [
    "ProbeResult",
    "count_parameters",
    "fit_linear_probe",
    "layer_outputs",
    "probe_layers",
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

    See: [What "deep" means](../fundamentals/what-deep-means.md)
    """
    model_inputs = check_model_inputs(model)
    batch_size = check_positive_int(batch_size, "batch_size")

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

    See: [Layers of representations](../fundamentals/layers-of-representations.md)
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

    See: [Layers of representations](../fundamentals/layers-of-representations.md)
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

    See: [Layers of representations](../fundamentals/layers-of-representations.md)
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

    See: [Shallow versus deep](../fundamentals/shallow-versus-deep.md)
    """
    check_model(model)
    if not model.built:
        raise ValueError(
            "`model` must be built (start it with keras.Input, or call it once). "
            f"Received: model={model.name!r}, not built"
        )
    weights = model.trainable_weights if trainable_only else model.weights
    return sum(math.prod(weight.shape) for weight in weights)
