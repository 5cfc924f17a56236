"""Hand-made benchmark reports: known numbers for the tests of reports and rooflines."""

from dlcv.bench_report import BenchReport, Measurement


def make_measurement(kind="matmul", dtype="float32", flops=2e6, nbytes=1e5, seconds=1e-3):
    return Measurement(
        kind=kind,
        dtype=dtype,
        shape=(100, 100, 100) if kind == "matmul" else (1000,),
        seconds=seconds,
        flops=flops,
        bytes=nbytes,
        device="/device:CPU:0",
    )


HARDWARE = {
    "tensorflow_version": "2.21.0",
    "keras_version": "3.15.1",
    "python_version": "3.11.7",
    "devices": [{"name": "/device:CPU:0", "device_type": "CPU", "description": "Test CPU"}],
}


def make_report():
    return BenchReport(
        HARDWARE,
        (
            make_measurement(),
            make_measurement(dtype="float16", flops=2e6, nbytes=5e4, seconds=5e-4),
            make_measurement("bandwidth", flops=1e6, nbytes=8e6, seconds=1e-3),
        ),
    )
