"""``careprofiles standards`` run as a programme: --as-at, --programme, --outcomes,
--groups-plot, on ``examples/standards/programme/`` (figures worked in test_programme.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from standards_testing import EXAMPLES, ROOT

from careprofiles.cli import main
from careprofiles.standards.models import AssessmentFile, Framework
from careprofiles.standards.programme import Programme, ProgrammeActivity, ProgrammeStaff

PROGRAMME = EXAMPLES / "programme"
ARGS = [
    "--framework",
    str(PROGRAMME / "framework.yaml"),
    str(PROGRAMME / "practices.csv"),
    "--as-at",
    "2025-06-30",
    "--programme",
    str(PROGRAMME / "programme.yaml"),
    "--outcomes",
    str(PROGRAMME / "outcomes.csv"),
]


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["standards", *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_json_has_every_programme_figure(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = _run(capsys, *ARGS, "--format", "json")
    assert status == 0, err
    data = json.loads(out)
    assert list(data) == ["framework", "summary", "practices", "programme", "outcomes", "warnings"]
    assert [g["group"] for g in data["summary"]["groups"]] == [
        "North PCN",
        "South PCN",
        "Whole area",
    ]
    assert [p["status"] for p in data["practices"]] == [
        "accredited",
        "accreditation lapsed",
        "not accredited",
        "accredited",
    ]
    assert data["practices"][1]["lapsed_on"] == "2025-05-31"
    assert data["programme"]["total"] == pytest.approx(3693.0)
    register = data["outcomes"]["outcomes"][0]
    assert register["outcome"] == "on-palliative-care-register"
    assert [s["position"] for s in register["sides"]] == ["above", "below"]
    assert register["difference"] == pytest.approx(10 / 11 - 2 / 9)


def test_table_shows_the_sections(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _run(capsys, *ARGS)
    assert status == 0
    assert "Practice groups and accreditation" in out
    assert "Whole area          4           2       1               1           50%" in out
    assert "accreditation lapsed on" in out
    total = next(line for line in out.splitlines() if line.startswith("Total "))
    assert total.split() == ["Total", "45", "£3,693"]
    assert "Standards and outcomes" in out
    assert "accredited minus not accredited +68.7 percentage points" in out
    assert max(len(line) for line in out.splitlines()) <= 100


@pytest.mark.parametrize("suffix", [".md", ".html", ".docx"])
def test_documents_show_the_sections(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, suffix: str
) -> None:
    target = tmp_path / f"report{suffix}"
    status, _, err = _run(capsys, *ARGS, "-o", str(target))
    assert status == 0, err
    if suffix == ".docx":
        import docx

        document = docx.Document(str(target))
        text = "\n".join(p.text for p in document.paragraphs)
        cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
        assert "£3,693" in cells
        assert "Whole area" in cells
        assert "Accreditation lapsed on 2025-05-31" in text
        assert "Standards and outcomes" in text
        return
    text = target.read_text(encoding="utf-8")
    assert "Practice groups and accreditation" in text
    assert "£3,693" in text
    assert "accreditation lapsed on 2025-05-31" in text
    if suffix == ".html":
        assert text.count("data:image/svg+xml;base64,") == 2  # progression and groups
        assert '<th scope="row">Whole area</th>' in text


def test_groups_plot(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "groups.svg"
    status, _, err = _run(capsys, *ARGS, "--groups-plot", str(target))
    assert status == 0, err
    svg = target.read_text(encoding="utf-8")
    assert "<svg" in svg
    assert svg.count('id="patch_') >= 3 * 3  # at least a bar a status a row (3 rows)


def test_bad_as_at(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["standards", *ARGS[:3], "--as-at", "30/06/2025"])
    assert exc.value.code == 2
    assert "'30/06/2025' is not a date; write it as YYYY-MM-DD" in capsys.readouterr().err


def test_as_at_before_an_assessment(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    status, out, err = _run(capsys, *ARGS[:3], "--as-at", "2024-01-01", "-o", str(target))
    assert status == 1
    assert not out
    assert not target.exists()
    assert "Traceback" not in err
    assert "examples/standards/programme/practices.csv:4: date: practice 'north-a'" in err


def test_outcome_errors_exit_1(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    records = tmp_path / "outcomes.csv"
    records.write_text("patient_id,outcome,value,practice\nP1,acp-recorded,1,nowhere\n", "utf-8")
    target = tmp_path / "report.md"
    args = [*ARGS[:5], "--outcomes", str(records), "-o", str(target)]
    status, out, err = _run(capsys, *args)
    assert status == 1
    assert not out
    assert not target.exists()
    assert "Traceback" not in err
    assert re.search(r"outcomes\.csv:2: practice: practice 'nowhere' is not assessed", err)


def test_programme_error_exit_1(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    text = (PROGRAMME / "programme.yaml").read_text(encoding="utf-8")
    plan.write_text(text.replace("role: gp\n", "role: gpp\n"), encoding="utf-8")
    line = next(i for i, s in enumerate(text.splitlines(), 1) if s.strip() == "- role: gp")
    status, out, err = _run(capsys, *ARGS[:5], "--programme", str(plan))
    assert status == 1
    assert not out
    assert f"plan.yaml:{line}: activities[0].staff[1].role: no tariff row for 'gpp'" in err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--tariff", "bundled"], "give it with --programme"),
        (["--pathway", "profiles/eol"], "give them with --outcomes"),
    ],
)
def test_options_that_need_another(
    capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    status, out, err = _run(capsys, *ARGS[:3], *extra)
    assert status == 1
    assert not out
    assert message in err


def test_docs_describe_every_programme_key() -> None:
    """The key tables in docs/standards.md carry the models' attribute docstrings."""
    docs = (ROOT / "docs" / "standards.md").read_text(encoding="utf-8")
    for model in (Programme, ProgrammeActivity, ProgrammeStaff):
        for name, info in model.model_fields.items():
            required = "yes" if info.is_required() else "no"
            assert f"| `{name}` | {required} | {info.description} |" in docs, (model, name)
    for model, name in ((Framework, "accreditation_valid_months"), (AssessmentFile, "group")):
        info = model.model_fields[name]
        assert f"| `{name}` | no | {info.description} |" in docs
