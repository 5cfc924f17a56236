"""Tests for dlcv.video."""

import keras
import numpy as np
import pytest

from dlcv.video import MovingClips, apply_per_frame, make_clip_dataset, make_moving_clips


@pytest.fixture(scope="module")
def sprites():
    rng = np.random.default_rng(0)
    return rng.uniform(0.5, 1.0, size=(6, 4, 4)).astype(np.float32), np.arange(6) % 3


def test_shapes_dtypes_and_labels(sprites):
    images, labels = sprites
    result = make_moving_clips(images, labels, frames=5, canvas_size=(12, 16))
    assert isinstance(result, MovingClips)
    assert result.clips.shape == (6, 5, 12, 16, 1)
    assert result.clips.dtype == np.float32
    assert result.positions.shape == (6, 5, 2)
    np.testing.assert_array_equal(result.labels, labels)


def test_channels_are_kept():
    colour = np.ones((2, 3, 3, 3), dtype=np.float32)
    clips = make_moving_clips(colour, [0, 1], frames=2, canvas_size=8).clips
    assert clips.shape == (2, 2, 8, 8, 3)


def test_each_frame_shows_the_sprite_at_its_position(sprites):
    images, labels = sprites
    clips, _, positions = make_moving_clips(images, labels, frames=6, canvas_size=10, speed=2.0)
    for i in range(len(images)):
        for t in range(6):
            row, col = positions[i, t]
            np.testing.assert_array_equal(clips[i, t, row : row + 4, col : col + 4, 0], images[i])
            # The rest of the noiseless canvas is background.
            assert clips[i, t].sum() == pytest.approx(images[i].sum(), rel=1e-5)


def test_the_sprite_really_moves_and_stays_inside(sprites):
    images, labels = sprites
    clips, _, positions = make_moving_clips(
        images, labels, frames=30, canvas_size=12, speed=1.5, seed=3
    )
    steps = np.abs(np.diff(positions, axis=1)).sum(axis=-1)
    assert (steps > 0).mean() > 0.8  # rounding may leave a sprite in place for a frame
    assert np.abs(np.diff(positions, axis=1)).max() <= 2  # at most speed, rounded, per axis
    assert positions.min() >= 0 and positions.max() <= 12 - 4
    # Bouncing: over 30 frames at 1.5 pixels per frame some sprite turns round on an axis.
    direction = np.sign(np.diff(positions, axis=1))
    assert ((direction[:, 1:] * direction[:, :-1]) < 0).any()
    # The centre of brightness of the frames moves too.
    rows = np.arange(12)[np.newaxis, np.newaxis, :]
    mass = clips[..., 0].sum(axis=-1)
    centre = (mass * rows).sum(axis=-1) / mass.sum(axis=-1)
    assert np.ptp(centre, axis=1).max() > 3


def test_zero_speed_keeps_the_sprite_still(sprites):
    images, labels = sprites
    positions = make_moving_clips(images, labels, frames=4, speed=0.0).positions
    assert (positions == positions[:, :1]).all()


def test_same_seed_same_clips_other_seed_other_clips(sprites):
    images, labels = sprites
    first = make_moving_clips(images, labels, noise=0.3, num_clips=10, seed=5)
    again = make_moving_clips(images, labels, noise=0.3, num_clips=10, seed=5)
    other = make_moving_clips(images, labels, noise=0.3, num_clips=10, seed=6)
    np.testing.assert_array_equal(first.clips, again.clips)
    np.testing.assert_array_equal(first.labels, again.labels)
    assert not np.array_equal(first.clips, other.clips)


def test_noise_has_the_requested_spread(sprites):
    images, labels = sprites
    clean = make_moving_clips(images, labels, frames=3, canvas_size=32, seed=1).clips
    noisy = make_moving_clips(images, labels, frames=3, canvas_size=32, noise=0.5, seed=1).clips
    assert np.std(noisy - clean) == pytest.approx(0.5, rel=0.05)


