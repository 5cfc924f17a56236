"""Look inside trained Keras models: what each layer computes for a given input."""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np

from dlcv._validation import check_positive_int

__all__ = [
    "layer_outputs",
]


def layer_outputs(
    model: keras.Model,
    inputs: np.ndarray | Sequence[np.ndarray],
    *,
    layer_names: Sequence[str] | None = None,
    batch_size: int = 256,
) -> dict[str, np.ndarray]:
    """Return what each named layer of a model outputs for the given inputs.

    A second model is built that shares the first one's layers and weights but outputs the
    chosen layers' results; it runs in inference mode (dropout off, batch normalisation using
    its moving statistics), in batches of `batch_size` examples.

    Args:
        model: a built Sequential or functional Keras model.
        inputs: the input examples (a list of arrays for a model with several inputs).
        layer_names: the layers to read, in the order wanted. Defaults to `None`, meaning every
            layer except input layers, in model order.
        batch_size: examples per batch. Defaults to 256.

    Returns:
        A dict mapping each layer name to its outputs, a NumPy array whose first axis indexes
        the examples, in the order of `layer_names`.

    Raises:
        TypeError: if `model` is not a Keras model or `batch_size` is not an integer.
        ValueError: if the model has no defined inputs (not built), a name in `layer_names`
            is not a layer of the model, a chosen layer has several outputs, or `batch_size`
            is not positive.

    Example:
        >>> model = keras.Sequential(
        ...     [keras.Input((4,)), keras.layers.Dense(3, name="hidden"), keras.layers.Dense(2)]
        ... )
        >>> outputs = layer_outputs(model, np.zeros((5, 4)), layer_names=["hidden"])
        >>> outputs["hidden"].shape
        (5, 3)

    See: docs/fundamentals/what-deep-means.md
    """
    if not isinstance(model, keras.Model):
        raise TypeError(
            f"`model` must be a Keras Model. Received: model={type(model).__name__} object"
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
            name for name, layer in layers.items() if not isinstance(layer, keras.layers.InputLayer)
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
                f"`layer_names` must name layers with a single output. Received: layer_names "
                f"containing {name!r}, which has {len(output)} outputs"
            )
        outputs.append(output)

    # A single input is passed bare: Keras warns when the structure of the call's inputs
    # (one array) differs from the structure the model was built with (a list of one).
    extractor = keras.Model(
        inputs=model_inputs[0] if len(model_inputs) == 1 else model_inputs, outputs=outputs
    )
    arrays = [np.asarray(x) for x in inputs] if isinstance(inputs, list | tuple) else None
    count = len(arrays[0]) if arrays is not None else len(inputs)
    pieces: list[list[np.ndarray]] = [[] for _ in names]
    # Called eagerly batch by batch rather than through `predict`, which traces a new
    # tf.function for every extractor and makes TensorFlow warn about retracing in loops.
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
