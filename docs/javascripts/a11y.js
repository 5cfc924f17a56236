// Accessibility fixes to Material's behaviour; tests/site/test_browser.py runs axe-core on every page.

// A wide formula or table scrolls sideways; a keyboard reader can scroll it only if it can take
// focus (axe rule scrollable-region-focusable), as Material already does for code blocks.
// Formulas are rendered at build time (sitetools/katex.py); KaTeX's fonts can still widen them.
// It runs when the browser is idle, after KaTeX's fonts (which widen formulas) are in, in small
// batches, each in an idle period of its own: measuring lays a formula out, and all of a math
// page's formulas at once made one task long enough to delay a tap (Lighthouse's total blocking
// time). Within a batch, all sizes are read first and the attributes written after: a write
// between two reads would make the browser lay the page out again for every element.
// A displayed formula out of view is not laid out at all (content-visibility: auto, dlcv.css),
// so its width reads as its box's: each is laid out for this one measurement, then let go.
// When every batch is done, <html data-dlcv-a11y="ready"> tells tests/site/test_browser.py it can
// run axe.
const BATCH = 8;
const whenIdle = window.requestIdleCallback || ((run) => setTimeout(run, 200));
let pass = 0;

function markBatch(regions) {
  const formulas = regions.filter((el) => el.matches("div.arithmatex"));
  formulas.forEach((el) => (el.style.contentVisibility = "visible"));
  const wide = regions.map((el) => el.scrollWidth > el.clientWidth);
  formulas.forEach((el) => (el.style.contentVisibility = ""));
  regions.forEach((el, i) => {
    if (wide[i]) el.setAttribute("tabindex", "0");
    else el.removeAttribute("tabindex");
  });
}

function focusScrollable() {
  const regions = [
    ...document.querySelectorAll(
      ".md-typeset div.arithmatex, .md-typeset__scrollwrap, " +
        ".jupyter-wrapper .highlight-ipynb, .jupyter-wrapper .jp-OutputArea-output pre",
    ),
  ];
  const mine = ++pass; // a newer pass (after a resize) replaces this one
  delete document.documentElement.dataset.dlcvA11y;
  const next = (start) => {
    if (mine !== pass) return;
    if (start >= regions.length) {
      document.documentElement.dataset.dlcvA11y = "ready";
      return;
    }
    markBatch(regions.slice(start, start + BATCH));
    whenIdle(() => next(start + BATCH), { timeout: 500 });
  };
  next(0);
}
document$.subscribe(() => {
  document.fonts.ready.then(() => whenIdle(focusScrollable, { timeout: 2000 }));
});
window.addEventListener("resize", () => whenIdle(focusScrollable, { timeout: 500 }));

// Material holds each code block's copy button in a <nav>, so a page with several code blocks has
// several unnamed navigation landmarks (axe rule landmark-unique), none of which navigates.
new MutationObserver(() => {
  for (const nav of document.querySelectorAll("nav.md-code__nav:not([role])")) {
    nav.setAttribute("role", "none");
  }
}).observe(document.body, { childList: true, subtree: true });
