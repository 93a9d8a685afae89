"""Activity records encoded once: integer codes of their columns, the tariff as arrays.

Holds :class:`Prices` (the tariff as arrays: unit cost, unit, staff or item, price year)
and :class:`Rows` (one frame or Dask partition: the codes of each column, computed once,
its numbers, and each row's unit cost, hours and contacts, vectorised), with
:func:`factor` (integer codes of a column: categorical codes as they are, or one
factorize pass; a long Arrow-backed text column hashed in slices, one thread per CPU,
:func:`factor_text`), :func:`decode` (codes back to values) and :func:`map_rows` (a
function of encoded rows over a Dask frame's partitions). Everything the checks and the
costing compute on rows starts here: every figure is a numpy operation over whole
columns, gathered through per-distinct-value tables, never a Python loop over rows.

Imports: activity.records, tariffs, profiles; pyarrow only for Arrow-backed text.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar, cast

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from careprofiles.activity.records import (
    BoolArray,
    FloatArray,
    Frame,
    Int64Array,
    IntArray,
    Source,
    drop_blank,
    source_of,
)
from careprofiles.profiles.models import Pathway
from careprofiles.tariffs.tables import Tariff

__all__ = [
    "PARALLEL_ROWS",
    "SLICE_ROWS",
    "Prices",
    "Rows",
    "arrow_text",
    "decode",
    "factor",
    "factor_ints",
    "factor_text",
    "in_slices",
    "map_rows",
    "numbers",
    "row_slices",
    "small_int",
    "text_slices",
    "threads",
]


_T = TypeVar("_T")


def small_int(size: int) -> type[np.signedinteger[Any]]:
    """The narrowest signed integer type holding -1..size."""
    for kind in (np.int8, np.int16, np.int32):
        if size < np.iinfo(kind).max:
            return kind
    return np.int64


PARALLEL_ROWS = 1_000_000
"""Arrow-backed text columns of at least this many rows are factorized in threads."""


SLICE_ROWS = 1 << 20
"""Rows a slice of the threaded passes over a long frame (:func:`in_slices`): its
temporaries (8 MiB a float column) stay small enough for the allocator to reuse."""


def threads() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def row_slices(n: int, size: int = 0) -> list[slice]:
    """The slices of ``n`` rows that :func:`in_slices` works on: one below
    :data:`PARALLEL_ROWS` rows, else of ``size`` rows (at least :data:`SLICE_ROWS`) each.
    They depend on the arguments only, never on the machine, so that sums made slice by
    slice are the same anywhere."""
    if n < PARALLEL_ROWS:
        return [slice(0, n)]
    step = max(size, SLICE_ROWS)
    return [slice(start, min(start + step, n)) for start in range(0, n, step)]


def in_slices(each: Callable[[slice], _T], n: int, size: int = 0) -> Iterator[_T]:
    """``each(slice)`` over :func:`row_slices` of ``n`` rows, in threads (numpy's ufuncs,
    gathers and ``bincount`` release the GIL), the results in slice order, no more slices
    under way or waiting than there are threads, so memory stays bounded."""
    parts = row_slices(n, size)
    workers = min(threads(), len(parts))
    if workers <= 1:
        yield from map(each, parts)
        return
    from concurrent.futures import Future, ThreadPoolExecutor

    with ThreadPoolExecutor(workers) as pool:
        pending: deque[Future[_T]] = deque()
        for part in parts:
            if len(pending) == workers:
                yield pending.popleft().result()
            pending.append(pool.submit(each, part))
        while pending:
            yield pending.popleft().result()


def text_slices(rows: int) -> int:
    """Slices to factorize an Arrow-backed text column in: one per CPU for a long column."""
    return (os.cpu_count() or 1) if rows >= PARALLEL_ROWS else 1


def arrow_text(column: pd.Series) -> Any:
    """The column's Arrow data if it is Arrow-backed text (so pyarrow is installed), else None."""
    array = column.array
    if not isinstance(array, pd.arrays.ArrowExtensionArray):
        return None
    import pyarrow as pa

    data = array.__arrow_array__()
    if pa.types.is_string(data.type) or pa.types.is_large_string(data.type):
        return data
    return None


def factor_text(column: pd.Series, data: Any, slices: int) -> tuple[IntArray, pd.Index]:
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


