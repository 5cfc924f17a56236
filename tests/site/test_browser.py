"""The built site in a real browser: search, copy, palette, math, images, console, network, axe.

One check reads the built HTML instead: no page's scripts or stylesheets come from another host.

Playwright drives the system's headless Chromium (`/usr/bin/chromium`, or the binary that
`DLCV_CHROMIUM` names); it downloads no browser. Without Chromium these tests fail, as they must
in CI, unless `DLCV_SKIP_BROWSER=1` says to skip them. The site is built once into a temporary
folder (or taken from `DLCV_SITE_DIR`, a site built already) and served on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from sitetools import markup, notebooks
from sitetools.serve import serve

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("DLCV_CHROMIUM", "/usr/bin/chromium")
# As root Chromium needs --no-sandbox; the rest keep it from calling Google's services, which a
# closed network refuses (noise), and which no test wants.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TPU_PAGE = "hardware/gpus-tpus-and-cuda/"
TPU_SNIPPET = "hardware/gpus-tpus-and-cuda/matmul_throughput.py"  # embedded whole, first on page
MATH_PAGE = "fundamentals/how-networks-learn/"
# Axe in the dark scheme too: the home page, a page with code, math and figures, the bibliography.
DARK_PAGES = ["", MATH_PAGE, "research/bibliography/"]
# Its visit also enlarges its first figure from the keyboard (docs/javascripts/figures.js).
ZOOM_PAGE = MATH_PAGE


def _site_pages() -> list[str]:
    """Every page's path under the site root, from docs/ (each page there is in the nav)."""
    pages = []
    for md in sorted((ROOT / "docs").rglob("*.md")):
        rel = md.relative_to(ROOT / "docs").as_posix()
        if rel.startswith("assets/"):
            continue
        pages.append(markup.page_url(rel))
    # Walkthrough notebooks are pages too, rendered by mkdocs-jupyter from docs/<section>/*.py.
    pages += [
        markup.page_url(source.relative_to(ROOT / "docs").as_posix())
        for source in notebooks.sources(ROOT)
    ]
    return [*sorted(pages), "404.html"]


PAGES = _site_pages()


@dataclasses.dataclass
class Visit:
    """What one page load at 1280 px showed: console, network, images, math, axe's findings,
    the snippet code blocks that scroll sideways and how notebook output lines wrap."""

    errors: list[str]
    requests: list[str]
    images: list[dict[str, Any]]
    math: dict[str, int]
    violations: list[dict[str, Any]]
    wide: list[dict[str, Any]]
    # white-space, word-break and overflow-wrap of each notebook text output
    output_wrapping: list[str]
    # each snippet image: its file, pixel and shown widths, and the caption under it
    figures: list[dict[str, Any]]
    # the first figure enlarged from the keyboard and closed again (ZOOM_PAGE only, else None)
    zoom: dict[str, Any] | None


@pytest.fixture(scope="session")
def site_dir(request: pytest.FixtureRequest) -> Path:
    if prebuilt := os.environ.get("DLCV_SITE_DIR"):
        return Path(prebuilt)
    built: Path = request.getfixturevalue("built_site")  # one build for the whole session
    return built


@pytest.fixture(scope="session")
def site_url(site_dir: Path) -> Iterator[str]:
    # Under the path of the configured site_url, as GitHub Pages serves it: MkDocs's 404 page
    # links its assets by that absolute path.
    configured = (
        os.environ.get("DLCV_SITE_URL", "").strip()
        or yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))["site_url"]
    )
    base = urlsplit(configured.rstrip("/") + "/").path
    with serve(site_dir, base=base) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    missing = None
    if shutil.which(CHROMIUM) is None:
        missing = f"no Chromium at {CHROMIUM} (apt-get install chromium, or set DLCV_CHROMIUM)"
    elif not AXE.is_file():
        missing = f"no axe-core at {AXE.relative_to(ROOT)} (run `make setup`, which runs npm ci)"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing = "Playwright is not installed (run `make setup`)"
    if missing:
        if os.environ.get("DLCV_SKIP_BROWSER") == "1":
            pytest.skip(f"browser tests skipped (DLCV_SKIP_BROWSER=1): {missing}")
        pytest.fail(f"browser tests need {missing}; DLCV_SKIP_BROWSER=1 skips them", pytrace=False)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _listen(page: Any, report: Callable[[str], None]) -> None:
    page.on("console", lambda m: m.type == "error" and report(f"console: {m.text}"))
    page.on("pageerror", lambda e: report(f"uncaught: {e}"))
    page.on("requestfailed", lambda r: report(f"request failed: {r.url} {r.failure}"))
    page.on("response", lambda r: r.status >= 400 and report(f"HTTP {r.status}: {r.url}"))


