// Search result snippets without raw TeX: Sphinx builds each snippet from the page's HTML, in
// which MathJax has not run, so "\(\alpha_t\)" would show as source. Drop maths from the snippet.
(function () {
  const MATH = /<(span|div) class="math[^"]*"[^>]*>[\s\S]*?<\/\1>/g;
  function patch() {
    // searchtools.js declares `const Search`: a global binding, but not a property of window
    if (typeof Search === "undefined" || !Search.htmlToText || Search.htmlToText.coursePatched) return;
    const original = Search.htmlToText;
    Search.htmlToText = function (htmlString, anchor) {
      return original.call(this, htmlString.replace(MATH, " … "), anchor);
    };
    Search.htmlToText.coursePatched = true;
  }
  patch();
  document.addEventListener("DOMContentLoaded", patch);
})();
