"""Keras layer classes grouped by how they treat positions and what they compute.

`dlcv.profiling` counts multiply-accumulates by these groups and
`dlcv.receptive_fields` grows the receptive field by them. Names are looked up with
`hasattr`, so a class that an older Keras lacks is left out rather than failing the
import.
"""

from __future__ import annotations

import keras

__all__ = [
    "CONV",
    "DEPTHWISE",
    "GLOBAL",
    "POINTWISE",
    "POOLING",
    "SEPARABLE",
    "TRANSPOSED",
    "ZERO_MAC",
]


def _classes(names: tuple[str, ...]) -> tuple[type, ...]:
    """The `keras.layers` classes of these names, skipping those this Keras lacks.

    Examples:
        >>> _classes(("ReLU", "NoSuchLayer")) == (keras.layers.ReLU,)
        True
    """
    return tuple(getattr(keras.layers, n) for n in names if hasattr(keras.layers, n))


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
POINTWISE = _classes(_POINTWISE_NAMES)

# Layers that do no multiply-accumulates under the counting convention of the
# architecture papers (He et al. 2016, Howard et al. 2017, Sandler et al. 2018 count the
# multiply-adds of convolutions and fully connected layers): normalisation (folded into
# the preceding convolution at inference), activations, pooling, element-wise merges,
# in-model preprocessing, layout changes and layers that are the identity at inference.
ZERO_MAC = _classes(
    (
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
)

CONV = (keras.layers.Conv1D, keras.layers.Conv2D, keras.layers.Conv3D)
SEPARABLE = (keras.layers.SeparableConv1D, keras.layers.SeparableConv2D)
DEPTHWISE = (keras.layers.DepthwiseConv1D, keras.layers.DepthwiseConv2D)
TRANSPOSED = (
    keras.layers.Conv1DTranspose,
    keras.layers.Conv2DTranspose,
    keras.layers.Conv3DTranspose,
)
POOLING = tuple(
    getattr(keras.layers, f"{kind}Pooling{d}D")
    for kind in ("Max", "Average")
    for d in (1, 2, 3)
)
# Layers after which every output depends on the whole input.
GLOBAL = (
    *(
        getattr(keras.layers, f"Global{kind}Pooling{d}D")
        for kind in ("Max", "Average")
        for d in (1, 2, 3)
    ),
    keras.layers.Flatten,
)