# Scroll each image into view (in case it loads lazily), wait until it settles, report its size.
# Then back to the top, and wait until the page is still: scrolling makes Material's header swap
# the site name and the page title with a fade, and axe, run mid-fade, measures the half-faded
# name's contrast (it did, once the visits got faster). The scroll events land on the next frames.
_IMAGES_JS = """async () => {
  const out = [];
  for (const img of document.images) {
    img.scrollIntoView();
    if (!img.complete) await new Promise(r => { img.onload = img.onerror = r; });
    out.push({src: img.currentSrc || img.src, width: img.naturalWidth});
  }
  window.scrollTo(0, 0);
  const frame = () => new Promise(r => requestAnimationFrame(r));
  await frame();
  await frame();
  const deadline = performance.now() + 3000;
  while (document.getAnimations().some(a => a.playState === "running")
         && performance.now() < deadline) await frame();
  return out;
}"""
_MATH_JS = """() => ({
  marked: document.querySelectorAll(".arithmatex").length,
  unrendered: [...document.querySelectorAll(".arithmatex")]
    .filter(el => !el.querySelector(".katex")).length,
  katex: document.querySelectorAll(".katex").length,
  errors: document.querySelectorAll(".katex-error").length,
})"""
_AXE_JS = """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
  .map(v => ({id: v.id, impact: v.impact, help: v.help,
              targets: v.nodes.map(n => n.target.join(" "))}))"""


# Every page that embeds a snippet; at this width Material shows both sidebars beside the column.
SNIPPET_PAGES = sorted(
    markup.page_url(md.relative_to(ROOT / "docs").as_posix())
    for md in (ROOT / "docs").rglob("*.md")
    if markup.snippet_embeds(md.read_text(encoding="utf-8"))
)
_WIDE_BLOCKS_JS = """() => {
  for (const details of document.querySelectorAll(".dlcv-snippet details")) details.open = true;
  return [...document.querySelectorAll(".dlcv-snippet .highlight")]
    .filter(block => (block.querySelector(".filename")?.textContent ?? "").startsWith("snippets/"))
    .map(block => {
      const code = block.querySelector("pre > code");
      return {title: block.querySelector(".filename").textContent,
              scroll: code.scrollWidth, client: code.clientWidth};
    })
    .filter(block => block.client === 0 || block.scroll > block.client);
}"""


_OUTPUT_WRAPPING_JS = """() => [...document.querySelectorAll(".jp-OutputArea-output pre")]
  .map(pre => getComputedStyle(pre))
  .map(style => `${style.whiteSpace} ${style.wordBreak} ${style.overflowWrap}`)"""


# Every snippet image, after _IMAGES_JS has loaded them all.
_FIGURES_JS = """() => [...document.querySelectorAll(".dlcv-snippet img")].map(img => {
  const caption = img.closest("figure.dlcv-figure")?.querySelector("figcaption");
  return {src: img.currentSrc || img.src, natural: img.naturalWidth,
          shown: img.getBoundingClientRect().width,
          linked: img.closest("a.dlcv-zoom")?.href === (img.currentSrc || img.src),
          caption: caption ? caption.textContent : null,
          captionShown: !!caption && caption.getBoundingClientRect().height > 0
            && getComputedStyle(caption).visibility === "visible"};
})"""
_LIGHTBOX_JS = """() => {
  const dialog = document.querySelector("dialog.dlcv-lightbox");
  const img = dialog?.querySelector("img");
  return {open: !!dialog?.open, src: img ? img.currentSrc || img.src : null,
          width: img ? img.getBoundingClientRect().width : 0,
          caption: dialog?.querySelector("figcaption")?.textContent ?? null,
          focusInside: !!dialog && dialog.contains(document.activeElement),
          focusOnFigure: document.activeElement === document.querySelector("a.dlcv-zoom")};
}"""


