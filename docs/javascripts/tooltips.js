// Tooltips for acronyms (<abbr title>) and citations (.dlcv-cite a[title]): the expansion or the
// reference-list entry, on hover and on keyboard focus. One tooltip element serves the whole
// page and is filled only when a reader points at or tabs to a term. Material's own
// content.tooltips mounts a tooltip for every titled element when the page loads; on a page with
// 150 of them that was about half a second of main-thread work on a phone (Lighthouse's total
// blocking time; benchmarks/lighthouse.py), so the site uses this instead.
// The title stays in the HTML (assistive technology reads it); while the tooltip shows, it moves
// to data-title so that the browser's own tooltip does not appear on top of ours, and the term is
// described by the tooltip (aria-describedby). Escape hides it. tests/site/test_browser.py
// focuses a citation and reads the tooltip.
(() => {
  const SELECTOR = ".md-typeset abbr[title], .md-typeset .dlcv-cite a[title]";
  let tip = null;
  let current = null;

  function element() {
    if (!tip) {
      tip = document.createElement("div");
      tip.id = "dlcv-tooltip";
      tip.className = "dlcv-tooltip";
      tip.setAttribute("role", "tooltip");
      tip.hidden = true;
      document.body.append(tip);
    }
    return tip;
  }

  function show(target) {
    if (current === target) return;
    hide();
    const text = target.getAttribute("title");
    if (!text) return;
    current = target;
    target.dataset.title = text;
    target.removeAttribute("title");
    target.setAttribute("aria-describedby", "dlcv-tooltip");
    const box = element();
    box.textContent = text;
    box.hidden = false;
    const rect = target.getBoundingClientRect();
    const width = box.offsetWidth;
    const left = Math.max(8, Math.min(rect.left, document.documentElement.clientWidth - width - 8));
    // Below the term, or above it where the window ends below.
    const below = rect.bottom + 6;
    const top = below + box.offsetHeight > window.innerHeight ? rect.top - box.offsetHeight - 6 : below;
    box.style.left = `${left + window.scrollX}px`;
    box.style.top = `${top + window.scrollY}px`;
  }

  function hide() {
    if (!current) return;
    current.setAttribute("title", current.dataset.title || "");
    delete current.dataset.title;
    current.removeAttribute("aria-describedby");
    current = null;
    if (tip) tip.hidden = true;
  }

  const termOf = (event) => (event.target instanceof Element ? event.target.closest(SELECTOR) : null);
  const shown = (event) => (event.target instanceof Element ? event.target.closest("[data-title]") : null);
  document.addEventListener("mouseover", (event) => {
    const term = termOf(event);
    if (term) show(term);
  });
  document.addEventListener("mouseout", (event) => {
    if (current && shown(event) === current && !current.contains(event.relatedTarget)) hide();
  });
  document.addEventListener("focusin", (event) => {
    const term = termOf(event);
    if (term) show(term);
  });
  document.addEventListener("focusout", (event) => {
    if (current && shown(event) === current) hide();
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") hide();
  });
})();
