"""Tests for dlcv.hardware."""

import json
import platform
from collections.abc import Iterator

import keras
import pytest
import tensorflow as tf

from dlcv import hardware
from dlcv.hardware import DeviceInfo, HardwareInfo, describe_hardware, format_hardware


@pytest.fixture(scope="module")
def info():
    return describe_hardware()


def test_versions_match_the_running_software(info):
    assert info.python_version == platform.python_version()
    assert info.tensorflow_version == tf.__version__
    assert info.keras_version == keras.__version__
    assert info.cpu_count >= 1
    assert info.platform


def test_devices_match_tensorflows_logical_devices(info):
    expected = {device.name for device in tf.config.list_logical_devices()}
    assert {device.name for device in info.devices} == expected
    assert info.devices[0].device_type == "CPU"
    for device in info.devices:
        assert device.device_type in {"CPU", "GPU", "TPU"}
        assert device.name.endswith(f"{device.device_type}:{device.name.rsplit(':', 1)[1]}")
        assert device.description.strip()


@pytest.mark.parametrize(
    ("build", "expected", "shown"),
    [
        (
            {"is_cuda_build": True, "cuda_version": "12.5.1", "cudnn_version": "9"},
            (True, "12.5.1", "9"),
            "yes (CUDA 12.5.1, cuDNN 9)",
        ),
        # A build may leave a version blank: it is unknown, not the empty string.
        ({"is_cuda_build": True, "cuda_version": ""}, (True, None, None), "yes (CUDA ?, cuDNN ?)"),
        # Versions a CPU-only build reports are not the versions of anything it can use.
        (
            {"is_cuda_build": False, "cuda_version": "12.5.1", "cudnn_version": "9"},
            (False, None, None),
            "no",
        ),
        ({}, (False, None, None), "no"),
    ],
)
def test_cuda_fields_come_from_the_build_info(
    monkeypatch: pytest.MonkeyPatch,
    build: dict[str, object],
    expected: tuple[bool, str | None, str | None],
    shown: str,
) -> None:
    monkeypatch.setattr(tf.sysconfig, "get_build_info", lambda: build)
    info = describe_hardware()
    assert (info.built_with_cuda, info.cuda_version, info.cudnn_version) == expected
    assert f"CUDA build   {shown}" in format_hardware(info).splitlines()


def test_format_hardware_mentions_versions_and_every_device(info):
    text = format_hardware(info)
    assert f"TensorFlow   {tf.__version__}" in text
    assert keras.__version__ in text
    for device in info.devices:
        assert device.name in text
        assert device.description in text


def _hand_made_info(
    *devices: DeviceInfo,
    cuda_version: str | None = None,
    cudnn_version: str | None = None,
    tpu_topology: str | None = None,
) -> HardwareInfo:
    """A machine with known versions: a CPU, then `devices`; built with CUDA when
    `cuda_version` is given."""
    return HardwareInfo(
        python_version="3.11.7",
        tensorflow_version="2.21.0",
        keras_version="3.15.1",
        platform="Linux",
        cpu_count=8,
        built_with_cuda=cuda_version is not None,
        cuda_version=cuda_version,
        cudnn_version=cudnn_version,
        devices=(DeviceInfo("/device:CPU:0", "CPU", "Some CPU"), *devices),
        tpu_topology=tpu_topology,
    )


def test_format_hardware_aligns_values():
    info = _hand_made_info(
        DeviceInfo("/device:GPU:0", "GPU", "NVIDIA H100 (compute capability 9.0)"),
        cuda_version="12.5.1",
        cudnn_version="9",
    )
    lines = format_hardware(info).splitlines()
    assert lines[0] == "Python       3.11.7"
    assert "CUDA build   yes (CUDA 12.5.1, cuDNN 9)" in lines
    assert "Devices      2" in lines
    assert lines[-1] == "  /device:GPU:0  GPU  NVIDIA H100 (compute capability 9.0)"
    value_columns = {line.index(line.split()[-1]) for line in lines[:3]}
    assert len(value_columns) == 1


