// Accessibility fixes to Material's behaviour; tests/test_browser.py runs axe-core on every page.

// A wide formula or table scrolls sideways; a keyboard reader can scroll it only if it can take
// focus (axe rule scrollable-region-focusable), as Material already does for code blocks.
// Formulas are rendered at build time (sitetools/katex.py); KaTeX's fonts can still widen them.
function focusScrollable() {
  for (const el of document.querySelectorAll(
    ".md-typeset div.arithmatex, .md-typeset__scrollwrap, " +
      ".jupyter-wrapper .highlight-ipynb, .jupyter-wrapper .jp-OutputArea-output pre",
  )) {
    if (el.scrollWidth > el.clientWidth) el.setAttribute("tabindex", "0");
    else el.removeAttribute("tabindex");
  }
}
document$.subscribe(() => {
  focusScrollable();
  document.fonts.ready.then(focusScrollable); // KaTeX's fonts widen a formula once they load
});
window.addEventListener("resize", focusScrollable);

// Material holds each code block's copy button in a <nav>, so a page with several code blocks has
// several unnamed navigation landmarks (axe rule landmark-unique), none of which navigates.
new MutationObserver(() => {
  for (const nav of document.querySelectorAll("nav.md-code__nav:not([role])")) {
    nav.setAttribute("role", "none");
  }
}).observe(document.body, { childList: true, subtree: true });
