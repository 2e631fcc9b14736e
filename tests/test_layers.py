"""The package's layers, enforced: every import points down, and no module grows past 600 lines.

``docs/architecture.md`` explains the layers; this test is the rule itself. It reads the source
with ``ast`` (nothing is imported), so lazy imports inside functions and imports under
``TYPE_CHECKING`` count exactly like top-level ones: a dependency is a dependency.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = "citecheck"
MAX_LINES = 600

#: Violations present when this test was written, tolerated so the suite stays green.
#: They are being removed by issue #9: empty this set once they are gone; never add to it.
KNOWN_VIOLATIONS: frozenset[str] = frozenset()

#: The layers, bottom first. A package may import its own modules and what ALLOWED lists, no more.
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"core"}),
    frozenset({"extract", "clean", "store"}),
    frozenset({"net"}),
    frozenset({"check", "archive"}),
    frozenset({"drift"}),
    frozenset({"fix", "report"}),
    frozenset({"pipeline"}),
    frozenset({"cli", "server"}),
)

#: What each package may import besides itself. Sideways imports inside one layer are listed
#: explicitly (fix and report may use extract; the CLI's ``serve`` starts the server).
ALLOWED: dict[str, frozenset[str]] = {
    "core": frozenset(),
    "extract": frozenset({"core"}),
    "clean": frozenset({"core"}),
    "store": frozenset({"core"}),
    "net": frozenset({"core"}),
    "check": frozenset({"core", "clean", "net", "store"}),
    "archive": frozenset({"core", "clean", "net", "store"}),
    # Content drift: pure comparison (core only) plus fetching the two pages (net).
    "drift": frozenset({"core", "net"}),
    "fix": frozenset({"core", "extract"}),
    "report": frozenset({"core", "extract"}),
    "pipeline": frozenset({"core", "extract", "clean", "store", "drift", "net", "check", "archive", "fix", "report"}),
    "server": frozenset(
        {"core", "extract", "clean", "store", "drift", "net", "check", "archive", "fix", "report", "pipeline"}
    ),
    "cli": frozenset(
        {"core", "extract", "clean", "store", "drift", "net", "check", "archive", "fix", "report", "pipeline", "server"}
    ),
}

#: Top-level modules that belong to no stage: the lazy facade and ``python -m`` may import
#: anything (nothing below may import them back); ``_version`` is a leaf, part of core.
TOP = "top"
TOP_LEVEL_LAYER = {"citecheck": TOP, "citecheck.__main__": TOP, "citecheck._version": "core"}


@dataclass(frozen=True, slots=True)
class Import:
    importer: str
    imported: str
    line: int

    def __str__(self) -> str:
        return f"{self.importer} -> {self.imported}"


def module_paths() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its own name, not ``__init__``)."""
    modules: dict[str, Path] = {}
    for path in sorted((SRC / PACKAGE).rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


MODULES = module_paths()


def _resolve(importer: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The package modules one import statement names (the deepest module each name reaches)."""
    if isinstance(node, ast.Import):
        return [_deepest(alias.name) for alias in node.names if _is_ours(alias.name)]
    base = node.module or ""
    if node.level:
        package = importer if MODULES[importer].name == "__init__.py" else importer.rpartition(".")[0]
        parts = package.split(".")
        parts = parts[: len(parts) - node.level + 1]
        base = ".".join([*parts, base] if base else parts)
    if not _is_ours(base):
        return []
    # ``from pkg import name`` reaches pkg.name when that is a module, else pkg itself.
    found = [f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in MODULES]
    return found or [_deepest(base)]


def _is_ours(name: str) -> bool:
    return name == PACKAGE or name.startswith(PACKAGE + ".")


def _deepest(name: str) -> str:
    while name not in MODULES and "." in name:
        name = name.rpartition(".")[0]
    return name


def _string_imports(node: ast.Call) -> str | None:
    """``importlib.import_module("citecheck.x")`` with a constant name: a hidden import."""
    if (
        isinstance(node.func, ast.Attribute)
        and node.func.attr == "import_module"
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
        and _is_ours(node.args[0].value)
    ):
        return _deepest(node.args[0].value)
    return None


def collect_imports() -> list[Import]:
    """Every import of a package module by a package module, wherever it is written."""
    found: list[Import] = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                targets = _resolve(module, node)
            elif isinstance(node, ast.Call) and (target := _string_imports(node)) is not None:
                targets = [target]
            else:
                continue
            found.extend(Import(module, target, node.lineno) for target in targets if target != module)
    return found


def package_of(module: str) -> str:
    """The stage package a module belongs to (``core`` for ``_version``, ``top`` for the facade)."""
    if module in TOP_LEVEL_LAYER:
        return TOP_LEVEL_LAYER[module]
    package = module.split(".")[1]
    assert package in ALLOWED, f"{module}: package {package!r} is in no layer; add it to LAYERS and ALLOWED"
    return package


def rank(package: str) -> int:
    if package == TOP:
        return len(LAYERS)
    return next(i for i, layer in enumerate(LAYERS) if package in layer)


def is_allowed(imp: Import) -> bool:
    source, target = package_of(imp.importer), package_of(imp.imported)
    if source in (TOP, target):
        return True
    if target == TOP:
        return False
    return target in ALLOWED[source]


def describe(imp: Import) -> str:
    source, target = package_of(imp.importer), package_of(imp.imported)
    if rank(target) > rank(source):
        kind = "upward"
    elif rank(target) == rank(source):
        kind = "sideways"
    else:
        kind = "not allowed"
    path = MODULES[imp.importer].relative_to(SRC)
    return f"{imp} ({kind}: {source} may import {sorted(ALLOWED.get(source, ()))}; {path}:{imp.line})"


def layer_violations() -> dict[str, str]:
    """Every forbidden import (one entry per importer/imported pair) with a readable description."""
    out: dict[str, str] = {}
    for imp in collect_imports():
        if not is_allowed(imp):
            out.setdefault(str(imp), describe(imp))
    return out


def size_violations() -> dict[str, str]:
    out: dict[str, str] = {}
    for module, path in MODULES.items():
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES:
            out[f"{module}: more than {MAX_LINES} lines"] = f"{module}: {lines} lines ({path.relative_to(SRC)})"
    return out


def test_every_package_has_a_layer_and_the_table_agrees_with_the_layers() -> None:
    packages = {module.split(".")[1] for module in MODULES if module.count(".") >= 1} - {"__main__", "_version"}
    assert packages == set(ALLOWED)
    assert set().union(*LAYERS) == set(ALLOWED)
    for source, targets in ALLOWED.items():
        for target in targets:
            assert rank(target) <= rank(source), f"ALLOWED lets {source} import the higher {target}"


def test_imports_point_down_the_layers() -> None:
    new = {key: text for key, text in layer_violations().items() if key not in KNOWN_VIOLATIONS}
    assert not new, "imports against the layers (see docs/architecture.md):\n" + "\n".join(sorted(new.values()))


def test_no_module_exceeds_the_size_limit() -> None:
    new = {key: text for key, text in size_violations().items() if key not in KNOWN_VIOLATIONS}
    assert not new, f"modules over {MAX_LINES} lines; split them:\n" + "\n".join(sorted(new.values()))


def test_known_violations_are_still_real() -> None:
    """A fixed violation must leave the list, so it cannot come back unnoticed."""
    stale = KNOWN_VIOLATIONS - layer_violations().keys() - size_violations().keys()
    assert not stale, "no longer violated; remove from KNOWN_VIOLATIONS:\n" + "\n".join(sorted(stale))


@pytest.mark.parametrize(
    ("importer", "source", "expected"),
    [
        ("citecheck.report.sarif", "from ..extract import encode_url", ["citecheck.extract"]),
        ("citecheck.report", "from . import github, text", ["citecheck.report.github", "citecheck.report.text"]),
        ("citecheck.cli.main", "from .._version import __version__", ["citecheck._version"]),
        ("citecheck.pipeline.session", "from ..check.checker import X", ["citecheck.check.checker"]),
        ("citecheck.core.results", "from .links import Link", ["citecheck.core.links"]),
        ("citecheck.core.results", "import citecheck.net.guard as g", ["citecheck.net.guard"]),
        ("citecheck.core.results", "from citecheck.net import guard", ["citecheck.net.guard"]),
        ("citecheck.core.results", "import httpx", []),
    ],
)
def test_relative_and_absolute_imports_resolve_to_modules(importer: str, source: str, expected: list[str]) -> None:
    node = ast.parse(source).body[0]
    assert isinstance(node, ast.Import | ast.ImportFrom)
    assert _resolve(importer, node) == expected


def test_lazy_and_type_checking_imports_are_seen() -> None:
    """Imports inside functions and under ``TYPE_CHECKING`` are dependencies like any other."""
    imports = {str(imp) for imp in collect_imports()}
    assert "citecheck.cli.main -> citecheck.clean.load" in imports  # inside a function
    assert "citecheck -> citecheck.pipeline" in imports  # the facade's TYPE_CHECKING block
