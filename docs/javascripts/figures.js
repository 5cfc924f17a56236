// A snippet's figure is a link to its PNG file (sitetools/markup.py, figure_html). This script
// opens it large in a modal <dialog> instead, on the page: a click, or Enter on the focused link.
// Escape, the close button or a click beside the image closes it, and focus returns to the
// figure's link. Without the script, or with a modified click (new tab), the link opens the file.
// The enlarged image is as wide as the window allows, up to its own pixel width; on a narrow
// screen at least half its pixel width (sharp on a phone's 2x or 3x screen), scrolling sideways,
// so that its text reads at the size it has on a desktop. tests/site/test_browser.py opens one
// with Enter and closes it with Escape.
(() => {
  let dialog;
  let opener = null;

  function build() {
    dialog = document.createElement("dialog");
    dialog.className = "dlcv-lightbox";
    const close = document.createElement("button");
    close.type = "button";
    close.className = "dlcv-lightbox__close";
    close.setAttribute("aria-label", "Close the enlarged figure");
    close.textContent = "×";
    const figure = document.createElement("figure");
    figure.append(document.createElement("img"), document.createElement("figcaption"));
    dialog.append(close, figure);
    close.addEventListener("click", () => dialog.close());
    // A click on the backdrop or the margin around the figure, not on the figure itself.
    dialog.addEventListener("click", (event) => {
      if (event.target === dialog) dialog.close();
    });
    dialog.addEventListener("close", () => {
      if (opener) opener.focus();
      opener = null;
    });
    document.body.append(dialog);
  }

  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a.dlcv-zoom");
    if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
    const small = link.querySelector("img");
    if (!small) return;
    event.preventDefault();
    if (!dialog) build();
    const big = dialog.querySelector("img");
    const natural = small.naturalWidth || Number(small.getAttribute("width")) || 0;
    const room = document.documentElement.clientWidth - 32;
    big.src = small.currentSrc || small.src;
    big.alt = small.alt;
    if (natural) big.style.width = `${Math.max(Math.min(natural, room), natural / 2)}px`;
    const caption = link.closest("figure")?.querySelector("figcaption")?.textContent ?? "";
    dialog.querySelector("figcaption").textContent = caption;
    dialog.setAttribute("aria-label", caption || "Enlarged figure");
    opener = link;
    dialog.showModal();
  });
})();
