"""Practices' assessments: YAML and CSV files and folders, and the problems refused in them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from standards_testing import DATA, EXAMPLES, MINI, ROOT, rel_name

from careprofiles.errors import StandardsError
from careprofiles.standards.assessments import load_assessments
from careprofiles.standards.framework import load_framework
from careprofiles.standards.models import Framework


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run from the repository so that file names print relative to it."""
    monkeypatch.chdir(ROOT)


@pytest.fixture(scope="module")
def mini() -> Framework:
    return load_framework(MINI)


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


@pytest.mark.parametrize(
    ("files", "coded"),
    [
        (["bad-header.csv"], [("bad-header.csv", 1, "", "missing-column")]),
        (["bad.csv"], [("bad.csv", 3, "criterion", "duplicate-id")]),
        (["good.csv", "dup-practice.yaml"], [("dup-practice.yaml", 2, "practice", "duplicate-id")]),
    ],
)
def test_problem_codes(
    mini: Framework, files: list[str], coded: list[tuple[str, int, str, str]]
) -> None:
    """A missing column and a repeated id say so in ``Problem.code``, for programs."""
    with pytest.raises(StandardsError) as info:
        load_assessments(*(DATA / f for f in files), framework=mini)
    assert [
        (Path(str(p.file)).name, p.line, p.where, p.code) for p in info.value.problems if p.code
    ] == coded


def test_problems_in_several_files_reported_together(mini: Framework) -> None:
    with pytest.raises(StandardsError) as info:
        load_assessments(DATA / "bad-dates.yaml", DATA / "bad.csv", framework=mini)
    files = {p.file for p in info.value.problems}
    assert files == {rel_name("bad-dates.yaml"), rel_name("bad.csv")}


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
