"""Every public function and class of `dlcv` names the page that teaches it, on a `See:` line.

The line is the docstring's last, a Markdown link whose text is the page's title and whose
address is relative to the API reference page that renders the docstring
(``docs/reference/<module>.md``)::

    See: [Input pipelines](../vision/input-pipelines.md)

so the reference shows it as a link, and a strict build fails when the page moves. The page
must name what links to it: in its code (``dlcv.make_dataset`` in inline code or a code block,
or a ``from dlcv... import`` line), in a link to the API reference (``[dlcv.scratch.relu][]``),
in a ``[[source ...#section]]`` it embeds (which defines it), or in a snippet it embeds (which
imports it from `dlcv` or reads it off a `dlcv` module). A word in prose does not count:
"evaluate" or "profile" there is rarely dlcv's.
A class that a reader only ever receives (a result, a record inside one) may instead point at
a page that names a public function or class handing it out: one whose return annotation or
field annotation names it.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest
from mkdocs.utils.meta import get_data

import dlcv
import dlcv.scratch
from sitetools import markup

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
SEE_LINE = re.compile(r"^\s*See:")
SEE_LINK = re.compile(r"^\s*See: \[(?P<title>[^\]]+)\]\(\.\./(?P<page>[\w-]+(?:/[\w-]+)*\.md)\)$")
# `dlcv.data.make_dataset`, `scratch.dense`: every part after the first is a name shown.
QUALIFIED = re.compile(r"\b(?:dlcv|scratch)(?P<rest>(?:\.\w+)+)")
FROM_IMPORT = re.compile(r"\bfrom dlcv(?:\.\w+)* import (?P<names>[\w, ()]+)")
# A link to the API reference by identifier (mkdocs-autorefs): `[dlcv.scratch.relu][]` or
# `[text][dlcv.data.make_dataset]`.
AUTOREF = re.compile(r"\]\[(?P<id>dlcv(?:\.\w+)+)\]|\[(?P<bare>dlcv(?:\.\w+)+)\]\[\]")


def _public() -> dict[str, object]:
    """Qualified name → object, for each public function and class (constants have no
    docstring of their own)."""
    found = {f"dlcv.{name}": getattr(dlcv, name) for name in dlcv.__all__}
    found |= {f"dlcv.scratch.{name}": getattr(dlcv.scratch, name) for name in dlcv.scratch.__all__}
    return {
        name: obj for name, obj in found.items() if inspect.isfunction(obj) or inspect.isclass(obj)
    }


PUBLIC = _public()


def _short(qualified: str) -> str:
    return qualified.rsplit(".", 1)[-1]


def _see_lines(obj: object) -> list[str]:
    # The object's own docstring: `inspect.getdoc` would hand a class without one its base's.
    doc = inspect.cleandoc(getattr(obj, "__doc__", None) or "")
    return [line for line in doc.splitlines() if SEE_LINE.match(line)]


def _title(page: str) -> str | None:
    _, meta = get_data((DOCS / page).read_text(encoding="utf-8"))
    return meta.get("title")


def check_see_line(line: str) -> tuple[str | None, list[str]]:
    """The page a `See:` line points at (a path under docs/), and what is wrong with it."""
    match = SEE_LINK.match(line)
    if match is None:
        return None, [
            f"write it as `See: [Page title](../section/page.md)`, a link relative to "
            f"docs/reference/; got {line.strip()!r}"
        ]
    page = match["page"]
    if page.startswith("reference/"):
        return page, ["point at the page that teaches it, not at the API reference"]
    if not (DOCS / page).is_file():
        return page, [f"docs/{page} does not exist"]
    title = _title(page)
    if match["title"] != title:
        return page, [f"the link text must be the page's title, {title!r}"]
    return page, []


def names_in_program(source: str) -> set[str]:
    """The names a Python program takes from `dlcv`: imported from it, or read off a module
    of it (``dlcv.train``, ``scratch.dense`` after ``from dlcv import scratch``)."""
    tree = ast.parse(source)
    modules: set[str] = set()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "dlcv" or alias.name.startswith("dlcv."):
                    modules.add(alias.asname or "dlcv")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "dlcv":
            for alias in node.names:
                names.add(alias.name)
                modules.add(alias.asname or alias.name)  # it may be a module: `scratch`
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            base = node.value
            while isinstance(base, ast.Attribute):
                base = base.value
            if isinstance(base, ast.Name) and base.id in modules:
                names.add(node.attr)
    return names


def _code_of(markdown: str) -> list[str]:
    """The code in a page's Markdown: inline code, code blocks, links to the API reference,
    embedded `dlcv` source, and the code of any Markdown file it includes."""
    lines = markdown.splitlines()
    code: list[str] = []
    for index, prose in markup._outside_code(lines):
        line = lines[index]
        if not prose:
            code.append(line)
            continue
        embed = markup.EMBED_RE.match(line)
        if embed and embed["kind"] == "include":
            code += _code_of((ROOT / embed["target"]).read_text(encoding="utf-8"))
        elif embed and embed["kind"] == "source":
            source = (ROOT / embed["target"]).read_text(encoding="utf-8")
            code.append(markup.extract_section(source, embed["section"], where=embed["target"]))
        else:
            code += [match["code"] for match in markup.INLINE_CODE_RE.finditer(line)]
            code += [match["id"] or match["bare"] for match in AUTOREF.finditer(line)]
    return code


def names_on_page(markdown: str) -> set[str]:
    """The `dlcv` names a page shows: qualified in its code or in a link to the API reference,
    imported in a code block, defined in a `dlcv` source section it embeds, or used by a
    snippet it embeds."""
    names: set[str] = set()
    for code in _code_of(markdown):
        for match in QUALIFIED.finditer(code):
            names.update(match["rest"].split(".")[1:])
        for match in FROM_IMPORT.finditer(code):
            names.update(re.findall(r"\w+", match["names"]))
        names.update(re.findall(r"^\s*(?:def|class) (\w+)", code, flags=re.MULTILINE))
    for snippet in markup.snippet_embeds(markdown):
        names |= names_in_program((ROOT / "snippets" / snippet).read_text(encoding="utf-8"))
    return names


def _annotations(obj: object) -> list[str]:
    """The annotations through which `obj` hands out values: a function's return
    annotation, a class's field annotations (strings: dlcv postpones them)."""
    if inspect.isfunction(obj):
        return [str(inspect.signature(obj).return_annotation)]
    if inspect.isclass(obj):
        return [str(value) for value in inspect.get_annotations(obj).values()]
    return []


