#!/usr/bin/env node
// Render every markdown cell of Jupyter notebooks the way JupyterLab 4.6 does
// and typeset every formula with MathJax 3, reporting the cells a student
// would see broken.
//
// JupyterLab's pipeline, which this follows: the math is taken out of the
// text first (so that markdown cannot mangle it) and replaced by @@N@@
// placeholders, the rest is rendered by `marked` (16.4, GitHub-flavoured),
// the math is put back into the HTML and MathJax typesets it, skipping
// <code> and <pre>.  Versions are those JupyterLab 4.6.6 bundles (see
// package.json).
//
// Usage: node render_check.js NOTEBOOK.ipynb [...]
// Prints one JSON object per line, {file, cell, kind, detail}, for each
// problem, and exits 1 when there is one (2 on bad usage).  Kinds:
//   math-in-code  math ends up inside a code block or code span: shown raw
//   unbalanced    a `$`/`$$` that opens no formula (or never closes), or a
//                 \begin without its \end: shown as a literal dollar
//   tex-error     MathJax cannot typeset the formula (missing brace, unknown
//                 control sequence, ...)
//   ignored-linebreak  `\\` outside an environment: MathJax 3 ignores it,
//                 so the lines run together
'use strict';

const fs = require('fs');
const { marked } = require('marked');
const { mathjax } = require('mathjax-full/js/mathjax.js');
const { TeX } = require('mathjax-full/js/input/tex.js');
const { liteAdaptor } = require('mathjax-full/js/adaptors/liteAdaptor.js');
const { RegisterHTMLHandler } = require('mathjax-full/js/handlers/html.js');
const { AllPackages } = require('mathjax-full/js/input/tex/AllPackages.js');
const { SerializedMmlVisitor } = require('mathjax-full/js/core/MmlTree/SerializedMmlVisitor.js');
require('mathjax-full/js/util/entities/all.js');

RegisterHTMLHandler(liteAdaptor());
// Every package, as in JupyterLab, but three: 'bussproofs' needs an output
// jax that measures boxes (none here), and 'noundefined' (an unknown macro
// shown in red) and 'noerrors' (the raw TeX shown instead of an error) are
// left out on purpose: both hide a broken formula, what is checked here.
const tex = new TeX({
  packages: AllPackages.filter((name) => !['bussproofs', 'noundefined', 'noerrors'].includes(name)),
  formatError: (jax, error) => { throw error; },
});
const mathDocument = mathjax.document('', { InputJax: tex });
const serializer = new SerializedMmlVisitor();

// Tokens that matter while looking for math, as JupyterLab splits the text:
// dollar delimiters, \begin{..}/\end{..}, escaped characters, braces, line
// breaks (a blank line ends any formula) and existing placeholders.
const SPLIT = /(\$\$?|\\(?:begin|end)\{[a-z]*\*?\}|\\[\\{}$]|[{}]|(?:\n\s*)+|@@\d+@@)/i;

/**
 * Take the math out of markdown text, as JupyterLab does before rendering.
 *
 * Dollars inside inline code spans are not delimiters; a formula that meets a
 * blank line before its closing delimiter is not a formula.
 *
 * @param {string} text the cell's markdown
 * @returns {{text: string, math: string[], unclosed: string[]}} the text with
 *   @@N@@ placeholders, the formulas (with delimiters), and the opening
 *   delimiters that never closed
 */
