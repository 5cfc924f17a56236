// Render the math that pymdownx.arithmatex marks, with the KaTeX copy this site serves itself.
// Only the elements arithmatex wrapped are visited: scanning every text node of a long page
// costs the browser main-thread time on pages that have no math at all.
document$.subscribe(({ body }) => {
  for (const element of body.querySelectorAll(".arithmatex")) {
    renderMathInElement(element, {
      delimiters: [
        { left: "\\(", right: "\\)", display: false },
        { left: "\\[", right: "\\]", display: true },
      ],
      throwOnError: false,
    });
  }
});
