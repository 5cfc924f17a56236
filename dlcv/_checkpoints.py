"""Checkpoints and the state file of `dlcv.train`: no kill loses an epoch, nothing unreadable is
overwritten.

A checkpoint folder holds TensorFlow checkpoints (``ckpt-N.index``, ``ckpt-N.data-*``, and the
``checkpoint`` file naming the latest) and ``dlcv_training.json`` (the model's signature and the
metrics of every finished epoch). Each save writes the state file first, atomically, and the
checkpoint second; a resumed run keeps the history rows up to the restored checkpoint's epoch.
A kill between the two writes therefore leaves a history one epoch ahead of the checkpoint,
which is cut back on resume, never one behind, which would drop an epoch.

Resuming finds the checkpoints by listing ``ckpt-*`` files rather than trusting the
``checkpoint`` file, restores the newest one that reads, and refuses, naming the folder and the
file, when the state belongs to another model or nothing can be read.

This module is private: `dlcv.training` is its only user.
"""

from __future__ import annotations

import dataclasses
import json
import math
import numbers
import os
import re
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import tensorflow as tf

__all__: list[str] = []

STATE_FILE = "dlcv_training.json"
_INDEX_FILE = "checkpoint"
_CHECKPOINT_FILE = re.compile(r"^ckpt-(\d+)\.(?:index|data-\d+-of-\d+)$")

# What a damaged checkpoint raises when restored: a truncated data file gives IndexError ("Read
# less bytes than requested"), a garbled one DataLossError, a garbled index "not an sstable", a
# missing data file NotFoundError; a checkpoint whose variables do not fit gives ValueError or
# AssertionError.
_RESTORE_ERRORS = (tf.errors.OpError, IndexError, ValueError, AssertionError, OSError)

# Fault injection, for tests only: called with the save's number (1 for the run's first save)
# after the state file is written and before the checkpoint is, the one moment at which a kill
# leaves the two out of step. tests/helpers/train_worker.py sets it to SIGKILL its own process
# there, which a random kill would hit too rarely to prove that resume survives it.
_between_writes: Callable[[int], None] | None = None


def worker_role(strategy: tf.distribute.Strategy) -> tuple[bool, int]:
    """(is this the chief?, this worker's index) for the strategy's cluster."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not getattr(resolver, "task_type", None):
        return True, 0
    task_type, task_id = resolver.task_type, int(resolver.task_id or 0)
    has_chief = "chief" in resolver.cluster_spec().as_dict()
    is_chief = task_type == "chief" or (task_type == "worker" and task_id == 0 and not has_chief)
    return is_chief, task_id


def atomic_write(path: Path, text: str) -> None:
    """Write `text` to `path` so that a reader sees the old file or the new one, never a part."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as file:
        file.write(text)
        file.flush()
        os.fsync(file.fileno())
    os.replace(tmp, path)


def unreadable(directory: Path, file: str, reason: str) -> ValueError:
    """The error for saved state that cannot be read: it names the folder and the file."""
    return ValueError(
        "`checkpoint_dir` holds training state that cannot be read, so it was left untouched; "
        "repair or move the file, or use another folder to start over. "
        f"Received: checkpoint_dir={str(directory)!r} ({file}: {reason})"
    )


# Keras numbers the names it makes up (`dense_3`, `adam_1/sequential_1_dense_3_kernel_momentum`)
# in creation order, so the same architecture rebuilt in one process (a notebook) gets new
# numbers. Restoring is by position, so only the order, the names without those numbers and
# the shapes must match.
_AUTO_NUMBER = re.compile(r"_\d+(?=_|/|$)")


def comparable(signature: list[list[Any]]) -> list[tuple[str, tuple[int, ...]]]:
    """The parts of a model signature that must match for a checkpoint to restore into it."""
    return [(_AUTO_NUMBER.sub("", str(path)), tuple(shape)) for path, shape in signature]


