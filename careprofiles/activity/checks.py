"""The row checks of activity and outcome records, and their row-numbered messages.

Holds :func:`check_activity` and :func:`check_outcomes` (the public checks), and the
parts the costing and the summaries run on each frame or Dask partition before they
total it: :func:`activity_checks` (every check on activity records and the wording of
its problem, in the order problems on one row are listed), :func:`is_clean` (a few
whole-column reductions that pass clean data without making a mask per check) and
:func:`check_rows` (every check as a boolean mask over whole columns, the failing rows
collected by :class:`~careprofiles.activity.findings.Collector`). Every bad row is
reported with its ``file:line``; nothing is dropped silently.

Imports: activity.records, activity.encoding, activity.findings, tariffs, profiles.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from careprofiles.activity.encoding import (
    Prices,
    Rows,
    decode,
    factor,
    in_slices,
    map_rows,
    numbers,
)
from careprofiles.activity.findings import (
    FINDINGS_META,
    Check,
    Collector,
    places,
    raise_findings,
    text_at,
)
from careprofiles.activity.records import (
    FloatArray,
    Frame,
    Int64Array,
    IntArray,
    Source,
    activity_frame,
    check_dask_columns,
    is_dask,
    outcome_frame,
    source_of,
)
from careprofiles.profiles.models import Pathway
from careprofiles.tariffs.tables import Tariff

__all__ = [
    "MAX_RECORD_COST",
    "MAX_RECORD_HOURS",
    "MAX_RECORD_QUANTITY",
    "Outcomes",
    "activity_checks",
    "check_activity",
    "check_outcomes",
    "check_partitions",
    "check_rows",
    "is_clean",
    "service_table",
]

# --------------------------------------------------------------------------- activity

MAX_RECORD_COST = 1e12
"""The most one activity record may cost, in pounds (a million million: several years of
the NHS in England); more is refused as implausible, so that every sum of records is
a finite number."""
MAX_RECORD_HOURS = 1e6
"""The most staff hours one record may hold (over a century)."""
MAX_RECORD_QUANTITY = 1e9
"""The largest quantity one record may give."""


def _close(value: str, options: Sequence[str]) -> str:
    found = difflib.get_close_matches(value, list(options), n=1)
    return f"; did you mean {found[0]!r}?" if found else ""


def activity_checks(pathway: Pathway | None, prices: Prices) -> dict[str, Check]:
    """Every check on activity records, in the order problems on one row are listed."""
    stages = [s.id for s in pathway.stages] if pathway is not None else []
    files = ", ".join(prices.tariff.files) or "the tariff"
    pathway_id = pathway.id if pathway is not None else ""

    def service_message(value: str, stage: str) -> str:
        services = [s.id for s in pathway.stage(stage).services] if pathway is not None else []
        return (
            f"{value!r} is not a service of stage {stage!r}{_close(value, services)}; "
            f"its services are {', '.join(services)} (leave service empty for activity "
            "not tied to a service)"
        )

    def year_message(value: str, context: str) -> str:
        return (
            f"{value!r} is priced in {context}, not in the pathway's {prices.price_year}; "
            f"restate its cost in {prices.price_year}, or give a price index (--index FILE)"
        )

    return {
        "patient_missing": Check(
            "patient_id", lambda v, c: "is empty; every row needs the patient it concerns"
        ),
        "stage_missing": Check(
            "stage",
            lambda v, c: (
                f"is empty; give a stage id of the pathway ({', '.join(stages) or 'a stage id'})"
            ),
        ),
        "stage_unknown": Check(
            "stage",
            lambda v, c: (
                f"{v!r} is not a stage of pathway {pathway_id!r}{_close(v, stages)}; its stages "
                f"are {', '.join(stages)}"
            ),
        ),
        "service_unknown": Check("service", service_message),
        "code_missing": Check("code", lambda v, c: "is empty; give a tariff code"),
        "code_unknown": Check(
            "code",
            lambda v, c: (
                f"{v!r} is not in the tariff ({files}){prices.tariff.suggest(v)}; add a row with "
                f"code {v!r} to a tariff file, or correct the code"
            ),
            missing_code=True,
        ),
        "code_year": Check("code", year_message),
        "minutes_text": Check(
            "minutes",
            lambda v, c: f"{v!r} is not a number; give the staff minutes in digits, e.g. 45",
        ),
        "minutes_missing": Check(
            "minutes",
            lambda v, c: (
                f"is empty; {c!r} is priced per hour, so the row needs the staff minutes of the "
                "contact, travel included"
            ),
        ),
        "minutes_column": Check(
            "minutes",
            lambda v, c: (
                f"missing column minutes, but {v} {'row is' if v == '1' else 'rows are'} priced "
                f"per hour (the first: {c!r}), so each needs the staff minutes of the contact; "
                "add a minutes column (travel included)"
            ),
            header=True,
        ),
        "minutes_negative": Check(
            "minutes", lambda v, c: f"{v} is negative; minutes are 0 or more"
        ),
        "minutes_infinite": Check("minutes", lambda v, c: f"{v} is not a finite number"),
        "minutes_item": Check(
            "minutes",
            lambda v, c: (
                f"{v} minutes given for {c}; items have no staff time: leave minutes empty, or "
                "record the staff who delivered it on a row of its own"
            ),
        ),
        "quantity_text": Check(
            "quantity",
            lambda v, c: f"{v!r} is not a number; give the contacts or units in digits, e.g. 1",
        ),
        "quantity_negative": Check(
            "quantity",
            lambda v, c: f"{v} is negative; a quantity is 0 or more (leave it empty for 1)",
        ),
        "quantity_infinite": Check("quantity", lambda v, c: f"{v} is not a finite number"),
        "record_too_large": Check(
            "code",
            lambda v, c: (
                f"the record of {v!r} comes to {c}: implausibly large for one contact or item "
                f"(one record may come to at most £{MAX_RECORD_COST:,.0f}, "
                f"{MAX_RECORD_HOURS:,.0f} hours and a quantity of {MAX_RECORD_QUANTITY:,.0f}); "
                f"check its minutes and quantity, and the tariff's cost of {v!r}"
            ),
            code="overflow",
        ),
        "date_invalid": Check(
            "date",
            lambda v, c: f"{v!r} is not an ISO date; write it as YYYY-MM-DD, e.g. 2024-06-30",
        ),
        "area_column": Check(
            "area",
            lambda v, c: (
                "missing column area; benchmarking needs the area each patient belongs to: "
                f"add an area column and give it on every row ({v} rows)"
            ),
            header=True,
        ),
        "area_missing": Check(
            "area", lambda v, c: "is empty; benchmarking needs the area each patient belongs to"
        ),
    }


def _range_of(values: FloatArray) -> tuple[float, float]:
    """The smallest and largest number, ignoring NaN (NaN when there are none)."""
    low, high = np.fmin.reduce(values, initial=np.nan), np.fmax.reduce(values, initial=np.nan)
    return float(low), float(high)


def _range(values: FloatArray) -> tuple[float, float]:
    """The smallest and largest number, ignoring NaN (0, 0 when there are none)."""
    low, high = _range_of(values)
    return (0.0, 0.0) if math.isnan(low) else (low, high)


def is_clean(rows: Rows, pathway: Pathway | None, need_area: bool) -> bool:
    """True when a few whole-column reductions show every row passes every check.

    Conservative: False sends the rows through the exact checks of :func:`check_rows`,
    which name the rows (and may find none at fault, e.g. for an unused category).
    """
    if not rows.n:
        return True
    for column in ("patient_id", "stage"):
        if rows.factor(column)[0].min() < 0:
            return False
    if rows.code.min() < 0 or rows.known is not None:
        return False
    # a code priced in another year than the one asked for: looked at once per code
    if np.append(rows.prices.other_year, False)[rows.tariff_index].any():
        return False
    if pathway is not None:
        stage_index = rows.stage_index(pathway)
        if (stage_index[:-1] < 0).any():
            return False
        if "service" in rows.frame.columns and not _services_valid(rows, pathway, stage_index):
            return False
    if need_area and ("area" not in rows.frame.columns or rows.factor("area")[0].min() < 0):
        return False
    if rows.bad_dates is not None:
        return False
    minutes, minutes_bad = rows.minutes
    quantity, quantity_bad = rows.quantity
    if minutes_bad is not None or quantity_bad is not None:
        return False
    dearest = float(np.fmax.reduce(rows.prices.cost, initial=0.0))
    if not dearest <= MAX_RECORD_COST:
        return False
    stats = _number_stats(rows)
    if quantity is not None:
        low, high = stats.quantity
        if low < 0 or high == np.inf or high > MAX_RECORD_QUANTITY:
            return False
        if high * dearest > MAX_RECORD_COST:
            return False
    if minutes is None:
        return not stats.any_per_hour
    low, high = stats.minutes
    if low < 0 or high == np.inf or high / 60 > MAX_RECORD_HOURS:
        return False
    if high / 60 * dearest > MAX_RECORD_COST:
        return False
    return not stats.hourly_missing and not stats.on_items > 0


def service_table(rows: Rows, pathway: Pathway) -> NDArray[np.bool_]:
    """Whether each distinct service is one of each stage's: one row a pathway stage and
    a last row for a stage that is not one; one column a distinct service and a last one
    for a missing service (both True: those rows are the other checks' to report)."""
    names = rows.factor("service")[1].astype(str)
    valid = np.ones((len(pathway.stages) + 1, len(names) + 1), dtype=bool)
    for si, stage in enumerate(pathway.stages):  # a loop over stages, not rows
        valid[si, :-1] = names.isin([v.id for v in stage.services])
    return valid


def _services_valid(rows: Rows, pathway: Pathway, stage_index: IntArray) -> bool:
    """Every row's service is one of its stage's: looked up in :func:`service_table` by
    the row's two codes, slice by slice in threads."""
    valid = service_table(rows, pathway)
    stage_codes, service_codes = rows.factor("stage")[0], rows.factor("service")[0]

    def each(at: slice) -> bool:
        return bool(valid[stage_index[stage_codes[at]], service_codes[at]].all())

    return all(in_slices(each, rows.n))


@dataclass(frozen=True)
class _Stats:
    """The reductions :func:`is_clean` decides on (of a slice, or of all rows)."""

    minutes: tuple[float, float] = (math.nan, math.nan)
    """The smallest and largest minutes (NaN: none; (0, 0) once joined)."""
    quantity: tuple[float, float] = (math.nan, math.nan)
    any_per_hour: bool = False
    """A row is priced per hour."""
    hourly_missing: bool = False
    """A row priced per hour has no minutes."""
    on_items: float = -math.inf
    """The most minutes on a row that is not staff time (-inf: none)."""

    @classmethod
    def join(cls, parts: Sequence[_Stats]) -> _Stats:
        """The reductions of all the slices' rows."""
        def span(ranges: list[tuple[float, float]]) -> tuple[float, float]:
            low = float(np.fmin.reduce([r[0] for r in ranges]))
            high = float(np.fmax.reduce([r[1] for r in ranges]))
            return (0.0, 0.0) if math.isnan(low) else (low, high)

        return cls(
            minutes=span([p.minutes for p in parts]),
            quantity=span([p.quantity for p in parts]),
            any_per_hour=any(p.any_per_hour for p in parts),
            hourly_missing=any(p.hourly_missing for p in parts),
            on_items=max(p.on_items for p in parts),
        )


def _number_stats(rows: Rows) -> _Stats:
    """:class:`_Stats` of the rows, slice by slice in threads, each slice's flags gathered
    from its own codes (no row-sized mask of the whole frame is made)."""
    minutes_all, quantity_all = rows.minutes[0], rows.quantity[0]
    _cost, hourly, counted = rows.by_code

    def each(at: slice) -> _Stats:
        code = rows.code[at]
        per_hour = hourly[code]
        quantity = (math.nan,) * 2 if quantity_all is None else _range_of(quantity_all[at])
        if minutes_all is None:
            return _Stats(quantity=quantity, any_per_hour=bool(per_hour.any()))
        minutes = minutes_all[at]
        not_staff = ~counted[code]
        return _Stats(
            minutes=_range_of(minutes),
            quantity=quantity,
            any_per_hour=bool(per_hour.any()),
            # a missing minutes on a per-hour row makes this sum NaN
            hourly_missing=math.isnan(float(np.add.reduce(minutes, where=per_hour, initial=0.0))),
            on_items=float(np.fmax.reduce(minutes, where=not_staff, initial=-np.inf)),
        )

    return _Stats.join(list(in_slices(each, rows.n)))


def check_rows(
    rows: Rows, pathway: Pathway | None, need_area: bool, part: int = 0, quick: bool = True
) -> pd.DataFrame:
    """Every failed check of one frame or partition, vectorised (boolean masks).

    Returns rows ``(check, pos, value, context, count)``: for each failed check the first
    :data:`~careprofiles.activity.findings.MAX_LISTED` failing rows (``count`` 0; ``pos``
    is ``part << 40 | position``) and one row with the total (``pos`` -1); a last row
    ``check="__len__"`` carries the partition number (``pos``) and its number of rows
    (``count``). Clean data costs a few reductions (:func:`is_clean`); the row-level
    masks are made only when needed.
    """
    frame, prices, n = rows.frame, rows.prices, rows.n
    found = Collector(part, rows)
    if quick and is_clean(rows, pathway, need_area):
        return found.frame(rows.total if rows.total >= 0 else n)
    report = found.report
    report("patient_missing", rows.factor("patient_id")[0] < 0)

    stage_codes = rows.factor("stage")[0]
    report("stage_missing", stage_codes < 0)
    if pathway is not None:
        row_stage = rows.stage_index(pathway)[stage_codes]
        stage_ok = row_stage >= 0
        report("stage_unknown", (stage_codes >= 0) & ~stage_ok, frame["stage"])
        if "service" in frame.columns:
            service_codes = rows.factor("service")[0]
            valid = service_table(rows, pathway)
            bad_service = stage_ok & (service_codes >= 0) & ~valid[row_stage, service_codes]
            stage_col = frame["stage"]
            report(
                "service_unknown",
                bad_service,
                frame["service"],
                lambda pos: text_at(stage_col, pos),
            )

    code_col = frame["code"]
    if (rows.code < 0).any():
        report("code_missing", rows.code < 0)
    known = rows.known
    if known is not None:
        report("code_unknown", (rows.code >= 0) & ~known, code_col)
    if prices.price_year is not None:
        years = np.array([prices.tariff[c].price_year for c in prices.codes], dtype=object)
        year_at = rows.gather(years, "")
        report(
            "code_year",
            rows.gather(prices.other_year, False),
            code_col,
            lambda pos: [str(y) for y in year_at[pos]],
        )

    per_hour, staff = rows.per_hour, rows.staff
    minutes, minutes_bad = rows.minutes
    if minutes_bad is not None:
        report("minutes_text", minutes_bad, frame["minutes"])
    if minutes is None:  # no minutes column: one problem for the file
        report("minutes_column", per_hour, None, lambda pos: text_at(code_col, pos))
    else:
        missing = np.isnan(minutes)
        missing &= per_hour
        if minutes_bad is not None:
            missing &= ~minutes_bad
        report("minutes_missing", missing, None, lambda pos: text_at(code_col, pos))
        del missing
        low, high = _range(minutes)
        if low < 0:
            report("minutes_negative", minutes < 0, frame["minutes"])
        if high == np.inf:
            report("minutes_infinite", np.isposinf(minutes), frame["minutes"])

        def item_context(pos: Int64Array) -> list[str]:
            units = np.append(prices.unit, "")[rows.tariff_index[rows.code[pos]]]
            return [
                f"{c!r} (an item priced per {u})"
                for c, u in zip(text_at(code_col, pos), units, strict=True)
            ]

        if high > 0:
            on_items = minutes > 0
            on_items &= ~staff
            if known is not None:
                on_items &= known
            report("minutes_item", on_items, frame["minutes"], item_context)
    quantity, quantity_bad = rows.quantity
    if quantity is not None:
        if quantity_bad is not None:
            report("quantity_text", quantity_bad, frame["quantity"])
        low, high = _range(quantity)
        if low < 0:
            report("quantity_negative", quantity < 0, frame["quantity"])
        if high == np.inf:
            report("quantity_infinite", np.isposinf(quantity), frame["quantity"])
    _report_too_large(rows, report)
    bad_dates = rows.bad_dates
    if bad_dates is not None:
        report("date_invalid", bad_dates, frame["date"])
    if need_area:
        if "area" not in frame.columns:
            report("area_column", np.ones(n, dtype=bool))
        else:
            report("area_missing", rows.factor("area")[0] < 0)
    return found.frame(rows.total if rows.total >= 0 else n)


def _report_too_large(rows: Rows, report: Callable[..., None]) -> None:
    """Report the records whose cost, hours or quantity pass the ``MAX_RECORD_*`` limits
    (their figures are computed only on this path: clean data passes :func:`is_clean`)."""
    cost, hours = rows.figures()
    quantity = rows.quantity[0]
    too_large = (cost > MAX_RECORD_COST) | (hours > MAX_RECORD_HOURS)
    if quantity is not None:
        too_large |= quantity > MAX_RECORD_QUANTITY
    if not too_large.any():
        return

    def figures(pos: Int64Array) -> list[str]:
        out = []
        for at in pos.tolist():
            finite = math.isfinite(cost[at])
            pounds = f"£{cost[at]:.4g}" if finite else "a cost too large to compute"
            parts = [pounds, f"{hours[at]:.4g} hours"]
            if quantity is not None and not math.isnan(quantity[at]):
                parts.append(f"a quantity of {quantity[at]:.4g}")
            out.append(", ".join(parts))
        return out

    report("record_too_large", too_large, rows.frame["code"], figures)


def check_partitions(
    activity: Frame, prices: Prices, pathway: Pathway | None, need_area: bool
) -> Frame:
    """A Dask frame of the failed checks of every partition (:func:`check_rows`), lazy."""

    def each(rows: Rows, number: int) -> pd.DataFrame:
        return check_rows(rows, pathway, need_area, number)

    return map_rows(activity, prices, each, FINDINGS_META)


def check_activity(
    activity: Frame | str | Path,
    tariff: Tariff,
    pathway: Pathway | None = None,
    *,
    need_area: bool = False,
) -> None:
    """Check activity records; raise :class:`ActivityError` naming every bad row.

    Checked: a patient on every row; a stage and a code on every row; the stage one of
    the pathway's and the service one of that stage's (given a pathway); the code in the
    tariff (else :class:`ActivityCodeError`, also a ``MissingCodeError``); minutes given
    for codes priced per hour; minutes and quantity numbers, not negative, finite; no
    staff minutes on items; ISO dates; with ``need_area``, an area on every row.
    """
    prices = Prices.of(tariff, pathway)
    checks = activity_checks(pathway, prices)
    if is_dask(activity):
        check_dask_columns(activity)
        found = check_partitions(activity, prices, pathway, need_area).compute()
        raise_findings(found, source_of(activity), checks, "activity records")
        return
    frame = activity_frame(activity)
    found = check_rows(Rows(frame, prices), pathway, need_area)
    raise_findings(found, source_of(frame), checks, "activity records", frame.index)


# --------------------------------------------------------------------------- outcomes


@dataclass(frozen=True)
class Outcomes:
    """Checked outcome records."""

    table: pd.DataFrame
    """patient_id (str), outcome, value (float64), area ("" if none), row (0-based)."""
    source: Source
    index: pd.Index | None = None

    def place(self, row: int) -> tuple[str | None, int | None, str]:
        """``(file, line, where-prefix)`` of a 0-based row."""
        return places(self.source, np.array([row], dtype=np.int64), self.index)[0]


def check_outcomes(outcomes: pd.DataFrame | str | Path | Outcomes, pathway: Pathway) -> Outcomes:
    """Check outcome records against ``pathway``.

    Checked: a patient and an outcome on every row, the outcome one of the pathway's
    outcome ids, the value a finite number (1/0 for yes/no). Raises
    :class:`ActivityError` naming every bad row (``file:line``).
    """
    if isinstance(outcomes, Outcomes):
        return outcomes
    frame = outcome_frame(outcomes)
    source = source_of(frame)
    ids = [o.id for s in pathway.stages for o in s.outcomes]
    listing = ", ".join(ids) or "none (add outcomes to the stages)"
    checks: dict[str, Check] = {
        "patient_missing": Check(
            "patient_id", lambda v, c: "is empty; every row needs the patient it concerns"
        ),
        "outcome_missing": Check(
            "outcome", lambda v, c: f"is empty; give an outcome id of the pathway: {listing}"
        ),
        "outcome_unknown": Check(
            "outcome",
            lambda v, c: (
                f"{v!r} is not an outcome of pathway {pathway.id!r}{_close(v, ids)}; its "
                f"outcomes are {listing}"
            ),
        ),
        "value_text": Check(
            "value",
            lambda v, c: f"{v!r} is not a number; give 1 or 0 for a yes/no outcome, or a number",
        ),
        "value_missing": Check(
            "value", lambda v, c: "is empty; give 1 or 0 for a yes/no outcome, or a number"
        ),
        "value_infinite": Check("value", lambda v, c: f"{v} is not a finite number"),
    }
    n = len(frame)
    found = Collector()
    pcodes, _ = factor(frame["patient_id"])
    found.report("patient_missing", pcodes < 0)
    ocodes, ouniques = factor(frame["outcome"])
    found.report("outcome_missing", ocodes < 0)
    known = np.append(pd.Index(ids, dtype=object).get_indexer(ouniques.astype(str)) >= 0, True)
    found.report("outcome_unknown", ~known[ocodes], frame["outcome"])
    values, bad = numbers(frame, "value")
    assert values is not None
    text_bad = bad if bad is not None else np.zeros(n, dtype=bool)
    found.report("value_text", text_bad, frame["value"])
    found.report("value_missing", np.isnan(values) & ~text_bad)
    found.report("value_infinite", np.isinf(values), frame["value"])
    raise_findings(found.frame(n), source, checks, "outcome records", frame.index)
    if "area" in frame.columns:
        acodes, auniques = factor(frame["area"])
        area = decode(auniques, acodes, "").astype(str).to_numpy(dtype=object)
    else:
        area = np.full(n, "", dtype=object)
    table = pd.DataFrame(
        {
            "patient_id": frame["patient_id"].astype(str).to_numpy(dtype=object),
            "outcome": frame["outcome"].astype(str).to_numpy(dtype=object),
            "value": values,
            "area": area,
            "row": np.arange(n, dtype=np.int64),
        }
    )
    return Outcomes(table, source, frame.index)
