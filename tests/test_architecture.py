"""The structure's own rules, checked like behaviour: the layer contract
catches an upward import, no module imports itself in a circle at load
time, and every file and name the docs point a newcomer to exists."""

import ast
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.conftest import ROOT

APP_PACKAGES = (
    "core",
    "payments",
    "accounts",
    "campaigns",
    "donations",
    "receipts",
    "finance",
    "pages",
    "demo",
    "donors",
    "privacy",
)
PROJECT_PACKAGES = (*APP_PACKAGES, "hopefund")
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _copy_of_the_code(destination: Path) -> Path:
    for package in PROJECT_PACKAGES:
        shutil.copytree(ROOT / package, destination / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", destination / "pyproject.toml")
    return destination


def _lint_imports(tree: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_layer_contract_is_kept_and_fails_on_an_upward_import(tmp_path):
    tree = _copy_of_the_code(tmp_path)
    kept = _lint_imports(tree)
    assert kept.returncode == 0, kept.stdout + kept.stderr

    with open(tree / "donations" / "services" / "gifts.py", "a") as module:
        module.write("\nfrom finance import models as finance_models  # an upward import\n")
    broken = _lint_imports(tree)

    assert broken.returncode != 0
    assert "donations is not allowed to import finance" in broken.stdout
    assert "donations.services.gifts -> finance.models" in broken.stdout


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking_block(node: ast.stmt) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _load_time_imports(path: Path, modules: set[str]) -> set[str]:
    """The project modules a module imports while it loads: its top-level
    statements, not function bodies (imported when called) or
    TYPE_CHECKING blocks (never run)."""
    package = _module_name(path) if path.name == "__init__.py" else _module_name(path).rpartition(".")[0]
    found = set()
    pending = list(ast.parse(path.read_text()).body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package.split(".")[: len(package.split(".")) - node.level + 1], base]).strip(".")
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.add(submodule if submodule in modules else base)
        elif isinstance(node, ast.If | ast.Try | ast.With) and not _is_type_checking_block(node):
            for field in ("body", "orelse", "finalbody", "handlers"):
                for child in getattr(node, field, []):
                    pending.extend(child.body if isinstance(child, ast.ExceptHandler) else [child])
    return found & modules


def _load_time_import_graph() -> dict[str, set[str]]:
    paths = {
        _module_name(path): path
        for package in PROJECT_PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
    }
    return {name: _load_time_imports(path, set(paths)) for name, path in paths.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index, low, on_stack, stack, groups = {}, {}, set(), [], []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for neighbour in graph[node]:
            if neighbour not in index:
                visit(neighbour)
                low[node] = min(low[node], low[neighbour])
            elif neighbour in on_stack:
                low[node] = min(low[node], index[neighbour])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_imports_itself_in_a_circle_at_load_time():
    assert _cycles(_load_time_import_graph()) == []


# `path/to/file.ext` or `path/to/file.py::name` (a function, class, or
# Class.method) in backticks.
DOC_REFERENCE = re.compile(r"`((?:[\w.-]+/)+[\w.-]+\.(?:py|html|md|csv|yml|toml|js|css|sh|txt))(?:::([\w.]+))?`")
DOCS = ("README.md", "docs/architecture.md", "docs/security.md", "docs/reliability.md")


def _names_in(scope: list[ast.stmt]) -> dict[str, ast.stmt]:
    names = {}
    for node in scope:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names[node.name] = node
        elif isinstance(node, ast.Assign):
            names.update((target.id, node) for target in node.targets if isinstance(target, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names[node.target.id] = node
    return names


def _defines(path: Path, dotted_name: str) -> bool:
    scope = ast.parse(path.read_text()).body
    for part in dotted_name.split("."):
        node = _names_in(scope).get(part)
        if node is None:
            return False
        scope = getattr(node, "body", [])
    return True


def _doc_references():
    for doc in DOCS:
        for match in DOC_REFERENCE.finditer((ROOT / doc).read_text()):
            yield pytest.param(match.group(1), match.group(2), id=f"{doc}:{match.group(0)}")


@pytest.mark.parametrize(("path", "name"), list(_doc_references()))
def test_what_the_docs_point_to_exists(path, name):
    assert (ROOT / path).is_file(), f"{path} does not exist"
    if name:
        assert _defines(ROOT / path, name), f"{path} defines no {name}"


def test_the_docs_point_to_code():
    """The reference check above must have something to check."""
    assert len(list(_doc_references())) >= 20


def test_every_package_is_installed_and_has_its_layer():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    installed = config["tool"]["setuptools"]["packages"]["find"]["include"]
    layered = config["tool"]["importlinter"]["root_packages"]
    # tests/ and bench/ drive the product from outside; neither ships.
    top_level = {path.parent.name for path in ROOT.glob("*/__init__.py")} - {"tests", "bench"}
    assert top_level == set(PROJECT_PACKAGES)
    for package in PROJECT_PACKAGES:
        assert f"{package}*" in installed, f"pyproject's packages.find does not install {package}"
        assert package in layered, f"the layer contract does not check {package}"
