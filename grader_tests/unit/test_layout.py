"""The engine's layout is its design: floors of subpackages, imports only downwards, no cycle.

Every import of a ``grader`` module counts, also one made inside a function:
a lazy import is still a dependency.  The floors are listed here once and
docs/architecture.md shows them in the same order.
"""

import ast
import os
import pathlib
import re

from grader import ROOT

# Lowest first.  A module may import from its own floor or any lower one.
FLOORS = (
    (
        "base",
        (
            "grader",
            "grader.messages",
            "grader.limits",
            "grader.spec",
            "grader.ids",
            "grader.config",
            "grader.environment",
        ),
    ),
    ("sandbox", ("grader.sandbox",)),
    ("course", ("grader.course",)),
    ("pipeline", ("grader.pipeline",)),
    ("batch", ("grader.batch",)),
    ("pages", ("grader.pages",)),
    ("nbgrader_ext", ("grader.nbgrader_ext",)),
    ("lms", ("grader.lms",)),
    ("entry points", ("grader.cli", "grader.__main__", "grader.hidden")),
)
PACKAGE = pathlib.Path(ROOT) / "grader"


def floor_of(module):
    """The index in :data:`FLOORS` of ``module`` (a dotted name), or None."""
    for index, (_, prefixes) in enumerate(FLOORS):
        if any(module == p or (p != "grader" and module.startswith(p + ".")) for p in prefixes):
            return index
    return None


def modules():
    """``{dotted name: path}`` of every module of the package."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imports(path, known):
    """The package's modules that the module at ``path`` imports (``from grader.x import y``: ``x.y`` if a module)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "grader":
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        out |= {n for n in names if n in known}
    return out


def graph():
    known = modules()
    return {name: imports(path, known) - {name} for name, path in known.items()}


def test_every_module_has_a_floor():
    assert not [m for m in modules() if floor_of(m) is None]


def test_no_import_runs_up_a_floor():
    upward = [f"{m} -> {d}" for m, deps in graph().items() for d in deps if floor_of(d) > floor_of(m)]
    assert not upward, upward


def find_cycle(edges):
    """A cycle of ``edges`` (``{node: set of nodes}``) as a list, or None."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(edges):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_the_import_graph_has_no_cycle():
    # A package imports its own modules only through what its __init__ re-exports: none do.
    edges = {m: {d for d in deps if not m.startswith(d + ".")} for m, deps in graph().items()}
    assert find_cycle(edges) is None, find_cycle(edges)


def test_the_checks_catch_a_cycle_and_an_upward_import():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
    assert floor_of("grader.sandbox.kernel") < floor_of("grader.pipeline.grade") < floor_of("grader.cli")


def test_the_architecture_page_shows_the_floors_in_order():
    with open(os.path.join(ROOT, "docs", "architecture.md"), encoding="utf-8") as f:
        text = f.read()
    table = text[text.index("<!-- floors -->") : text.index("<!-- /floors -->")]
    shown = re.findall(r"^\| (?:\d+) \| ([^|]+?) \|", table, flags=re.M)
    assert shown == [name for name, _ in FLOORS]
