"""Activity and outcome records: what was actually delivered, read, checked and costed.

Activity records (``docs/audit.md``; the "Activity records" section of the format) are
one row per contact or item delivered, in CSV or Parquet, with the columns

===========  ========  ==========================================================
column       required  meaning
===========  ========  ==========================================================
patient_id   yes       a patient (string or integer)
stage        yes       a stage id of the pathway
code         yes       a tariff code: a staff role, or an item
service      no        a service id of that stage (empty: not tied to a service)
minutes      per hour  staff minutes of the contact, travel included
quantity     no        contacts (staff rows) or units (items); default 1
area         no        the area (practice, locality, ICB) the patient belongs to
date         no        ISO date, ``YYYY-MM-DD``
===========  ========  ==========================================================

The actual cost of a row is ``minutes / 60 * cost`` for a code priced per ``hour``, and
``quantity * cost`` otherwise. A row is a *staff* row when its code is priced per hour or
per contact (and, given a pathway, is not one of the pathway's items); its hours are
``minutes / 60`` (0 when a per-contact role has no minutes). Items have no hours, and a
non-zero ``minutes`` on an item row is an error rather than ignored.

Every check is a boolean mask over whole columns; every bad row is reported with its
``file:line`` (CSV: the header is line 1, so data row *i* is line *i + 1*; Parquet and
Dask: ``row N``, counting from 1 in dataset order), the first :data:`MAX_LISTED` of them
listed and the rest counted. Nothing is dropped silently (blank CSV lines excepted, as
in tariff files).

:func:`cost_activity` is the hot path: codes are mapped to tariff indices once per
distinct value (categorical codes or one factorize pass), unit costs are gathered by
index, costs computed with numpy, and (patient, stage) totals made with one
``bincount`` pass. A Dask DataFrame is costed partition by partition
(``map_partitions``) and reduced with a group-by sum, so memory stays bounded.
"""

from __future__ import annotations

import csv
import difflib
import math
import os
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar, cast

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from careprofiles.errors import (
    ActivityError,
    MissingCodeError,
    MissingDependencyError,
    Problem,
    display_path,
)
from careprofiles.profiles.models import Pathway
from careprofiles.tariffs.tables import Tariff

__all__ = [
    "ACTIVITY_COLUMNS",
    "MAX_LISTED",
    "OUTCOME_COLUMNS",
    "ActivityCodeError",
    "Outcomes",
    "Reduced",
    "Summary",
    "check_activity",
    "check_outcomes",
    "cost_activity",
    "is_dask",
    "read_activity",
    "read_outcomes",
    "reduce_activity",
    "summarise_activity",
]

ACTIVITY_REQUIRED = ("patient_id", "stage", "code")
ACTIVITY_OPTIONAL = ("service", "minutes", "quantity", "area", "date")
ACTIVITY_COLUMNS = (*ACTIVITY_REQUIRED, *ACTIVITY_OPTIONAL)
"""Columns an activity file may have (the first three are required)."""
OUTCOME_REQUIRED = ("patient_id", "outcome", "value")
OUTCOME_OPTIONAL = ("area",)
OUTCOME_COLUMNS = (*OUTCOME_REQUIRED, *OUTCOME_OPTIONAL)
"""Columns an outcome file may have (the first three are required)."""
MAX_LISTED = 50
"""Bad rows listed one by one; the rest are counted."""

_CATEGORICAL = ("stage", "code", "service", "area", "date")
_NUMERIC = ("minutes", "quantity")
_PART_SHIFT = 40  # Dask: a row's position is partition << 40 | position in the partition

Int64Array = NDArray[np.int64]
IntArray = NDArray[np.signedinteger[Any]]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
Frame = Any  # a pandas or Dask DataFrame (dask is optional, so not in annotations)
_F = TypeVar("_F")


class ActivityCodeError(ActivityError, MissingCodeError):
    """Activity records name a tariff code that no tariff file defines.

    Both an :class:`~careprofiles.errors.ActivityError` and a
    :class:`~careprofiles.errors.MissingCodeError` (so a ``LookupError`` too).
    """


# --------------------------------------------------------------------------- sources


@dataclass(frozen=True)
class _Source:
    """Where records came from, to turn row positions into ``file:line``."""

    file: str | None
    kind: Literal["csv", "parquet", "frame"]
    path: Path | None = None
    kept: Int64Array | None = field(default=None, repr=False)
    """CSV: positions (in the file's data rows) of the rows kept, when blank lines were skipped."""
    irregular: bool = False
    """CSV: some quoted field holds a line break, so lines must be counted exactly."""

    def locate(self, rows: Int64Array) -> list[tuple[str | None, int | None, str]]:
        """``(file, line, where-prefix)`` for 0-based row positions of the records."""
        if self.kind != "csv":
            return [(self.file, None, f"row {int(r) + 1}") for r in rows]
        data_rows = rows if self.kept is None else self.kept[rows]
        if self.irregular and self.path is not None:
            starts = _csv_row_lines(self.path)
            lines = [int(starts[r]) if r < len(starts) else int(r) + 2 for r in data_rows]
        else:
            lines = [int(r) + 2 for r in data_rows]
        return [(self.file, line, "") for line in lines]


# Where each frame read by this module came from, by id() (checked against a weak
# reference, and dropped when the frame goes): kept out of DataFrame.attrs so that
# frames still copy, concatenate and write to Parquet as usual.
_SOURCES: dict[int, tuple[weakref.ref[Any], _Source]] = {}


def _source_of(frame: Frame) -> _Source:
    entry = _SOURCES.get(id(frame))
    if entry is not None and entry[0]() is frame:
        return entry[1]
    return _Source(None, "parquet" if is_dask(frame) else "frame")


def _remember(frame: _F, source: _Source) -> _F:
    key = id(frame)
    _SOURCES[key] = (weakref.ref(frame), source)
    weakref.finalize(frame, _SOURCES.pop, key, None)
    return frame


def is_dask(frame: object) -> bool:
    """True for a Dask DataFrame (without importing Dask when it is not in use)."""
    module = type(frame).__module__
    return module.startswith("dask.") and hasattr(frame, "map_partitions")


