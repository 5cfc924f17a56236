"""What this machine offers TensorFlow: versions, CUDA build
and the devices it can use.
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import socket
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import keras
import tensorflow as tf

from dlcv._cpuinfo import read_cpuinfo
from dlcv._table import align_columns
from dlcv._validation import _is_int, check_one_of, check_positive_int

__all__ = [
    "DeviceInfo",
    "HardwareInfo",
    "Setup",
    "describe_hardware",
    "format_hardware",
    "local_tf_configs",
    "pick_precision",
    "pick_strategy",
    "setup_hardware",
]


@dataclasses.dataclass(frozen=True)
class DeviceInfo:
    """One device TensorFlow can place operations on.

    Attributes:
        name: TensorFlow's name for it, e.g. `"/device:CPU:0"`.
        device_type: `"CPU"`, `"GPU"` or `"TPU"`.
        description: a human-readable name, e.g. the CPU model or
            `"NVIDIA H100 80GB HBM3 (compute capability 9.0)"`.
        memory_in_use_bytes: accelerator memory TensorFlow holds on the device now,
            where it reports it (GPUs and TPUs), else None. TensorFlow exposes no
            total-memory figure.
        peak_memory_bytes: the most accelerator memory TensorFlow has held in this
            process, where it reports it, else None.

    See: [GPUs, TPUs and CUDA](../hardware/gpus-tpus-and-cuda.md)
    """

    name: str
    device_type: str
    description: str
    memory_in_use_bytes: int | None = None
    peak_memory_bytes: int | None = None


@dataclasses.dataclass(frozen=True)
class HardwareInfo:
    """The software versions and devices TensorFlow sees on this machine.

    Attributes:
        python_version: e.g. `"3.11.7"`.
        tensorflow_version: e.g. `"2.21.0"`.
        keras_version: e.g. `"3.15.1"`.
        platform: the operating system, as `platform.platform()` reports it.
        cpu_count: the CPU cores this process may use.
        built_with_cuda: whether this TensorFlow build includes CUDA support.
        cuda_version: the CUDA version TensorFlow was built with, or `None`.
        cudnn_version: the cuDNN version TensorFlow was built with, or `None`.
        devices: the logical devices TensorFlow can use, CPUs first.
        tpu_topology: for TPUs, the core count and accelerator type (e.g. `"8 TPU cores
            (v5litepod-8)"`), else None.

    See: [GPUs, TPUs and CUDA](../hardware/gpus-tpus-and-cuda.md)
    """

    python_version: str
    tensorflow_version: str
    keras_version: str
    platform: str
    cpu_count: int
    built_with_cuda: bool
    cuda_version: str | None
    cudnn_version: str | None
    devices: tuple[DeviceInfo, ...]
    tpu_topology: str | None = None


def _memory(device_name: str) -> tuple[int | None, int | None]:
    """(in use, peak) bytes TensorFlow reports for an accelerator, or (None, None)."""
    try:
        info = tf.config.experimental.get_memory_info(
            device_name.replace("/device:", "")
        )
    except (ValueError, tf.errors.OpError):
        return None, None
    return int(info["current"]), int(info["peak"])


def _cpu_model() -> str:
    # /proc/cpuinfo names the model on Linux; platform.processor() is often empty there.
    return (
        read_cpuinfo().get("model name")
        or platform.processor()
        or platform.machine()
        or "unknown CPU"
    )


def _cpu_count() -> int:
    # Containers and job schedulers restrict the cores a process may use; count those.
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _gpu_description(physical: Any) -> str:
    details = tf.config.experimental.get_device_details(physical)
    name = str(details.get("device_name", "GPU"))
    capability = details.get("compute_capability")
    if capability:
        major, minor = capability
        return f"{name} (compute capability {major}.{minor})"
    return name


def _build_value(build: dict[str, Any], key: str) -> str | None:
    value = build.get(key)
    return None if value in (None, "") else str(value)


def describe_hardware() -> HardwareInfo:
    """Describe the software versions and devices available to TensorFlow.

    TPUs are listed only when the TPU system is already initialised in this process (for
    example by `tf.tpu.experimental.initialize_tpu_system`): this function never
    contacts a TPU resolver, so it returns quickly and works offline.

    Returns:
        A `HardwareInfo` for this process.

    Examples:
        >>> info = describe_hardware()
        >>> info.devices[0].device_type
        'CPU'

    See: [GPUs, TPUs and CUDA](../hardware/gpus-tpus-and-cuda.md)
    """
    build = dict(tf.sysconfig.get_build_info())
    built_with_cuda = bool(build.get("is_cuda_build", False))
    cpu_model = _cpu_model()
    physical_gpus = tf.config.list_physical_devices("GPU")

    devices = []
    logical_gpus = tf.config.list_logical_devices("GPU")
    for device_type in ("CPU", "GPU", "TPU"):
        for index, logical in enumerate(tf.config.list_logical_devices(device_type)):
            if device_type == "CPU":
                description = cpu_model
            elif device_type == "GPU" and physical_gpus:
                # Logical GPUs map one-to-one onto physical ones unless a GPU
                # was split into several logical devices; a single physical GPU
                # then backs all of them.
                if len(physical_gpus) == len(logical_gpus):
                    description = _gpu_description(physical_gpus[index])
                elif len(physical_gpus) == 1:
                    description = _gpu_description(physical_gpus[0])
                else:
                    description = "GPU"
            else:
                description = device_type
            in_use, peak = (
                _memory(logical.name) if device_type != "CPU" else (None, None)
            )
            devices.append(
                DeviceInfo(logical.name, device_type, description, in_use, peak)
            )
    tpus = [d for d in devices if d.device_type == "TPU"]
    topology = None
    if tpus:
        kind = os.environ.get("TPU_ACCELERATOR_TYPE")
        topology = f"{len(tpus)} TPU cores" + (f" ({kind})" if kind else "")

    return HardwareInfo(
        python_version=platform.python_version(),
        tensorflow_version=tf.__version__,
        keras_version=keras.__version__,
        platform=platform.platform(),
        cpu_count=_cpu_count(),
        built_with_cuda=built_with_cuda,
        cuda_version=_build_value(build, "cuda_version") if built_with_cuda else None,
        cudnn_version=_build_value(build, "cudnn_version") if built_with_cuda else None,
        devices=tuple(devices),
        tpu_topology=topology,
    )


def format_hardware(info: HardwareInfo) -> str:
    """Format a `HardwareInfo` as an aligned, multi-line report.

    Args:
        info: what `describe_hardware` returned.

    Returns:
        The report, one fact per line, without a trailing newline.

    Raises:
        TypeError: if `info` is not a `HardwareInfo`.

    Examples:
        >>> text = format_hardware(describe_hardware())
        >>> print(text.splitlines()[1])  # doctest: +ELLIPSIS
        TensorFlow   ...

    See: [GPUs, TPUs and CUDA](../hardware/gpus-tpus-and-cuda.md)
    """
    if not isinstance(info, HardwareInfo):
        raise TypeError(
            f"`info` must be a HardwareInfo. Received: info={type(info).__name__} "
            "object"
        )
    if info.built_with_cuda:
        cuda = (
            f"yes (CUDA {info.cuda_version or '?'}, cuDNN {info.cudnn_version or '?'})"
        )
    else:
        cuda = "no"
    rows = [
        ("Python", info.python_version),
        ("TensorFlow", info.tensorflow_version),
        ("Keras", info.keras_version),
        ("Platform", info.platform),
        ("CPU cores", str(info.cpu_count)),
        ("CUDA build", cuda),
        ("Devices", str(len(info.devices))),
    ]
    if info.tpu_topology:
        rows.insert(-1, ("TPU topology", info.tpu_topology))
    devices = []
    for device in info.devices:
        memory = ""
        if device.memory_in_use_bytes is not None:
            memory = (
                f", {device.memory_in_use_bytes / 2**20:.0f} MiB in use by TensorFlow"
                f" (peak {(device.peak_memory_bytes or 0) / 2**20:.0f} MiB)"
            )
        devices.append(
            (device.name, device.device_type, f"{device.description}{memory}")
        )
    lines = align_columns(rows, "<<", gap="   ")
    lines += align_columns(devices, "<<<", indent="  ")
    return "\n".join(lines)


STRATEGY_NAMES = ("auto", "tpu", "multi_worker", "mirrored", "one_device")


def _tpu_resolver() -> Any | None:
    """A TPU cluster resolver when this machine can reach a TPU, else None.

    The resolver is only asked where the environment says a TPU exists: on other
    machines its metadata look-up would wait on a network that is not there.
    """
    hints = ("TPU_NAME", "COLAB_TPU_ADDR", "TPU_ACCELERATOR_TYPE", "TPU_WORKER_ID")
    if not any(os.environ.get(h) for h in hints) and not Path("/dev/accel0").exists():
        return None
    try:
        return tf.distribute.cluster_resolver.TPUClusterResolver(
            tpu=os.environ.get("TPU_NAME", "local")
        )
    except (ValueError, RuntimeError):
        return None


def _device_key(name: str) -> tuple[str, int]:
    spec = tf.DeviceSpec.from_string(name)
    return (spec.device_type or "").upper(), spec.device_index or 0


def _check_device(value: Any, name: str) -> str:
    """Return `value` if it names a device TensorFlow can use in this process.

    TensorFlow places work on another device, silently, when the one asked for
    does not exist (soft placement), so a mistyped or absent GPU would otherwise
    run on the CPU unnoticed.

    Args:
        value: a device name such as `"/gpu:0"` or `"/device:CPU:0"` (any case).
        name: the argument's name, used in the message.

    Returns:
        `value`, unchanged.

    Raises:
        TypeError: if `value` is not a string.
        ValueError: if it names no logical device of this process.

    Examples:
        >>> _check_device("/cpu:0", "device")
        '/cpu:0'

    See: [GPUs, TPUs and CUDA](../hardware/gpus-tpus-and-cuda.md)
    """
    if not isinstance(value, str):
        raise TypeError(
            f"`{name}` must be a device name such as '/gpu:0'. Received: "
            f"{name}={value!r}"
        )
    existing = [device.name for device in tf.config.list_logical_devices()]
    try:
        key = _device_key(value)
    except ValueError:
        key = None
    if key is None or key not in {_device_key(device) for device in existing}:
        raise ValueError(
            f"`{name}` must name a device of this machine, one of "
            f"{', '.join(existing)}. Received: {name}={value!r}"
        )
    return value


def _check_devices(devices: Any) -> list[str] | None:
    if devices is None:
        return None
    if isinstance(devices, str) or not isinstance(devices, Sequence):
        raise TypeError(
            "`devices` must be a list of device names, such as ['/gpu:0', '/gpu:1']. "
            f"Received: devices={devices!r}"
        )
    if not devices:
        raise ValueError(
            "`devices` must name at least one device, or be None. Received: devices=[]"
        )
    return [_check_device(device, "devices") for device in devices]


def _workers_in_tf_config() -> int:
    try:
        config = json.loads(os.environ.get("TF_CONFIG", "") or "{}")
    except json.JSONDecodeError as exc:
        raise ValueError(
            "`TF_CONFIG` must be JSON naming the cluster and this task. Received: "
            f"{exc}"
        ) from exc
    cluster = config.get("cluster", {})
    return len(cluster.get("worker", [])) + len(cluster.get("chief", []))


def local_tf_configs(workers: int) -> list[str]:
    """`TF_CONFIG` values for a cluster of `workers` processes on this machine.

    `MultiWorkerMirroredStrategy` learns the cluster from the `TF_CONFIG` environment
    variable: JSON that lists the address of every worker and names this process's
    task. To try it on one machine, start `workers` processes and give the i-th the
    i-th value returned here: all name the same cluster, one worker per port on
    127.0.0.1, and each its own index. The ports are ones the operating system
    reported free when asked; another program may take one before the workers start.

    Args:
        workers: the number of worker processes, 1 or more.

    Returns:
        One JSON string per worker, in task-index order.

    Raises:
        TypeError: if `workers` is not an integer.
        ValueError: if `workers` is below 1.

    Examples:
        >>> configs = local_tf_configs(2)
        >>> [json.loads(config)["task"] for config in configs]
        [{'type': 'worker', 'index': 0}, {'type': 'worker', 'index': 1}]
        >>> len(set(json.loads(configs[0])["cluster"]["worker"]))
        2

    See: [Scaling out: many devices, many machines](../hardware/scaling-out.md)
    """
    workers = check_positive_int(workers, "workers")
    # Every socket stays bound until all ports are read, so no port is handed out twice.
    sockets = [socket.socket() for _ in range(workers)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        ports = [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()
    cluster = {"worker": [f"127.0.0.1:{port}" for port in ports]}
    return [
        json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})
        for index in range(workers)
    ]


def pick_strategy(
    name: str = "auto", *, devices: Sequence[str] | None = None
) -> tf.distribute.Strategy:
    """Return the `tf.distribute` strategy for this machine, or the one `name` asks for.

    With ``name="auto"`` the first that applies wins: `TPUStrategy` when a TPU is
    reachable; `MultiWorkerMirroredStrategy` when ``TF_CONFIG`` names several
    workers; `MirroredStrategy` when there are several GPUs; otherwise
    `OneDeviceStrategy` on the GPU or the CPU.

    Args:
        name: one of ``"auto"``, ``"tpu"``, ``"multi_worker"``, ``"mirrored"`` or
            ``"one_device"``. Defaults to ``"auto"``.
        devices: the devices to mirror over, for ``"mirrored"`` (and ``"auto"``,
            which then treats them as the accelerators); e.g. ``["/cpu:0",
            "/cpu:1"]`` with two logical CPU devices to try data parallelism on a
            laptop. Defaults to the visible GPUs.

    Returns:
        A `tf.distribute.Strategy`.

    Raises:
        TypeError: if `devices` is not a list of strings (a single
            name must be in a list).
        ValueError: if `name` is unknown, or names a strategy this machine cannot run,
            or `devices` is empty or names a device this process does not have.

    Examples:
        >>> strategy = pick_strategy()
        >>> strategy.num_replicas_in_sync >= 1
        True

    See: [Scaling out: many devices, many machines](../hardware/scaling-out.md)
    """
    name = check_one_of(name, "name", STRATEGY_NAMES)
    devices = _check_devices(devices)
    # TPU and multi-worker set-up must come before anything initialises TensorFlow's
    # devices (listing them does), so the cluster checks go first.
    if name in {"auto", "tpu"}:
        resolver = _tpu_resolver()
        if resolver is not None:
            tf.config.experimental_connect_to_cluster(resolver)
            tf.tpu.experimental.initialize_tpu_system(resolver)
            return tf.distribute.TPUStrategy(resolver)
        if name == "tpu":
            raise ValueError(
                "`name` must name a strategy this machine can run. Received: "
                "name='tpu', but no TPU was found (set TPU_NAME, or run on a TPU VM)"
            )
    if name == "multi_worker" or (name == "auto" and _workers_in_tf_config() > 1):
        return tf.distribute.MultiWorkerMirroredStrategy()
    if devices is not None:
        accelerators = devices
    else:
        accelerators = [d.name for d in tf.config.list_logical_devices("GPU")]
    if name == "mirrored" or (name == "auto" and len(accelerators) > 1):
        return tf.distribute.MirroredStrategy(accelerators or None)
    return tf.distribute.OneDeviceStrategy(
        accelerators[0] if accelerators else "/cpu:0"
    )


def _check_capability(value: Any) -> tuple[int, int]:
    message = (
        "`compute_capability` must be a (major, minor) pair of non-negative integers, "
        f"such as (8, 0). Received: compute_capability={value!r}"
    )
    if isinstance(value, str) or not isinstance(value, Sequence) or len(value) != 2:
        raise TypeError(message)
    if not all(_is_int(part) for part in value):
        raise TypeError(message)
    if min(value) < 0:
        raise ValueError(message)
    return int(value[0]), int(value[1])


def pick_precision(
    device_type: str, *, compute_capability: tuple[int, int] | None = None
) -> str:
    """Return the Keras dtype policy that suits a device:
    the fastest that trains reliably.

    ``mixed_bfloat16`` on TPUs and on GPUs of compute capability 8.0 and above (Ampere
    onward), whose matrix units run bfloat16 at full rate with float32's exponent range;
    ``mixed_float16`` on GPUs of compute capability 7.x (Volta, Turing), whose tensor
    cores run float16 and which need loss scaling; ``float32`` on CPUs and older GPUs.

    Args:
        device_type: ``"CPU"``, ``"GPU"`` or ``"TPU"``.
        compute_capability: the GPU's (major, minor) version, for ``"GPU"``, as a tuple
            (or list) of two integers such as ``(8, 0)``. Defaults to None.

    Returns:
        A policy name for `keras.mixed_precision.set_dtype_policy`.

    Raises:
        TypeError: if `compute_capability` is not a pair of integers such as `(8, 0)`.
        ValueError: if `device_type` is unknown, or `compute_capability` is negative.

    Examples:
        >>> pick_precision("GPU", compute_capability=(9, 0))
        'mixed_bfloat16'
        >>> pick_precision("CPU")
        'float32'

    See: [Numerical precision and XLA](../hardware/precision.md)
    """
    device_type = check_one_of(device_type, "device_type", ("CPU", "GPU", "TPU"))
    if compute_capability is not None:
        compute_capability = _check_capability(compute_capability)
    if device_type == "TPU":
        return "mixed_bfloat16"
    if device_type == "GPU" and compute_capability is not None:
        if compute_capability >= (8, 0):
            return "mixed_bfloat16"
        if compute_capability >= (7, 0):
            return "mixed_float16"
    return "float32"


@dataclasses.dataclass(frozen=True)
class Setup:
    """What `setup_hardware` chose.

    Attributes:
        strategy: the `tf.distribute` strategy to build and train under.
        precision: the Keras dtype policy now in force.
        device_type: ``"CPU"``, ``"GPU"`` or ``"TPU"``: what the replicas run on.
        replicas: the number of replicas in sync.

    See: [Scaling out: many devices, many machines](../hardware/scaling-out.md)
    """

    strategy: tf.distribute.Strategy
    precision: str
    device_type: str
    replicas: int

    def global_batch_size(self, per_replica: int) -> int:
        """The global batch for `per_replica` examples on each replica."""
        return check_positive_int(per_replica, "per_replica") * self.replicas

    def describe(self) -> str:
        """One line saying what was chosen, for a log or a snippet's output."""
        kind = type(self.strategy).__name__
        if isinstance(self.strategy, tf.distribute.MultiWorkerMirroredStrategy):
            # its class is CollectiveAllReduceStrategy
            kind = "MultiWorkerMirroredStrategy"
        return (
            f"strategy {kind} · {self.replicas} replica(s) on "
            f"{self.device_type} · precision {self.precision}"
        )


