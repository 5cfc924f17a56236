"""Generated video: small images moving over a larger canvas,
and image models run per frame.

A clip here is a float32 array of shape `(frames, height, width, channels)`, so a batch
of clips has shape `(N, T, H, W, C)`: the layout `keras.layers.TimeDistributed` expects.
The clips are generated, so they need no download, carry exact labels and object
positions, and can be made as hard as wanted with noise.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any, NamedTuple

import keras
import numpy as np
import tensorflow as tf

from dlcv._validation import (
    check_non_negative_int,
    check_non_negative_number,
    check_positive_int,
    check_same_length,
    check_size_pair,
)

__all__ = [
    "MovingClips",
    "apply_per_frame",
    "make_clip_dataset",
    "make_moving_clips",
]


class MovingClips(NamedTuple):
    """Clips of moving sprites, with what each one shows and where.

    Attributes:
        clips: float32 array of shape `(N, T, H, W, C)`.
        labels: the label of the sprite in each clip, shape `(N,)`.
        positions: int64 array of shape `(N, T, 2)`, the (row, column) of the sprite's
            top-left corner in each frame.

    See: [Video](../vision/video.md)
    """

    clips: np.ndarray
    labels: np.ndarray
    positions: np.ndarray


def _check_sprites(sprites: Any) -> np.ndarray:
    array = np.asarray(sprites, dtype=np.float32)
    if array.ndim == 3:
        array = array[..., np.newaxis]
    if array.ndim != 4 or len(array) == 0 or 0 in array.shape:
        raise ValueError(
            "`sprites` must be a non-empty array of shape (N, h, w) or (N, h, w, C). "
            f"Received: sprites.shape={np.shape(sprites)}"
        )
    return array


def _check_canvas_size(value: Any, sprite_shape: tuple[int, int]) -> tuple[int, int]:
    height, width = check_size_pair(value, "canvas_size")
    if height < sprite_shape[0] or width < sprite_shape[1]:
        raise ValueError(
            f"`canvas_size` must be at least the sprite size {sprite_shape}. "
            f"Received: canvas_size={value!r}"
        )
    return height, width


def _bounce(
    start: np.ndarray, step: np.ndarray, frames: int, room: np.ndarray
) -> np.ndarray:
    """Positions along straight lines that reflect off the
    canvas edges, shape (N, T, 2).
    """
    t = np.arange(frames, dtype=np.float64)[np.newaxis, :, np.newaxis]
    free = start[:, np.newaxis, :] + t * step[:, np.newaxis, :]
    # Folding the free path into [0, room] is the same as bouncing off both walls.
    period = np.maximum(2 * room, 1)
    folded = np.mod(free, period)
    folded = np.where(folded > room, period - folded, folded)
    return np.rint(np.where(room > 0, folded, 0)).astype(np.int64)


def _render(
    sprites: np.ndarray,
    labels: np.ndarray,
    picks: np.ndarray,
    rng: np.random.Generator,
    *,
    frames: int,
    canvas: tuple[int, int],
    speed: float,
    noise: float,
) -> MovingClips:
    count = len(picks)
    h, w, channels = sprites.shape[1:]
    room = np.array([canvas[0] - h, canvas[1] - w], dtype=np.float64)
    start = rng.uniform(0.0, 1.0, size=(count, 2)) * room
    angle = rng.uniform(0.0, 2 * np.pi, size=count)
    step = speed * np.stack([np.sin(angle), np.cos(angle)], axis=1)
    positions = _bounce(start, step, frames, room)
    clips = np.zeros((count, frames, *canvas, channels), dtype=np.float32)
    for i, sprite in enumerate(sprites[picks]):
        for t, (row, col) in enumerate(positions[i]):
            clips[i, t, row : row + h, col : col + w] = sprite
    if noise > 0:
        clips += rng.normal(0.0, noise, size=clips.shape).astype(np.float32)
    return MovingClips(clips, labels[picks].copy(), positions)


def _clip_renderer(
    sprites: np.ndarray,
    labels: np.ndarray,
    frames: Any,
    canvas_size: Any,
    speed: Any,
    noise: Any,
) -> partial[MovingClips]:
    """Check the options every clip maker takes; return `render(picks, rng)`, which
    draws the clips of the sprites at indices `picks` (`render.keywords` holds the
    checked options)."""
    return partial(
        _render,
        sprites,
        labels,
        frames=check_positive_int(frames, "frames"),
        canvas=_check_canvas_size(canvas_size, sprites.shape[1:3]),
        speed=check_non_negative_number(speed, "speed"),
        noise=check_non_negative_number(noise, "noise"),
    )


def make_moving_clips(
    sprites: np.ndarray,
    labels: np.ndarray,
    *,
    frames: int = 8,
    canvas_size: int | tuple[int, int] = 16,
    speed: float = 1.0,
    noise: float = 0.0,
    num_clips: int | None = None,
    seed: int = 0,
) -> MovingClips:
    """Make clips of small images (sprites) moving in
    straight lines over a larger canvas.

    Each clip shows one sprite on a zero background. It starts at a random position
    and moves `speed` pixels per frame in a random direction, bouncing off the
    canvas edges; positions are rounded to whole pixels. Gaussian noise with
    standard deviation `noise` is then added to every pixel of every frame,
    independently (the values are not clipped). A clip of one frame is a still image
    of the sprite at a random position.

    Args:
        sprites: the images to move, shape `(N, h, w)` or `(N, h, w, C)`: digits,
            generated shapes, anything small.
        labels: one label per sprite, carried over to the clips that show it.
        frames: frames per clip, `T`. Defaults to 8.
        canvas_size: the frame size, an integer for a square or a pair `(H, W)`; at
            least the sprite size. Defaults to 16.
        speed: pixels moved per frame. Defaults to 1.0.
        noise: standard deviation of the per-pixel Gaussian noise. Defaults to 0.0.
        num_clips: how many clips to make, each showing a sprite drawn at
            random (with replacement). `None` makes one clip per sprite, in
            order. Defaults to `None`.
        seed: the seed of every random choice; the same seed gives the same clips.
            Defaults to 0.

    Returns:
        A `MovingClips` tuple `(clips, labels, positions)`: `clips` is float32 of shape
        `(N, T, H, W, C)`, `labels` holds each clip's label and `positions` (int64,
        `(N, T, 2)`) the sprite's top-left (row, column) in each frame.

    Raises:
        TypeError: if `frames`, `num_clips`, `seed` or a `canvas_size` side is not an
            integer, or `speed` or `noise` is not a number.
        ValueError: if `sprites` is empty or not of rank 3 or 4, `labels` is not as long
            as `sprites`, the canvas is smaller than a sprite, or a count, `speed`,
            `noise` or `seed` is out of range.

    Examples:
        >>> sprites = np.ones((3, 4, 4), dtype=np.float32)
        >>> clips, labels, positions = make_moving_clips(sprites, [0, 1, 2], frames=5)
        >>> clips.shape, clips.dtype.name, positions.shape
        ((3, 5, 16, 16, 1), 'float32', (3, 5, 2))

    See: [Video](../vision/video.md)
    """
    sprites = _check_sprites(sprites)
    labels = np.asarray(labels)
    check_same_length(sprites, "sprites", labels, "labels")
    render = _clip_renderer(sprites, labels, frames, canvas_size, speed, noise)
    seed = check_non_negative_int(seed, "seed")
    rng = np.random.default_rng(seed)
    if num_clips is None:
        picks = np.arange(len(sprites))
    else:
        picks = rng.integers(
            0, len(sprites), size=check_positive_int(num_clips, "num_clips")
        )
    return render(picks, rng)


def make_clip_dataset(
    sprites: np.ndarray,
    labels: np.ndarray,
    *,
    batch_size: int,
    batches: int | None = None,
    frames: int = 8,
    canvas_size: int | tuple[int, int] = 16,
    speed: float = 1.0,
    noise: float = 0.0,
    seed: int = 0,
) -> tf.data.Dataset:
    """Stream batches of freshly generated moving-sprite clips as a `tf.data` pipeline.

    Every batch is new: `batch_size` clips of sprites drawn at random, made as by
    `make_moving_clips`, so a model never sees the same clip twice and no clip is kept
    in memory longer than its batch. Each pass over the dataset yields the same sequence
    of batches for the same seed.

    Args:
        sprites: the images to move, shape `(N, h, w)` or `(N, h, w, C)`.
        labels: one integer label per sprite.
        batch_size: clips per batch.
        batches: how many batches one pass yields; `None` streams without end (then pass
            `steps_per_epoch` to `model.fit`). Defaults to `None`.
        frames: frames per clip. Defaults to 8.
        canvas_size: the frame size, an integer or a pair `(H, W)`. Defaults to 16.
        speed: pixels moved per frame. Defaults to 1.0.
        noise: standard deviation of the per-pixel Gaussian noise. Defaults to 0.0.
        seed: the seed of the stream. Defaults to 0.

    Returns:
        A `tf.data.Dataset` of `(clips, labels)` batches: float32 `(batch_size, T, H, W,
        C)` and int64 `(batch_size,)`.

    Raises:
        TypeError: if a count, `seed` or a `canvas_size` side is not an integer, or
            `speed` or `noise` is not a number.
        ValueError: for the same bad values as `make_moving_clips`, or a non-positive
            `batch_size` or `batches`.

    Examples:
        >>> sprites = np.ones((3, 4, 4), dtype=np.float32)
        >>> dataset = make_clip_dataset(sprites, [0, 1, 2], batch_size=2, batches=3)
        >>> [tuple(clips.shape) for clips, _ in dataset][0]
        (2, 8, 16, 16, 1)

    See: [Video](../vision/video.md)
    """
    sprites = _check_sprites(sprites)
    labels = np.asarray(labels)
    check_same_length(sprites, "sprites", labels, "labels")
    if not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(
            f"`labels` must hold integers. Received: labels.dtype={labels.dtype}"
        )
    labels = labels.astype(np.int64)
    batch_size = check_positive_int(batch_size, "batch_size")
    if batches is not None:
        batches = check_positive_int(batches, "batches")
    render = _clip_renderer(sprites, labels, frames, canvas_size, speed, noise)
    seed = check_non_negative_int(seed, "seed")

    def generate() -> Iterator[tuple[np.ndarray, np.ndarray]]:
        rng = np.random.default_rng(seed)
        made = 0
        while batches is None or made < batches:
            picks = rng.integers(0, len(sprites), size=batch_size)
            clips, clip_labels, _ = render(picks, rng)
            yield clips, clip_labels
            made += 1

    frames, canvas = render.keywords["frames"], render.keywords["canvas"]
    signature = (
        tf.TensorSpec((batch_size, frames, *canvas, sprites.shape[3]), tf.float32),
        tf.TensorSpec((batch_size,), tf.int64),
    )
    dataset = tf.data.Dataset.from_generator(generate, output_signature=signature)
    return dataset.prefetch(tf.data.AUTOTUNE)


# --8<-- [start:apply_per_frame]
def apply_per_frame(
    model: keras.Model, clips: np.ndarray, *, batch_size: int = 256
) -> np.ndarray:
    """Run an image model on every frame of every clip and keep the time axis.

    The clips are reshaped from `(N, T, H, W, C)` to `(N * T, H, W, C)`, a batch of
    ordinary images, passed through `model.predict`, and the outputs reshaped back to
    `(N, T, ...)`. The model never learns that the frames came from a video; pool over
    axis 1 (for example `outputs.mean(axis=1)`) to get one value per clip.

    Args:
        model: a Keras model that takes images of shape `(H, W, C)`.
        clips: the clips, shape `(N, T, H, W, C)`.
        batch_size: frames per call of the model. Defaults to 256.

    Returns:
        The model's outputs for every frame, shape `(N, T, *output_shape)`.

    Raises:
        TypeError: if `batch_size` is not an integer.
        ValueError: if `clips` is not of rank 5 or `batch_size` is not positive.

    Examples:
        >>> image_model = keras.Sequential(
        ...     [keras.Input((16, 16, 1)), keras.layers.Flatten()]
        ... )
        >>> clips = np.zeros((2, 5, 16, 16, 1), dtype=np.float32)
        >>> apply_per_frame(image_model, clips).shape
        (2, 5, 256)

    See: [Reusability](../why-deep-learning/reusability.md)
    """
    clips = np.asarray(clips)
    if clips.ndim != 5:
        raise ValueError(
            "`clips` must be an array of rank 5, (N, T, H, W, C). "
            f"Received: clips.shape={clips.shape}"
        )
    batch_size = check_positive_int(batch_size, "batch_size")
    count, frames = clips.shape[:2]
    images = clips.reshape(count * frames, *clips.shape[2:])
    outputs = np.asarray(model.predict(images, batch_size=batch_size, verbose=0))
    return outputs.reshape(count, frames, *outputs.shape[1:])
    # --8<-- [end:apply_per_frame]
