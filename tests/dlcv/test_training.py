"""dlcv.training: one training path under every strategy, checkpoints, and exact resume."""

from __future__ import annotations

import json
import os
import random
import signal
import time
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pytest
import tensorflow as tf
from helpers import forked

from dlcv import _checkpoints, training
from dlcv.hardware import local_tf_configs

WORKER = Path(__file__).parents[1] / "helpers" / "train_worker.py"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
    env.update({"TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONHASHSEED": "0", **extra})
    return env


def _worker(out: Path, *args: str, env: dict[str, str] | None = None) -> forked.Forked:
    """tests/helpers/train_worker.py in a process of its own (forked, TensorFlow imported)."""
    return forked.start(WORKER, str(out), *args, env=env or _env())


def _finish(proc: forked.Forked, timeout: float = 240) -> str:
    stdout, stderr = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, stderr[-3000:]
    return stdout


def _weights(path: Path) -> list[np.ndarray]:
    with np.load(path) as data:
        return [data[k] for k in sorted(k for k in data.files if k.startswith("w"))]


def _data(n: int = 96) -> tf.data.Dataset:
    rng = np.random.default_rng(0)
    x = rng.random((n, 4), dtype=np.float32)
    y = (x.sum(axis=1) > 2).astype("int64")
    return tf.data.Dataset.from_tensor_slices((x, y))


def _model() -> keras.Model:
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(8), keras.layers.Dense(2)])


LOSS = keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def _train(
    model: keras.Model,
    data: tf.data.Dataset | None = None,
    *,
    learning_rate: float = 0.01,
    epochs: int = 1,
    global_batch_size: int = 16,
    **options: Any,
) -> training.History:
    """`training.train` with plain SGD on `data` (`_data()` if None): one epoch in batches
    of 16 unless told otherwise; `options` go to it as they are."""
    return training.train(
        model,
        data if data is not None else _data(),
        loss=LOSS,
        optimizer=keras.optimizers.SGD(learning_rate),
        epochs=epochs,
        global_batch_size=global_batch_size,
        **options,
    )


def test_trains_and_reports_every_epoch() -> None:
    keras.utils.set_random_seed(0)
    model = _model()
    history = training.train(
        model,
        _data(),
        loss=LOSS,
        optimizer=keras.optimizers.Adam(0.05),
        epochs=4,
        global_batch_size=16,
        validation_data=_data(),
        verbose=0,
    )
    assert [row["epoch"] for row in history.epochs] == [1, 2, 3, 4]
    assert all(row["steps"] == 6 for row in history.epochs)
    assert history.last("loss") < history.epochs[0]["loss"]
    assert {"val_loss", "val_accuracy", "accuracy"} <= set(history.epochs[-1])
    assert history.replicas == 1 and history.resumed_from is None