function removeMath(text) {
  const math = [];
  const unclosed = [];
  // Hide the dollars of code spans (`...`) so that they delimit nothing;
  // tildes are doubled first so the marker ~D cannot be confused with text.
  let hidden = text.replace(/\r\n?/g, '\n').replace(/~/g, '~T')
    .replace(/(^|[^\\])(`+)([^\n]*?[^`\n])\2(?!`)/gm, (whole) => whole.replace(/\$/g, '~D'));
  const blocks = hidden.split(SPLIT);
  let start = null;
  let end = null;
  let last = null;
  let braces = 0;

  const take = (from, to) => {
    const formula = blocks.slice(from, to + 1).join('');
    blocks[from] = '@@' + math.length + '@@';
    for (let k = from + 1; k <= to; k += 1) blocks[k] = '';
    math.push(formula);
  };

  for (let i = 1; i < blocks.length; i += 2) {
    const block = blocks[i];
    if (block.charAt(0) === '@') {
      // Text that looks like a placeholder is kept aside too, so it survives.
      blocks[i] = '@@' + math.length + '@@';
      math.push(block);
    } else if (start !== null) {
      if (block === end) {
        if (braces) {
          last = i;
        } else {
          take(start, i);
          start = end = last = null;
        }
      } else if (/\n.*\n/.test(block)) {
        if (last !== null) {
          take(start, last);
          i = last;
        } else {
          unclosed.push(blocks[start]);
        }
        start = end = last = null;
        braces = 0;
      } else if (block === '{') {
        braces += 1;
      } else if (block === '}' && braces) {
        braces -= 1;
      }
    } else if (block === '$' || block === '$$') {
      start = i;
      end = block;
      braces = 0;
    } else if (block.slice(1, 6) === 'begin') {
      start = i;
      end = '\\end' + block.slice(6);
      braces = 0;
    }
  }
  if (start !== null) {
    if (last !== null) take(start, last);
    else unclosed.push(blocks[start]);
  }
  hidden = blocks.join('').replace(/~D/g, '$').replace(/~T/g, '~');
  return { text: hidden, math, unclosed };
}

/** Split a formula into its TeX and display mode. */
function unwrap(formula) {
  if (formula.startsWith('$$')) return { source: formula.slice(2, -2), display: true };
  if (formula.startsWith('$')) return { source: formula.slice(1, -1), display: false };
  return { source: formula, display: true }; // \begin{...} ... \end{...}
}

/**
 * Problems of one markdown cell, as {kind, detail} objects.
 *
 * @param {string} source the cell's markdown
 * @returns {{kind: string, detail: string}[]}
 */
function checkCell(source) {
  const problems = [];
  const { text, math, unclosed } = removeMath(source);
  // An unclosed dollar stays in the text and is reported below as a stray
  // one; an unclosed \begin{...} leaves no dollar, so it is reported here.
  for (const delimiter of unclosed.filter((d) => !d.startsWith('$'))) {
    problems.push({ kind: 'unbalanced', detail: `${delimiter} opens a formula that never closes` });
  }
  // Escaped dollars are literal dollars, wanted: keep them apart from stray ones.
  const html = marked.parse(text.replace(/\\\$/g, '@@ESCAPED-DOLLAR@@'), { async: false });

  // Walk the HTML: where does each placeholder land, and is there any dollar
  // left in the text outside code (one that opened nothing)?
  const tokens = html.split(/(<\/?(?:code|pre)\b[^>]*>|@@\d+@@)/i);
  let inCode = 0;
  for (let i = 0; i < tokens.length; i += 1) {
    const token = tokens[i];
    if (i % 2 === 1) {
      if (/^<(code|pre)\b/i.test(token)) inCode += 1;
      else if (/^<\//.test(token)) inCode = Math.max(0, inCode - 1);
      else if (inCode) {
        const index = Number(token.slice(2, -2));
        problems.push({ kind: 'math-in-code', detail: `shown raw in a code block: ${math[index]}` });
      }
    } else if (!inCode && token.includes('$')) {
      const around = token.replace(/<[^>]*>/g, '').trim().slice(0, 80);
      problems.push({ kind: 'unbalanced', detail: `a stray $ is shown literally: "${around}"` });
    }
  }

  for (const formula of math) {
    if (formula.startsWith('@@')) continue;
    const { source: body, display } = unwrap(formula);
    try {
      const tree = mathDocument.convert(body, { display });
      const mml = serializer.visitTree(tree);
      // MathJax 3 has no line breaking: a top-level \\ becomes an mspace
      // that the output ignores, so the lines run together.
      if (/linebreak="newline"/.test(mml)) {
        problems.push({ kind: 'ignored-linebreak',
                        detail: `\\\\ outside an environment is ignored: ${formula}` });
      }
    } catch (error) {
      problems.push({ kind: 'tex-error', detail: `${error.message}: ${formula}` });
    }
  }
  return problems;
}

function main(files) {
  if (!files.length) {
    process.stderr.write('usage: node render_check.js NOTEBOOK.ipynb [...]\n');
    return 2;
  }
  let found = 0;
  for (const file of files) {
    const notebook = JSON.parse(fs.readFileSync(file, 'utf8'));
    notebook.cells.forEach((cell, index) => {
      if (cell.cell_type !== 'markdown') return;
      const source = Array.isArray(cell.source) ? cell.source.join('') : cell.source;
      for (const problem of checkCell(source)) {
        found += 1;
        process.stdout.write(JSON.stringify({ file, cell: index, ...problem }) + '\n');
      }
    });
  }
  return found ? 1 : 0;
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}

module.exports = { removeMath, checkCell };
