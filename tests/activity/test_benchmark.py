"""Benchmarking areas: hand-computed figures on tests/data/activity, funnel-plot limits,
the area checks, the populations file.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from activity_data import CNS, DATA, GP, HCA, MEDS, NIGHT, NURSE, rows_by

from careprofiles.activity.benchmark import (
    Z95,
    Z998,
    benchmark_areas,
    funnel_limits,
    read_populations,
)
from careprofiles.cli import main
from careprofiles.errors import ActivityError
from careprofiles.profiles.models import Pathway
from careprofiles.tariffs.tables import Tariff

AUDIT = Path(__file__).resolve().parents[2] / "examples" / "audit"


def test_benchmark_areas(tiny: Pathway, tariff: Tariff) -> None:
    result = benchmark_areas(
        tiny, tariff, DATA / "activity.csv", DATA / "populations.csv", DATA / "outcomes.csv"
    )
    areas = rows_by(result.areas, "area")
    assert list(areas) == ["north", "south", "east"]  # the populations file's order
    a_cost = 3 * NURSE + HCA + 0.25 * GP + MEDS + 3 * NIGHT + 2 * CNS
    b_cost = 1.5 * NURSE + (20 + 30) / 60 * GP + MEDS
    c_cost = d_cost = 0.25 * GP
    north = areas["north"]
    assert north["patients"] == 2
    assert north["cost"] == pytest.approx(a_cost + b_cost)
    assert north["cost_per_patient"] == pytest.approx((a_cost + b_cost) / 2)
    assert north["cost_per_1000"] == pytest.approx((a_cost + b_cost) / 10000 * 1000)
    assert areas["south"]["cost_per_1000"] == pytest.approx((c_cost + d_cost) / 5)
    east = areas["east"]  # in the populations, no activity: reported, not hidden
    assert east["patients"] == 0
    assert east["cost"] == 0.0
    assert math.isnan(east["cost_per_patient"])
    costs = np.array([a_cost, b_cost, c_cost, d_cost])
    mean, sd = costs.mean(), costs.std(ddof=1)
    assert result.overall["cost_per_patient"] == pytest.approx(mean)
    assert result.overall["cost_sd_per_patient"] == pytest.approx(sd)
    assert north["cost_upper_95"] == pytest.approx(mean + 1.96 * sd / math.sqrt(2))
    assert north["cost_lower_998"] == pytest.approx(mean - 3.09 * sd / math.sqrt(2))

    out = rows_by(result.outcomes, "outcome", "area")
    plan_north = out[("plan-recorded", "north")]
    p = 2 / 3  # A 1, B 0, C 1
    assert plan_north["records"] == 2
    assert plan_north["achievement"] == pytest.approx(0.5)
    assert plan_north["rate"] == pytest.approx(p)
    assert plan_north["lower_95"] == pytest.approx(p - 1.96 * math.sqrt(p * (1 - p) / 2))
    assert plan_north["upper_95"] == 1.0  # clipped
    assert plan_north["outside_95"] is False
    score_east = out[("symptom-score", "east")]  # E's own area column
    assert score_east["records"] == 1
    assert not score_east["binary"]
    assert score_east["sd"] == pytest.approx(1.0)  # 3, 5, 4
    assert score_east["upper_998"] == pytest.approx(4 + 3.09 * 1.0 / 1)
    empty = out[("plan-recorded", "east")]
    assert empty["records"] == 0
    assert empty["outside_95"] is None
    assert pd.isna(empty["position"])
    data = json.loads(json.dumps(result.to_dict()))
    assert {"area", "patients", "population", "cost", "cost_per_patient", "cost_per_1000"} <= set(
        data["areas"][0]
    )
    assert {"outside_95", "outside_998", "lower_95", "upper_998"} <= set(data["outcomes"][0])


def test_funnel_flags_an_outlying_area(tiny: Pathway, tariff: Tariff) -> None:
    """40 patients in each of two areas: 38/40 v 2/40 recorded a plan; p = 0.5, so both
    are far outside the 99.8% limits (0.5 +/- 3.09 sqrt(0.25/40) = 0.256..0.744)."""
    ids = [f"n{i}" for i in range(40)] + [f"s{i}" for i in range(40)]
    activity = pd.DataFrame(
        {
            "patient_id": ids,
            "stage": "decline",
            "service": "gp-review",
            "code": "gp",
            "minutes": 15.0,
            "area": ["north"] * 40 + ["south"] * 40,
        }
    )
    outcomes = pd.DataFrame(
        {
            "patient_id": ids,
            "outcome": "plan-recorded",
            "value": [1.0] * 38 + [0.0] * 2 + [1.0] * 2 + [0.0] * 38,
        }
    )
    result = benchmark_areas(tiny, tariff, activity, {"north": 1000, "south": 1000}, outcomes)
    out = rows_by(result.outcomes, "area")
    lo, hi = funnel_limits(0.5, 40, Z998, True)
    assert (float(lo), float(hi)) == pytest.approx(
        (0.5 - 3.09 * math.sqrt(0.25 / 40), 0.5 + 3.09 * math.sqrt(0.25 / 40))
    )
    assert out["north"]["position"] == "above"
    assert out["north"]["outside_998"] is True
    assert out["south"]["position"] == "below"
    assert out["south"]["outside_998"] is True
    # every patient costs the same: no spread, so no area is outside on cost
    assert result.areas["cost_outside_95"].tolist() == [False, False]


def test_funnel_limits_clip_and_empty() -> None:
    lo, hi = funnel_limits(0.9, np.array([0, 1, 100]), Z95, True)
    assert math.isnan(lo[0])
    assert math.isnan(hi[0])
    assert hi[1] == 1.0
    assert lo[2] == pytest.approx(0.9 - 1.96 * math.sqrt(0.09 / 100))
    lo, hi = funnel_limits(10.0, np.array([4]), Z95, False, sd=2.0)
    assert (lo[0], hi[0]) == pytest.approx((10 - 1.96, 10 + 1.96))


def test_patient_in_two_areas(tiny: Pathway, tariff: Tariff, tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text(
        "patient_id,stage,code,minutes,area\n"
        "p1,decline,gp,10,north\np2,decline,gp,10,north\np1,decline,gp,10,south\n",
        encoding="utf-8",
    )
    with pytest.raises(ActivityError) as info:
        benchmark_areas(tiny, tariff, path, {"north": 1, "south": 1})
    [problem] = info.value.problems
    assert (problem.line, problem.where) == (4, "area")
    assert "patient 'p1' is in area 'south' here but in 'north' on line 2" in problem.message


def test_area_missing_from_populations(tiny: Pathway, tariff: Tariff) -> None:
    with pytest.raises(ActivityError) as info:
        benchmark_areas(tiny, tariff, DATA / "activity.csv", {"north": 10000})
    [problem] = info.value.problems
    assert problem.line == 11  # south's first row (C), after line 1's header
    assert "'south' is not in the populations; add a row 'south,POPULATION'" in problem.message


def test_outcome_areas(tiny: Pathway, tariff: Tariff, tmp_path: Path) -> None:
    path = tmp_path / "o.csv"
    path.write_text(
        "patient_id,outcome,value,area\nA,plan-recorded,1,south\nZ,plan-recorded,1,\n"
        "C,plan-recorded,1,mars\n",
        encoding="utf-8",
    )
    with pytest.raises(ActivityError) as info:
        benchmark_areas(tiny, tariff, DATA / "activity.csv", DATA / "populations.csv", path)
    found = {p.line: p.message for p in info.value.problems}
    assert found[2].startswith("area 'south' differs from the area of the patient's activity")
    assert found[3].startswith("has no area, and patient 'Z' has no activity with an area")
    assert found[4].startswith("area 'mars' is not in")


def test_many_bad_outcome_areas_are_listed_to_the_cap_and_counted(
    tiny: Pathway, tariff: Tariff, tmp_path: Path
) -> None:
    """The one cap on listed problems (errors.MAX_LISTED), with the rest counted."""
    from careprofiles.errors import MAX_LISTED

    path = tmp_path / "o.csv"
    rows = "".join(f"x{n},plan-recorded,1,mars-{n}\n" for n in range(120))  # no activity
    path.write_text("patient_id,outcome,value,area\n" + rows, encoding="utf-8")
    with pytest.raises(ActivityError) as info:
        benchmark_areas(tiny, tariff, DATA / "activity.csv", DATA / "populations.csv", path)
    problems = info.value.problems
    assert len(problems) == MAX_LISTED + 1
    assert [p.line for p in problems[:MAX_LISTED]] == list(range(2, 2 + MAX_LISTED))
    assert problems[-1].line is None
    assert f"and {120 - MAX_LISTED:,} more problems in the outcome records" in problems[-1].message


def test_populations_frame_needs_its_columns(tiny: Pathway, tariff: Tariff) -> None:
    frame = pd.DataFrame({"area": ["north"], "people": [100]})
    with pytest.raises(ActivityError) as info:
        benchmark_areas(tiny, tariff, DATA / "activity.csv", frame)
    [problem] = info.value.problems
    assert problem.code == "missing-column"
    assert str(problem) == "populations: missing column population; give area and population"


def test_populations_file(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text(
        "area,population\nnorth,100\nnorth,5\nsouth,-1\neast,many\n,3\n", encoding="utf-8"
    )
    with pytest.raises(ActivityError) as info:
        read_populations(path)
    found = {p.line: (p.where, p.message) for p in info.value.problems}
    assert found[3] == ("area", "'north' is also on line 2; give each area once")
    assert found[4][0] == "population"
    assert "must be above 0" in found[4][1]
    assert found[5][0] == "population"
    assert "'many' is not a number" in found[5][1]
    assert found[6][0] == "area"


def test_funnel_plot(tiny: Pathway, tariff: Tariff, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from careprofiles.outputs.audit_charts import funnel_plot, write_funnel_plot

    result = benchmark_areas(
        tiny, tariff, DATA / "activity.csv", DATA / "populations.csv", DATA / "outcomes.csv"
    )
    figure = funnel_plot(result)
    visible = [ax for ax in figure.axes if ax.get_visible()]
    names = {o.id: o.name or o.id for s in tiny.stages for o in s.outcomes}
    # panels named as the profiles name the outcomes, not by their ids (issue 15)
    assert [ax.get_title() for ax in visible] == [
        "Cost per patient by area",
        names["plan-recorded"],
        names["died-in-preferred-place"],
        names["symptom-score"],
    ]
    assert names["plan-recorded"] != "plan-recorded"
    # whole patients on the x axis (ticks at 2.5 patients before)
    for ax in visible:
        assert all(float(x).is_integer() for x in ax.get_xticks())
    (path,) = write_funnel_plot(result, tmp_path / "f.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_funnel_plots_are_paged(tiny: Pathway, tariff: Tariff, tmp_path: Path) -> None:
    """Many outcomes make pages of at most FUNNEL_PER_PAGE panels (one 1860x5940 image
    of 17 panels before), each page a file, FILE.png then FILE-2.png ..."""
    pytest.importorskip("matplotlib")
    from careprofiles.outputs.audit_charts import funnel_plots, write_funnel_plot

    result = benchmark_areas(
        tiny, tariff, DATA / "activity.csv", DATA / "populations.csv", DATA / "outcomes.csv"
    )
    pages = funnel_plots(result, per_page=3)
    assert [sum(ax.get_visible() for ax in f.axes) for f in pages] == [3, 1]
    assert pages[0].get_suptitle().endswith("(page 1 of 2)")
    written = write_funnel_plot(result, tmp_path / "f.png")
    assert [p.name for p in written] == ["f.png"]  # four panels fit one page of six
    with pytest.raises(ValueError, match="per_page"):
        funnel_plots(result, per_page=0)


def test_the_bundled_example_funnel_plots_page_in_threes_of_two(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from careprofiles.outputs.audit_charts import FUNNEL_PER_PAGE

    status = main(
        [
            "benchmark",
            "--activity",
            str(AUDIT / "activity.csv"),
            "--populations",
            str(AUDIT / "populations.csv"),
            "--outcomes",
            str(AUDIT / "outcomes.csv"),
            "--plot",
            str(tmp_path / "f.png"),
            "-o",
            str(tmp_path / "b.json"),
            "--format",
            "json",
        ]
    )
    assert status == 0
    pngs = sorted(p.name for p in tmp_path.glob("*.png"))
    with open(AUDIT / "outcomes.csv", encoding="utf-8") as f:
        outcomes = len({r["outcome"] for r in csv.DictReader(f)})
    pages = -(-(1 + outcomes) // FUNNEL_PER_PAGE)
    assert pngs == sorted(["f.png", *(f"f-{n}.png" for n in range(2, pages + 1))])
    assert pages > 1