def _csv_row_lines(path: Path) -> Int64Array:
    """The line on which each data row starts (only for files with multi-line fields)."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        next(reader, None)
        starts: list[int] = []
        line = reader.line_num + 1
        for _ in reader:  # error path only, for files with quoted line breaks
            starts.append(line)
            line = reader.line_num + 1
    return np.asarray(starts, dtype=np.int64)


# --------------------------------------------------------------------------- reading


def _dask() -> Any:
    try:
        import dask.dataframe as dd
    except ImportError:  # pragma: no cover - depends on the environment
        raise MissingDependencyError("dask", "dask", "the Dask engine") from None
    return dd


def _dask_compute(*collections: Any) -> tuple[Any, ...]:
    """Compute Dask collections together (shared reads run once)."""
    from dask.base import compute

    result: tuple[Any, ...] = compute(*collections)  # type: ignore[no-untyped-call]
    return result


def _pyarrow(purpose: str) -> None:
    try:
        import pyarrow  # noqa: F401
    except ImportError:  # pragma: no cover - depends on the environment
        raise MissingDependencyError("pyarrow", "parquet", purpose) from None


def _kind_of(path: Path) -> Literal["csv", "parquet"]:
    if path.is_dir() or path.suffix.lower() in (".parquet", ".pq", ".parq"):
        return "parquet"
    return "csv"


@dataclass(frozen=True)
class _Columns:
    """The columns of one kind of records, and what to call the records in messages."""

    required: tuple[str, ...]
    optional: tuple[str, ...]
    what: str


_ACTIVITY = _Columns(ACTIVITY_REQUIRED, ACTIVITY_OPTIONAL, "activity records")
_OUTCOMES = _Columns(OUTCOME_REQUIRED, OUTCOME_OPTIONAL, "outcome records")


def _check_columns(
    columns: Iterable[object],
    spec: _Columns,
    name: str | None = None,
    line: int | None = None,
    error: type[ActivityError] = ActivityError,
) -> None:
    """Raise ``error`` naming every missing, repeated or unknown column of ``spec``."""
    header = [str(c) for c in columns]
    problems: list[Problem] = []
    allowed = (*spec.required, *spec.optional)
    missing = [c for c in spec.required if c not in header]
    if missing:
        problems.append(
            Problem(
                name,
                line,
                "header",
                f"missing column {', '.join(missing)}; {spec.what} need the columns "
                f"{', '.join(spec.required)} (optional: {', '.join(spec.optional)})",
            )
        )
    seen: set[str] = set()
    for col in header:
        if col in seen:
            problems.append(
                Problem(name, line, "header", f"column {col!r} appears twice; keep one")
            )
        seen.add(col)
        if col not in allowed:
            close = difflib.get_close_matches(col, list(allowed), n=1)
            hint = (
                f"; did you mean {close[0]!r}?" if close else f"; columns are {', '.join(allowed)}"
            )
            problems.append(Problem(name, line, "header", f"unknown column {col!r}{hint}"))
    if problems:
        raise error(problems)


def _csv_header(path: Path, name: str, error: type[ActivityError]) -> list[str]:
    try:
        with path.open("rb") as fh:
            first = fh.readline(1 << 20)
    except FileNotFoundError:
        raise error([Problem(name, None, "", "no such file; check the path")]) from None
    except IsADirectoryError:  # pragma: no cover - folders are read as Parquet datasets
        raise error([Problem(name, None, "", "is a folder; give a CSV or Parquet file")]) from None
    except OSError as exc:
        raise error([Problem(name, None, "", f"cannot read the file ({exc.strerror})")]) from None
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise error(
            [
                Problem(
                    name,
                    1,
                    "",
                    "the file is not UTF-8 text; save it as UTF-8 (in Excel: 'CSV UTF-8')",
                )
            ]
        ) from None
    if not text.strip():
        raise error([Problem(name, None, "", "the file is empty; it starts with a header line")])
    return [h.strip() for h in next(csv.reader([text]))]


def _first_bad_utf8_line(path: Path) -> int | None:
    """The line of the first byte that is not UTF-8 (read in chunks; error path only)."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 22):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return line + chunk[: exc.start].count(b"\n")
            line += chunk.count(b"\n")
    return None


def _count_lines(path: Path) -> tuple[int, bool]:
    """Newline characters in the file, and whether it ends with one."""
    count, last = 0, b"\n"
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 24):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    return count, last == b"\n"


def _read_csv_frame(
    path: Path,
    name: str,
    header: list[str],
    numeric: Sequence[str],
    categorical: Sequence[str],
    error: type[ActivityError],
) -> pd.DataFrame:
    # text is read as text (category dtype in read_csv would turn "007" into 7), then
    # the id columns become categorical with text categories
    dtypes: dict[str, Any] = {c: "str" for c in header if c not in numeric}
    floats = {c: "float64" for c in numeric if c in header}
    kwargs: dict[str, Any] = {
        "keep_default_na": False,
        "na_values": [""],
        "skip_blank_lines": False,
        "encoding": "utf-8-sig",
        "engine": "c",
        "skipinitialspace": True,
    }
    try:
        try:
            frame: pd.DataFrame = pd.read_csv(path, dtype={**dtypes, **floats}, **kwargs)
        except ValueError as exc:
            if "could not convert" not in str(exc) and "Unable to parse" not in str(exc):
                raise
            # a number column holds text: read it as text so the checks can name the rows
            frame = pd.read_csv(path, dtype={**dtypes, **dict.fromkeys(floats, "str")}, **kwargs)
        for column in categorical:
            if column in frame.columns:
                frame[column] = frame[column].astype("category")
    except UnicodeDecodeError:
        raise error(
            [
                Problem(
                    name,
                    _first_bad_utf8_line(path),
                    "",
                    "the file is not UTF-8 text; save it as UTF-8 (in Excel: 'CSV UTF-8')",
                )
            ]
        ) from None
    except pd.errors.ParserError as exc:
        text = str(exc)
        line: int | None = None
        if " line " in text:
            digits = text.split(" line ", 1)[1].split(",", 1)[0].strip()
            line = int(digits) if digits.isdigit() else None
        raise error(
            [
                Problem(
                    name,
                    line,
                    "",
                    f"cannot read the CSV ({text.split('. ')[-1]}); "
                    "quote any value that holds a comma",
                )
            ]
        ) from None
    return frame


def _drop_blank(frame: pd.DataFrame) -> tuple[pd.DataFrame, Int64Array | None]:
    blank = frame.isna().all(axis=1).to_numpy()
    if not blank.any():
        return frame, None
    kept = np.flatnonzero(~blank).astype(np.int64)
    return frame.iloc[kept].reset_index(drop=True), kept


def _read_records(
    path: str | Path,
    spec: _Columns,
    *,
    numeric: Sequence[str],
    categorical: Sequence[str],
    error: type[ActivityError],
) -> pd.DataFrame:
    what = spec.what
    p = Path(path)
    name = display_path(p)
    if not p.exists():
        raise error([Problem(name, None, "", f"no such file; check the path of the {what}")])
    if _kind_of(p) == "parquet":
        _pyarrow(f"reading {what} from Parquet")
        try:
            frame = pd.read_parquet(p)
        except Exception as exc:  # pyarrow raises many types for a broken file
            raise error(
                [
                    Problem(
                        name,
                        None,
                        "",
                        f"cannot read the Parquet data ({exc}); "
                        "check it is a Parquet file or dataset folder",
                    )
                ]
            ) from None
        _check_columns(frame.columns, spec, name, error=error)
        return _remember(frame, _Source(name, "parquet", p))
    header = _csv_header(p, name, error)
    _check_columns(header, spec, name, 1, error)
    frame = _read_csv_frame(p, name, header, numeric, categorical, error)
    newlines, ends = _count_lines(p)
    irregular = newlines + (0 if ends else 1) != len(frame) + 1
    frame, kept = _drop_blank(frame)
    return _remember(frame, _Source(name, "csv", p, kept, irregular))


def read_activity(path: str | Path, *, engine: Literal["pandas", "dask"] = "pandas") -> Frame:
    """Read activity records from a CSV file, or a Parquet file or dataset folder.

    Checks the columns (required, unknown, repeated); the values are checked against a
    tariff and pathway by :func:`check_activity` (and by :func:`cost_activity` and
    :func:`careprofiles.activity.audit.audit`). ``engine="dask"`` reads lazily into a Dask
    DataFrame (pyarrow and dask, the ``dask`` extra).
    """
    if engine == "pandas":
        return _read_records(
            path,
            _ACTIVITY,
            numeric=_NUMERIC,
            categorical=(*_CATEGORICAL, "patient_id"),
            error=ActivityError,
        )
    if engine != "dask":
        raise ActivityError(f"engine {engine!r} is not known; use 'pandas' or 'dask'")
    dd = _dask()
    p = Path(path)
    name = display_path(p)
    if not p.exists():
        raise ActivityError(
            [Problem(name, None, "", "no such file; check the path of the activity records")]
        )
    if _kind_of(p) == "parquet":
        _pyarrow("reading activity records from Parquet")
        frame = dd.read_parquet(str(p))
        _check_columns(frame.columns, _ACTIVITY, name)
        return _remember(frame, _Source(name, "parquet", p))
    header = _csv_header(p, name, ActivityError)
    _check_columns(header, _ACTIVITY, name, 1)
    # numbers are read as text, so that a partition with a bad value reports its row
    # rather than failing; blank lines are kept (and skipped per partition) so that rows
    # count lines: row N is line N + 1 unless a quoted value holds a line break
    frame = dd.read_csv(
        str(p),
        dtype=dict.fromkeys(header, "str"),
        keep_default_na=False,
        na_values=[""],
        encoding="utf-8-sig",
        skipinitialspace=True,
        skip_blank_lines=False,
        blocksize="64MB",
    )
    return _remember(frame, _Source(name, "csv", p))


