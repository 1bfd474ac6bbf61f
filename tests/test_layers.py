"""The layers of docs/architecture.md, kept honest.

core (top-level modules) <- data <- excel <- report <- cli: each layer imports only the layers to
its left (and the standard library or its own third-party libraries); the core imports numpy and
pandas and nothing that touches files, workbooks, terminals or the network. Checked two ways:
statically (every ``import`` in every module, including the lazy ones inside functions) and in a
fresh interpreter (what ``import hedgecore`` and the core modules actually load).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "hedgecore"

#: Layer of each subpackage or top-level module; anything else at the top level is core.
EDGES = {"data": 1, "excel": 2, "report": 3, "cli": 4, "__main__": 4}
#: Standard-library-only helpers the edges share (no core module may use them: they write files).
EDGE_UTILITIES = {"_atomic", "_workers"}
#: Third-party libraries only the edges may import.
EDGE_LIBRARIES = {"openpyxl", "xlsxwriter", "xlwings", "rich", "click", "ccxt", "defusedxml", "formulas"}
CORE_LIBRARIES = {"numpy", "pandas"}


def _modules() -> dict[str, Path]:
    """Dotted module name (without the ``hedgecore.`` prefix) -> file."""
    out = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).with_suffix("")
        parts = [p for p in rel.parts if p != "__init__"]
        out[".".join(parts)] = path
    return out


def _layer(module: str) -> int | None:
    """0 for the core, the edge's rank, or None for the package facade and edge utilities."""
    top = module.split(".")[0] if module else ""
    if module == "" or top in EDGE_UTILITIES:
        return None
    return EDGES.get(top, 0)


def _imports(module: str, path: Path) -> set[str]:
    """Everything ``module`` imports, as absolute names (``hedgecore.x.y`` or a library name)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = ["hedgecore", *module.split(".")] if module else ["hedgecore"]
    if path.name != "__init__.py":
        package = package[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
                found.add(name)
                if not node.module:  # "from . import x": x may be a module
                    found.update(f"{name}.{a.name}" for a in node.names)
            else:
                found.add(node.module or "")
    return found


def _internal(name: str) -> str | None:
    if name == "hedgecore" or name.startswith("hedgecore."):
        return name[len("hedgecore."):] if "." in name else ""
    return None


MODULES = _modules()


@pytest.mark.parametrize("module", sorted(MODULES), ids=lambda m: m or "hedgecore")
def test_each_module_imports_only_the_layers_below_it(module):
    layer = _layer(module)
    problems = []
    for name in sorted(_imports(module, MODULES[module])):
        target = _internal(name)
        library = name.split(".")[0]
        if target is None:
            if (layer == 0 or module.split(".")[0] in EDGE_UTILITIES) and library in EDGE_LIBRARIES:
                problems.append(f"imports the edge library {library}")
            continue
        if target not in MODULES and target.rpartition(".")[0] in MODULES:
            target = target.rpartition(".")[0]  # "from .layout import X" resolves to the module
        if target.split(".")[0] in EDGE_UTILITIES:
            if layer == 0:
                problems.append(f"core module imports the edge utility {target}")
            continue
        if layer is None:
            continue
        target_layer = _layer(target)
        if target_layer is not None and target_layer > layer:
            problems.append(f"imports {target} (layer {target_layer} > {layer})")
    assert not problems, f"hedgecore.{module}: " + "; ".join(problems)


def test_the_facade_exports_only_core_names_and_the_data_loaders():
    code = "import hedgecore, json; print(json.dumps(sorted(set(hedgecore._EXPORTS.values()))))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    modules = set(ast.literal_eval(out.stdout))
    assert {m for m in modules if _layer(m) != 0} == {"data.files"}


def _loaded_after(statement: str) -> set[str]:
    code = f"{statement}\nimport sys\nprint(' '.join(sorted(m.split('.')[0] for m in sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    return set(out.stdout.split())


def test_the_core_loads_no_edge_library():
    core = [m for m in MODULES if _layer(m) == 0 and m]
    loaded = _loaded_after("import hedgecore\n" + "\n".join(f"import hedgecore.{m}" for m in core))
    assert not loaded & EDGE_LIBRARIES
    assert CORE_LIBRARIES <= loaded  # the check is not vacuous


def test_import_hedgecore_is_lazy_and_the_cli_starts_without_the_maths():
    assert not _loaded_after("import hedgecore") & (CORE_LIBRARIES | EDGE_LIBRARIES)
    assert not _loaded_after("import hedgecore.cli") & (CORE_LIBRARIES | EDGE_LIBRARIES - {"click"})


def test_the_public_api_is_complete():
    code = "import hedgecore as hc; missing = [n for n in hc.__all__ if not hasattr(hc, n)]; print(missing)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_type_checkers_see_the_same_names_as_the_lazy_facade():
    """The ``if TYPE_CHECKING:`` imports of hedgecore/__init__.py mirror ``_EXPORTS`` exactly."""
    tree = ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    block = next(n for n in tree.body if isinstance(n, ast.If) and getattr(n.test, "id", "") == "TYPE_CHECKING")
    seen = {(node.module, alias.name) for node in ast.walk(block) if isinstance(node, ast.ImportFrom)
            for alias in node.names}
    exports = next(n for n in tree.body if isinstance(n, ast.AnnAssign) and n.target.id == "_EXPORTS")
    declared = {(value.value, key.value) for key, value in zip(exports.value.keys, exports.value.values)}
    assert seen == declared


def test_no_public_name_is_also_a_module_name():
    """``hedgecore.x`` must stay the function: importing a submodule ``x`` would rebind it to the module."""
    code = "import hedgecore, json; print(json.dumps(list(hedgecore._EXPORTS)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    submodules = {m.split(".")[0] for m in MODULES if m}
    assert not set(ast.literal_eval(out.stdout)) & submodules


def test_listing_the_catalog_needs_no_numpy():
    """``hedgecore contracts`` starts as fast as click: the catalog is plain Python."""
    loaded = _loaded_after("import hedgecore.cli, hedgecore.contracts as c\nc.catalog(); c.get_contract('ETHUSD_PERP')")
    assert not loaded & CORE_LIBRARIES