def test_mirrored_strategy_over_logical_cpus_matches_one_device() -> None:
    """Two logical CPUs stand in for two GPUs: same global batch, same result."""
    cpu = tf.config.list_physical_devices("CPU")[0]
    if len(tf.config.list_logical_devices("CPU")) < 2:
        pytest.skip("logical devices must be configured before TensorFlow starts; see conftest")
    del cpu
    results = []
    for strategy in (
        tf.distribute.OneDeviceStrategy("/cpu:0"),
        tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]),
    ):
        keras.utils.set_random_seed(0)
        with strategy.scope():
            model, optimizer = _model(), keras.optimizers.SGD(0.1)
        history = training.train(
            model,
            _data(),
            loss=LOSS,
            optimizer=optimizer,
            epochs=2,
            global_batch_size=16,
            strategy=strategy,
            verbose=0,
        )
        results.append((history, [w.numpy() for w in model.weights]))
    (one, w_one), (two, w_two) = results
    assert two.replicas == 2
    np.testing.assert_allclose(one.last("loss"), two.last("loss"), rtol=1e-5)
    for a, b in zip(w_one, w_two, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_bad_inputs_name_the_argument() -> None:
    model = _model()
    kwargs = {"loss": LOSS, "optimizer": keras.optimizers.SGD(), "epochs": 1}
    with pytest.raises(TypeError, match=r"`dataset` must be a tf\.data\.Dataset"):
        training.train(model, np.zeros((4, 4)), global_batch_size=4, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="`global_batch_size` must be a positive integer"):
        training.train(model, _data(), global_batch_size=0, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="must hold at least one full global batch"):
        training.train(model, _data(8), global_batch_size=16, verbose=0, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"`loss` must be a keras\.losses\.Loss"):
        training.train(
            model,
            _data(),
            loss=3,
            optimizer=keras.optimizers.SGD(),
            epochs=1,
            global_batch_size=4,
        )


def test_uneven_global_batch_and_model_outside_scope_are_refused() -> None:
    if len(tf.config.list_logical_devices("CPU")) < 2:
        pytest.skip("needs two logical CPUs (see conftest)")
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    with strategy.scope():
        inside = _model()
    with pytest.raises(ValueError, match="multiple of the 2 replicas"):
        _train(inside, global_batch_size=15, strategy=strategy)
    outside = _model()
    with pytest.raises(ValueError, match=r"created inside `strategy.scope\(\)`"):
        _train(outside, strategy=strategy)


def test_checkpoint_of_another_model_is_refused_and_left_untouched(tmp_path: Path) -> None:
    keras.utils.set_random_seed(0)
    _train(_model(), checkpoint_dir=tmp_path, verbose=0)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    other = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="checkpoint of a different model"):
        _train(other, epochs=2, checkpoint_dir=tmp_path, verbose=0)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == before


def test_resume_after_sigkill_ends_where_an_uninterrupted_run_ends(tmp_path: Path) -> None:
    """Kill a run (SIGKILL) several times, landing anywhere, saves included; each restart
    resumes from the last complete checkpoint, and the final weights equal an uninterrupted
    run's bit for bit (TensorFlow op determinism is on, and the run is on one CPU device)."""
    reference = tmp_path / "reference.npz"
    _finish(_worker(reference, "--epochs", "3"))

    ckpt, out = tmp_path / "ckpt", tmp_path / "resumed.npz"
    args = ("--epochs", "3", "--checkpoint-dir", str(ckpt), "--every", "1")
    rng = random.Random(0)
    kills = 0
    for _ in range(3):
        proc = _worker(out, *args)
        deadline = time.monotonic() + 120
        while not (ckpt / "checkpoint").exists() and proc.poll() is None:
            assert time.monotonic() < deadline, "training never wrote a checkpoint"
            time.sleep(0.05)
        time.sleep(rng.uniform(0.1, 1.5))  # every step saves, so this often lands in a save
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.communicate()
    assert kills >= 1
    stdout = _finish(_worker(out, *args))
    assert "resumed from" in stdout
    for a, b in zip(_weights(reference), _weights(out), strict=True):
        np.testing.assert_array_equal(a, b)
    with np.load(reference) as ref, np.load(out) as got:
        np.testing.assert_array_equal(ref["losses"], got["losses"])


def _two_workers(tmp_path: Path, epochs: int) -> list[forked.Forked]:
    """Two MultiWorkerMirroredStrategy workers on loopback, each given its own (unshared)
    checkpoint folder, tmp_path / "ckpt0" and tmp_path / "ckpt1"."""
    return [
        _worker(
            tmp_path / f"worker{i}.npz",
            "--epochs",
            str(epochs),
            "--dropout",
            "0",
            "--multi-worker",
            "--checkpoint-dir",
            str(tmp_path / f"ckpt{i}"),
            env=_env(TF_CONFIG=tf_config),
        )
        for i, tf_config in enumerate(local_tf_configs(2))
    ]


