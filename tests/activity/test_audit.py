"""Audit against the profiles: hand-computed figures, properties; the audit and benchmark
commands; the shipped example.

The tiny pathway (tests/data/activity/pathway) expects, per patient reaching a stage:

* decline: nurse-visits 0.5 x (4 contacts: nurse 4 h x £60 + hca 2 h x £30) = £150,
  3 hours, 2 contacts; gp-review 1 x 0.25 h x £240 = £60, 0.25 hours, 1 contact;
* last-days: meds 1 x £40; night-visits 0.5 x 2 x £200 = £200; specialist 0.25 x 2 x
  £50 = £25, 0.25 hours, 0.5 contacts.
"""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
import pytest
from activity_data import CNS, DATA, GP, HCA, MEDS, NIGHT, NURSE, rows_by
from hypothesis import HealthCheck, given, settings, strategies as st

from careprofiles.activity.audit import AuditResult, audit
from careprofiles.activity.benchmark import benchmark_areas
from careprofiles.activity.records import read_activity
from careprofiles.cli import main
from careprofiles.costing.result import cost
from careprofiles.errors import ActivityError, TariffError
from careprofiles.outputs.audit import (
    audit_markdown,
    audit_table,
    benchmark_markdown,
    benchmark_table,
)
from careprofiles.profiles.models import Pathway
from careprofiles.tariffs.tables import PriceIndex, Tariff, TariffRow, load_tariff


@pytest.fixture(scope="module")
def result(tiny: Pathway, tariff: Tariff) -> AuditResult:
    return audit(tiny, tariff, DATA / "activity.csv", DATA / "outcomes.csv")


def _service(result: AuditResult, service: str) -> dict[str, Any]:
    return rows_by(result.services, "service")[service]


# ----------------------------------------------------------------- hand-computed audit


def test_stages(result: AuditResult) -> None:
    stages = rows_by(result.stages, "id")
    assert stages["decline"]["patients"] == 4  # A, B, C, D
    assert stages["last-days"]["patients"] == 2  # A, B
    decline_cost = (3 * NURSE + 1 * HCA + 1.5 * NURSE) + (0.25 + 20 / 60 + 0.25 + 0.25) * GP
    unassigned = 30 / 60 * GP  # B's gp row with no service
    assert stages["decline"]["actual_cost_per_patient"] == pytest.approx(
        (decline_cost + unassigned) / 4
    )
    assert stages["decline"]["unassigned_cost_per_patient"] == pytest.approx(unassigned / 4)
    assert stages["decline"]["expected_cost_per_patient"] == pytest.approx(150 + 60)
    assert stages["decline"]["expected_hours_per_patient"] == pytest.approx(3 + 0.25)
    decline_hours = 3 + 1 + 1.5 + (15 + 20 + 30 + 15 + 15) / 60
    assert stages["decline"]["actual_hours_per_patient"] == pytest.approx(decline_hours / 4)
    last = 2 * MEDS + 3 * NIGHT + 2 * CNS
    assert stages["last-days"]["actual_cost_per_patient"] == pytest.approx(last / 2)
    assert stages["last-days"]["expected_cost_per_patient"] == pytest.approx(40 + 200 + 25)
    assert stages["last-days"]["cost_difference_per_patient"] == pytest.approx(last / 2 - 265)
    assert result.patients == 4
    assert result.rows == 15


