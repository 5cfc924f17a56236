"""Copy, paste, run: every program on a page runs as a reader copies it (issue #17).

A reader copies a code block titled ``snippets/…`` with its copy button, saves the text in an
empty folder and runs it, with `dlcv` installed from its wheel. What the copy button copies is
read from the built HTML, as Material's clipboard code takes it: the ``<code>`` element's text,
trailing whitespace trimmed (``integrations/clipboard`` in Material's sources; no block here
has annotations or a ``data-copy`` attribute that would change it).

- A block titled ``snippets/x.py`` is a whole program. When its text is the file's, byte for
  byte (section markers included), the snippet pass has already run that program as a reader
  would (with the wheel, `make test`), and the page's Output block must be what that run
  printed.
  Otherwise the copied text itself is run, with the reader environment's Python in an empty
  folder, and must print what the Output block shows.
- A block titled ``snippets/x.py (excerpt)`` is a section the page discusses. The same box must
  hold the whole program (in the collapsed block under it), and the excerpt must be a
  contiguous part of it.

Durations ("0.7 s") are left out of every comparison, as in tests/site/test_pages.py.
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from helpers.site_markdown import site_markdown
from helpers.snippet_boxes import SNIPPET_TITLE, SnippetBox, snippet_boxes

from sitetools import markup, reader_env, snippets

ROOT = Path(__file__).resolve().parents[2]
DURATION = re.compile(r"\b\d+(?:\.\d+)?\s?(?:s|ms|µs)\b")


def _untimed(text: str) -> str:
    return DURATION.sub("<time>", text)


def same_program(copied: str, file_text: str) -> bool:
    """Whether the copied text is the file, byte for byte (the copy button trims the end)."""
    return copied == file_text.rstrip()


def is_contiguous_part(excerpt: str, whole: str) -> bool:
    """Whether the excerpt's lines are a run of the whole program's lines (dedented as a page
    shows a section, and without the section markers nested in it, which a page leaves out).

    Example:
        >>> is_contiguous_part("b = 2\\nc = 3", "a = 1\\nif a:\\n    b = 2\\n    c = 3")
        True
        >>> is_contiguous_part("a = 1\\nc = 3", "a = 1\\nb = 2\\nc = 3")
        False
        >>> is_contiguous_part("a = 1\\nb = 2", "a = 1\\n# --8<-- [start:b]\\nb = 2")
        True
    """
    want = excerpt.strip("\n").splitlines()
    lines = [line for line in whole.splitlines() if not markup.MARKER_RE.match(line)]
    for start in range(len(lines) - len(want) + 1):
        window = "\n".join(lines[start : start + len(want)])
        if textwrap.dedent(window).strip("\n").splitlines() == want:
            return True
    return False


@dataclasses.dataclass(frozen=True)
class Ran:
    """What a run printed, and whether its output may vary between runs."""

    stdout: str
    varies: bool


def box_problems(
    box: SnippetBox,
    *,
    where: str,
    root: Path,
    results: Mapping[str, Ran],
    run_copied: Callable[[str, str], str] | None = None,
) -> list[str]:
    """What is wrong with one snippet box, for a reader who copies its code; empty if nothing.

    Args:
        box: the box, as `snippet_boxes` read it.
        where: the page, for messages.
        root: the repository root (its snippets/ holds the files).
        results: the snippet pass's result for each snippet name.
        run_copied: called with (snippet name, copied text) to run a copied text that is not
            the file's program; returns what it printed.
    """
    problems: list[str] = []
    titled = [(b, SNIPPET_TITLE.match(b.title)) for b in box.blocks]
    named = [(b, m) for b, m in titled if m]
    if not named:
        return problems
    outputs = [b.copied for b in box.blocks if b.title == "Output"]
    shown_output = outputs[0] if outputs else ""
    wholes = [b for b, m in named if not m["excerpt"]]
    for block, match in named:
        name = match["name"]
        path = root / "snippets" / name
        if not path.is_file():
            problems.append(f"{where}: a block titled {block.title} but no file snippets/{name}")
            continue
        file_text = path.read_text(encoding="utf-8")
        if match["excerpt"]:
            whole = [b for b in wholes if b.title == f"snippets/{name}"]
            if not whole or not same_program(whole[0].copied, file_text):
                problems.append(
                    f"{where}: snippets/{name} is shown as an excerpt, with no whole program "
                    "beside it that a reader can copy and run"
                )
            elif not is_contiguous_part(block.copied, whole[0].copied):
                problems.append(
                    f"{where}: the excerpt of snippets/{name} is not a contiguous part of it"
                )
            continue
        result = results.get(name)
        if result is None:
            problems.append(f"{where}: no snippet-pass result for snippets/{name}")
            continue
        if same_program(block.copied, file_text):
            printed = result.stdout
        elif run_copied is None:
            problems.append(f"{where}: the copied text of snippets/{name} is not the file's")
            continue
        else:
            printed = run_copied(name, block.copied)
            if result.varies:
                continue  # it ran; what it prints changes from run to run, as the file says
        if _untimed(printed.rstrip("\n")) != _untimed(shown_output.rstrip("\n")):
            problems.append(
                f"{where}: the Output block of snippets/{name} is not what its program prints"
            )
    return problems


# --- without the site: the boxes markup.snippet_block writes -------------------------------


PROGRAM = """\
import math