def _zoom(page: Any) -> dict[str, Any] | None:
    """Enlarge the page's first figure with Enter on its focused link, then close it with
    Escape: what the enlarged view showed, and where focus went after each key."""
    link = page.locator("a.dlcv-zoom").first
    if link.count() == 0:
        return None
    link.focus()
    page.keyboard.press("Enter")
    opened = page.evaluate(_LIGHTBOX_JS)
    page.keyboard.press("Escape")
    return {"opened": opened, "closed": page.evaluate(_LIGHTBOX_JS)}


# The two widths the pages are checked at: a desktop, and a phone (375 px).
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}


class Tab:
    """One browser tab at 1280 px that visits page after page, as a reader clicking through the
    site does: the renderer process, the scripts it has compiled and the HTTP cache carry over.

    A fresh context and tab for each page cost about three times the CPU time (starting a
    renderer, compiling Material's bundle and axe-core again), the largest part of this file's.
    What each visit reports is its own: the console, network and error listeners write to the
    current visit's lists, which every visit starts empty. A script or stylesheet that a later
    page takes from the cache was requested, and checked, on the first page that used it.

    axe-core comes in as an init script, which every page of the tab evaluates before its own
    scripts: V8 compiles it once for the tab. Inserted into each page after it loaded (a
    ``<script>`` of 500 kB), it was compiled again on every page, and the visits took about a
    quarter longer. It makes no request and writes nothing to the console or the page."""

    def __init__(self, browser: Any) -> None:
        self.context = browser.new_context(viewport=DESKTOP)
        self.context.add_init_script(path=str(AXE))
        self.errors: list[str] = []
        self.requests: list[str] = []
        # Workers (Material's search) request through the context, not the page.
        self.context.on("request", lambda r: self.requests.append(r.url))
        self.page = self.context.new_page()
        _listen(self.page, lambda text: self.errors.append(text))

    def visit(self, url: str, *, color_scheme: str = "light", zoom: bool = False) -> Visit:
        """Load `url` in the given color scheme and report what it showed."""
        page = self.page
        page.emulate_media(color_scheme=color_scheme)
        self.errors, self.requests = [], []
        page.goto(url, wait_until="load")
        page.evaluate("document.fonts.ready.then(() => true)")
        # docs/javascripts/a11y.js marks scrollable regions focusable once the page is idle.
        page.wait_for_selector("html[data-dlcv-a11y=ready]", state="attached", timeout=15_000)
        scheme = page.locator("body").get_attribute("data-md-color-scheme")
        expected = {"light": "default", "dark": "slate"}[color_scheme]
        assert scheme == expected, f"{url}: shown in the {scheme} scheme, not {expected}"
        images = page.evaluate(_IMAGES_JS)
        figures = page.evaluate(_FIGURES_JS)
        math = page.evaluate(_MATH_JS)
        violations = page.evaluate(_AXE_JS)
        # After axe, which saw the page as it loaded. On one page only: it costs about 0.4 s.
        zoomed = _zoom(page) if zoom else None
        output_wrapping = page.evaluate(_OUTPUT_WRAPPING_JS)
        wide = page.evaluate(_WIDE_BLOCKS_JS)  # last: it opens the expanders axe saw closed
        return Visit(
            self.errors,
            self.requests,
            images,
            math,
            violations,
            wide,
            output_wrapping,
            figures,
            zoomed,
        )

    @contextlib.contextmanager
    def phone(self) -> Iterator[Any]:
        """The tab at 375 px wide, a phone's width, for the length of a `with` block (what it
        loads there is reported to no visit)."""
        self.errors, self.requests = [], []
        self.page.emulate_media(color_scheme="light")
        self.page.set_viewport_size(PHONE)
        try:
            yield self.page
        finally:
            self.page.set_viewport_size(DESKTOP)

    def close(self) -> None:
        self.context.close()