def read_outcomes(path: str | Path) -> pd.DataFrame:
    """Read outcome records (``patient_id, outcome, value[, area]``) from CSV or Parquet.

    The values are checked against a pathway by :func:`check_outcomes`.
    """
    return _read_records(
        path,
        _OUTCOMES,
        numeric=("value",),
        categorical=("outcome", "area"),
        error=ActivityError,
    )


# --------------------------------------------------------------------------- encoding


def _small_int(size: int) -> type[np.signedinteger[Any]]:
    """The narrowest signed integer type holding -1..size."""
    for kind in (np.int8, np.int16, np.int32):
        if size < np.iinfo(kind).max:
            return kind
    return np.int64


_PARALLEL_ROWS = 1_000_000
"""Arrow-backed text columns of at least this many rows are factorized in threads."""


def _text_slices(rows: int) -> int:
    """Slices to factorize an Arrow-backed text column in: one per CPU for a long column."""
    return (os.cpu_count() or 1) if rows >= _PARALLEL_ROWS else 1


def _arrow_text(column: pd.Series) -> Any:
    """The column's Arrow data if it is Arrow-backed text (so pyarrow is installed), else None."""
    array = column.array
    if not isinstance(array, pd.arrays.ArrowExtensionArray):
        return None
    import pyarrow as pa

    data = array.__arrow_array__()
    if pa.types.is_string(data.type) or pa.types.is_large_string(data.type):
        return data
    return None


