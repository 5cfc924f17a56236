"""Int8 quantization, magnitude pruning and distillation applied to one digits
classifier: accuracy, bytes of weights and CPU time per batch of each variant."""

# output varies: the two ms columns are CPU times measured on the machine that runs it

import time

import keras
import numpy as np

import dlcv

keras.utils.set_random_seed(0)
images, labels = dlcv.load_digits_images(flatten=True)
x_train, x_test, y_train, y_test = dlcv.split_train_test(images, labels)
# 1,347 training digits: 21 batches of 64 use 1,344 and never retrace
x_train, y_train = x_train[:1344], y_train[:1344]
batch = x_test[:256]


def mlp(hidden):
    return keras.Sequential(
        [
            keras.Input((64,)),
            keras.layers.Dense(hidden, activation="relu"),
            keras.layers.Dense(hidden, activation="relu"),
            keras.layers.Dense(10),
        ]
    )


def fit(model, loss, targets, epochs):
    model.compile(keras.optimizers.Adam(3e-3), loss, steps_per_execution=21)
    model.optimizer.build(model.trainable_variables)
    model.fit(x_train, targets, batch_size=64, epochs=epochs, verbose=0)
    return model


def median_ms(run, repeats=10):
    run()  # the first call traces
    times = []
    for _ in range(repeats):
        # CPU time: other programs on a shared machine inflate it less than wall time
        start = time.process_time()
        run()
        times.append(time.process_time() - start)
    return 1000 * float(np.median(times))


rows = []


def measure(name, model):
    logits = np.asarray(model(x_test, training=False))
    nonzero = sum(int(np.count_nonzero(w)) for w in model.weights)
    rows.append(
        (
            name,
            float(np.mean(logits.argmax(axis=1) == y_test)),
            dlcv.weight_bytes(model),
            nonzero / dlcv.count_parameters(model),
            median_ms(lambda: model(batch, training=False)),  # op by op
            median_ms(lambda: model.predict_on_batch(batch)),  # one compiled graph
        )
    )


labels_loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
teacher = fit(mlp(256), labels_loss, y_train, epochs=12)
measure("float32", teacher)

quantized = mlp(256)
quantized.set_weights(teacher.get_weights())
# Only Dense layers have an int8 mode here; Keras would warn about the others.
quantized.quantize("int8", filters=lambda layer: isinstance(layer, keras.layers.Dense))
measure("int8 (Keras)", quantized)

pruned = mlp(256)
pruned.set_weights(teacher.get_weights())
for layer in pruned.layers:
    kernel, mask = dlcv.magnitude_prune(layer.kernel, 0.9)
    layer.kernel.assign(kernel)
    # The optimizer applies a variable's constraint after each update: pruned
    # weights stay zero while the others are fine-tuned.
    layer.kernel.constraint = lambda w, mask=mask: w * mask
measure("pruned 90%", pruned)
fit(pruned, labels_loss, y_train, epochs=3)
measure("pruned 90%, fine-tuned", pruned)

# The students: one initialisation, trained on the labels or distilled from the
# teacher, whose logits travel beside each label.
student = mlp(32)
start = student.get_weights()
fit(student, labels_loss, y_train, epochs=12)
measure("small, labels only", student)

teacher_logits = np.asarray(teacher(x_train, training=False))
targets = np.column_stack([y_train, teacher_logits]).astype("float32")


def distill(targets, student_logits):
    labels, logits = targets[:, 0], targets[:, 1:]
    return dlcv.distillation_loss(
        labels, student_logits, logits, temperature=4.0, soft_weight=0.9
    )


distilled = mlp(32)
distilled.set_weights(start)
fit(distilled, distill, targets, epochs=12)
measure("small, distilled", distilled)

print(
    f"{'variant':<24}{'accuracy':>9}{'weight bytes':>14}{'nonzero':>9}"
    f"{'eager ms':>10}{'graph ms':>10}"
)
for name, accuracy, size, nonzero, eager, graph in rows:
    print(
        f"{name:<24}{accuracy:>9.3f}{size:>14,}{nonzero:>9.0%}"
        f"{eager:>10.2f}{graph:>10.2f}"
    )
print(
    f"{len(x_test)} test digits; ms: median CPU time of 10 calls on {len(batch)} digits"
)
