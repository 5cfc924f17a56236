"""Site-wide page checks: front matter, code fences, embeds, and the snippet ↔ page pairing."""

from __future__ import annotations

import doctest
import hashlib
import itertools
import os
import posixpath
import re
import sys
from pathlib import Path

import pytest
import yaml
from mkdocs.utils.meta import get_data

from sitetools import glossary, markup, mdext, skeleton, snippets

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PAGES = sorted(p for p in DOCS.rglob("*.md") if "vendor" not in p.parts)
FENCE_OPEN = re.compile(r"^[ \t]*(`{3,}|~{3,})(?P<info>.*)$")
CONTENT_PAGES = [p for p in PAGES if skeleton.is_content_page(p.relative_to(DOCS).as_posix())]
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
    """Snippet name → pages that embed it (as the build reads them: not in code blocks)."""
    found: dict[str, list[str]] = {}
    for page in PAGES:
        for name in markup.snippet_embeds(page.read_text(encoding="utf-8")):
            found.setdefault(name, []).append(_rel(page))
    return found


@pytest.mark.parametrize("page", PAGES, ids=_rel)
def test_page_has_front_matter_with_title_and_description(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    assert text.startswith("---\n"), f"{_rel(page)}: start with YAML front matter (---)"
    try:
        meta = yaml.safe_load(text.split("---\n", 2)[1])
    except yaml.YAMLError as exc:
        pytest.fail(
            f"{_rel(page)}: the front matter is not valid YAML; put a value that contains "
            f"': ' or starts with a quote in double quotes. {exc}"
        )
    for field in ("title", "description"):
        assert meta and meta.get(field), f"{_rel(page)}: front matter needs `{field}:`"


def test_the_glossary_lists_only_acronyms_the_pages_use() -> None:
    """Each glossary term appears, as abbr matches it (a whole word, case as written), in the
    prose of a page other than the glossary, and its link names a page of the site."""
    texts = [page.read_text(encoding="utf-8") for page in PAGES if page.name != "glossary.md"]
    unused = [
        t.term
        for t in GLOSSARY
        if not any(re.search(rf"\b{re.escape(t.term)}\b", text) for text in texts)
    ]
    missing = [t.link for t in GLOSSARY if not (ROOT / "docs" / t.link.split("#")[0]).is_file()]
    assert GLOSSARY and not unused and not missing, (
        f"docs/research/glossary.yml: terms no page uses: {unused}; links to no page: {missing}"
    )


def test_reference_pages_rank_below_the_pages_that_explain() -> None:
    """The bibliography and every API reference page name each concept too (in titles, and
    mkdocstrings gives every function a heading), so they lower their search rank and the
    content page that explains a word comes first (tests/site/test_browser.py checks ten
    queries)."""
    listed = [ROOT / "docs" / "research" / "bibliography.md"]
    listed += sorted((ROOT / "docs" / "reference").glob("*.md"))
    unranked = []
    for page in listed:
        meta = yaml.safe_load(page.read_text(encoding="utf-8").split("---\n", 2)[1]) or {}
        boost = (meta.get("search") or {}).get("boost")
        if not isinstance(boost, int | float) or not 0 < boost < 1:
            unranked.append(f"{_rel(page)} (boost {boost!r})")
    assert len(listed) > 10 and not unranked, (
        f"give these `search: boost:` below 1 in their front matter: {', '.join(unranked)}"
    )


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


def _rerun_all() -> bool:
    """Whether the determinism check reruns every snippet, long ones included (the weekly
    canary and the publish workflow set DLCV_RERUN_ALL=1)."""
    return os.environ.get("DLCV_RERUN_ALL", "").lower() in {"1", "true", "yes"}


# What the determinism check reruns without a base to compare with, in CPU seconds.
ROTATION_CAP_S = 25.0
# What a rerun costs beyond its recorded CPU time: the rerun starts a fresh Python, which
# imports TensorFlow and Keras (about 8 CPU-s on a 2-core CI machine), while the recorded time
# of a warm run leaves those imports out.
START_COST_S = 8.0


def rotation(
    names: list[str],
    seconds: dict[str, float],
    *,
    commit: str,
    cap_s: float = ROTATION_CAP_S,
    start_cost_s: float = START_COST_S,
) -> list[str]:
    """A stable share of ``names`` to rerun: from a starting point the commit picks, in an
    order hashed from the names, as many as fit in ``cap_s`` seconds (at least one), each
    costing its recorded CPU seconds plus ``start_cost_s``.

    Successive commits start elsewhere, so over a few runs every snippet is rechecked.
    """
    if not names:
        return []
    ordered = sorted(names, key=lambda n: hashlib.sha256(n.encode()).hexdigest())
    start = int(commit, 16) % len(ordered) if re.fullmatch(r"[0-9a-f]+", commit) else 0
    chosen: list[str] = []
    total = 0.0
    for name in ordered[start:] + ordered[:start]:
        cost = seconds.get(name, 0.0) + start_cost_s
        if chosen and total + cost > cap_s:
            break
        chosen.append(name)
        total += cost
    return sorted(chosen)


def _rerun_set(cached: dict[str, snippets.Result]) -> list[str]:
    """The snippets the determinism check runs a second time.

    Only snippets whose output should repeat (no `# output varies:` line). With
    DLCV_RERUN_ALL=1, all of them. With DLCV_SNIPPET_BASE naming the cache as it was before
    this run (in pull-request CI, the one the last publish run saved), exactly the snippets
    whose result changed against it: those that ran. Otherwise (a fresh clone) a rotation of
    the default-budget snippets capped at `ROTATION_CAP_S` of recorded CPU time.
    """
    steady = [
        name
        for name in cached
        if not snippets.varies((ROOT / "snippets" / name).read_text(encoding="utf-8"))
    ]
    if _rerun_all():
        return steady
    if base := os.environ.get("DLCV_SNIPPET_BASE"):
        changed = set(snippets.changed_since(ROOT, Path(base)))
        return [name for name in steady if name in changed]
    short = [
        name
        for name in steady
        if snippets.budget_of((ROOT / "snippets" / name).read_text(encoding="utf-8"))
        <= snippets.DEFAULT_BUDGET_S
    ]
    commit = os.environ.get("GITHUB_SHA") or snippets._commit(ROOT).split("+")[0]
    return rotation(short, {n: cached[n].cpu_seconds for n in short}, commit=commit)


def test_rotation_is_capped_stable_and_moves_with_the_commit() -> None:
    names = [f"s/p/n{i}.py" for i in range(10)]
    seconds = dict.fromkeys(names, 17.0)
    first = rotation(names, seconds, commit="a1b2c3d", cap_s=60.0)
    assert len(first) == 2  # 2 x (17 + 8) s fit in 60 s, a third does not
    assert len(rotation(names, seconds, commit="a1b2c3d", cap_s=60.0, start_cost_s=0.0)) == 3
    assert rotation(names, seconds, commit="a1b2c3d", cap_s=60.0) == first
    covered = set().union(*(rotation(names, seconds, commit=f"{c:07x}") for c in range(10)))
    assert covered == set(names)
    assert rotation(names, dict.fromkeys(names, 500.0), commit="0") != []


def test_snippets_print_the_same_when_run_again(tmp_path: Path) -> None:
    """Every snippet runs, and unless it says its output varies, a second run prints exactly
    what the first printed (durations aside). That the pages show that output is checked on
    the built site (tests/site/test_site.py).

    The second run is bounded (`_rerun_set`): the snippets that changed against the base cache
    when there is one, otherwise a rotation capped at about 25 CPU-seconds that a new commit moves
    along; every snippet under DLCV_RERUN_ALL=1 (publish, the canary)."""
    cached = {r.name: r for r in snippets.run_all(ROOT, log=lambda _: None)}
    steady = _rerun_set(cached)
    # Two at once: this rerun checks output, not speed (the first run checked the budgets).
    again = (
        {
            r.name: r
            for r in snippets.run_all(
                ROOT,
                selectors=steady,
                fresh=True,
                jobs=2,
                cache_root=tmp_path,
                check_budget=False,
                log=lambda _: None,
            )
        }
        if steady
        else {}
    )
    assert sorted(again) == sorted(steady)
    problems = []
    for name, result in cached.items():
        assert result.ok, result.error
        if name in again and _untimed(again[name].stdout) != _untimed(result.stdout):
            problems.append(f"snippets/{name}: output differs between two runs (seed it)")
    assert not problems, "\n".join(problems)


def _prose_lines(page: Path) -> list[tuple[int, str]]:
    """(line number, text) of the lines of a page outside fenced code and front matter."""
    lines = page.read_text(encoding="utf-8").splitlines()
    start = 0
    if lines and lines[0] == "---":
        start = lines.index("---", 1) + 1
    body = lines[start:]
    found = []
    for i, prose in markup._outside_code(body):
        match = markup.EMBED_RE.match(body[i]) if prose else None
        if match and match["kind"] == "include":  # the included file's lines stand in for it
            found += _prose_lines(ROOT / match["target"])
        elif prose:
            found.append((start + i + 1, body[i]))
    return found


REFERENCES = ROOT / "docs" / "research" / "references.yml"
HEADING = re.compile(r"^(?P<hashes>#{1,6})\s+\S")
MD_IMAGE = re.compile(r"!\[(?P<alt>[^\]]*)\]\((?P<src>[^)\s]+)")
HTML_IMAGE = re.compile(r"<img\b(?P<attrs>[^>]*)>", re.I)


GLOSSARY = glossary.load(ROOT / "docs" / mdext.GLOSSARY_FILE)


def _expand(page: Path, references: dict[str, markup.Reference], cited: set[str]) -> None:
    """Expand a page's embeds, citations and reference lists as the build does, with the
    build's own code: MkDocs's front-matter split, the glossary (`glossary.expand`), then
    `markup.transform` (snippets are not
    rendered; their files and sections are resolved). Adds the keys the page cites to `cited`.

    Raises:
        MarkupError: what the build would fail with, naming the page and the line.
    """
    source = page.read_text(encoding="utf-8")
    markdown, _ = get_data(source)
    offset = source.count("\n", 0, len(source) - len(markdown)) if source.endswith(markdown) else 0
    uri = page.relative_to(ROOT / "docs").as_posix()
    markup.transform(
        glossary.expand(markdown, page_uri=uri, terms=GLOSSARY),
        page_uri=uri,
        root=ROOT,
        references=references,
        render_snippet=lambda name, section, code: "",
        cited=cited,
        line_offset=offset,
    )


@pytest.mark.parametrize("page", PAGES, ids=_rel)
def test_embeds_and_citations_resolve(page: Path) -> None:
    """Every embed names a file (and a marked section) inside its folder, every citation an
    entry of docs/research/references.yml, every [[references]] list something to list."""
    try:
        _expand(page, markup.load_references(REFERENCES), set())
    except markup.MarkupError as exc:
        pytest.fail(f"{exc} (CONTRIBUTING.md, 'Add a page': Embed, Cite)", pytrace=False)


def test_every_reference_is_cited() -> None:
    references = markup.load_references(REFERENCES)
    cited: set[str] = set()
    for page in PAGES:
        try:
            _expand(page, references, cited)
        except markup.MarkupError as exc:
            pytest.fail(f"{exc} (so its citations are unknown)", pytrace=False)
    unused = sorted(set(references) - cited)
    assert not unused, (
        f"docs/research/references.yml: entries no page cites: {', '.join(unused)} "
        "(cite them with [@key] or remove them)"
    )


@pytest.mark.parametrize("page", PAGES, ids=_rel)
def test_headings_are_in_order(page: Path) -> None:
    """One H1, first; below it no level is skipped (an H2 before any H3, and so on)."""
    headings = [
        (number, len(match["hashes"]))
        for number, line in _prose_lines(page)
        if (match := HEADING.match(line))
    ]
    problems = []
    if not headings or headings[0][1] != 1:
        problems.append(f"{_rel(page)}: start the page with one '# Title' heading")
    problems += [
        f"{_rel(page)}:{number}: a second '# ' heading; use '## ' for sections"
        for number, level in headings[1:]
        if level == 1
    ]
    problems += [
        f"{_rel(page)}:{number}: heading level {level} after level {previous}; "
        f"use level {previous + 1} or less"
        for (_, previous), (number, level) in itertools.pairwise(headings)
        if level > previous + 1
    ]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("page", PAGES, ids=_rel)
def test_images_have_alt_text(page: Path) -> None:
    """Snippet figures take their alt text from the PNG; images written in a page need it too."""
    problems = []
    for number, line in _prose_lines(page):
        problems += [
            f"{_rel(page)}:{number}: image {match['src']} has no alt text: "
            "write ![what it shows](...)"
            for match in MD_IMAGE.finditer(line)
            if not match["alt"].strip()
        ]
        problems += [
            f"{_rel(page)}:{number}: <img> without a non-empty alt attribute"
            for match in HTML_IMAGE.finditer(line)
            if not re.search(r'\balt\s*=\s*"[^"]+"', match["attrs"])
        ]
    assert not problems, "\n".join(problems)


def test_page_checks_catch_what_they_are_for(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    page = tmp_path / "docs" / "page.md"
    page.parent.mkdir()
    page.write_text(
        "---\ntitle: T\ndescription: D\n---\n\n## Section first\n\n#### Skipped level\n\n"
        "Fact [@no-such-key].\n\n![](figure.png)\n\n```python\n# not a heading\n```\n",
        encoding="utf-8",
    )
    embeds = tmp_path / "docs" / "embeds.md"
    embeds.write_text(
        "---\ntitle: T\n---\n\n# T\n\n```\n[[snippet shown/as/code.py]]\n```\n\n"
        "[[snippet no/such/file.py]]\n",
        encoding="utf-8",
    )
    for check, checked, phrase in [
        (test_headings_are_in_order, page, "start the page with one '# Title'"),
        (test_headings_are_in_order, page, "heading level 4 after level 2"),
        (test_embeds_and_citations_resolve, page, "page.md:10: citation [@no-such-key] has no"),
        (test_images_have_alt_text, page, "page.md:12: image figure.png has no alt text"),
        (test_embeds_and_citations_resolve, embeds, "embeds.md:11: embeds snippets/no/such/"),
    ]:
        with pytest.raises((AssertionError, pytest.fail.Exception), match=re.escape(phrase)):
            check(checked)


def _reading_order() -> list[str]:
    return skeleton.reading_order((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))


def test_content_pages_are_the_section_pages_that_teach() -> None:
    """The skeleton's definition picks every section page but the indexes, the bibliography and
    the glossary (lists to look things up in, not pages that teach), whatever pages are added."""
    names = {_rel(page) for page in CONTENT_PAGES}
    teaching = {
        _rel(page)
        for page in PAGES
        if len(page.relative_to(DOCS).parts) == 2
        and page.relative_to(DOCS).parts[0] not in {"reference", "contributing"}
        and page.name != "index.md"
        and page.relative_to(DOCS).as_posix()
        not in {"research/bibliography.md", "research/glossary.md"}
    }
    assert names == teaching, sorted(names ^ teaching)
    assert len(names) >= 26, sorted(names)  # the pages on the site as this test was written
    assert "docs/research/timeline.md" in names
    assert not any(name.endswith("/index.md") for name in names)
    assert not any(name.startswith(("docs/reference/", "docs/contributing/")) for name in names)
    assert "docs/research/bibliography.md" not in names and "docs/index.md" not in names
    assert doctest.testmod(skeleton).failed == 0


@pytest.mark.parametrize("page", CONTENT_PAGES, ids=_rel)
def test_content_page_follows_the_skeleton(page: Path) -> None:
    """A "Before you start" box after the title (prerequisites read earlier, three to five
    things to learn), and at the end "Key takeaways" (three to five) then "Exercises" (two or
    three, each naming one of the page's snippets), before the references."""
    found = skeleton.problems(
        page.read_text(encoding="utf-8"),
        page_uri=page.relative_to(ROOT / "docs").as_posix(),
        order=_reading_order(),
    )
    assert not found, "\n".join([*found, "(CONTRIBUTING.md, 'Add a page': the skeleton)"])


SKELETON_PAGE = """---
title: T
description: D
---

# T

!!! abstract "Before you start"
    **Prerequisites:** [Earlier](earlier.md): what it explains.

    **What you will learn:**

    - one
    - two
    - three

Prose.

[[snippet s/p/shown.py]]

## Key takeaways

- one
- two
- three

## Exercises

1. Change a value in `shown.py`
   and predict the output.
2. Read the output of `snippets/s/p/shown.py`.

## References

[[references]]
"""


@pytest.mark.parametrize(
    ("old", "new", "phrase"),
    [
        ("# T\n\n!!!", "# T\n\nIntro.\n\n!!!", "box right after the '# Title' line"),
        ('!!! abstract "Before you start"', '!!! note "Before"', "put a !!! abstract"),
        ("    **Prerequisites:** [", "    [", "lacks its **Prerequisites:** line"),
        ("    **What you will learn:**\n", "", "lacks its **What you will learn:** line"),
        (
            "    **Prerequisites:** [Earlier](earlier.md): what it explains.\n\n"
            "    **What you will learn:**\n",
            "    **What you will learn:**\n\n"
            "    **Prerequisites:** [Earlier](earlier.md): what it explains.\n",
            "put **Prerequisites:** before **What you will learn:**",
        ),
        ("# T\n", "T\n", "no '# Title' line"),
        ("[Earlier](earlier.md): what", "Earlier pages", "must link to earlier pages"),
        ("(earlier.md)", "(later.md)", "does not come before this page"),
        ("(earlier.md)", "(nowhere.md)", "nowhere.md is not a page in mkdocs.yml's nav"),
        ("(earlier.md)", "(https://x.org/a.md)", "is not a relative link"),
        (
            "    - three\n\nProse",
            "\nProse",
            "under **What you will learn:**: expected 3 to 5, found 2",
        ),
        (
            "- three\n\n## Ex",
            "- three\n- 4\n- 5\n- 6\n\n## Ex",
            "Key takeaways': expected 3 to 5, found 6",
        ),
        ("## Key takeaways", "## Takeaways", "no '## Key takeaways' section"),
        ("## Exercises", "## Exercises\n\n## Exercises", "'## Exercises' appears 2 times"),
        ("## Exercises", "## More\n\n## Exercises", "the last sections must be"),
        ("## References", "## Notes\n\n## References", "the last sections must be"),
        ("2. Read", "Read", "numbered items under '## Exercises': expected 2 to 3, found 1"),
        ("`snippets/s/p/shown.py`", "the output", "exercise 2 names none of the page's snippets"),
        ("`shown.py`", "`other.py`", "exercise 1 names none of the page's snippets (shown.py)"),
    ],
)
def test_skeleton_check_catches_each_missing_part(old: str, new: str, phrase: str) -> None:
    order = ["s/earlier.md", "s/p.md", "s/later.md"]
    assert skeleton.problems(SKELETON_PAGE, page_uri="s/p.md", order=order) == []
    assert (
        skeleton.problems(SKELETON_PAGE.replace("1.\n", ""), page_uri="s/p.md", order=order) == []
    )
    broken = SKELETON_PAGE.replace(old, new, 1)
    assert broken != SKELETON_PAGE, old
    found = skeleton.problems(broken, page_uri="s/p.md", order=order)
    assert any(phrase in problem for problem in found), found


def test_skeleton_allows_no_prerequisites_and_no_references() -> None:
    page = SKELETON_PAGE.replace(
        "[Earlier](earlier.md): what it explains.", skeleton.NO_PREREQUISITES
    ).replace("## References\n\n[[references]]\n", "")
    assert skeleton.problems(page, page_uri="s/p.md", order=["s/p.md"]) == []


def _section(text: str, heading: str) -> str:
    """The Markdown under a ``## heading``, up to the next one."""
    start = text.index(f"\n{heading}\n") + len(heading) + 2
    end = text.find("\n## ", start)
    return text[start : None if end < 0 else end]


def _links(text: str, base: str) -> list[str]:
    """Every relative .md link of `text`, as a path under docs/, in order."""
    return [
        posixpath.normpath(posixpath.join(base, match[1]))
        for match in re.finditer(r"\]\(([^)\s#]+\.md)(?:#[^)]*)?\)", text)
    ]


def test_the_home_page_covers_every_section_and_its_reading_paths_keep_prerequisites_first() -> (
    None
):
    """ "What it covers" links every section of the nav; each of the four reading paths links
    existing pages, and no page on a path comes before a prerequisite it lists on that path."""
    home = (DOCS / "index.md").read_text(encoding="utf-8")
    order = _reading_order()
    sections = [uri for uri in order if uri.endswith("/index.md")]
    covered = _links(_section(home, "## What it covers"), "")
    assert [uri for uri in sections if uri not in covered] == []
    assert "in preparation" not in home
    cards = _section(home, "## Start here").split("\n-   **")[1:]
    assert len(cards) == 4, "reading paths: new to deep learning, vision, hardware, modern vision"
    for card in cards:
        path = _links(card, "")
        assert len(path) >= 5 and all(uri in order for uri in path), path
        for i, uri in enumerate(path):
            text = (DOCS / uri).read_text(encoding="utf-8")
            line = next(line for line in text.splitlines() if skeleton.PREREQUISITES in line)
            needs = _links(line, posixpath.dirname(uri))
            late = [need for need in needs if need in path[i + 1 :]]
            assert late == [], f"{card.split('**')[0]}: {uri} comes before its prerequisite {late}"


def test_diagrams_are_what_their_script_draws_and_each_page_shows_its_own() -> None:
    """docs/assets/diagrams/ holds exactly what `python -m sitetools.diagrams` draws, and each
    diagram is shown, with alt text and a caption, at its drawn size, by the page it explains."""
    from sitetools import diagrams

    assert diagrams.check(ROOT) == [], "run: python -m sitetools.diagrams"
    folder = ROOT / diagrams.FOLDER
    assert sorted(p.name for p in folder.glob("*.svg")) == sorted(diagrams.DIAGRAMS)
    shown = {
        "float-formats.svg": "hardware/precision.md",
        "gpu-memory.svg": "hardware/gpus-tpus-and-cuda.md",
        "all-reduce.svg": "hardware/scaling-out.md",
        "conv-window.svg": "vision/convolution-and-pooling.md",
    }
    assert sorted(shown) == sorted(diagrams.DIAGRAMS)
    for name, page in shown.items():
        svg = (folder / name).read_text(encoding="utf-8")
        size = re.search(r'viewBox="0 0 (\d+) (\d+)"', svg)
        assert size is not None and "<title>" in svg, name
        text = (DOCS / page).read_text(encoding="utf-8")
        figure = re.search(
            rf'<figure class="dlcv-diagram" markdown>\n!\[(?P<alt>[^\]]{{40,}})\]'
            rf"\(\.\./assets/diagrams/{re.escape(name)}\)"
            rf'\{{ width="{size[1]}" height="{size[2]}" \}}\n'
            r'<figcaption markdown="span">[^<]{20,}</figcaption>\n</figure>',
            text,
        )
        assert figure is not None, f"docs/{page} does not show {name} with alt text and a caption"
    assert diagrams.main(["--check", "--root", str(ROOT)]) == 0
