"""Reading activity and outcome records: CSV, Parquet or frames, and their columns.

Holds the columns of each kind of records, :func:`read_activity` (pandas or Dask) and
:func:`read_outcomes`, the column checks (missing, repeated, unknown: ``Problem.code``
``"missing-column"`` for a missing one), and :class:`Source`: where a frame's rows came
from, so that later checks can name a row as ``file:line`` (CSV: the header is line 1,
so data row *i* is line *i + 1*, quoted line breaks counted; Parquet and Dask: ``row N``,
counting from 1 in dataset order). Blank CSV lines are skipped (as in tariff files),
their positions remembered.

Dask and pyarrow are optional: this is the one module that imports Dask (only when a
Dask engine is asked for); pyarrow is imported only to read Parquet.

Imports: careprofiles.errors, profiles.inputs (is each path a regular file?); the first
module of the activity step.
"""

from __future__ import annotations

import csv
import difflib
import io
import os
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar, cast

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from careprofiles.errors import ActivityError, MissingDependencyError, Problem, display_path
from careprofiles.profiles.inputs import check_input, input_name, refusal

__all__ = [
    "ACTIVITY_OPTIONAL",
    "ACTIVITY_REQUIRED",
    "OUTCOME_OPTIONAL",
    "OUTCOME_REQUIRED",
    "BoolArray",
    "FloatArray",
    "Frame",
    "Int64Array",
    "IntArray",
    "Source",
    "activity_frame",
    "check_dask_columns",
    "compute_together",
    "dask_workers",
    "drop_blank",
    "is_dask",
    "outcome_frame",
    "read_activity",
    "read_outcomes",
    "source_of",
    "worker_memory_limit",
]

ACTIVITY_REQUIRED = ("patient_id", "stage", "code")
"""Columns every activity file has."""
ACTIVITY_OPTIONAL = ("service", "minutes", "quantity", "area", "date")
"""Columns an activity file may have."""
OUTCOME_REQUIRED = ("patient_id", "outcome", "value")
"""Columns every outcome file has."""
OUTCOME_OPTIONAL = ("area", "practice")
"""Columns an outcome file may have (``practice``: the patient's GP practice, for joining
outcomes to practices' accreditation: ``careprofiles standards --outcomes``)."""

_CATEGORICAL = ("stage", "code", "service", "area", "date")
_NUMERIC = ("minutes", "quantity")

Int64Array = NDArray[np.int64]
IntArray = NDArray[np.signedinteger[Any]]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
Frame = Any  # a pandas or Dask DataFrame (dask is optional, so not in annotations)
_F = TypeVar("_F")


# --------------------------------------------------------------------------- sources


@dataclass(frozen=True)
class Source:
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
_SOURCES: dict[int, tuple[weakref.ref[Any], Source]] = {}


def source_of(frame: Frame) -> Source:
    """Where ``frame`` came from (read by this module), or what it is (an in-memory frame)."""
    entry = _SOURCES.get(id(frame))
    if entry is not None and entry[0]() is frame:
        return entry[1]
    return Source(None, "parquet" if is_dask(frame) else "frame")


def _remember(frame: _F, source: Source) -> _F:
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
    # pandas read the file, whatever the length of its values: so must this, past the csv
    # module's limit of 131,072 characters a value (restored after)
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, path.stat().st_size + 1))
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            next(reader, None)
            starts: list[int] = []
            line = reader.line_num + 1
            for _ in reader:  # error path only, for files with quoted line breaks
                starts.append(line)
                line = reader.line_num + 1
    finally:
        csv.field_size_limit(limit)
    return np.asarray(starts, dtype=np.int64)


# --------------------------------------------------------------------------- reading


def _dask() -> Any:
    try:
        import dask.dataframe as dd
    except ImportError:  # pragma: no cover - depends on the environment
        raise MissingDependencyError("dask", "dask", "the Dask engine") from None
    return dd


def compute_together(*collections: Any) -> tuple[Any, ...]:
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
                code="missing-column",
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
    try:
        # newline="": the csv module's own line ends (a file ending its lines with a
        # carriage return alone reads its first line as the header, as pandas does)
        return [h.strip() for h in next(csv.reader(io.StringIO(text, newline="")))]
    except csv.Error as exc:
        raise error(
            [Problem(name, 1, "header", f"cannot read the header line ({exc}); check the file")]
        ) from None


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