def factor_ints(values: NDArray[np.integer[Any]]) -> tuple[IntArray, pd.Index] | None:
    """``pd.factorize(values)`` of integers spanning a range not much wider than their
    count (None otherwise): codes in order of first appearance, without hashing.

    Each value's offset from the smallest is its slot in a table of the range; the first
    row of each slot is found with ``np.minimum.at`` and the slots ranked by it; the
    offsets are written narrow in one pass and the ranks gathered slice by slice in
    threads (:func:`in_slices`). On 10 million ids of 400,000 patients this takes 0.13 s
    against 0.29 s for ``pd.factorize`` (benchmarks/bench_activity.py --ids int).
    """
    n = len(values)
    if not n:
        return None
    lo, hi = int(values.min()), int(values.max())
    span = hi - lo + 1
    if span > max(4 * n, 1 << 16) or n >= np.iinfo(np.int32).max:
        return None
    kind = small_int(span)
    offset = np.empty(n, dtype=kind)  # subtracted in int64, written narrow: one pass
    np.subtract(values, lo, out=offset, dtype=np.int64, casting="unsafe")
    first = np.full(span, n, dtype=np.int32)
    np.minimum.at(first, offset, np.arange(n, dtype=np.int32))
    slots = np.flatnonzero(first < n)
    by_first = slots[np.argsort(first[slots])]  # first rows are distinct: any sort is stable
    rank = np.empty(span, dtype=small_int(len(slots)))
    rank[by_first] = np.arange(len(slots))
    del first
    codes = cast(IntArray, np.empty(n, dtype=rank.dtype))

    def gather(at: slice) -> None:
        np.take(rank, offset[at], out=codes[at])

    for _ in in_slices(gather, n):
        pass
    return codes, pd.Index(by_first.astype(np.int64) + lo, dtype=values.dtype)


def factor(column: pd.Series) -> tuple[IntArray, pd.Index]:
    """Integer codes (-1: missing or blank) and the distinct values they index.

    Categorical codes are used as they are (int8 for a few categories), so that no
    row-sized copy is made; other columns are factorized once (long Arrow-backed text
    columns in slices, one thread per CPU; integers in a compact range by their offsets,
    :func:`factor_ints`).
    """
    codes: IntArray
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = cast(IntArray, column.cat.codes.to_numpy())
        uniques = pd.Index(column.cat.categories)
    elif (slices := text_slices(len(column))) > 1 and (data := arrow_text(column)) is not None:
        codes, uniques = factor_text(column, data, slices)
    elif (
        isinstance(column.dtype, np.dtype)
        and (column.dtype.kind == "i" or (column.dtype.kind == "u" and column.dtype.itemsize < 8))
        and (ranged := factor_ints(column.to_numpy())) is not None
    ):
        codes, uniques = ranged
    else:
        raw_codes, raw_uniques = pd.factorize(column, use_na_sentinel=True)
        codes = np.asarray(raw_codes)
        uniques = pd.Index(raw_uniques)
    if len(uniques) and not pd.api.types.is_numeric_dtype(uniques.dtype):
        blank = np.asarray(uniques.astype(str).str.strip() == "", dtype=bool)
        if blank.any():
            lookup = np.append(np.where(blank, -1, np.arange(len(uniques))), -1)
            codes = lookup.astype(small_int(len(uniques)))[codes]
    return codes, uniques


