"""The models' field docstrings (they become the JSON Schema's descriptions and the
format reference's), kept in ``field_docs.json`` so that making the models reads no
source (issue 17: start-up).

:class:`~careprofiles.profiles.sources.SourcedModel` gives each field without a
description the string written just below it in its class body, as pydantic's
``use_attribute_docstrings`` does; but that option reads and parses every model's source
each time the models are made, about 0.03 s of every command. The docstrings are read
from the source once instead, into ``field_docs.json``, one entry a model (``module.Class``):
after changing a field's docstring, regenerate it::

    python -m careprofiles.profiles._field_docs

(``tests/profiles/test_field_docs.py`` checks that it is current). A model the file does
not list (a subclass made outside careprofiles, or one added since) has its source read,
as pydantic would.

Imports: the standard library only.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["TABLE", "collect", "docstrings", "from_source"]

TABLE = Path(__file__).with_name("field_docs.json")
"""The table: ``{"module.Class": {"field": "docstring", ...}, ...}``."""

_table: dict[str, dict[str, str]] | None = None


def docstrings(cls: type) -> dict[str, str]:
    """The docstrings of the fields the class body of ``cls`` writes (not its bases')."""
    global _table
    if _table is None:
        _table = json.loads(TABLE.read_text(encoding="utf-8")) if TABLE.is_file() else {}
    found = _table.get(f"{cls.__module__}.{cls.__qualname__}")
    return dict(found) if found is not None else from_source(cls)


def from_source(cls: type) -> dict[str, str]:
    """The docstrings of the fields of ``cls``, read from its source as pydantic's
    ``use_attribute_docstrings`` reads them: a string statement just after an annotated
    assignment, cleaned with ``inspect.cleandoc``; nested classes and functions skipped."""
    import ast
    import inspect
    import textwrap

    class Visitor(ast.NodeVisitor):
        def __init__(self) -> None:
            self.target: str | None = None
            self.attrs: dict[str, str] = {}
            self.previous: type[ast.AST] | None = None

        def visit(self, node: ast.AST) -> Any:
            result = super().visit(node)
            self.previous = type(node)
            return result

        def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
            if isinstance(node.target, ast.Name):
                self.target = node.target.id

        def visit_Expr(self, node: ast.Expr) -> None:
            value = node.value
            if (
                isinstance(value, ast.Constant)
                and isinstance(value.value, str)
                and self.previous is ast.AnnAssign
            ):
                if self.target:
                    self.attrs[self.target] = inspect.cleandoc(value.value)
                self.target = None

        def visit_ClassDef(self, node: ast.ClassDef) -> None:
            pass

        def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
            pass

        def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
            pass

    try:
        lines, _ = inspect.getsourcelines(cls)
    except (OSError, TypeError):
        return {}
    source = textwrap.dedent("".join(lines))
    if source.startswith((" ", "\t")):  # a string less indented than a nested class
        source = f"def dedent_workaround():\n{source}"
    statement = ast.parse(source).body[0]
    if isinstance(statement, ast.FunctionDef) and statement.name == "dedent_workaround":
        statement = statement.body[0]
    visitor = Visitor()
    visitor.generic_visit(statement)
    return visitor.attrs


def collect() -> dict[str, dict[str, str]]:
    """The table as the source gives it: the field docstrings of every careprofiles model
    (every subclass of ``SourcedModel``, found by importing every module by name: this
    module, imported by ``profiles.sources``, imports none of careprofiles itself)."""
    import importlib
    import pkgutil

    package = importlib.import_module("careprofiles")
    for module in pkgutil.walk_packages(package.__path__, "careprofiles."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    base: type = importlib.import_module("careprofiles.profiles.sources").SourcedModel
    table: dict[str, dict[str, str]] = {}
    pending: list[type] = [base]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls is not base and cls.__module__.startswith("careprofiles."):
            table[f"{cls.__module__}.{cls.__qualname__}"] = from_source(cls)
    return dict(sorted(table.items()))


def table_text(table: dict[str, dict[str, str]]) -> str:
    """``field_docs.json``'s text."""
    return json.dumps(table, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> int:
    """Write ``field_docs.json`` from the models' source."""
    TABLE.write_text(table_text(collect()), encoding="utf-8")
    print(f"wrote {TABLE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
