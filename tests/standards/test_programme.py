"""Standards as a programme: groups, re-accreditation, the costed facilitation programme,
and accreditation joined to outcomes. Every figure is worked by hand from
``examples/standards/programme/`` (the working is in the comments)."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from standards_testing import EXAMPLES, MINI, ROOT, one_row

from careprofiles.errors import ActivityError, MissingCodeError, StandardsError
from careprofiles.outputs.standards_outcomes import standards_outcomes
from careprofiles.profiles.load import load_pathway
from careprofiles.standards import result as result_module
from careprofiles.standards.assessments import load_assessments
from careprofiles.standards.framework import load_framework
from careprofiles.standards.programme import cost_programme, load_programme
from careprofiles.standards.renewal import add_months
from careprofiles.standards.result import StandardsResult, assess_standards
from careprofiles.tariffs.tables import load_tariff

PROGRAMME = EXAMPLES / "programme"
AS_AT = date(2025, 6, 30)


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


@pytest.fixture(scope="module")
def result() -> StandardsResult:
    fw = load_framework(PROGRAMME / "framework.yaml")
    practices = load_assessments(PROGRAMME / "practices.csv", framework=fw)
    return assess_standards(practices, fw, as_at=AS_AT)


def _errors(exc: pytest.ExceptionInfo[Exception]) -> list[str]:
    return [str(p) for p in exc.value.problems]  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- renewal


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2023, 5, 31), 24, date(2025, 5, 31)),
        (date(2023, 8, 31), 6, date(2024, 2, 29)),  # a leap year's February
        (date(2023, 8, 31), 18, date(2025, 2, 28)),
        (date(2024, 11, 20), 2, date(2025, 1, 20)),  # across the year's end
        (date(2024, 1, 15), 12, date(2025, 1, 15)),
    ],
)
def test_add_months(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


def test_statuses_and_lapse_dates(result: StandardsResult) -> None:
    # 24 months: Abbey accredited 2024-03-05 -> until 2026-03-05; Beacon 2023-05-31 ->
    # 2025-05-31, on or before 2025-06-30: lapsed; Cedar not accredited (acp-offered
    # partly met); Dene 2024-11-20 -> 2026-11-20
    p = result.practices.set_index("practice")
    assert list(p["status"]) == [
        "accredited",
        "accreditation lapsed",
        "not accredited",
        "accredited",
    ]
    assert list(p["group"]) == ["North PCN", "North PCN", "South PCN", "South PCN"]
    assert p.loc["north-a", "accredited_until"] == pd.Timestamp("2026-03-05")
    assert p.loc["north-b", "lapsed_on"] == pd.Timestamp("2025-05-31")
    assert pd.isna(p.loc["north-a", "lapsed_on"])
    assert pd.isna(p.loc["south-c", "accredited_until"])
    assert p.loc["south-d", "accredited_until"] == pd.Timestamp("2026-11-20")
    # accredited at the latest assessment is unchanged: the lapsed practice was
    assert list(p["accredited"]) == [True, True, False, True]
    assert list(p["currently_accredited"]) == [True, False, False, True]


def test_lapse_on_the_day(result: StandardsResult) -> None:
    fw = result.framework
    practices = result.practice_assessments
    the_day_before = assess_standards(practices, fw, as_at=date(2025, 5, 30))
    on_the_day = assess_standards(practices, fw, as_at=date(2025, 5, 31))
    before = the_day_before.practices.set_index("practice")
    on = on_the_day.practices.set_index("practice")
    assert before.loc["north-b", "status"] == "accredited"
    assert on.loc["north-b", "status"] == "accreditation lapsed"


def test_groups_and_whole_area(result: StandardsResult) -> None:
    groups = result.groups()
    assert list(groups["group"]) == ["North PCN", "South PCN", "Whole area"]
    assert one_row(groups, group="North PCN") | {} == {
        "group": "North PCN",
        "practices": 2,
        "accredited": 1,
        "lapsed": 1,
        "not_accredited": 0,
        "assessments": 4,
        "share_accredited": 0.5,
    }
    south = one_row(groups, group="South PCN")
    assert (south["accredited"], south["lapsed"], south["not_accredited"]) == (1, 0, 1)
    whole = one_row(groups, group="Whole area")
    assert (whole["practices"], whole["accredited"], whole["lapsed"]) == (4, 2, 1)
    assert whole["not_accredited"] == 1
    assert whole["assessments"] == 6
    data = result.to_dict()
    assert data["summary"]["as_at"] == "2025-06-30"
    assert data["summary"]["currently_accredited"] == 2
    assert data["summary"]["lapsed"] == 1
    assert data["summary"]["accredited"] == 3  # at the latest assessment, as before
    assert data["framework"]["accreditation_valid_months"] == 24
    beacon = data["practices"][1]
    assert (beacon["group"], beacon["status"], beacon["lapsed_on"]) == (
        "North PCN",
        "accreditation lapsed",
        "2025-05-31",
    )


def test_without_the_programme_the_report_keys_are_unchanged() -> None:
    fw = load_framework()
    r = assess_standards(load_assessments(EXAMPLES, framework=fw), fw, as_at=AS_AT)
    data = r.to_dict()
    assert "groups" not in data["summary"]
    assert "as_at" not in data["summary"]
    assert "accreditation_valid_months" not in data["framework"]
    assert all("group" not in p and "status" not in p for p in data["practices"])


def test_default_assessment_date_is_today(
    monkeypatch: pytest.MonkeyPatch, result: StandardsResult
) -> None:
    monkeypatch.setattr(result_module, "today", lambda: date(2025, 5, 1))
    r = assess_standards(result.practice_assessments, result.framework)
    assert r.as_at == date(2025, 5, 1)
    assert list(r.practices["status"])[1] == "accredited"  # not yet lapsed on 2025-05-01


def test_assessment_date_before_an_assessment_is_refused(result: StandardsResult) -> None:
    with pytest.raises(StandardsError) as exc:
        assess_standards(result.practice_assessments, result.framework, as_at=date(2024, 1, 1))
    errors = _errors(exc)
    # Abbey's latest (2024-03-05) starts on line 4, Cedar's on 11, Dene's on 13
    assert [e.split(": ")[0] for e in errors] == [
        "examples/standards/programme/practices.csv:4",
        "examples/standards/programme/practices.csv:11",
        "examples/standards/programme/practices.csv:13",
    ]
    assert "after the assessment date 2024-01-01" in errors[0]


def test_without_validity_the_date_is_not_checked(result: StandardsResult) -> None:
    fw = load_framework(MINI)
    practices = load_assessments(ROOT / "tests/data/standards/good.csv", framework=fw)
    r = assess_standards(practices, fw, as_at=date(1990, 1, 1))
    assert set(r.practices["status"]) <= {"accredited", "not accredited"}
    assert not r.practices["lapsed"].any()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", "greater than or equal to 1"),
        ('"24"', "valid integer"),
        ("true", "valid integer"),
        ("1.5", "valid integer"),
    ],
)
def test_bad_validity_is_refused_at_its_line(tmp_path: Path, value: str, message: str) -> None:
    text = MINI.read_text(encoding="utf-8")
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("standards:"))
    lines.insert(at, f"accreditation_valid_months: {value}")
    bad = tmp_path / "framework.yaml"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(StandardsError) as exc:
        load_framework(bad)
    (error,) = _errors(exc)
    assert error.startswith(f"{bad}:{at + 1}: accreditation_valid_months: ")
    assert message in error


# --------------------------------------------------------------------------- groups input


def test_csv_practice_in_two_groups_is_refused(tmp_path: Path) -> None:
    csv = tmp_path / "two-groups.csv"
    csv.write_text(
        "practice,group,date,criterion,status,evidence\n"
        "p1,North,2024-01-10,a1,met,report\n"
        "p1,,2024-01-10,b1,met,report\n"
        "p1,South,2024-06-10,a1,met,report\n",
        encoding="utf-8",
    )
    with pytest.raises(StandardsError) as exc:
        load_assessments(csv, framework=load_framework(MINI))
    (error,) = _errors(exc)
    assert error == (
        f"{csv}:4: group: practice 'p1' is in group 'North' on an earlier row; give one "
        "group per practice (or leave the cell empty)"
    )


def test_csv_group_on_one_row_is_the_practices(tmp_path: Path) -> None:
    csv = tmp_path / "one-group.csv"
    csv.write_text(
        "practice,date,criterion,status,evidence,group\n"
        "p1,2024-01-10,a1,met,report,\n"
        "p1,2024-01-10,b1,met,report,West locality\n"
        "p2,2024-01-10,a1,met,report,\n",
        encoding="utf-8",
    )
    fw = load_framework(MINI)
    practices = load_assessments(csv, framework=fw)
    assert [p.group for p in practices] == ["West locality", None]
    r = assess_standards(practices, fw)
    assert list(r.groups()["group"]) == ["West locality", "(no group)", "Whole area"]


def test_yaml_group_key(tmp_path: Path) -> None:
    text = (ROOT / "tests/data/standards/good.yaml").read_text(encoding="utf-8")
    good = tmp_path / "grouped.yaml"
    good.write_text(text.replace("\nassessments:", "\ngroup: North PCN\nassessments:"), "utf-8")
    fw = load_framework(MINI)
    (practice,) = load_assessments(good, framework=fw)
    assert practice.group == "North PCN"
    bad = tmp_path / "bad-group.yaml"
    lines = text.replace("\nassessments:", "\ngroup: '   '\nassessments:").splitlines()
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(StandardsError) as exc:
        load_assessments(bad, framework=fw)
    line = next(i for i, s in enumerate(lines, 1) if s.startswith("group:"))
    (error,) = _errors(exc)
    assert error.startswith(f"{bad}:{line}: group: ")


# --------------------------------------------------------------------------- programme


def test_programme_costed_by_hand(result: StandardsResult) -> None:
    plan = load_programme(PROGRAMME / "programme.yaml")
    costed = cost_programme(plan, result, load_tariff("profiles/tariffs/national-2024-25.csv"))
    # groups 2; not accredited at 2025-06-30: Beacon (lapsed) and Cedar = 2
    assert costed.units == {"area": 1, "group": 2, "practice": 4, "not-accredited": 2}
    lines = costed.lines
    # workshops: 2 a group x 2 groups = 4 sessions of 3 h; CNS 4 x 3 x 2 = 24 h x £69 =
    # £1,656; GP 4 x 3 x 1 = 12 h x £118 = £1,416
    cns = one_row(lines, activity="locality-workshop", role="palliative-cns")
    assert (cns["sessions"], cns["staff_hours"], cns["unit_cost"]) == (4.0, 24.0, 69.0)
    assert cns["cost"] == pytest.approx(1656.0)
    assert cns["tariff"] == "national-2024-25.csv:7"
    gp = one_row(lines, activity="locality-workshop", role="gp")
    assert (gp["staff_hours"], gp["cost"]) == (12.0, pytest.approx(1416.0))
    # practice sessions: 3 x 2 = 6 of 1.5 h; CNS 9 h x £69 = £621
    one = one_row(lines, activity="practice-sessions")
    assert (one["sessions"], one["staff_hours"]) == (6.0, 9.0)
    assert one["cost"] == pytest.approx(621.0)
    assert costed.total == pytest.approx(3693.0)
    assert costed.staff_hours == pytest.approx(45.0)
    data = costed.to_dict()
    assert [a["cost"] for a in data["activities"]] == [
        pytest.approx(3072.0),
        pytest.approx(621.0),
    ]
    assert data["activities"][0]["sessions_each"] == 2.0


def test_programme_with_market_forces_and_contact_unit(
    result: StandardsResult, tmp_path: Path
) -> None:
    tariff = tmp_path / "local.csv"
    tariff.write_text(
        "code,unit,cost,price_year\nfacilitator,contact,200,2024/25\n", encoding="utf-8"
    )
    plan_file = tmp_path / "plan.yaml"
    plan_file.write_text(
        "format: careprofiles-standards/1\nprogramme: p\nname: P\nprice_year: '2024/25'\n"
        "activities:\n  - id: visit\n    name: Practice visit\n    per: practice\n"
        "    sessions: 1\n    hours: 2\n    staff:\n      - role: facilitator\n",
        encoding="utf-8",
    )
    costed = cost_programme(
        load_programme(plan_file), result, load_tariff(tariff).with_market_forces(1.1)
    )
    # per contact: 4 practices x 1 session x £200 x 1.1 = £880; 8 staff hours
    assert costed.total == pytest.approx(880.0)
    assert costed.staff_hours == pytest.approx(8.0)


def _plan(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "plan.yaml"
    path.write_text(
        "format: careprofiles-standards/1\nprogramme: p\nname: P\nprice_year: '2024/25'\n"
        "activities:\n" + body,
        encoding="utf-8",
    )
    return path


def test_programme_errors_have_lines(tmp_path: Path) -> None:
    path = _plan(
        tmp_path,
        "  - id: w\n"  # 6
        "    name: W\n"
        "    per: grop\n"  # 8
        "    sessions: 0\n"  # 9
        "    hours: 2\n"
        "    staff:\n"
        "      - role: gp\n"
        "        cost: 3\n"  # 13
        "  - id: w\n"  # 14
        "    name: Again\n"
        "    per: area\n"
        "    sessions: 1\n"
        "    hours: 1\n"
        "    staff: [{role: gp}]\n",
    )
    with pytest.raises(StandardsError) as exc:
        load_programme(path)
    errors = _errors(exc)
    where = [e.split(": ")[0] + ": " + e.split(": ")[1] for e in errors]
    assert f"{path}:8: activities[0].per" in where
    assert f"{path}:9: activities[0].sessions" in where
    assert f"{path}:13: activities[0].staff[0].cost" in where
    assert f"{path}:14: activities[1].id" in where
    assert any("duplicate activity id 'w'" in e for e in errors)


def test_programme_unknown_tariff_code_is_refused_at_its_line(
    tmp_path: Path, result: StandardsResult
) -> None:
    path = _plan(
        tmp_path,
        "  - id: w\n    name: W\n    per: area\n    sessions: 1\n    hours: 2\n"
        "    staff:\n      - role: gpp\n",  # line 12
    )
    with pytest.raises(MissingCodeError) as exc:
        cost_programme(load_programme(path), result, load_tariff("bundled"))
    (error,) = _errors(exc)
    assert error.startswith(f"{path}:12: activities[0].staff[0].role: no tariff row for 'gpp'")
    assert "did you mean 'gp'" in error


def test_programme_file_of_another_kind(tmp_path: Path) -> None:
    with pytest.raises(StandardsError, match="this is a standards framework, not a facilitation"):
        load_programme(MINI)


# --------------------------------------------------------------------------- outcomes


@pytest.fixture(scope="module")
def joined(result: StandardsResult) -> object:
    return standards_outcomes(result, PROGRAMME / "outcomes.csv", load_pathway())


def test_outcomes_compared_by_hand(joined: object) -> None:
    comparison = joined.comparison  # type: ignore[attr-defined]
    # on the register: Abbey 5/5, Beacon 2/4, Cedar 0/5, Dene 5/6; all 12/20 = 0.6
    acc = one_row(comparison, outcome="on-palliative-care-register", side="accredited")
    assert (acc["practices"], acc["records"]) == (2, 11)
    assert acc["achievement"] == pytest.approx(10 / 11)
    assert acc["rate"] == pytest.approx(0.6)
    # 0.6 +/- 1.96 sqrt(0.24 / 11) = 0.6 +/- 0.289512
    half = 1.96 * math.sqrt(0.24 / 11)
    assert acc["lower_95"] == pytest.approx(0.6 - half)
    assert acc["upper_95"] == pytest.approx(0.6 + half)
    assert acc["upper_95"] == pytest.approx(0.889512, abs=1e-6)
    assert acc["position"] == "above"
    # 99.8%: 0.6 + 3.09 x 0.147710 = 1.056, clipped to 1
    assert acc["upper_998"] == 1.0
    assert acc["lower_998"] == pytest.approx(0.6 - 3.09 * math.sqrt(0.24 / 11))
    not_acc = one_row(comparison, outcome="on-palliative-care-register", side="not accredited")
    assert (not_acc["practices"], not_acc["records"]) == (2, 9)
    assert not_acc["achievement"] == pytest.approx(2 / 9)
    assert not_acc["lower_95"] == pytest.approx(0.6 - 1.96 * math.sqrt(0.24 / 9))
    assert not_acc["lower_95"] == pytest.approx(0.279934, abs=1e-6)
    assert not_acc["position"] == "below"
    diffs = joined.differences()  # type: ignore[attr-defined]
    assert diffs["on-palliative-care-register"] == pytest.approx(10 / 11 - 2 / 9)
    # advance care plans: Abbey 2/2, Cedar 0/1; all 2/3
    assert diffs["acp-recorded"] == pytest.approx(1.0)


def test_outcomes_each_practice(joined: object) -> None:
    practices = joined.practices  # type: ignore[attr-defined]
    cedar = one_row(practices, outcome="on-palliative-care-register", practice="south-c")
    # 0.6 - 1.96 sqrt(0.24 / 5) = 0.170585; Cedar's 0 is below
    assert cedar["lower_95"] == pytest.approx(0.6 - 1.96 * math.sqrt(0.048))
    assert (cedar["records"], cedar["achievement"], cedar["position"]) == (5, 0.0, "below")
    assert cedar["lower_998"] == 0.0  # 0.6 - 0.677 clipped
    beacon = one_row(practices, outcome="acp-recorded", practice="north-b")
    assert beacon["records"] == 0
    assert math.isnan(beacon["achievement"])
    assert beacon["status"] == "accreditation lapsed"
    assert beacon["side"] == "not accredited"
    data = joined.to_dict()  # type: ignore[attr-defined]
    assert data["unlinked"] == [{"outcome": "died-in-preferred-place", "records": 2}]
    acp = data["outcomes"][1]
    assert acp["criteria"] == ["acp-offered"]
    assert acp["practices"][1]["position"] is None
    assert acp["practices"][1]["achievement"] is None


def _records(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "outcomes.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_outcomes_without_a_practice_column(tmp_path: Path, result: StandardsResult) -> None:
    path = _records(tmp_path, "patient_id,outcome,value\nP1,acp-recorded,1\n")
    with pytest.raises(ActivityError) as exc:
        standards_outcomes(result, path, load_pathway())
    (error,) = _errors(exc)
    assert error.startswith(f"{path.name}:1: header: no practice column") or error.startswith(
        f"{path}:1: header: no practice column"
    )


def test_outcome_practice_errors_have_lines(tmp_path: Path, result: StandardsResult) -> None:
    path = _records(
        tmp_path,
        "patient_id,outcome,value,practice\n"
        "P1,acp-recorded,1,north-a\n"  # 2
        "P2,acp-recorded,1,\n"  # 3: empty
        "P3,acp-recorded,0,north-x\n"  # 4: not assessed
        "P1,on-palliative-care-register,1,south-d\n"  # 5: P1 was north-a
        "P4,acp-recordd,1,north-a\n",  # 6: the audit's own check
    )
    with pytest.raises(ActivityError) as exc:
        standards_outcomes(result, path, load_pathway())
    errors = _errors(exc)
    assert len(errors) == 1
    assert ":6: " in errors[0]
    assert "acp-recordd" in errors[0]
    path = _records(tmp_path, path.read_text().replace("acp-recordd", "acp-recorded"))
    with pytest.raises(ActivityError) as exc:
        standards_outcomes(result, path, load_pathway())
    errors = _errors(exc)
    assert [e.split(": ", 1)[0].rsplit(":", 1)[1] for e in errors] == ["3", "4", "5"]
    assert "is empty; give the patient's practice code" in errors[0]
    assert "practice 'north-x' is not assessed; did you mean 'north-" in errors[1]
    assert "patient 'P1' is in practice 'north-a' on line 2 and 'south-d' here" in errors[2]


def test_outcomes_need_linked_criteria(tmp_path: Path) -> None:
    unlinked = tmp_path / "framework.yaml"
    text = MINI.read_text(encoding="utf-8")
    unlinked.write_text(
        "\n".join(line for line in text.splitlines() if "outcomes:" not in line) + "\n",
        encoding="utf-8",
    )
    fw = load_framework(unlinked)
    assert not fw.outcomes()
    practices = load_assessments(ROOT / "tests/data/standards/good.csv", framework=fw)
    r = assess_standards(practices, fw)
    path = _records(tmp_path, "patient_id,outcome,value,practice\nP1,acp-recorded,1,p2\n")
    with pytest.raises(StandardsError, match="no criterion of the framework 'mini' links"):
        standards_outcomes(r, path, load_pathway())


def test_csv_group_name_too_long(tmp_path: Path) -> None:
    csv = tmp_path / "long.csv"
    csv.write_text(
        f"practice,date,criterion,status,evidence,group\np1,2024-01-10,a1,met,report,{'x' * 101}\n",
        encoding="utf-8",
    )
    with pytest.raises(StandardsError) as exc:
        load_assessments(csv, framework=load_framework(MINI))
    (error,) = _errors(exc)
    assert error == f"{csv}:2: group: the group name is over 100 characters; shorten it"


def test_outcome_records_with_a_practice_column_still_audit() -> None:
    """The new optional column is read, and left alone, by the audit's checks."""
    from careprofiles.activity.checks import check_outcomes
    from careprofiles.activity.records import read_outcomes

    frame = read_outcomes(PROGRAMME / "outcomes.csv")
    assert "practice" in frame.columns
    checked = check_outcomes(frame, load_pathway())
    assert len(checked.table) == 25


def test_a_programme_file_given_as_framework_or_assessment() -> None:
    plan = PROGRAMME / "programme.yaml"
    with pytest.raises(StandardsError, match="facilitation programme, not a standards framework"):
        load_framework(plan)
    with pytest.raises(StandardsError, match="facilitation programme, not a practice's"):
        load_assessments(plan, framework=load_framework(MINI))
