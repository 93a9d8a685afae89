"""Shared test fixtures: small pathway and tariff writers, and the bundled pathway/tariff.

Use them from any test module::

    def test_something(tmp_path, write_pathway, write_tariff):
        folder = write_pathway(tmp_path, stages=[make_stage(...)], cohort={"patients": 10})
        tariff = write_tariff(tmp_path, [{"code": "nurse", "unit": "hour", "cost": 60}])

``write_pathway`` and ``write_tariff`` are plain functions (session-scoped fixtures),
so hypothesis tests may use them too. ``make_stage`` and ``make_service`` build the
dicts of a minimal valid stage and service; ``STAGE`` / ``SERVICE`` are those defaults.
``line_of(path, text)`` finds the line an error message should name; ``run_python``
runs a fresh interpreter on this checkout. ``parse_html`` gives the headings, tables and
tags of an HTML page (:class:`HtmlPage`), ``docx_text`` the text of a Word document.

For activity records and audits: ``tiny`` and ``tariff`` are the tiny pathway and its
tariff in :data:`ACTIVITY_DATA`; ``dask_client`` is a local Dask cluster for a module.
"""

from __future__ import annotations

import copy
import csv
import io
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml

from careprofiles.costing.result import CostResult, cost
from careprofiles.profiles.load import load_pathway
from careprofiles.profiles.models import Pathway
from careprofiles.resources import bundled_index, bundled_pathway, bundled_tariff
from careprofiles.tariffs.tables import Tariff, load_tariff

REPO = Path(__file__).resolve().parent.parent
"""The repository's root folder."""

ACTIVITY_DATA = REPO / "tests" / "data" / "activity"
"""The tiny pathway (``pathway/``), its tariff and activity and outcome records."""

SERVICE: dict[str, Any] = {
    "id": "visits",
    "setting": "home",
    "contacts": {"per_week": 1, "minutes": 60},
    "staff": [{"role": "nurse"}],
}
"""A minimal valid service: one one-hour nurse visit a week."""

STAGE: dict[str, Any] = {
    "format": "careprofiles/1",
    "id": "stage-one",
    "duration_weeks": 1,
    "services": [SERVICE],
}
"""A minimal valid stage holding :data:`SERVICE`."""

TARIFF_ROWS: list[dict[str, Any]] = [
    {"code": "nurse", "unit": "hour", "cost": 60, "price_year": "2024/25"},
]
"""A tariff that prices :data:`SERVICE`."""


def make_service(**changes: Any) -> dict[str, Any]:
    """A copy of :data:`SERVICE` with ``changes`` (a value of ``None`` removes the key)."""
    return _changed(SERVICE, changes)


def make_stage(**changes: Any) -> dict[str, Any]:
    """A copy of :data:`STAGE` with ``changes`` (a value of ``None`` removes the key)."""
    return _changed(STAGE, changes)


