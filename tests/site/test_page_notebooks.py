"""Every page with snippets has a notebook of them (sitetools/page_notebooks.py): committed under
notebooks/ and up to date, its snippet cells the snippets' exact text in page order. The
notebooks themselves run at publish and in the weekly canary (`run`), not here: a notebook of
tiny snippets, without TensorFlow, shows here that a snippet cell runs as its file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sitetools import markup, page_notebooks

ROOT = Path(__file__).resolve().parents[2]


def _notebook(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _code(cell: dict) -> str:
    return "".join(cell["source"])


def test_committed_notebooks_are_up_to_date() -> None:
    stale = page_notebooks.out_of_date(ROOT)
    assert not stale, f"out of date: {stale}; run: python -m sitetools.page_notebooks sync"


@pytest.mark.parametrize("page", page_notebooks.pages(ROOT))
def test_a_page_notebooks_cells_are_its_snippets_exact_text_in_page_order(page: str) -> None:
    path = ROOT / page_notebooks.notebook_path(page)
    embeds = markup.snippet_embeds((ROOT / "docs" / page).read_text(encoding="utf-8"))
    expected = [(name, (ROOT / "snippets" / name).read_text(encoding="utf-8")) for name in embeds]
    text = path.read_text(encoding="utf-8")
    assert page_notebooks.snippet_cells(text) == expected
    # The built site's copy (which names the commit) holds the same cells.
    built = page_notebooks.to_ipynb(ROOT, page, commit="0123abc")
    assert page_notebooks.snippet_cells(built) == expected
    assert "`0123abc`" in "".join(_notebook_text(built)["cells"][0]["source"])
    code = [c for c in _notebook(path)["cells"] if c["cell_type"] == "code"]
    # First the install line README.md gives, then the set-up, then the snippets.
    assert _code(code[0]).splitlines()[-1].startswith('%pip install "dlcv-kb==')
    assert code[1]["metadata"]["dlcv"] == {"role": "setup"}
    assert len(code) == 2 + len(embeds)


def test_pages_without_snippets_have_no_notebook() -> None:
    docs = ROOT / "docs"
    without = [
        path.relative_to(docs).as_posix()
        for path in sorted(docs.rglob("*.md"))
        if not markup.snippet_embeds(path.read_text(encoding="utf-8"))
    ]
    assert "index.md" in without and "contributing/architecture.md" in without
    for page in without:
        assert page not in page_notebooks.pages(ROOT)
        assert not (ROOT / page_notebooks.notebook_path(page)).exists(), page
    with pytest.raises(ValueError, match="embeds no snippet"):
        page_notebooks.to_ipynb(ROOT, "index.md")


def _project(root: Path, snippet_files: dict[str, str], page: str) -> Path:
    """A repository of one page (docs/a/p.md) and its snippets."""
    (root / "docs" / "a").mkdir(parents=True)
    (root / "docs" / "a" / "p.md").write_text(page, encoding="utf-8")
    (root / "mkdocs.yml").write_text(
        "site_name: demo\nsite_url: https://example.org/demo/\nrepo_url: https://github.com/o/n\n",
        encoding="utf-8",
    )
    for name, text in snippet_files.items():
        path = root / "snippets" / "a" / "p" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_each_snippet_file_is_one_whole_cell_in_the_order_the_page_first_embeds_it(
    tmp_path: Path,
) -> None:
    files = {
        "one.py": "# --8<-- [start:part]\nx = 1\n# --8<-- [end:part]\nprint(x)\n",
        "two.py": "print(2)\n",
    }
    page = (
        "---\ntitle: P\n---\n\n# The page\n\n```\n[[snippet a/p/two.py]]\n```\n\n"
        "[[snippet a/p/one.py#part]]\n\n[[snippet a/p/two.py]]\n\n[[snippet a/p/one.py]]\n"
    )
    root = _project(tmp_path, files, page)
    text = page_notebooks.to_ipynb(root, "a/p.md")
    assert page_notebooks.snippet_cells(text) == [
        ("a/p/one.py", files["one.py"]),
        ("a/p/two.py", files["two.py"]),
    ]
    intro = "".join(_notebook_text(text)["cells"][0]["source"])
    assert intro.startswith("# The page\n") and "https://example.org/demo/a/p/" in intro
    # A code cell that is none of these is not a page notebook's.
    edited = _notebook_text(text)
    edited["cells"].append({"cell_type": "code", "metadata": {}, "source": "print(3)"})
    with pytest.raises(ValueError, match="no snippet"):
        page_notebooks.snippet_cells(json.dumps(edited))


def _notebook_text(text: str) -> dict:
    return json.loads(text)


def test_check_names_a_stale_or_stray_notebook_and_sync_rewrites_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(tmp_path, {"one.py": "print(1)\n"}, "# P\n\n[[snippet a/p/one.py]]\n")
    argv = ["--root", str(root)]
    assert page_notebooks.main(["check", *argv]) == 1
    assert "notebooks/a/p.ipynb is out of date" in capsys.readouterr().err
    assert page_notebooks.main(["sync", *argv]) == 0
    assert page_notebooks.main(["check", *argv]) == 0
    # Editing a snippet makes its page's notebook stale; a notebook of no page is stray.
    (root / "snippets" / "a" / "p" / "one.py").write_text("print(11)\n", encoding="utf-8")
    (root / "notebooks" / "a" / "gone.ipynb").write_text("{}", encoding="utf-8")
    assert page_notebooks.out_of_date(root) == ["notebooks/a/gone.ipynb", "notebooks/a/p.ipynb"]
    page_notebooks.sync(root)
    assert page_notebooks.out_of_date(root) == []
    assert not (root / "notebooks" / "a" / "gone.ipynb").exists()
    assert page_notebooks.snippet_cells((root / "notebooks/a/p.ipynb").read_text("utf-8")) == [
        ("a/p/one.py", "print(11)\n")
    ]


def _outputs(cell: dict) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []))


def test_a_snippet_cell_runs_as_its_file_and_the_install_cell_is_left_out(tmp_path: Path) -> None:
    files = {
        # Reads its own file, as a snippet that counts the lines between its markers does.
        "own_file.py": (
            "from pathlib import Path\n\n"
            "print(Path(__file__).name, len(Path(__file__).read_text().splitlines()))\n"
            'Path("figure.txt").write_text("drawn")\n'
        ),
        # Starts a copy of itself in a spawned process, which imports the file as __mp_main__.
        "spawned.py": (
            "import multiprocessing\n\n\n"
            "def square(x):\n    return x * x\n\n\n"
            'if __name__ == "__main__":\n'
            '    with multiprocessing.get_context("spawn").Pool(1) as pool:\n'
            "        print(pool.map(square, [3]))\n"
            '    print(open("figure.txt").read())\n'
        ),
    }
    page = "# P\n\n[[snippet a/p/own_file.py]]\n\n[[snippet a/p/spawned.py]]\n"
    root = _project(tmp_path, files, page)
    executed = page_notebooks.execute(root, "a/p.md", timeout_s=120)
    snippet_outputs = [
        _outputs(cell)
        for cell in executed.cells
        if "snippet" in cell.get("metadata", {}).get("dlcv", {})
    ]
    assert snippet_outputs == ["own_file.py 4\n", "[9]\ndrawn\n"]
    assert not any("%pip" in _code(cell) for cell in executed.cells)


def test_a_failing_cell_is_named_with_its_page_and_snippet(tmp_path: Path) -> None:
    files = {"fine.py": "print(1)\n", "broken.py": "raise ValueError('on purpose')\n"}
    page = "# P\n\n[[snippet a/p/fine.py]]\n\n[[snippet a/p/broken.py]]\n"
    root = _project(tmp_path, files, page)
    with pytest.raises(page_notebooks.PageNotebookError) as caught:
        page_notebooks.execute(root, "a/p.md", timeout_s=120)
    message = str(caught.value)
    assert message.startswith(
        "docs/a/p.md (notebooks/a/p.ipynb): the cell of snippets/a/p/broken.py"
    )
    assert "on purpose" in message
