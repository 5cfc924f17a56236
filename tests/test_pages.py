"""Site-wide page checks: front matter, code fences, embeds, and the snippet ↔ page pairing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from sitetools import markup, snippets

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(p for p in DOCS.rglob("*.md") if "vendor" not in p.parts)
FENCE_OPEN = re.compile(r"^[ \t]*(`{3,}|~{3,})(?P<info>.*)$")
PYTHONISH = {"python", "py", "python3", "pycon", "ipython", "py3"}


DURATION = re.compile(r"\b\d+(?:\.\d+)?\s?(?:s|ms|µs)\b")


def _untimed(text: str) -> str:
    """The text with durations ("0.7 s", "12 ms") blanked: timings differ from run to run."""
    return DURATION.sub("<time>", text)


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _fences(path: Path) -> list[tuple[int, str, str]]:
    """(line number, info string, body) of every fenced block in a Markdown file."""
    fences, lines = [], path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        match = FENCE_OPEN.match(lines[i])
        if match:
            fence, start = match.group(1), i
            i += 1
            body = []
            while i < len(lines) and lines[i].strip() != fence:
                body.append(lines[i])
                i += 1
            fences.append((start + 1, match["info"].strip(), "\n".join(body)))
        i += 1
    return fences


def _embeds() -> dict[str, list[str]]:
    """Snippet name → pages that embed it."""
    found: dict[str, list[str]] = {}
    for page in PAGES:
        for line in page.read_text(encoding="utf-8").splitlines():
            match = markup.EMBED_RE.match(line)
            if match and match["kind"] == "snippet":
                found.setdefault(match["target"], []).append(_rel(page))
    return found


@pytest.mark.parametrize("page", PAGES, ids=_rel)
def test_page_has_front_matter_with_title_and_description(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    assert text.startswith("---\n"), f"{_rel(page)}: start with YAML front matter (---)"
    meta = yaml.safe_load(text.split("---\n", 2)[1])
    for field in ("title", "description"):
        assert meta and meta.get(field), f"{_rel(page)}: front matter needs `{field}:`"


@pytest.mark.parametrize("path", [*PAGES, ROOT / "README.md"], ids=_rel)
def test_python_fences_are_tested_in_place(path: Path) -> None:
    """pytest-codeblocks runs only fences whose info string is exactly `python`; it skips the rest
    silently and would execute a `--8<--` include line literally, so both are refused here."""
    for line, info, body in _fences(path):
        lang = info.split()[0].lstrip("{.").rstrip("}") if info else ""
        where = f"{_rel(path)}:{line}"
        if lang.lower() in PYTHONISH:
            assert info == "python", (
                f"{where}: a Python fence must be exactly ```python to be tested "
                f"(got ```{info}); to show a file, embed it: [[snippet section/page/name.py]]"
            )
        assert "--8<--" not in body or lang not in {"python", "sh", "bash"}, (
            f"{where}: `--8<--` includes are not used on this site; embed with [[snippet ...]]"
        )


def test_every_snippet_is_embedded_by_its_own_page() -> None:
    embeds = _embeds()
    problems = []
    for path in snippets.discover(ROOT):
        name = path.relative_to(ROOT / "snippets").as_posix()
        section_page = name.rsplit("/", 1)[0]
        own_page = f"docs/{section_page}.md"
        if name not in embeds:
            problems.append(
                f"snippets/{name} is embedded by no page (add [[snippet {name}]] to {own_page})"
            )
        elif own_page not in embeds[name]:
            problems.append(
                f"snippets/{name} belongs to {own_page} but is embedded by {embeds[name]}"
            )
    assert not problems, "\n".join(problems)


def test_every_embed_resolves() -> None:
    missing = [
        f"{', '.join(pages)}: [[snippet {name}]] — no file snippets/{name}"
        for name, pages in _embeds().items()
        if not (ROOT / "snippets" / name).is_file()
    ]
    assert not missing, "\n".join(missing)


def test_pages_show_what_their_snippets_print(tmp_path: Path) -> None:
    """Every line a snippet printed is on its page, as a reader running it by hand would see it;
    unless a snippet says its output varies, a second run by hand prints exactly the same."""
    cached = {r.name: r for r in snippets.run_all(ROOT, log=lambda _: None)}
    again = {
        r.name: r
        for r in snippets.run_all(ROOT, fresh=True, cache_root=tmp_path, log=lambda _: None)
    }
    problems = []
    for name, result in cached.items():
        assert result.ok, result.error
        source = (ROOT / "snippets" / name).read_text(encoding="utf-8")
        if not snippets.varies(source) and _untimed(again[name].stdout) != _untimed(result.stdout):
            problems.append(f"snippets/{name}: output differs between two runs (seed it)")
    assert not problems, "\n".join(problems)