def _changed(base: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(dict(base))
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _write_pathway(
    folder: Path,
    stages: Sequence[Mapping[str, Any] | str] | None = None,
    cohort: Mapping[str, Any] | None = None,
    *,
    price_year: str = "2024/25",
    pathway_id: str = "test-pathway",
    header: Mapping[str, Any] | None = None,
) -> Path:
    """Write ``pathway.yaml`` and its stage files in ``folder``; return ``folder``.

    ``stages`` holds stage dicts (written as ``<id>.yaml``, or ``stage-<n>.yaml`` when
    the dict has no usable id) or raw YAML text (written as ``stage-<n>.yaml``).
    ``header`` replaces or adds keys of pathway.yaml (``None`` values remove a key).
    """
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for n, stage in enumerate(stages if stages is not None else [STAGE], start=1):
        if isinstance(stage, str):
            name = f"stage-{n}.yaml"
            (folder / name).write_text(stage, encoding="utf-8")
        else:
            ident = stage.get("id")
            usable = isinstance(ident, str) and re.fullmatch(r"[a-z0-9-]+", ident)
            name = f"{ident}.yaml" if usable else f"stage-{n}.yaml"
            if name in names:
                name = f"stage-{n}.yaml"
            (folder / name).write_text(_dump(stage), encoding="utf-8")
        names.append(name)
    data: dict[str, Any] = {
        "format": "careprofiles/1",
        "id": pathway_id,
        "name": "Test pathway",
        "price_year": price_year,
        "cohort": dict(cohort) if cohort is not None else {"patients": 100},
        "stages": names,
    }
    data = _changed(data, header or {})
    (folder / "pathway.yaml").write_text(_dump(data), encoding="utf-8")
    return folder


def line_of(path: Path, text: str, occurrence: int = 1) -> int:
    """The 1-based line of the ``occurrence``-th line of ``path`` containing ``text``."""
    seen = 0
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if text in line:
            seen += 1
            if seen == occurrence:
                return n
    raise AssertionError(f"{text!r} not in {path}")


def run_python(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``python ARGS`` in a fresh interpreter from ``cwd``, importing this checkout."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def _write_tariff(
    folder: Path,
    rows: Sequence[Mapping[str, Any]] | str | None = None,
    name: str = "tariff.csv",
) -> Path:
    """Write a tariff CSV in ``folder``: rows as dicts (the header is the union of their
    keys, ``price_year`` defaulting to 2024/25), or the raw text. Returns its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if isinstance(rows, str):
        path.write_text(rows, encoding="utf-8")
        return path
    records = [dict(r) for r in (rows if rows is not None else TARIFF_ROWS)]
    for r in records:
        r.setdefault("price_year", "2024/25")
    columns: list[str] = []
    for r in records:
        columns.extend(k for k in r if k not in columns)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def write_pathway() -> Callable[..., Path]:
    """``write_pathway(folder, stages=[...], cohort={...}, price_year=..., header=...)``."""
    return _write_pathway


@pytest.fixture(scope="session")
def write_tariff() -> Callable[..., Path]:
    """``write_tariff(folder, rows=[{...}] or "csv text", name="tariff.csv")``."""
    return _write_tariff


@pytest.fixture(scope="session")
def bundled_pathway_dir() -> Path:
    """The bundled default pathway's folder."""
    return bundled_pathway()


@pytest.fixture(scope="session")
def bundled_tariff_file() -> Path:
    """The bundled tariff CSV."""
    return bundled_tariff()


@pytest.fixture(scope="session")
def bundled_index_file() -> Path:
    """The bundled price index CSV."""
    return bundled_index()


@pytest.fixture(scope="session")
def default_pathway() -> Pathway:
    """The bundled default pathway, loaded once."""
    return load_pathway()


@pytest.fixture(scope="session")
def default_tariff() -> Tariff:
    """The bundled tariff, loaded once."""
    return load_tariff()


@pytest.fixture(scope="session")
def default_cost(default_pathway: Pathway, default_tariff: Tariff) -> CostResult:
    """The bundled pathway costed with the bundled tariff, once."""
    return cost(default_pathway, default_tariff)


@pytest.fixture(scope="session")
def tiny() -> Pathway:
    """The tiny pathway of :data:`ACTIVITY_DATA`, loaded once."""
    return load_pathway(ACTIVITY_DATA / "pathway")


@pytest.fixture(scope="session")
def tariff() -> Tariff:
    """The tiny pathway's tariff (:data:`ACTIVITY_DATA` ``/ "tariff.csv"``), loaded once."""
    return load_tariff(ACTIVITY_DATA / "tariff.csv")


@pytest.fixture(scope="module")
def dask_client() -> Iterator[Any]:
    """A local Dask cluster (two worker threads) and its client, for one test module."""
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


class HtmlPage(HTMLParser):
    """Headings, tables, table header cells and tags of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.headings: list[tuple[str, str]] = []
        self.tables: list[list[list[str]]] = []
        self.captions: list[str] = []
        self._text: list[str] | None = None
        self._heading: str | None = None
        self._row: list[str] | None = None
        self._in_caption = False
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if re.fullmatch(r"h[1-6]", tag):
            self._heading, self._text = tag, []
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._text = []
        elif tag == "caption":
            self._in_caption, self._text = True, []

    def handle_endtag(self, tag: str) -> None:
        if self._heading == tag and self._text is not None:
            self.headings.append((tag, "".join(self._text).strip()))
            self._heading, self._text = None, None
        elif tag in ("td", "th") and self._row is not None and self._text is not None:
            self._row.append("".join(self._text).strip())
            self._text = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1].append(self._row)
            self._row = None
        elif tag == "caption" and self._text is not None:
            self.captions.append("".join(self._text).strip())
            self._in_caption, self._text = False, None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._text is not None:
            self._text.append(data)


def parse_html(page: str) -> HtmlPage:
    parser = HtmlPage()
    parser.feed(page)
    parser.close()
    return parser


def docx_text(data: bytes) -> tuple[Any, str]:
    """The python-docx document and all its text (paragraphs and table cells)."""
    import docx

    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return document, "\n".join(parts)


def long_fuzz_run(config: pytest.Config) -> bool:
    """``pytest -m fuzz`` (or any marker expression naming fuzz) selects the long fuzz
    run (``tests/test_fuzz.py``: 2,000 examples a test)."""
    return re.search(r"\bfuzz\b", str(config.getoption("markexpr") or "")) is not None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The long fuzz run is exempt from the ten-minute limit of every other test
    (``timeout`` in ``pyproject.toml``)."""
    if not long_fuzz_run(config):
        return
    for item in items:
        if item.get_closest_marker("fuzz") is not None:
            item.add_marker(pytest.mark.timeout(0))