def test_format_hardware_rejects_other_types():
    with pytest.raises(TypeError, match="must be a HardwareInfo"):
        format_hardware({"tensorflow_version": "2.21"})


# --- strategy and precision -------------------------------------------------------------------


@pytest.fixture
def float32_after() -> Iterator[None]:
    yield
    keras.mixed_precision.set_dtype_policy("float32")


def test_pick_strategy_on_cpu_is_one_device() -> None:
    strategy = hardware.pick_strategy()
    assert isinstance(strategy, tf.distribute.OneDeviceStrategy)
    assert strategy.num_replicas_in_sync == 1


def test_pick_strategy_mirrors_over_several_devices() -> None:
    """Two logical CPU devices (tests/dlcv/conftest.py) stand in for two GPUs."""
    for name in ("auto", "mirrored"):
        strategy = hardware.pick_strategy(name, devices=["/cpu:0", "/cpu:1"])
        assert isinstance(strategy, tf.distribute.MirroredStrategy)
        assert strategy.num_replicas_in_sync == 2


def test_pick_strategy_refuses_unknown_names_and_missing_tpus() -> None:
    with pytest.raises(ValueError, match="`name` must be one of"):
        hardware.pick_strategy("gpu_cluster")
    with pytest.raises(ValueError, match="no TPU was found"):
        hardware.pick_strategy("tpu")


@pytest.mark.parametrize("absent", ["/gpu:4096", "/cpu:9", "/device:TPU:4096", "not a device"])
def test_pick_strategy_refuses_devices_that_do_not_exist(absent: str) -> None:
    # Unrefused, "one_device" on an absent GPU was reported as running "on GPU".
    for name in ("one_device", "mirrored"):
        with pytest.raises(
            ValueError, match=r"`devices` must name a device of this machine.*CPU:0"
        ):
            hardware.pick_strategy(name, devices=["/cpu:0", absent])
    with pytest.raises(ValueError, match="`devices` must name a device"):
        hardware.setup_hardware("one_device", devices=[absent], verbose=False)


def test_pick_strategy_refuses_a_device_name_not_in_a_list() -> None:
    # A bare string would be read letter by letter, as the devices "/", "c", "p", ...
    with pytest.raises(TypeError, match=r"`devices` must be a list of device names"):
        hardware.pick_strategy("mirrored", devices="/cpu:0")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="`devices` must name at least one device"):
        hardware.pick_strategy("mirrored", devices=[])
    with pytest.raises(TypeError, match="`devices` must be a device name"):
        hardware.pick_strategy("mirrored", devices=[0])  # type: ignore[list-item]


def test_pick_strategy_accepts_device_names_in_any_spelling() -> None:
    strategy = hardware.pick_strategy("one_device", devices=["/device:CPU:1"])
    assert isinstance(strategy, tf.distribute.OneDeviceStrategy)


def test_workers_are_counted_from_tf_config(monkeypatch: pytest.MonkeyPatch) -> None:
    cluster = {"cluster": {"worker": ["127.0.0.1:1", "127.0.0.1:2"]}, "task": {"index": 0}}
    monkeypatch.setenv("TF_CONFIG", json.dumps(cluster))
    assert hardware._workers_in_tf_config() == 2
    monkeypatch.setenv("TF_CONFIG", "{not json")
    with pytest.raises(ValueError, match="`TF_CONFIG` must be JSON"):
        hardware._workers_in_tf_config()
    monkeypatch.delenv("TF_CONFIG")
    assert hardware._workers_in_tf_config() == 0


