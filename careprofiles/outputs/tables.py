"""Costing results as text tables, JSON, CSV and Excel workbooks."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from careprofiles.errors import MissingDependencyError
from careprofiles.profiles.distributions import Distribution

if TYPE_CHECKING:
    from careprofiles.costing.result import CostResult

__all__ = [
    "cost_json",
    "cost_table",
    "format_money",
    "text_table",
    "to_json",
    "write_xlsx",
]


def format_money(x: Any, pence: bool = False) -> str:
    """Pounds for people: ``£1,234`` (or ``£1,234.56``); negative as ``-£12``; a missing
    value (None or NaN) as ``-``."""
    if x is None:
        return "-"
    x = float(x)
    if math.isnan(x):
        return "-"
    sign = "-" if x < 0 else ""
    return f"{sign}£{abs(x):,.2f}" if pence else f"{sign}£{abs(x):,.0f}"


def text_table(
    rows: Sequence[Sequence[Any]], headers: Sequence[str], align: str | None = None
) -> str:
    """A plain aligned table; ``align`` holds 'l' or 'r' per column (default: numbers right)."""
    cells = [[str(c) for c in headers]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    if align is None:
        align = _alignment(rows, len(headers))
    out = []
    for n, row in enumerate(cells):
        out.append(
            "  ".join(
                c.rjust(w) if a == "r" else c.ljust(w)
                for c, w, a in zip(row, widths, align, strict=True)
            ).rstrip()
        )
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def _markdown_table(
    rows: Sequence[Sequence[Any]], headers: Sequence[str], align: str | None = None
) -> str:
    """A Markdown (GitHub pipe) table of ``rows``, every cell escaped with
    :func:`~careprofiles.specification.render.markdown_escape`; ``align`` as in :func:`text_table`
    ('r' columns get ``--:``, so figures line up in HTML and Word too)."""
    from careprofiles.specification.render import markdown_escape

    if align is None:
        align = _alignment(rows, len(headers))

    def line(cells: Sequence[Any]) -> str:
        return "| " + " | ".join(markdown_escape(str(c)) for c in cells) + " |"

    rule = "| " + " | ".join("--:" if a == "r" else "---" for a in align) + " |"
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


def _alignment(rows: Sequence[Sequence[Any]], columns: int) -> str:
    """'r' for a column whose every cell looks like a number (there must be rows), else 'l'."""
    return "".join(
        "r" if rows and all(_looks_numeric(str(r[i])) for r in rows) else "l"
        for i in range(columns)
    )


def _looks_numeric(s: str) -> bool:
    t = s.replace("£", "").replace(",", "").replace("%", "").replace("-", "").replace(".", "")
    return t.isdigit() or s in ("-", "")


def cost_table(result: CostResult) -> str:
    """The readable summary ``careprofiles cost`` prints."""
    p = result.pathway
    lines = [
        f"{p.name} ({p.id}), {result.price_year} prices",
        f"Cohort: {result.cohort:,.0f} patients a year"
        + (f" ({_cohort_text(result)})" if p.cohort.patients is None else ""),
        f"Tariffs: {', '.join(result.tariff.files)}",
        "",
        "Stages",
        text_table(
            [
                [
                    r.stage,
                    f"{r.duration_weeks:g}",
                    f"{r.reach:.0%}",
                    f"{r.patients:,.0f}",
                    format_money(r.per_patient_reached),
                    format_money(r.per_patient),
                    format_money(r.total),
                ]
                for r in result.by_stage().itertuples()
            ]
            + [
                [
                    "Total",
                    "",
                    "",
                    "",
                    "",
                    format_money(result.per_patient),
                    format_money(result.total),
                ]
            ],
            [
                "stage",
                "weeks",
                "reach",
                "patients",
                "per patient reached",
                "per cohort patient",
                "a year",
            ],
        ),
        "",
        "Staff (hours a year and whole-time equivalents)",
        text_table(
            [
                [r.role, r.unit, f"{r.hours:,.0f}", f"{r.wte:,.1f}", format_money(r.cost)]
                for r in result.by_role().itertuples()
            ],
            ["role", "priced per", "hours", "WTE", "cost a year"],
        ),
        "",
        "Settings",
        text_table(
            [
                [
                    r.setting,
                    format_money(r.per_patient),
                    format_money(r.total),
                    f"{r.share_of_total:.1%}",
                ]
                for r in result.by_setting().itertuples()
            ],
            ["setting", "per cohort patient", "a year", "share"],
        ),
        "",
        f"Cost per patient: {format_money(result.per_patient, pence=True)}",
        f"Population cost a year: {format_money(result.total, pence=True)}",
    ]
    return "\n".join(lines) + "\n"


def _cohort_text(result: CostResult) -> str:
    c = result.pathway.cohort
    from careprofiles.profiles.distributions import base_value

    assert c.population is not None
    assert c.deaths_per_1000 is not None
    assert c.eligible_share is not None
    return (
        f"population {base_value(c.population):,.0f} x {base_value(c.deaths_per_1000):g} deaths "
        f"per 1,000 x {base_value(c.eligible_share):.0%} eligible"
    )


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
    sheets: dict[str, pd.DataFrame], money_columns: Sequence[str] = ()
) -> Callable[[Path], None]:
    """A writer of a formatted workbook, one sheet per frame (openpyxl, the ``xlsx`` extra)."""
    try:
        import openpyxl  # noqa: F401
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter
    except ImportError:  # pragma: no cover - depends on the environment
        raise MissingDependencyError("openpyxl", "xlsx", "Excel output") from None

    money = set(money_columns)

    def write(path: Path) -> None:
        with pd.ExcelWriter(path, engine="openpyxl") as writer:
            for name, frame in sheets.items():
                frame.to_excel(writer, sheet_name=name[:31], index=False)
                ws = writer.sheets[name[:31]]
                ws.freeze_panes = "A2"
                for cell in ws[1]:
                    cell.font = Font(bold=True)
                for i, col in enumerate(frame.columns, start=1):
                    letter = get_column_letter(i)
                    width = max([len(str(col))] + [len(str(v)) for v in frame[col].head(200)])
                    ws.column_dimensions[letter].width = min(max(10, width + 2), 60)
                    fmt = None
                    if (
                        col in money
                        or str(col).startswith("cost")
                        or str(col) in ("per_patient", "total", "unit_cost", "per_patient_reached")
                    ):
                        fmt = '"£"#,##0.00'
                    elif str(col) in ("hours", "wte", "patients", "hours_population"):
                        fmt = "#,##0.0"
                    if fmt:
                        for cell in ws[letter][1:]:
                            cell.number_format = fmt

    return write


def cost_workbook(result: CostResult) -> Callable[[Path], None]:
    """The ``cost --format xlsx`` workbook: summary, stages, roles, settings, lines, inputs."""
    summary = pd.DataFrame(
        {
            "measure": [
                "pathway",
                "name",
                "price year",
                "cohort (patients a year)",
                "cost per patient",
                "population cost a year",
                "tariffs",
            ],
            "value": [
                result.pathway.id,
                result.pathway.name,
                result.price_year,
                result.cohort,
                result.per_patient,
                result.total,
                ", ".join(result.tariff.files),
            ],
        }
    )
    inputs = pd.DataFrame(
        [
            {
                "address": p.address,
                "value": p.value.describe() if isinstance(p.value, Distribution) else p.value,
                "base": p.base,
                "factor": p.factor,
                "source": p.location,
            }
            for p in result.model.parameters[2:]
        ]
    )
    return write_xlsx(
        {
            "summary": summary,
            "stages": result.by_stage(),
            "services": result.by_service(),
            "roles": result.by_role(),
            "settings": result.by_setting(),
            "lines": result.lines,
            "inputs": inputs,
            "tariff": result.tariff.to_frame().reset_index(),
        }
    )
