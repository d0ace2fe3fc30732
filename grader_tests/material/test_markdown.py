"""Every markdown cell renders and every formula typesets, as a student sees them in JupyterLab.

``grader_tests/render/render_check.js`` (node; ``make render-tools`` installs
its pinned marked and MathJax) renders each markdown cell the way JupyterLab
4.6 does and typesets each formula with MathJax 3.  The checker is tested on
deliberately broken cells too, so that a silent checker cannot pass.
"""

import json
import os
import shutil
import subprocess

import nbformat
import pytest

from grader import ROOT

RENDER = os.path.join(ROOT, "grader_tests", "render")
NOTEBOOKS = [
    "source/L1W3/planar_classification.ipynb",
    "notebooks/L1W3/planar_classification.ipynb",
    "source/L1W2/logistic_regression.ipynb",
    "notebooks/L1W2/logistic_regression.ipynb",
]


def _check(*paths):
    """Run the checker; return (exit code, [problem dicts])."""
    node = shutil.which("node")
    assert node, "node 未安装 / node is not installed (Debian: apt-get install nodejs npm)"
    assert os.path.isdir(os.path.join(RENDER, "node_modules", "mathjax-full")), (
        "渲染工具未安装，请运行 make render-tools / the render tools are missing: run make render-tools"
    )
    proc = subprocess.run(
        [node, os.path.join(RENDER, "render_check.js"), *paths], capture_output=True, text=True, timeout=300
    )
    problems = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, problems


def _notebook_with(tmp_path, *markdown):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(text) for text in markdown]
    path = tmp_path / "cells.ipynb"
    nbformat.write(nb, str(path))
    return str(path)


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_every_markdown_cell_renders_and_every_formula_typesets(root, notebook):
    code, problems = _check(os.path.join(root, notebook))
    listing = "\n".join(f"cell {p['cell']}: {p['kind']}: {p['detail']}" for p in problems)
    assert problems == [], "\n" + listing
    assert code == 0


@pytest.mark.parametrize(
    "markdown, kind",
    [
        # Indented after a formula: a code block, where the math shows raw (issue 12's cell 50).
        ("Formulas:\n\n$$\na = b\n$$\n\n    2. then $g'(z) = 1 - a^2$\n", "math-in-code"),
        ("A fenced block:\n\n```\n$x^2$\n```\n", "math-in-code"),
        ("It costs $5 and no formula follows.\n", "unbalanced"),
        ("$$\nx = 1\n", "unbalanced"),
        ("A formula $\\frac{1}{$ that never closes its brace.\n", "tex-error"),
        ("An unknown control sequence $\\fraction{1}{2}$.\n", "tex-error"),
        # \\ at the top level: MathJax 3 ignores it and the lines run together (cell 18).
        ("$$\na = 1 \\\\\nb = 2\n$$\n", "ignored-linebreak"),
    ],
)
def test_a_broken_cell_is_reported(tmp_path, markdown, kind):
    code, problems = _check(_notebook_with(tmp_path, "# fine\n\nText with $x_1$.", markdown))
    assert code == 1
    assert [(p["cell"], p["kind"]) for p in problems] == [(1, kind)], problems


def test_correct_math_code_spans_and_escaped_dollars_pass(tmp_path):
    markdown = (
        "Inline $a^{[1]}$, display\n\n$$\n\\begin{aligned} a &= b \\\\ c &= d \\end{aligned}\n$$\n\n"
        "A code span `print('$5')`, an escaped \\$5, and a list:\n\n"
        "1. first $x$\n2. second\n\n```python\nprice = 5  # no dollar here\n```\n"
    )
    assert _check(_notebook_with(tmp_path, markdown)) == (0, [])
