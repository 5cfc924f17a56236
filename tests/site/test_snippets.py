"""The snippet runner: a snippet runs as a reader would run it, and fails loudly, by name."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from sitetools import _process, markup, snippets

ROOT = Path(__file__).resolve().parents[2]


def _project(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, body in files.items():
        path = tmp_path / "snippets" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(body))
    return tmp_path


def _run(root: Path, **kwargs: object) -> list[snippets.Result]:
    return snippets.run_all(root, fresh=True, log=lambda _: None, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def light_warm_python(monkeypatch: pytest.MonkeyPatch) -> None:
    """Warm Pythons here preload a small module, not TensorFlow: these tests check the fork,
    and the determinism rerun (tests/site/test_pages.py) compares real warm runs with fresh ones."""
    monkeypatch.setattr(snippets, "PRELOAD", ("json",))


@pytest.fixture(autouse=True)
def no_tensorflow(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Skip describing the machine (a TensorFlow import, seconds per run): these tests run
    plain Python. A test that checks the real description asks for `real_provenance`."""
    if "real_provenance" in request.fixturenames:
        return
    fake = {"device": "CPU", "tensorflow": "-", "keras": "-", "python": "-", "commit": "-"}
    monkeypatch.setattr(snippets, "machine_provenance", lambda root, python, **_: fake)


@pytest.fixture
def real_provenance() -> None:
    """The machine described for real, by the snippets' Python importing TensorFlow."""


def _running(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie waiting to be reaped does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.is_file() and stat.read_text().rpartition(")")[2].split()[0] in {"Z", "X"})


# Lines TensorFlow's C++ runtime printed on real hosts before any Python code of a snippet ran.
RUNTIME_LINES = {
    "AMD EPYC (oneDNN without AVX-512)": (
        "E0000 00:00:1733000000.123456   12345 util.cc:131] oneDNN supports DT_HALF only on "
        "platforms with AVX-512. Falling back to the default Eigen-based implementation if present."
    ),
    "CPU-only machine with TensorFlow's CUDA build": (
        "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
        "I0000 00:00:1732000000.000000    1234 cuda_driver.cc:49] could not find cuda drivers on "
        "your machine, GPU will not be used.\n"
        "E0000 00:00:1732000000.000000    1234 cuda_executor.cc:1228] INTERNAL: CUDA error: Failed "
        "call to cuInit: UNKNOWN ERROR (303)\n"
        "W0000 00:00:1732000000.000000    1234 gpu_device.cc:2344] Cannot dlopen some GPU "
        "libraries. Please make sure the missing libraries mentioned above are installed properly "
        "if you would like to use GPU. Follow the guide at https://www.tensorflow.org/install/gpu "
        "for how to download and setup the required libraries for your platform.\n"
        "Skipping registering GPU devices..."
    ),
    "x86 CPU feature guard": (
        "I0000 00:00:1795734589.050374    4900 port.cc:153] oneDNN custom operations are on. You "
        "may see slightly different numerical results due to floating-point round-off errors "
        "from different computation orders. To turn them off, set the environment variable "
        "`TF_ENABLE_ONEDNN_OPTS=0`.\n"
        "I0000 00:00:1795734589.120000    4900 cpu_feature_guard.cc:210] This TensorFlow binary "
        "is optimized to use available CPU instructions in performance-critical operations.\n"
        "To enable the following instructions: AVX2 AVX512F FMA, in other operations, rebuild "
        "TensorFlow with the appropriate compiler flags."
    ),
    "GPU machine: factories registered twice": (
        "E0000 00:00:1732000000.000000    1234 cuda_dnn.cc:8579] Unable to register cuDNN factory: "
        "Attempting to register factory for plugin cuDNN when one has already been registered\n"
        "E0000 00:00:1732000000.000000    1234 cuda_fft.cc:485] Unable to register cuFFT factory: "
        "Attempting to register factory for plugin cuFFT when one has already been registered\n"
        "E0000 00:00:1732000000.000000    1234 cuda_blas.cc:1418] Unable to register cuBLAS "
        "factory: Attempting to register factory for plugin cuBLAS when one has already been "
        "registered"
    ),
    "GPU machine: XLA service and devices": (
        "I0000 00:00:1732000001.000000    1234 service.cc:148] XLA service 0x55d0c0a1b2c0 "
        "initialized for platform CUDA (this does not guarantee that XLA will be used). Devices:\n"
        "I0000 00:00:1732000001.000000    1234 service.cc:156]   StreamExecutor device (0): "
        "NVIDIA H100 80GB HBM3, Compute Capability 9.0\n"
        "I0000 00:00:1732000001.000000    1234 cuda_executor.cc:1015] successful NUMA node read "
        "from SysFS had negative value (-1), but there must be at least one NUMA node, so "
        "returning NUMA node zero. See more at https://github.com/torvalds/linux/blob/v6.0/"
        "Documentation/ABI/testing/sysfs-bus-pci#L344-L355\n"
        "I0000 00:00:1732000001.000000    1234 gpu_device.cc:2022] Created device "
        "/job:localhost/replica:0/task:0/device:GPU:0 with 79078 MB memory:  -> device: 0, name: "
        "NVIDIA H100 80GB HBM3, pci bus id: 0000:00:05.0, compute capability: 9.0"
    ),
    "glog-style prefix (real date and time)": (
        "W1203 14:05:09.123456 140234567 some_op.cc:77] a warning from a C++ library"
    ),
}


