"""What the activity tests share: the files of tests/data/activity, the hand-computed
tariff, and the frames, tariffs and text columns the property tests draw.

tests/data/activity's tariff: nurse £60/h, hca £30/h, gp £240/h, meds-pack £40/item,
night-visit £200/contact, cns-call £50/contact. The fixtures (tiny, tariff,
dask_client) are those of tests/conftest.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
import pytest
from hypothesis import strategies as st

from careprofiles.activity.costing import cost_activity
from careprofiles.errors import ActivityError
from careprofiles.tariffs.tables import Tariff, TariffRow

DATA = Path(__file__).resolve().parents[1] / "data" / "activity"
ACTIVITY = DATA / "activity.csv"
BAD = DATA / "bad-activity.csv"

NURSE, HCA, GP, MEDS, NIGHT, CNS = 60.0, 30.0, 240.0, 40.0, 200.0, 50.0


def by_key(frame: pd.DataFrame) -> pd.DataFrame:
    """hours and cost by (patient_id, stage) as text, sorted: results compared as sets."""
    out = frame.assign(patient_id=frame["patient_id"].astype(str), stage=frame["stage"].astype(str))
    return out.set_index(["patient_id", "stage"]).sort_index()[["hours", "cost"]]


def problems_by_line(exc: ActivityError) -> dict[int | None, tuple[str, str]]:
    """(where, message) of each problem, by line."""
    return {p.line: (p.where, p.message) for p in exc.problems}


CODES = {"nurse": "hour", "gp": "hour", "visit": "contact", "pack": "item", "bed": "day"}


def make_tariff(prices: dict[str, tuple[str, float]]) -> Tariff:
    """A tariff of ``{code: (unit, cost)}``, all priced in 2024/25."""
    return Tariff({c: TariffRow(c, u, cost, "2024/25") for c, (u, cost) in prices.items()})


@st.composite
def activity_frames(draw: st.DrawFn, max_rows: int = 40) -> pd.DataFrame:
    """Clean activity frames over :data:`CODES`: staff rows with minutes, items without."""
    n = draw(st.integers(1, max_rows))
    codes = draw(st.lists(st.sampled_from(sorted(CODES)), min_size=n, max_size=n))
    minutes = draw(st.lists(st.integers(0, 600), min_size=n, max_size=n))
    quantity = draw(st.lists(st.one_of(st.none(), st.integers(0, 9)), min_size=n, max_size=n))
    return pd.DataFrame(
        {
            "patient_id": draw(st.lists(st.sampled_from("abcdefg"), min_size=n, max_size=n)),
            "stage": draw(st.lists(st.sampled_from(["s1", "s2", "s3"]), min_size=n, max_size=n)),
            "code": codes,
            # staff rows have minutes; item rows have none
            "minutes": [
                float(m) if CODES[c] in ("hour", "contact") else np.nan
                for m, c in zip(minutes, codes, strict=True)
            ],
            "quantity": [np.nan if q is None else float(q) for q in quantity],
        }
    )


prices_strategy = st.fixed_dictionaries(
    {c: st.floats(0, 1000, allow_nan=False, allow_infinity=False) for c in CODES}
)


TEXT_DTYPES = ["str", "string[pyarrow]", "string-arrow", "large-string-arrow"]


def text_series(values: list[str | None], dtype: str, pieces: int = 1) -> pd.Series:
    """Arrow-backed text, its Arrow data in ``pieces`` chunks (as from pd.concat or Parquet)."""
    pa = pytest.importorskip("pyarrow")
    kind = {"string-arrow": pa.string(), "large-string-arrow": pa.large_string()}
    as_dtype: Any = pd.ArrowDtype(kind[dtype]) if dtype in kind else dtype
    step = -(-len(values) // pieces)
    parts = [pd.Series(values[i : i + step], dtype=as_dtype) for i in range(0, len(values), step)]
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]


def _sliced(slices: int) -> Any:
    """``text_slices`` that always slices (small frames stand in for long ones)."""
    return lambda rows: slices


def costed(frame: pd.DataFrame, tariff: Tariff, slices: int) -> Any:
    """cost_activity's result, or the message of the error it raises."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("careprofiles.activity.encoding.text_slices", _sliced(slices))
        try:
            return cost_activity(frame, tariff)
        except ActivityError as exc:
            return str(exc)


def rows_by(frame: pd.DataFrame, *keys: str) -> dict[Any, dict[str, Any]]:
    """The rows of ``frame`` as dicts, by the value of ``keys`` (a tuple for several)."""
    rows = cast(list[dict[str, Any]], frame.to_dict(orient="records"))
    out = {r[keys[0]] if len(keys) == 1 else tuple(r[k] for k in keys): r for r in rows}
    assert len(out) == len(rows)
    return out
