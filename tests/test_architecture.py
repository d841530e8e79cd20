"""The package's shape: layers only point down, no import cycles, function-level imports justified.

The layer contract itself lives in ``pyproject.toml`` (``[tool.importlinter]``) and is checked
here and by ``make lint``.
"""

import ast
import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
SIM = ROOT / "sim"


def test_import_linter_contracts_are_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_no_import_cycles():
    graph = grimp.build_graph("sim")
    cycles = []
    for module in sorted(graph.modules):
        for imported in graph.find_modules_directly_imported_by(module):
            back = graph.find_shortest_chain(importer=imported, imported=module)
            if back is not None:
                cycles.append((module, *back))
    assert not cycles, f"import cycles: {cycles}"


def _function_imports(path: Path) -> list[int]:
    """Line numbers of imports inside functions that have no comment on or just above them."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    tree = ast.parse(source)
    bad = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.Import | ast.ImportFrom):
                k = inner.lineno - 1
                explained = "#" in lines[k]
                while not explained and k > 0:
                    k -= 1
                    text = lines[k].strip()
                    if text.startswith("#"):
                        explained = True
                    elif text and not text.startswith(("import ", "from ")):
                        break
                if not explained:
                    bad.append(inner.lineno)
    return bad


def test_imports_inside_functions_state_a_reason():
    unexplained = {}
    for path in sorted(SIM.rglob("*.py")):
        lines = _function_imports(path)
        if lines:
            unexplained[str(path.relative_to(ROOT))] = lines
    assert not unexplained, f"imports inside functions without a stated reason: {unexplained}"


def test_every_package_says_what_lives_there_and_what_it_may_use():
    for init in sorted(SIM.rglob("__init__.py")):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc, f"{init}: no docstring"
        if init.parent != SIM and init.parent.name != "world":
            assert "May use" in doc or "top layer" in doc, f"{init}: say what it may use"
