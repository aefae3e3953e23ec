"""The house rules of the source tree: rooms of a readable size, no import circles, no
private name borrowed across modules. (The floors themselves are import-linter contracts in
pyproject.toml, run by scripts/test.sh.)"""

from __future__ import annotations

import ast
from pathlib import Path

import reader

PACKAGE = Path(reader.__file__).parent
MAX_MODULE_LINES = 700
MAX_CLASS_BEHAVIOUR_LINES = 400


def modules() -> dict[str, Path]:
    """Dotted name -> file of every module of the reader."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def behaviour_lines(node: ast.ClassDef) -> int:
    """Lines of a class that do something: no blank lines, comments or docstrings."""
    docstrings: set[int] = set()
    for child in ast.walk(node):
        body = getattr(child, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and isinstance(
                body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            docstrings.update(range(body[0].lineno, body[0].end_lineno + 1))
        if isinstance(child, ast.Expr) and isinstance(child.value, ast.Constant) and \
                isinstance(child.value.value, str):  # attribute docstrings
            docstrings.update(range(child.lineno, child.end_lineno + 1))
    lines = ast.get_source_segment(SOURCES[node], node) or ""
    count = 0
    for offset, line in enumerate(lines.splitlines()):
        text = line.strip()
        if text and not text.startswith("#") and node.lineno + offset not in docstrings:
            count += 1
    return count


SOURCES: dict[ast.AST, str] = {}


def parsed() -> dict[str, ast.Module]:
    out = {}
    for name, path in modules().items():
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                SOURCES[node] = source
        out[name] = tree
    return out


def imports(name: str, tree: ast.Module) -> list[tuple[str, list[str]]]:
    """(module imported, names taken from it) for every import of a module, at any depth."""
    out = []
    package = name if modules()[name].name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            out.append((base, [alias.name for alias in node.names]))
    return out


def test_no_module_is_over_700_lines() -> None:
    sizes = {name: len(path.read_text(encoding="utf-8").splitlines())
             for name, path in modules().items()}
    assert {n: s for n, s in sizes.items() if s > MAX_MODULE_LINES} == {}


def test_no_class_has_over_400_lines_of_behaviour() -> None:
    big = {}
    for name, tree in parsed().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and behaviour_lines(node) > \
                    MAX_CLASS_BEHAVIOUR_LINES:
                big[f"{name}.{node.name}"] = behaviour_lines(node)
    assert big == {}


def test_no_private_name_is_imported_across_modules() -> None:
    known = modules()
    borrowed = []
    for name, tree in parsed().items():
        for module, names in imports(name, tree):
            if module in known and module != name:
                borrowed += [f"{name} <- {module}.{n}" for n in names
                             if n.startswith("_") and not n.startswith("__")]
    assert borrowed == []


def test_no_import_circle() -> None:
    known = modules()
    graph: dict[str, set[str]] = {}
    for name, tree in parsed().items():
        targets = set()
        for module, names in imports(name, tree):
            for candidate in [f"{module}.{n}" for n in names] + [module]:
                if candidate in known and candidate != name:
                    targets.add(candidate)
                    break
        graph[name] = targets - {"reader"}  # the package root holds only names and a version
    circles = []
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                circles.append(path[path.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert circles == []


def test_the_checks_can_fail(tmp_path: Path) -> None:
    source = "class Big:\n" + "".join(f"    x{i} = {i}\n" for i in range(401)) + \
        '    """a docstring is no behaviour"""\n'
    tree = ast.parse(source)
    [node] = [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]
    SOURCES[node] = source
    assert behaviour_lines(node) == 402
    tree = ast.parse("from reader.core.merge import _BODY_FIELDS\nfrom . import x\n")
    assert imports("reader.core.views", tree) == [("reader.core.merge", ["_BODY_FIELDS"]),
                                                  ("reader.core", ["x"])]
