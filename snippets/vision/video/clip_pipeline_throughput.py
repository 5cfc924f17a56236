"""How many frames per second the generated-clip pipeline and a per-frame image model
sustain, with the frames folded into one batch and with Keras 3's TimeDistributed, which
loops over them."""

# output varies: it measures throughput on the machine that runs it

import time

import keras
import tensorflow as tf

from dlcv.data import load_digits_images
from dlcv.video import make_clip_dataset

keras.utils.set_random_seed(0)
images, labels = load_digits_images()
BATCH, FRAMES, CANVAS, BATCHES = 64, 8, 32, 8

# Clips are generated on the fly, batch by batch: nothing is stored on disk or kept in
# memory.
stream = make_clip_dataset(
    images,
    labels,
    batch_size=BATCH,
    batches=BATCHES,
    frames=FRAMES,
    canvas_size=CANVAS,
    speed=1.0,
    noise=0.2,
    seed=0,
)
encoder = keras.Sequential(
    [
        keras.Input((CANVAS, CANVAS, 1)),
        keras.layers.Conv2D(32, 3, activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(64, 3, activation="relu"),
        keras.layers.GlobalAveragePooling2D(),
    ]
)


@tf.function
def folded_features(clips: tf.Tensor) -> tf.Tensor:
    # every frame of every clip: one batch
    frames = tf.reshape(clips, (-1, CANVAS, CANVAS, 1))
    features = encoder(frames, training=False)
    # back to (clips, T, 64)
    return tf.reshape(features, (tf.shape(clips)[0], FRAMES, -1))


# Keras 3: one call of encoder per frame
per_frame = keras.layers.TimeDistributed(encoder)


@tf.function
def time_distributed_features(clips: tf.Tensor) -> tf.Tensor:
    return per_frame(clips, training=False)


class CallLog(keras.layers.Layer):
    """Passes its input through unchanged, recording the shape of every call."""

    def __init__(self) -> None:
        super().__init__()
        self.shapes: list[tuple[int, ...]] = []

    def call(self, x: tf.Tensor) -> tf.Tensor:
        self.shapes.append(tuple(x.shape))
        return x


log = CallLog()
first_clips, _ = next(iter(stream))
keras.layers.TimeDistributed(log)(first_clips)
shapes = sorted(set(log.shapes))
print(
    f"TimeDistributed called the wrapped layer {len(log.shapes)} times, on shapes "
    f"{shapes}"
)
same = float(
    tf.reduce_max(tf.abs(folded_features(first_clips) - per_frame(first_clips)))
)
print(f"Folded and TimeDistributed features agree: {same < 1e-4}")


def timed(step, clips: tf.Tensor) -> float:
    start = time.perf_counter()
    step(clips).numpy()
    return time.perf_counter() - start


steps = {"folded": folded_features, "looped": time_distributed_features}
# warm-up: builds the pipeline and traces both functions
for clips, _ in stream.take(2):
    for step in steps.values():
        step(clips)

start = time.perf_counter()
count = sum(int(clips.shape[0]) * FRAMES for clips, _ in stream)  # generation alone
generate = count / (time.perf_counter() - start)

# Both ways on the same batches, in alternating order, so that a change in the machine's
# load affects both about equally.
seconds = {"folded": 0.0, "looped": 0.0}
for index, (clips, _) in enumerate(stream):
    for name in sorted(steps, reverse=index % 2 == 1):
        seconds[name] += timed(steps[name], clips)
folded, looped = count / seconds["folded"], count / seconds["looped"]
print(
    f"Clips of {FRAMES} frames at {CANVAS}x{CANVAS}, {BATCH} per batch, {BATCHES} "
    f"batches a pass"
)
print(f"{'Generating clips':<50}{generate:>10,.0f} frames/s")
print(f"{'Conv features, frames folded into one batch':<50}{folded:>10,.0f} frames/s")
print(
    f"{'Conv features, TimeDistributed (a call per frame)':<50}{looped:>10,.0f} "
    f"frames/s"
)
print(f"Folded over TimeDistributed: {folded / looped:.2f}x")
slower = (
    "the image model"
    if max(folded, looped) < 0.9 * generate
    else "neither stage clearly"
)
print(f"Slower stage: {slower}")
