"""Practice standards: framework and assessment loading, status rules, reports, command line."""

from __future__ import annotations

import json
import re
import shlex
import sys
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from careprofiles.cli import main
from careprofiles.errors import MissingDependencyError, OutputExistsError, StandardsError
from careprofiles.outputs.standards import (
    progression_chart,
    render_standards,
    write_progression_chart,
    write_standards_docx,
)
from careprofiles.standards.framework import (
    STANDARD_STATUSES,
    Assessment,
    CriterionAssessment,
    Framework,
    PracticeAssessments,
    assess_standards,
    bundled_framework,
    load_assessments,
    load_framework,
)

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parents[1] / "data" / "standards"
EXAMPLES = ROOT / "examples" / "standards"
MINI = DATA / "framework.yaml"


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run from the repository so that file names print relative to it."""
    monkeypatch.chdir(ROOT)


@pytest.fixture(scope="module")
def mini() -> Framework:
    return load_framework(MINI)


@pytest.fixture(scope="module")
def bundled() -> Framework:
    return load_framework()


def _rel(name: str) -> str:
    return f"tests/data/standards/{name}"


def _result(mini: Framework, *names: str) -> Any:
    return assess_standards(load_assessments(*(DATA / n for n in names), framework=mini), mini)


def _row(frame: pd.DataFrame, **where: Any) -> dict[str, Any]:
    mask = pd.Series(True, index=frame.index)
    for key, value in where.items():
        mask &= frame[key] == value
    rows = frame[mask]
    assert len(rows) == 1, f"{len(rows)} rows match {where}"
    return {str(k): v for k, v in rows.iloc[0].items()}


# --------------------------------------------------------------------------- framework


def test_bundled_framework_has_the_eight_standards() -> None:
    fw = load_framework()
    names = [s.name for s in fw.standards]
    assert len(names) == 8
    for words in (
        "last 6-12 months of life",
        "palliative care register",
        "Multidisciplinary team meetings",
        "Proactive care planning",
        "Communication and co-ordination",
        "Carer and bereavement support",
        "Care in the dying phase",
        "Education and audit",
    ):
        assert any(words in n for n in names), words
    for s in fw.standards:
        assert 3 <= len(s.criteria) <= 5, s.id
        assert any(c.required for c in s.criteria), s.id
        assert all(c.evidence for c in s.criteria)
        assert s.basis
    assert len(fw.criterion_ids()) == len(set(fw.criterion_ids()))
    assert {"on-palliative-care-register", "mdt-review-3-monthly", "acp-recorded"} <= set(
        fw.outcomes()
    )


def test_bundled_framework_says_which_names_are_derived() -> None:
    text = bundled_framework().read_text(encoding="utf-8")
    assert "DERIVED" in text
    assert "not the published wording" in text
    for source in (
        "Watson & Richardson",
        "2012;2(Suppl 1):A53",
        "Gold Standards Framework",
        "PC001",
    ):
        assert source in text


def test_bundled_outcomes_are_care_profile_outcomes() -> None:
    """Criteria name outcome ids that the bundled pathway's stages define."""
    defined: set[str] = set()
    for stage in (ROOT / "profiles" / "eol").glob("*.yaml"):
        data = yaml.safe_load(stage.read_text(encoding="utf-8")) or {}
        defined |= {o["id"] for o in data.get("outcomes", []) if isinstance(o, dict)}
    missing = [o for o in load_framework().outcomes() if o not in defined]
    assert not missing, f"outcomes not defined in profiles/eol: {missing}"


def test_framework_problems_all_at_once_with_lines() -> None:
    with pytest.raises(StandardsError) as info:
        load_framework(DATA / "bad-framework.yaml")
    text = str(info.value)
    name = _rel("bad-framework.yaml")
    for expected in (
        f"{name}:1: format: format 'careprofiles-standards/2' is not",
        f"{name}:2: id: 'Bad Id' is not a valid id",
        f"{name}:4: colour: unknown key 'colour'",
        f"{name}:13: standards[0].criteria[1].id: duplicate criterion id 'a1'",
        f"{name}:17: standards[1].id: duplicate standard id 'alpha'",
        f"{name}:20: standards[1].criteria[0].required: required key 'required' is missing",
        f"{name}:21: standards[1].criteria[0].text: is empty",
        f"{name}:25: standards[2].criteria: is empty",
    ):
        assert expected in text
    assert len(info.value.problems) == 8
    assert isinstance(info.value, ValueError)


def test_framework_needs_a_required_criterion(tmp_path: Path) -> None:
    text = MINI.read_text(encoding="utf-8").replace("required: true", "required: false")
    path = tmp_path / "none-required.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(StandardsError, match="no criterion is required"):
        load_framework(path)


