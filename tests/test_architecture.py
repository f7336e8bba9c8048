"""The code keeps its shape: imports flow one way, and the core names no built-in channel.

Both read the source with `ast`, so a lazy import inside a function counts like one at the
top of a module (it is the same dependency, taken later), while imports only for type
checking (`if TYPE_CHECKING:`) do not.
"""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import REPO

PACKAGES = [REPO / "omnipub", REPO / "channels" / "omnipub_channels"]
BUILT_IN_CHANNELS = {"web", "mobile", "app", "signage"}


def _module(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _imports(path: Path, root: Path, modules: set[str]) -> set[str]:
    """Modules of the package that `path` imports at run time."""
    name = _module(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if _is_type_checking(node):
            return
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in modules else target)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return {m for m in found if m in modules and m != name}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of `graph`, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def walk(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (found := walk(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := walk(node)):
            return found
    return None


def test_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_imports_flow_one_way() -> None:
    for root in PACKAGES:
        files = sorted(root.rglob("*.py"))
        modules = {_module(f, root) for f in files}
        graph = {_module(f, root): _imports(f, root, modules) for f in files}
        assert _cycle(graph) is None, f"import cycle: {' -> '.join(_cycle(graph) or [])}"


def test_core_names_no_built_in_channel() -> None:
    """Only the documented default of `canonical_channel` may name one."""
    named = []
    for path in sorted((REPO / "omnipub").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            text = node.value if isinstance(node, ast.Constant) else None
            if isinstance(text, str) and (text in BUILT_IN_CHANNELS or "playlists/" in text):
                named.append(f"{path.relative_to(REPO)}:{node.lineno}: {text!r}")
    others = [n for n in named if not n.startswith("omnipub/config.py:")]
    assert not others and len(named) <= 1, "\n".join(named)