@pytest.fixture(scope="session")
def tab(browser: Any) -> Iterator[Tab]:
    opened = Tab(browser)
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def visit(tab: Tab, site_url: str) -> Callable[[str], Visit]:
    """Load each page once, in the light scheme, and keep what it showed for every test."""
    cache: dict[str, Visit] = {}

    def get(page: str) -> Visit:
        if page not in cache:
            cache[page] = tab.visit(site_url + page, zoom=page == ZOOM_PAGE)
        return cache[page]

    return get


def _axe_report(page: str, violations: list[dict[str, Any]]) -> str:
    lines = [f"axe-core: {len(violations)} rule(s) violated on /{page}"]
    for v in violations:
        targets = ", ".join(v["targets"][:5]) + (" …" if len(v["targets"]) > 5 else "")
        lines.append(f"  {v['id']} ({v['impact']}): {v['help']} — {targets}")
    return "\n".join(lines)


# --- every page -----------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
def test_console_shows_no_errors(visit: Callable[[str], Visit], page: str) -> None:
    assert visit(page).errors == [], f"/{page}: " + "\n".join(visit(page).errors)


@pytest.mark.parametrize("page", PAGES)
def test_no_request_leaves_127_0_0_1(visit: Callable[[str], Visit], page: str) -> None:
    requests = visit(page).requests
    assert requests, f"/{page}: no request recorded at all"
    outside = [u for u in requests if urlsplit(u).hostname != "127.0.0.1"]
    assert outside == [], f"/{page} requested other hosts: {outside}"


@pytest.mark.parametrize("page", PAGES)
def test_no_script_or_stylesheet_comes_from_another_host(site_dir: Path, page: str) -> None:
    """What a page could load, not only what one visit did: a script that imports from a CDN
    only when the page has a diagram (nbconvert's Mermaid) requests nothing on most loads."""
    path = site_dir / page if page.endswith(".html") else site_dir / page / "index.html"
    found = notebooks.third_party_assets(path.read_text(encoding="utf-8"))
    assert found == [], f"/{page} loads code or styles from other hosts: {found}"


@pytest.mark.parametrize("page", PAGES)
def test_every_image_loads(visit: Callable[[str], Visit], page: str) -> None:
    broken = [img["src"] for img in visit(page).images if img["width"] == 0]
    assert broken == [], f"/{page}: images that did not load: {broken}"


@pytest.mark.parametrize("page", PAGES)
def test_every_formula_renders(visit: Callable[[str], Visit], page: str) -> None:
    math = visit(page).math
    assert math["unrendered"] == 0, f"/{page}: {math['unrendered']} formulas left as TeX"
    assert math["errors"] == 0, f"/{page}: KaTeX could not parse {math['errors']} formulas"


@pytest.mark.parametrize("page", PAGES)
def test_axe_finds_no_violations(visit: Callable[[str], Visit], page: str) -> None:
    violations = visit(page).violations
    assert violations == [], _axe_report(page, violations)


@pytest.mark.parametrize("page", DARK_PAGES)
def test_axe_finds_no_violations_in_dark_scheme(tab: Tab, site_url: str, page: str) -> None:
    result = tab.visit(site_url + page, color_scheme="dark")
    assert result.violations == [], _axe_report(page, result.violations)


# --- features -------------------------------------------------------------------------------


_HEADER_NAME_JS = """() => {
  const name = document.querySelector(".md-header__topic:first-child .md-ellipsis");
  return {text: getComputedStyle(name, "::before").content,
          scroll: name.scrollWidth, client: name.clientWidth};
}"""


NOTEBOOK_PAGES = [page for page in PAGES if page.endswith("/walkthrough/")]


@pytest.mark.parametrize("page", NOTEBOOK_PAGES)
def test_notebook_output_lines_are_not_broken_inside_words(
    visit: Callable[[str], Visit], page: str
) -> None:
    """A table a notebook printed keeps its lines: no header split mid-word at any width."""
    styles = visit(page).output_wrapping
    assert styles, f"/{page}: no notebook output found"
    assert set(styles) == {"pre normal normal"}, f"/{page}: output lines wrap: {set(styles)}"


@pytest.fixture(scope="session")
def phone(tab: Tab, site_url: str) -> dict[str, Any]:
    """The home page at 375 px, once: its header's name, and the width of the content column
    (the same on every page at that width: the sidebars are drawers there)."""
    with tab.phone() as page:
        page.goto(site_url, wait_until="load")
        return {
            "header": page.evaluate(_HEADER_NAME_JS),
            "column": page.evaluate("document.querySelector('.md-content__inner').clientWidth"),
        }


