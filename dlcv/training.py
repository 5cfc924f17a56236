"""Train a Keras model under any `tf.distribute` strategy, with
checkpoints and automatic resume.

One training path serves every strategy `dlcv.pick_strategy` can return (one CPU or
GPU, several GPUs, TPU, several machines): a custom step run with `strategy.run` and
summed with `strategy.reduce`. Keras's own `model.fit` works under `MirroredStrategy`
but fails under `MultiWorkerMirroredStrategy` with Keras 3 (keras-team/keras#20585),
so `train` does not depend on it anywhere; the same code then behaves the same on a
laptop and on a cluster.

Resuming is exact: the input order of every epoch is a pure function of `seed` and the
epoch, and the checkpoint holds the model's and optimizer's variables (random-number
state included), the position in the epoch and the running metric sums. A run killed at
any moment restarts from its last complete checkpoint and ends where an uninterrupted
run would have ended.

`digits_mlp` and `digits_convnet` build the small classifiers for scikit-learn's 8x8
digits that several pages train as a starting point.
"""

from __future__ import annotations

import dataclasses
import os
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import keras
import tensorflow as tf

from dlcv import _checkpoints
from dlcv._validation import (
    check_non_negative_int,
    check_positive_int,
    check_positive_number,
)

__all__ = ["History", "digits_convnet", "digits_mlp", "evaluate", "train"]


@dataclasses.dataclass(frozen=True)
class History:
    """What `train` measured: one dict of metrics per epoch, and where it resumed from.

    Attributes:
        epochs: one entry per finished epoch, e.g. ``{"epoch": 1, "loss": 0.41,
            "accuracy": 0.88, "val_loss": 0.39, "val_accuracy": 0.9, "seconds": 1.2}``.
        resumed_from: ``(epoch, step)`` of the checkpoint the run started from, or None.
        replicas: the number of replicas the strategy trained on.
        checkpoint: the checkpoint the run resumed from (``"ckpt-3"``), or None.
        skipped_checkpoints: newer checkpoints that could not be read and were passed
            over, newest first, each with the reason (``"ckpt-4: DataLossError: …"``).

    See: [Scaling out: many devices, many machines](../hardware/scaling-out.md)
    """

    epochs: tuple[dict[str, float], ...]
    resumed_from: tuple[int, int] | None
    replicas: int
    checkpoint: str | None = None
    skipped_checkpoints: tuple[str, ...] = ()

    def last(self, name: str) -> float:
        """The value of metric `name` in the last epoch."""
        if not self.epochs:
            raise ValueError("`history` has no epochs. Received: an empty History")
        return self.epochs[-1][name]


_LossFn = Callable[[tf.Tensor, tf.Tensor], tf.Tensor]


def _per_example_loss(loss: Any) -> _LossFn:
    """A callable returning one loss value per example,
    whatever form `loss` was given in.
    """
    if isinstance(loss, str):
        loss = keras.losses.get(loss)
    if isinstance(loss, keras.losses.Loss):
        return cast(
            _LossFn, loss.call
        )  # `call` skips the reduction; `__call__` would average.
    if callable(loss):
        return cast(_LossFn, loss)
    raise TypeError(
        "`loss` must be a keras.losses.Loss, a loss name or a callable "
        f"(y_true, y_pred) -> per-example losses. Received: loss={loss!r}"
    )


def _check_dataset(dataset: Any, name: str, model: keras.Model) -> tf.data.Dataset:
    if not isinstance(dataset, tf.data.Dataset):
        raise TypeError(
            f"`{name}` must be a tf.data.Dataset of single (features, label) examples. "
            f"Received: {name} of type {type(dataset).__name__}"
        )
    spec = dataset.element_spec
    if not (isinstance(spec, tuple) and len(spec) == 2):
        raise ValueError(
            f"`{name}` must yield (features, label) pairs. Received: "
            f"element_spec={spec}"
        )
    # A model input's shape starts with the batch axis, a single example's does not:
    # features of the input's full rank mean the dataset was batched already, which
    # `train` would batch again (Keras then fails deep "in user code").
    inputs = getattr(model, "inputs", None) if model.built else None
    features = spec[0]
    if inputs and len(inputs) == 1 and isinstance(features, tf.TensorSpec):
        expected = tuple(inputs[0].shape)
        if features.shape.rank == len(expected):
            raise ValueError(
                f"`{name}` must yield single (unbatched) examples; `train` and "
                "`evaluate` batch them with `global_batch_size` (call `.unbatch()`, or "
                f"leave out `.batch()`). Received: {name} with features of shape "
                f"{tuple(features.shape)} for a model whose input is {expected}, batch "
                "axis included"
            )
    return dataset