def _factor_text(column: pd.Series, data: Any, slices: int) -> tuple[IntArray, pd.Index]:
    """``pd.factorize(column)`` of Arrow text, hashing ``slices`` slices of it in threads.

    Each slice is dictionary-encoded in a thread of its own (pyarrow releases the GIL);
    unifying the dictionaries appends each slice's new values in slice order, so the
    codes follow first appearance, as ``pd.factorize`` gives them (-1: missing). The codes
    are int32, as Arrow gives them, rather than a row-sized int64 copy. The memory the
    threads' hash tables and indices took is handed back to the system at the end (Arrow's
    allocator keeps it otherwise, and the costing that follows allocates with numpy).
    """
    from concurrent.futures import ThreadPoolExecutor

    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(data)
    step = max(-(-n // slices), 1)
    starts = range(0, n, step)
    codes = np.empty(n, dtype=np.int32)

    def encode(start: int) -> Any:
        encoded = pc.dictionary_encode(data.slice(start, step))
        return encoded.combine_chunks() if isinstance(encoded, pa.ChunkedArray) else encoded

    def copy(start: int, chunk: Any) -> None:
        indices = chunk.indices
        if indices.null_count:
            indices = pc.fill_null(indices, -1)
        codes[start : start + len(indices)] = indices.to_numpy()

    with ThreadPoolExecutor(max(len(starts), 1)) as pool:
        encoded = list(pool.map(encode, starts))
    if not encoded:
        return codes, pd.Index(column.array[:0])
    unified = pa.chunked_array(encoded).unify_dictionaries()
    del encoded
    for start, chunk in zip(starts, unified.chunks, strict=True):
        copy(start, chunk)
    uniques = pd.Index(pd.array(unified.chunk(0).dictionary, dtype=column.dtype))
    del unified
    pa.default_memory_pool().release_unused()
    return codes, uniques


def _factor(column: pd.Series) -> tuple[IntArray, pd.Index]:
    """Integer codes (-1: missing or blank) and the distinct values they index.

    Categorical codes are used as they are (int8 for a few categories), so that no
    row-sized copy is made; other columns are factorized once (long Arrow-backed text
    columns in slices, one thread per CPU).
    """
    codes: IntArray
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = cast(IntArray, column.cat.codes.to_numpy())
        uniques = pd.Index(column.cat.categories)
    elif (slices := _text_slices(len(column))) > 1 and (data := _arrow_text(column)) is not None:
        codes, uniques = _factor_text(column, data, slices)
    else:
        raw_codes, raw_uniques = pd.factorize(column, use_na_sentinel=True)
        codes = np.asarray(raw_codes)
        uniques = pd.Index(raw_uniques)
    if len(uniques) and not pd.api.types.is_numeric_dtype(uniques.dtype):
        blank = np.asarray(uniques.astype(str).str.strip() == "", dtype=bool)
        if blank.any():
            lookup = np.append(np.where(blank, -1, np.arange(len(uniques))), -1)
            codes = lookup.astype(_small_int(len(uniques)))[codes]
    return codes, uniques


def _numbers(frame: pd.DataFrame, column: str) -> tuple[FloatArray | None, BoolArray | None]:
    """The column as float64 (NaN: missing), and a mask of values that are not numbers."""
    if column not in frame.columns:
        return None, None
    s = frame[column]
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        return s.to_numpy(dtype=np.float64, na_value=np.nan), None
    values = pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    present = s.notna().to_numpy() & (s.astype(str).str.strip() != "").to_numpy()
    bad = present & np.isnan(values)
    return values, (bad if bad.any() else None)


@dataclass(frozen=True)
class _Prices:
    """The tariff as arrays, indexed like :attr:`codes`."""

    codes: pd.Index
    cost: FloatArray
    per_hour: BoolArray
    staff: BoolArray
    unit: NDArray[np.object_]
    other_year: BoolArray
    """Rows not in ``price_year`` (only when one is given): an error if activity uses them."""
    tariff: Tariff
    price_year: str | None = None

    @classmethod
    def of(
        cls, tariff: Tariff, pathway: Pathway | None = None, price_year: str | None = None
    ) -> _Prices:
        codes = list(tariff)
        units = np.array([tariff[c].unit for c in codes], dtype=object)
        items_only: set[str] = set()
        if pathway is not None:
            items_only = set(pathway.item_codes()) - set(pathway.roles())
        per_hour = units == "hour"
        contact_staff = np.array(
            [u == "contact" and c not in items_only for c, u in zip(codes, units, strict=True)],
            dtype=bool,
        )
        years = np.array([tariff[c].price_year for c in codes], dtype=object)
        return cls(
            codes=pd.Index(codes, dtype=object),
            cost=np.array([tariff[c].cost for c in codes], dtype=np.float64),
            per_hour=per_hour,
            staff=per_hour | contact_staff,
            unit=units,
            other_year=(years != price_year) if price_year else np.zeros(len(codes), dtype=bool),
            tariff=tariff,
            price_year=price_year,
        )


@dataclass(frozen=True)
class _Rows:
    """One frame (or partition) encoded once: codes of its columns, its numbers."""

    frame: pd.DataFrame
    prices: _Prices
    kept: Int64Array | None = None
    """Positions of the rows of ``frame`` in the partition read, when blank lines were dropped."""
    total: int = -1
    """Rows in the partition read (blank lines included); -1: as ``frame``."""
    _cache: dict[str, tuple[IntArray, pd.Index]] = field(default_factory=dict, repr=False)

    @classmethod
    def partition(cls, part: pd.DataFrame, prices: _Prices, source: _Source) -> _Rows:
        """A Dask partition, with blank CSV lines dropped (their positions remembered)."""
        if source.kind != "csv":
            return cls(part, prices)
        frame, kept = _drop_blank(part)
        return cls(frame, prices, kept, len(part))

    @property
    def n(self) -> int:
        return len(self.frame)

    def original(self, positions: Int64Array) -> Int64Array:
        """Positions in the partition read, for positions in ``frame``."""
        return positions if self.kept is None else self.kept[positions]

    def factor(self, column: str) -> tuple[IntArray, pd.Index]:
        """Codes and distinct values of a column (computed once)."""
        if column not in self._cache:
            self._cache[column] = _factor(self.frame[column])
        return self._cache[column]

    @cached_property
    def code(self) -> IntArray:
        return self.factor("code")[0]

    @cached_property
    def tariff_index(self) -> Int64Array:
        """The tariff index of each distinct code (-1: not in the tariff), and a -1 sentinel."""
        uniques = self.factor("code")[1]
        return np.append(self.prices.codes.get_indexer(uniques.astype(object)), -1).astype(np.int64)

    @cached_property
    def minutes(self) -> tuple[FloatArray | None, BoolArray | None]:
        return _numbers(self.frame, "minutes")

    @cached_property
    def quantity(self) -> tuple[FloatArray | None, BoolArray | None]:
        return _numbers(self.frame, "quantity")

    def gather(self, table: NDArray[Any], missing: Any) -> NDArray[Any]:
        """A per-tariff-code array gathered to rows (``missing`` for unknown codes)."""
        per_unique = np.append(table, missing)[self.tariff_index]
        result: NDArray[Any] = per_unique[self.code]
        return result

    @cached_property
    def per_hour(self) -> BoolArray:
        """Rows whose code is priced per hour."""
        return self.gather(self.prices.per_hour, False)

    @cached_property
    def staff(self) -> BoolArray:
        """Staff rows (hours count); False for items and unknown codes."""
        return self.gather(self.prices.staff, False)

    @cached_property
    def known(self) -> BoolArray | None:
        """Rows whose code is in the tariff (None: every row's is)."""
        if (self.tariff_index[:-1] >= 0).all() and (not self.n or self.code.min() >= 0):
            return None
        return self.gather(np.ones(len(self.prices.codes), dtype=bool), False)

    def stage_index(self, pathway: Pathway) -> IntArray:
        """The pathway index of each distinct stage (-1: not a stage), and a -1 sentinel."""
        uniques = self.factor("stage")[1]
        ids = pd.Index([s.id for s in pathway.stages], dtype=object)
        index = np.append(ids.get_indexer(uniques.astype(str)), -1)
        return index.astype(_small_int(len(ids)))

    @cached_property
    def bad_dates(self) -> BoolArray | None:
        """Rows whose date is not an ISO date (a time after it is allowed), checked once
        per distinct date; None when every row's is."""
        if "date" not in self.frame.columns:
            return None
        if pd.api.types.is_datetime64_any_dtype(self.frame["date"].dtype):
            return None
        codes, uniques = self.factor("date")
        text = pd.Series(uniques.astype(str), dtype=object).str.strip()
        iso = r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
        shaped = text.str.fullmatch(iso).to_numpy(dtype=bool, na_value=False)
        day = text.str.slice(0, 10).where(shaped, None)
        parsed = pd.to_datetime(day, format="%Y-%m-%d", errors="coerce")
        bad = np.append(~shaped | parsed.isna().to_numpy(), False)
        if not bad.any():
            return None
        rows: BoolArray = bad[codes]
        return rows if rows.any() else None

    def _given_quantity(self, rows: BoolArray) -> BoolArray | None:
        """``rows`` that have a quantity (None: there is no quantity column)."""
        quantity = self.quantity[0]
        if quantity is None:
            return None
        given = np.isnan(quantity)
        np.logical_not(given, out=given)
        given &= rows
        return given

    def figures(self) -> tuple[FloatArray, FloatArray]:
        """Cost and hours of every row.

        In place on two row-sized float arrays (memory is the limit at scale): the cost
        starts as each row's unit cost, is multiplied by hours where the code is priced
        per hour and by the quantity elsewhere (a missing quantity leaves it at 1 unit).
        """
        cost = self.gather(self.prices.cost, np.nan)
        minutes = self.minutes[0]
        per_hour = self.per_hour
        if minutes is None:
            hours = np.zeros(self.n)
            np.copyto(cost, np.nan, where=per_hour)
        else:
            hours = np.divide(minutes, 60.0)
            np.multiply(cost, hours, out=cost, where=per_hour)
        given = self._given_quantity(~per_hour)
        quantity = self.quantity[0]
        if given is not None and quantity is not None:
            np.multiply(cost, quantity, out=cost, where=given)
        del given
        not_counted = np.isnan(hours)
        not_counted |= ~self.staff
        np.copyto(hours, 0.0, where=not_counted)
        return cost, hours

    def contacts(self) -> tuple[FloatArray, FloatArray]:
        """Staff contacts of every row (quantity, default 1; 0 for items), and 1 for each
        staff row without minutes."""
        minutes = self.minutes[0]
        missing = np.isnan(minutes) if minutes is not None else np.ones(self.n, dtype=bool)
        contacts = self.staff.astype(np.float64)
        given = self._given_quantity(self.staff)
        quantity = self.quantity[0]
        if given is not None and quantity is not None:
            np.copyto(contacts, quantity, where=given)
        return contacts, (self.staff & missing).astype(np.float64)


# --------------------------------------------------------------------------- checking


@dataclass(frozen=True)
class _Check:
    column: str
    message: Callable[[str, str], str]
    """(value, context) → what is wrong; how to fix."""
    missing_code: bool = False


def _close(value: str, options: Sequence[str]) -> str:
    found = difflib.get_close_matches(value, list(options), n=1)
    return f"; did you mean {found[0]!r}?" if found else ""


def _checks(pathway: Pathway | None, prices: _Prices) -> dict[str, _Check]:
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
        "patient_missing": _Check(
            "patient_id", lambda v, c: "is empty; every row needs the patient it concerns"
        ),
        "stage_missing": _Check(
            "stage",
            lambda v, c: (
                f"is empty; give a stage id of the pathway ({', '.join(stages) or 'a stage id'})"
            ),
        ),
        "stage_unknown": _Check(
            "stage",
            lambda v, c: (
                f"{v!r} is not a stage of pathway {pathway_id!r}{_close(v, stages)}; its stages "
                f"are {', '.join(stages)}"
            ),
        ),
        "service_unknown": _Check("service", service_message),
        "code_missing": _Check("code", lambda v, c: "is empty; give a tariff code"),
        "code_unknown": _Check(
            "code",
            lambda v, c: (
                f"{v!r} is not in the tariff ({files}){prices.tariff.suggest(v)}; add a row with "
                f"code {v!r} to a tariff file, or correct the code"
            ),
            missing_code=True,
        ),
        "code_year": _Check("code", year_message),
        "minutes_text": _Check(
            "minutes",
            lambda v, c: f"{v!r} is not a number; give the staff minutes in digits, e.g. 45",
        ),
        "minutes_missing": _Check(
            "minutes",
            lambda v, c: (
                f"is empty; {c!r} is priced per hour, so the row needs the staff minutes of the "
                "contact, travel included"
            ),
        ),
        "minutes_negative": _Check(
            "minutes", lambda v, c: f"{v} is negative; minutes are 0 or more"
        ),
        "minutes_infinite": _Check("minutes", lambda v, c: f"{v} is not a finite number"),
        "minutes_item": _Check(
            "minutes",
            lambda v, c: (
                f"{v} minutes given for {c}; items have no staff time: leave minutes empty, or "
                "record the staff who delivered it on a row of its own"
            ),
        ),
        "quantity_text": _Check(
            "quantity",
            lambda v, c: f"{v!r} is not a number; give the contacts or units in digits, e.g. 1",
        ),
        "quantity_negative": _Check(
            "quantity",
            lambda v, c: f"{v} is negative; a quantity is 0 or more (leave it empty for 1)",
        ),
        "quantity_infinite": _Check("quantity", lambda v, c: f"{v} is not a finite number"),
        "date_invalid": _Check(
            "date",
            lambda v, c: f"{v!r} is not an ISO date; write it as YYYY-MM-DD, e.g. 2024-06-30",
        ),
        "area_missing": _Check(
            "area", lambda v, c: "is empty; benchmarking needs the area each patient belongs to"
        ),
    }


def _range(values: FloatArray) -> tuple[float, float]:
    """The smallest and largest number, ignoring NaN (0, 0 when there are none)."""
    if not len(values):
        return 0.0, 0.0
    low, high = float(np.fmin.reduce(values)), float(np.fmax.reduce(values))
    return (0.0, 0.0) if math.isnan(low) else (low, high)


def _text_at(column: pd.Series, positions: Int64Array) -> list[str]:
    values = column.iloc[positions].to_numpy(dtype=object)
    return ["" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v) for v in values]


