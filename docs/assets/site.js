// The docs site's own script, served from the site (no CDN):
// - typesets every formula pymdownx.arithmatex marked (<span class="arithmatex">\(…\)</span>
//   inline, <div class="arithmatex">\[…\]</div> displayed) with the vendored KaTeX;
// - makes every figure a link to itself, so a drawing too small to read opens full size.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll(".arithmatex").forEach(function (element) {
    var tex = element.textContent.trim();
    var display = element.tagName === "DIV";
    tex = tex.slice(2, -2);  // drop \( \) or \[ \]
    try {
      katex.render(tex, element, { displayMode: display, throwOnError: true, strict: "error" });
    } catch (error) {
      console.error("KaTeX could not typeset " + JSON.stringify(tex) + ": " + error.message);
    }
  });
  document.querySelectorAll(".rst-content img").forEach(function (image) {
    if (image.closest("a")) return;
    var link = document.createElement("a");
    link.href = image.getAttribute("src");
    link.className = "figure-link";
    link.title = "Open full size";
    image.parentNode.insertBefore(link, image);
    link.appendChild(image);
  });
});