@pytest.mark.parametrize("workers", [1, 3])
def test_local_tf_configs_describe_one_cluster_with_a_task_each(
    monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    configs = [json.loads(config) for config in hardware.local_tf_configs(workers)]
    assert [config["task"] for config in configs] == [
        {"type": "worker", "index": index} for index in range(workers)
    ]
    cluster = configs[0]["cluster"]
    assert all(config["cluster"] == cluster for config in configs)
    assert list(cluster) == ["worker"]
    hosts = [address.rsplit(":", 1) for address in cluster["worker"]]
    assert all(host == "127.0.0.1" and 0 < int(port) < 65536 for host, port in hosts)
    assert len({port for _, port in hosts}) == workers
    # What the strategy's own reading of the variable sees: a cluster of `workers`.
    monkeypatch.setenv("TF_CONFIG", hardware.local_tf_configs(workers)[-1])
    assert hardware._workers_in_tf_config() == workers


def test_local_tf_configs_names_a_bad_worker_count() -> None:
    with pytest.raises(ValueError, match=r"`workers`.*Received: workers=0"):
        hardware.local_tf_configs(0)
    with pytest.raises(TypeError, match=r"`workers`.*Received: workers='2'"):
        hardware.local_tf_configs("2")


@pytest.mark.parametrize(
    ("device", "capability", "policy"),
    [
        ("TPU", None, "mixed_bfloat16"),
        ("GPU", (9, 0), "mixed_bfloat16"),
        ("GPU", (8, 0), "mixed_bfloat16"),
        ("GPU", (7, 5), "mixed_float16"),
        ("GPU", (7, 0), "mixed_float16"),
        ("GPU", (6, 1), "float32"),
        ("GPU", None, "float32"),
        ("CPU", None, "float32"),
    ],
)
def test_pick_precision(device: str, capability: tuple[int, int] | None, policy: str) -> None:
    assert hardware.pick_precision(device, compute_capability=capability) == policy


@pytest.mark.parametrize(
    ("capability", "error"),
    [
        ("8.0", TypeError),
        (8, TypeError),
        (8.0, TypeError),
        ((8,), TypeError),
        ((8, 0, 1), TypeError),
        ((8.0, 0), TypeError),
        ((True, 0), TypeError),
        ((-1, 0), ValueError),
    ],
)
def test_pick_precision_names_compute_capability_and_its_form(
    capability: object, error: type[Exception]
) -> None:
    with pytest.raises(error, match=r"`compute_capability` must be .* such as \(8, 0\)"):
        hardware.pick_precision("GPU", compute_capability=capability)  # type: ignore[arg-type]


def test_pick_precision_takes_a_list_as_well_as_a_tuple() -> None:
    assert hardware.pick_precision("GPU", compute_capability=[8, 6]) == "mixed_bfloat16"  # type: ignore[arg-type]


def test_pick_precision_refuses_unknown_devices() -> None:
    with pytest.raises(ValueError, match="`device_type` must be one of"):
        hardware.pick_precision("NPU")


def test_setup_hardware_applies_and_reports_its_choice(
    capsys: pytest.CaptureFixture[str], float32_after: None
) -> None:
    setup = hardware.setup_hardware()
    assert "strategy OneDeviceStrategy · 1 replica(s) on CPU · precision float32" in (
        capsys.readouterr().out
    )
    assert setup.global_batch_size(32) == 32
    forced = hardware.setup_hardware(precision="mixed_bfloat16", verbose=False)
    assert forced.precision == "mixed_bfloat16"
    assert keras.mixed_precision.dtype_policy().name == "mixed_bfloat16"
    with pytest.raises(ValueError, match="`precision` must be one of"):
        hardware.setup_hardware(precision="int8", verbose=False)
    with pytest.raises(ValueError, match="`per_replica` must be a positive integer"):
        setup.global_batch_size(0)


def test_format_shows_accelerator_memory_and_tpu_topology() -> None:
    info = _hand_made_info(
        DeviceInfo("/device:TPU:0", "TPU", "TPU", 3 * 2**20, 5 * 2**20),
        tpu_topology="8 TPU cores (v5litepod-8)",
    )
    text = format_hardware(info)
    assert any(
        line.startswith("TPU topology") and line.endswith("8 TPU cores (v5litepod-8)")
        for line in text.splitlines()
    )
    assert "3 MiB in use by TensorFlow (peak 5 MiB)" in text


def test_cpu_devices_report_no_accelerator_memory(info):
    assert all(d.memory_in_use_bytes is None for d in info.devices if d.device_type == "CPU")
    assert info.tpu_topology is None