def test_framework_and_assessment_files_swapped(mini: Framework) -> None:
    with pytest.raises(
        StandardsError, match="not a practice's assessments; give it with --framework"
    ):
        load_assessments(MINI, framework=mini)
    with pytest.raises(StandardsError, match="not a standards framework"):
        load_framework(DATA / "good.yaml")


def test_criteria_for_an_outcome() -> None:
    fw = load_framework()
    ids = [c.id for c in fw.criteria_for("mdt-review-3-monthly")]
    assert ids == ["mdt-regular", "mdt-coded"]
    assert fw.criteria_for("no-such-outcome") == []


def test_framework_missing_file() -> None:
    with pytest.raises(StandardsError, match="no such file"):
        load_framework(DATA / "nope.yaml")


# --------------------------------------------------------------------------- status, by hand


def test_hand_worked_yaml_practice(mini: Framework) -> None:
    """good.yaml, worked by hand.

    2024-01-10: a1 met with evidence; a2 met WITHOUT evidence (counts as partly met);
      b1 not met. alpha: 1 met + 1 partly of 2 -> partly met; beta: none -> not started.
      1 of 3 met; required (a1, b1) 1 of 2 -> not accredited.
    2024-06-10: a1 met (2 references); a2 "Partly met"; b1 met with evidence.
      alpha partly met (1 of 2); beta met (1 of 1); 2 of 3 met; required 2 of 2 ->
      accredited; gained +1 since baseline; one gap (a2, optional, partly met).
    """
    r = _result(mini, "good.yaml")
    s = r.standards
    assert _row(s, assessment=1, standard="alpha")["status"] == "partly met"
    assert _row(s, assessment=1, standard="alpha")["met"] == 1
    assert _row(s, assessment=1, standard="alpha")["partly_met"] == 1
    assert _row(s, assessment=1, standard="beta")["status"] == "not started"
    assert _row(s, assessment=2, standard="alpha")["status"] == "partly met"
    assert _row(s, assessment=2, standard="beta")["status"] == "met"

    p = r.progression
    first, second = _row(p, assessment=1), _row(p, assessment=2)
    assert (first["met"], first["of"], first["required_met"], first["required_of"]) == (1, 3, 1, 2)
    assert not first["accredited"]
    assert first["baseline"]
    assert first["unevidenced"] == 1
    assert (second["met"], second["required_met"], second["standards_met"]) == (2, 2, 1)
    assert second["accredited"]
    assert second["latest"]
    assert second["gained"] == 1

    c = r.criteria
    a2 = _row(c, assessment=1, criterion="a2")
    assert (a2["claimed"], a2["status"], a2["met"], a2["unevidenced"]) == (
        "met",
        "partly-met",
        False,
        True,
    )
    assert a2["location"] == f"{_rel('good.yaml')}:9"
    assert _row(c, assessment=2, criterion="a1")["evidence_count"] == 2

    summary = _row(r.practices, practice="p1")
    assert summary["accredited"]
    assert summary["assessments"] == 2
    assert (summary["baseline_met"], summary["latest_met"], summary["gained"]) == (1, 2, 1)
    assert summary["latest_date"] == pd.Timestamp("2024-06-10")
    assert r.gaps["criterion"].tolist() == ["a2"]
    assert _row(r.gaps, criterion="a2")["reason"] == "partly met"
    assert r.accredited == ["p1"]

    assert [str(w) for w in r.warnings] == [
        f"{_rel('good.yaml')}:9: p1 2024-01-10 a2: marked met without evidence, so it counts "
        "as partly met; give the evidence (Proof of alpha two)"
    ]


