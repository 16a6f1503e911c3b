"""mockclaude's modules import each other without circles: a lower module never imports a higher one.

The graph is read from the sources with ``ast`` (nothing is imported): an edge for every import
executed when a module is loaded — at module level, in class bodies, under ``try`` or ``if``.
Not executed, so not edges of that graph: imports inside functions (lazy; they may point up, the
CLI importing the server on demand, say) and under ``if TYPE_CHECKING:`` (annotations only: two
classes that name each other, as a connection and its exchange do, cannot half-import anything).
The few pairs that must not know each other at all, not even lazily or for a type, are listed in
``NEVER``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "mockclaude"

# Circles that are accepted, each with the reason. Keep it empty where possible: a listed circle that
# no longer exists fails the test too, so that the list does not outlive its reason.
ALLOWED: dict[frozenset[str], str] = {}

# (lower, higher): the lower module must not import the higher one at all, not even in a function.
NEVER = [
    ("mockclaude.batches", "mockclaude.app"),  # batches gets the app handed in (batches.BatchHost)
    ("mockclaude.server", "mockclaude.testing"),  # the test helpers wrap the server, not the reverse
    ("mockclaude.inprocess", "mockclaude.server"),
    ("mockclaude.cassette.durable", "mockclaude.cassette.format"),
]
# Modules that import nothing of mockclaude: the floor the others stand on.
LEAVES = ["mockclaude.answers", "mockclaude.inprocess", "mockclaude.cassette.durable"]


def _modules() -> dict[str, tuple[Path, bool]]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        out[".".join(parts)] = (path, is_package)
    return out


MODULES = _modules()


def _type_checking(node: ast.stmt) -> bool:
    if not isinstance(node, ast.If):
        return False
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _statements(body: Iterable[ast.stmt], *, lazy: bool) -> Iterator[ast.stmt]:
    """The statements run when the module loads (``lazy``: every statement, function bodies and
    ``if TYPE_CHECKING:`` blocks too)."""
    for node in body:
        yield node
        if not lazy and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        if not lazy and isinstance(node, ast.If) and _type_checking(node):
            yield from _statements(node.orelse, lazy=lazy)  # the `else:` of TYPE_CHECKING does run
            continue
        for name in ("body", "orelse", "finalbody", "handlers", "cases"):
            inner = getattr(node, name, None)
            if isinstance(inner, list):
                yield from _statements((s for s in inner if isinstance(s, ast.stmt)), lazy=lazy)
                for handler in inner:
                    if isinstance(handler, (ast.ExceptHandler, ast.match_case)):
                        yield from _statements(handler.body, lazy=lazy)


def _imports(module: str, *, lazy: bool) -> set[str]:
    """The mockclaude modules ``module`` imports (``from pkg import sub``: the submodule, not pkg)."""
    path, is_package = MODULES[module]
    out: set[str] = set()
    for node in _statements(ast.parse(path.read_text(encoding="utf-8")).body, lazy=lazy):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                out.add(sub if sub in MODULES else target)
    return {m for m in out if m in MODULES and m != module}


def _cycles(edges: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(frozenset(component))
    return found


def test_no_import_circle_between_modules_at_load_time() -> None:
    edges = {m: _imports(m, lazy=False) for m in MODULES}
    cycles = _cycles(edges)
    unexpected = [sorted(c) for c in cycles if c not in ALLOWED]
    assert not unexpected, f"import circles (move the shared piece down, or import lazily): {unexpected}"
    stale = [sorted(c) for c in ALLOWED if c not in cycles]
    assert not stale, f"ALLOWED lists circles that are gone: {stale}"


def test_lower_modules_never_import_the_higher_ones() -> None:
    for lower, higher in NEVER:
        assert higher not in _imports(lower, lazy=True), f"{lower} imports {higher}"
    for leaf in LEAVES:
        assert _imports(leaf, lazy=True) == set(), f"{leaf} should import nothing of mockclaude"


def test_the_graph_reader_sees_circles() -> None:
    # The checker itself: circles found; function-local and type-only imports told apart.
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [frozenset({"a", "b", "c"})]
    assert "mockclaude.app" in _imports("mockclaude.cli", lazy=True)
    assert "mockclaude.app" not in _imports("mockclaude.cli", lazy=False)
    assert "mockclaude.server" not in _imports("mockclaude.testing", lazy=False)  # under TYPE_CHECKING
    assert "mockclaude.server" in _imports("mockclaude.testing", lazy=True)
    assert "mockclaude.answers" in _imports("mockclaude.testing", lazy=False)
