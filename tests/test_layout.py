"""The package layout of DESIGN.md ("Layout: the layers as folders"), checked statically.

Nothing here imports acsim: every module under ``acsim/`` is parsed with :mod:`ast`, so a
broken or heavy module cannot hide a violation. The rules:

* ``size``: no module of ``acsim/`` or ``dashboard/`` is over :data:`MAX_LINES` lines (one concept per file).
* ``layer``: a module imports only its own layer and the layers above it
  (theory <- platform <- abm <- runs <- cli, plots); ``acsim.runs.store`` imports nothing
  of acsim; nothing in acsim imports ``dashboard``.
* ``cycle``: no import cycle among acsim modules, counting the imports that run when a
  module is loaded (module level, including module-level ``if``/``try`` blocks).
* ``lazy``: an acsim module is imported inside a function only when it is in
  :data:`LAZY`, the modules that pull torch/transformers/ray/matplotlib at import time.

Two exceptions, each with its reason: ``acsim.runs.store`` imports nothing of acsim, so
any layer may use it (no upward dependency); the CLI (``acsim.cli.*``, the bottom layer,
imported by nothing) may import lazily to keep ``acsim --help`` fast.

Imports under ``if TYPE_CHECKING:`` never run and are ignored by every rule. Each
failure names the file, the line and the rule.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "acsim"
MAX_LINES = 400

# The layers, top (imported by all) to bottom. A module's layer comes from its folder;
# ``acsim.economics`` is the documented alias of ``acsim.theory.economics``.
LAYER_OF_PREFIX = (
    ("acsim.theory", "theory"),
    ("acsim.economics", "theory"),
    ("acsim.platform", "platform"),
    ("acsim.abm", "abm"),
    ("acsim.runs", "runs"),
    ("acsim.cli", "cli"),
    ("acsim.__main__", "cli"),
    ("acsim.plots", "plots"),
)
FORBIDDEN = {
    "theory": {"platform", "abm", "runs", "cli", "plots"},
    "platform": {"abm", "runs", "cli", "plots"},
    "abm": {"runs", "cli", "plots"},
    "runs": {"cli"},
}
# Modules that import nothing else of acsim (so anything may use them without a cycle).
STANDALONE = {"acsim.runs.store", "acsim.progress"}

# Modules that may be imported inside a function, because loading them loads a heavy
# package (torch, transformers, ray, matplotlib): keeping them lazy keeps `acsim --help`,
# the theory and the Mesa model free of torch. ``test_lazy_list_is_heavy`` keeps this honest.
# The text learners themselves load none (they import these where they train or score), so
# that a scenario's text variants are checked without torch.
LAZY = {
    "acsim.platform.learners._newton",  # torch
    "acsim.platform.learners._optim",  # torch
    "acsim.platform.learners._torch",  # torch
    "acsim.platform.learners.bow_net",  # torch
    "acsim.platform.learners.pretrained",  # torch (+ transformers inside functions)
    "acsim.plots",  # matplotlib
}
HEAVY = {"torch", "transformers", "ray", "matplotlib"}


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    path: Path
    line: int
    target: str  # the imported module (an acsim module where it is one)
    lazy: bool  # inside a function (runs when called, not when the module loads)

    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@lru_cache(maxsize=None)
def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def layer(module: str) -> str | None:
    for prefix, name in LAYER_OF_PREFIX:
        if module == prefix or module.startswith(prefix + "."):
            return name
    return None


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _resolve(source: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = source.split(".") if is_package else source.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _targets(source: str, is_package: bool, node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = _resolve(source, is_package, node)
    known = modules()
    # `from acsim.theory import economics` imports the submodule; `from acsim.theory import
    # Strategy` imports the package.
    return [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]


@lru_cache(maxsize=None)
def imports_of(module: str) -> tuple[Import, ...]:
    path = modules()[module]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    found: list[Import] = []

    def visit(node: ast.AST, lazy: bool) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child, lazy)
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for target in dict.fromkeys(_targets(module, is_package, node)):
                found.append(Import(module, path, node.lineno, target, lazy))
            return
        inner = lazy or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        for child in ast.iter_child_nodes(node):
            visit(child, inner)

    visit(tree, False)
    return tuple(found)


def _dynamic_dashboard_imports(module: str) -> list[str]:
    """``import_module("dashboard...")`` / ``__import__("dashboard...")`` with a literal name."""
    path = modules()[module]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        arg = node.args[0].value
        if name in ("import_module", "__import__") and isinstance(arg, str) and arg.split(".")[0] == "dashboard":
            out.append(f"{path.relative_to(ROOT)}:{node.lineno}: layer: {module} imports {arg!r} dynamically")
    return out


def _check(rule: str, problems: list[str]) -> None:
    if problems:
        pytest.fail(f"{len(problems)} {rule} violation(s) (DESIGN.md, Layout):\n" + "\n".join(problems), pytrace=False)


def test_modules_found() -> None:
    assert {"acsim", "acsim.theory", "acsim.platform", "acsim.abm", "acsim.runs", "acsim.runs.store"} <= set(modules())


def test_module_size() -> None:
    files = {**modules(), **{f"dashboard.{p.stem}": p for p in sorted((ROOT / "dashboard").glob("*.py"))}}
    assert "dashboard.app" in files
    problems = []
    for module, path in files.items():
        n = len(path.read_text(encoding="utf-8").splitlines())
        if n > MAX_LINES:
            problems.append(f"{path.relative_to(ROOT)}:{n}: size: {module} has {n} lines (at most {MAX_LINES})")
    _check("size", problems)


def test_imports_follow_layers() -> None:
    problems = []
    for module in modules():
        own = layer(module)
        for imp in imports_of(module):
            top = imp.target.split(".")[0]
            if top == "dashboard":
                problems.append(f"{imp.where()}: layer: {module} imports {imp.target} (acsim never imports the dashboard)")
            elif top != "acsim":
                continue
            elif module in STANDALONE:
                problems.append(f"{imp.where()}: layer: {module} imports {imp.target} ({module} imports nothing of acsim)")
            elif imp.target in STANDALONE:
                continue  # a leaf that imports nothing of acsim creates no upward dependency (the encoder's cache writes atomically)
            elif layer(imp.target) in FORBIDDEN.get(own, ()):
                problems.append(
                    f"{imp.where()}: layer: {module} ({own}) imports {imp.target} ({layer(imp.target)})"
                    + (" inside a function" if imp.lazy else "")
                )
        problems += _dynamic_dashboard_imports(module)
    _check("layer", problems)


def module_graph() -> nx.DiGraph:
    """acsim module -> acsim module, one edge per module-level import (lines on the edge)."""
    graph = nx.DiGraph()
    known = modules()
    for module in known:
        graph.add_node(module)
        for imp in imports_of(module):
            if not imp.lazy and imp.target in known and imp.target != module:
                if graph.has_edge(module, imp.target):
                    graph[module][imp.target]["lines"].append(imp.line)
                else:
                    graph.add_edge(module, imp.target, lines=[imp.line])
    return graph


def test_no_import_cycles() -> None:
    graph = module_graph()
    problems = []
    known = modules()
    for component in nx.strongly_connected_components(graph):
        if len(component) < 2:
            continue
        cycle = nx.find_cycle(graph.subgraph(component))
        steps = ", ".join(
            f"{known[a].relative_to(ROOT)}:{graph[a][b]['lines'][0]} imports {b}" for a, b in cycle
        )
        members = ", ".join(sorted(component))
        problems.append(f"{known[cycle[0][0]].relative_to(ROOT)}:{graph[cycle[0][0]][cycle[0][1]]['lines'][0]}: "
                        f"cycle: {steps} (modules tied together: {members})")
    _check("cycle", problems)


def test_function_level_imports_only_for_heavy_modules() -> None:
    problems = []
    for module in modules():
        for imp in imports_of(module):
            # The CLI is the bottom layer: nothing imports it, so its lazy imports hide no cycle;
            # they keep `acsim --help` from loading pandas/mesa (startup time, issue 16).
            if module.startswith("acsim.cli"):
                continue
            if imp.lazy and imp.target.split(".")[0] == "acsim" and imp.target not in LAZY:
                problems.append(
                    f"{imp.where()}: lazy: {module} imports {imp.target} inside a function (not in LAZY)"
                )
    _check("lazy", problems)


def _heavy_at_load(module: str, seen: frozenset[str] = frozenset()) -> set[str]:
    """The heavy packages that loading ``module`` loads (module-level imports, followed through acsim)."""
    heavy: set[str] = set()
    for imp in imports_of(module):
        if imp.lazy:
            continue
        top = imp.target.split(".")[0]
        if top in HEAVY:
            heavy.add(top)
        elif imp.target in modules() and imp.target not in seen and imp.target != module:
            heavy |= _heavy_at_load(imp.target, seen | {module})
    return heavy


def test_lazy_list_is_heavy() -> None:
    problems = []
    for module in sorted(LAZY):
        if module not in modules():
            problems.append(f"{module}: lazy: in LAZY but there is no such module")
        elif not _heavy_at_load(module):
            problems.append(f"{module}: lazy: in LAZY but loads none of {', '.join(sorted(HEAVY))} at import")
    _check("lazy-list", problems)