def test_hand_worked_csv_progression_over_three_assessments(mini: Framework) -> None:
    """good.csv, worked by hand.

    p2 2024-02-01: a1 partly, b1 not met, a2 not assessed -> 0 of 3; alpha partly met,
       beta not started.
    p2 2024-09-01: a1 met, b1 partly -> 1 of 3, required 1 of 2; alpha and beta partly met.
    p2 2025-03-01: all three met with evidence -> 3 of 3, accredited, gained +3, no gaps.
    p3 2024-05-01 (baseline only): a1 not met; a2 and b1 not assessed -> 0 of 3; both
       standards not started; gaps a1, b1 (required first), then a2.
    """
    r = _result(mini, "good.csv")
    p = r.progression
    p2 = p[p["practice"] == "p2"]
    assert p2["met"].tolist() == [0, 1, 3]
    assert p2["required_met"].tolist() == [0, 1, 2]
    assert p2["gained"].tolist() == [0, 1, 3]
    assert p2["standards_met"].tolist() == [0, 0, 2]
    assert p2["accredited"].tolist() == [False, False, True]
    assert p2["date"].dt.date.tolist() == [date(2024, 2, 1), date(2024, 9, 1), date(2025, 3, 1)]
    s = r.standards
    assert s[s["practice"] == "p2"]["status"].tolist() == [
        "partly met",
        "not started",
        "partly met",
        "partly met",
        "met",
        "met",
    ]
    assert _row(r.criteria, practice="p2", assessment=3, criterion="a1")["evidence"] == (
        "register report; minutes"
    )

    p3 = _row(r.practices, practice="p3")
    assert p3["name"] == "p3"
    assert p3["assessments"] == 1
    assert (p3["baseline_met"], p3["latest_met"], p3["gained"], p3["accredited"]) == (
        0,
        0,
        0,
        False,
    )
    gaps = r.gaps[r.gaps["practice"] == "p3"]
    assert gaps["criterion"].tolist() == ["a1", "b1", "a2"]
    assert gaps["reason"].tolist() == ["not met", "not assessed", "not assessed"]
    assert r.gaps[r.gaps["practice"] == "p2"].empty
    assert _row(r.practices, practice="p2")["accredited"]
    assert not r.warnings


def test_claim_without_evidence_blocks_accreditation(mini: Framework) -> None:
    r = _result(mini, "unevidenced.yaml")
    summary = _row(r.practices, practice="p5")
    assert not summary["accredited"]
    assert summary["latest_met"] == 0
    assert summary["unevidenced"] == 2
    assert set(r.gaps["reason"]) == {"met without evidence", "not assessed"}
    assert [w.line for w in r.warnings] == [6, 7]
    assert all(w.file == _rel("unevidenced.yaml") for w in r.warnings)


def test_in_memory_practices(mini: Framework) -> None:
    def claim(cid: str, status: str, *evidence: str) -> CriterionAssessment:
        return CriterionAssessment(criterion=cid, status=status, evidence=evidence)  # type: ignore[arg-type]

    pa = PracticeAssessments(
        practice="A81001",
        assessments=(
            Assessment(date=date(2024, 1, 1), criteria=(claim("a1", "met", "x"),)),
            Assessment(
                date="2024-04-01",  # type: ignore[arg-type]
                criteria=(claim("a1", "met", "x"), claim("b1", "met", "y")),
            ),
        ),
    )
    assert pa.baseline.date == date(2024, 1, 1)
    assert pa.latest.claim("b1") is not None
    r = assess_standards([pa], mini)
    assert r.accredited == ["A81001"]
    bad = PracticeAssessments(
        practice="B1",
        assessments=(Assessment(date=date(2024, 1, 1), criteria=(claim("zz", "met", "x"),)),),
    )
    with pytest.raises(StandardsError, match="unknown criterion 'zz'"):
        assess_standards([bad], mini)
    with pytest.raises(StandardsError, match="given twice"):
        assess_standards([pa, pa], mini)
    with pytest.raises(ValueError, match="dates must increase"):
        PracticeAssessments(
            practice="C1",
            assessments=(Assessment(date=date(2024, 2, 1)), Assessment(date=date(2024, 1, 1))),
        )


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            ["bad-unknown-criterion.yaml"],
            ["bad-unknown-criterion.yaml:7: assessments[0].criteria.b2: unknown criterion 'b2'"],
        ),
        (
            ["bad-dates.yaml"],
            [
                "bad-dates.yaml:7: assessments[1].date: 2024-01-10 is before the assessment "
                "above it (2024-06-10)",
                "bad-dates.yaml:10: assessments[2].date: 2024-01-10 is the date of the "
                "assessment before too",
            ],
        ),
        (
            ["bad-impossible-date.yaml"],
            ["bad-impossible-date.yaml:5: a date is not a real date (month must be in 1..12)"],
        ),
        (
            ["good.csv", "dup-practice.yaml"],
            [
                "dup-practice.yaml:2: practice: practice 'p2' is assessed in "
                "tests/data/standards/good.csv:2 already"
            ],
        ),
        (
            ["good.yaml", "good.yaml"],
            ["good.yaml: the file is given twice"],
        ),
        (
            ["bad-assessment.yaml"],
            [
                "bad-assessment.yaml:2: practice: 'p 9' is not a practice code",
                "bad-assessment.yaml:3: framework: the file is for framework 'other'",
                "bad-assessment.yaml:4: colour: unknown key 'colour'",
                "bad-assessment.yaml:6: assessments[0].date: '12/01/2024' is not a date",
                "bad-assessment.yaml:8: assessments[0].criteria.a1.status: 'done' is not allowed",
                "bad-assessment.yaml:9: assessments[0].criteria.a2.evidnce: unknown key "
                "'evidnce'; did you mean 'evidence'?",
                "bad-assessment.yaml:10: assessments[1].date: '2024-02-30' is not a real date",
                "bad-assessment.yaml:11: assessments[2].date: required key 'date' is missing",
                "bad-assessment.yaml:11: assessments[2].when: unknown key 'when'",
            ],
        ),
        (
            ["bad-values.yaml"],
            [
                "bad-values.yaml:4: assessments[0].date: 2024-01-10 10:00:00 has a time of day",
                "bad-values.yaml:6: assessments[0].criteria.a1.evidence: 2023 is not an "
                "evidence reference",
                "bad-values.yaml:7: assessments[0].criteria.a2.evidence[1]: 5 is not text",
                "bad-values.yaml:9: assessments[1].criteria: should be a mapping",
                "bad-values.yaml:12: assessments[2].criteria.b1: no status given",
            ],
        ),
        (
            ["bad.csv"],
            [
                "bad.csv:3: criterion: criterion 'a1' is given twice for practice 'p4' on "
                "2024-01-10 (also line 2)",
                "bad.csv:4: status: 'done' is not a status",
                "bad.csv:4: name: practice 'p4' is called 'Practice Four' on an earlier row",
                "bad.csv:5: practice: the practice is empty",
                "bad.csv:5: date: '10/01/2024' is not a date",
                "bad.csv:5: criterion: unknown criterion 'a9'",
                "bad.csv:6: date: '2024-02-30' is not a date",
                "bad.csv:7: the row has 4 cells but the header has 6",
            ],
        ),
        (
            ["bad-header.csv"],
            [
                "bad-header.csv:1: unknown column 'when'",
                "bad-header.csv:1: unknown column 'evidnce'; did you mean 'evidence'?",
                "bad-header.csv:1: missing columns date, evidence",
            ],
        ),
    ],
)
def test_bad_assessments_refused_with_lines(
    mini: Framework, files: list[str], expected: list[str]
) -> None:
    with pytest.raises(StandardsError) as info:
        load_assessments(*(DATA / f for f in files), framework=mini)
    text = str(info.value)
    for e in expected:
        assert f"tests/data/standards/{e}" in text
    assert len(info.value.problems) == len(expected)