def _check_built_in_scope(model: keras.Model, strategy: tf.distribute.Strategy) -> None:
    if not model.built or not model.variables:
        raise ValueError(
            "`model` must be built (give it an Input) inside `strategy.scope()`. "
            f"Received: model={model.name!r} with no variables"
        )
    outside = [
        v.path
        for v in model.variables
        if not strategy.extended.variable_created_in_scope(v.value)
    ]
    if outside:
        raise ValueError(
            "`model` must be created inside `strategy.scope()` so that its variables "
            f"are placed and mirrored by the strategy. Received: model={model.name!r}, "
            f"whose variables {outside[:3]} were created outside the scope of "
            f"{type(strategy).__name__}"
        )


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
            f"{k} {v:.4f}"
            for k, v in row.items()
            if k not in {"epoch", "seconds", "steps"}
        )
        print(
            f"epoch {int(row['epoch'])}/{self.epochs} · {int(row['steps'])} steps · "
            f"{metrics} · {row['seconds']:.1f} s",
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
    # A fresh, fixed order per epoch (seed + epoch) makes the data a pure function of
    # where the run is, which is what lets a resumed run see exactly the batches an
    # uninterrupted one would.
    if shuffle_buffer:
        dataset = dataset.shuffle(
            shuffle_buffer, seed=seed + epoch, reshuffle_each_iteration=False
        )
    batched = dataset.batch(global_batch_size, drop_remainder=True)
    if skip:
        batched = batched.skip(skip)
    options = tf.data.Options()
    # In-memory and generated data have no files to split between
    # workers: split by batch.
    options.experimental_distribute.auto_shard_policy = (
        tf.data.experimental.AutoShardPolicy.DATA
    )
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
        watch: tf.Variable | None = None,
    ) -> None:
        self.model, self.optimizer, self.loss_fn = model, optimizer, loss_fn
        self.strategy, self.global_batch_size, self.accuracy = (
            strategy,
            global_batch_size,
            accuracy,
        )
        # The epoch's running (loss sum, example count, correct count), kept on the
        # device and updated inside the compiled step: no per-step Python
        # arithmetic on tensors.
        self.sums = sums
        # (steps done in the epoch, the first of them whose loss was not finite, or
        # 0): read only when the run checkpoints or ends an epoch, so the steps
        # never wait on the host.
        self.watch = watch
        self.train = tf.function(self._train)
        # Taking the next batch inside the compiled function spares a Python round
        # trip per step (what Keras's own fit does); used when the number of steps
        # in the epoch is known.
        self.train_next = tf.function(lambda iterator: self._train(next(iterator)))
        self.evaluate = tf.function(self._evaluate)

    def _sums(
        self, y: tf.Tensor, pred: tf.Tensor, per_example: tf.Tensor
    ) -> list[tf.Tensor]:
        sums = [
            tf.reduce_sum(per_example),
            tf.cast(tf.shape(per_example)[0], tf.float32),
        ]
        if self.accuracy:
            hits = tf.equal(
                tf.argmax(pred, axis=-1, output_type=tf.int64), tf.cast(y, tf.int64)
            )
            # The argmax of NaN logits is 0, a hit whenever the label is 0: such a
            # prediction is no prediction, so it counts as wrong.
            hits = tf.logical_and(hits, tf.reduce_all(tf.math.is_finite(pred), axis=-1))
            sums.append(tf.reduce_sum(tf.cast(hits, tf.float32)))
        return sums

    def _train_replica(self, x: tf.Tensor, y: tf.Tensor) -> list[tf.Tensor]:
        model, optimizer = self.model, self.optimizer
        if optimizer is None:
            raise ValueError(
                "`optimizer` must be given to train. Received: optimizer=None"
            )
        with tf.GradientTape() as tape:
            pred = model(x, training=True)
            per_example = tf.cast(self.loss_fn(y, pred), tf.float32)
            loss = tf.nn.compute_average_loss(
                per_example, global_batch_size=self.global_batch_size
            )
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
        if self.watch is not None:
            step = self.watch[0] + 1
            first_bad = tf.logical_and(
                tf.logical_not(tf.math.is_finite(reduced[0])),
                tf.equal(self.watch[1], 0),
            )
            self.watch.assign(
                tf.stack([step, tf.where(first_bad, step, self.watch[1])])
            )

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
        totals = (
            sums
            if totals is None
            else [t + s for t, s in zip(totals, sums, strict=True)]
        )
    if totals is None:
        raise ValueError(
            "`validation_data` must hold at least one full global batch. "
            f"Received: fewer than global_batch_size={steps.global_batch_size} examples"
        )
    return _metrics([float(t) for t in totals], "", steps.accuracy)