def test_the_header_shows_a_name_that_fits_on_a_phone(phone: dict[str, Any]) -> None:
    """At 375 px the full site name was cut to "Deep Learning for C…": the short name shows."""
    header = phone["header"]
    assert header["text"] == '"dlcv"', header
    assert header["scroll"] <= header["client"], f"the short name is cut too: {header}"


# Output tables wider than a phone, whose last column is the one the page's prose asks about.
PHONE_TABLES = [
    ("fundamentals/what-deep-means/", "layer_representations.py", "Separability"),
    ("vision/convolution-and-pooling/", "classic_filters.py", "output range"),
]
# Scroll the snippet's Output block to its right end and report where its row labels are.
_ROW_LABELS_JS = """(name) => {
  const box = [...document.querySelectorAll(".dlcv-snippet")]
    .find(b => b.querySelector(".filename")?.textContent.includes("/" + name));
  const output = [...box.querySelectorAll(".highlight")]
    .find(h => h.querySelector(".filename")?.textContent === "Output");
  const code = output.querySelector("pre > code");
  code.scrollIntoView({block: "center"});
  code.scrollLeft = code.scrollWidth;
  const edge = code.getBoundingClientRect();
  const labels = [...code.querySelectorAll(".dlcv-row-label")].map(label => {
    const r = label.getBoundingClientRect();
    const text = label.textContent.trim();
    const shown = text === "" ||
      label.contains(document.elementFromPoint(r.right - 4, r.top + r.height / 2));
    return {text, inside: r.left >= edge.left - 1 && r.right <= edge.right + 1, shown};
  });
  return {text: code.textContent, scrolled: code.scrollLeft, width: code.clientWidth, labels};
}"""


@pytest.mark.parametrize(("page", "snippet", "column"), PHONE_TABLES)
def test_a_wide_output_table_keeps_its_row_labels_in_view_at_375_px(
    tab: Tab, site_url: str, page: str, snippet: str, column: str
) -> None:
    """Scrolled to the column the prose asks about, each row still shows its first column."""
    with tab.phone() as shown:
        shown.goto(site_url + page, wait_until="load")
        table = shown.evaluate(_ROW_LABELS_JS, snippet)
    assert column in table["text"], f"/{page}: {snippet} no longer prints {column!r}"
    assert table["scrolled"] > 0, f"/{page}: the {snippet} table fits at 375 px: {table}"
    assert len(table["labels"]) >= 4, f"/{page}: no row labels marked in {snippet}: {table}"
    hidden = [
        label["text"] for label in table["labels"] if not label["inside"] or not label["shown"]
    ]
    assert hidden == [], f"/{page}: row labels scrolled out of view or covered: {hidden}"


def test_a_math_page_has_rendered_formulas(visit: Callable[[str], Visit]) -> None:
    # Guards the per-page check above against passing on a site where nothing is marked as math.
    math = visit(MATH_PAGE).math
    assert math["marked"] >= 5 and math["katex"] >= math["marked"], math


SEARCH_INDEX = "/search/search_index.json"


@dataclasses.dataclass
class OpenSearch:
    """The home page with its search box focused and Material's index built, shared by the
    search tests (building the index is most of their time)."""

    page: Any
    requests: list[str]  # every address the page requested, as it goes on
    index_before_focus: list[str]  # requests for the index before the box had focus


@pytest.fixture(scope="module")
def opened_search(browser: Any, site_url: str) -> Iterator[OpenSearch]:
    context = browser.new_context()
    requests: list[str] = []
    # Workers (Material's search) request through the context, not the page.
    context.on("request", lambda r: requests.append(r.url))
    try:
        page = context.new_page()
        page.goto(site_url, wait_until="networkidle")
        before = [url for url in requests if url.endswith(SEARCH_INDEX)]
        page.locator("input.md-search__input").focus()
        page.wait_for_function(
            "() => { const text = document.querySelector('.md-search-result__meta')?.textContent;"
            " return !!text && !text.includes('Initializing'); }",
            timeout=60_000,
        )
        yield OpenSearch(page, requests, before)
    finally:
        context.close()