class _Collector:
    """Failed checks of one frame: the first bad rows of each check, and a count."""

    def __init__(self, part: int = 0, rows: _Rows | None = None) -> None:
        self.base = part << _PART_SHIFT
        self.part = part
        self.rows = rows
        self.out: dict[str, list[Any]] = {
            "check": [],
            "pos": [],
            "value": [],
            "context": [],
            "count": [],
        }

    def report(
        self,
        check: str,
        mask: BoolArray,
        value: pd.Series | None = None,
        context: Callable[[Int64Array], list[str]] | None = None,
    ) -> None:
        total = int(np.count_nonzero(mask))
        if not total:
            return
        positions = np.flatnonzero(mask)[:MAX_LISTED].astype(np.int64)
        values = _text_at(value, positions) if value is not None else [""] * len(positions)
        contexts = context(positions) if context is not None else [""] * len(positions)
        k = len(positions)
        read = self.rows.original(positions) if self.rows is not None else positions
        self.out["check"].extend([check] * (k + 1))
        self.out["pos"].extend([*(read + self.base).tolist(), -1])
        self.out["value"].extend([*values, ""])
        self.out["context"].extend([*contexts, ""])
        self.out["count"].extend([0] * k + [total])

    def frame(self, n: int) -> pd.DataFrame:
        out = self.out
        return pd.DataFrame(
            {
                "check": pd.Series([*out["check"], "__len__"], dtype=object),
                "pos": pd.Series([*out["pos"], self.part], dtype=np.int64),
                "value": pd.Series([*out["value"], ""], dtype=object),
                "context": pd.Series([*out["context"], ""], dtype=object),
                "count": pd.Series([*out["count"], n], dtype=np.int64),
            }
        )


def _clean(rows: _Rows, pathway: Pathway | None, need_area: bool) -> bool:
    """True when a few whole-column reductions show every row passes every check.

    Conservative: False sends the rows through the exact checks of :func:`_findings`,
    which name the rows (and may find none at fault, e.g. for an unused category).
    """
    if not rows.n:
        return True
    for column in ("patient_id", "stage"):
        if rows.factor(column)[0].min() < 0:
            return False
    if rows.code.min() < 0 or rows.known is not None:
        return False
    if pathway is not None:
        stage_index = rows.stage_index(pathway)
        if (stage_index[:-1] < 0).any() or "service" in rows.frame.columns:
            return False  # the service check is row by row (two codes per row)
    if need_area and ("area" not in rows.frame.columns or rows.factor("area")[0].min() < 0):
        return False
    if rows.bad_dates is not None:
        return False
    minutes, minutes_bad = rows.minutes
    quantity, quantity_bad = rows.quantity
    if minutes_bad is not None or quantity_bad is not None:
        return False
    if quantity is not None:
        low, high = _range(quantity)
        if low < 0 or high == np.inf:
            return False
    if minutes is None:
        return not rows.per_hour.any()
    low, high = _range(minutes)
    if low < 0 or high == np.inf:
        return False
    # a missing minutes on a per-hour row makes this sum NaN
    if math.isnan(float(np.add.reduce(minutes, where=rows.per_hour, initial=0.0))):
        return False
    on_items = float(np.fmax.reduce(minutes, where=~rows.staff, initial=-np.inf))
    return not on_items > 0