def handed_out_by(name: str) -> set[str]:
    """`name` and the public names that hand it out, directly or through one another."""
    found = {name}
    changed = True
    while changed:
        changed = False
        for other, obj in PUBLIC.items():
            if other in found:
                continue
            text = " ".join(_annotations(obj))
            if any(re.search(rf"\b{re.escape(_short(n))}\b", text) for n in found):
                found.add(other)
                changed = True
    return found


def test_every_public_function_and_class_has_one_see_line_last() -> None:
    problems = []
    for name, obj in PUBLIC.items():
        lines = _see_lines(obj)
        if len(lines) != 1:
            problems.append(
                f"{name}: {len(lines)} `See:` lines; give it one, naming the page that teaches it"
            )
        elif inspect.cleandoc(obj.__doc__ or "").splitlines()[-1] != lines[0]:
            problems.append(f"{name}: make the `See:` line the docstring's last")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_see_line_points_at_a_page_that_names_it(name: str) -> None:
    lines = _see_lines(PUBLIC[name])
    if len(lines) != 1:
        pytest.skip("test_every_public_function_and_class_has_one_see_line_last says why")
    page, problems = check_see_line(lines[0])
    assert not problems, f"{name}: {'; '.join(problems)}"
    assert page is not None
    shown = names_on_page((DOCS / page).read_text(encoding="utf-8"))
    givers = handed_out_by(name) if inspect.isclass(PUBLIC[name]) else {name}
    others = sorted(givers - {name})
    assert {_short(n) for n in givers} & shown, (
        f"{name}: docs/{page} does not name it in its code or in the snippets it embeds"
        + (f" (nor {', '.join(others)}, which hand it out)" if others else "")
        + "; point its `See:` line at the page that uses it, or name it there"
    )


def _source_see_lines() -> list[tuple[str, str]]:
    """(file:line, line) for each `See:` line in dlcv's source, private modules included."""
    found = []
    for path in sorted((ROOT / "dlcv").rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if SEE_LINE.match(line):
                found.append((f"{path.relative_to(ROOT).as_posix()}:{number}", line))
    return found


def test_every_see_line_in_dlcv_is_a_link_to_a_page() -> None:
    lines = _source_see_lines()
    assert lines  # the scan reads the package
    problems = [
        f"{where}: {problem}" for where, line in lines for problem in check_see_line(line)[1]
    ]
    assert not problems, "\n".join(problems)


def test_see_checks_catch_what_they_are_for() -> None:
    assert check_see_line("See: docs/vision/input-pipelines.md")[1]
    assert check_see_line("See: [Input pipelines](../vision/no-such-page.md)")[1]
    assert check_see_line("See: [Pipelines](../vision/input-pipelines.md)")[1]
    assert check_see_line("See: [dlcv.data](../reference/data.md)")[1]
    assert check_see_line("See: [README](../../README.md)")[1]
    assert check_see_line("    See: [Input pipelines](../vision/input-pipelines.md)") == (
        "vision/input-pipelines.md",
        [],
    )
    # Prose, or a name used without `dlcv`, is not the page naming it.
    assert names_on_page("We train and `evaluate` a model.\n") == set()
    assert names_on_page("```python\nfrom dlcv.data import make_dataset\n```\n") >= {"make_dataset"}
    assert names_in_program("def profile(): pass\nprofile()\n") == set()
    assert names_in_program(
        "import dlcv\nfrom dlcv import scratch as s\ndlcv.data.make_dataset(); s.dense()\n"
    ) == {"data", "dense", "make_dataset", "scratch"}
    assert names_on_page("Call `dlcv.train`, [the probe][dlcv.probing.fit_linear_probe].\n") == {
        "train",
        "probing",
        "fit_linear_probe",
    }
    assert "dlcv.run_benchmarks" in handed_out_by("dlcv.BenchReport")
    assert "dlcv.receptive_field" in handed_out_by("dlcv.ReceptiveFieldStep")