def _search(page: Any, query: str) -> list[str]:
    """Type `query` into the search box; return the result links' paths under the site, in
    order, once the results are this query's (a link carries its words in ?h= to highlight)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    search = page.locator("input.md-search__input")
    # Material builds the index in a web worker and, right after it reports ready, can still
    # miss a query typed at once (seen in about one load in three): type it again if so.
    for attempt in range(3):
        search.fill("")
        search.press_sequentially(query)
        try:
            page.wait_for_function(
                "q => [...document.querySelectorAll('.md-search-result__item a')].some("
                "a => new URL(a.href).searchParams.get('h') === q)",
                # Typed letter by letter, the box searches for each prefix in turn: wait for
                # the whole query's results (Material's ?h= holds its words, space-separated).
                arg=" ".join(re.split(r"[\s-]+", query.lower())),
                timeout=5_000,
            )
            break
        except PlaywrightTimeoutError:
            if attempt == 2:
                raise
    hrefs = page.locator(".md-search-result__item a.md-search-result__link").evaluate_all(
        "links => links.map(a => a.href)"
    )
    base = urlsplit(page.url).path
    return [urlsplit(href).path.removeprefix(base) for href in hrefs]


def test_search_lists_the_tpu_page(opened_search: OpenSearch) -> None:
    # overrides/main.html holds the index back until the reader opens search.
    assert not opened_search.index_before_focus, "index loaded before search"
    found = _search(opened_search.page, "TPU")
    requests = opened_search.requests
    assert [url for url in requests if url.endswith(SEARCH_INDEX)], "opening search loads the index"
    assert TPU_PAGE in found, f"TPU page not among results: {found}"
    titles = opened_search.page.locator(".md-search-result__item h1").all_inner_texts()
    assert any("TPUs" in t for t in titles), titles


# Thirteen queries and the page each must put first: concept words find the content page that
# explains them, not the bibliography or the API reference (which the front matter of those
# pages ranks lower), and an acronym finds its glossary entry, not a page on activation maps.
FIRST_RESULTS = {
    "resnet": "research/timeline/",
    "ImageNet": "vision/transfer-learning/",
    "fine-tuning": "vision/transfer-learning/",
    "receptive field": "vision/architectures/",
    "conv2d": "vision/convolution-and-pooling/",
    "mAP": "research/glossary/",
    "non-maximum suppression": "vision/object-detection/",
    "bfloat16": "hardware/precision/",
    "backpropagation": "fundamentals/how-networks-learn/",
    "softmax": "fundamentals/how-networks-learn/",
    "batch normalization": "vision/architectures/",
    "AdamW": "fundamentals/optimizers/",
    "attention": "vision/attention/",
}


def test_search_puts_the_page_that_explains_a_word_first(opened_search: OpenSearch) -> None:
    found = {query: _search(opened_search.page, query)[:1] for query in FIRST_RESULTS}
    wrong = {q: f"{found[q]}, not {e!r}" for q, e in FIRST_RESULTS.items() if found[q] != [e]}
    assert not wrong, f"first search results: {wrong}"


def test_a_citation_previews_its_entry_on_keyboard_focus(browser: Any, site_url: str) -> None:
    page = browser.new_page()
    try:
        page.goto(site_url + MATH_PAGE, wait_until="networkidle")
        link = page.locator(".dlcv-cite a").first
        target = (link.get_attribute("href") or "").lstrip("#")
        # The citation leads to the page's own reference list, not the bibliography.
        assert target.startswith("ref-") and page.locator(f"[id='{target}']").count() == 1
        link.focus()
        # docs/javascripts/tooltips.js draws the link's title as a tooltip it describes it by.
        tooltip = page.locator("#dlcv-tooltip")
        tooltip.wait_for(state="visible", timeout=5_000)
        assert link.get_attribute("aria-describedby") == "dlcv-tooltip"
        text = tooltip.inner_text()
        assert re.search(r"\(\d{4}[a-z]?\)\. \S", text), f"no author (year). title: {text!r}"
        # Escape hides the tooltip and gives the link its title back.
        page.keyboard.press("Escape")
        tooltip.wait_for(state="hidden", timeout=5_000)
        assert link.get_attribute("title") and link.get_attribute("aria-describedby") is None
    finally:
        page.close()


def test_copy_button_puts_the_snippet_code_on_the_clipboard(browser: Any, site_url: str) -> None:
    source = (ROOT / "snippets" / TPU_SNIPPET).read_text(encoding="utf-8")
    expected = markup.extract_section(source, None, where=TPU_SNIPPET)
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    try:
        page = context.new_page()
        page.goto(site_url + TPU_PAGE, wait_until="load")
        block = page.locator(".dlcv-snippet .highlight", has_text=f"snippets/{TPU_SNIPPET}")
        block.first.hover()
        button = block.first.locator("button[data-md-type='copy']")
        button.click()
        copied = page.evaluate("navigator.clipboard.readText()")
    finally:
        context.close()
    assert copied.rstrip("\n") == expected, "the clipboard does not hold the snippet's code"


def test_palette_toggle_switches_and_is_remembered(browser: Any, site_url: str) -> None:
    context = browser.new_context(color_scheme="light")
    try:
        page = context.new_page()
        page.goto(site_url, wait_until="load")

        def scheme() -> str:
            return str(page.locator("body").get_attribute("data-md-color-scheme"))

        def background() -> str:
            return str(page.evaluate("getComputedStyle(document.body).backgroundColor"))

        assert scheme() == "default"
        light = background()
        # The toggle cycles system → light → dark: at most two clicks reach dark.
        for _ in range(2):
            if scheme() == "slate":
                break
            page.locator("form[data-dlcv-palette] label:visible").click()
        assert scheme() == "slate"
        assert background() != light, "the scheme changed but the page did not"
        page.reload(wait_until="load")
        assert scheme() == "slate", "the dark scheme was forgotten on reload"
        assert re.search(r"slate", page.evaluate("JSON.stringify(localStorage)"))
    finally:
        context.close()


@pytest.mark.parametrize("page", SNIPPET_PAGES)
def test_snippet_code_fits_the_column_at_1280_px(visit: Callable[[str], Visit], page: str) -> None:
    """Snippets use 88-character lines (snippets/ruff.toml): a reader reads them without
    scrolling sideways, the whole programs in their expanders too."""
    wide = visit(page).wide
    assert wide == [], f"/{page}: code blocks that scroll sideways at 1280 px: {wide}"


# Pages whose snippets save a figure: each must show at least one.
FIGURE_PAGES = sorted(
    markup.page_url(md.relative_to(ROOT / "docs").as_posix())
    for md in (ROOT / "docs").rglob("*.md")
    if any(
        "save_figure(" in (ROOT / "snippets" / name).read_text(encoding="utf-8")
        for name in markup.snippet_embeds(md.read_text(encoding="utf-8"))
    )
)
# The smallest text in a figure, in CSS pixels as shown in the column: at least this on a
# desktop (1280 px) and on a phone (375 px), where a tap enlarges it further (figures.js).
DESKTOP_TEXT_PX = 12.0
PHONE_TEXT_PX = 8.0
CAPTION_CHARACTERS = 80


@pytest.mark.parametrize(
    ("pages", "at_least"),
    [(SNIPPET_PAGES, 1), (NOTEBOOK_PAGES, 4), (FIGURE_PAGES, 10)],
    ids=["snippet", "notebook", "figure"],
)
def test_the_page_lists_the_visits_run_over_are_found(pages: list[str], at_least: int) -> None:
    """A list found short means pages were missed, and an empty one would skip its tests
    without a word: the tests over each list check nothing until this passes."""
    assert len(pages) >= at_least, pages


def _smallest_font_px(site_dir: Path, site_url: str, src: str) -> float | None:
    """The em size of a figure's smallest text in its own pixels, which dlcv.plot.save_figure
    stores in the PNG; None for a figure without text."""
    from PIL import Image

    relative = urlsplit(src).path.removeprefix(urlsplit(site_url).path)
    with Image.open(site_dir / relative) as image:
        value = image.info.get("dlcv:smallest-font-px")
    return None if value is None else float(value)


@pytest.mark.parametrize("page", FIGURE_PAGES)
def test_figures_have_a_short_visible_caption_and_link_to_their_file(
    visit: Callable[[str], Visit], page: str
) -> None:
    figures = visit(page).figures
    assert figures, f"/{page}: its snippets save figures, but it shows none"
    for figure in figures:
        where = f"/{page}: {figure['src'].rsplit('/', 1)[-1]}"
        assert figure["caption"], f"{where} has no caption"
        assert figure["captionShown"], f"{where}: its caption is not visible"
        assert len(figure["caption"]) <= CAPTION_CHARACTERS, f"{where}: caption too long"
        assert figure["linked"], f"{where} does not link to its file (to be enlarged)"


@pytest.mark.parametrize("page", FIGURE_PAGES)
def test_figure_text_is_at_least_12_px_on_a_desktop_and_8_on_a_phone(
    visit: Callable[[str], Visit],
    phone: dict[str, Any],
    site_dir: Path,
    site_url: str,
    page: str,
) -> None:
    """A figure is scaled to the column: its smallest text, as the browser shows it, from the
    size save_figure recorded, the PNG's width and the width it is shown at (measured here at
    1280 px; at 375 px, the phone's column width, measured on the home page)."""
    small = []
    for figure in visit(page).figures:
        font = _smallest_font_px(site_dir, site_url, figure["src"])
        if font is None:
            continue
        desktop = font * figure["shown"] / figure["natural"]
        on_phone = font * min(figure["natural"], phone["column"]) / figure["natural"]
        if desktop < DESKTOP_TEXT_PX or on_phone < PHONE_TEXT_PX:
            name = figure["src"].rsplit("/", 1)[-1]
            small.append(f"{name}: {desktop:.1f} px at 1280 px, {on_phone:.1f} px at 375 px")
    assert not small, f"/{page}: figure text too small to read:\n" + "\n".join(small)