def test_two_workers_on_loopback_agree_with_one_process(tmp_path: Path) -> None:
    """MultiWorkerMirroredStrategy over two local processes trains to the same loss as one
    process on the same global batch. All-reduce sums in a different order than one device
    does, so equality is to a float32 tolerance (rtol 1e-4), not bit for bit.

    Resuming then needs a checkpoint folder both workers share: with two separate folders the
    chief finds its checkpoint and the other worker none, and both stop with an error."""
    single = tmp_path / "single.npz"
    # Without dropout: each replica draws its own dropout masks, which one process cannot copy.
    _finish(_worker(single, "--epochs", "2", "--dropout", "0"))
    outputs = [_finish(p) for p in _two_workers(tmp_path, 2)]
    assert all('"replicas": 2' in out for out in outputs)
    with (
        np.load(single) as one,
        np.load(tmp_path / "worker0.npz") as w0,
        np.load(tmp_path / "worker1.npz") as w1,
    ):
        np.testing.assert_array_equal(w0["losses"], w1["losses"])
        np.testing.assert_allclose(one["losses"], w0["losses"], rtol=1e-4)
    for a, b in zip(
        _weights(tmp_path / "worker0.npz"), _weights(tmp_path / "worker1.npz"), strict=True
    ):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(_weights(single), _weights(tmp_path / "worker0.npz"), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)

    assert (tmp_path / "ckpt0" / "ckpt-2.index").is_file()
    assert not any((tmp_path / "ckpt1").iterdir())
    for proc in _two_workers(tmp_path, 3):
        _, stderr = proc.communicate(timeout=240)
        assert proc.returncode != 0
        assert "`checkpoint_dir` must be a folder that every worker shares" in stderr


def _scalars(log_dir: Path) -> dict[str, list[tuple[int, float]]]:
    """Each scalar's (step, value) pairs, as TensorBoard reads them from the event file."""
    (events,) = log_dir.glob("events.out.tfevents.*")
    found: dict[str, list[tuple[int, float]]] = {}
    for event in tf.compat.v1.train.summary_iterator(str(events)):
        for value in event.summary.value:
            number = float(tf.make_ndarray(value.tensor))
            found.setdefault(value.tag, []).append((event.step, number))
    return found


def test_progress_lines_and_tensorboard_logs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keras.utils.set_random_seed(0)
    history = training.train(
        _model(),
        _data(),
        loss=LOSS,
        optimizer=keras.optimizers.SGD(0.1),
        epochs=2,
        global_batch_size=16,
        validation_data=_data(32),
        log_dir=tmp_path / "logs",
        verbose=1,
    )
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" · ")[0] for line in lines] == ["epoch 1/2", "epoch 2/2"]
    assert "6 steps" in lines[0] and "loss" in lines[0]
    scalars = _scalars(tmp_path / "logs")
    tags = ["accuracy", "loss", "seconds", "val_accuracy", "val_loss"]
    assert sorted(scalars) == tags
    for tag in tags:
        # One point per epoch, at the epoch's number, holding what the history holds.
        assert [step for step, _ in scalars[tag]] == [1, 2], tag
        expected = [row[tag] for row in history.epochs]
        assert [v for _, v in scalars[tag]] == pytest.approx(expected, rel=1e-6), tag


def test_same_architecture_rebuilt_in_the_same_process_resumes(tmp_path: Path) -> None:
    """Keras numbers made-up layer names in creation order (dense_2, adam_1 ...); a model
    rebuilt in the same process, as in a notebook, is still the same model."""
    keras.utils.set_random_seed(0)
    first = _model()
    _train(first, checkpoint_dir=tmp_path, verbose=0)
    again = _model()
    assert [v.path for v in again.variables] != [v.path for v in first.variables]
    fresh = [v.numpy() for v in again.variables]
    assert not all(map(np.array_equal, fresh, [v.numpy() for v in first.variables]))
    # Asked for the epoch the checkpoint holds, the run restores it and trains no further:
    # what the model holds then is what was restored.
    history = _train(again, checkpoint_dir=tmp_path, verbose=0)
    assert history.resumed_from == (1, 0)
    for restored, saved in zip(again.variables, first.variables, strict=True):
        np.testing.assert_array_equal(restored.numpy(), saved.numpy(), err_msg=saved.path)


def _train_small(
    directory: Path | None,
    *,
    epochs: int,
    model: keras.Model | None = None,
    learning_rate: float = 0.1,
    data: tf.data.Dataset | None = None,
) -> training.History:
    return _train(
        model if model is not None else _model(),
        data,
        learning_rate=learning_rate,
        epochs=epochs,
        checkpoint_dir=directory,
        verbose=0,
    )


def _files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in directory.iterdir() if p.is_file()}