def test_services(result: AuditResult) -> None:
    nurse = _service(result, "nurse-visits")
    assert nurse["patients"] == 4
    assert nurse["patients_receiving"] == 2
    assert nurse["expected_uptake"] == 0.5
    assert nurse["actual_uptake"] == pytest.approx(2 / 4)
    # 6 staff rows / 1.5 staff per contact (nurse + half an hca) = 4 contacts, over 4 patients
    assert nurse["expected_contacts_per_patient"] == pytest.approx(0.5 * 4)
    assert nurse["actual_contacts_per_patient"] == pytest.approx(6 / 1.5 / 4)
    assert nurse["expected_hours_per_patient"] == pytest.approx(0.5 * (4 + 2))
    assert nurse["actual_hours_per_patient"] == pytest.approx((3 + 1 + 1.5) / 4)
    assert nurse["expected_cost_per_patient"] == pytest.approx(150)
    assert nurse["actual_cost_per_patient"] == pytest.approx((3 * NURSE + HCA + 1.5 * NURSE) / 4)

    gp = _service(result, "gp-review")
    assert gp["actual_uptake"] == 1.0
    assert gp["actual_cost_per_patient"] == pytest.approx((15 + 20 + 15 + 15) / 60 * GP / 4)
    assert gp["actual_contacts_per_patient"] == pytest.approx(1.0)

    night = _service(result, "night-visits")  # an item priced per contact
    assert night["actual_uptake"] == pytest.approx(1 / 2)
    assert night["actual_cost_per_patient"] == pytest.approx(3 * NIGHT / 2)
    assert night["actual_hours_per_patient"] == 0.0
    assert math.isnan(night["expected_contacts_per_patient"])  # the profile has no contacts
    assert math.isnan(night["actual_contacts_per_patient"])

    specialist = _service(result, "specialist")  # a role priced per contact
    assert specialist["actual_uptake"] == pytest.approx(1 / 2)
    assert specialist["actual_cost_per_patient"] == pytest.approx(2 * CNS / 2)
    assert specialist["actual_hours_per_patient"] == pytest.approx(1.0 / 2)
    assert specialist["actual_contacts_per_patient"] == pytest.approx(2 / 2)
    assert specialist["expected_contacts_per_patient"] == pytest.approx(0.25 * 2)


def test_services_ordered_by_departure(result: AuditResult) -> None:
    gaps = result.services["cost_difference_per_patient"].abs().tolist()
    assert gaps == sorted(gaps, reverse=True)
    assert result.services["service"].tolist()[:2] == ["night-visits", "nurse-visits"]
    assert result.departures(1)["service"].tolist() == ["night-visits"]


def test_outcomes(result: AuditResult) -> None:
    out = rows_by(result.outcomes, "id")
    plan = out["plan-recorded"]
    assert plan["achievement"] == pytest.approx(2 / 3)
    assert plan["completeness"] == pytest.approx(3 / 4)  # A, B, C of 4 in decline
    assert plan["meets_target"] is False
    assert plan["binary"] is True
    died = out["died-in-preferred-place"]
    assert died["achievement"] == 1.0
    assert died["completeness"] == pytest.approx(1 / 2)
    assert died["meets_target"] is True
    score = out["symptom-score"]  # E has a value but no activity: counts in achievement
    assert score["achievement"] == pytest.approx((3 + 5 + 4) / 3)
    assert score["records"] == 3
    assert score["completeness"] == pytest.approx(2 / 2)
    assert score["meets_target"] is True  # lower is better: 4 <= 4.5
    assert score["binary"] is False


def test_json_keys(result: AuditResult) -> None:
    data = json.loads(json.dumps(result.to_dict()))
    for stage in data["stages"]:
        assert {"id", "patients", "expected_cost_per_patient", "actual_cost_per_patient"} <= set(
            stage
        )
    for service in data["services"]:
        assert {
            "stage",
            "service",
            "patients",
            "expected_uptake",
            "actual_uptake",
            "expected_hours_per_patient",
            "actual_hours_per_patient",
            "expected_cost_per_patient",
            "actual_cost_per_patient",
        } <= set(service)
    for outcome in data["outcomes"]:
        assert {"id", "stage", "target", "achievement", "completeness"} <= set(outcome)
    assert {s["service"] for s in data["services"]} == {
        "nurse-visits",
        "gp-review",
        "meds",
        "night-visits",
        "specialist",
    }


def test_report_tables_pinned(tiny: Pathway, tariff: Tariff, result: AuditResult) -> None:
    """The text and Markdown tables, to the byte: money with pence, a missing figure as
    ``-``, figures right-aligned (``--:``), every Markdown cell escaped."""
    text = audit_table(result).splitlines()
    i = text.index("Stages (cost and hours per patient in the stage)")
    # at most 100 columns (issue 15): the headers wrap onto a second line
    assert text[i + 1 : i + 5] == [
        "stage      patients     expected    actual per  difference   not tied to         hours"
        "  hours actual",
        "                     per patient       patient                 a service      expected",
        "---------  --------  -----------  ------------  ----------  ------------  ------------"
        "  ------------",
        # the stage by its name (issue 15)
        "Decline           4      £210.00       £170.00  -£40.00           £30.00           3.2"
        "           1.8",
    ]
    md = audit_markdown(result).splitlines()
    i = md.index("Table: Stages: cost and hours per patient in the stage")
    assert md[i + 1 : i + 5] == [
        "",
        "| stage | patients | expected per patient | actual per patient | difference "
        "| not tied to a service | hours expected | hours actual |",
        "| --- | --: | --: | --: | --: | --: | --: | --: |",
        "| Decline | 4 | £210.00 | £170.00 | \\-£40.00 | £30.00 | 3\\.2 | 1\\.8 |",
    ]
    bench = benchmark_areas(
        tiny, tariff, DATA / "activity.csv", DATA / "populations.csv", DATA / "outcomes.csv"
    )
    assert "east        2,000         0      £0                 -                 £0  -" in (
        benchmark_table(bench)
    )
    md = benchmark_markdown(bench).splitlines()
    i = md.index("Table: Areas")
    assert md[i + 3] == "| --- | --: | --: | --: | --: | --: | --: | --: |"
    assert "| east | 2,000 | 0 | £0 | \\- | £0 | \\- | \\- |" in md
    assert md[3] == "All areas: 4 patients, £1,460, £365.00 per patient, £86 per 1,000 population  "