def setup_hardware(
    strategy: str = "auto",
    precision: str = "auto",
    *,
    devices: Sequence[str] | None = None,
    verbose: bool = True,
) -> Setup:
    """Pick the strategy and precision for this machine, apply
    the precision, say what it chose.

    Args:
        strategy: a name for `pick_strategy`. Defaults to ``"auto"``.
        precision: a Keras dtype policy name (``"float32"``, ``"mixed_float16"``,
            ``"mixed_bfloat16"``), or ``"auto"`` for `pick_precision`'s choice.
            Defaults to ``"auto"``.
        devices: passed to `pick_strategy`. Defaults to None.
        verbose: print the one-line summary. Defaults to True.

    Returns:
        A `Setup` holding the strategy, the precision, the device type
        and the replica count.

    Raises:
        TypeError: if `devices` is not a list of strings.
        ValueError: if `strategy` or `precision` is not a known name, or `devices` names
            a device this process does not have.

    Examples:
        >>> setup = setup_hardware(verbose=False)
        >>> setup.precision in {"float32", "mixed_float16", "mixed_bfloat16"}
        True

    See: [Scaling out: many devices, many machines](../hardware/scaling-out.md)
    """
    precision = check_one_of(
        precision, "precision", ("auto", "float32", "mixed_float16", "mixed_bfloat16")
    )
    chosen = pick_strategy(strategy, devices=devices)
    device = (
        chosen.extended.worker_devices[0]
        if chosen.extended.worker_devices
        else "/cpu:0"
    )
    device_type = tf.DeviceSpec.from_string(device).device_type or "CPU"
    if isinstance(chosen, tf.distribute.TPUStrategy):
        device_type = "TPU"
    capability = None
    if device_type == "GPU":
        gpus = tf.config.list_physical_devices("GPU")
        details = tf.config.experimental.get_device_details(gpus[0]) if gpus else {}
        capability = details.get("compute_capability")
    policy = (
        pick_precision(device_type, compute_capability=capability)
        if precision == "auto"
        else precision
    )
    keras.mixed_precision.set_dtype_policy(policy)
    setup = Setup(chosen, policy, device_type, chosen.num_replicas_in_sync)
    if verbose:
        print(setup.describe())
    return setup
