"""No import runs from a lower layer up to a higher one (README, "A tour of the packages").

Layers, lowest first: native < models < aggregators < attacks < training < plots < experiments <
benchmarks (which time what the layers below do, the grid's cells included). A module may import its own
package and any package below it, never one above. Read
from the source (every import statement, including those inside functions), so a lazy import counts.
"""

import ast
import os

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAYERS = ["native", "models", "aggregators", "attacks", "training", "plots", "experiments", "benchmarks"]
RANK = {name: i for i, name in enumerate(LAYERS)}


def imported_packages(path):
    """The top-level names of the project packages a file imports."""
    with open(path) as file:
        tree = ast.parse(file.read(), path)
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & set(LAYERS)


def project_files(package):
    for folder, _, files in os.walk(os.path.join(REPO, package)):
        for name in files:
            if name.endswith(".py"):
                yield os.path.join(folder, name)


@pytest.mark.parametrize("package", LAYERS)
def test_no_import_runs_up_a_layer(package):
    upward = []
    for path in project_files(package):
        for imported in imported_packages(path):
            if imported != package and RANK[imported] >= RANK[package]:
                upward.append(f"{os.path.relpath(path, REPO)} imports {imported}")
    assert not upward, "; ".join(upward)


def test_the_check_sees_an_upward_import(tmp_path):
    path = tmp_path / "bad.py"
    path.write_text("def f():\n    from experiments.paper import claims\n")
    assert imported_packages(str(path)) == {"experiments"}
