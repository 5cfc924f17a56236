"""The Zensical comparison finds what differs between two builds of the site."""

from __future__ import annotations

from pathlib import Path

import pytest

from sitetools.zensical_report import compare_sites, format_report, main


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
    diffs, only = compare_sites(ours, theirs)
    assert [d.page for d in diffs] == ["a/index.html", "index.html"]  # least similar first
    assert diffs[0].raw_markup == 2 and diffs[0].images == (1, 0)
    assert diffs[1].similarity == 1.0 and diffs[1].raw_markup == 0
    assert only == ["MkDocs only: b/index.html"]
    assert "1 match" in format_report(diffs, only)
    assert main([str(ours), str(theirs)]) == 0
    assert "| a/index.html |" in capsys.readouterr().out


def test_missing_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(NotADirectoryError, match="`zensical_site` must be a built site folder"):
        compare_sites(tmp_path, tmp_path / "nope")
