"""The packages' layout: no import cycle, and rendering that needs no runner."""

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("benchmarks", "sk_autoencoder")
# What the rendering of committed results must not import: the suites' runners, the
# methods they fit and the data they load, and what only fitting needs.
RUNNER_MODULES = (
    "benchmarks.run",
    "benchmarks.tabular",
    "benchmarks.measure",
    "benchmarks.methods",
    "benchmarks.datasets",
    "benchmarks.tables",
    "sk_autoencoder",
    "torch",
)


def package_modules(root=REPO_ROOT, packages=PACKAGES) -> dict[str, Path]:
    """``{dotted name: path}`` of every module of ``packages`` under ``root``."""
    modules = {}
    for package in packages:
        for path in sorted((Path(root) / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path
    return modules


def _imported_names(node, module, is_package):
    """The dotted names an ``import`` or ``from ... import`` statement may load."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:  # relative: from the module's package, one level up per extra dot
        package = module.split(".") if is_package else module.split(".")[:-1]
        base = package[: len(package) - node.level + 1]
        source = ".".join([*base, node.module] if node.module else base)
    else:
        source = node.module
    # ``from package import name`` loads the module ``package.name`` where there is one.
    return [source, *(f"{source}.{alias.name}" for alias in node.names)]


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Each module of ``modules`` and the set of those it imports, anywhere in its code.

    Imports at module level and inside functions count alike. An import of
    ``package.module.name`` counts as one of the innermost module it names; ``from
    package import module`` as one of ``package.module``, and of ``package`` only for
    names that are no module.
    """
    graph = {}
    for module, path in modules.items():
        is_package = path.name == "__init__.py"
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            names = _imported_names(node, module, is_package)
            if isinstance(node, ast.ImportFrom):
                source, *submodules = names
                found = [name for name in submodules if name in modules]
                names = found if len(found) == len(submodules) else [source, *found]
            for name in names:
                while name and name not in modules:
                    name = name.rpartition(".")[0]
                if name and name != module:
                    targets.add(name)
        graph[module] = targets
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of ``graph`` as ``[a, b, ..., a]``, or None where there is none."""
    finished, path, on_path = set(), [], set()

    def visit(node):
        path.append(node)
        on_path.add(node)
        for target in sorted(graph.get(node, ())):
            if target in on_path:
                return [*path[path.index(target) :], target]
            if target not in finished:
                cycle = visit(target)
                if cycle is not None:
                    return cycle
        path.pop()
        on_path.discard(node)
        finished.add(node)
        return None

    for node in sorted(graph):
        if node not in finished:
            cycle = visit(node)
            if cycle is not None:
                return cycle
    return None


def test_import_graph_has_no_cycle():
    graph = import_graph(package_modules())

    # The graph is the packages' own: a runner's imports, and the package's of its modules.
    assert {"benchmarks.cli", "benchmarks.tables"} <= graph["benchmarks.tabular"]
    assert graph["sk_autoencoder"] and all(
        name.startswith("sk_autoencoder._") for name in graph["sk_autoencoder"]
    )
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_import_graph_sees_relative_and_function_level_imports(tmp_path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("from pkg import a\n")
    (package / "a.py").write_text("def f():\n    from .sub import b\n")
    (package / "sub" / "__init__.py").write_text("")
    (package / "sub" / "b.py").write_text("from .. import c\nimport pkg.sub.d\n")
    (package / "c.py").write_text("from pkg.a import f\n")
    (package / "sub" / "d.py").write_text("from ..c import *\nfrom . import e\n")

    graph = import_graph(package_modules(tmp_path, ["pkg"]))

    assert graph == {
        "pkg": {"pkg.a"},
        "pkg.a": {"pkg.sub.b"},
        "pkg.sub": set(),
        "pkg.sub.b": {"pkg.c", "pkg.sub.d"},
        "pkg.c": {"pkg.a"},
        "pkg.sub.d": {"pkg.c", "pkg.sub"},  # e is no module: a name of pkg.sub
    }
    assert find_cycle(graph) == ["pkg.a", "pkg.sub.b", "pkg.c", "pkg.a"]
    del graph["pkg.c"]
    assert find_cycle(graph) is None


def _modules_loaded_by(code):
    """The modules a fresh interpreter has loaded after running ``code``."""
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return set(json.loads(result.stdout.splitlines()[-1]))


@pytest.mark.parametrize(
    "code",
    [
        "import benchmarks.render",
        f"import sys; sys.path.insert(0, {str(REPO_ROOT / 'docs' / '_ext')!r}); "
        "import benchmark_tables",
    ],
    ids=["render", "docs"],
)
def test_rendering_committed_results_imports_no_runner(code):
    loaded = _modules_loaded_by(code)

    assert "benchmarks.render" in loaded
    imported_runners = sorted(set(RUNNER_MODULES) & loaded)
    assert not imported_runners, f"rendering imports {', '.join(imported_runners)}"


# What names a variant or a part of the estimators; the base class trains and knows none.
VARIANT_WORDS = ("pca", "ordered", "variational", "contraction", "sparsity", "noise", "beta")


def test_the_base_class_names_no_part_and_no_variant():
    # Code only: identifiers, attributes, imported names and strings; the
    # docstrings may tell a user what the parts do.
    tree = ast.parse((REPO_ROOT / "sk_autoencoder" / "_base.py").read_text())
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.append(node.id)
        elif isinstance(node, ast.Attribute):
            names.append(node.attr)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, ast.alias):
            names.append(node.name)
        elif isinstance(node, ast.ImportFrom):
            names.append(node.module or "")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) not in docstrings:
                names.append(node.value)
    # The attribute hints for PCA users are a mixin of their own.
    names = [name for name in names if name not in ("PCAAttributeHintsMixin", "_attribute_hints")]
    named = sorted({name for name in names for word in VARIANT_WORDS if word in name.lower()})
    assert not named, f"sk_autoencoder/_base.py names parts or variants: {named}"