_NOT_NUMBERS = ("could not convert", "Unable to parse", "cannot safely convert")
"""What pandas says when a number column holds text (``cannot safely convert``: text
such as ``NaN`` that is not missing, since only an empty value is)."""


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
        # the header as checked (each name stripped): "\tpatient_id" is patient_id
        "header": 0,
        "names": header,
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
            if not any(words in str(exc) for words in _NOT_NUMBERS):
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
        # pandas' words end in a line break: the message is one line
        what = " ".join(text.split(". ")[-1].split())
        message = f"cannot read the CSV ({what}); quote any value that holds a comma"
        raise error([Problem(name, line, "", message)]) from None
    return frame


def drop_blank(frame: pd.DataFrame) -> tuple[pd.DataFrame, Int64Array | None]:
    """``frame`` without its blank rows, and the positions of the rows kept (None: all)."""
    blank = frame.isna().all(axis=1).to_numpy()
    if not blank.any():
        return frame, None
    kept = np.flatnonzero(~blank).astype(np.int64)
    return frame.iloc[kept].reset_index(drop=True), kept


_PARQUET_IGNORED = (".", "_")
"""pyarrow does not read the files and folders of a dataset whose names start so."""


def _records_path(path: str | Path, what: str, error: type[ActivityError]) -> tuple[Path, str]:
    """``path`` and its display name, once it is known to be a regular file or a folder
    of them (a Parquet dataset): a FIFO, device or link loop is refused before pandas,
    pyarrow or Dask would wait on it, or read it for ever."""
    give = "give a CSV or Parquet file, or a Parquet dataset folder"
    missing = f"no such file; check the path of the {what}"
    p = check_input(path, what, error=error, folder=True, missing=missing, give=give)
    if p.is_dir():
        for folder, folders, files in os.walk(p):  # each file pyarrow would read
            folders[:] = sorted(f for f in folders if not f.startswith(_PARQUET_IGNORED))
            for entry in [*folders, *sorted(files)]:
                if entry.startswith(_PARQUET_IGNORED):
                    continue
                inner = Path(folder, entry)
                refused = refusal(inner, folder=True)
                if refused is not None:
                    message = (
                        f"{refused.text}; a Parquet dataset folder holds only Parquet "
                        "files (and folders of them): move it out"
                    )
                    raise error([Problem(input_name(inner), None, "", message, refused.code)])
    return p, display_path(p)


def _read_records(
    path: str | Path,
    spec: _Columns,
    *,
    numeric: Sequence[str],
    categorical: Sequence[str],
    error: type[ActivityError],
) -> pd.DataFrame:
    what = spec.what
    p, name = _records_path(path, what, error)
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
        return _remember(frame, Source(name, "parquet", p))
    header = _csv_header(p, name, error)
    _check_columns(header, spec, name, 1, error)
    frame = _read_csv_frame(p, name, header, numeric, categorical, error)
    newlines, ends = _count_lines(p)
    irregular = newlines + (0 if ends else 1) != len(frame) + 1
    frame, kept = drop_blank(frame)
    return _remember(frame, Source(name, "csv", p, kept, irregular))


ROW_BYTES_OF_WORKER_MEMORY = 1536
"""Bytes of a Dask worker's memory limit to allow for each activity row of a partition.

Measured (benchmarks/bench_activity.py, 20 million rows, 2 workers of 1.5 GiB): with
partitions of one 5-million-row file each, a worker peaked at 1.22-1.36 GiB (reading,
costing and the shuffle's buffers), too near
its limit to be safe; with one 1-million-row group a partition, at 0.97 GiB. So a
partition holds at most limit / 1,536 rows: 1 million rows for a 1.5 GiB worker, whole
files of 5 million rows for workers of 7.5 GiB or more."""


def dask_workers() -> list[int] | None:
    """The memory limit of each worker of the current Dask client (0: none; None: no
    client, so Dask's threads in this process)."""
    try:
        from distributed import get_client
    except ImportError:  # pragma: no cover - depends on the environment
        return None
    try:
        client = get_client()
    except ValueError:  # no client is running: Dask's threads, no per-worker limit
        return None
    return [int(w.get("memory_limit") or 0) for w in client.scheduler_info()["workers"].values()]


def worker_memory_limit() -> int | None:
    """The smallest memory limit of the workers of the current Dask client (None: no
    client, or no limits)."""
    limits = [limit for limit in dask_workers() or [] if limit > 0]
    return min(limits) if limits else None


