"""Walkthrough notebooks: the .ipynb beside each .py is current; outputs and links are handled."""

from __future__ import annotations

import json
from pathlib import Path

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


def _stderr_block(text: str) -> str:
    return (
        '<div class="jp-OutputArea-child">\n<div class="jp-OutputPrompt jp-OutputArea-prompt">'
        '</div>\n<div class="jp-RenderedText jp-OutputArea-output" '
        f'data-mime-type="application/vnd.jupyter.stderr" tabindex="0">\n<pre>{text}</pre>\n'
        "</div>\n</div>"
    )


def test_startup_log_is_removed_and_other_stderr_fails() -> None:
    startup = (
        "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
        "I0000 00:00:1795754242.320938   26620 port.cc:153] oneDNN custom operations are on."
    )
    page = f"<p>before</p>{_stderr_block(startup)}<p>after</p>"
    assert notebooks.clean_outputs(page, where="nb") == "<p>before</p><p>after</p>"
    noisy = _stderr_block("UserWarning: something a reader should not see")
    with pytest.raises(notebooks.NotebookError, match="nb: a cell wrote to stderr"):
        notebooks.clean_outputs(noisy, where="nb")


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
