"""The package's layout is its architecture (docs/architecture.md): checks anyone can run.

The import rules themselves (layers, no cycles, private modules) are import-linter
contracts in pyproject.toml, checked by ``lint-imports`` in .ci/run; these tests check
what import-linter does not: module size and that every module says what it holds.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "careprofiles"
MODULES = sorted(PACKAGE.rglob("*.py"))
LIMIT = 600
"""No module over about 600 lines: split by responsibility past that."""


def test_no_module_is_over_the_limit() -> None:
    sizes = {p.relative_to(PACKAGE.parent): len(p.read_text("utf-8").splitlines()) for p in MODULES}
    offenders = {str(p): n for p, n in sizes.items() if n > LIMIT}
    assert offenders == {}, f"modules over {LIMIT} lines: {offenders}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE.parent)))
def test_every_module_opens_with_what_it_holds(path: Path) -> None:
    tree = ast.parse(path.read_text("utf-8"))
    if path.name == "__main__.py":
        return
    doc = ast.get_docstring(tree)
    assert doc, f"{path}: give the module a docstring saying what it holds"


def test_the_subpackages_are_the_pipeline_steps() -> None:
    steps = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())
    assert steps == [
        "activity",
        "cli",
        "costing",
        "outputs",
        "profiles",
        "specification",
        "standards",
        "tariffs",
    ]
