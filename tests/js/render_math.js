// Render every formula of the given Markdown files with KaTeX and with MathJax 3, as a Markdown
// site (remark-math, MkDocs arithmatex) or Jupyter would: `$$ … $$` blocks and `$ … $` inline,
// outside code. Prints one JSON object: {"formulas": n, "errors": [{file, renderer, tex, message}]}.
// Any TeX error counts, and so does text that leaks through as source (\ensuremath, \text, \_).
"use strict";
const fs = require("fs");
const katex = require("katex");
const { mathjax } = require("mathjax-full/js/mathjax.js");
const { TeX } = require("mathjax-full/js/input/tex.js");
const { liteAdaptor } = require("mathjax-full/js/adaptors/liteAdaptor.js");
const { RegisterHTMLHandler } = require("mathjax-full/js/handlers/html.js");
const { STATE } = require("mathjax-full/js/core/MathItem.js");
const { SerializedMmlVisitor } = require("mathjax-full/js/core/MmlTree/SerializedMmlVisitor.js");
require("mathjax-full/js/input/tex/base/BaseConfiguration.js");
require("mathjax-full/js/input/tex/ams/AmsConfiguration.js");
require("mathjax-full/js/input/tex/newcommand/NewcommandConfiguration.js");

RegisterHTMLHandler(liteAdaptor());
// No "noundefined" package: an unknown command is an error, not red text on the page.
const tex = new TeX({
  packages: ["base", "ams", "newcommand"],
  formatError: (jax, err) => {
    throw err;
  },
});
const page = mathjax.document("", { InputJax: tex });
const mml = new SerializedMmlVisitor();

// Source that must never reach a reader: commands shown as text instead of typeset.
const LEAKS = [/\\ensuremath/, /\\text\b/, /\\_/, /\\mathsf/, /&#40;|&#41;|&#91;|&#93;/];

function formulas(markdown) {
  const found = [];
  const text = markdown.replace(/^(```|~~~)[\s\S]*?^\1/gm, "").replace(/`[^`\n]*`/g, "");
  const pattern = /\$\$([\s\S]+?)\$\$|(?<![\\$])\$(?!\$)((?:\\\$|[^$])+?)\$/g;
  let match;
  while ((match = pattern.exec(text)) !== null) {
    if (match[1] !== undefined) found.push({ tex: match[1].trim(), display: true });
    else found.push({ tex: match[2].trim(), display: false });
  }
  return found;
}

function leaks(output) {
  return LEAKS.filter((re) => re.test(output)).map(String);
}

const errors = [];
let count = 0;
for (const file of process.argv.slice(2)) {
  for (const { tex: source, display } of formulas(fs.readFileSync(file, "utf8"))) {
    count += 1;
    const fail = (renderer, message) => errors.push({ file, renderer, tex: source, message });
    try {
      const out = katex.renderToString(source, {
        displayMode: display,
        throwOnError: true,
        strict: "error",
        output: "mathml",
      });
      const leaked = leaks(out.replace(/<annotation[\s\S]*?<\/annotation>/g, ""));
      if (leaked.length) fail("katex", "source shown as text: " + leaked.join(", "));
    } catch (err) {
      fail("katex", String(err.message || err));
    }
    try {
      const node = page.convert(source, { display, end: STATE.CONVERT });
      const leaked = leaks(mml.visitTree(node));
      if (leaked.length) fail("mathjax", "source shown as text: " + leaked.join(", "));
    } catch (err) {
      fail("mathjax", String(err.message || err));
    }
  }
}
process.stdout.write(JSON.stringify({ formulas: count, errors }) + "\n");
