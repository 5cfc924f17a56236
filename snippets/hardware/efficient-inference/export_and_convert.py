"""Export a digits classifier and its int8 copy as TF SavedModels, reload them, and
convert the float model to a LiteRT (TFLite) flatbuffer, float and int8."""

import os
import tempfile
import warnings

import keras
import numpy as np
import tensorflow as tf

import dlcv

keras.utils.set_random_seed(0)
images, labels = dlcv.load_digits_images(flatten=True)
x_train, x_test, y_train, y_test = dlcv.split_train_test(images, labels)
model = keras.Sequential(
    [
        keras.Input((64,)),
        keras.layers.Dense(256, activation="relu"),
        keras.layers.Dense(256, activation="relu"),
        keras.layers.Dense(10),
    ]
)
model.compile(
    keras.optimizers.Adam(3e-3),
    keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    steps_per_execution=21,
)
model.fit(x_train[:1344], y_train[:1344], batch_size=64, epochs=10, verbose=0)
quantized = keras.Sequential.from_config(model.get_config())
quantized.set_weights(model.get_weights())
# Only Dense layers have an int8 mode here; Keras would warn about the others.
quantized.quantize("int8", filters=lambda layer: isinstance(layer, keras.layers.Dense))
folder = tempfile.mkdtemp()


def folder_bytes(path):
    return sum(
        os.path.getsize(os.path.join(root, name))
        for root, _, names in os.walk(path)
        for name in names
    )


def accuracy(logits):
    return float(np.mean(np.asarray(logits).argmax(axis=1) == y_test))


print(f"{'artifact':<28}{'bytes':>10}{'accuracy':>10}{'max |diff|':>12}")
for name, keras_model in [("float32", model), ("int8", quantized)]:
    path = os.path.join(folder, name)
    keras_model.export(path, verbose=False)  # a TF SavedModel, forward pass only
    reloaded = keras.layers.TFSMLayer(path, call_endpoint="serve")
    before = np.asarray(keras_model(x_test, training=False))
    after = np.asarray(reloaded(x_test))
    print(
        f"{'SavedModel, ' + name:<28}{folder_bytes(path):>10,}{accuracy(after):>10.3f}"
        f"{np.abs(after - before).max():>12.2g}"
    )

# LiteRT: the differences are against the float Keras model.
reference = np.asarray(model(x_test, training=False))
converter = tf.lite.TFLiteConverter.from_saved_model(os.path.join(folder, "float32"))
for name, optimizations in [
    ("float32", []),
    ("dynamic-range int8", [tf.lite.Optimize.DEFAULT]),
]:
    converter.optimizations = optimizations
    flatbuffer = converter.convert()
    with warnings.catch_warnings():
        # TF 2.21 warns that tf.lite.Interpreter moves to the ai_edge_litert package,
        # which dlcv does not install; this interpreter still runs the same files.
        warnings.filterwarnings(
            "ignore", r"\s*Warning: tf.lite.Interpreter is deprecated", UserWarning
        )
        interpreter = tf.lite.Interpreter(
            model_content=flatbuffer,
            # without the default XNNPACK delegate, which announces itself on stderr
            experimental_op_resolver_type=(
                tf.lite.experimental.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
            ),
        )
    (source,) = interpreter.get_input_details()
    (output,) = interpreter.get_output_details()
    interpreter.resize_tensor_input(source["index"], x_test.shape)
    interpreter.allocate_tensors()
    interpreter.set_tensor(source["index"], x_test.astype("float32"))
    interpreter.invoke()
    logits = interpreter.get_tensor(output["index"])
    print(
        f"{'LiteRT, ' + name:<28}{len(flatbuffer):>10,}{accuracy(logits):>10.3f}"
        f"{np.abs(logits - reference).max():>12.2g}"
    )
print(f"float32 weights alone: {dlcv.weight_bytes(model):,} bytes")