def _check_verbose(verbose: Any) -> int:
    message = (
        "`verbose` must be 0 (silent) or 1 (a line per epoch). Received: "
        f"verbose={verbose!r}"
    )
    if isinstance(verbose, bool):
        return int(verbose)
    if not isinstance(verbose, int):
        raise TypeError(message)
    if verbose not in (0, 1):
        raise ValueError(message)
    return verbose


def _say_resumed(
    progress: _Progress,
    directory: Path,
    checkpoints: _checkpoints.Checkpoints,
    position: tuple[int, int],
) -> None:
    epoch, step = position
    where = f"{directory / str(checkpoints.restored)} at epoch {epoch + 1}, step {step}"
    if checkpoints.skipped:
        # Worth saying even to a silent run: work was lost, and a
        # damaged file stays behind.
        warnings.warn(
            "`checkpoint_dir` holds checkpoints that could not be read, so training "
            f"resumed from an older one, {where}; new checkpoints are numbered past "
            "the unreadable ones. Skipped: " + "; ".join(checkpoints.skipped),
            RuntimeWarning,
            stacklevel=3,
        )
    progress.say(f"resumed from {where}")


def _stop_if_not_finite(
    model: keras.Model,
    watch: tf.Variable,
    epoch: int,
    checkpoint_dir: str | os.PathLike[str] | None,
) -> None:
    """Raise before a checkpoint or an epoch's results are
    written from a diverged run.
    """
    steps, first_bad = (int(v) for v in watch.numpy())
    if first_bad:
        what, step = "the loss", first_bad
    elif any(
        tf.as_dtype(v.dtype).is_floating
        and not bool(tf.reduce_all(tf.math.is_finite(v)))
        for v in model.trainable_variables
    ):
        what, step = "the weights", steps
    else:
        return
    kept = (
        f"; the last checkpoint in {str(checkpoint_dir)!r} was kept"
        if checkpoint_dir is not None
        else ""
    )
    raise FloatingPointError(
        f"Training stopped: {what} became NaN or infinite at epoch {epoch}, step "
        f"{step}{kept}. Look for NaN or infinite values in the features and labels, or "
        f"lower the learning rate. Received: {what} not finite at epoch {epoch}, step "
        f"{step}"
    )


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
        loss: a `keras.losses.Loss`, a loss name, or a callable
            returning per-example losses.
        global_batch_size: examples per step over all replicas; a remainder smaller than
            one global batch is not evaluated.
        strategy: the `tf.distribute` strategy. Defaults to the current one.
        accuracy: also report accuracy (labels are class indices). Defaults to True.

    Returns:
        ``{"loss": ..., "accuracy": ...}``. A prediction with a NaN or infinite
        score counts as wrong.

    Examples:
        >>> import keras, tensorflow as tf
        >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
        >>> data = tf.data.Dataset.from_tensor_slices(([[0.0, 1.0]] * 4, [1] * 4))
        >>> sorted(evaluate(model, data, loss="sparse_categorical_crossentropy",
        ...                 global_batch_size=2))
        ['accuracy', 'loss']

    See: [Scalability](../why-deep-learning/scalability.md)
    """
    strategy = strategy or tf.distribute.get_strategy()
    global_batch_size = check_positive_int(global_batch_size, "global_batch_size")
    _check_built_in_scope(model, strategy)
    dataset = _check_dataset(dataset, "dataset", model)
    steps = _Steps(
        model, None, _per_example_loss(loss), strategy, global_batch_size, accuracy
    )
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
    """Train `model` on `dataset` under `strategy`,
    checkpointing and resuming automatically.

    The same call runs on one CPU or GPU, several GPUs, a TPU or several machines: the
    strategy decides where the replicas are, and each step is one `strategy.run` whose
    results are summed with `strategy.reduce`. Give the *global* batch size; each of the
    ``strategy.num_replicas_in_sync`` replicas gets an equal share of every batch.

    With `checkpoint_dir`, a checkpoint is written every `checkpoint_every` steps and at
    the end of every epoch; calling `train` again with the same folder resumes from the
    latest one, including the input position and the metric sums of the unfinished
    epoch. A process killed at any moment, a save included, resumes with its full
    history. Training never overwrites state it could not read: it resumes from the
    newest checkpoint that reads (a warning names any newer one passed over, and
    `History.checkpoint` the one used) and refuses, naming the folder and the file, when
    the saved state belongs to another model or cannot be read.

    Under `MultiWorkerMirroredStrategy`, `checkpoint_dir` must be one folder that every
    worker reads (a network file system or a bucket): the chief writes the checkpoints
    there and every worker restores from it. Workers that find different checkpoints
    all stop with an error.

    A loss that becomes NaN or infinite stops training with an error that names the
    epoch and step, before the diverged weights overwrite the last checkpoint.

    Args:
        model: a built Keras model, created inside `strategy.scope()`.
        dataset: a `tf.data.Dataset` of single (unbatched) ``(features, label)``
            examples; `train` shuffles it (when `shuffle_buffer` > 0), batches it and
            splits it between replicas.
        loss: a `keras.losses.Loss`, a loss name, or a callable
            returning per-example losses.
        optimizer: a Keras optimizer, created inside `strategy.scope()`. Under the
            ``mixed_float16`` policy, wrap it in `keras.optimizers.LossScaleOptimizer`.
        epochs: the number of passes over `dataset` in all, counting any already done.
        global_batch_size: examples per step over all replicas; a multiple
            of the replica count.
        strategy: the `tf.distribute` strategy. Defaults to the current one.
        validation_data: examples to evaluate on at the end of each
            epoch. Defaults to None.
        accuracy: also report accuracy (labels are class indices). Defaults to True.
        shuffle_buffer: examples in the shuffle buffer; 0 keeps the dataset's
            order. Defaults to 10,000.
        seed: a non-negative integer that fixes the shuffle order of each
            epoch. Defaults to 0.
        checkpoint_dir: folder for checkpoints; None trains without
            them. Defaults to None.
        checkpoint_every: also checkpoint every this many steps; None checkpoints only
            at the end of each epoch. Defaults to None.
        log_dir: folder for TensorBoard logs of each epoch's metrics. Defaults to None.
        verbose: 0 is silent, 1 prints a line per epoch and where the run
            resumed. Defaults to 1.

    Returns:
        A `History` with the metrics of every epoch, those before a resume included.

    Raises:
        TypeError: if `dataset` or `validation_data` is not a `tf.data.Dataset`, `loss`
            is not a loss, or `seed` or `verbose` is not an integer.
        ValueError: if `global_batch_size` is not a multiple of the replica
            count, `seed` is negative, `verbose` is not 0 or 1, `model` was built
            outside the strategy's scope, `dataset` is batched already or smaller
            than one global batch, `checkpoint_dir` holds a checkpoint of a
            different model or state that cannot be read, or the workers of a
            cluster do not share `checkpoint_dir`.
        FloatingPointError: if the loss or the weights become NaN or infinite.

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

    See: [Scaling out: many devices, many machines](../hardware/scaling-out.md)
    """
    strategy = strategy or tf.distribute.get_strategy()
    epochs = check_positive_int(epochs, "epochs")
    global_batch_size = check_positive_int(global_batch_size, "global_batch_size")
    shuffle_buffer = check_non_negative_int(shuffle_buffer, "shuffle_buffer")
    seed = check_non_negative_int(seed, "seed")
    verbose = _check_verbose(verbose)
    if checkpoint_every is not None:
        checkpoint_every = check_positive_int(checkpoint_every, "checkpoint_every")
    replicas = strategy.num_replicas_in_sync
    if global_batch_size % replicas:
        raise ValueError(
            f"`global_batch_size` must be a multiple of the {replicas} replicas in "
            "sync, so that every replica gets an equal share. Received: "
            f"global_batch_size={global_batch_size}"
        )
    _check_built_in_scope(model, strategy)
    dataset = _check_dataset(dataset, "dataset", model)
    if validation_data is not None:
        validation_data = _check_dataset(validation_data, "validation_data", model)
    if not isinstance(optimizer, keras.optimizers.Optimizer):
        raise TypeError(
            "`optimizer` must be a keras.optimizers.Optimizer. Received: "
            f"optimizer={optimizer!r}"
        )
    loss_fn = _per_example_loss(loss)
    progress = _Progress(verbose, epochs)

    with strategy.scope():
        optimizer.build(model.trainable_variables)
        epoch_var = tf.Variable(0, dtype=tf.int64, trainable=False, name="epoch")
        step_var = tf.Variable(0, dtype=tf.int64, trainable=False, name="step_in_epoch")
        sums_var = tf.Variable(tf.zeros(3), trainable=False, name="epoch_sums")
        watch_var = tf.Variable(
            [0, 0], dtype=tf.int64, trainable=False, name="finite_watch"
        )
    steps = _Steps(
        model,
        optimizer,
        loss_fn,
        strategy,
        global_batch_size,
        accuracy,
        sums_var,
        watch_var,
    )

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
        checkpoints = _checkpoints.Checkpoints(directory, tracked, signature, strategy)
        restored = checkpoints.restore()
        position = (int(epoch_var.numpy()), int(step_var.numpy()))
        _checkpoints.check_workers_agree(
            strategy, directory, checkpoints.restored, position
        )
        if restored:
            history = checkpoints.history(position[0])
            resumed_from = position
            _say_resumed(progress, directory, checkpoints, position)

    writer = None
    is_chief = _checkpoints.worker_role(strategy)[0]
    if log_dir is not None and is_chief:
        writer = tf.summary.create_file_writer(str(log_dir))

    for epoch in range(int(epoch_var.numpy()), epochs):
        start = time.perf_counter()
        skip = int(step_var.numpy())
        watch_var.assign([skip, 0])
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
            if (
                checkpoints is not None
                and checkpoint_every
                and done % checkpoint_every == 0
            ):
                _stop_if_not_finite(model, watch_var, epoch + 1, checkpoint_dir)
                step_var.assign(done)
                checkpoints.save(history)
        if done == 0:
            raise ValueError(
                "`dataset` must hold at least one full global batch. Received: fewer "
                f"than global_batch_size={global_batch_size} examples"
            )
        _stop_if_not_finite(model, watch_var, epoch + 1, checkpoint_dir)
        row: dict[str, float] = {"epoch": epoch + 1, "steps": done}
        row.update(_metrics([float(s) for s in sums_var.numpy()], "", accuracy))
        if validation_data is not None:
            row.update(
                {
                    f"val_{k}": v
                    for k, v in _run_eval(steps, validation_data, strategy).items()
                }
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
    return History(
        epochs=tuple(history),
        resumed_from=resumed_from,
        replicas=replicas,
        checkpoint=checkpoints.restored if checkpoints is not None else None,
        skipped_checkpoints=tuple(checkpoints.skipped)
        if checkpoints is not None
        else (),
    )


def digits_mlp(
    classes: int = 10, *, hidden: int = 64, learning_rate: float = 3e-3
) -> keras.Model:
    """Build a compiled one-hidden-layer classifier for 8x8 single-channel digits.

    The input, (8, 8, 1) as `dlcv.load_digits_images` returns it, is flattened and fed
    to a dense ReLU layer of `hidden` units and a dense softmax layer of `classes`
    units. It is compiled with Adam at `learning_rate` and sparse categorical
    cross-entropy (labels are class indices), ready for `fit` or `train_on_batch`.
    The weights start from Keras's global random state: call
    `keras.utils.set_random_seed` first for a repeatable model.

    Args:
        classes: the number of classes, the output layer's width. Defaults to 10.
        hidden: the number of hidden units. Defaults to 64.
        learning_rate: Adam's learning rate. Defaults to 3e-3.

    Returns:
        A compiled `keras.Sequential` model from (batch, 8, 8, 1) images to (batch,
        classes) probabilities.

    Raises:
        TypeError: if `classes` or `hidden` is not an integer, or `learning_rate` not a
            number.
        ValueError: if `classes`, `hidden` or `learning_rate` is not positive.

    Examples:
        >>> import numpy as np
        >>> model = digits_mlp(3, hidden=8)
        >>> model.predict(np.zeros((2, 8, 8, 1)), verbose=0).shape
        (2, 3)
        >>> model.loss
        'sparse_categorical_crossentropy'

    See: [Versatility](../why-deep-learning/versatility.md)
    """
    classes = check_positive_int(classes, "classes")
    hidden = check_positive_int(hidden, "hidden")
    learning_rate = check_positive_number(learning_rate, "learning_rate")
    model = keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            keras.layers.Flatten(),
            keras.layers.Dense(hidden, activation="relu"),
            keras.layers.Dense(classes, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="sparse_categorical_crossentropy",
    )
    return model


def digits_convnet(filters: int = 16, *, softmax: bool = False) -> keras.Model:
    """Build a one-convolution classifier for 8x8 single-channel digits, uncompiled.

    A 3x3 convolution of `filters` channels ("same" padding, ReLU), 2x2 max pooling, and
    a dense layer of 10 outputs over the flattened maps: logits, or, with `softmax`,
    probabilities from a softmax layer that computes in float32 whatever the global
    dtype policy, so that the loss stays stable under mixed precision. Build it inside
    a `tf.distribute` strategy's scope to train it under that strategy, and pass it to
    `dlcv.train`. The weights start from Keras's global random state.

    Args:
        filters: the number of convolution channels. Defaults to 16.
        softmax: end with a float32 softmax layer (for a loss on probabilities) rather
            than with the logits. Defaults to False.

    Returns:
        A `keras.Sequential` model from (batch, 8, 8, 1) images to (batch, 10) logits
        or probabilities.

    Raises:
        TypeError: if `filters` is not an integer or `softmax` not `True` or `False`.
        ValueError: if `filters` is not positive.

    Examples:
        >>> import numpy as np
        >>> model = digits_convnet(4, softmax=True)
        >>> probabilities = model.predict(np.zeros((2, 8, 8, 1)), verbose=0)
        >>> probabilities.shape, str(probabilities.dtype)
        ((2, 10), 'float32')

    See: [Scaling out: many devices, many machines](../hardware/scaling-out.md)
    """
    filters = check_positive_int(filters, "filters")
    if not isinstance(softmax, bool):
        raise TypeError(
            f"`softmax` must be True or False. Received: softmax={softmax!r}"
        )
    layers = [
        keras.Input((8, 8, 1)),
        keras.layers.Conv2D(filters, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Flatten(),
        keras.layers.Dense(10),
    ]
    if softmax:
        layers.append(keras.layers.Activation("softmax", dtype="float32"))
    return keras.Sequential(layers)