def test_num_clips_samples_sprites(sprites):
    images, labels = sprites
    result = make_moving_clips(images, labels, frames=1, num_clips=50, seed=0)
    assert result.clips.shape[0] == 50
    assert set(result.labels.tolist()) <= set(labels.tolist())
    assert len(set(result.labels.tolist())) > 1


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"frames": 0}, ValueError, "`frames` must be a positive integer"),
        ({"frames": 2.0}, TypeError, "`frames` must be a positive integer"),
        ({"canvas_size": 3}, ValueError, "`canvas_size` must be at least the sprite size"),
        (
            {"canvas_size": (16, 16, 1)},
            ValueError,
            r"`canvas_size` must be a positive integer or a \(height, width\) pair",
        ),
        ({"speed": -1.0}, ValueError, "`speed` must be a non-negative number"),
        ({"noise": float("nan")}, ValueError, "`noise` must be a non-negative number"),
        ({"noise": "high"}, TypeError, "`noise` must be a non-negative number"),
        ({"num_clips": 0}, ValueError, "`num_clips` must be a positive integer"),
        ({"seed": -1}, ValueError, "`seed` must be a non-negative integer"),
    ],
)
def test_bad_options_are_refused(sprites, kwargs, error, match):
    images, labels = sprites
    with pytest.raises(error, match=match):
        make_moving_clips(images, labels, **kwargs)


def test_bad_sprites_and_labels_are_refused(sprites):
    images, labels = sprites
    with pytest.raises(ValueError, match="`sprites` must be a non-empty array"):
        make_moving_clips(np.zeros((4, 4)), labels)
    with pytest.raises(ValueError, match="`sprites` must be a non-empty array"):
        make_moving_clips(np.zeros((0, 4, 4)), [])
    with pytest.raises(ValueError, match="must be as long as `sprites`"):
        make_moving_clips(images, labels[:-1])


def test_clip_dataset_streams_repeatable_fresh_batches(sprites):
    images, labels = sprites
    dataset = make_clip_dataset(
        images, labels, batch_size=4, batches=3, frames=2, canvas_size=8, noise=0.1, seed=1
    )
    first = [(x.numpy(), y.numpy()) for x, y in dataset]
    again = [(x.numpy(), y.numpy()) for x, y in dataset]
    assert len(first) == 3
    assert first[0][0].shape == (4, 2, 8, 8, 1)
    assert first[0][1].dtype == np.int64
    assert not np.array_equal(first[0][0], first[1][0])
    for (x1, y1), (x2, y2) in zip(first, again, strict=True):
        np.testing.assert_array_equal(x1, x2)
        np.testing.assert_array_equal(y1, y2)


def test_clip_dataset_checks_its_arguments(sprites):
    images, labels = sprites
    with pytest.raises(ValueError, match="`batch_size` must be a positive integer"):
        make_clip_dataset(images, labels, batch_size=0)
    with pytest.raises(ValueError, match="`batches` must be a positive integer"):
        make_clip_dataset(images, labels, batch_size=2, batches=0)
    with pytest.raises(TypeError, match="`labels` must hold integers"):
        make_clip_dataset(images, labels.astype(float), batch_size=2)


def test_apply_per_frame_matches_the_model_on_each_frame():
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((6, 6, 1)), keras.layers.Flatten(), keras.layers.Dense(3)]
    )
    clips = np.random.default_rng(0).normal(size=(4, 5, 6, 6, 1)).astype(np.float32)
    outputs = apply_per_frame(model, clips, batch_size=7)
    assert outputs.shape == (4, 5, 3)
    expected = model.predict(clips[2, 3][np.newaxis], verbose=0)[0]
    np.testing.assert_allclose(outputs[2, 3], expected, rtol=1e-5, atol=1e-6)


def test_apply_per_frame_checks_its_arguments():
    model = keras.Sequential([keras.Input((6, 6, 1)), keras.layers.Flatten()])
    with pytest.raises(ValueError, match="`clips` must be an array of rank 5"):
        apply_per_frame(model, np.zeros((4, 6, 6, 1)))
    with pytest.raises(ValueError, match="`batch_size` must be a positive integer"):
        apply_per_frame(model, np.zeros((1, 2, 6, 6, 1)), batch_size=0)