def summarize(signature: list[list[Any]]) -> str:
    """A short description of a signature for error messages."""
    shown = ", ".join(f"{name}{tuple(shape)}" for name, shape in signature[:3])
    return f"[{shown}{', …' if len(signature) > 3 else ''}] ({len(signature)} in all)"


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _state_problem(state: object) -> str | None:
    """What is wrong with a parsed state file, or None when it is well formed."""
    if not isinstance(state, dict):
        return f"expected a JSON object, found {type(state).__name__}"
    signature, history = state.get("signature"), state.get("history")
    if not isinstance(signature, list):
        return f"'signature' must be a list of [path, shape] pairs, found {signature!r:.60}"
    for entry in signature:
        if not (
            isinstance(entry, list)
            and len(entry) == 2
            and isinstance(entry[0], str)
            and isinstance(entry[1], list)
            and all(isinstance(d, int) and not isinstance(d, bool) for d in entry[1])
        ):
            return f"'signature' must be a list of [path, shape] pairs, found {entry!r:.60}"
    if not isinstance(history, list):
        return f"'history' must be a list of per-epoch objects, found {history!r:.60}"
    for index, row in enumerate(history):
        if not (isinstance(row, dict) and all(_is_number(v) for v in row.values())):
            return f"'history' row {index} must map metric names to numbers, found {row!r:.60}"
        if row.get("epoch") != index + 1:
            return f"'history' row {index} must be epoch {index + 1}, found {row!r:.60}"
    return None


@dataclasses.dataclass(frozen=True)
class SavedState:
    """The parsed state file: the model's signature and one metrics row per finished epoch."""

    signature: list[list[Any]]
    history: list[dict[str, float]]


def read_state(directory: Path) -> SavedState | None:
    """The state file in `directory`, checked; None if there is none.

    Raises:
        ValueError: if the file exists but is not a well-formed state file.
    """
    path = directory / STATE_FILE
    if not path.exists():
        return None
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise unreadable(directory, STATE_FILE, f"{type(error).__name__}: {error}") from error
    problem = _state_problem(state)
    if problem is not None:
        raise unreadable(directory, STATE_FILE, problem)
    return SavedState(signature=state["signature"], history=state["history"])


def checkpoint_numbers(directory: Path) -> set[int]:
    """The numbers N of every ``ckpt-N`` with at least one file in `directory`."""
    if not directory.is_dir():
        return set()
    found = (_CHECKPOINT_FILE.match(p.name) for p in directory.iterdir())
    return {int(match.group(1)) for match in found if match}


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0] if lines else ''}"


def positions_agree(
    local: Sequence[float], total: Sequence[float], squares: Sequence[float], replicas: int
) -> bool:
    """Whether every replica restored the same position, judged from sums over the replicas.

    `total` and `squares` are the sums of every replica's position and its element-wise square.
    They equal ``replicas * local`` and ``replicas * local**2`` on some replica exactly when the
    mean and the mean square over all replicas are those of `local`, that is when the variance
    is zero and every replica holds `local`; any difference is therefore seen on every worker,
    which must all stop together (one left waiting in an all-reduce would hang).
    """
    return all(
        math.isclose(t, replicas * v, abs_tol=1e-6) and math.isclose(s, replicas * v * v)
        for v, t, s in zip(local, total, squares, strict=True)
    )


def check_workers_agree(
    strategy: tf.distribute.Strategy,
    directory: Path,
    restored: str | None,
    position: tuple[int, int],
) -> None:
    """Raise on every worker of a cluster if the workers restored different checkpoints.

    Resuming under `MultiWorkerMirroredStrategy` needs one checkpoint folder that all workers
    read; a worker with its own, empty copy of the path would start from scratch while the
    chief resumes, and the all-reduce would mix the two states.

    Raises:
        ValueError: if the workers' restored (found, epoch, step) differ.
    """
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return
    if sum(len(tasks) for tasks in strategy.cluster_resolver.cluster_spec().as_dict().values()) < 2:
        return
    local = [float(restored is not None), float(position[0]), float(position[1])]

    def replica() -> tf.Tensor:
        value = tf.constant(local, dtype=tf.float64)
        return tf.concat([value, value * value], axis=0)

    def sums() -> tf.Tensor:
        return strategy.reduce(tf.distribute.ReduceOp.SUM, strategy.run(replica), axis=None)

    reduced = [float(x) for x in tf.function(sums)().numpy()]
    if positions_agree(local, reduced[:3], reduced[3:], strategy.num_replicas_in_sync):
        return
    _, worker = worker_role(strategy)
    found = (
        "no checkpoint"
        if restored is None
        else f"{restored} at epoch {position[0] + 1}, step {position[1]}"
    )
    raise ValueError(
        "`checkpoint_dir` must be a folder that every worker shares (a network file system or "
        "a bucket): the workers found different checkpoints to resume from and would train "
        f"from different states. Received: checkpoint_dir={str(directory)!r} (worker {worker} "
        f"found {found})"
    )


