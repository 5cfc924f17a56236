"""Every section marker in `dlcv/` and `snippets/` is there for a reason.

A section is marked by ``# --8<-- [start:name]`` and ``# --8<-- [end:name]`` lines. It is used
when a page embeds it (``[[source dlcv/x.py#name]]``, ``[[snippet section/page/file.py#name]]``)
or when its own program reads it: the file searches its own text for markers (``--8<--``
appears on a line that is not a marker) and names the section in a string literal, as
``snippets/why-deep-learning/simplicity/hog_versus_convnet.py`` does to count the lines of
code of each pipeline. Any other marker is noise in the code a reader copies, and stays
behind when a page stops embedding it.
"""

from __future__ import annotations

import ast
from pathlib import Path

from sitetools import markup

ROOT = Path(__file__).resolve().parents[2]


def embedded_sections(root: Path) -> set[tuple[str, str]]:
    """(file path under the repository, section) for each section a page embeds, read as the
    build reads pages: embeds inside code blocks are shown, not embedded."""
    found = set()
    for page in sorted((root / "docs").rglob("*.md")):
        lines = page.read_text(encoding="utf-8").splitlines()
        for index, prose in markup._outside_code(lines):
            embed = markup.EMBED_RE.match(lines[index]) if prose else None
            if embed and embed["section"] and embed["kind"] in {"snippet", "source"}:
                prefix = "snippets/" if embed["kind"] == "snippet" else ""
                found.add((prefix + embed["target"], embed["section"]))
    return found


def markers(source: str) -> dict[str, list[int]]:
    """Section name → the line numbers of its marker lines."""
    found: dict[str, list[int]] = {}
    for number, line in enumerate(source.splitlines(), 1):
        match = markup.MARKER_RE.match(line)
        if match:
            found.setdefault(match["name"], []).append(number)
    return found


def read_by_itself(source: str) -> set[str]:
    """The sections a program reads from its own text: none unless some line that is not a
    marker holds ``--8<--``; then those it names in a string literal."""
    if not any(
        "--8<--" in line and not markup.MARKER_RE.match(line) for line in source.splitlines()
    ):
        return set()
    return {
        node.value
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }


def unused_markers(root: Path) -> list[str]:
    """One line for each marked section that no page embeds and its program does not read."""
    embedded = embedded_sections(root)
    problems = []
    files = sorted([*root.glob("dlcv/**/*.py"), *root.glob("snippets/**/*.py")])
    for path in files:
        source = path.read_text(encoding="utf-8")
        rel = path.relative_to(root).as_posix()
        read = read_by_itself(source)
        for name, numbers in markers(source).items():
            if (rel, name) not in embedded and name not in read:
                shown = ", ".join(map(str, numbers))
                problems.append(
                    f"{rel}:{shown}: no page embeds section {name!r}; delete its marker lines, "
                    "or embed it"
                )
    return problems


def test_every_marker_is_embedded_or_read_by_its_program() -> None:
    assert embedded_sections(ROOT)  # the pages were read
    problems = unused_markers(ROOT)
    assert not problems, "\n".join(problems)


def test_marker_check_catches_what_it_is_for(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "page.md").write_text(
        "# Page\n\n[[snippet s/p/a.py#shown]]\n\n```\n[[source dlcv/m.py#quoted]]\n```\n",
        encoding="utf-8",
    )
    folder = tmp_path / "snippets" / "s" / "p"
    folder.mkdir(parents=True)
    marked = "# --8<-- [start:{0}]\nx = 1\n# --8<-- [end:{0}]\n"
    (folder / "a.py").write_text(marked.format("shown") + marked.format("left"))
    (folder / "reads.py").write_text(
        marked.format("counted")
        + "text = open(__file__).read()\n"
        + "body = text.split('# --8<-- [start:' + 'counted' + ']')[1]\n"
    )
    (tmp_path / "dlcv").mkdir()
    (tmp_path / "dlcv" / "m.py").write_text(marked.format("quoted") + "NAMES = ['quoted']\n")
    assert unused_markers(tmp_path) == [
        "dlcv/m.py:1, 3: no page embeds section 'quoted'; delete its marker lines, or embed it",
        "snippets/s/p/a.py:4, 6: no page embeds section 'left'; delete its marker lines, "
        "or embed it",
    ]