@pytest.mark.parametrize("host", sorted(RUNTIME_LINES))
def test_runtime_log_lines_of_real_hosts_are_not_output(host: str) -> None:
    runtime, other = snippets.split_stderr(RUNTIME_LINES[host] + "\n")
    assert other == []
    assert runtime == RUNTIME_LINES[host].splitlines()


@pytest.mark.parametrize(
    "line",
    [
        "/tmp/x.py:3: UserWarning: careful\n  warnings.warn('careful')",
        "something the snippet printed to stderr itself",
        "F0000 00:00:1732000000.000000    1234 stream_executor.cc:77] Check failed: device",
        # Python's absl logging uses the same prefix; a Python warning is the snippet's business.
        "W1203 14:05:09.123456 140234567 some_module.py:12] a Python absl warning",
        # A continuation line counts only right after a log line.
        "Skipping registering GPU devices...",
    ],
)
def test_warnings_stderr_prints_and_fatal_lines_still_fail(line: str) -> None:
    runtime, other = snippets.split_stderr(RUNTIME_LINES["AMD EPYC (oneDNN without AVX-512)"])
    assert runtime and not other
    assert snippets.split_stderr(line)[1] == line.splitlines()
    assert snippets.filter_stderr(RUNTIME_LINES["GPU machine: XLA service and devices"]) == ""


def test_runtime_log_is_kept_in_the_record_but_not_in_the_output(tmp_path: Path) -> None:
    line = RUNTIME_LINES["AMD EPYC (oneDNN without AVX-512)"]
    root = _project(
        tmp_path, {"s/p/tf.py": f"import sys\nprint({line!r}, file=sys.stderr)\nprint('result')\n"}
    )
    logged: list[str] = []
    (result,) = snippets.run_all(root, fresh=True, show_runtime_log=True, log=logged.append)
    assert result.ok, result.error
    assert result.stdout == "result\n"
    assert result.runtime_log == line
    assert any(line in entry for entry in logged)
    (cached,) = snippets.run_all(root, log=lambda _: None)
    assert cached.cached and cached.runtime_log == line and cached.stdout == "result\n"


def test_no_page_output_holds_a_runtime_log_line() -> None:
    """What pages show (each snippet's stdout in the cache the build uses) is the snippet's own."""
    results = snippets.run_all(ROOT, log=lambda _: None)
    leaked = [
        f"snippets/{r.name}: {line}"
        for r in results
        for line in r.stdout.splitlines()
        if snippets.RUNTIME_LINE.match(line) or snippets.split_stderr(line)[0]
    ]
    assert not leaked, "\n".join(leaked)


def test_budget_defaults_to_20_s_and_a_longer_one_must_say_why() -> None:
    assert snippets.budget_of("print(1)") == 20.0
    assert snippets.budget_of("# budget: 45 s — trains three models\n") == 45.0
    with pytest.raises(snippets.SnippetError, match="must say why"):
        snippets.budget_of("# budget: 45 s\n")


def test_discover_selects_by_path_page_or_section(tmp_path: Path) -> None:
    root = _project(tmp_path, {"a/p/one.py": "", "a/q/two.py": "", "b/r/three.py": ""})
    names = lambda sel: [p.name for p in snippets.discover(root, sel)]  # noqa: E731
    assert names([]) == ["one.py", "two.py", "three.py"]
    assert names(["a"]) == ["one.py", "two.py"]
    assert names(["docs/a/q.md"]) == ["two.py"]
    assert names(["a/p/one.py"]) == ["one.py"]
    with pytest.raises(snippets.SnippetError, match="No snippet matches"):
        snippets.discover(root, ["c"])


