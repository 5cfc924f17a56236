"""Pooling per-frame features over time answers "what moves", but not "which way it
moves"."""

# budget: 20 s — four small video models trained on about 1,500 generated clips

import keras
import numpy as np

from dlcv.video import make_moving_clips

keras.utils.set_random_seed(0)
FRAMES, CANVAS = 6, 16

# --8<-- [start:data]
# Three 5x5 shapes (a square outline, a plus and a diagonal) move over a noisy 16x16
# canvas.
square = np.zeros((5, 5), "float32")
square[[0, -1], :] = square[:, [0, -1]] = 1
plus = np.zeros((5, 5), "float32")
plus[2, :] = plus[:, 2] = 1
diagonal = np.eye(5, dtype="float32")
shapes = np.stack([square, plus, diagonal])

clips, shape_labels, positions = make_moving_clips(
    shapes,
    [0, 1, 2],
    frames=FRAMES,
    canvas_size=CANVAS,
    speed=1.0,
    noise=0.3,
    num_clips=3000,
    seed=1,
)
# A second label for the same clips: does the shape first move left (0) or right (1)?
first_step = positions[:, 1, 1] - positions[:, 0, 1]
keep = first_step != 0  # drop clips whose first step is purely vertical
clips, shape_labels, direction = (
    clips[keep],
    shape_labels[keep],
    (first_step[keep] > 0) * 1,
)
# --8<-- [end:data]

split = 64 * (int(0.8 * len(clips)) // 64)  # about 80%, in whole batches of 64


# --8<-- [start:models]
def frame_encoder() -> keras.Model:
    """The image model: features of one frame, computed the same way for every frame."""
    return keras.Sequential(
        [
            keras.Input((CANVAS, CANVAS, 1)),
            keras.layers.Conv2D(16, 3, strides=2, activation="relu"),
            keras.layers.Flatten(),
            keras.layers.Dense(32, activation="relu"),
        ]
    )


def video_model(temporal: bool, classes: int) -> keras.Model:
    inputs = keras.Input((FRAMES, CANVAS, CANVAS, 1))
    # (batch, frames, 32)
    features = keras.layers.TimeDistributed(frame_encoder())(inputs)
    if temporal:
        # A 1D convolution over time sees neighbouring frames in order.
        x = keras.layers.Conv1D(32, 2, activation="relu")(features)
        x = keras.layers.GlobalAveragePooling1D()(x)
    else:
        # The mean over time is the same whatever order the frames come in.
        x = keras.layers.GlobalAveragePooling1D()(features)
    outputs = keras.layers.Dense(classes, activation="softmax")(x)
    return keras.Model(inputs, outputs)


# --8<-- [end:models]


def accuracy(temporal: bool, labels: np.ndarray) -> float:
    keras.utils.set_random_seed(0)
    model = video_model(temporal, int(labels.max()) + 1)
    model.compile(
        optimizer=keras.optimizers.Adam(3e-3),
        loss="sparse_categorical_crossentropy",
        steps_per_execution=8,
    )
    model.optimizer.build(model.trainable_variables)
    model.fit(clips[:split], labels[:split], epochs=6, batch_size=64, verbose=0)
    predicted = np.argmax(model(clips[split:], training=False), axis=-1)
    return float(np.mean(predicted == labels[split:]))


print(
    f"{len(clips)} clips of {FRAMES} frames, {CANVAS}x{CANVAS}; {len(clips) - split} "
    f"held out"
)
print(
    f"Chance: 1/3 for the shape, about "
    f"{max(direction.mean(), 1 - direction.mean()):.2f} "
    "for the direction"
)
print()
print(f"{'task':<22}{'pooled over time':>18}{'temporal conv':>16}")
for task, labels in [("which shape", shape_labels), ("which way it moves", direction)]:
    pooled, temporal = accuracy(False, labels), accuracy(True, labels)
    print(f"{task:<22}{pooled:>18.3f}{temporal:>16.3f}")