def test_stage_with_no_patients_is_none_not_zero(tiny: Pathway, tariff: Tariff) -> None:
    frame = read_activity(DATA / "activity.csv")
    only_decline = frame[frame["stage"] == "decline"].reset_index(drop=True)
    result = audit(tiny, tariff, only_decline)
    stages = result.to_dict()["stages"]
    last = next(s for s in stages if s["id"] == "last-days")
    assert last["patients"] == 0
    assert last["actual_cost_per_patient"] is None
    assert last["expected_cost_per_patient"] == pytest.approx(265)


def test_price_year_uplift(tiny: Pathway) -> None:
    rows = dict(load_tariff(DATA / "tariff.csv").rows)
    rows["gp"] = TariffRow(
        "gp",
        "hour",
        120.0,
        "2015/16",
        location="t.csv:4",
        original_cost=120.0,
        original_price_year="2015/16",
    )
    old = Tariff(rows, ("t.csv",))
    with pytest.raises(TariffError):  # the profile itself names gp
        audit(tiny, old, DATA / "activity.csv")
    index = PriceIndex({"2015/16": 50.0, "2024/25": 100.0})
    uplifted = audit(tiny, old, DATA / "activity.csv", index=index)
    gp = rows_by(uplifted.services, "service")["gp-review"]
    assert gp["actual_cost_per_patient"] == pytest.approx((15 + 20 + 15 + 15) / 60 * 240 / 4)
    assert gp["expected_cost_per_patient"] == pytest.approx(60)


# ----------------------------------------------------------------- exact synthetic data


ROLES = {"nurse": ("hour", 60.0), "gp": ("hour", 240.0), "call": ("contact", 35.0)}


ITEMS = {"pack": ("item", 40.0), "bed": ("day", 500.0), "visit": ("contact", 200.0)}


SYNTH_TARIFF = Tariff(
    {c: TariffRow(c, u, v, "2024/25") for c, (u, v) in {**ROLES, **ITEMS}.items()}
)


@st.composite
def deterministic_pathways(draw: st.DrawFn) -> tuple[dict[str, Any], int]:
    """A profile with integer contacts, shares that split contacts evenly, and uptakes
    that give whole numbers of patients; the first service of a stage reaches everyone."""
    patients = draw(st.sampled_from([4, 8, 12]))
    stages = []
    for si in range(draw(st.integers(1, 2))):
        weeks = draw(st.integers(1, 4))
        services = []
        for vi in range(draw(st.integers(1, 3))):
            service: dict[str, Any] = {
                "id": f"service-{vi}",
                "setting": "home",
                "uptake": 1.0 if vi == 0 else draw(st.sampled_from([0.25, 0.5, 0.75, 1.0])),
            }
            kinds = draw(st.sampled_from(["contacts", "items", "both"]))
            if kinds in ("contacts", "both"):
                per = draw(st.sampled_from(["per_stage", "per_week"]))
                service["contacts"] = {
                    per: 2 * draw(st.integers(1, 3)),  # even: a share of 0.5 splits it
                    "minutes": draw(st.integers(0, 90)),
                    "travel_minutes": draw(st.integers(0, 30)),
                }
                roles = draw(
                    st.lists(st.sampled_from(sorted(ROLES)), min_size=1, max_size=2, unique=True)
                )
                service["staff"] = [
                    {
                        "role": r,
                        "count": draw(st.sampled_from([1, 2])),
                        "share": draw(st.sampled_from([0.5, 1.0])),
                    }
                    for r in roles
                ]
            if kinds in ("items", "both"):
                code = draw(st.sampled_from(sorted(ITEMS)))
                item: dict[str, Any] = {"code": code}
                if draw(st.booleans()):
                    item["quantity"] = draw(st.integers(0, 3))
                else:
                    item["per_week"] = draw(st.integers(0, 7))
                service["items"] = [item]
            services.append(service)
        stages.append({"id": f"stage-{si}", "duration_weeks": weeks, "services": services})
    pathway = {
        "id": "synthetic",
        "name": "Synthetic",
        "price_year": "2024/25",
        "cohort": {"patients": 100},
        "stages": stages,
    }
    return pathway, patients


