// Notebook pages (docs/notebooks/, rendered by mkdocs-jupyter) keep the maths of their
// markdown cells and Markdown outputs (`optimizer.explain`) as text, $…$ inline and $$…$$
// displayed; typeset it with the vendored KaTeX, as site.js does for the other pages. Only
// rendered Markdown is touched (code and printed outputs may hold dollar signs that are not
// maths).
document.addEventListener("DOMContentLoaded", function () {
  var MATH = /\$\$([\s\S]+?)\$\$|\$([^$]+?)\$/g;     // inline maths may span a soft line break
  document.querySelectorAll(".jp-RenderedMarkdown").forEach(function (cell) {
    var walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    var nodes = [];
    while (walker.nextNode()) {
      if (walker.currentNode.nodeValue.indexOf("$") >= 0 && !walker.currentNode.parentNode.closest("code, pre")) {
        nodes.push(walker.currentNode);
      }
    }
    nodes.forEach(function (node) {
      var text = node.nodeValue, last = 0, pieces = document.createDocumentFragment(), match;
      MATH.lastIndex = 0;
      while ((match = MATH.exec(text)) !== null) {
        pieces.appendChild(document.createTextNode(text.slice(last, match.index)));
        var display = match[1] !== undefined;
        var holder = document.createElement(display ? "div" : "span");
        holder.className = "notebook-math";
        try {
          katex.render(display ? match[1] : match[2], holder,
                       { displayMode: display, throwOnError: true, strict: "error" });
        } catch (error) {
          holder.textContent = match[0];
          console.error("KaTeX could not typeset " + JSON.stringify(match[0]) + ": " + error.message);
        }
        pieces.appendChild(holder);
        last = MATH.lastIndex;
      }
      pieces.appendChild(document.createTextNode(text.slice(last)));
      node.parentNode.replaceChild(pieces, node);
    });
  });
});
