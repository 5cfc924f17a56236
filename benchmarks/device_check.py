"""Check the hardware pages' claims on the machine at hand, GPU or not, in one JSON file.

`make device-check` installs the ``gpu`` extra and runs this script. In a few minutes it
records, in one file:

* `describe_hardware()`: the devices TensorFlow sees, with their names and memory;
* ``python -m dlcv.bench --json``: matrix products, convolutions and bandwidth per dtype;
* the best bfloat16 matrix-product rate as a fraction of the device's datasheet peak, when the
  device is one whose peak is listed below;
* every snippet of the hardware pages, run as a reader would (a fresh process in an empty
  folder): exit code, seconds, what it printed;
* a short `dlcv.train` run under the strategy and precision `setup_hardware` picks.

Every step has a time limit, so the whole check ends within about eight minutes; a step that
fails or runs out of time is recorded as such, and the script exits 1.

Usage::

    python benchmarks/device_check.py [--out device-check.json] [--quick] [--no-snippets]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

# Dense (no sparsity) bfloat16 Tensor Core peaks, in FLOP/s, from the vendors' datasheets that
# docs/hardware/accelerators.md cites (nvidia2020p, nvidia2022p, nvidia2023p). The SXM parts;
# a PCIe or NVL card has a lower peak, so it is matched by name first and left out when unsure.
DATASHEET_BF16_PEAK = {
    "A100-SXM4": 312e12,
    "H100 80GB HBM3": 989e12,  # H100 SXM5
    "H200": 989e12,  # H200 SXM
}
_LIMITS_S = {"bench": 240, "snippet": 60, "train": 120}


def datasheet_peak(device_name: str) -> tuple[str, float] | None:
    """The datasheet entry whose key the device's name contains, or None when none matches.

    >>> datasheet_peak("NVIDIA H200")
    ('H200', 989000000000000.0)
    >>> datasheet_peak("Intel Xeon") is None
    True
    """
    for key, peak in DATASHEET_BF16_PEAK.items():
        if key in device_name and not ("NVL" in device_name or "PCIe" in device_name):
            return key, peak
    return None


def peak_fraction(bench: dict[str, Any]) -> dict[str, Any] | None:
    """The best bfloat16 matrix-product rate in a bench report against the datasheet peak."""
    gpus = [d for d in bench["hardware"].get("devices", []) if d.get("device_type") == "GPU"]
    rates = [
        m["flops_per_second"]
        for m in bench["measurements"]
        if m["kind"] == "matmul" and m["dtype"] == "bfloat16" and "GPU" in m["device"].upper()
    ]
    if not gpus or not rates:
        return None
    name = str(gpus[0].get("description") or gpus[0].get("name"))
    entry = datasheet_peak(name)
    if entry is None:
        return {"device": name, "best_bf16_matmul_flops": max(rates), "datasheet": None}
    key, peak = entry
    return {
        "device": name,
        "best_bf16_matmul_flops": max(rates),
        "datasheet": key,
        "datasheet_peak_flops": peak,
        "fraction_of_peak": max(rates) / peak,
    }


def _run(args: list[str], *, cwd: Path, limit: float) -> dict[str, Any]:
    start = time.perf_counter()
    try:
        done = subprocess.run(
            args, cwd=cwd, capture_output=True, text=True, timeout=limit, check=False
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        return {"returncode": None, "seconds": limit, "stdout": out, "stderr": "timed out"}
    return {
        "returncode": done.returncode,
        "seconds": round(time.perf_counter() - start, 2),
        "stdout": done.stdout,
        "stderr": done.stderr[-4000:],
    }


def run_bench(quick: bool) -> dict[str, Any]:
    """``python -m dlcv.bench --json``: large products on a GPU, where peaks need them."""
    sizes = ["--size", "256", "--size", "512"] if quick else []
    if not quick and _has_gpu():
        sizes = [arg for n in (1024, 4096, 8192) for arg in ("--size", str(n))]
    step = _run(
        [sys.executable, "-m", "dlcv.bench", "--json", *(["--quick"] if quick else []), *sizes],
        cwd=ROOT,
        limit=_LIMITS_S["bench"],
    )
    if step["returncode"] == 0:
        step["report"] = json.loads(step.pop("stdout"))
    return step


def run_snippets() -> dict[str, Any]:
    """Each hardware snippet alone in an empty folder, as a reader who copied it would run it."""
    results = {}
    for snippet in sorted((ROOT / "snippets" / "hardware").rglob("*.py")):
        with tempfile.TemporaryDirectory() as folder:
            copy = Path(folder) / snippet.name
            shutil.copyfile(snippet, copy)
            name = str(snippet.relative_to(ROOT / "snippets"))
            results[name] = _run(
                [sys.executable, copy.name], cwd=Path(folder), limit=_LIMITS_S["snippet"]
            )
    return results


_TRAIN = """
import json, time
import keras, tensorflow as tf
import dlcv

setup = dlcv.setup_hardware(verbose=False)
images, labels = dlcv.load_digits_images()
data = tf.data.Dataset.from_tensor_slices((images, labels))
with setup.strategy.scope():
    model = keras.Sequential([
        keras.Input(images.shape[1:]),
        keras.layers.Conv2D(32, 3, activation="relu"),
        keras.layers.Flatten(),
        keras.layers.Dense(10, dtype="float32"),
    ])
    optimizer = keras.optimizers.Adam(1e-3)
    if setup.precision == "mixed_float16":
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
start = time.perf_counter()
history = dlcv.train(
    model, data, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    optimizer=optimizer, epochs=EPOCHS, global_batch_size=setup.global_batch_size(64),
    strategy=setup.strategy, verbose=0,
)
print(json.dumps({
    "setup": setup.describe(), "precision": setup.precision, "device_type": setup.device_type,
    "replicas": setup.replicas, "seconds": time.perf_counter() - start,
    "epochs": list(history.epochs),
}))
"""


def run_training(quick: bool) -> dict[str, Any]:
    """A short `dlcv.train` on the digits under the picked strategy and precision."""
    source = _TRAIN.replace("EPOCHS", "1" if quick else "3")
    step = _run([sys.executable, "-c", source], cwd=ROOT, limit=_LIMITS_S["train"])
    if step["returncode"] == 0:
        step["result"] = json.loads(step.pop("stdout").strip().splitlines()[-1])
    return step


def _has_gpu() -> bool:
    return shutil.which("nvidia-smi") is not None or Path("/proc/driver/nvidia").exists()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="device-check.json", help="where to write the JSON")
    parser.add_argument("--quick", action="store_true", help="small sizes, one epoch (tests)")
    parser.add_argument("--no-snippets", action="store_true", help="skip the hardware snippets")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    started = time.perf_counter()
    record: dict[str, Any] = {"python": platform.python_version(), "machine": platform.machine()}
    record["bench"] = run_bench(args.quick)
    report = record["bench"].get("report")
    record["hardware"] = report["hardware"] if report else None
    record["bf16_peak"] = peak_fraction(report) if report else None
    record["snippets"] = {} if args.no_snippets else run_snippets()
    record["training"] = run_training(args.quick)
    record["seconds"] = round(time.perf_counter() - started, 1)
    steps = [record["bench"], record["training"], *record["snippets"].values()]
    failed = [step for step in steps if step["returncode"] != 0]
    record["ok"] = not failed
    Path(args.out).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}: {len(steps) - len(failed)} of {len(steps)} steps passed")
    if record["bf16_peak"]:
        print("bf16 matmul:", json.dumps(record["bf16_peak"]))
    return 0 if record["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
