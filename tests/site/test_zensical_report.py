"""The Zensical comparison finds what differs between two builds of the site, and Zensical
shows a sample of pages as MkDocs does (when Zensical is installed: the Zensical workflow)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from sitetools.mdext import REFERENCES_FILE as REFERENCES
from sitetools.zensical_report import compare_sites, format_report, main

ROOT = Path(__file__).resolve().parents[2]


def _page(site: Path, uri: str, article: str) -> None:
    path = site / uri
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"<html><nav>menu</nav><article>{article}</article></html>", "utf-8")


def test_report_finds_unexpanded_markup_and_missing_pages(tmp_path: Path, capsys) -> None:
    ours, theirs = tmp_path / "mkdocs", tmp_path / "zensical"
    _page(ours, "index.html", "<h1>Home</h1><p>Same text.</p>")
    _page(theirs, "index.html", "<h1>Home</h1><p>Same text.</p>")
    _page(ours, "a/index.html", "<p>Output: 0.97</p><img src=f.png alt=x>")
    _page(theirs, "a/index.html", "<p>[[snippet a/b.py]] as in [@lecun2015]</p>")
    _page(ours, "b/index.html", "<p>Only here.</p>")
    shown = "<p>Write <code>[[snippet a/b.py]]</code>.</p><pre><code>[@key]</code></pre>"
    _page(ours, "c/index.html", shown)
    _page(theirs, "c/index.html", shown)  # the syntax shown as code is not unexpanded markup
    diffs, only = compare_sites(ours, theirs)
    # Least similar first.
    assert [d.page for d in diffs] == ["a/index.html", "c/index.html", "index.html"]
    assert diffs[0].raw_markup == 2 and diffs[0].images == (1, 0)
    assert all(d.similarity == 1.0 and d.raw_markup == 0 for d in diffs[1:])
    assert only == ["MkDocs only: b/index.html"]
    assert not diffs[0].matches and diffs[1].matches
    report = format_report(diffs, only)
    assert "3 pages in both builds; 2 match" in report
    assert main([str(ours), str(theirs)]) == 0
    out = capsys.readouterr().out
    # Only the page that differs is listed.
    assert "| a/index.html |" in out and "| index.html |" not in out


def test_report_names_what_mkdocs_alone_did_to_a_page(tmp_path: Path) -> None:
    ours, theirs = tmp_path / "mkdocs", tmp_path / "zensical"
    formula = '<span class="katex"><span class="katex-html">x2</span></span>'
    _page(ours, "m/index.html", f"<p>Loss {formula} falls.</p>")
    _page(theirs, "m/index.html", "<p>Loss \\(x^2\\) falls.</p>")
    _page(ours, "api/index.html", '<div class="doc doc-contents first"><p>f(x)</p></div>')
    _page(theirs, "api/index.html", "<p>::: dlcv.f</p>")
    diffs, _ = compare_sites(ours, theirs)
    causes = {d.page: d.causes for d in diffs}
    assert causes == {
        "api/index.html": ("API reference (mkdocstrings)",),
        "m/index.html": ("formulas (KaTeX, an MkDocs hook)",),
    }
    assert "| formulas (KaTeX, an MkDocs hook) |" in format_report(diffs, [])


def test_missing_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(NotADirectoryError, match="`zensical_site` must be a built site folder"):
        compare_sites(tmp_path, tmp_path / "nope")


# Pages with snippets (excerpts, outputs and figures), citations, reference lists and a source
# embed, and nothing that only MkDocs does (formulas, notebooks, mkdocstrings).
SAMPLE = (
    "vision/video.md",
    "vision/data-augmentation.md",
    "fundamentals/layers-of-representations.md",
)


def _sample_project(project: Path) -> Path:
    """A project of the sample pages, their snippets and bibliography entries, dlcv, and the
    repository's snippet cache (linked): the site's configuration without the MkDocs plugins."""
    docs = project / "docs"
    for page in SAMPLE:
        (docs / page).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / "docs" / page, docs / page)
    sample = "".join((docs / page).read_text(encoding="utf-8") for page in SAMPLE)
    entries = yaml.safe_load((ROOT / "docs" / REFERENCES).read_text(encoding="utf-8"))
    (docs / REFERENCES).parent.mkdir(parents=True, exist_ok=True)
    (docs / REFERENCES).write_text(
        yaml.safe_dump([e for e in entries if f"@{e['key']}" in sample]), encoding="utf-8"
    )
    for name in ("requirements.lock", "pyproject.toml", "CHANGELOG.md"):
        shutil.copy2(ROOT / name, project / name)
    for page in SAMPLE:
        folder = Path("snippets", page.removesuffix(".md"))
        shutil.copytree(ROOT / folder, project / folder)
    # A copy: an embed through a link that leads out of the project is refused.
    shutil.copytree(ROOT / "dlcv", project / "dlcv", ignore=shutil.ignore_patterns("__pycache__"))
    (project / ".cache").mkdir()
    (project / ".cache" / "snippets").symlink_to(ROOT / ".cache" / "snippets")
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    config.update(
        site_name="sample",
        hooks=[str(ROOT / "sitetools" / "hooks.py")],
        plugins=[],
        nav=list(SAMPLE),
        site_dir="site-zensical",
    )
    config["theme"]["custom_dir"] = str(ROOT / "overrides")
    config.pop("validation", None)
    (project / "mkdocs.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return project


@pytest.fixture(scope="module")
def sample_builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The sample built by MkDocs and by Zensical, from the snippet results in the cache."""
    pytest.importorskip(
        "zensical",
        reason="Zensical is not in requirements.lock; the Zensical workflow installs it and "
        "runs this test",
    )
    project = _sample_project(tmp_path_factory.mktemp("sample"))
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": path}
    for command in (
        ["mkdocs", "build", "-f", "mkdocs.yml", "-d", "site-mkdocs"],
        ["zensical", "build", "-f", "mkdocs.yml"],
    ):
        proc = subprocess.run(
            [sys.executable, "-m", *command],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=600,
            env=env,
        )
        assert proc.returncode == 0, f"{command[0]}: {proc.stderr[-4000:]}"
    return project / "site-mkdocs", project / "site-zensical"


def test_zensical_shows_the_sample_pages_as_mkdocs_does(sample_builds: tuple[Path, Path]) -> None:
    diffs, _ = compare_sites(*sample_builds)
    pages = {d.page: d for d in diffs}
    for page in SAMPLE:
        diff = pages[page.removesuffix(".md") + "/index.html"]
        assert diff.raw_markup == 0, diff
        assert diff.matches, diff
    text = (sample_builds[1] / "vision/video/index.html").read_text(encoding="utf-8")
    assert "dlcv-provenance" in text and "dlcv-cite" in text
