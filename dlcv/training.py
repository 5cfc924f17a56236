"""Train a Keras model under any `tf.distribute` strategy, with checkpoints and automatic resume.

One training path serves every strategy `dlcv.pick_strategy` can return (one CPU or GPU,
several GPUs, TPU, several machines): a custom step run with `strategy.run` and summed with
`strategy.reduce`. Keras's own `model.fit` works under `MirroredStrategy` but fails under
`MultiWorkerMirroredStrategy` with Keras 3 (keras-team/keras#20585), so `train` does not depend
on it anywhere; the same code then behaves the same on a laptop and on a cluster.

Resuming is exact: the input order of every epoch is a pure function of `seed` and the epoch,
and the checkpoint holds the model's and optimizer's variables (random-number state included),
the position in the epoch and the running metric sums. A run killed at any moment restarts from
its last complete checkpoint and ends where an uninterrupted run would have ended.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import keras
import tensorflow as tf

from dlcv._validation import check_non_negative_int, check_positive_int

__all__ = ["History", "evaluate", "train"]

_STATE_FILE = "dlcv_training.json"


@dataclasses.dataclass(frozen=True)
class History:
    """What `train` measured: one dict of metrics per epoch, and where it resumed from.

    Attributes:
        epochs: one entry per finished epoch, e.g. ``{"epoch": 1, "loss": 0.41,
            "accuracy": 0.88, "val_loss": 0.39, "val_accuracy": 0.9, "seconds": 1.2}``.
        resumed_from: ``(epoch, step)`` of the checkpoint the run started from, or None.
        replicas: the number of replicas the strategy trained on.
    """

    epochs: tuple[dict[str, float], ...]
    resumed_from: tuple[int, int] | None
    replicas: int

    def last(self, name: str) -> float:
        """The value of metric `name` in the last epoch."""
        if not self.epochs:
            raise ValueError("`history` has no epochs. Received: an empty History")
        return self.epochs[-1][name]


_LossFn = Callable[[tf.Tensor, tf.Tensor], tf.Tensor]


def _per_example_loss(loss: Any) -> _LossFn:
    """A callable returning one loss value per example, whatever form `loss` was given in."""
    if isinstance(loss, str):
        loss = keras.losses.get(loss)
    if isinstance(loss, keras.losses.Loss):
        return cast(_LossFn, loss.call)  # `call` skips the reduction; `__call__` would average.
    if callable(loss):
        return cast(_LossFn, loss)
    raise TypeError(
        "`loss` must be a keras.losses.Loss, a loss name or a callable "
        f"(y_true, y_pred) -> per-example losses. Received: loss={loss!r}"
    )


def _check_dataset(dataset: Any, name: str) -> tf.data.Dataset:
    if not isinstance(dataset, tf.data.Dataset):
        raise TypeError(
            f"`{name}` must be a tf.data.Dataset of single (features, label) examples. "
            f"Received: {name} of type {type(dataset).__name__}"
        )
    spec = dataset.element_spec
    if not (isinstance(spec, tuple) and len(spec) == 2):
        raise ValueError(
            f"`{name}` must yield (features, label) pairs. Received: element_spec={spec}"
        )
    return dataset


def _check_built_in_scope(model: keras.Model, strategy: tf.distribute.Strategy) -> None:
    if not model.built or not model.variables:
        raise ValueError(
            "`model` must be built (give it an Input) inside `strategy.scope()`. "
            f"Received: model={model.name!r} with no variables"
        )
    outside = [
        v.path for v in model.variables if not strategy.extended.variable_created_in_scope(v.value)
    ]
    if outside:
        raise ValueError(
            "`model` must be created inside `strategy.scope()` so that its variables are "
            f"placed and mirrored by the strategy. Received: model={model.name!r}, whose "
            f"variables {outside[:3]} were created outside the scope of "
            f"{type(strategy).__name__}"
        )


def _worker(strategy: tf.distribute.Strategy) -> tuple[bool, int]:
    """(is this the chief?, this worker's index) for the strategy's cluster."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not getattr(resolver, "task_type", None):
        return True, 0
    task_type, task_id = resolver.task_type, int(resolver.task_id or 0)
    has_chief = "chief" in resolver.cluster_spec().as_dict()
    is_chief = task_type == "chief" or (task_type == "worker" and task_id == 0 and not has_chief)
    return is_chief, task_id


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


class _Checkpoints:
    """Checkpoints of one training run; only the chief's copy is kept on a cluster.

    TensorFlow writes a checkpoint's files first and then, atomically, the small index that
    names the latest one, so a process killed while saving leaves the previous checkpoint as
    the latest complete one.
    """

    def __init__(
        self,
        directory: Path,
        variables: dict[str, Any],
        signature: list[list[Any]],
        strategy: tf.distribute.Strategy,
    ) -> None:
        self.is_chief, worker = _worker(strategy)
        self.directory = directory
        # Every worker takes part in saving (the variables are synchronised collectively);
        # the non-chief workers write to a scratch folder that is removed afterwards.
        own = directory if self.is_chief else directory / f".worker-{worker}"
        self.checkpoint = tf.train.Checkpoint(**variables)
        self.manager = tf.train.CheckpointManager(self.checkpoint, str(own), max_to_keep=2)
        self.signature = signature

    def restore(self) -> bool:
        latest = tf.train.latest_checkpoint(str(self.directory))
        if latest is None:
            return False
        state_file = self.directory / _STATE_FILE
        if state_file.is_file():
            saved = json.loads(state_file.read_text(encoding="utf-8"))["signature"]
            if _comparable(saved) != _comparable(self.signature):
                raise ValueError(
                    "`checkpoint_dir` holds a checkpoint of a different model or optimizer; "
                    "it was left untouched. Use another folder, or delete it to start over. "
                    f"Received: checkpoint_dir={str(self.directory)!r} (saved variables "
                    f"{_summarize(saved)}, this model's {_summarize(self.signature)})"
                )
        self.checkpoint.restore(latest).assert_existing_objects_matched()
        return True

    def save(self, history: list[dict[str, float]]) -> None:
        self.manager.save()
        if self.is_chief:
            state = {"signature": self.signature, "history": history}
            _atomic_write(self.directory / _STATE_FILE, json.dumps(state, indent=1))
        else:
            shutil.rmtree(self.manager.directory, ignore_errors=True)

    def history(self) -> list[dict[str, float]]:
        state_file = self.directory / _STATE_FILE
        if not state_file.is_file():
            return []
        return list(json.loads(state_file.read_text(encoding="utf-8"))["history"])


# Keras numbers the names it makes up (`dense_3`, `adam_1/sequential_1_dense_3_kernel_momentum`)
# in creation order, so the same architecture rebuilt in one process (a notebook) gets new
# numbers. Restoring is by position, so only the order, the names without those numbers and
# the shapes must match.
_AUTO_NUMBER = re.compile(r"_\d+(?=_|/|$)")


def _comparable(signature: list[list[Any]]) -> list[tuple[str, tuple[int, ...]]]:
    return [(_AUTO_NUMBER.sub("", str(path)), tuple(shape)) for path, shape in signature]


def _summarize(signature: list[list[Any]]) -> str:
    shown = ", ".join(f"{name}{tuple(shape)}" for name, shape in signature[:3])
    return f"[{shown}{', …' if len(signature) > 3 else ''}] ({len(signature)} in all)"


class _Progress:
    def __init__(self, verbose: int, epochs: int) -> None:
        self.verbose, self.epochs = verbose, epochs

    def say(self, text: str) -> None:
        if self.verbose:
            print(text, flush=True)

    def epoch(self, row: dict[str, float]) -> None:
        if not self.verbose:
            return
        metrics = " · ".join(
            f"{k} {v:.4f}" for k, v in row.items() if k not in {"epoch", "seconds", "steps"}
        )
        print(
            f"epoch {int(row['epoch'])}/{self.epochs} · {int(row['steps'])} steps · {metrics} "
            f"· {row['seconds']:.1f} s",
            flush=True,
        )


def _batches(
    dataset: tf.data.Dataset,
    *,
    global_batch_size: int,
    shuffle_buffer: int,
    seed: int,
    epoch: int,
    skip: int,
) -> tf.data.Dataset:
    # A fresh, fixed order per epoch (seed + epoch) makes the data a pure function of where the
    # run is, which is what lets a resumed run see exactly the batches an uninterrupted one would.
    if shuffle_buffer:
        dataset = dataset.shuffle(shuffle_buffer, seed=seed + epoch, reshuffle_each_iteration=False)
    batched = dataset.batch(global_batch_size, drop_remainder=True)
    if skip:
        batched = batched.skip(skip)
    options = tf.data.Options()
    # In-memory and generated data have no files to split between workers: split by batch.
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    options.deterministic = True
    return batched.with_options(options).prefetch(tf.data.AUTOTUNE)


class _Steps:
    """The compiled train and evaluation steps for one model, optimizer and strategy."""

    def __init__(
        self,
        model: keras.Model,
        optimizer: keras.optimizers.Optimizer | None,
        loss_fn: _LossFn,
        strategy: tf.distribute.Strategy,
        global_batch_size: int,
        accuracy: bool,
        sums: tf.Variable | None = None,
    ) -> None:
        self.model, self.optimizer, self.loss_fn = model, optimizer, loss_fn
        self.strategy, self.global_batch_size, self.accuracy = strategy, global_batch_size, accuracy
        # The epoch's running (loss sum, example count, correct count), kept on the device and
        # updated inside the compiled step: no per-step Python arithmetic on tensors.
        self.sums = sums
        self.train = tf.function(self._train)
        # Taking the next batch inside the compiled function spares a Python round trip per step
        # (what Keras's own fit does); used when the number of steps in the epoch is known.
        self.train_next = tf.function(lambda iterator: self._train(next(iterator)))
        self.evaluate = tf.function(self._evaluate)

    def _sums(self, y: tf.Tensor, pred: tf.Tensor, per_example: tf.Tensor) -> list[tf.Tensor]:
        sums = [tf.reduce_sum(per_example), tf.cast(tf.shape(per_example)[0], tf.float32)]
        if self.accuracy:
            hits = tf.equal(tf.argmax(pred, axis=-1, output_type=tf.int64), tf.cast(y, tf.int64))
            sums.append(tf.reduce_sum(tf.cast(hits, tf.float32)))
        return sums

    def _train_replica(self, x: tf.Tensor, y: tf.Tensor) -> list[tf.Tensor]:
        model, optimizer = self.model, self.optimizer
        if optimizer is None:
            raise ValueError("`optimizer` must be given to train. Received: optimizer=None")
        with tf.GradientTape() as tape:
            pred = model(x, training=True)
            per_example = tf.cast(self.loss_fn(y, pred), tf.float32)
            loss = tf.nn.compute_average_loss(per_example, global_batch_size=self.global_batch_size)
            if model.losses:
                loss += tf.nn.scale_regularization_loss(tf.add_n(model.losses))
            scaled = optimizer.scale_loss(loss)
        grads = tape.gradient(scaled, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
        return self._sums(y, pred, per_example)

    def _eval_replica(self, x: tf.Tensor, y: tf.Tensor) -> list[tf.Tensor]:
        pred = self.model(x, training=False)
        return self._sums(y, pred, tf.cast(self.loss_fn(y, pred), tf.float32))

    def _reduce(self, per_replica: list[Any]) -> list[tf.Tensor]:
        sum_ = tf.distribute.ReduceOp.SUM
        return [self.strategy.reduce(sum_, value, axis=None) for value in per_replica]

    def _train(self, batch: Any) -> None:
        reduced = self._reduce(self.strategy.run(self._train_replica, args=batch))
        if self.sums is not None:
            reduced += [tf.zeros(())] * (3 - len(reduced))
            self.sums.assign_add(tf.stack(reduced))

    def _evaluate(self, batch: Any) -> list[tf.Tensor]:
        return self._reduce(self.strategy.run(self._eval_replica, args=batch))


def _metrics(sums: list[float], prefix: str, accuracy: bool) -> dict[str, float]:
    count = max(sums[1], 1.0)
    out = {f"{prefix}loss": sums[0] / count}
    if accuracy:
        out[f"{prefix}accuracy"] = sums[2] / count
    return out


def _run_eval(
    steps: _Steps, dataset: tf.data.Dataset, strategy: tf.distribute.Strategy
) -> dict[str, float]:
    batched = _batches(
        dataset,
        global_batch_size=steps.global_batch_size,
        shuffle_buffer=0,
        seed=0,
        epoch=0,
        skip=0,
    )
    totals: list[Any] | None = None
    for batch in strategy.experimental_distribute_dataset(batched):
        sums = steps.evaluate(batch)
        totals = sums if totals is None else [t + s for t, s in zip(totals, sums, strict=True)]
    if totals is None:
        raise ValueError(
            "`validation_data` must hold at least one full global batch. "
            f"Received: fewer than global_batch_size={steps.global_batch_size} examples"
        )
    return _metrics([float(t) for t in totals], "", steps.accuracy)


def evaluate(
    model: keras.Model,
    dataset: tf.data.Dataset,
    *,
    loss: Any,
    global_batch_size: int,
    strategy: tf.distribute.Strategy | None = None,
    accuracy: bool = True,
) -> dict[str, float]:
    """Return the mean loss (and accuracy) of `model` on `dataset`, under `strategy`.

    Args:
        model: a built Keras model, created inside `strategy.scope()`.
        dataset: a `tf.data.Dataset` of single ``(features, label)`` examples.
        loss: a `keras.losses.Loss`, a loss name, or a callable returning per-example losses.
        global_batch_size: examples per step over all replicas; a remainder smaller than one
            global batch is not evaluated.
        strategy: the `tf.distribute` strategy. Defaults to the current one.
        accuracy: also report accuracy (labels are class indices). Defaults to True.

    Returns:
        ``{"loss": ..., "accuracy": ...}``.

    Examples:
        >>> import keras, tensorflow as tf
        >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
        >>> data = tf.data.Dataset.from_tensor_slices(([[0.0, 1.0]] * 4, [1] * 4))
        >>> sorted(evaluate(model, data, loss="sparse_categorical_crossentropy",
        ...                 global_batch_size=2))
        ['accuracy', 'loss']

    See: docs/hardware/scaling-out.md
    """
    strategy = strategy or tf.distribute.get_strategy()
    global_batch_size = check_positive_int(global_batch_size, "global_batch_size")
    dataset = _check_dataset(dataset, "dataset")
    _check_built_in_scope(model, strategy)
    steps = _Steps(model, None, _per_example_loss(loss), strategy, global_batch_size, accuracy)
    return _run_eval(steps, dataset, strategy)


def train(
    model: keras.Model,
    dataset: tf.data.Dataset,
    *,
    loss: Any,
    optimizer: keras.optimizers.Optimizer,
    epochs: int,
    global_batch_size: int,
    strategy: tf.distribute.Strategy | None = None,
    validation_data: tf.data.Dataset | None = None,
    accuracy: bool = True,
    shuffle_buffer: int = 10_000,
    seed: int = 0,
    checkpoint_dir: str | os.PathLike[str] | None = None,
    checkpoint_every: int | None = None,
    log_dir: str | os.PathLike[str] | None = None,
    verbose: int = 1,
) -> History:
    """Train `model` on `dataset` under `strategy`, checkpointing and resuming automatically.

    The same call runs on one CPU or GPU, several GPUs, a TPU or several machines: the
    strategy decides where the replicas are, and each step is one `strategy.run` whose results
    are summed with `strategy.reduce`. Give the *global* batch size; each of the
    ``strategy.num_replicas_in_sync`` replicas gets an equal share of every batch.

    With `checkpoint_dir`, a checkpoint is written every `checkpoint_every` steps and at the end
    of every epoch; calling `train` again with the same folder resumes from the latest one,
    including the input position and the metric sums of the unfinished epoch.

    Args:
        model: a built Keras model, created inside `strategy.scope()`.
        dataset: a `tf.data.Dataset` of single (unbatched) ``(features, label)`` examples; `train`
            shuffles it (when `shuffle_buffer` > 0), batches it and splits it between replicas.
        loss: a `keras.losses.Loss`, a loss name, or a callable returning per-example losses.
        optimizer: a Keras optimizer, created inside `strategy.scope()`. Under the
            ``mixed_float16`` policy, wrap it in `keras.optimizers.LossScaleOptimizer`.
        epochs: the number of passes over `dataset` in all, counting any already done.
        global_batch_size: examples per step over all replicas; a multiple of the replica count.
        strategy: the `tf.distribute` strategy. Defaults to the current one.
        validation_data: examples to evaluate on at the end of each epoch. Defaults to None.
        accuracy: also report accuracy (labels are class indices). Defaults to True.
        shuffle_buffer: examples in the shuffle buffer; 0 keeps the dataset's order. Defaults to
            10,000.
        seed: fixes the shuffle order of each epoch. Defaults to 0.
        checkpoint_dir: folder for checkpoints; None trains without them. Defaults to None.
        checkpoint_every: also checkpoint every this many steps; None checkpoints only at the
            end of each epoch. Defaults to None.
        log_dir: folder for TensorBoard logs of each epoch's metrics. Defaults to None.
        verbose: 0 is silent, 1 prints a line per epoch. Defaults to 1.

    Returns:
        A `History` with the metrics of every epoch, those before a resume included.

    Raises:
        TypeError: if `dataset` or `validation_data` is not a `tf.data.Dataset`, or `loss` is
            not a loss.
        ValueError: if `global_batch_size` is not a multiple of the replica count, `model` was
            built outside the strategy's scope, `dataset` is smaller than one global batch, or
            `checkpoint_dir` holds a checkpoint of a different model.

    Examples:
        >>> import keras, numpy as np, tensorflow as tf
        >>> x = np.random.rand(64, 4).astype("float32")
        >>> y = (x.sum(axis=1) > 2).astype("int64")
        >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
        >>> history = train(model, tf.data.Dataset.from_tensor_slices((x, y)),
        ...                 loss="sparse_categorical_crossentropy",
        ...                 optimizer=keras.optimizers.SGD(0.1), epochs=2,
        ...                 global_batch_size=16, verbose=0)
        >>> len(history.epochs)
        2

    See: docs/hardware/scaling-out.md
    """
    strategy = strategy or tf.distribute.get_strategy()
    epochs = check_positive_int(epochs, "epochs")
    global_batch_size = check_positive_int(global_batch_size, "global_batch_size")
    shuffle_buffer = check_non_negative_int(shuffle_buffer, "shuffle_buffer")
    if checkpoint_every is not None:
        checkpoint_every = check_positive_int(checkpoint_every, "checkpoint_every")
    replicas = strategy.num_replicas_in_sync
    if global_batch_size % replicas:
        raise ValueError(
            f"`global_batch_size` must be a multiple of the {replicas} replicas in sync, so "
            f"that every replica gets an equal share. Received: global_batch_size="
            f"{global_batch_size}"
        )
    dataset = _check_dataset(dataset, "dataset")
    if validation_data is not None:
        validation_data = _check_dataset(validation_data, "validation_data")
    if not isinstance(optimizer, keras.optimizers.Optimizer):
        raise TypeError(
            f"`optimizer` must be a keras.optimizers.Optimizer. Received: optimizer={optimizer!r}"
        )
    _check_built_in_scope(model, strategy)
    loss_fn = _per_example_loss(loss)
    progress = _Progress(verbose, epochs)

    with strategy.scope():
        optimizer.build(model.trainable_variables)
        epoch_var = tf.Variable(0, dtype=tf.int64, trainable=False, name="epoch")
        step_var = tf.Variable(0, dtype=tf.int64, trainable=False, name="step_in_epoch")
        sums_var = tf.Variable(tf.zeros(3), trainable=False, name="epoch_sums")
    steps = _Steps(model, optimizer, loss_fn, strategy, global_batch_size, accuracy, sums_var)

    history: list[dict[str, float]] = []
    checkpoints = None
    resumed_from = None
    if checkpoint_dir is not None:
        directory = Path(checkpoint_dir)
        directory.mkdir(parents=True, exist_ok=True)
        tracked = {
            "model_variables": [v.value for v in model.variables],
            "optimizer_variables": [v.value for v in optimizer.variables],
            "epoch": epoch_var,
            "step_in_epoch": step_var,
            "epoch_sums": sums_var,
        }
        signature = [[v.path, list(v.shape)] for v in model.variables]
        signature += [[v.path, list(v.shape)] for v in optimizer.variables]
        checkpoints = _Checkpoints(directory, tracked, signature, strategy)
        if checkpoints.restore():
            history = checkpoints.history()[: int(epoch_var.numpy())]
            resumed_from = (int(epoch_var.numpy()), int(step_var.numpy()))
            progress.say(
                f"resumed from {directory} at epoch {resumed_from[0] + 1}, step {resumed_from[1]}"
            )

    writer = None
    is_chief = _worker(strategy)[0]
    if log_dir is not None and is_chief:
        writer = tf.summary.create_file_writer(str(log_dir))

    for epoch in range(int(epoch_var.numpy()), epochs):
        start = time.perf_counter()
        skip = int(step_var.numpy())
        batched = _batches(
            dataset,
            global_batch_size=global_batch_size,
            shuffle_buffer=shuffle_buffer,
            seed=seed,
            epoch=epoch,
            skip=skip,
        )
        done = skip
        known = int(batched.cardinality())
        distributed = strategy.experimental_distribute_dataset(batched)
        if known >= 0:
            iterator = iter(distributed)
            batches: Any = (steps.train_next(iterator) for _ in range(known))
        else:  # unknown length: iterate in Python until the data runs out
            batches = (steps.train(batch) for batch in distributed)
        for _ in batches:
            done += 1
            if checkpoints is not None and checkpoint_every and done % checkpoint_every == 0:
                step_var.assign(done)
                checkpoints.save(history)
        if done == 0:
            raise ValueError(
                "`dataset` must hold at least one full global batch. Received: fewer than "
                f"global_batch_size={global_batch_size} examples"
            )
        row: dict[str, float] = {"epoch": epoch + 1, "steps": done}
        row.update(_metrics([float(s) for s in sums_var.numpy()], "", accuracy))
        if validation_data is not None:
            row.update(
                {f"val_{k}": v for k, v in _run_eval(steps, validation_data, strategy).items()}
            )
        row["seconds"] = time.perf_counter() - start
        history.append(row)
        progress.epoch(row)
        if writer is not None:
            with writer.as_default(step=epoch + 1):
                for name, value in row.items():
                    if name not in {"epoch", "steps"}:
                        tf.summary.scalar(name, value)
            writer.flush()
        epoch_var.assign(epoch + 1)
        step_var.assign(0)
        sums_var.assign(tf.zeros(3))
        if checkpoints is not None:
            checkpoints.save(history)
    return History(epochs=tuple(history), resumed_from=resumed_from, replicas=replicas)