def test_problems_in_several_files_reported_together(mini: Framework) -> None:
    with pytest.raises(StandardsError) as info:
        load_assessments(DATA / "bad-dates.yaml", DATA / "bad.csv", framework=mini)
    files = {p.file for p in info.value.problems}
    assert files == {_rel("bad-dates.yaml"), _rel("bad.csv")}


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "the file is empty"),
        (b"practice,date,criterion,status,evidence\n", "header but no rows"),
        (b'practice,date,criterion,status,evidence\np1,2024-01-01,a1,met,"x\n', "not valid CSV"),
        (
            b"practice,date,criterion,status,evidence\np1,2024-01-01,a1,met,caf\xe9\n",
            ":2: the file is not UTF-8",
        ),
        (b"practice,date,criterion,status,evidence,evidence\n", "column 'evidence' appears twice"),
    ],
)
def test_bad_csv_files(mini: Framework, tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(content)
    with pytest.raises(StandardsError, match=re.escape(expected)):
        load_assessments(path, framework=mini)


def test_csv_quoted_multiline_cell_keeps_row_lines(mini: Framework, tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text(
        "practice,date,criterion,status,evidence,note\n"
        'p1,2024-01-01,a1,met,x,"a note\nover two lines"\n'
        "p1,2024-01-01,zz,met,x,\n",
        encoding="utf-8",
    )
    with pytest.raises(StandardsError, match=r"a\.csv:4: criterion: unknown criterion 'zz'"):
        load_assessments(path, framework=mini)


def test_unknown_file_kind_and_empty_folder(mini: Framework, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    with pytest.raises(StandardsError) as info:
        load_assessments(tmp_path / "notes.txt", tmp_path, framework=mini)
    text = str(info.value)
    assert "cannot tell the kind of file from '.txt'" in text
    assert "holds no .yaml or .csv assessment files" in text
    with pytest.raises(StandardsError, match="no assessment files given"):
        load_assessments(framework=mini)


def test_folder_of_assessments() -> None:
    practices = load_assessments(EXAMPLES)
    assert sorted(p.practice for p in practices) == [
        "castle-view-practice",
        "millbrook-health-centre",
        "riverside-surgery",
    ]


# --------------------------------------------------------------------------- properties

STATUS = st.sampled_from(["met", "partly-met", "not-met", None])


@st.composite
def practices(draw: st.DrawFn, fw: Framework) -> list[PracticeAssessments]:
    """A few practices with a few assessments each, random claims and evidence."""
    out = []
    for i in range(draw(st.integers(1, 3))):
        day = date(2023, 1, 1)
        assessments = []
        for _ in range(draw(st.integers(1, 4))):
            day += timedelta(days=draw(st.integers(1, 400)))
            claims = []
            for cid in fw.criterion_ids():
                status = draw(STATUS)
                if status is not None:
                    evidence = ("ref",) * draw(st.integers(0, 2))
                    claims.append(
                        CriterionAssessment(criterion=cid, status=status, evidence=evidence)
                    )
            assessments.append(Assessment(date=day, criteria=tuple(claims)))
        out.append(PracticeAssessments(practice=f"p{i}", assessments=tuple(assessments)))
    return out


def _oracle(fw: Framework, pa: PracticeAssessments, a: Assessment) -> dict[str, str]:
    """The status rules, written out plainly one criterion at a time."""
    out = {}
    for s in fw.standards:
        met = partly = 0
        for c in s.criteria:
            claim = a.claim(c.id)
            if claim is not None and claim.status == "met" and claim.evidence:
                met += 1
            elif claim is not None and claim.status in ("met", "partly-met"):
                partly += 1
        out[s.id] = (
            "met" if met == len(s.criteria) else "partly met" if met + partly else "not started"
        )
    return out


PROPERTY = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@PROPERTY
@given(data=st.data())
def test_vectorised_status_matches_the_rules_written_plainly(
    mini: Framework, data: st.DataObject
) -> None:
    ps = data.draw(practices(mini))
    r = assess_standards(ps, mini)
    for pa in ps:
        for k, a in enumerate(pa.assessments, start=1):
            rows = r.standards[
                (r.standards["practice"] == pa.practice) & (r.standards["assessment"] == k)
            ]
            assert dict(zip(rows["standard"], rows["status"], strict=True)) == _oracle(mini, pa, a)
            required = [c.id for _, c in mini.criteria() if c.required]
            accredited = all(
                (cl := a.claim(cid)) is not None and cl.counts_as_met for cid in required
            )
            assert (
                _row(r.progression, practice=pa.practice, assessment=k)["accredited"] == accredited
            )


@PROPERTY
@given(data=st.data())
def test_adding_evidence_never_lowers_status(mini: Framework, data: st.DataObject) -> None:
    ps = data.draw(practices(mini))
    evidenced = [
        pa.model_copy(
            update={
                "assessments": tuple(
                    a.model_copy(
                        update={
                            "criteria": tuple(
                                c.model_copy(update={"evidence": (*c.evidence, "more")})
                                for c in a.criteria
                            )
                        }
                    )
                    for a in pa.assessments
                )
            }
        )
        for pa in ps
    ]
    before, after = assess_standards(ps, mini), assess_standards(evidenced, mini)
    rank = {s: i for i, s in enumerate(STANDARD_STATUSES)}
    assert (after.standards["status"].map(rank) >= before.standards["status"].map(rank)).all()
    assert (after.progression["met"] >= before.progression["met"]).all()
    assert (after.practices["accredited"] >= before.practices["accredited"]).all()
    assert not after.warnings


@PROPERTY
@given(data=st.data())
def test_accredited_means_every_required_criterion_met_at_latest(
    bundled: Framework, data: st.DataObject
) -> None:
    fw = bundled
    ps = data.draw(practices(fw))
    r = assess_standards(ps, fw)
    latest = r.criteria[r.criteria["latest"] & r.criteria["required"]]
    for row in r.practices.to_dict("records"):
        mine = latest[latest["practice"] == row["practice"]]
        assert row["accredited"] == bool(mine["met"].all())
        if row["accredited"]:
            assert (mine["evidence_count"] > 0).all()
            assert row["required_gaps"] == 0
    assert (r.progression["met"] <= r.progression["of"]).all()
    assert (r.standards["met"] + r.standards["partly_met"] <= r.standards["of"]).all()


# --------------------------------------------------------------------------- reports


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in ("meta", "img", "br", "link"):
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack[-1:] == [tag], f"</{tag}> closes <{self.stack[-1:]}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


@pytest.fixture(scope="module")
def examples_result() -> Any:
    return assess_standards(load_assessments(EXAMPLES))


def test_examples_are_at_three_stages(examples_result: Any) -> None:
    p = examples_result.practices.set_index("practice")
    assert bool(p.loc["riverside-surgery", "accredited"])
    assert not p.loc["millbrook-health-centre", "accredited"]
    assert p.loc["millbrook-health-centre", "assessments"] == 3
    assert p.loc["millbrook-health-centre", "gained"] > 0
    assert p.loc["castle-view-practice", "assessments"] == 1
    assert len(examples_result.warnings) == 1


def test_json_report(examples_result: Any) -> None:
    data = json.loads(render_standards(examples_result, "json"))
    assert {"framework", "practices", "summary", "warnings"} <= set(data)
    assert data["framework"]["id"] == "supportive-palliative-care-primary"
    for p in data["practices"]:
        assert {
            "practice",
            "accredited",
            "latest_date",
            "baseline",
            "latest",
            "standards",
            "gaps",
        } <= set(p)
        assert set(p["baseline"]) >= {"met", "of"}
        assert set(p["latest"]) >= {"met", "of"}
        for s in p["standards"]:
            assert {"id", "name", "status", "met", "of"} <= set(s)
            assert s["status"] in STANDARD_STATUSES
    standards = data["summary"].pop("standards")
    assert data["summary"] == {
        "practices": 3,
        "accredited": 1,
        "assessments": 6,
        "unevidenced_claims": 1,
    }
    assert len(standards) == 8
    for s in standards:
        assert s["met"] + s["partly_met"] + s["not_started"] == 3
    register = next(s for s in standards if s["id"] == "register")
    assert (register["met"], register["partly_met"], register["not_started"]) == (2, 1, 0)


def test_table_and_markdown_reports(examples_result: Any) -> None:
    table = render_standards(examples_result, "table")
    assert "Summary: 1 of 3 practices accredited" in table
    assert "== Riverside Surgery (riverside-surgery)" in table
    assert "1 (baseline)" in table
    md = render_standards(examples_result, "md")
    assert md.startswith("# Practice standards report\n")
    assert "## Summary across practices" in md
    assert "## Millbrook Health Centre (`millbrook-health-centre`)" in md
    assert "### Gaps at the latest assessment" in md
    for line in md.splitlines():
        if line.startswith("|"):
            assert line.endswith("|")


def test_text_report_tables_pinned(examples_result: Any) -> None:
    """The plain-text tables to the byte: counts right-aligned, the rest left."""
    lines = render_standards(examples_result, "table").splitlines()
    i = lines.index("Summary: 1 of 3 practices accredited at their latest assessment")
    assert lines[i + 2 : i + 5] == [
        "practice                 assessments  baseline    latest      criteria met   gained"
        "  required met  accredited",
        "-----------------------  -----------  ----------  ----------  -------------  ------"
        "  ------------  ----------",
        "millbrook-health-centre            3  2023-05-02  2024-05-14  3 -> 15 of 33     +12"
        "  13 of 19      no",
    ]
    i = lines.index("Progression")
    assert lines[i + 1 : i + 4] == [
        "#             date        criteria met  required met  standards met  accredited",
        "------------  ----------  ------------  ------------  -------------  ----------",
        "1 (baseline)  2023-05-02       3 of 33       3 of 19              0  no",
    ]
    i = lines.index("Standards across practices (at each practice's latest assessment)")
    assert lines[i + 3] == (
        "Identifying patients in the last 6-12 months of life    1           1            1"
    )


def test_html_report_is_standalone_and_accessible(examples_result: Any) -> None:
    html = render_standards(examples_result, "html")
    parser = _Html()
    parser.feed(html)
    parser.close()
    assert not parser.stack, f"unclosed {parser.stack}"
    tags = parser.tags
    assert ("html", {"lang": "en"}) in tags
    tables = [t for t, _ in tags if t == "table"]
    captions = [t for t, _ in tags if t == "caption"]
    assert len(tables) == len(captions) >= 4
    assert all(a.get("scope") in ("col", "row") for t, a in tags if t == "th")
    images = [a for t, a in tags if t == "img"]
    assert len(images) == 1
    assert images[0]["src"].startswith("data:image/svg+xml;base64,")
    assert "Riverside Surgery" in images[0]["alt"]
    assert not [a for t, a in tags if t in ("link", "script")]
    assert not re.search(r"""(src|href)=["']https?:""", html)
    text = "".join(parser.text)
    assert "Summary across practices" in text
    assert "Castle View Practice" in text


def test_html_escapes_text(mini: Framework, tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text(
        "format: careprofiles-standards/1\npractice: p1\nname: <script>alert(1)</script>\n"
        "assessments:\n  - date: 2024-01-01\n",
        encoding="utf-8",
    )
    r = assess_standards(load_assessments(path, framework=mini), mini)
    html = render_standards(r, "html", chart=False)
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "needs matplotlib" in html


def test_docx_report(examples_result: Any, tmp_path: Path) -> None:
    import docx

    path = write_standards_docx(examples_result, tmp_path / "r.docx")
    with pytest.raises(OutputExistsError):
        write_standards_docx(examples_result, path)
    doc = docx.Document(str(path))
    headings = [
        (p.style.name, p.text) for p in doc.paragraphs if p.style.name.startswith("Heading")
    ]
    assert ("Heading 1", "Summary across practices") in headings
    assert ("Heading 1", "Riverside Surgery (riverside-surgery)") in headings
    assert ("Heading 2", "Progression") in headings
    assert all(t.style.name == "Table Grid" for t in doc.tables)
    assert [c.text for c in doc.tables[0].rows[0].cells][:2] == ["Practice", "Assessments"]
    assert len(doc.tables[0].rows) == 4
    assert [c.text for c in doc.tables[1].rows[0].cells] == [
        "Standard",
        "Met",
        "Partly met",
        "Not started",
    ]
    assert len(doc.inline_shapes) == 1


def test_docx_rows_are_the_text_reports_in_full(examples_result: Any, tmp_path: Path) -> None:
    import docx

    path = write_standards_docx(examples_result, tmp_path / "r.docx", chart=False)
    tables = docx.Document(str(path)).tables
    assert [c.text for c in tables[0].rows[1].cells] == [
        "Millbrook Health Centre (millbrook-health-centre)",
        "3",
        "2023-05-02",
        "2024-05-14",
        "3 \u2192 15 of 33",
        "+12",
        "13 of 19",
        "no",
    ]
    progression = next(t for t in tables if t.rows[0].cells[0].text == "Assessment")
    assert [c.text for c in progression.rows[1].cells] == [
        "1 (baseline)",
        "2023-05-02",
        "3 of 33",
        "3 of 19",
        "0",
        "no",
    ]


def test_progression_chart(examples_result: Any, tmp_path: Path) -> None:
    fig = progression_chart(examples_result)
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.get_lines()][:3] == [
        "Millbrook Health Centre",
        "Castle View Practice",
        "Riverside Surgery",
    ]
    assert list(ax.get_lines()[2].get_ydata()) == [pytest.approx(600 / 19), 100.0]
    png = write_progression_chart(examples_result, tmp_path / "p.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = write_progression_chart(examples_result, tmp_path / "p.svg")
    assert b"<svg" in svg.read_bytes()
    with pytest.raises(OutputExistsError, match="exists already; pass force=True"):
        write_progression_chart(examples_result, png)
    write_progression_chart(examples_result, png, force=True)
    with pytest.raises(ValueError, match=r"\.png, \.svg or \.pdf"):
        write_progression_chart(examples_result, tmp_path / "p.gif")


def test_missing_optional_dependencies(
    examples_result: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    monkeypatch.setitem(sys.modules, "docx", None)
    with pytest.raises(MissingDependencyError, match=r"careprofiles\[plot\]"):
        write_progression_chart(examples_result, tmp_path / "p.png")
    with pytest.raises(MissingDependencyError, match=r"careprofiles\[docx\]"):
        write_standards_docx(examples_result, tmp_path / "r.docx")
    assert "needs matplotlib" in render_standards(examples_result, "html")


# --------------------------------------------------------------------------- command line


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["standards", *args])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize(
    "files",
    [
        ["bad-unknown-criterion.yaml"],
        ["bad-dates.yaml"],
        ["bad-impossible-date.yaml"],
        ["good.csv", "dup-practice.yaml"],
        ["bad.csv"],
        ["bad-assessment.yaml"],
    ],
)
def test_cli_errors_exit_1_without_traceback(
    capsys: pytest.CaptureFixture[str], files: list[str]
) -> None:
    status, out, err = _run(capsys, "--framework", str(MINI), *(str(DATA / f) for f in files))
    assert status == 1
    assert "Traceback" not in err
    assert not out
    assert re.search(r"tests/data/standards/[\w.-]+:\d+: ", err)


def test_cli_bad_framework(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = _run(
        capsys, "--framework", str(DATA / "bad-framework.yaml"), str(DATA / "good.yaml")
    )
    assert status == 1
    assert "bad-framework.yaml:2: id:" in err
    assert "Traceback" not in err


def test_cli_table_and_warnings(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = _run(
        capsys, "--framework", str(MINI), str(DATA / "good.yaml"), str(DATA / "good.csv")
    )
    assert status == 0
    assert "Summary: 2 of 3 practices accredited" in out
    assert f"warning: {_rel('good.yaml')}:9: p1 2024-01-10 a2: marked met without evidence" in err


def test_cli_strict_refuses_unevidenced_claims(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = _run(capsys, "--strict", "--framework", str(MINI), str(DATA / "good.yaml"))
    assert status == 1
    assert not out
    assert f"{_rel('good.yaml')}:9:" in err
    assert "Traceback" not in err


def test_cli_json_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _run(capsys, str(EXAMPLES), "--format", "json")
    assert status == 0
    data = json.loads(out)
    assert [p["accredited"] for p in data["practices"]].count(True) == 1


@pytest.mark.parametrize("fmt", ["table", "json", "md", "html", "docx"])
def test_cli_writes_every_format_and_refuses_overwrite(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, fmt: str
) -> None:
    out_file = tmp_path / f"report.{'txt' if fmt == 'table' else fmt}"
    args = [str(EXAMPLES), "-o", str(out_file)]
    if fmt == "table":
        args += ["--format", "table"]
    status, _, err = _run(capsys, *args)
    assert status == 0, err
    assert out_file.stat().st_size > 0
    before = out_file.read_bytes()
    status, _, err = _run(capsys, *args)
    assert status == 1
    assert "exists already; use --force" in err
    assert "Traceback" not in err
    assert out_file.read_bytes() == before
    status, _, _ = _run(capsys, *args, "--force")
    assert status == 0


def test_cli_docx_needs_a_file(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = _run(capsys, str(EXAMPLES), "--format", "docx")
    assert status == 1
    assert "give one with -o FILE" in err


def test_cli_plot(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    chart = tmp_path / "progress.png"
    status, out, _ = _run(capsys, str(EXAMPLES), "--plot", str(chart))
    assert status == 0
    assert "Summary:" in out
    assert chart.read_bytes()[:4] == b"\x89PNG"
    status, _, err = _run(capsys, str(EXAMPLES), "--plot", str(chart))
    assert status == 1
    assert "use --force" in err
    status, _, err = _run(capsys, str(EXAMPLES), "--plot", str(tmp_path / "p.gif"))
    assert status == 1
    assert ".png, .svg or .pdf" in err
    assert not list(tmp_path.glob(".*.tmp"))


def test_examples_readme_commands_run(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Every ``careprofiles standards`` command in examples/standards/README.md runs."""
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"^careprofiles (standards .*)$", readme, flags=re.M)
    assert len(commands) >= 3
    for command in commands:
        argv = shlex.split(command)
        argv = [str(tmp_path / Path(a).name) if a.startswith("out/") else a for a in argv]
        assert main(argv) == 0, command
        capsys.readouterr()


def test_docs_list_every_bundled_criterion() -> None:
    """docs/standards.md lists the bundled framework's ids, so they cannot drift apart."""
    docs = (ROOT / "docs" / "standards.md").read_text(encoding="utf-8")
    fw = load_framework()
    for s, c in fw.criteria():
        assert f"`{c.id}`" in docs, c.id
        assert s.name in docs, s.id


def test_docs_worked_example(mini: Framework) -> None:
    """The worked example in docs/standards.md, computed (tests/data/standards/worked.yaml)."""
    r = _result(mini, "worked.yaml")
    p = r.progression
    assert p["met"].tolist() == [1, 1, 3]
    assert p["required_met"].tolist() == [1, 1, 2]
    assert p["gained"].tolist() == [0, 0, 2]
    assert p["accredited"].tolist() == [False, False, True]
    s = r.standards
    assert s[s["standard"] == "alpha"]["status"].tolist() == ["partly met", "partly met", "met"]
    assert s[s["standard"] == "beta"]["status"].tolist() == ["not started", "partly met", "met"]
    assert [w.line for w in r.warnings] == [8]


def test_docs_describe_every_key() -> None:
    """The key tables in docs/standards.md carry the models' attribute docstrings."""
    from careprofiles.standards.framework import AssessmentFile, Criterion, Standard
    from careprofiles.standards.framework import _AssessmentEntry as AssessmentEntry
    from careprofiles.standards.framework import _ClaimEntry as ClaimEntry

    docs = (ROOT / "docs" / "standards.md").read_text(encoding="utf-8")
    for model in (Framework, Standard, Criterion, AssessmentFile, AssessmentEntry, ClaimEntry):
        for name, info in model.model_fields.items():
            required = "yes" if info.is_required() else "no"
            assert f"| `{name}` | {required} | {info.description} |" in docs, (model, name)
