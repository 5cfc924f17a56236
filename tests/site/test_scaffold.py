"""`make new-page` writes a page that passes the site's checks untouched, and refuses bad input.

The end-to-end tests work on a copy of the repository in a temporary folder, so the real
mkdocs.yml, docs/ and snippets/ are never touched.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from sitetools import page_notebooks, scaffold, skeleton, snippets

ROOT = Path(__file__).resolve().parents[2]
SECTION, TITLE, SLUG = "fundamentals", "Batch normalization", "batch-normalization"
PAGE_URI = f"{SECTION}/{SLUG}.md"
SNIPPET = f"{SECTION}/{SLUG}/{scaffold.SNIPPET_NAME}"
COPIED_DIRS = ("docs", "snippets", "notebooks", "sitetools", "dlcv", "tests", "overrides")
COPIED_FILES = ("mkdocs.yml", "pyproject.toml", "requirements.lock", "README.md", "CONTRIBUTING.md")
ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}


def _run(*args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=ENV
    )


def _seed_snippet_cache(copy: Path) -> None:
    """Give every existing snippet in ``copy`` a cached result: the build reads results and runs
    none (the new page's snippet gets its own in test_new_snippet_runs_fresh, before the build).

    The cache key hashes the snippet, the dlcv modules it loads and the lock file; a result
    under the current key is reused as is. A snippet whose current result is not cached (a dlcv
    module it loads changed since the last build) gets its newest cached result: this test is
    about the new page, and the other pages' outputs are checked by test_pages and test_site
    against a real run.
    """
    source = ROOT / ".cache" / "snippets"
    target = copy / ".cache" / "snippets"
    target.mkdir(parents=True)
    newest: dict[str, tuple[float, Path]] = {}
    entries = sorted(source.iterdir()) if source.is_dir() else []
    for entry in entries:
        record = entry / "result.json"
        if not record.is_file():
            continue
        name = json.loads(record.read_text(encoding="utf-8")).get("name", "")
        mtime = record.stat().st_mtime
        if name and (name not in newest or mtime > newest[name][0]):
            newest[name] = (mtime, entry)
    # Entries are named by what they depend on, so the copy's unchanged snippets find theirs.
    if source.is_dir():
        snippets.merge(target, [source])
    keys = snippets.CacheKeys(copy, target)
    for path in snippets.discover(copy):
        name = keys.name(path)
        key = keys.key(path)
        if key is not None and not (target / key / "result.json").is_file() and name in newest:
            shutil.copytree(newest[name][1], target / key)


@pytest.fixture(scope="module")
def repo_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the repository (no .venv or site) with its snippet cache seeded."""
    copy = tmp_path_factory.mktemp("repo")
    ignore = shutil.ignore_patterns("__pycache__", ".pytest_cache")
    for folder in COPIED_DIRS:
        shutil.copytree(ROOT / folder, copy / folder, ignore=ignore)
    for name in COPIED_FILES:
        if (ROOT / name).is_file():
            shutil.copy2(ROOT / name, copy / name)
    _seed_snippet_cache(copy)
    # The build renders formulas with the KaTeX that `make setup` installed (sitetools/katex.py).
    if (ROOT / "node_modules").is_dir():
        (copy / "node_modules").symlink_to(ROOT / "node_modules", target_is_directory=True)
    # Executed notebooks are cached by content (sitetools.hooks keys the folder on dlcv and the
    # lock), so the copy can reuse what this checkout's builds have run.
    notebooks_cache = ROOT / ".cache" / "notebooks"
    if notebooks_cache.is_dir():
        shutil.copytree(notebooks_cache, copy / ".cache" / "notebooks")
    return copy


@pytest.fixture(scope="module")
def scaffolded(repo_copy: Path) -> Path:
    """The copy after `python -m sitetools.scaffold fundamentals "Batch normalization"`."""
    before = (repo_copy / "mkdocs.yml").read_text(encoding="utf-8")
    proc = _run("-m", "sitetools.scaffold", SECTION, TITLE, "--root", str(repo_copy), cwd=repo_copy)
    assert proc.returncode == 0, proc.stderr
    assert f"created docs/{PAGE_URI}" in proc.stdout
    (repo_copy / "mkdocs.yml.before").write_text(before, encoding="utf-8")
    return repo_copy


def test_scaffold_writes_page_snippet_and_one_nav_line(scaffolded: Path) -> None:
    page = (scaffolded / "docs" / PAGE_URI).read_text(encoding="utf-8")
    assert page.startswith("---\ntitle: Batch normalization\ndescription: ")
    assert "\n# Batch normalization\n" in page
    assert f"\n[[snippet {SNIPPET}]]\n" in page
    assert "[@lecun2015]" in page
    assert page.rstrip().endswith("## References\n\n[[references]]")
    # The skeleton of a content page: the box after the title, the end sections before the
    # references, and the page read just before it as the placeholder prerequisite.
    assert '\n# Batch normalization\n\n!!! abstract "Before you start"\n' in page
    assert "**Prerequisites:** [Generalization](generalization.md), " in page
    assert page.index("## Key takeaways") < page.index("## Exercises") < page.index("## Refer")
    assert (scaffolded / "snippets" / SNIPPET).is_file()
    # ...and the page's notebook, which the checks require committed and up to date.
    assert (scaffolded / "notebooks" / SECTION / f"{SLUG}.ipynb").is_file()
    assert page_notebooks.out_of_date(scaffolded) == []

    before = (scaffolded / "mkdocs.yml.before").read_text(encoding="utf-8").splitlines()
    after = (scaffolded / "mkdocs.yml").read_text(encoding="utf-8").splitlines()
    added = [line for line in after if line not in before]
    assert added == [f"      - Batch normalization: {PAGE_URI}"]
    # Only one line is added, everything else (comments, layout) is kept.
    assert [line for line in after if line not in added] == before
    # ...at the end of the section's list.
    nav = yaml.safe_load("\n".join(after[after.index("nav:") :]))["nav"]
    fundamentals = next(
        item[key] for item in nav if isinstance(item, dict) for key in item if key == "Fundamentals"
    )
    assert fundamentals[0] == f"{SECTION}/index.md"
    assert fundamentals[-1] == {"Batch normalization": PAGE_URI}


def test_new_snippet_runs_fresh(scaffolded: Path) -> None:
    proc = _run(
        "-m",
        "sitetools.snippets",
        "run",
        "--fresh",
        "--root",
        str(scaffolded),
        f"{SECTION}/{SLUG}",
        cwd=scaffolded,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 passed, 0 failed" in proc.stdout


def test_new_page_passes_page_checks(scaffolded: Path) -> None:
    page_id = f"docs/{PAGE_URI}"
    checks = [
        f"tests/site/test_pages.py::test_page_has_front_matter_with_title_and_description[{page_id}]",
        f"tests/site/test_pages.py::test_python_fences_are_tested_in_place[{page_id}]",
        "tests/site/test_pages.py::test_every_snippet_is_embedded_by_its_own_page",
        f"tests/site/test_pages.py::test_embeds_and_citations_resolve[{page_id}]",
        f"tests/site/test_pages.py::test_content_page_follows_the_skeleton[{page_id}]",
        "tests/site/test_page_notebooks.py::test_committed_notebooks_are_up_to_date",
    ]
    proc = _run("-m", "pytest", "-q", "-p", "no:cacheprovider", *checks, cwd=scaffolded)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "6 passed" in proc.stdout


def test_site_builds_strictly_with_new_page(scaffolded: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    proc = _run(
        "-m",
        "mkdocs",
        "build",
        "--strict",
        "-f",
        str(scaffolded / "mkdocs.yml"),
        "-d",
        str(site),
        cwd=scaffolded,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    html = (site / SECTION / SLUG / "index.html").read_text(encoding="utf-8")
    assert "Batch normalization" in html
    assert "output shape: (4, 2)" in html  # what the snippet printed
    assert "dlcv-provenance" in html
    assert 'class="dlcv-ref"' in html  # [[references]] lists the cited entry


def test_preview_reruns_the_page_snippet_and_builds_that_page_alone(
    scaffolded: Path, tmp_path: Path
) -> None:
    """`make snippets PAGE=...`: the edit loop runs the page's snippets afresh, then builds only
    that page (no other page, no bibliography check), and says where it is."""
    site = tmp_path / "preview"
    snippet = scaffolded / "snippets" / SNIPPET
    source = snippet.read_text(encoding="utf-8")
    snippet.write_text(source.replace("print(", 'print("edited:", ', 1), encoding="utf-8")
    try:
        proc = _run(
            "-m", "sitetools.preview", f"{SECTION}/{SLUG}", "--root", str(scaffolded),
            "--site-dir", str(site), cwd=scaffolded,
        )  # fmt: skip
    finally:
        snippet.write_text(source, encoding="utf-8")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "1 passed, 0 failed (1 ran, 0 from cache)" in proc.stdout
    assert f"docs/{PAGE_URI} rebuilt alone in" in proc.stdout
    html = (site / SECTION / SLUG / "index.html").read_text(encoding="utf-8")
    assert "edited:" in html  # the fresh run's output, not the cached one
    assert 'class="dlcv-ref"' in html
    built = sorted(p.parent.relative_to(site).as_posix() for p in site.rglob("index.html"))
    assert built == [f"{SECTION}/{SLUG}"], built
    assert "WARNING" not in proc.stderr, proc.stderr[-3000:]


def test_preview_of_the_home_page_shows_its_gallery(tmp_path: Path) -> None:
    """`make snippets PAGE=index`: the home page runs no snippet of its own, but its gallery
    shows other pages' figures, and the page built alone must still find them."""
    site = tmp_path / "preview"
    proc = _run("-m", "sitetools.preview", "index", "--site-dir", str(site), cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    sources = re.findall(r'<img[^>]*\bsrc="([^"]+)"', (site / "index.html").read_text("utf-8"))
    figures = [src for src in sources if src.startswith("_snippets/")]
    assert figures, "the home page shows no figure from the snippets' runs"
    missing = [src for src in figures if not (site / src).is_file()]
    assert missing == [], f"the preview of the home page lacks {missing}"


def test_preview_names_the_pages_when_the_page_is_unknown(repo_copy: Path) -> None:
    proc = _run("-m", "sitetools.preview", "fundamentals/nope", "--root", str(repo_copy),
                cwd=repo_copy)  # fmt: skip
    assert proc.returncode == 1
    assert "`PAGE` must name a page under docs/" in proc.stderr
    assert "Received: PAGE='fundamentals/nope'" in proc.stderr
    assert "fundamentals/what-deep-means" in proc.stderr


@pytest.fixture
def small_root(tmp_path: Path) -> Path:
    """mkdocs.yml, the bibliography and the existing pages: enough to plan a page."""
    shutil.copy2(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    shutil.copytree(ROOT / "docs", tmp_path / "docs", ignore=shutil.ignore_patterns("assets"))
    (tmp_path / "snippets").mkdir()
    return tmp_path


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize(
    ("section", "title", "match"),
    [
        ("nonsense", "A page", r"`section` must be one of .*fundamentals.*section='nonsense'"),
        ("contributing", "A page", "`section` must be one of"),
        ("", "A page", "`section` must be one of"),
        ("fundamentals", "", "`title` must be a non-empty string"),
        ("fundamentals", "   ", "`title` must be a non-empty string"),
        ("fundamentals", "???", "`title` must contain letters or digits"),
        ("fundamentals", "Two\nlines", "`title` must be one line"),
        ("fundamentals", "Line\u2028separator", "`title` must be one line"),
        ("fundamentals", "Paragraph\u2029separator", "`title` must be one line"),
        ("fundamentals", "x" * 253, "`title` must be at most 80 characters"),
        ("fundamentals", "A" * 81, "`title` must be at most 80 characters"),
        ("fundamentals", "Cites [@nokey]", "`title` must be plain text"),
        ("fundamentals", "Lists [[references]]", "`title` must be plain text"),
        ("fundamentals", "Code `x`", "`title` must be plain text"),
        ("fundamentals", "Raw <b>HTML</b>", "`title` must be plain text"),
        ("fundamentals", "Attributes {: .big}", "`title` must be plain text"),
        ("fundamentals", "Generalization", "names a page that exists"),
    ],
)
def test_refuses_bad_arguments_and_writes_nothing(
    small_root: Path, section: str, title: str, match: str
) -> None:
    before = _tree(small_root)
    with pytest.raises(scaffold.ScaffoldError, match=match):
        scaffold.create_page(small_root, section, title)
    assert _tree(small_root) == before


def test_refuses_existing_snippet_folder_or_nav_entry(small_root: Path) -> None:
    (small_root / "snippets" / "hardware" / "new-idea").mkdir(parents=True)
    with pytest.raises(scaffold.ScaffoldError, match="snippet folder exists"):
        scaffold.create_page(small_root, "hardware", "New idea")
    mkdocs = small_root / "mkdocs.yml"
    mkdocs.write_text(
        mkdocs.read_text(encoding="utf-8") + "  - Orphan: hardware/orphan.md\n", encoding="utf-8"
    )
    with pytest.raises(scaffold.ScaffoldError, match="nav lists already"):
        scaffold.create_page(small_root, "hardware", "Orphan")


def test_command_line_refusal_names_argument_and_sections(small_root: Path) -> None:
    proc = _run("-m", "sitetools.scaffold", "vison", "X", "--root", str(small_root), cwd=ROOT)
    assert proc.returncode == 2
    assert "`section` must be one of" in proc.stderr
    assert "why-deep-learning" in proc.stderr and "vison" in proc.stderr
    assert proc.stdout == ""


def test_slugify_and_quoting() -> None:
    assert scaffold.slugify("Batch normalization") == "batch-normalization"
    assert scaffold.slugify('What "deep" means') == "what-deep-means"
    assert scaffold.slugify("GPUs, CUDA & TPUs") == "gpus-cuda-tpus"
    assert scaffold.slugify("Café au lait") == "cafe-au-lait"


def test_nav_insertion_keeps_comments_and_nesting(tmp_path: Path) -> None:
    text = (
        "site_name: x\n"
        "nav:\n"
        "  - Home: index.md\n"
        "  # a comment that must survive\n"
        "  - Vision:\n"
        "      - vision/index.md\n"
        "      - Group:\n"
        "          - Deep: vision/deep.md\n"
        "\n"
        "  - Other: other.md\n"
        "extra: {}\n"
    )
    (tmp_path / "mkdocs.yml").write_text(text, encoding="utf-8")
    (tmp_path / "docs" / "vision").mkdir(parents=True)
    (tmp_path / "docs" / "research").mkdir()
    (tmp_path / "docs" / "research" / "references.yml").write_text(
        "- key: k1\n  authors: [A B]\n  title: T\n  year: 2000\n", encoding="utf-8"
    )
    plan = scaffold.create_page(tmp_path, "vision", 'Edges: "Sobel"')
    lines = plan.mkdocs_text.splitlines()
    assert lines[lines.index("          - Deep: vision/deep.md") + 1] == (
        '      - "Edges: \\"Sobel\\"": vision/edges-sobel.md'
    )
    assert "  # a comment that must survive" in lines
    nav = yaml.safe_load(plan.mkdocs_text)["nav"]
    assert nav[1]["Vision"][-1] == {'Edges: "Sobel"': "vision/edges-sobel.md"}
    page = (tmp_path / plan.page).read_text(encoding="utf-8")
    meta = yaml.safe_load(page.split("---\n", 2)[1])
    assert meta["title"] == 'Edges: "Sobel"' and meta["description"]
    assert "[@k1]" in page  # the only key there is


def test_only_content_pages_get_the_skeleton(small_root: Path) -> None:
    plan = scaffold.create_page(small_root, "research", "Open problems")
    page = (small_root / plan.page).read_text(encoding="utf-8")
    # The content page read last before it; the bibliography, between them, is not one.
    assert "**Prerequisites:** [Landmark architectures and datasets](timeline.md), " in page
    assert (
        skeleton.problems(
            page,
            page_uri="research/open-problems.md",
            order=skeleton.reading_order(plan.mkdocs_text),
        )
        == []
    )
    plan = scaffold.create_page(small_root, "reference", "dlcv.extra")
    page = (small_root / plan.page).read_text(encoding="utf-8")
    assert "Before you start" not in page and "## Exercises" not in page


def test_a_title_of_80_characters_is_accepted(small_root: Path) -> None:
    title = "Batch normalization " + "x" * 60
    plan = scaffold.create_page(small_root, "hardware", title)
    assert (small_root / plan.page).is_file() and len(title) == scaffold.MAX_TITLE_LENGTH


@pytest.mark.parametrize("title", ["Lists [[references]]", "Line\u2028separator", "x" * 253])
def test_command_line_refuses_bad_titles_and_later_scaffolds_still_work(
    small_root: Path, title: str
) -> None:
    before = _tree(small_root)
    proc = _run("-m", "sitetools.scaffold", "hardware", title, "--root", str(small_root), cwd=ROOT)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "`title` must" in proc.stderr and proc.stdout == ""
    assert _tree(small_root) == before
    proc = _run("-m", "sitetools.scaffold", "hardware", "Fine", "--root", str(small_root), cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert yaml.safe_load((small_root / "mkdocs.yml").read_text(encoding="utf-8"))["nav"]


@pytest.mark.parametrize(
    ("broken", "match"),
    [
        ("nav_line", "mkdocs.yml no longer loads"),
        ("page_text", "the new page would fail the build"),
        ("front_matter", "the front matter, read back"),
    ],
)
def test_what_was_written_is_read_back_and_restored_when_it_does_not_load(
    small_root: Path, monkeypatch: pytest.MonkeyPatch, broken: str, match: str
) -> None:
    """The checks before writing should catch every bad title; if one slips through (a case
    they miss, or a change to the templates), reading the files back still refuses it."""
    plan_page = scaffold.plan_page

    def bad_plan(root: Path, section: str, title: str) -> scaffold.Scaffold:
        plan = plan_page(root, section, title)
        if broken == "nav_line":
            text = plan.mkdocs_text.replace(plan.nav_line, plan.nav_line + ": [unclosed")
        else:
            text = plan.mkdocs_text
        page = plan.page_text
        if broken == "page_text":
            page = page.replace("like this one [@", "like this one [@nokey] [@")
        elif broken == "front_matter":
            page = page.replace("title: Broken", "title: Other")
        return dataclasses.replace(plan, mkdocs_text=text, page_text=page)

    monkeypatch.setattr(scaffold, "plan_page", bad_plan)
    (small_root / "snippets" / "hardware").mkdir()
    before = _tree(small_root)
    folders = sorted(p for p in small_root.rglob("*") if p.is_dir())
    with pytest.raises(scaffold.ScaffoldError, match=match):
        scaffold.create_page(small_root, "hardware", "Broken")
    assert _tree(small_root) == before
    assert sorted(p for p in small_root.rglob("*") if p.is_dir()) == folders
