"""Results as data for other programs: JSON text and Excel workbooks.

:func:`to_json` writes any result's ``to_dict()`` (numbers unrounded, NaN as null);
:func:`write_xlsx` makes a formatted workbook of data frames; :func:`cost_json` and
:func:`cost_workbook` are ``careprofiles cost --format json`` and ``--format xlsx``.
Text for people (money, tables, Markdown) is :mod:`careprofiles.outputs.text`.

Imports: errors, resources, profiles.distributions, outputs.sheets, outputs.workbook_layout,
and costing (for types, and costing.evidence inside :func:`cost_workbook`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from careprofiles.errors import MissingDependencyError
from careprofiles.outputs.sheets import string_cells, workbook_frame
from careprofiles.outputs.workbook_layout import (
    LINE_HEIGHT,
    TEXT_WIDTH,
    SheetLayout,
    cell_lines,
    column_format,
    display_width,
    headline_format,
    print_setup,
    sheet_layout,
)
from careprofiles.profiles.distributions import Distribution, grade_of
from careprofiles.resources import source_locations

if TYPE_CHECKING:
    from careprofiles.costing.budget import ContractBudget
    from careprofiles.costing.result import CostResult

__all__ = ["budget_frame", "cost_json", "cost_workbook", "to_json", "write_xlsx"]


def _default(o: Any) -> Any:
    if hasattr(o, "item"):
        return o.item()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"cannot write {type(o).__name__} as JSON")


def to_json(data: Any) -> str:
    """JSON text, numbers unrounded; NaN becomes null.

    Indented two spaces, except that a list of flat records (mappings of plain values,
    such as a cost result's ``lines``) has one record a line: as readable, a line per
    record, and written by the json module's C encoder (its indenting encoder is pure
    Python: about 2 s for the 14,000 lines of a 5,000-service pathway).
    """
    try:  # most data hold no NaN: skip the walk that replaces it
        parts = _json_parts(data, "")
    except ValueError:
        parts = _json_parts(_nan_to_none(data), "")
    return "".join(parts) + "\n"


_ENCODE = json.JSONEncoder(default=_default, allow_nan=False, separators=(", ", ": ")).encode


def _json_key(key: Any) -> str:
    """A mapping key as the json module writes it (keys that are not text become text)."""
    if isinstance(key, str):
        return _ENCODE(key)
    if key is True or key is False or key is None:
        return f'"{json.dumps(key)}"'
    return _ENCODE(str(_ENCODE(key)))


_CONTAINERS = frozenset({dict, list, tuple})


def _is_record(value: Any) -> bool:
    """A mapping of plain values (checked in C: records are many)."""
    return type(value) is dict and _CONTAINERS.isdisjoint(map(type, value.values()))


def _json_parts(data: Any, indent: str, item: bool = False) -> list[str]:
    """``data`` as indented JSON, in pieces; an ``item`` of a list that is a flat
    record is written on one line."""
    inner = indent + "  "
    if isinstance(data, dict) and data and not (item and _is_record(data)):
        items = [
            f"{inner}{_json_key(key)}: {''.join(_json_parts(value, inner))}"
            for key, value in data.items()
        ]
        return ["{\n", ",\n".join(items), f"\n{indent}}}"]
    if isinstance(data, list | tuple) and data:
        items = [inner + "".join(_json_parts(value, inner, True)) for value in data]
        return ["[\n", ",\n".join(items), f"\n{indent}]"]
    return [_ENCODE(data)]


def _nan_to_none(data: Any) -> Any:
    if isinstance(data, float) and not math.isfinite(data):
        return None
    if isinstance(data, dict):
        return {k: _nan_to_none(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_nan_to_none(v) for v in data]
    return data


def cost_json(result: CostResult) -> str:
    """``careprofiles cost --format json``."""
    return to_json(result.to_dict())


def write_xlsx(
    sheets: dict[str, pd.DataFrame],
    money_columns: Sequence[str] = (),
    *,
    title: str = "",
    layouts: Mapping[str, SheetLayout] | None = None,
) -> Callable[[Path], None]:
    """A writer of a formatted workbook, one sheet per frame (openpyxl, the ``xlsx`` extra).

    Every text cell is a string cell, never a formula, and shows exactly as written
    (:func:`~careprofiles.outputs.sheets.string_cells`). Each column's figures get the
    number format its name calls for (:func:`~careprofiles.outputs.workbook_layout.
    column_format`; ``money_columns`` in pounds and pence), a ``measure, value`` sheet's
    values the format of their measure, and every sheet the page set-up of
    :func:`~careprofiles.outputs.workbook_layout.print_setup` (``title`` heads each page;
    ``layouts`` says which sheets are for reference and which columns are in pence)."""
    try:
        import openpyxl  # noqa: F401
        from openpyxl.styles import Alignment, Font
        from openpyxl.utils import get_column_letter
    except ImportError:  # pragma: no cover - depends on the environment
        raise MissingDependencyError("openpyxl", "xlsx", "Excel output") from None

    money = frozenset(money_columns)

    def write(path: Path) -> None:
        with pd.ExcelWriter(path, engine="openpyxl") as writer:
            for name, data in sheets.items():
                frame = workbook_frame(data)
                frame.to_excel(writer, sheet_name=name[:31], index=False)
                ws = writer.sheets[name[:31]]
                string_cells(ws, frame)  # text is never a formula
                layout = sheet_layout(layouts, name)
                for cell in ws[1]:
                    cell.font = Font(bold=True)
                    cell.alignment = Alignment(vertical="top")
                heights = [1] * len(frame)
                headline = list(frame.columns) == ["measure", "value"]
                for i, col in enumerate(frame.columns, start=1):
                    letter = get_column_letter(i)
                    cells = ws[letter][1:]
                    fmt = column_format(col, money | layout.pence)
                    if headline and col == "value":
                        formats = [headline_format(m) for m in frame["measure"]]
                    else:
                        formats = [fmt] * len(frame)
                    values = frame[col].head(200).tolist()
                    shown = [display_width(v, f) for v, f in zip(values, formats, strict=False)]
                    width = min(max([len(str(col)), *shown]) + 2, 60)
                    if not layout.reference and width > TEXT_WIDTH + 2:
                        width = TEXT_WIDTH + 2  # and long text wraps
                        for r, (cell, value) in enumerate(zip(cells, frame[col], strict=True)):
                            if isinstance(value, str) and len(value) > TEXT_WIDTH:
                                cell.alignment = Alignment(wrap_text=True, vertical="top")
                                heights[r] = max(heights[r], cell_lines(value, TEXT_WIDTH))
                    ws.column_dimensions[letter].width = max(10, width)
                    for cell, f in zip(cells, formats, strict=True):
                        if f is not None and not isinstance(cell.value, str | bool):
                            cell.number_format = f
                for r, lines in enumerate(heights, start=2):
                    if lines > 1:
                        ws.row_dimensions[r].height = LINE_HEIGHT * lines
                print_setup(ws, len(frame), frame.shape[1], title, layout)

    return write


def cost_workbook(
    result: CostResult, budget: ContractBudget | None = None
) -> Callable[[Path], None]:
    """The ``cost --format xlsx`` workbook: summary, stages, roles, settings, funders,
    estimates (the lines resting on estimates, most costly first), lines, inputs (and,
    for a scenario, a ``scenario`` sheet of its changes; with a ``budget``, a ``budget``
    sheet of the contract period's years after the summary)."""
    from careprofiles.costing.evidence import estimate_lines

    rows: list[tuple[str, Any]] = [
        ("pathway", result.pathway.id),
        ("name", result.pathway.name),
    ]
    scenario = result.scenario
    if scenario is not None:
        rows += [
            ("scenario", scenario.id),
            ("scenario name", scenario.name),
            ("scenario description", scenario.description or ""),
            ("scenario file", scenario.file),
            ("applied after", ", ".join(scenario.bases)),
            ("changes from the baseline", "; ".join(scenario.changes) or "none"),
        ]
    rows += [
        ("price year", result.price_year),
        ("cohort (patients a year)", result.cohort),
        ("cost per patient", result.per_patient),
        ("population cost a year", result.total),
        ("tariffs", ", ".join(result.tariff.names)),
    ]
    summary = pd.DataFrame(rows, columns=["measure", "value"])
    parameters = result.model.parameters[2:]
    sources = source_locations([p.location for p in parameters], result.pathway.folder)
    inputs = pd.DataFrame(
        [
            {
                "address": p.address,
                "value": p.value.describe() if isinstance(p.value, Distribution) else p.value,
                "base": p.base,
                "factor": p.factor,
                "grade": grade_of(p.value),
                "source": source,
            }
            for p, source in zip(parameters, sources, strict=True)
        ]
    )
    changes = (
        {
            "scenario": pd.DataFrame(
                {"step": range(1, len(scenario.changes) + 1), "change": list(scenario.changes)}
            )
        }
        if scenario is not None
        else {}
    )
    return write_xlsx(
        {
            "summary": summary,
            **({"budget": budget_frame(budget)} if budget is not None else {}),
            **changes,
            "stages": result.by_stage(),
            "services": result.by_service(),
            "roles": result.by_role(),
            "settings": result.by_setting(),
            "funders": result.by_funder(),
            "estimates": estimate_lines(result),
            "lines": result.lines,
            "inputs": inputs,
            "tariff": result.tariff.to_frame().reset_index(),
        },
        title=_workbook_title(result),
        layouts=COST_LAYOUTS,
    )


COST_LAYOUTS = {
    "estimates": SheetLayout(print_rows=50),
    "lines": SheetLayout(reference=True),
    "inputs": SheetLayout(reference=True),
    "tariff": SheetLayout(pence=frozenset({"cost", "original_cost"}), reference=True),
}
"""How the cost workbook's sheets print, beyond the defaults: the estimates their 50 most
costly lines; the sheets kept for reference their header row (the lines are 36 columns
wide, the inputs hundreds of rows long, the tariff's sources paragraphs); a tariff's costs
are unit costs, in pounds and pence."""


def budget_frame(budget: ContractBudget) -> pd.DataFrame:
    """A contract budget's years and a total row, as the workbook's ``budget`` sheet."""
    rows = budget.rows[["year", "factor", "basis", "cohort", "per_patient", "total"]]
    total = pd.DataFrame(
        [{"year": "Total", "basis": f"the contract period: {budget.period}", "total": budget.total}]
    )
    return pd.concat([rows, total], ignore_index=True)


def _workbook_title(result: CostResult) -> str:
    """The page header of a cost workbook: the pathway's name (and the scenario's), the
    price year."""
    name = result.pathway.name
    if result.scenario is not None:
        name += f", scenario: {result.scenario.name}"
    return f"{name}: cost, {result.price_year} prices"