def numbers(frame: pd.DataFrame, column: str) -> tuple[FloatArray | None, BoolArray | None]:
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
class Prices:
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
    ) -> Prices:
        """The tariff as arrays; given ``pathway``, its items priced per contact are not
        staff; given ``price_year``, rows priced in another year are marked."""
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
class Rows:
    """One frame (or partition) encoded once: codes of its columns, its numbers."""

    frame: pd.DataFrame
    prices: Prices
    kept: Int64Array | None = None
    """Positions of the rows of ``frame`` in the partition read, when blank lines were dropped."""
    total: int = -1
    """Rows in the partition read (blank lines included); -1: as ``frame``."""
    _cache: dict[str, tuple[IntArray, pd.Index]] = field(default_factory=dict, repr=False)

    @classmethod
    def partition(cls, part: pd.DataFrame, prices: Prices, source: Source) -> Rows:
        """A Dask partition, with blank CSV lines dropped (their positions remembered)."""
        if source.kind != "csv":
            return cls(part, prices)
        frame, kept = drop_blank(part)
        return cls(frame, prices, kept, len(part))

    @property
    def n(self) -> int:
        """Rows in ``frame``."""
        return len(self.frame)

    def original(self, positions: Int64Array) -> Int64Array:
        """Positions in the partition read, for positions in ``frame``."""
        return positions if self.kept is None else self.kept[positions]

    def factor(self, column: str) -> tuple[IntArray, pd.Index]:
        """Codes and distinct values of a column (computed once)."""
        if column not in self._cache:
            self._cache[column] = factor(self.frame[column])
        return self._cache[column]

    @cached_property
    def code(self) -> IntArray:
        """Each row's code of the ``code`` column (-1: missing)."""
        return self.factor("code")[0]

    @cached_property
    def tariff_index(self) -> Int64Array:
        """The tariff index of each distinct code (-1: not in the tariff), and a -1 sentinel."""
        uniques = self.factor("code")[1]
        return np.append(self.prices.codes.get_indexer(uniques.astype(object)), -1).astype(np.int64)

    @cached_property
    def minutes(self) -> tuple[FloatArray | None, BoolArray | None]:
        """Minutes as float64, and the rows whose minutes are not a number (see :func:`numbers`)."""
        return numbers(self.frame, "minutes")

    @cached_property
    def quantity(self) -> tuple[FloatArray | None, BoolArray | None]:
        """Quantity as float64, and the rows whose quantity is not a number."""
        return numbers(self.frame, "quantity")

    def gather(self, table: NDArray[Any], missing: Any) -> NDArray[Any]:
        """A per-tariff-code array gathered to rows (``missing`` for unknown codes)."""
        per_unique = np.append(table, missing)[self.tariff_index]
        result: NDArray[Any] = per_unique[self.code]
        return result

    @cached_property
    def by_code(self) -> tuple[FloatArray, BoolArray, BoolArray]:
        """Unit cost (NaN: unknown), priced per hour, staff: one entry a distinct code
        and one for a missing code, so that a row's is one gather by its code."""
        index = self.tariff_index
        return (
            np.append(self.prices.cost, np.nan)[index],
            np.append(self.prices.per_hour, False)[index],
            np.append(self.prices.staff, False)[index],
        )

    @cached_property
    def per_hour(self) -> BoolArray:
        """Rows whose code is priced per hour."""
        result: BoolArray = self.by_code[1][self.code]
        return result

    @cached_property
    def staff(self) -> BoolArray:
        """Staff rows (hours count); False for items and unknown codes."""
        result: BoolArray = self.by_code[2][self.code]
        return result

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
        return index.astype(small_int(len(ids)))

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

    def _given_quantity(
        self, rows: BoolArray, quantity: FloatArray | None = None
    ) -> BoolArray | None:
        """``rows`` that have a quantity (None: there is no quantity column)."""
        if quantity is None:
            quantity = self.quantity[0]
        if quantity is None:
            return None
        given = np.isnan(quantity)
        np.logical_not(given, out=given)
        given &= rows
        return given

    def figures(self, at: slice | None = None) -> tuple[FloatArray, FloatArray]:
        """Cost and hours of every row (or of the rows ``at``).

        In place on two row-sized float arrays (memory is the limit at scale): the cost
        starts as each row's unit cost, is multiplied by hours where the code is priced
        per hour and by the quantity elsewhere (a missing quantity leaves it at 1 unit).
        A slice ``at`` is computed from its own codes (the same arithmetic, row by row).
        """
        unit_cost, hourly, counted = self.by_code
        minutes, quantity = self.minutes[0], self.quantity[0]
        if at is None:
            code = self.code
            per_hour, staff = self.per_hour, self.staff
        else:
            code = self.code[at]
            per_hour, staff = hourly[code], counted[code]
            minutes = None if minutes is None else minutes[at]
            quantity = None if quantity is None else quantity[at]
        cost: FloatArray = unit_cost[code]
        # the checks refuse a record whose figures are too large (MAX_RECORD_* of
        # activity.checks); unchecked records may overflow, without numpy's warning
        with np.errstate(over="ignore", invalid="ignore"):
            if minutes is None:
                hours = np.zeros(len(code))
                np.copyto(cost, np.nan, where=per_hour)
            else:
                hours = np.divide(minutes, 60.0)
                np.multiply(cost, hours, out=cost, where=per_hour)
            given = self._given_quantity(~per_hour, quantity)
            if given is not None and quantity is not None:
                np.multiply(cost, quantity, out=cost, where=given)
        del given
        not_counted = np.isnan(hours)
        not_counted |= ~staff
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


# --------------------------------------------------------------------------- codes back to values


def decode(uniques: pd.Index, codes: IntArray, missing: Any = None) -> pd.Series:
    """The plain values of ``codes`` in ``uniques`` (``missing`` for -1)."""
    if not len(uniques):
        return pd.Series(np.full(len(codes), missing, dtype=object))
    values = pd.Series(uniques.take(np.maximum(codes, 0)), copy=False).reset_index(drop=True)
    if (codes < 0).any():
        values = values.astype(object).where(codes >= 0, missing)
    return values


# --------------------------------------------------------------------------- Dask partitions


def map_rows(
    activity: Frame,
    prices: Prices,
    each: Callable[[Rows, int], pd.DataFrame],
    meta: pd.DataFrame,
) -> Frame:
    """``each(rows, partition number)`` over a Dask frame's partitions, encoded."""
    source = source_of(activity)

    def per_partition(
        part: pd.DataFrame, partition_info: dict[str, Any] | None = None
    ) -> pd.DataFrame:
        number = int(partition_info["number"]) if partition_info else 0
        return each(Rows.partition(part, prices, source), number)

    return cast(Any, activity).map_partitions(per_partition, meta=meta)