def test_kill_between_state_file_and_checkpoint_loses_no_epoch(tmp_path: Path) -> None:
    """SIGKILL exactly between the two writes of a save (the state file, then the checkpoint):
    the resumed run returns every epoch, the recomputed one equal to what the killed run had."""
    ckpt, out = tmp_path / "ckpt", tmp_path / "out.npz"
    args = ("--epochs", "3", "--checkpoint-dir", str(ckpt))
    killed = _worker(out, *args, "--kill-between-writes", "2")
    killed.communicate(timeout=240)
    assert killed.returncode == -signal.SIGKILL
    saved = json.loads((ckpt / "dlcv_training.json").read_text(encoding="utf-8"))["history"]
    assert [row["epoch"] for row in saved] == [1, 2]
    assert not list(ckpt.glob("ckpt-2.*"))  # the kill came before epoch 2's checkpoint
    _finish(_worker(out, *args))
    with np.load(out) as got:
        assert got["resumed"].tolist() == [1, 0]
        assert len(got["losses"]) == 3
        np.testing.assert_array_equal(got["losses"][:2], [row["loss"] for row in saved])


@pytest.mark.parametrize("damage", ["delete", "garble"])
def test_missing_or_garbled_checkpoint_index_still_resumes(tmp_path: Path, damage: str) -> None:
    keras.utils.set_random_seed(0)
    _train_small(tmp_path, epochs=2)
    if damage == "delete":
        (tmp_path / "checkpoint").unlink()
    else:
        (tmp_path / "checkpoint").write_bytes(b"\xff\xfe garbage {")
    kept = {n: b for n, b in _files(tmp_path).items() if n.startswith("ckpt-2.")}
    history = _train_small(tmp_path, epochs=3)
    assert history.resumed_from == (2, 0) and history.checkpoint == "ckpt-2"
    assert [row["epoch"] for row in history.epochs] == [1, 2, 3]
    assert {n: b for n, b in _files(tmp_path).items() if n in kept} == kept
    assert (tmp_path / "ckpt-3.index").is_file()


def test_another_model_is_refused_even_without_the_checkpoint_index(tmp_path: Path) -> None:
    keras.utils.set_random_seed(0)
    _train_small(tmp_path, epochs=2)
    (tmp_path / "checkpoint").unlink()
    before = _files(tmp_path)
    other = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="checkpoint of a different model"):
        _train_small(tmp_path, epochs=3, model=other)
    assert _files(tmp_path) == before


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _scribble(path: Path) -> None:
    path.write_bytes(b"\x00not a checkpoint\x00" * 8)


@pytest.mark.parametrize(
    ("pattern", "damage"),
    [
        ("ckpt-2.data-*", _truncate),
        ("ckpt-2.data-*", _scribble),
        ("ckpt-2.data-*", Path.unlink),
        ("ckpt-2.index", _truncate),
        ("ckpt-2.index", _scribble),
        ("ckpt-2.index", Path.unlink),
    ],
    ids=[
        "data-truncated",
        "data-overwritten",
        "data-deleted",
        "index-truncated",
        "index-overwritten",
        "index-deleted",
    ],
)
def test_damaged_latest_checkpoint_falls_back_to_the_intact_one(
    tmp_path: Path, pattern: str, damage: object
) -> None:
    keras.utils.set_random_seed(0)
    _train_small(tmp_path, epochs=2)
    (target,) = tmp_path.glob(pattern)
    damage(target)  # type: ignore[operator]
    damaged = {n: b for n, b in _files(tmp_path).items() if n.startswith("ckpt-2.")}
    with pytest.warns(RuntimeWarning, match=r"could not be read.*ckpt-1 at epoch 2"):
        history = _train_small(tmp_path, epochs=2)
    assert history.checkpoint == "ckpt-1" and history.resumed_from == (1, 0)
    assert history.skipped_checkpoints[0].startswith("ckpt-2: ")
    assert [row["epoch"] for row in history.epochs] == [1, 2]
    # The new checkpoint is numbered past the damaged one instead of overwriting it.
    assert (tmp_path / "ckpt-3.index").is_file()
    assert {n: b for n, b in _files(tmp_path).items() if n.startswith("ckpt-2.")} == damaged