def _findings(
    rows: _Rows, pathway: Pathway | None, need_area: bool, part: int = 0, quick: bool = True
) -> pd.DataFrame:
    """Every failed check of one frame or partition, vectorised (boolean masks).

    Returns rows ``(check, pos, value, context, count)``: for each failed check the first
    :data:`MAX_LISTED` failing rows (``count`` 0; ``pos`` is ``part << 40 | position``)
    and one row with the total (``pos`` -1); a last row ``check="__len__"`` carries the
    partition number (``pos``) and its number of rows (``count``). Clean data costs a
    few reductions (:func:`_clean`); the row-level masks are made only when needed.
    """
    frame, prices, n = rows.frame, rows.prices, rows.n
    found = _Collector(part, rows)
    if quick and _clean(rows, pathway, need_area):
        return found.frame(rows.total if rows.total >= 0 else n)
    report = found.report
    report("patient_missing", rows.factor("patient_id")[0] < 0)

    stage_codes = rows.factor("stage")[0]
    report("stage_missing", stage_codes < 0)
    if pathway is not None:
        ids = [s.id for s in pathway.stages]
        row_stage = rows.stage_index(pathway)[stage_codes]
        stage_ok = row_stage >= 0
        report("stage_unknown", (stage_codes >= 0) & ~stage_ok, frame["stage"])
        if "service" in frame.columns:
            service_codes, service_uniques = rows.factor("service")
            names = service_uniques.astype(str)
            valid = np.zeros((len(ids) + 1, len(names) + 1), dtype=bool)
            for si, stage in enumerate(pathway.stages):  # a loop over stages, not rows
                valid[si, :-1] = names.isin([v.id for v in stage.services])
            bad_service = stage_ok & (service_codes >= 0) & ~valid[row_stage, service_codes]
            stage_col = frame["stage"]
            report(
                "service_unknown",
                bad_service,
                frame["service"],
                lambda pos: _text_at(stage_col, pos),
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
    if minutes is None:
        report("minutes_missing", per_hour, None, lambda pos: _text_at(code_col, pos))
    else:
        missing = np.isnan(minutes)
        missing &= per_hour
        if minutes_bad is not None:
            missing &= ~minutes_bad
        report("minutes_missing", missing, None, lambda pos: _text_at(code_col, pos))
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
                for c, u in zip(_text_at(code_col, pos), units, strict=True)
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
    bad_dates = rows.bad_dates
    if bad_dates is not None:
        report("date_invalid", bad_dates, frame["date"])
    if need_area:
        if "area" not in frame.columns:
            report("area_missing", np.ones(n, dtype=bool))
        else:
            report("area_missing", rows.factor("area")[0] < 0)
    return found.frame(rows.total if rows.total >= 0 else n)


_FINDINGS_META = pd.DataFrame(
    {
        "check": pd.Series([], dtype=object),
        "pos": pd.Series([], dtype=np.int64),
        "value": pd.Series([], dtype=object),
        "context": pd.Series([], dtype=object),
        "count": pd.Series([], dtype=np.int64),
    }
)


def _partition_offsets(found: pd.DataFrame) -> pd.Series:
    """The first row of each partition, indexed by partition number."""
    lengths = found[found["check"] == "__len__"].sort_values("pos")
    starts = np.concatenate([[0], np.cumsum(lengths["count"].to_numpy())[:-1]])
    return pd.Series(starts.astype(np.int64), index=lengths["pos"].to_numpy())


def _global_rows(encoded: NDArray[np.int64], offsets: pd.Series) -> Int64Array:
    parts = encoded >> _PART_SHIFT
    local = encoded & ((1 << _PART_SHIFT) - 1)
    starts = offsets.reindex(parts).fillna(0).to_numpy(dtype=np.int64)
    result: Int64Array = starts + local
    return result


def _places(
    source: _Source, rows: Int64Array, index: pd.Index | None
) -> list[tuple[str | None, int | None, str]]:
    if source.kind == "frame" and index is not None:
        return [(None, None, f"index {index[int(r)]}") for r in rows]
    return source.locate(rows)


def _raise_findings(
    found: pd.DataFrame,
    source: _Source,
    checks: dict[str, _Check],
    what: str,
    index: pd.Index | None = None,
) -> None:
    """Raise one error listing the first bad rows (in row order) and counting the rest."""
    body = found[found["check"] != "__len__"]
    if body.empty:
        return
    total = int(body.loc[body["pos"] < 0, "count"].sum())
    listed = body[body["pos"] >= 0].copy()
    listed["row"] = _global_rows(listed["pos"].to_numpy(dtype=np.int64), _partition_offsets(found))
    listed["order"] = listed["check"].map({c: i for i, c in enumerate(checks)})
    listed = listed.sort_values(["row", "order"], kind="stable").head(MAX_LISTED)
    places = _places(source, listed["row"].to_numpy(dtype=np.int64), index)
    problems: list[Problem] = []
    missing_code = False
    for (file, line, prefix), check, value, context in zip(
        places, listed["check"], listed["value"], listed["context"], strict=True
    ):  # at most MAX_LISTED problems, to word their messages
        spec = checks[check]
        missing_code |= spec.missing_code
        where = f"{prefix}, {spec.column}" if prefix else spec.column
        problems.append(Problem(file, line, where, spec.message(value, context)))
    if total > len(problems):
        problems.append(
            Problem(
                source.file,
                None,
                "",
                f"and {total - len(problems):,} more problems in the {what}, not listed; fix "
                "those above (the same fix often clears the rest) and run again",
            )
        )
    raise (ActivityCodeError if missing_code else ActivityError)(problems)


def _as_frame(activity: object) -> pd.DataFrame:
    if isinstance(activity, str | Path):
        frame: pd.DataFrame = read_activity(activity)
        return frame
    if not isinstance(activity, pd.DataFrame):
        raise ActivityError(
            "activity records must be a file path, a pandas DataFrame or a Dask DataFrame, "
            f"not {type(activity).__name__}"
        )
    _check_columns(activity.columns, _ACTIVITY)
    return activity


def _check_dask_columns(activity: Frame) -> None:
    _check_columns(activity.columns, _ACTIVITY, _source_of(activity).file)


def _map_rows(
    activity: Frame,
    prices: _Prices,
    each: Callable[[_Rows, int], pd.DataFrame],
    meta: pd.DataFrame,
) -> Frame:
    """``each(rows, partition number)`` over a Dask frame's partitions, encoded."""
    source = _source_of(activity)

    def per_partition(
        part: pd.DataFrame, partition_info: dict[str, Any] | None = None
    ) -> pd.DataFrame:
        number = int(partition_info["number"]) if partition_info else 0
        return each(_Rows.partition(part, prices, source), number)

    return cast(Any, activity).map_partitions(per_partition, meta=meta)


def _dask_findings(
    activity: Frame, prices: _Prices, pathway: Pathway | None, need_area: bool
) -> Frame:
    def each(rows: _Rows, number: int) -> pd.DataFrame:
        return _findings(rows, pathway, need_area, number)

    return _map_rows(activity, prices, each, _FINDINGS_META)


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
    prices = _Prices.of(tariff, pathway)
    checks = _checks(pathway, prices)
    if is_dask(activity):
        _check_dask_columns(activity)
        found = _dask_findings(activity, prices, pathway, need_area).compute()
        _raise_findings(found, _source_of(activity), checks, "activity records")
        return
    frame = _as_frame(activity)
    found = _findings(_Rows(frame, prices), pathway, need_area)
    _raise_findings(found, _source_of(frame), checks, "activity records", frame.index)


# --------------------------------------------------------------------------- costing


@dataclass(frozen=True)
class _Groups:
    """Rows grouped by several coded keys."""

    inverse: NDArray[np.intp]
    """Each row's group (an index into the group space)."""
    size: int
    """Size of the group space (bincount ``minlength``)."""
    keep: Int64Array | None
    """The groups that occur, when the space has empty slots (else all do)."""
    decoded: list[Int64Array]
    """Each kept group's code of every key (-1: missing)."""

    def sums(self, weights: FloatArray | None) -> NDArray[Any]:
        total = np.bincount(self.inverse, weights=weights, minlength=self.size)
        return total if self.keep is None else total[self.keep]


def _group_codes(keys: Sequence[tuple[IntArray, int]], n: int) -> _Groups:
    """Group rows by several coded keys in one pass over the rows.

    ``keys`` are ``(codes, size)`` with codes in ``-1..size-1`` (-1: missing). When the
    combined code space is compact it is used directly (one ``bincount`` per figure);
    otherwise it is factorized (once) and the groups sorted by key.
    """
    combined = np.empty(n, dtype=np.intp)  # the one row-sized integer array made here
    space = 1
    for i, (codes, size) in enumerate(keys):
        if i == 0:
            np.copyto(combined, codes, casting="safe")
        else:
            combined *= size + 1
            np.add(combined, codes, out=combined, casting="safe")
        combined += 1
        space *= size + 1
    if space <= max(4 * n, 1 << 16):
        keep = np.flatnonzero(np.bincount(combined, minlength=space)).astype(np.int64)
        inverse, group_key, size_, kept = combined, keep, space, keep
    else:
        raw, uniq = pd.factorize(combined)
        uniq_arr = np.asarray(uniq, dtype=np.int64)
        order = np.argsort(uniq_arr, kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        inverse = rank[np.asarray(raw, dtype=np.int64)]
        group_key, size_, kept = uniq_arr[order], len(uniq_arr), None
    decoded: list[Int64Array] = []
    rest = group_key.copy()
    for _codes, size in reversed(keys):
        decoded.append(rest % (size + 1) - 1)
        rest //= size + 1
    decoded.reverse()
    return _Groups(inverse, size_, kept, decoded)


def _compact(codes: IntArray, uniques: pd.Index, n: int) -> tuple[IntArray, pd.Index]:
    """Drop unused categories when there are many more of them than rows."""
    if len(uniques) <= 2 * n + 16:
        return codes, uniques
    raw, used = pd.factorize(codes)
    used_arr = np.asarray(used, dtype=np.int64)
    mapping = np.append(np.arange(len(used_arr)), -1).astype(np.int64)
    mapping[:-1][used_arr < 0] = -1
    return mapping[np.asarray(raw, dtype=np.int64)], uniques[np.maximum(used_arr, 0)]


def _values(uniques: pd.Index, codes: IntArray, missing: Any = None) -> pd.Series:
    """The plain values of ``codes`` in ``uniques`` (``missing`` for -1)."""
    if not len(uniques):
        return pd.Series(np.full(len(codes), missing, dtype=object))
    values = pd.Series(uniques.take(np.maximum(codes, 0)), copy=False).reset_index(drop=True)
    if (codes < 0).any():
        values = values.astype(object).where(codes >= 0, missing)
    return values


def _pathway_order(
    stage: IntArray, uniques: pd.Index, pathway: Pathway | None
) -> tuple[IntArray, pd.Index]:
    """Renumber stage codes so that they follow the pathway's order."""
    if pathway is None or not len(uniques):
        return stage, uniques
    ids = [s.id for s in pathway.stages]
    pos = pd.Index(ids, dtype=object).get_indexer(uniques.astype(str))
    order = np.argsort(np.where(pos >= 0, pos, len(ids) + np.arange(len(uniques))), kind="stable")
    rank = np.empty(len(order) + 1, dtype=_small_int(len(order)))
    rank[order] = np.arange(len(order))
    rank[-1] = -1
    return rank[stage], uniques[order]


def _cost_frame(
    rows: _Rows, pathway: Pathway | None, check: bool, index: pd.Index | None = None
) -> pd.DataFrame:
    """One row per (patient, stage): hours and cost. The hot path."""
    if check:
        found = _findings(rows, pathway, False)
        _raise_findings(
            found, _source_of(rows.frame), _checks(pathway, rows.prices), "activity records", index
        )
    n = rows.n
    pid, pid_uniques = _compact(*rows.factor("patient_id"), n)
    stage, stage_uniques = _pathway_order(*rows.factor("stage"), pathway)
    groups = _group_codes([(pid, len(pid_uniques)), (stage, len(stage_uniques))], n)
    del pid, stage
    cost, hours = rows.figures()
    cost_sum = groups.sums(cost)
    del cost
    hours_sum = groups.sums(hours)
    del hours
    g_pid, g_stage = groups.decoded
    return pd.DataFrame(
        {
            "patient_id": _values(pid_uniques, g_pid),
            "stage": _values(stage_uniques, g_stage),
            "hours": hours_sum,
            "cost": cost_sum,
        }
    )


def _id_dtype(activity: Frame) -> Any:
    """The dtype of patient ids in a Dask result: int64 for integer ids, else text."""
    dtype = activity["patient_id"].dtype
    if isinstance(dtype, pd.CategoricalDtype):
        dtype = dtype.categories.dtype
    return np.int64 if pd.api.types.is_integer_dtype(dtype) else "str"


def _cost_meta(id_dtype: Any) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "patient_id": pd.Series([], dtype=id_dtype),
            "stage": pd.Series([], dtype="str"),
            "hours": pd.Series([], dtype=np.float64),
            "cost": pd.Series([], dtype=np.float64),
        }
    )


