"""The API reference reads each docstring as the site's build does.

mkdocstrings renders every public docstring of `dlcv` through griffe, with the options in
mkdocs.yml. Here griffe parses them with those same options, statically (no import of
TensorFlow), and the tests check what the reader of the reference then sees.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import griffe
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def _handler_options() -> dict[str, Any]:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    for plugin in config["plugins"]:
        if isinstance(plugin, dict) and "mkdocstrings" in plugin:
            return plugin["mkdocstrings"]["handlers"]["python"]["options"]
    raise AssertionError("mkdocs.yml configures no mkdocstrings plugin")


def _documented(obj: griffe.Object) -> list[griffe.Object]:
    """The object and, recursively, its public members defined in `dlcv`, as rendered."""
    found = [obj]
    for name, member in obj.members.items():
        if name.startswith("_") or member.is_alias:
            continue
        if member.is_module or member.is_class or member.is_function:
            found += _documented(member)
    return found


@pytest.fixture(scope="module")
def documented() -> list[griffe.Object]:
    options = _handler_options()
    package = griffe.load(
        "dlcv",
        search_paths=[str(ROOT)],
        docstring_parser=options["docstring_style"],
        docstring_options=options.get("docstring_options", {}),
    )
    return [obj for obj in _documented(package) if obj.docstring is not None]


def _section_lines(docstring: str, title: str) -> list[str]:
    """The non-blank lines of a docstring's section, such as ``Returns:``."""
    lines = docstring.splitlines()
    try:
        start = lines.index(f"{title}:")
    except ValueError:
        return []
    section = []
    for line in lines[start + 1 :]:
        if not line.strip():
            break
        section.append(line.strip())
    return section


def test_every_public_docstring_is_parsed(documented: list[griffe.Object]) -> None:
    # A guard for the test below: griffe found the package's functions and classes.
    names = {obj.path for obj in documented}
    expected = {"dlcv.segmentation.mask_iou", "dlcv.bench_report.Measurement", "dlcv.scratch.relu"}
    assert expected <= names
    assert len(names) > 100, len(names)


def test_a_returns_section_renders_as_one_value_with_all_its_lines(
    documented: list[griffe.Object],
) -> None:
    """A description wrapped over several lines is one returned value, not one per line."""
    wrong = []
    multi_line = 0
    for obj in documented:
        for section in obj.docstring.parsed:
            if section.kind.value not in ("returns", "yields"):
                continue
            written = _section_lines(obj.docstring.value, section.kind.value.capitalize())
            multi_line += len(written) > 1
            rendered = [item.description for item in section.value]
            words = " ".join(" ".join(rendered).split())
            if len(rendered) != 1 or any(line not in words for line in written):
                wrong.append(f"{obj.path}: {len(rendered)} rendered values for {written}")
    # Dozens of returns sections wrap onto a second line; without them this proves nothing.
    assert multi_line > 20, multi_line
    assert not wrong, "\n".join(wrong)