def test_a_figure_enlarges_with_enter_and_closes_with_escape(
    visit: Callable[[str], Visit],
) -> None:
    """Every figure has the same link and script: one page's first figure stands for all."""
    zoom = visit(ZOOM_PAGE).zoom
    assert zoom is not None, f"/{ZOOM_PAGE}: no figure link to enlarge"
    first = visit(ZOOM_PAGE).figures[0]
    opened, closed = zoom["opened"], zoom["closed"]
    assert opened["open"] and opened["src"] == first["src"], opened
    assert opened["width"] > first["shown"], "the enlarged figure is no larger"
    assert opened["caption"] == first["caption"] and opened["focusInside"], opened
    assert not closed["open"] and closed["focusOnFigure"], f"after Escape: {closed}"


# Each text element of a diagram and the smallest box around its start, as Chromium lays them out.
_DIAGRAM_OVERFLOW_JS = """() => {
  const boxes = [...document.querySelectorAll("rect")].map(r => r.getBBox())
    .filter(b => b.width < document.documentElement.viewBox.baseVal.width);
  const out = [];
  for (const text of document.querySelectorAll("text")) {
    const t = text.getBBox();
    const start = {x: t.x + 1, y: t.y + t.height / 2};
    const around = boxes.filter(b => b.x <= start.x && start.x <= b.x + b.width
                                  && b.y <= start.y && start.y <= b.y + b.height)
      .sort((a, b) => a.width * a.height - b.width * b.height)[0];
    if (around && t.x + t.width > around.x + around.width + 0.5) {
      out.push(`'${text.textContent}' ends at x=${(t.x + t.width).toFixed(1)}, its box at `
               + `x=${(around.x + around.width).toFixed(1)}`);
    }
  }
  return out;
}"""


@pytest.mark.parametrize(
    "name", sorted(p.name for p in (ROOT / "docs/assets/diagrams").glob("*.svg"))
)
def test_diagram_text_stays_inside_its_box(browser: Any, name: str) -> None:
    """Chromium lays each label out in the fonts this machine has for the SVG's font list; a
    wide fallback (DejaVu Sans on Linux) once drew 'shared memory' past its box."""
    page = browser.new_page()
    try:
        page.goto((ROOT / "docs/assets/diagrams" / name).as_uri())
        overflowing = page.evaluate(_DIAGRAM_OVERFLOW_JS)
    finally:
        page.close()
    assert overflowing == [], f"{name}: " + "; ".join(overflowing)