# --8<-- [start:area]
def area(r):
    return math.pi * r**2 if r > 0 else "<none> & 0"
# --8<-- [end:area]


print(f"{area(1.0):.3f}", area(-1))
"""
OUTPUT = "3.142 <none> & 0\n"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "snippets" / "s" / "p").mkdir(parents=True)
    (tmp_path / "snippets" / "s" / "p" / "x.py").write_text(PROGRAM, encoding="utf-8")
    return tmp_path


def _box(**kwargs: object) -> SnippetBox:
    block = markup.snippet_block(
        name="s/p/x.py", stdout=OUTPUT, figures=[], provenance={}, cpu_seconds=0.0, **kwargs
    )
    (box,) = snippet_boxes(site_markdown().convert(block))
    return box


def test_a_whole_program_block_copies_the_file(tree: Path) -> None:
    whole = markup.whole_program(PROGRAM)
    box = _box(code=whole)
    assert [b.title for b in box.blocks] == ["snippets/s/p/x.py", "Output"]
    assert box.blocks[0].copied == whole  # entities (<, &) read back as the characters
    results = {"s/p/x.py": Ran(OUTPUT, varies=False)}
    assert box_problems(box, where="page", root=tree, results=results) == []
    wrong = {"s/p/x.py": Ran("3.141\n", varies=False)}
    assert box_problems(box, where="page", root=tree, results=wrong)


def test_an_excerpt_comes_with_the_whole_program_and_a_download_link(tree: Path) -> None:
    section = markup.extract_section(PROGRAM, "area", where="x.py")
    whole = markup.whole_program(PROGRAM)
    box = _box(code=section, whole=whole, download="../_snippets/s/p/x.py")
    titles = [(b.title, b.in_details) for b in box.blocks]
    assert titles == [
        ("snippets/s/p/x.py (excerpt)", False),
        ("snippets/s/p/x.py", True),
        ("Output", False),
    ]
    assert box.downloads == ["../_snippets/s/p/x.py"]
    results = {"s/p/x.py": Ran(OUTPUT, varies=False)}
    assert box_problems(box, where="page", root=tree, results=results) == []


def test_an_excerpt_alone_is_a_problem(tree: Path) -> None:
    # What every page with a section showed before: the excerpt, nothing a reader could run.
    section = markup.extract_section(PROGRAM, "area", where="x.py")
    block = markup.snippet_block(
        name="s/p/x.py", code=section, stdout=OUTPUT, figures=[], provenance={}, cpu_seconds=0.0
    ).replace('title="snippets/s/p/x.py"', f'title="snippets/s/p/x.py{markup.EXCERPT_SUFFIX}"')
    (box,) = snippet_boxes(site_markdown().convert(block))
    results = {"s/p/x.py": Ran(OUTPUT, varies=False)}
    (problem,) = box_problems(box, where="page", root=tree, results=results)
    assert "no whole program" in problem


def test_a_copied_text_unlike_the_file_is_run(tree: Path) -> None:
    box = _box(code="print(3)")
    ran: list[str] = []

    def run(name: str, code: str) -> str:
        ran.append(code)
        return "3\n"

    results = {"s/p/x.py": Ran(OUTPUT, varies=False)}
    problems = box_problems(box, where="page", root=tree, results=results, run_copied=run)
    assert ran == ["print(3)"]
    assert "Output block" in problems[0]


def test_same_program_is_byte_identity() -> None:
    assert same_program("a = 1\nprint(a)", "a = 1\nprint(a)\n\n")
    # A marker line left out is a different program: one may read its own file.
    assert not same_program("a = 1\nprint(a)", "a = 1\n# --8<-- [end:x]\nprint(a)\n")


# --- the built site ---------------------------------------------------------------------------


def _run_as_reader(tmp_path: Path) -> Callable[[str, str], str]:
    def run(name: str, code: str) -> str:
        python = reader_env.ensure(ROOT)
        folder = tmp_path / name.replace("/", "_").removesuffix(".py")
        folder.mkdir()
        (folder / Path(name).name).write_text(code + "\n", encoding="utf-8")
        budget = snippets.budget_of((ROOT / "snippets" / name).read_text(encoding="utf-8"))
        proc = subprocess.run(
            [str(python), Path(name).name],
            cwd=folder,
            env=snippets._snippet_env(),
            capture_output=True,
            text=True,
            timeout=budget * snippets.KILL_FACTOR,
        )
        assert proc.returncode == 0, f"snippets/{name} as copied: {proc.stderr[-2000:]}"
        return proc.stdout

    return run


def test_every_snippet_on_the_site_runs_as_copied(built_site: Path, tmp_path: Path) -> None:
    results = {
        r.name: Ran(r.stdout, snippets.varies((ROOT / "snippets" / r.name).read_text("utf-8")))
        for r in snippets.run_all(ROOT, log=lambda _: None)
    }
    problems: list[str] = []
    excerpts = wholes = 0
    for page in sorted(built_site.rglob("*.html")):
        where = page.relative_to(built_site).as_posix()
        for box in snippet_boxes(page.read_text(encoding="utf-8")):
            for block in box.blocks:
                match = SNIPPET_TITLE.match(block.title)
                if match:
                    excerpts += bool(match["excerpt"])
                    wholes += not match["excerpt"]
            problems += box_problems(
                box,
                where=where,
                root=ROOT,
                results=results,
                run_copied=_run_as_reader(tmp_path),
            )
    embeds = sum(
        len(markup.snippet_embeds(p.read_text(encoding="utf-8")))
        for p in (ROOT / "docs").rglob("*.md")
    )
    # Guards against a parser that finds nothing, and so no problem either.
    assert wholes >= embeds > 0 and excerpts > 0, (wholes, excerpts, embeds)
    assert not problems, "\n".join(problems)


def test_an_excerpt_is_contiguous_without_the_section_markers_nested_in_it() -> None:
    whole = (
        "# --8<-- [start:a]\nx = 1\n# --8<-- [start:b]\ny = 2\n# --8<-- [end:b]\n# --8<-- [end:a]"
    )
    section = markup.extract_section(whole, "a", where="test")
    assert section == "x = 1\ny = 2"
    assert is_contiguous_part(section, whole)
    assert not is_contiguous_part("y = 2\nx = 1", whole)
