"""Imports run one way: from web/ and cli/ down to core/, with no circles.

The ranks below are the architecture (docs/architecture.md): a module may import
from its own folder and from folders of a lower rank, never from a higher one,
and no chain of imports (at any depth, inside functions too) leads back to where
it started.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "widget_server"

# Lower ranks are imported by higher ones, never the other way.
RANKS = {
    "core": 0,
    "rotation": 1,
    "storage": 2,
    "network": 3,
    "serving": 4,
    "counting": 5,
    "mail": 6,
    "demo": 7,
    "web": 8,
    "cli": 9,
}
# Modules at the package's top level that are not a part of the system.
TOP_LEVEL = {"widget_server", "widget_server.__main__"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """Every widget_server module this module imports, resolved to a module name."""
    tree = ast.parse(path.read_text("utf-8"))
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            # `from package import module` imports the module itself
            targets = [
                f"{target}.{a.name}" if f"{target}.{a.name}" in known else target
                for a in node.names
            ]
        else:
            continue
        found |= {t for t in targets if t in known and t != name}
    return found


def part_of(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and name not in TOP_LEVEL else None


def graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    return {name: imports_of(name, path, known) for name, path in mods.items()}


def test_every_part_of_the_package_has_a_rank() -> None:
    parts = {part_of(name) for name in modules()} - {None}
    assert parts <= set(RANKS), f"folders without a rank in RANKS: {sorted(parts - set(RANKS))}"


def test_no_module_imports_from_a_higher_part() -> None:
    upward = []
    for name, deps in graph().items():
        own = part_of(name)
        for dep in deps:
            target = part_of(dep)
            if own is None or target is None or own == target:
                continue
            if RANKS[target] > RANKS[own]:
                upward.append(f"{name} -> {dep}")
    assert not upward, "imports against the direction core <- ... <- web, cli:\n" + "\n".join(
        sorted(upward)
    )


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle in the graph, or None (iterative depth-first search)."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for start in sorted(edges):
        if state.get(start):
            continue
        path = [start]
        stack = [iter(sorted(edges[start]))]
        state[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            elif not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(edges[nxt])))
    return None


def test_no_import_cycles_between_modules() -> None:
    cycle = find_cycle(graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


@pytest.mark.parametrize(
    ("edges", "has_cycle"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, False),
        ({"a": {"b"}, "b": {"a"}}, True),
        ({"a": {"b", "c"}, "b": {"c"}, "c": {"d"}, "d": {"b"}}, True),
        ({"a": {"b", "c"}, "b": {"d"}, "c": {"d"}, "d": set()}, False),
    ],
)
def test_cycle_finder_finds_cycles(edges: dict[str, set[str]], has_cycle: bool) -> None:
    assert (find_cycle(edges) is not None) is has_cycle


def test_relative_imports_are_resolved_like_python_does(tmp_path: Path) -> None:
    known = {"widget_server.web.a", "widget_server.web.b", "widget_server.core.errors"}
    source = tmp_path / "a.py"
    source.write_text("from . import b\nfrom ..core.errors import X\n")
    assert imports_of("widget_server.web.a", source, known) == {
        "widget_server.web.b",
        "widget_server.core.errors",
    }