def _partial_cost(
    part: pd.DataFrame, prices: _Prices, source: _Source, id_dtype: Any
) -> pd.DataFrame:
    out = _cost_frame(_Rows.partition(part, prices, source), None, False)
    out["patient_id"] = out["patient_id"].astype(id_dtype)
    out["stage"] = out["stage"].astype("str")
    return out


def _sum_by_patient_stage(part: pd.DataFrame) -> pd.DataFrame:
    return part.groupby(["patient_id", "stage"], sort=False).sum().reset_index()


def cost_activity(
    activity: Frame | str | Path,
    tariff: Tariff,
    *,
    pathway: Pathway | None = None,
    check: bool = True,
    compute: bool = True,
) -> pd.DataFrame:
    """The actual cost of activity records: one row per patient and stage.

    Columns ``patient_id``, ``stage``, ``hours`` and ``cost`` (pounds, unrounded), grouped
    by patient (in order of first appearance, or category order for a categorical
    column), then by stage (in pathway order given ``pathway``). Cost of a row:
    ``minutes / 60 * cost`` for a code priced per hour, else ``quantity * cost`` (quantity
    default 1); hours: ``minutes / 60`` for staff rows, 0 for items.

    ``activity`` is a path (CSV or Parquet), a pandas DataFrame (string or categorical
    columns) or a Dask DataFrame (costed per partition, reduced with a group-by sum,
    rows in no set order; ``compute=False`` returns the lazy Dask frame). With
    ``pathway``, stages and services are checked against it and its per-contact items
    count no hours. Tariff costs are used as they are (:func:`careprofiles.activity.audit.audit`
    deals with price years). Raises :class:`ActivityError` listing the bad rows unless
    ``check`` is false.
    """
    prices = _Prices.of(tariff, pathway)
    if is_dask(activity):
        result: pd.DataFrame = _cost_dask(activity, prices, pathway, check, compute)
        return result
    frame = _as_frame(activity)
    return _cost_frame(_Rows(frame, prices), pathway, check, frame.index)


def _cost_dask(
    activity: Frame, prices: _Prices, pathway: Pathway | None, check: bool, compute: bool
) -> Any:
    _check_dask_columns(activity)
    id_dtype = _id_dtype(activity)
    partial = activity.map_partitions(
        _partial_cost, prices, _source_of(activity), id_dtype, meta=_cost_meta(id_dtype)
    )
    # each partition's totals are already summed: shuffle them by patient (every row of a
    # patient then lands in one partition) and sum again there. The result stays in as
    # many partitions as the input, so no task holds all of it (compute=False, then e.g.
    # .to_parquet(), stays bounded)
    summed = partial.shuffle(on="patient_id").map_partitions(
        _sum_by_patient_stage, meta=_cost_meta(id_dtype)
    )
    if not check:
        return summed.compute().reset_index(drop=True) if compute else summed
    findings = _dask_findings(activity, prices, pathway, False)
    if not compute:
        found = findings.compute()
        _raise_findings(found, _source_of(activity), _checks(pathway, prices), "activity records")
        return summed
    found, result = _dask_compute(findings, summed)
    _raise_findings(found, _source_of(activity), _checks(pathway, prices), "activity records")
    return result.reset_index(drop=True)


# --------------------------------------------------------------------------- summaries

SUMMARY_KEYS = ("patient_id", "stage", "service", "area")
_SUMS = ("hours", "cost", "contacts", "no_minutes")
_SUMMARY_META = pd.DataFrame(
    {
        **{k: pd.Series([], dtype=object) for k in SUMMARY_KEYS},
        **{k: pd.Series([], dtype=np.float64) for k in _SUMS},
        "rows": pd.Series([], dtype=np.int64),
        "first_row": pd.Series([], dtype=np.int64),
    }
)


def _summarise_part(rows: _Rows, number: int = 0) -> pd.DataFrame:
    """Totals of one frame or partition by (patient, stage, service, area).

    A missing service or area is ``""``; ``first_row`` is the encoded position
    (``partition << 40 | position``) of the group's first row.
    """
    n = rows.n
    keys: list[tuple[IntArray, int]] = []
    uniques: list[pd.Index] = []
    for column in SUMMARY_KEYS:
        if column in rows.frame.columns:
            codes, values = rows.factor(column)
            if column == "patient_id":
                codes, values = _compact(codes, values, n)
        else:
            codes, values = np.full(n, -1, dtype=np.int8), pd.Index([], dtype=object)
        keys.append((codes, len(values)))
        uniques.append(values)
    groups = _group_codes(keys, n)
    cost, hours = rows.figures()
    contacts, no_minutes = rows.contacts()
    first_pos = pd.Series(groups.inverse).drop_duplicates()
    first_row = np.zeros(groups.size, dtype=np.int64)
    first_row[first_pos.to_numpy()] = rows.original(first_pos.index.to_numpy().astype(np.int64))
    if groups.keep is not None:
        first_row = first_row[groups.keep]
    table = {
        column: _values(values, codes, "" if column in ("service", "area") else None)
        .astype(object)
        .to_numpy()
        for column, values, codes in zip(SUMMARY_KEYS, uniques, groups.decoded, strict=True)
    }
    return pd.DataFrame(
        {
            **table,
            "hours": groups.sums(hours),
            "cost": groups.sums(cost),
            "contacts": groups.sums(contacts),
            "no_minutes": groups.sums(no_minutes),
            "rows": groups.sums(None).astype(np.int64),
            "first_row": first_row + (number << _PART_SHIFT),
        }
    )


@dataclass(frozen=True)
class Summary:
    """Activity totals by (patient, stage, service, area), and where the rows came from."""

    table: pd.DataFrame
    """patient_id, stage, service ("" if none), area ("" if none), hours, cost, contacts
    (staff), no_minutes (staff rows without minutes), rows, first_row (0-based)."""
    source: _Source
    rows: int
    """Activity rows read."""
    index: pd.Index | None = None
    """The frame's index (pandas input), to name rows of an in-memory frame."""

    def place(self, row: int) -> tuple[str | None, int | None, str]:
        """``(file, line, where-prefix)`` of a 0-based row."""
        return _places(self.source, np.array([row], dtype=np.int64), self.index)[0]