class Checkpoints:
    """Checkpoints of one training run; only the chief's copy is kept on a cluster."""

    def __init__(
        self,
        directory: Path,
        variables: dict[str, Any],
        signature: list[list[Any]],
        strategy: tf.distribute.Strategy,
    ) -> None:
        self.is_chief, worker = worker_role(strategy)
        self.directory = directory
        # Every worker takes part in saving (the variables are synchronised collectively);
        # the non-chief workers write to a scratch folder that is removed afterwards.
        self.own = directory if self.is_chief else directory / f".worker-{worker}"
        self.checkpoint = tf.train.Checkpoint(**variables)
        self.manager: tf.train.CheckpointManager | None = None
        self.signature = signature
        self.state: SavedState | None = None
        self.restored: str | None = None
        self.skipped: list[str] = []
        self.saves = 0

    def restore(self) -> bool:
        """Restore the newest checkpoint that reads; False if the folder holds none.

        Raises:
            ValueError: if the state file belongs to another model, cannot be read, or is
                missing beside checkpoints, or if no checkpoint can be read.
        """
        self.state = state = read_state(self.directory)
        if state is not None and comparable(state.signature) != comparable(self.signature):
            raise ValueError(
                "`checkpoint_dir` holds a checkpoint of a different model or optimizer; "
                "it was left untouched. Use another folder, or delete it to start over. "
                f"Received: checkpoint_dir={str(self.directory)!r} (saved variables "
                f"{summarize(state.signature)}, this model's {summarize(self.signature)})"
            )
        numbers = checkpoint_numbers(self.directory)
        if not numbers:
            # A state file alone is what a kill between the first save's two writes leaves.
            return False
        if state is None:
            raise unreadable(
                self.directory,
                STATE_FILE,
                f"missing beside the checkpoints ckpt-{max(numbers)}…, so neither the model "
                "they belong to nor the history of their epochs is known",
            )
        for number in sorted(numbers, reverse=True):
            name = f"ckpt-{number}"
            if not (self.directory / f"{name}.index").is_file():
                self.skipped.append(f"{name}: {name}.index is missing")
                continue
            try:
                status = self.checkpoint.restore(str(self.directory / name))
                status.assert_existing_objects_matched()
            except _RESTORE_ERRORS as error:
                # A failed restore may have assigned some variables; the next, older
                # checkpoint assigns all of them again.
                self.skipped.append(f"{name}: {_first_line(error)}")
                continue
            self.restored = name
            return True
        raise unreadable(self.directory, self.skipped[0].split(":")[0], "; ".join(self.skipped))

    def history(self, epoch: int) -> list[dict[str, float]]:
        """The saved history of the epochs before `epoch`, the restored checkpoint's.

        Raises:
            ValueError: if the state file holds fewer epochs than the checkpoint has finished.
        """
        saved = self.state.history if self.state is not None else []
        if len(saved) < epoch:
            raise unreadable(
                self.directory,
                STATE_FILE,
                f"holds {len(saved)} epochs of history, but {self.restored} has finished {epoch}",
            )
        return [dict(row) for row in saved[:epoch]]

    def _manager(self) -> tf.train.CheckpointManager:
        if self.manager is None:
            index = self.own / _INDEX_FILE
            try:
                tf.train.get_checkpoint_state(str(self.own))
            except (UnicodeDecodeError, tf.errors.OpError):
                # CheckpointManager cannot start over an index it cannot decode. The
                # checkpoints themselves were found by listing the folder; the old index is
                # kept aside rather than overwritten.
                os.replace(index, index.with_name(_INDEX_FILE + ".unreadable"))
            self.manager = tf.train.CheckpointManager(self.checkpoint, str(self.own), max_to_keep=2)
        return self.manager

    def save(self, history: list[dict[str, float]]) -> None:
        """Write the state file, then a checkpoint numbered after every one in the folder."""
        self.saves += 1
        if self.is_chief:
            state = {"signature": self.signature, "history": history}
            atomic_write(self.directory / STATE_FILE, json.dumps(state, indent=1))
        if _between_writes is not None:
            _between_writes(self.saves)
        # Numbering past every checkpoint present, readable or not, never overwrites one.
        number = max(checkpoint_numbers(self.own), default=0) + 1
        self._manager().save(checkpoint_number=number)
        if not self.is_chief:
            shutil.rmtree(self.own, ignore_errors=True)
            self.manager = None