def exact_activity(pathway: Pathway, patients: int) -> pd.DataFrame:
    """Activity delivering each profile exactly: uptake x patients recipients, each with
    N contacts, share x N of them attended by each role (count rows each), and items."""
    lines = cost(pathway, SYNTH_TARIFF).lines
    pieces = []
    for line in cast(Any, lines).itertuples():  # a loop over profile lines, not records
        recipients = round(line.uptake * patients)
        assert recipients == pytest.approx(line.uptake * patients)
        if line.kind == "staff":
            per_patient = round(line.contacts * line.share * line.count)
            minutes = line.minutes + line.travel_minutes
            quantity = np.nan
        else:
            per_patient = 1
            minutes = np.nan
            quantity = line.contacts  # units per patient receiving
        who = np.repeat(np.arange(recipients), per_patient)
        pieces.append(
            pd.DataFrame(
                {
                    "patient_id": [f"p{i}" for i in who],
                    "stage": line.stage,
                    "service": line.service,
                    "code": line.code,
                    "minutes": minutes,
                    "quantity": quantity,
                }
            )
        )
    return pd.concat(pieces, ignore_index=True)


@settings(max_examples=40, deadline=None)
@given(deterministic_pathways())
def test_exact_synthetic_activity_audits_to_expected(spec: tuple[dict[str, Any], int]) -> None:
    raw, patients = spec
    pathway = Pathway.model_validate(raw)
    activity = exact_activity(pathway, patients)
    result = audit(pathway, SYNTH_TARIFF, activity)
    stages = result.stages
    assert (stages["patients"] == patients).all()
    np.testing.assert_allclose(
        stages["actual_cost_per_patient"],
        stages["expected_cost_per_patient"],
        rtol=1e-12,
        atol=1e-9,
    )
    np.testing.assert_allclose(
        stages["actual_hours_per_patient"],
        stages["expected_hours_per_patient"],
        rtol=1e-12,
        atol=1e-9,
    )
    s = result.services
    np.testing.assert_allclose(s["actual_uptake"], s["expected_uptake"], rtol=1e-12)
    np.testing.assert_allclose(
        s["actual_cost_per_patient"], s["expected_cost_per_patient"], rtol=1e-12, atol=1e-9
    )
    np.testing.assert_allclose(
        s["actual_hours_per_patient"], s["expected_hours_per_patient"], rtol=1e-12, atol=1e-9
    )
    staff = s["expected_contacts_per_patient"].notna()
    np.testing.assert_allclose(
        s.loc[staff, "actual_contacts_per_patient"],
        s.loc[staff, "expected_contacts_per_patient"],
        rtol=1e-12,
    )


# ----------------------------------------------------------------- pandas and Dask


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.integers(1, 5))
def test_dask_audit_and_benchmark_match_pandas(
    dask_client: Any, tiny: Pathway, tariff: Tariff, partitions: int
) -> None:
    dd = pytest.importorskip("dask.dataframe")
    frame = read_activity(DATA / "activity.csv")
    lazy = dd.from_pandas(frame, npartitions=partitions)
    outcomes = DATA / "outcomes.csv"
    expected = audit(tiny, tariff, frame, outcomes)
    got = audit(tiny, tariff, lazy, outcomes)
    for name in ("stages", "services", "outcomes"):
        pd.testing.assert_frame_equal(
            getattr(got, name), getattr(expected, name), check_exact=False, rtol=1e-12
        )
    pops = DATA / "populations.csv"
    b_expected = benchmark_areas(tiny, tariff, frame, pops, outcomes)
    b_got = benchmark_areas(tiny, tariff, lazy, pops, outcomes)
    pd.testing.assert_frame_equal(b_got.areas, b_expected.areas, check_exact=False, rtol=1e-12)
    pd.testing.assert_frame_equal(
        b_got.outcomes, b_expected.outcomes, check_exact=False, rtol=1e-12
    )
    assert b_got.overall == pytest.approx(b_expected.overall)