def summarise_activity(
    activity: Frame | str | Path,
    tariff: Tariff,
    pathway: Pathway | None = None,
    *,
    need_area: bool = False,
    price_year: str | None = None,
) -> Summary:
    """Check activity records and total them by (patient, stage, service, area).

    The basis of the audit and of area benchmarking. On Dask the checks and the totals
    are computed in one pass over the data. With ``price_year``, rows priced in another
    year are errors (uplift the tariff first).
    """
    prices = _Prices.of(tariff, pathway, price_year)
    checks = _checks(pathway, prices)
    if is_dask(activity):
        _check_dask_columns(activity)
        source = _source_of(activity)
        partial = _map_rows(activity, prices, _summarise_part, _SUMMARY_META)
        summed = (
            partial.groupby(list(SUMMARY_KEYS), sort=False)
            .agg({**dict.fromkeys(_SUMS, "sum"), "rows": "sum", "first_row": "min"})
            .reset_index()
        )
        findings = _dask_findings(activity, prices, pathway, need_area)
        found, table = _dask_compute(findings, summed)
        _raise_findings(found, source, checks, "activity records")
        table["first_row"] = _global_rows(
            table["first_row"].to_numpy(dtype=np.int64), _partition_offsets(found)
        )
        rows = int(table["rows"].sum())
        table = table.sort_values("first_row", kind="stable").reset_index(drop=True)
        return Summary(table, source, rows)
    frame = _as_frame(activity)
    encoded = _Rows(frame, prices)
    found = _findings(encoded, pathway, need_area)
    _raise_findings(found, _source_of(frame), checks, "activity records", frame.index)
    table = _summarise_part(encoded).sort_values("first_row", kind="stable")
    return Summary(table.reset_index(drop=True), _source_of(frame), len(frame), frame.index)


def _merge_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Totals of a summary table whose keys may repeat (from several partitions)."""
    if not len(table):
        return table
    merged = table.groupby(list(SUMMARY_KEYS), sort=False, dropna=False).agg(
        {**dict.fromkeys(_SUMS, "sum"), "rows": "sum", "first_row": "min"}
    )
    return merged.reset_index()


_T = TypeVar("_T")


@dataclass(frozen=True)
class Reduced(Generic[_T]):
    """The result of :func:`reduce_activity`, and how to name the rows it mentions."""

    value: _T
    source: _Source
    offsets: pd.Series
    """The first row of each partition, by partition number."""
    index: pd.Index | None = None

    def row(self, encoded: int) -> int:
        """The 0-based row of an encoded ``first_row`` (``partition << 40 | position``)."""
        return int(_global_rows(np.array([encoded], dtype=np.int64), self.offsets)[0])

    def place(self, encoded: int) -> tuple[str | None, int | None, str]:
        """``(file, line, where-prefix)`` of an encoded ``first_row``."""
        return _places(self.source, np.array([self.row(encoded)], dtype=np.int64), self.index)[0]


def reduce_activity(
    activity: Frame | str | Path,
    tariff: Tariff,
    pathway: Pathway | None,
    reduce: Callable[[pd.DataFrame], _T],
    combine: Callable[[list[_T]], _T],
    *,
    need_area: bool = False,
    price_year: str | None = None,
) -> Reduced[_T]:
    """Check activity records, total them by (patient, stage, service, area), and reduce.

    ``reduce`` receives a summary table (as :attr:`Summary.table`, with ``first_row``
    encoded) that holds *every* row of the patients it holds, so it may count distinct
    patients; ``combine`` adds up the reductions. pandas: one table, all patients. Dask:
    the partitions' totals are shuffled by patient and each shuffled partition reduced on
    its own, so no task holds more than its share of patients (memory stays bounded);
    the checks and the totals are computed in one pass over the data.
    """
    prices = _Prices.of(tariff, pathway, price_year)
    checks = _checks(pathway, prices)
    if not is_dask(activity):
        frame = _as_frame(activity)
        encoded = _Rows(frame, prices)
        found = _findings(encoded, pathway, need_area)
        source = _source_of(frame)
        _raise_findings(found, source, checks, "activity records", frame.index)
        value = combine([reduce(_summarise_part(encoded))])
        return Reduced(value, source, _partition_offsets(found), frame.index)
    _check_dask_columns(activity)
    source = _source_of(activity)

    def reduce_part(part: pd.DataFrame) -> pd.DataFrame:
        # one row holding the reduction (an object), so that it stays a Dask DataFrame
        # and is computed in the same graph (and the same pass over the data) as the checks
        return pd.DataFrame({"value": pd.Series([reduce(_merge_summary(part))], dtype=object)})

    partial = _map_rows(activity, prices, _summarise_part, _SUMMARY_META)
    shuffled = partial.shuffle(on="patient_id")
    reduced = shuffled.map_partitions(reduce_part, meta=_REDUCED_META)
    findings = _dask_findings(activity, prices, pathway, need_area)
    found, values = _dask_compute(findings, reduced)
    _raise_findings(found, source, checks, "activity records")
    value = combine(list(values["value"]))
    return Reduced(value, source, _partition_offsets(found))


_REDUCED_META = pd.DataFrame({"value": pd.Series([], dtype=object)})


# --------------------------------------------------------------------------- outcomes


@dataclass(frozen=True)
class Outcomes:
    """Checked outcome records."""

    table: pd.DataFrame
    """patient_id (str), outcome, value (float64), area ("" if none), row (0-based)."""
    source: _Source
    index: pd.Index | None = None

    def place(self, row: int) -> tuple[str | None, int | None, str]:
        """``(file, line, where-prefix)`` of a 0-based row."""
        return _places(self.source, np.array([row], dtype=np.int64), self.index)[0]


def check_outcomes(outcomes: pd.DataFrame | str | Path | Outcomes, pathway: Pathway) -> Outcomes:
    """Check outcome records against ``pathway``.

    Checked: a patient and an outcome on every row, the outcome one of the pathway's
    outcome ids, the value a finite number (1/0 for yes/no). Raises
    :class:`ActivityError` naming every bad row (``file:line``).
    """
    if isinstance(outcomes, Outcomes):
        return outcomes
    if is_dask(outcomes):
        outcomes = cast(Any, outcomes).compute()  # outcome records are small
    if isinstance(outcomes, str | Path):
        frame = read_outcomes(outcomes)
    elif isinstance(outcomes, pd.DataFrame):
        frame = outcomes
        _check_columns(frame.columns, _OUTCOMES)
    else:
        raise ActivityError(
            f"outcome records must be a file path or a DataFrame, not {type(outcomes).__name__}"
        )
    source = _source_of(frame)
    ids = [o.id for s in pathway.stages for o in s.outcomes]
    listing = ", ".join(ids) or "none (add outcomes to the stages)"
    checks: dict[str, _Check] = {
        "patient_missing": _Check(
            "patient_id", lambda v, c: "is empty; every row needs the patient it concerns"
        ),
        "outcome_missing": _Check(
            "outcome", lambda v, c: f"is empty; give an outcome id of the pathway: {listing}"
        ),
        "outcome_unknown": _Check(
            "outcome",
            lambda v, c: (
                f"{v!r} is not an outcome of pathway {pathway.id!r}{_close(v, ids)}; its "
                f"outcomes are {listing}"
            ),
        ),
        "value_text": _Check(
            "value",
            lambda v, c: f"{v!r} is not a number; give 1 or 0 for a yes/no outcome, or a number",
        ),
        "value_missing": _Check(
            "value", lambda v, c: "is empty; give 1 or 0 for a yes/no outcome, or a number"
        ),
        "value_infinite": _Check("value", lambda v, c: f"{v} is not a finite number"),
    }
    n = len(frame)
    found = _Collector()
    pcodes, _ = _factor(frame["patient_id"])
    found.report("patient_missing", pcodes < 0)
    ocodes, ouniques = _factor(frame["outcome"])
    found.report("outcome_missing", ocodes < 0)
    known = np.append(pd.Index(ids, dtype=object).get_indexer(ouniques.astype(str)) >= 0, True)
    found.report("outcome_unknown", ~known[ocodes], frame["outcome"])
    values, bad = _numbers(frame, "value")
    assert values is not None
    text_bad = bad if bad is not None else np.zeros(n, dtype=bool)
    found.report("value_text", text_bad, frame["value"])
    found.report("value_missing", np.isnan(values) & ~text_bad)
    found.report("value_infinite", np.isinf(values), frame["value"])
    _raise_findings(found.frame(n), source, checks, "outcome records", frame.index)
    if "area" in frame.columns:
        acodes, auniques = _factor(frame["area"])
        area = _values(auniques, acodes, "").astype(str).to_numpy(dtype=object)
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