def test_no_readable_checkpoint_is_refused_naming_the_file(tmp_path: Path) -> None:
    keras.utils.set_random_seed(0)
    _train_small(tmp_path, epochs=2)
    for index in tmp_path.glob("ckpt-*.index"):
        _scribble(index)
    before = _files(tmp_path)
    with pytest.raises(ValueError, match=r"cannot be read.*ckpt-2"):
        _train_small(tmp_path, epochs=3)
    assert _files(tmp_path) == before


@pytest.mark.parametrize(
    "content",
    [
        b'{"signature": [], "history": [',
        b"\xff\xfe\x00{",
        b'{"history": []}',
        None,
    ],
    ids=["truncated-json", "not-utf8", "no-signature", "missing"],
)
def test_unreadable_state_file_is_refused_and_left_untouched(
    tmp_path: Path, content: bytes | None
) -> None:
    keras.utils.set_random_seed(0)
    _train_small(tmp_path, epochs=1)
    state = tmp_path / "dlcv_training.json"
    if content is None:
        state.unlink()
    else:
        state.write_bytes(content)
    before = _files(tmp_path)
    with pytest.raises(ValueError, match=r"cannot be read.*dlcv_training\.json"):
        _train_small(tmp_path, epochs=2)
    assert _files(tmp_path) == before


def test_wrong_typed_history_is_refused(tmp_path: Path) -> None:
    keras.utils.set_random_seed(0)
    _train_small(tmp_path, epochs=1)
    state = tmp_path / "dlcv_training.json"
    saved = json.loads(state.read_text(encoding="utf-8"))
    state.write_text(json.dumps({**saved, "history": "oops"}), encoding="utf-8")
    with pytest.raises(ValueError, match="'history' must be a list"):
        _train_small(tmp_path, epochs=2)


def _nan_data(n: int = 32) -> tf.data.Dataset:
    x = np.full((n, 4), np.nan, dtype=np.float32)
    return tf.data.Dataset.from_tensor_slices((x, np.zeros(n, dtype="int64")))


def test_nan_features_stop_training_and_count_as_wrong() -> None:
    keras.utils.set_random_seed(0)
    with pytest.raises(FloatingPointError, match="loss became NaN or infinite at epoch 1, step 1"):
        _train_small(None, epochs=2, data=_nan_data())
    scores = training.evaluate(_model(), _nan_data(), loss=LOSS, global_batch_size=16)
    assert scores["accuracy"] == 0.0


def test_nan_learning_rate_stops_training() -> None:
    keras.utils.set_random_seed(0)
    # The first step turns the weights to NaN; the second step's loss shows it.
    with pytest.raises(FloatingPointError, match="loss became NaN or infinite at epoch 1, step 2"):
        _train_small(None, epochs=1, learning_rate=float("nan"))


def test_non_finite_loss_keeps_the_last_checkpoint(tmp_path: Path) -> None:
    keras.utils.set_random_seed(0)
    _train_small(tmp_path, epochs=1)
    before = _files(tmp_path)
    with pytest.raises(FloatingPointError, match=r"at epoch 2, step 1; the last checkpoint"):
        _train_small(tmp_path, epochs=2, data=_nan_data(96))
    assert _files(tmp_path) == before


def test_seed_and_verbose_are_checked() -> None:
    model = _model()
    with pytest.raises(ValueError, match="`seed` must be a non-negative integer"):
        _train(model, seed=-5)
    with pytest.raises(TypeError, match="`seed` must be a non-negative integer"):
        _train(model, seed=True)
    with pytest.raises(TypeError, match="`verbose` must be 0"):
        _train(
            model,
            verbose="no",  # type: ignore[arg-type]
        )


def test_already_batched_dataset_is_refused() -> None:
    model = _model()
    kwargs = {
        "loss": LOSS,
        "optimizer": keras.optimizers.SGD(),
        "epochs": 1,
        "global_batch_size": 16,
    }
    with pytest.raises(ValueError, match=r"`dataset` must yield single \(unbatched\) examples"):
        training.train(model, _data().batch(16), **kwargs)
    with pytest.raises(ValueError, match=r"`validation_data` must yield single \(unbatched\)"):
        training.train(model, _data(), validation_data=_data().batch(4), **kwargs)
    with pytest.raises(ValueError, match=r"`dataset` must yield single \(unbatched\) examples"):
        training.evaluate(model, _data().batch(16), loss=LOSS, global_batch_size=16)