def test_dask_reports_bad_rows(dask_client: Any, tiny: Pathway, tariff: Tariff) -> None:
    with pytest.raises(ActivityError) as pandas_error:
        audit(tiny, tariff, DATA / "bad-activity.csv")
    with pytest.raises(ActivityError) as dask_error:
        audit(tiny, tariff, read_activity(DATA / "bad-activity.csv", engine="dask"))
    assert str(dask_error.value) == str(pandas_error.value)


# ----------------------------------------------------------------- command line


def _args(*extra: str) -> list[str]:
    return [
        str(DATA / "pathway"),
        "--activity",
        str(DATA / "activity.csv"),
        "--tariff",
        str(DATA / "tariff.csv"),
        *extra,
    ]


def test_cli_audit_formats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", *_args("--outcomes", str(DATA / "outcomes.csv"))]) == 0
    table = capsys.readouterr().out
    assert "where delivery departs most from the profile" in table
    assert main(["audit", *_args("--format", "json")]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["pathway"] == "tiny"
    assert len(data["services"]) == 5
    assert main(["audit", *_args("--format", "csv")]) == 0
    assert capsys.readouterr().out.startswith("stage,service,name,setting,patients,")
    assert main(["audit", *_args("--format", "md")]) == 0
    assert "| stage | service |" in capsys.readouterr().out
    html = tmp_path / "a.html"
    assert main(["audit", *_args("-o", str(html))]) == 0
    text = html.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert "<table>" in text
    xlsx = tmp_path / "a.xlsx"
    pytest.importorskip("openpyxl")
    assert main(["audit", *_args("-o", str(xlsx))]) == 0
    sheets = pd.read_excel(xlsx, sheet_name=None).keys()
    assert sheets == {"stages", "services", "outcomes", "About"}  # About: the manifest


def test_cli_refuses_overwrite_before_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "a.json"
    out.write_text("keep", encoding="utf-8")
    bad = [
        str(DATA / "pathway"),
        "--activity",
        str(DATA / "bad-activity.csv"),
        "--tariff",
        str(DATA / "tariff.csv"),
        "-o",
        str(out),
    ]
    assert main(["audit", *bad]) == 1
    assert "exists already; use --force" in capsys.readouterr().err  # not the bad rows
    assert out.read_text(encoding="utf-8") == "keep"


def test_cli_bad_rows_exit_1_without_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(
        [
            "audit",
            str(DATA / "pathway"),
            "--activity",
            str(DATA / "bad-activity.csv"),
            "--tariff",
            str(DATA / "tariff.csv"),
        ]
    )
    err = capsys.readouterr().err
    assert status == 1
    assert "Traceback" not in err
    assert "bad-activity.csv:9: minutes: '4five' is not a number" in err


def test_cli_benchmark_with_plot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("matplotlib")
    plot = tmp_path / "funnel.png"
    args = [
        "benchmark",
        *_args(
            "--populations",
            str(DATA / "populations.csv"),
            "--outcomes",
            str(DATA / "outcomes.csv"),
            "--format",
            "json",
            "--plot",
            str(plot),
        ),
    ]
    assert main(args) == 0
    data = json.loads(capsys.readouterr().out)
    assert [a["area"] for a in data["areas"]] == ["north", "south", "east"]
    assert plot.read_bytes()[:4] == b"\x89PNG"
    assert main(args) == 1  # the plot exists now: refused before any work
    assert "funnel.png: the file exists already" in capsys.readouterr().err
    assert main([*args, "--force"]) == 0


def test_cli_engine_dask(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("distributed")
    assert main(["audit", *_args("--format", "json", "--engine", "dask", "--workers", "1")]) == 0
    dask_data = json.loads(capsys.readouterr().out)
    assert main(["audit", *_args("--format", "json")]) == 0
    pandas_data = json.loads(capsys.readouterr().out)
    for got, want in zip(dask_data["services"], pandas_data["services"], strict=True):
        assert got["service"] == want["service"]
        assert got["actual_cost_per_patient"] == pytest.approx(want["actual_cost_per_patient"])
    assert main(["audit", *_args("--scheduler", "tcp://127.0.0.1:1")]) == 1
    assert "--scheduler and --workers need --engine dask" in capsys.readouterr().err


# ----------------------------------------------------------------- the shipped example


EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "audit"


def test_example_files_are_what_the_script_makes(tmp_path: Path) -> None:
    """The shipped synthetic files are exactly what make_synthetic.py writes (seeded); if
    the bundled pathway or tariff changes, run ``python examples/audit/make_synthetic.py``."""
    import runpy

    module = runpy.run_path(str(EXAMPLE / "make_synthetic.py"))
    assert module["main"](["--out", str(tmp_path)]) == 0
    for name in ("activity.csv", "outcomes.csv", "populations.csv"):
        assert (tmp_path / name).read_bytes() == (EXAMPLE / name).read_bytes(), name
    shipped = sum(
        (EXAMPLE / n).stat().st_size for n in ("activity.csv", "outcomes.csv", "populations.csv")
    )
    assert shipped < 2 * 1024 * 1024


def test_the_generator_writes_what_benchmark_reads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 15: the generator's Parquet output broke benchmark when a patient had an outcome
    recorded and no activity (so no area). With seed 32 and 150 patients, P00137 is such a
    patient: the outcome records now carry the area, and benchmark reads its own files."""
    pytest.importorskip("pyarrow")
    import runpy

    module = runpy.run_path(str(EXAMPLE / "make_synthetic.py"))
    out = tmp_path / "big"
    argv = ["--patients", "150", "--seed", "32", "--parquet", "--out", str(out)]
    assert module["main"](argv) == 0
    capsys.readouterr()
    args = ["--activity", str(out / "activity"), "--outcomes", str(out / "outcomes.csv")]
    args += ["--populations", str(out / "populations.csv"), "--format", "json"]
    assert main(["benchmark", *args]) == 0, capsys.readouterr().err
    bench = json.loads(capsys.readouterr().out)
    activity = pd.read_parquet(out / "activity")
    outcomes = pd.read_csv(out / "outcomes.csv")
    assert sum(a["patients"] for a in bench["areas"]) == activity["patient_id"].nunique()
    assert "P00137" in set(outcomes["patient_id"]) - set(activity["patient_id"])
    areas = activity.groupby("patient_id")["area"].first()
    both = outcomes[outcomes["patient_id"].isin(areas.index)]
    assert (both["area"].to_numpy() == areas[both["patient_id"]].to_numpy()).all()


def test_example_commands_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    activity, outcomes = str(EXAMPLE / "activity.csv"), str(EXAMPLE / "outcomes.csv")
    assert main(["audit", "--activity", activity, "--outcomes", outcomes, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["pathway"] == "eol-adult"
    assert data["patients"] == 110
    # the departures written into the synthetic data show: the hospice is used more
    assert data["services"][0]["service"] == "hospice-inpatient"
    args = [
        "benchmark",
        "--activity",
        activity,
        "--outcomes",
        outcomes,
        "--populations",
        str(EXAMPLE / "populations.csv"),
        "--format",
        "json",
    ]
    if importlib.util.find_spec("matplotlib") is not None:
        args += ["--plot", str(tmp_path / "funnel.png")]
    assert main(args) == 0
    bench = json.loads(capsys.readouterr().out)
    assert [a["area"] for a in bench["areas"]] == ["north", "south", "east", "west", "central"]
    assert sum(a["patients"] for a in bench["areas"]) == 110


def test_cli_worker_memory(capsys: pytest.CaptureFixture[str]) -> None:
    """--worker-memory limits each local worker; a size that is not one is refused."""
    pytest.importorskip("distributed")
    args = _args("--format", "json", "--engine", "dask", "--workers", "1")
    assert main(["audit", *args, "--worker-memory", "1GiB"]) == 0
    assert json.loads(capsys.readouterr().out)["services"]
    assert main(["audit", *args, "--worker-memory", "lots"]) == 1
    assert "--worker-memory lots: not a memory size of 128 MiB or more" in capsys.readouterr().err
    assert main(["audit", *_args("--worker-memory", "1GiB")]) == 1
    assert "--worker-memory needs --engine dask" in capsys.readouterr().err
    assert main(["audit", *_args("--scheduler", "tcp://127.0.0.1:1", "--engine", "dask",
                                 "--worker-memory", "1GiB")]) == 1
    assert "give --scheduler, or --workers and --worker-memory" in capsys.readouterr().err
