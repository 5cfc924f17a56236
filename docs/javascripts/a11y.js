// Accessibility fixes to Material's behaviour; tests/site/test_browser.py runs axe-core on every page.

// A wide formula or table scrolls sideways; a keyboard reader can scroll it only if it can take
// focus (axe rule scrollable-region-focusable), as Material already does for code blocks.
// Formulas are rendered at build time (sitetools/katex.py); KaTeX's fonts can still widen them.
// All sizes are read first and the attributes written after: a write between two reads would
// make the browser lay the page out again for every element. It runs when the browser is idle,
// after KaTeX's fonts (which widen formulas) are in, so it adds nothing to the page's load.
// A displayed formula out of view is not laid out at all (content-visibility: auto, dlcv.css),
// so its width reads as its box's: each is laid out for this one measurement, then let go.
// When done, <html data-dlcv-a11y="ready"> tells tests/site/test_browser.py it can run axe.
function focusScrollable() {
  const regions = [
    ...document.querySelectorAll(
      ".md-typeset div.arithmatex, .md-typeset__scrollwrap, " +
        ".jupyter-wrapper .highlight-ipynb, .jupyter-wrapper .jp-OutputArea-output pre",
    ),
  ];
  const formulas = regions.filter((el) => el.matches("div.arithmatex"));
  formulas.forEach((el) => (el.style.contentVisibility = "visible"));
  const wide = regions.map((el) => el.scrollWidth > el.clientWidth);
  formulas.forEach((el) => (el.style.contentVisibility = ""));
  regions.forEach((el, i) => {
    if (wide[i]) el.setAttribute("tabindex", "0");
    else el.removeAttribute("tabindex");
  });
  document.documentElement.dataset.dlcvA11y = "ready";
}
const whenIdle = window.requestIdleCallback || ((run) => setTimeout(run, 200));
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