def test_workers_disagreeing_on_the_restored_checkpoint_are_detected() -> None:
    """Each worker sums (found, epoch, step) and its square over all replicas; every worker
    must see a disagreement, so that all of them stop together."""
    agree = _checkpoints.positions_agree
    # Two workers, one replica each, both at epoch 2: agree.
    assert agree([1, 2, 0], [2, 4, 0], [2, 8, 0], 2)
    # The chief found ckpt at epoch 2, the other worker nothing: both see it.
    totals, squares = [1, 2, 0], [1, 4, 0]
    assert not agree([1, 2, 0], totals, squares, 2)
    assert not agree([0, 0, 0], totals, squares, 2)
    # Epochs 1 and 3 average to 2: the squares still tell them apart.
    assert not agree([1, 2, 0], [2, 4, 0], [2, 10, 0], 2)


# --- The small digit classifier -----------------------------------------------------------


def test_digits_mlp_is_compiled_and_learns_the_digits():
    from dlcv.data import load_digits_images, split_train_test

    keras.utils.set_random_seed(0)
    model = training.digits_mlp(10, hidden=32, learning_rate=1e-2)
    assert [type(layer).__name__ for layer in model.layers] == ["Flatten", "Dense", "Dense"]
    assert model.layers[1].units == 32 and model.layers[2].units == 10
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-2)
    x_train, x_test, y_train, y_test = split_train_test(*load_digits_images(), seed=0)
    model.fit(x_train, y_train, epochs=5, batch_size=32, verbose=0)
    probabilities = model.predict(x_test, verbose=0)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    # Ten classes: chance is 0.1.
    assert np.mean(probabilities.argmax(axis=1) == y_test) > 0.8


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"classes": 0}, ValueError, r"`classes`.*Received: classes=0"),
        ({"classes": 2.0}, TypeError, r"`classes`.*Received: classes=2.0"),
        ({"hidden": -1}, ValueError, r"`hidden`.*Received: hidden=-1"),
        ({"learning_rate": 0.0}, ValueError, r"`learning_rate`.*Received: learning_rate=0.0"),
        ({"learning_rate": "fast"}, TypeError, r"`learning_rate`.*Received: learning_rate="),
    ],
)
def test_digits_mlp_rejects_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        training.digits_mlp(**kwargs)


@pytest.mark.parametrize("softmax", [False, True])
def test_digits_convnet_gives_ten_logits_or_float32_probabilities(softmax):
    model = training.digits_convnet(6, softmax=softmax)
    assert model.layers[0].filters == 6 and model.layers[0].padding == "same"
    images = np.random.default_rng(0).random((3, 8, 8, 1)).astype("float32")
    out = keras.ops.convert_to_numpy(model(images))
    assert out.shape == (3, 10)
    if softmax:
        assert model.layers[-1].dtype_policy.compute_dtype == "float32"
        np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-5)
        assert np.all(out > 0)
    else:
        # Logits: the last layer is the dense one, and nothing bounds its outputs to sum to 1.
        assert isinstance(model.layers[-1], keras.layers.Dense)


def test_digits_convnet_keeps_its_softmax_in_float32_under_mixed_precision():
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        model = training.digits_convnet(softmax=True)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert model.layers[0].compute_dtype == "bfloat16"
    assert model.layers[-1].compute_dtype == "float32"
    out = model(np.zeros((1, 8, 8, 1), "float32"))
    assert keras.backend.standardize_dtype(out.dtype) == "float32"


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"filters": 0}, ValueError, r"`filters`.*Received: filters=0"),
        ({"filters": "16"}, TypeError, r"`filters`.*Received: filters='16'"),
        ({"softmax": 1}, TypeError, r"`softmax` must be True or False. Received: softmax=1"),
    ],
)
def test_digits_convnet_rejects_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        training.digits_convnet(**kwargs)