def _row_groups_per_partition(path: Path) -> int | Literal["infer"]:
    """How many Parquet row groups a Dask partition reads: as many as fit the workers'
    memory (:data:`ROW_BYTES_OF_WORKER_MEMORY`), at least one; Dask's own choice when
    there is no limit to fit or every file fits whole."""
    limit = worker_memory_limit()
    if limit is None:
        return "infer"
    import pyarrow.parquet as pq

    files = (
        [path]
        if path.is_file()
        else sorted(f for f in path.rglob("*") if f.suffix.lower() in (".parquet", ".parq", ".pq"))
    )
    first = files[0] if files else None
    if first is None:
        return "infer"
    meta = pq.ParquetFile(first).metadata
    if not meta.num_row_groups:
        return "infer"
    most = limit // ROW_BYTES_OF_WORKER_MEMORY
    if meta.num_rows <= most:
        return "infer"
    per_group = max(-(-meta.num_rows // meta.num_row_groups), 1)  # rows a group, rounded up
    return max(most // per_group, 1)


def read_activity(path: str | Path, *, engine: Literal["pandas", "dask"] = "pandas") -> Frame:
    """Read activity records from a CSV file, or a Parquet file or dataset folder.

    Checks the columns (required, unknown, repeated); the values are checked against a
    tariff and pathway by :func:`~careprofiles.activity.checks.check_activity` (and by
    :func:`~careprofiles.activity.costing.cost_activity` and
    :func:`~careprofiles.activity.audit.audit`). ``engine="dask"`` reads lazily into a Dask
    DataFrame (pyarrow and dask, the ``dask`` extra); with a Dask client running, a
    partition reads as many Parquet row groups as its workers' memory allows (one at
    least; :data:`ROW_BYTES_OF_WORKER_MEMORY`).
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
    p, name = _records_path(path, _ACTIVITY.what, ActivityError)
    if _kind_of(p) == "parquet":
        _pyarrow("reading activity records from Parquet")
        frame = dd.read_parquet(str(p), split_row_groups=_row_groups_per_partition(p))
        _check_columns(frame.columns, _ACTIVITY, name)
        return _remember(frame, Source(name, "parquet", p))
    header = _csv_header(p, name, ActivityError)
    _check_columns(header, _ACTIVITY, name, 1)
    # numbers are read as text, so that a partition with a bad value reports its row
    # rather than failing; blank lines are kept (and skipped per partition) so that rows
    # count lines: row N is line N + 1 unless a quoted value holds a line break
    frame = dd.read_csv(
        str(p),
        dtype=dict.fromkeys(header, "str"),
        header=0,
        names=header,
        keep_default_na=False,
        na_values=[""],
        encoding="utf-8-sig",
        skipinitialspace=True,
        skip_blank_lines=False,
        blocksize="64MB",
    )
    return _remember(frame, Source(name, "csv", p))


def read_outcomes(path: str | Path) -> pd.DataFrame:
    """Read outcome records (``patient_id, outcome, value[, area]``) from CSV or Parquet.

    The values are checked against a pathway by
    :func:`~careprofiles.activity.checks.check_outcomes`.
    """
    return _read_records(
        path,
        _OUTCOMES,
        numeric=("value",),
        categorical=("outcome", "area", "practice"),
        error=ActivityError,
    )


def activity_frame(activity: object) -> pd.DataFrame:
    """Activity records as a pandas frame: a path read, a frame's columns checked."""
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


def check_dask_columns(activity: Frame) -> None:
    """Check the columns of activity records in a Dask frame."""
    _check_columns(activity.columns, _ACTIVITY, source_of(activity).file)


def outcome_frame(outcomes: object) -> pd.DataFrame:
    """Outcome records as a pandas frame: a path read, a frame's columns checked (a Dask
    frame is computed: outcome records are small)."""
    if is_dask(outcomes):
        outcomes = cast(Any, outcomes).compute()
    if isinstance(outcomes, str | Path):
        return read_outcomes(outcomes)
    if not isinstance(outcomes, pd.DataFrame):
        raise ActivityError(
            f"outcome records must be a file path or a DataFrame, not {type(outcomes).__name__}"
        )
    _check_columns(outcomes.columns, _OUTCOMES)
    return outcomes
