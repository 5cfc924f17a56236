"""The snippet runner: a snippet runs as a reader would run it, and fails loudly, by name."""

from __future__ import annotations

import os
import sys
import textwrap
import time
from pathlib import Path

import pytest

from sitetools import snippets

ROOT = Path(__file__).resolve().parents[1]


def _project(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, body in files.items():
        path = tmp_path / "snippets" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(body))
    return tmp_path


def _run(root: Path, **kwargs: object) -> list[snippets.Result]:
    return snippets.run_all(root, fresh=True, log=lambda _: None, **kwargs)  # type: ignore[arg-type]


def test_filter_stderr_drops_only_tensorflow_startup_lines() -> None:
    noise = (
        "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
        "I0000 00:00:1795734589.050374    4900 port.cc:153] oneDNN custom operations are on.\n"
        "E0000 00:00:1795734592.261984    4900 cuda_platform.cc:52] failed call to cuInit: (303)\n"
        "To enable the following instructions: AVX2 FMA, in other operations, rebuild\n"
    )
    assert snippets.filter_stderr(noise) == ""
    real = "E0000 00:00:1.0  1 some_kernel.cc:1] real error\nUserWarning: careful"
    assert snippets.filter_stderr(noise + real) == real


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


def test_snippet_runs_alone_in_an_empty_folder_and_output_is_cached(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        {
            "s/p/ok.py": """\
                import os
                print(sorted(os.listdir(".")), os.environ["PYTHONHASHSEED"])
            """
        },
    )
    (result,) = _run(root)
    assert result.ok and not result.cached
    assert result.stdout == "['ok.py'] 0\n"
    assert result.provenance["tensorflow"]
    (again,) = snippets.run_all(root, log=lambda _: None)
    assert again.cached and again.stdout == result.stdout
    # Editing the snippet changes its key: it runs again.
    (root / "snippets/s/p/ok.py").write_text("print('edited')\n")
    (edited,) = snippets.run_all(root, log=lambda _: None)
    assert not edited.cached and edited.stdout == "edited\n"


def test_raising_snippet_fails_and_is_named(tmp_path: Path) -> None:
    root = _project(
        tmp_path, {"s/p/boom.py": "raise RuntimeError('kaboom')\n", "s/p/fine.py": "print(1)\n"}
    )
    boom, fine = _run(root)
    assert fine.ok
    assert not boom.ok
    assert "s/p/boom.py: exited with status 1" in boom.error
    assert "RuntimeError: kaboom" in boom.error
    assert "1 failed" in snippets.summarize([boom, fine])
    assert snippets.main(["run", "--fresh", "--root", str(root)]) == 1


def test_stderr_output_fails_the_snippet(tmp_path: Path) -> None:
    root = _project(tmp_path, {"s/p/noisy.py": "import warnings\nwarnings.warn('hmm')\n"})
    (result,) = _run(root)
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


def test_figure_with_alt_text_is_kept(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        {
            "s/p/fig.py": """\
                import matplotlib.pyplot as plt
                fig, ax = plt.subplots()
                fig.savefig("good.png", metadata={"Description": "An empty plot"})
            """
        },
    )
    (result,) = _run(root)
    assert result.ok, result.error
    (figure,) = result.figures
    assert figure.alt == "An empty plot" and figure.path.is_file()


def test_over_budget_snippet_fails_and_stuck_one_is_killed(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        {
            "s/p/slow.py": "# budget: 1 s — testing the budget\nimport time\ntime.sleep(1.5)\n",
            "s/p/stuck.py": "# budget: 1 s — testing the kill\nimport time\ntime.sleep(30)\n",
        },
    )
    slow, stuck = _run(root, jobs=1)
    assert "over its 1 s budget" in slow.error
    assert "killed after 3 s" in stuck.error


def test_cpu_time_counts_the_processes_a_snippet_starts(tmp_path: Path) -> None:
    loop = "import time\nend = time.process_time() + 1.0\nwhile time.process_time() < end: pass"
    burn = f"import subprocess, sys\nsubprocess.run([sys.executable, '-c', {loop!r}], check=True)"
    done = snippets._run_process(
        [sys.executable, "-c", burn], cwd=tmp_path, env=dict(os.environ), timeout=120
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


def test_a_killed_snippet_takes_the_processes_it_started_with_it(tmp_path: Path) -> None:
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
    (spawned,) = _run(root)
    assert "killed after 2 s" in spawned.error
    time.sleep(4.5)
    assert not marker.exists()


def test_rerun_without_budget_check_accepts_a_slow_run_but_still_kills_a_stuck_one(
    tmp_path: Path,
) -> None:
    root = _project(
        tmp_path,
        {
            "s/p/slow.py": "# budget: 1 s — testing the budget\nimport time\ntime.sleep(1.5)\n",
            "s/p/stuck.py": "# budget: 1 s — testing the kill\nimport time\ntime.sleep(30)\n",
        },
    )
    slow, stuck = snippets.run_all(root, fresh=True, check_budget=False, log=lambda _: None)
    assert slow.ok, slow.error
    assert "killed after 3 s" in stuck.error
