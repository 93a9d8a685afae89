"""The status rules: worked by hand, in memory, and checked against the rules written plainly."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from standards_testing import MINI, ROOT, assessed, one_row, rel_name

from careprofiles.errors import StandardsError
from careprofiles.standards.framework import load_framework
from careprofiles.standards.models import (
    STANDARD_STATUSES,
    Assessment,
    CriterionAssessment,
    Framework,
    PracticeAssessments,
)
from careprofiles.standards.result import assess_standards


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


def test_hand_worked_yaml_practice(mini: Framework) -> None:
    """good.yaml, worked by hand.

    2024-01-10: a1 met with evidence; a2 met WITHOUT evidence (counts as partly met);
      b1 not met. alpha: 1 met + 1 partly of 2 -> partly met; beta: none -> not started.
      1 of 3 met; required (a1, b1) 1 of 2 -> not accredited.
    2024-06-10: a1 met (2 references); a2 "Partly met"; b1 met with evidence.
      alpha partly met (1 of 2); beta met (1 of 1); 2 of 3 met; required 2 of 2 ->
      accredited; gained +1 since baseline; one gap (a2, optional, partly met).
    """
    r = assessed(mini, "good.yaml")
    s = r.standards
    assert one_row(s, assessment=1, standard="alpha")["status"] == "partly met"
    assert one_row(s, assessment=1, standard="alpha")["met"] == 1
    assert one_row(s, assessment=1, standard="alpha")["partly_met"] == 1
    assert one_row(s, assessment=1, standard="beta")["status"] == "not started"
    assert one_row(s, assessment=2, standard="alpha")["status"] == "partly met"
    assert one_row(s, assessment=2, standard="beta")["status"] == "met"

    p = r.progression
    first, second = one_row(p, assessment=1), one_row(p, assessment=2)
    assert (first["met"], first["of"], first["required_met"], first["required_of"]) == (1, 3, 1, 2)
    assert not first["accredited"]
    assert first["baseline"]
    assert first["unevidenced"] == 1
    assert (second["met"], second["required_met"], second["standards_met"]) == (2, 2, 1)
    assert second["accredited"]
    assert second["latest"]
    assert second["gained"] == 1

    c = r.criteria
    a2 = one_row(c, assessment=1, criterion="a2")
    assert (a2["claimed"], a2["status"], a2["met"], a2["unevidenced"]) == (
        "met",
        "partly-met",
        False,
        True,
    )
    assert a2["location"] == "good.yaml:9"  # by its name in the tables (issue 15)
    assert one_row(c, assessment=2, criterion="a1")["evidence_count"] == 2

    summary = one_row(r.practices, practice="p1")
    assert summary["accredited"]
    assert summary["assessments"] == 2
    assert (summary["baseline_met"], summary["latest_met"], summary["gained"]) == (1, 2, 1)
    assert summary["latest_date"] == pd.Timestamp("2024-06-10")
    assert r.gaps["criterion"].tolist() == ["a2"]
    assert one_row(r.gaps, criterion="a2")["reason"] == "partly met"
    assert r.accredited == ["p1"]

    assert [str(w) for w in r.warnings] == [
        f"{rel_name('good.yaml')}:9: p1 2024-01-10 a2: marked met without evidence, so it counts "
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
    r = assessed(mini, "good.csv")
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
    assert one_row(r.criteria, practice="p2", assessment=3, criterion="a1")["evidence"] == (
        "register report; minutes"
    )

    p3 = one_row(r.practices, practice="p3")
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
    assert one_row(r.practices, practice="p2")["accredited"]
    assert not r.warnings


def test_claim_without_evidence_blocks_accreditation(mini: Framework) -> None:
    r = assessed(mini, "unevidenced.yaml")
    summary = one_row(r.practices, practice="p5")
    assert not summary["accredited"]
    assert summary["latest_met"] == 0
    assert summary["unevidenced"] == 2
    assert set(r.gaps["reason"]) == {"met without evidence", "not assessed"}
    assert [w.line for w in r.warnings] == [6, 7]
    assert all(w.file == rel_name("unevidenced.yaml") for w in r.warnings)


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


def test_in_memory_practice_given_twice_has_a_code(mini: Framework) -> None:
    pa = PracticeAssessments(practice="A81001", assessments=(Assessment(date=date(2024, 1, 1)),))
    with pytest.raises(StandardsError) as info:
        assess_standards([pa, pa], mini)
    [problem] = info.value.problems
    assert (problem.file, problem.line, problem.where) == (None, None, "practice")
    assert problem.code == "duplicate-id"


def test_docs_worked_example(mini: Framework) -> None:
    """The worked example in docs/standards.md, computed (tests/data/standards/worked.yaml)."""
    r = assessed(mini, "worked.yaml")
    p = r.progression
    assert p["met"].tolist() == [1, 1, 3]
    assert p["required_met"].tolist() == [1, 1, 2]
    assert p["gained"].tolist() == [0, 0, 2]
    assert p["accredited"].tolist() == [False, False, True]
    s = r.standards
    assert s[s["standard"] == "alpha"]["status"].tolist() == ["partly met", "partly met", "met"]
    assert s[s["standard"] == "beta"]["status"].tolist() == ["not started", "partly met", "met"]
    assert [w.line for w in r.warnings] == [8]


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
                one_row(r.progression, practice=pa.practice, assessment=k)["accredited"]
                == accredited
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