@pytest.mark.parametrize("warm", [False, True], ids=["fresh", "warm"])
def test_snippet_runs_alone_in_an_empty_folder_and_output_is_cached(
    warm: bool, tmp_path: Path, real_provenance: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(
        tmp_path,
        {
            "s/p/ok.py": """\
                import os
                print(sorted(os.listdir(".")), os.environ["PYTHONHASHSEED"])
            """
        },
    )
    (result,) = _run(root, warm=warm)
    assert result.ok and not result.cached
    assert result.stdout == "['ok.py'] 0\n"
    assert result.provenance["tensorflow"] not in {"", "-"}
    device = result.provenance["device"]
    assert "one thread per snippet" in device or not device.startswith("CPU"), device
    # Described once for real; the reruns below check the cache, not the description again.
    monkeypatch.setattr(snippets, "machine_provenance", lambda root, python, **_: result.provenance)
    (again,) = snippets.run_all(root, warm=warm, log=lambda _: None)
    assert again.cached and again.stdout == result.stdout
    # Editing the snippet changes its key: it runs again.
    (root / "snippets/s/p/ok.py").write_text("print('edited')\n")
    (edited,) = snippets.run_all(root, warm=warm, log=lambda _: None)
    assert not edited.cached and edited.stdout == "edited\n"


@pytest.mark.parametrize("warm", [False, True], ids=["fresh", "warm"])
def test_raising_snippet_fails_and_is_named(warm: bool, tmp_path: Path) -> None:
    root = _project(
        tmp_path, {"s/p/boom.py": "raise RuntimeError('kaboom')\n", "s/p/fine.py": "print(1)\n"}
    )
    boom, fine = _run(root, warm=warm)
    assert fine.ok
    assert not boom.ok
    assert "s/p/boom.py: exited with status 1" in boom.error
    assert "RuntimeError: kaboom" in boom.error
    assert "1 failed" in snippets.summarize([boom, fine])
    assert snippets.main(["run", "--fresh", "--root", str(root)]) == 1


@pytest.mark.parametrize("warm", [False, True], ids=["fresh", "warm"])
def test_stderr_output_fails_the_snippet(warm: bool, tmp_path: Path) -> None:
    root = _project(tmp_path, {"s/p/noisy.py": "import warnings\nwarnings.warn('hmm')\n"})
    (result,) = _run(root, warm=warm)
    assert not result.ok and "wrote to stderr" in result.error and "hmm" in result.error


def test_figure_without_alt_text_fails(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        {
            "s/p/fig.py": """\
                import matplotlib.pyplot as plt
                fig, ax = plt.subplots()
                fig.savefig("plain.png")
            """
        },
    )
    (result,) = _run(root)
    assert not result.ok and "plain.png has no alt text" in result.error


def test_figure_with_alt_text_and_caption_is_kept(tmp_path: Path) -> None:
    save = """\
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots()
        fig.savefig("{name}.png", metadata={metadata})
    """
    root = _project(
        tmp_path,
        {
            "s/p/good.py": save.format(
                name="good", metadata={"Description": "An empty plot", "Title": "Nothing yet"}
            ),
            "s/p/uncaptioned.py": save.format(name="bad", metadata={"Description": "x"}),
        },
    )
    good, uncaptioned = sorted(_run(root), key=lambda result: result.name)
    assert not uncaptioned.ok and "bad.png has no caption (" in uncaptioned.error
    assert good.ok, good.error
    (figure,) = good.figures
    assert figure.alt == "An empty plot" and figure.path.is_file()
    assert figure.caption == "Nothing yet"


def test_strict_budget_fails_a_slow_snippet_and_a_stuck_one_is_killed(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        {
            "s/p/slow.py": "# budget: 1 s — testing the budget\nimport time\ntime.sleep(1.5)\n",
            "s/p/stuck.py": "# budget: 1 s — testing the kill\nimport time\ntime.sleep(30)\n",
        },
    )
    slow, stuck = _run(root, jobs=1, check_budget=True)
    assert "over its 1 s budget" in slow.error
    assert "killed after 6 s" in stuck.error


def test_cpu_time_counts_the_processes_a_snippet_starts(tmp_path: Path) -> None:
    loop = "import time\nend = time.process_time() + 1.0\nwhile time.process_time() < end: pass"
    burn = f"import subprocess, sys\nsubprocess.run([sys.executable, '-c', {loop!r}], check=True)"
    done = _process.run(
        [sys.executable, "-c", burn],
        cwd=tmp_path,
        env=dict(os.environ),
        timeout=120,
        max_output=1 << 20,
    )
    assert done.returncode == 0
    assert done.cpu_seconds >= 0.95


def test_sharing_the_cores_a_sleeping_snippet_is_charged_its_shared_wall_time(
    tmp_path: Path,
) -> None:
    root = _project(
        tmp_path,
        {
            "s/p/a.py": "# budget: 2 s — testing the budget\nimport time\ntime.sleep(3)\n",
            "s/p/b.py": "# budget: 2 s — testing the budget\nimport time\ntime.sleep(3)\n",
        },
    )
    # Asleep they use no CPU: 3 s of wall time (over the budget), shared by two, counts as 1.5 s.
    for result in _run(root, jobs=2):
        assert result.ok, result.error
        assert result.cpu_seconds < 0.5


def test_charged_seconds_is_wall_time_alone_and_cpu_or_shared_wall_time_otherwise() -> None:
    assert snippets.charged_seconds(9.0, 4.0, 1) == 9.0
    assert snippets.charged_seconds(9.0, 4.0, 2) == 4.5
    assert snippets.charged_seconds(9.0, 6.0, 2) == 6.0


@pytest.mark.parametrize("warm", [False, True], ids=["fresh", "warm"])
def test_a_killed_snippet_takes_the_processes_it_started_with_it(
    warm: bool, tmp_path: Path
) -> None:
    marker = tmp_path / "still-running"
    child = f"import time, pathlib\ntime.sleep(4)\npathlib.Path({str(marker)!r}).touch()"
    root = _project(
        tmp_path,
        {
            "s/p/spawns.py": (
                "# budget: 0.5 s — testing the kill\n"
                "import subprocess, sys, time\n"
                f"subprocess.Popen([sys.executable, '-c', {child!r}])\n"
                "time.sleep(30)\n"
            )
        },
    )
    (spawned,) = _run(root, warm=warm)
    assert "killed after 3 s" in spawned.error
    time.sleep(4.5)
    assert not marker.exists()


def test_a_slow_snippet_is_reported_not_failed_but_a_stuck_one_is_killed(
    tmp_path: Path,
) -> None:
    """Speed depends on the machine, so by default a run over its budget passes and is listed
    in the summary; a run at KILL_FACTOR times its budget is a hang, and fails."""
    root = _project(
        tmp_path,
        {
            "s/p/slow.py": "# budget: 1 s — testing the budget\nimport time\ntime.sleep(1.5)\n",
            "s/p/stuck.py": "# budget: 1 s — testing the kill\nimport time\ntime.sleep(30)\n",
        },
    )
    slow, stuck = snippets.run_all(root, fresh=True, jobs=1, log=lambda _: None)
    assert slow.ok, slow.error
    assert "over its 1 s budget" in slow.over_budget
    assert "killed after 6 s" in stuck.error
    summary = snippets.summarize([slow, stuck])
    assert "1 passed, 1 failed" in summary
    assert "over budget on this machine (1;" in summary and "s/p/slow.py: took" in summary


@pytest.mark.parametrize("warm", [False, True], ids=["fresh", "warm"])
def test_a_child_left_running_fails_the_snippet_and_is_killed_at_once(
    warm: bool, tmp_path: Path
) -> None:
    pid_file = tmp_path / "child.pid"
    root = _project(
        tmp_path,
        {
            "s/p/leaves.py": (
                "import pathlib, subprocess, sys\n"
                # The child inherits stdout and holds it open after the snippet exits.
                "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
                f"pathlib.Path({str(pid_file)!r}).write_text(str(child.pid))\n"
                "print('main done')\n"
            )
        },
    )
    start = time.monotonic()
    (result,) = _run(root, warm=warm)
    assert time.monotonic() - start < 15
    assert not result.ok and "left a child process running" in result.error
    assert not _running(int(pid_file.read_text()))


@pytest.mark.parametrize("warm", [False, True], ids=["fresh", "warm"])
def test_output_held_open_by_an_escaped_process_fails_as_unread(
    warm: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_process, "_READ_GRACE_S", 0.5)
    pid_file = tmp_path / "escaped.pid"
    child = "import time; time.sleep(5)"
    root = _project(
        tmp_path,
        {
            "s/p/escapes.py": (
                "import pathlib, subprocess, sys\n"
                # A new session leaves the snippet's process group: the runner cannot kill it.
                f"child = subprocess.Popen([sys.executable, '-c', {child!r}], "
                "start_new_session=True)\n"
                f"pathlib.Path({str(pid_file)!r}).write_text(str(child.pid))\n"
                "print('main done')\n"
            )
        },
    )
    (result,) = _run(root, warm=warm)
    os.kill(int(pid_file.read_text()), signal.SIGKILL)
    assert not result.ok and "could not be read in full" in result.error


@pytest.mark.parametrize("budget", ["99999999999", "0", "601"])
def test_a_budget_out_of_bounds_is_an_error_naming_the_snippet_and_line(
    tmp_path: Path, budget: str
) -> None:
    source = f'"""Loops."""\n# budget: {budget} s — never stops\nwhile True: pass\n'
    with pytest.raises(snippets.SnippetError, match="at most 600 s"):
        snippets.budget_of(source)
    root = _project(tmp_path, {"s/p/loop.py": source})
    (result,) = _run(root)
    assert not result.ok and result.error.startswith("s/p/loop.py: line 2: `# budget`")


def test_output_that_is_not_utf8_fails_and_is_not_cached(tmp_path: Path) -> None:
    root = _project(
        tmp_path, {"s/p/bytes.py": "import sys\nsys.stdout.buffer.write(b'\\xff\\xfe')\n"}
    )
    (result,) = _run(root)
    assert not result.ok and "s/p/bytes.py: printed output that is not UTF-8" in result.error
    assert not (root / ".cache" / "snippets").exists()


def test_output_over_the_cap_fails_and_nothing_is_cached(tmp_path: Path) -> None:
    root = _project(tmp_path, {"s/p/dump.py": "print('x' * (3 << 20))\n"})
    (result,) = _run(root)
    assert not result.ok and "s/p/dump.py: printed more than 1024 KiB" in result.error
    assert not (root / ".cache" / "snippets").exists()


def test_snippets_see_no_secret_of_the_runner_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_not_for_pages")
    monkeypatch.setenv("DLCV_TEST_SECRET", "hunter2")
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")  # some hosts need it to run at all
    names = ["GITHUB_TOKEN", "DLCV_TEST_SECRET", "OPENBLAS_CORETYPE", "PATH"]
    root = _project(
        tmp_path, {"s/p/env.py": f"import os\nprint([n in os.environ for n in {names!r}])\n"}
    )
    (result,) = _run(root)
    assert result.ok, result.error
    assert result.stdout == "[False, False, True, True]\n"


def test_snippets_run_with_one_compute_thread_whatever_the_host_sets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One thread per snippet (`snippets.THREAD_SETTINGS`): snippets run one per core, and their
    numbers must not depend on the publishing machine's core count."""
    for name in snippets.THREAD_SETTINGS:
        monkeypatch.setenv(name, "4")
    names = sorted(snippets.THREAD_SETTINGS)
    root = _project(
        tmp_path, {"s/p/env.py": f"import os\nprint([os.environ[n] for n in {names!r}])\n"}
    )
    (result,) = _run(root)
    assert result.ok, result.error
    assert result.stdout == f"{['1'] * len(names)}\n"


def test_stale_cache_entries_are_pruned_and_a_partial_run_keeps_other_snippets(
    tmp_path: Path,
) -> None:
    root = _project(tmp_path, {"s/p/a.py": "print('a')\n", "s/q/b.py": "print('b')\n"})
    cache = root / ".cache" / "snippets"

    def entries() -> set[str]:
        return {p.name for p in cache.iterdir() if p.name != snippets.DEPS_DIR}

    snippets.run_all(root, log=lambda _: None)
    first = entries()
    assert len(first) == 2
    left_behind = cache / "entry-killed-run"  # what a killed run leaves half-written
    left_behind.mkdir()
    # A partial run replaces a's entry and leaves b's alone.
    (root / "snippets/s/p/a.py").write_text("print('a2')\n")
    snippets.run_all(root, selectors=["s/p"], log=lambda _: None)
    second = entries()
    assert len(second & first) == 1 and left_behind.name in second and len(second) == 3
    # A run over every snippet removes what no snippet uses: deleted b, the half-written entry.
    (root / "snippets/s/q/b.py").unlink()
    (a_result,) = snippets.run_all(root, log=lambda _: None)
    assert a_result.cached
    assert entries() == (second - first) - {left_behind.name}
    # Only the current snippet's record of what it loaded is kept.
    assert [p.name for p in (cache / snippets.DEPS_DIR).iterdir()] == [
        f"{snippets.CacheKeys(root, cache).index_key(root / 'snippets/s/p/a.py')}.json"
    ]


def test_prune_command_removes_entries_no_snippet_uses(tmp_path: Path) -> None:
    root = _project(tmp_path, {"s/p/a.py": "print('a')\n"})
    snippets.run_all(root, log=lambda _: None)
    stale = root / ".cache" / "snippets" / ("0" * 24)
    stale.mkdir()
    assert snippets.main(["prune", "--root", str(root)]) == 0
    kept = [p for p in stale.parent.iterdir() if p.name != snippets.DEPS_DIR]
    assert not stale.exists() and len(kept) == 1


# A shell starts background commands with SIGINT ignored, and Python keeps it so: restore
# Ctrl-C's KeyboardInterrupt, as a terminal would have it, whoever started the tests.
# With a signal number as its third argument, a thread of the runner other than the main one
# takes that signal once the snippet has started, as the kernel may arrange for a signal sent
# to the runner: Python then runs the handler in the main thread only when that thread next
# runs bytecode, which an untimed wait for the snippet would put off until the snippet ended.
_INTERRUPTED_RUNNER = """\
import pathlib, signal, sys, threading, time
signal.signal(signal.SIGINT, signal.default_int_handler)
from sitetools import snippets
snippets.machine_provenance = lambda root, python, **_: {"device": "CPU"}

def take_the_signal(marker, signum):
    while not (marker.is_file() and marker.read_text()):
        time.sleep(0.05)
    signal.pthread_kill(threading.get_ident(), signum)

if len(sys.argv) > 3:
    args = (pathlib.Path(sys.argv[2]), int(sys.argv[3]))
    threading.Thread(target=take_the_signal, args=args, daemon=True).start()
sys.exit(snippets.main(["run", "--fresh", "--root", sys.argv[1]]))
"""


@pytest.mark.parametrize("taken_by", ["runner", "another thread"])
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_runner_stops_its_snippets_at_once_and_cleans_up(
    tmp_path: Path, signum: int, taken_by: str
) -> None:
    marker = tmp_path / "started"
    root = _project(
        tmp_path / "project",
        {
            "s/p/sleeps.py": (
                "import os, pathlib, time\n"
                f"pathlib.Path({str(marker)!r}).write_text(f'{{os.getpid()}} {{os.getcwd()}}')\n"
                "time.sleep(60)\n"
            )
        },
    )
    elsewhere = [str(marker), str(int(signum))] if taken_by == "another thread" else []
    runner = subprocess.Popen(
        [sys.executable, "-c", _INTERRUPTED_RUNNER, str(root), *elsewhere],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while not marker.is_file() or not marker.read_text():
            assert time.monotonic() < deadline, "the snippet never started"
            time.sleep(0.1)
        pid, workdir = marker.read_text().split(" ", 1)
        if not elsewhere:
            runner.send_signal(signum)
        start = time.monotonic()
        runner.wait(timeout=15)
        assert time.monotonic() - start < 10
        assert runner.returncode != 0
        assert not _running(int(pid))
        assert not Path(workdir).exists()
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait()


# --- Cache keys by real dependency, shards, merging, diffs (issue #16) ---

_PACKAGE = {
    "__init__.py": "",
    "detection.py": "BOXES = 3\n",
    "fundamentals.py": "LAYERS = 2\n",
}


def _with_package(root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A tiny ``dlcv`` package in ``root``, importable by the snippets run there."""
    for name, body in _PACKAGE.items():
        path = root / "dlcv" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)
    monkeypatch.setenv("PYTHONPATH", str(root))
    return root


@pytest.mark.parametrize("warm", [False, True], ids=["fresh", "warm"])
def test_a_changed_module_reruns_its_users_and_an_unrelated_snippet_stays_cached(
    warm: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _with_package(
        _project(
            tmp_path,
            {
                "vision/detect/boxes.py": "from dlcv import detection\nprint(detection.BOXES)\n",
                "fundamentals/deep/layers.py": ("import dlcv.fundamentals as f\nprint(f.LAYERS)\n"),
                "fundamentals/plain/plain.py": "print('no dlcv')\n",
            },
        ),
        monkeypatch,
    )
    first = {r.name: r for r in snippets.run_all(root, warm=warm, log=lambda _: None)}
    assert all(r.ok and not r.cached for r in first.values()), first
    record = json.loads(
        next((root / ".cache/snippets").glob("*/result.json")).read_text(encoding="utf-8")
    )
    assert "modules" in record
    (root / "dlcv" / "detection.py").write_text("BOXES = 4\n")
    # Same size, maybe the same second: Python's bytecode cache would still look valid.
    shutil.rmtree(root / "dlcv" / "__pycache__", ignore_errors=True)
    second = {r.name: r for r in snippets.run_all(root, warm=warm, log=lambda _: None)}
    assert not second["vision/detect/boxes.py"].cached
    assert second["vision/detect/boxes.py"].stdout == "4\n"
    assert second["fundamentals/deep/layers.py"].cached
    assert second["fundamentals/plain/plain.py"].cached
    # Its key names exactly the files it loaded: the package and the module it imported.
    keys = snippets.CacheKeys(root, root / ".cache" / "snippets")
    assert keys.modules(root / "snippets/fundamentals/deep/layers.py") == [
        "dlcv/__init__.py",
        "dlcv/fundamentals.py",
    ]
    assert keys.modules(root / "snippets/fundamentals/plain/plain.py") == []


def test_a_stub_beside_a_loaded_module_is_part_of_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # dlcv/__init__.pyi lists the names `dlcv` serves: a name dropped there breaks the
    # snippets that use it, though no .py file changed.
    root = _with_package(
        _project(tmp_path, {"s/p/top.py": "import dlcv\nprint('ok')\n"}), monkeypatch
    )
    (root / "dlcv" / "__init__.pyi").write_text("from .detection import BOXES as BOXES\n")
    (result,) = _run(root)
    assert result.ok, result.error
    keys = snippets.CacheKeys(root, root / ".cache" / "snippets")
    assert keys.modules(root / "snippets/s/p/top.py") == [
        "dlcv/__init__.py",
        "dlcv/__init__.pyi",
    ]
    assert "dlcv/__init__.pyi" in snippets.all_modules(root)


@pytest.mark.parametrize("warm", [False, True], ids=["fresh", "warm"])
def test_recording_the_modules_leaves_file_argv_path_and_tracebacks_as_a_reader_has_them(
    warm: bool, tmp_path: Path
) -> None:
    root = _project(
        tmp_path,
        {
            "s/p/who.py": """\
                import os, sys
                print(__name__, os.path.basename(__file__), os.path.isabs(__file__), sys.argv)
                print(sys.path[0] == os.getcwd(), "_recorder" in "".join(sys.path))
            """,
            "s/p/boom.py": "raise ValueError('broken')\n",
        },
    )
    who, boom = sorted(_run(root, warm=warm), key=lambda r: r.name, reverse=True)
    assert who.ok, who.error
    assert who.stdout == "__main__ who.py True ['who.py']\nTrue False\n"
    assert not boom.ok
    assert 'File "' in boom.error and "boom.py" in boom.error and "runpy" not in boom.error


@pytest.mark.parametrize("warm", [False, True], ids=["fresh", "warm"])
def test_a_run_that_cannot_say_what_it_loaded_depends_on_all_of_dlcv(
    warm: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _with_package(
        _project(tmp_path, {"s/p/quick.py": "import os\nos._exit(0)\n"}), monkeypatch
    )
    (result,) = _run(root, warm=warm)
    assert result.ok, result.error
    keys = snippets.CacheKeys(root, root / ".cache" / "snippets")
    assert keys.modules(root / "snippets/s/p/quick.py") == sorted(
        f"dlcv/{name}" for name in _PACKAGE
    )


def test_shards_partition_the_snippets_stably(tmp_path: Path) -> None:
    names = [f"s/p{i}/snippet_{i}.py" for i in range(40)]
    for count in (1, 2, 3, 5):
        shards = [
            [n for n in names if snippets.shard_of(n, count) == i] for i in range(1, count + 1)
        ]
        assert sorted(n for shard in shards for n in shard) == sorted(names)
        assert all(shards), f"a shard of {count} is empty"
    # A hash of the name alone: the same shard on every machine, Python and run.
    assert [snippets.shard_of(f"a/b/s{i}.py", 3) for i in range(6)] == [3, 2, 2, 3, 3, 2]
    assert snippets.parse_shard("2/3") == (2, 3)
    for bad in ("0/3", "4/3", "x"):
        with pytest.raises(snippets.SnippetError, match="`--shard` must be I/N"):
            snippets.parse_shard(bad)


def test_merged_shards_give_every_result_of_one_run(tmp_path: Path) -> None:
    files = {f"s/p{i}/n{i}.py": f"print({i} * 7)\n" for i in range(6)}
    root = _project(tmp_path / "repo", files)
    caches = []
    ran: list[str] = []
    for i in (1, 2, 3):
        cache = tmp_path / f"shard{i}"
        results = snippets.run_all(
            root, fresh=True, shard=(i, 3), cache_root=cache, log=lambda _: None
        )
        ran += [r.name for r in results]
        caches.append(cache)
    assert sorted(ran) == sorted(files)
    merged = tmp_path / "merged"
    assert snippets.main(["merge", str(merged), *map(str, caches)]) == 0
    from_merged = snippets.run_all(root, cache_root=merged, log=lambda _: None)
    assert all(r.cached for r in from_merged)
    one_run = snippets.run_all(root, fresh=True, cache_root=tmp_path / "one", log=lambda _: None)
    assert [(r.name, r.stdout) for r in from_merged] == [(r.name, r.stdout) for r in one_run]


def test_diff_of_two_caches_names_changed_lines_and_figures(tmp_path: Path) -> None:
    figure = """\
        from PIL import Image, PngImagePlugin
        info = PngImagePlugin.PngInfo()
        info.add_text("Description", "a square")
        info.add_text("Title", "A square")
        Image.new("L", (4, 4), {shade}).save("{name}.png", pnginfo=info)
    """
    root = _project(
        tmp_path / "repo",
        {
            "s/p/numbers.py": "print('loss 0.25')\nprint('steady')\n",
            "s/p/same.py": "print('same')\n",
            "s/p/fig.py": figure.format(shade=0, name="square"),
            "s/p/gone.py": "print('bye')\n",
        },
    )
    old = tmp_path / "old"
    snippets.run_all(root, cache_root=old, log=lambda _: None)
    new = tmp_path / "new"
    shutil.copytree(old, new)
    (root / "snippets/s/p/numbers.py").write_text("print('loss 0.5')\nprint('steady')\n")
    (root / "snippets/s/p/fig.py").write_text(
        textwrap.dedent(figure.format(shade=255, name="square"))
        + textwrap.dedent(figure.format(shade=9, name="extra")).replace("\n", "\n")
    )
    (root / "snippets/s/p/gone.py").unlink()
    (root / "snippets/s/p/new.py").write_text("print('hello')\n")
    snippets.run_all(root, cache_root=new, log=lambda _: None)
    report = snippets.diff(old, new)
    assert "`s/p/numbers.py`" in report
    assert "-loss 0.25" in report and "+loss 0.5" in report and "-steady" not in report
    assert "`s/p/same.py`" not in report
    assert "changed `square.png`" in report and "added `extra.png`" in report
    assert "`s/p/gone.py`" in report and "Removed" in report
    assert "`s/p/new.py`" in report and "New: no earlier result" in report
    assert snippets.changed_since(root, old, cache_root=new) == [
        "s/p/fig.py",
        "s/p/new.py",
        "s/p/numbers.py",
    ]
    unchanged = snippets.diff(new, new)
    assert "No snippet ran" in unchanged


def test_plan_splits_a_pass_over_the_target_time_only(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        {
            **{f"s/p/short{i}.py": "print(1)\n" for i in range(3)},
            "s/p/long.py": "# budget: 300 s — trains a model\nprint(2)\n",
        },
    )
    # Budgets only (nothing cached): 3 x 20 s + 300 s = 360 s, over 2 cores 180 s.
    assert snippets.plan(root, target_s=600, max_shards=4) == [1]
    assert snippets.plan(root, target_s=60, max_shards=4) == [1, 2, 3]
    assert snippets.plan(root, target_s=10, max_shards=4) == [1, 2, 3, 4]
    with pytest.raises(snippets.SnippetError, match="`target_s` must be positive"):
        snippets.plan(root, target_s=0, max_shards=4)


def test_a_warm_run_says_what_its_cpu_time_leaves_out(tmp_path: Path) -> None:
    root = _project(tmp_path, {"s/p/ok.py": "print('hi')\n"})
    (result,) = _run(root, warm=True)
    assert result.ok, result.error
    assert result.provenance["preloaded"] == "json"
    block = markup.snippet_block(
        name=result.name,
        code="print('hi')",
        stdout=result.stdout,
        figures=[],
        provenance=result.provenance,
        cpu_seconds=result.cpu_seconds,
    )
    assert " s CPU time after importing json · commit" in block
    (fresh,) = _run(root, warm=False)
    assert "preloaded" not in fresh.provenance


def test_a_warm_child_leaves_the_preloaded_objects_out_of_its_collections(
    tmp_path: Path,
) -> None:
    """The warm Python freezes what its imports made (sitetools/_zygote/zygote.py): a child's
    garbage collections, the full ones at exit included, then skip those objects. (A fresh
    Python may freeze a few objects of its own: Python 3.12 does.)"""
    root = _project(tmp_path, {"s/p/gc.py": "import gc\nprint(gc.get_freeze_count())\n"})
    (warm,) = _run(root, warm=True)
    (fresh,) = _run(root, warm=False)
    assert warm.ok and fresh.ok, warm.error + fresh.error
    assert int(warm.stdout) > int(fresh.stdout) + 1000, (warm.stdout, fresh.stdout)


def test_a_warm_python_that_dies_leaves_its_snippets_to_fresh_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    modules = tmp_path / "modules"
    modules.mkdir()
    (modules / "dies_on_import.py").write_text("import os\nos._exit(3)\n")
    monkeypatch.setenv("PYTHONPATH", str(modules))
    monkeypatch.setattr(snippets, "PRELOAD", ("dies_on_import",))
    root = _project(tmp_path / "project", {"s/p/a.py": "print('a')\n", "s/p/b.py": "print('b')\n"})
    logged: list[str] = []
    results = snippets.run_all(root, fresh=True, warm=True, jobs=1, log=logged.append)
    assert [r.stdout for r in results] == ["a\n", "b\n"]
    assert all(r.ok and "preloaded" not in r.provenance for r in results)
    stopped = [line for line in logged if "the warm Python stopped (exit status 3)" in line]
    assert len(stopped) == 1, logged  # once: the rest start fresh without trying again


def test_the_kill_limit_grows_with_the_snippets_sharing_the_cores(tmp_path: Path) -> None:
    """Two at once, each one's wall time stretches with the other's: the hang limit too."""
    stuck = "# budget: 0.5 s — testing the kill\nimport time\ntime.sleep(30)\n"
    root = _project(tmp_path, {"s/p/a.py": stuck, "s/p/b.py": stuck})
    for result in _run(root, jobs=2):
        assert "killed after 6 s" in result.error, result.error


@pytest.mark.parametrize("longest_first", [True, False], ids=["longest-first", "shortest-first"])
def test_snippets_start_by_budget_and_results_come_back_in_path_order(
    tmp_path: Path, longest_first: bool
) -> None:
    root = _project(
        tmp_path,
        {
            "s/a.py": "print('a')\n",
            "s/b.py": "# budget: 40 s — a long one\nprint('b')\n",
            "s/c.py": "# budget: 30 s — a longer one than most\nprint('c')\n",
        },
    )
    lines: list[str] = []
    results = snippets.run_all(
        root, fresh=True, jobs=1, longest_first=longest_first, log=lines.append
    )
    started = [line.split()[1] for line in lines if line.lstrip().startswith("running ")]
    by_budget = ["s/b.py", "s/c.py", "s/a.py"]
    assert started == (by_budget if longest_first else by_budget[::-1])
    assert [r.name for r in results] == ["s/a.py", "s/b.py", "s/c.py"]
    assert all(r.ok for r in results)
