"""Walkthrough notebooks: the .ipynb beside each .py is current; outputs and links are handled."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sitetools import notebooks

ROOT = Path(__file__).resolve().parents[1]


def test_every_content_section_has_a_walkthrough_notebook() -> None:
    sections = {p.parent.name for p in notebooks.sources(ROOT)}
    assert sections == {"fundamentals", "hardware", "why-deep-learning", "vision"}


def test_committed_ipynb_matches_its_source() -> None:
    stale = [str(p.relative_to(ROOT)) for p in notebooks.out_of_date(ROOT)]
    assert not stale, f"out of date: {stale}; run `make notebooks` and commit the result"


def test_ipynb_has_no_outputs_and_a_python_kernel(tmp_path: Path) -> None:
    source = tmp_path / "docs" / "x" / "walkthrough.py"
    source.parent.mkdir(parents=True)
    source.write_text("# %% [markdown]\n# # Title\n\n# %%\nprint(1)\n", encoding="utf-8")
    notebook = json.loads(notebooks.to_ipynb(source))
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"
    assert [c["cell_type"] for c in notebook["cells"]] == ["markdown", "code"]
    assert notebook["cells"][1].get("outputs") == []
    assert notebooks.out_of_date(tmp_path) == [source.with_suffix(".ipynb")]


def _notebook(*outputs: list[dict[str, str]]) -> Any:
    import nbformat

    cells = [nbformat.v4.new_markdown_cell("# Title")]
    for cell_outputs in outputs:
        cell = nbformat.v4.new_code_cell("pass")
        cell.outputs = [nbformat.v4.new_output("stream", **o) for o in cell_outputs]
        cells.append(cell)
    return nbformat.v4.new_notebook(cells=cells)


ONEDNN = (
    "E0000 00:00:1733000000.123456   12345 util.cc:131] oneDNN supports DT_HALF only on "
    "platforms with AVX-512. Falling back to the default Eigen-based implementation if present."
)


def test_runtime_log_is_dropped_from_stderr_outputs_and_kept_apart() -> None:
    notebook = _notebook(
        [
            {"name": "stderr", "text": ONEDNN[:40]},  # a line may arrive in pieces
            {"name": "stdout", "text": "accuracy 0.9\n"},
            {"name": "stderr", "text": ONEDNN[40:] + "\n"},
        ]
    )
    assert notebooks.check_outputs(notebook, where="nb") == ONEDNN
    (outputs,) = [c.outputs for c in notebook.cells if c.cell_type == "code"]
    assert [(o.name, o.text) for o in outputs] == [("stdout", "accuracy 0.9\n")]


@pytest.mark.parametrize(
    "text",
    [
        "/tmp/x.py:3: UserWarning: careful\n",
        "printed to stderr by the notebook\n",
        "F0000 00:00:1732000000.000000    1234 stream_executor.cc:77] Check failed: device\n",
    ],
)
def test_any_other_stderr_output_fails_naming_the_cell(text: str) -> None:
    notebook = _notebook([{"name": "stdout", "text": "ok\n"}], [{"name": "stderr", "text": text}])
    with pytest.raises(notebooks.NotebookError, match="nb: cell 3 wrote to stderr"):
        notebooks.check_outputs(notebook, where="nb")


def test_execute_runs_checks_and_caches_the_notebook(tmp_path: Path) -> None:
    source = tmp_path / "docs" / "x" / "walkthrough.py"
    source.parent.mkdir(parents=True)
    source.write_text(
        "# %% [markdown]\n# # Title\n\n# %%\nimport sys\n"
        f"print({ONEDNN!r}, file=sys.stderr)\nprint('shown')\n",
        encoding="utf-8",
    )
    cache = tmp_path / "cache"
    executed = notebooks.execute(source, cache_dir=cache, where="docs/x/walkthrough.py")
    cell = json.loads(executed.read_text(encoding="utf-8"))["cells"][1]
    assert [o.get("name") for o in cell["outputs"]] == ["stdout"]
    assert executed.with_suffix(".runtime.log").read_text(encoding="utf-8") == ONEDNN
    assert notebooks.execute(source, cache_dir=cache, where="x") == executed  # cached
    source.write_text("# %%\nimport sys\nprint('noise', file=sys.stderr)\n", encoding="utf-8")
    with pytest.raises(notebooks.NotebookError, match="cell 1 wrote to stderr"):
        notebooks.execute(source, cache_dir=cache, where="docs/x/walkthrough.py")


def test_links_go_under_the_title() -> None:
    page = notebooks.notebook_links(
        "<h1>Walkthrough</h1><p>text</p>",
        src_uri="fundamentals/walkthrough.py",
        repository="owner/repo",
    )
    assert page.startswith('<h1>Walkthrough</h1><p class="dlcv-notebook-links">')
    assert 'href="../walkthrough.ipynb" download' in page
    assert (
        "https://colab.research.google.com/github/owner/repo/blob/main/"
        "docs/fundamentals/walkthrough.ipynb" in page
    )
