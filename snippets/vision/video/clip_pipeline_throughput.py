"""How many frames per second the generated-clip pipeline and a per-frame image model sustain."""

# output varies: it measures throughput on the machine that runs it

import time

import keras
import tensorflow as tf

from dlcv.data import load_digits_images
from dlcv.video import make_clip_dataset

keras.utils.set_random_seed(0)
images, labels = load_digits_images()
BATCH, FRAMES, CANVAS, BATCHES = 64, 8, 32, 40

# --8<-- [start:pipeline]
# Clips are generated on the fly, batch by batch: nothing is stored on disk or kept in memory.
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
def frame_features(clips: tf.Tensor) -> tf.Tensor:
    frames = tf.reshape(clips, (-1, CANVAS, CANVAS, 1))  # every frame of every clip
    features = encoder(frames, training=False)
    return tf.reshape(features, (tf.shape(clips)[0], FRAMES, -1))  # back to (clips, T, 64)


# --8<-- [end:pipeline]


def frames_per_second(step) -> float:
    for clips, _ in stream.take(2):  # warm-up: builds the pipeline and traces the function
        step(clips)
    start = time.perf_counter()
    count = 0
    for clips, _ in stream:
        step(clips)
        count += int(clips.shape[0]) * FRAMES
    return count / (time.perf_counter() - start)


generate = frames_per_second(lambda clips: None)
both = frames_per_second(lambda clips: frame_features(clips).numpy())
print(f"Clips of {FRAMES} frames at {CANVAS}x{CANVAS}, {BATCH} per batch, {BATCHES} batches a pass")
print(f"{'Generating clips only':<40}{generate:>10,.0f} frames/s")
print(f"{'Generating + per-frame conv features':<40}{both:>10,.0f} frames/s")
slower = "the image model" if both < 0.9 * generate else "neither stage clearly"
print(f"Slower stage: {slower}")
