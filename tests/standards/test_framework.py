"""Standards frameworks: the bundled one, loading a file and its problems, the format docs."""

from __future__ import annotations

from pathlib import Path

import pydantic
import pytest
import yaml
from standards_testing import DATA, MINI, ROOT, rel_name

from careprofiles.errors import StandardsError
from careprofiles.standards.assessments import load_assessments
from careprofiles.standards.framework import bundled_framework, load_framework
from careprofiles.standards.models import (
    AssessmentEntry,
    AssessmentFile,
    ClaimEntry,
    Criterion,
    Framework,
    Standard,
)


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run from the repository so that file names print relative to it."""
    monkeypatch.chdir(ROOT)


@pytest.fixture(scope="module")
def mini() -> Framework:
    return load_framework(MINI)


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
    name = rel_name("bad-framework.yaml")
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


def test_repeated_ids_have_the_code_duplicate_id() -> None:
    with pytest.raises(StandardsError) as info:
        load_framework(DATA / "bad-framework.yaml")
    repeated = [(p.line, p.where) for p in info.value.problems if p.code == "duplicate-id"]
    assert repeated == [(13, "standards[0].criteria[1].id"), (17, "standards[1].id")]


def _mini_with(tmp_path: Path, *changes: tuple[str, str]) -> Path:
    text = MINI.read_text(encoding="utf-8")
    for old, new in changes:
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / "framework.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "line", "where", "first"),
    [
        (("id: a2", "id: a1"), 14, "standards[0].criteria[1].id", "standards[0].criteria[0]"),
        (("id: b1", "id: a1"), 21, "standards[1].criteria[0].id", "standards[0].criteria[0]"),
        (("id: beta", "id: alpha"), 18, "standards[1].id", "standards[0]"),
    ],
)
def test_a_repeated_id_is_reported_once_at_its_line(
    tmp_path: Path, change: tuple[str, str], line: int, where: str, first: str
) -> None:
    """The file's check reports it; the models' own check (without lines) is left out."""
    with pytest.raises(StandardsError) as info:
        load_framework(_mini_with(tmp_path, change))
    [problem] = info.value.problems
    assert (problem.line, problem.where, problem.code) == (line, where, "duplicate-id")
    assert f"(also {first})" in problem.message


def test_repeated_ids_and_no_required_criterion_reported_together(tmp_path: Path) -> None:
    path = _mini_with(tmp_path, ("id: b1", "id: a1"), ("required: true", "required: false"))
    with pytest.raises(StandardsError) as info:
        load_framework(path)
    first, second = info.value.problems
    assert "no criterion is required" in first.message
    assert (second.line, second.code) == (21, "duplicate-id")


_REPEATED_KEY_AND_ID = (
    ("id: b1", "id: a1"),
    ("        text: Alpha two.\n", "        text: Alpha two.\n        text: Alpha 2.\n"),
)


def test_a_repeated_key_and_a_repeated_id_reported_together(tmp_path: Path) -> None:
    with pytest.raises(StandardsError) as info:
        load_framework(_mini_with(tmp_path, *_REPEATED_KEY_AND_ID))
    key, ident = info.value.problems
    assert (key.line, key.where) == (16, "standards[0].criteria[1].text")
    assert key.message.startswith("duplicate key 'text' (first on line 15)")
    assert (ident.line, ident.where, ident.code) == (
        22,
        "standards[1].criteria[0].id",
        "duplicate-id",
    )


def test_a_repeated_key_has_the_code_duplicate_key(tmp_path: Path) -> None:
    with pytest.raises(StandardsError) as info:
        load_framework(_mini_with(tmp_path, *_REPEATED_KEY_AND_ID))
    assert [p.code for p in info.value.problems] == ["duplicate-key", "duplicate-id"]


def test_framework_built_in_memory_refuses_repeated_ids() -> None:
    data = yaml.safe_load(MINI.read_text(encoding="utf-8"))
    data["standards"][1]["criteria"][0]["id"] = "a1"
    with pytest.raises(pydantic.ValidationError, match="duplicate criterion id 'a1'") as info:
        Framework.model_validate(data)
    assert [e["type"] for e in info.value.errors()] == ["duplicate-id"]
    data["standards"][1]["criteria"][0]["id"] = "b1"
    data["standards"][1]["id"] = "alpha"
    with pytest.raises(ValueError, match="duplicate standard id 'alpha'"):
        Framework.model_validate(data)
    data["standards"][1]["id"] = "beta"
    assert Framework.model_validate(data).criterion_ids() == ["a1", "a2", "b1"]


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


def test_docs_list_every_bundled_criterion() -> None:
    """docs/standards.md lists the bundled framework's ids, so they cannot drift apart."""
    docs = (ROOT / "docs" / "standards.md").read_text(encoding="utf-8")
    fw = load_framework()
    for s, c in fw.criteria():
        assert f"`{c.id}`" in docs, c.id
        assert s.name in docs, s.id


def test_docs_describe_every_key() -> None:
    """The key tables in docs/standards.md carry the models' attribute docstrings."""
    docs = (ROOT / "docs" / "standards.md").read_text(encoding="utf-8")
    for model in (Framework, Standard, Criterion, AssessmentFile, AssessmentEntry, ClaimEntry):
        for name, info in model.model_fields.items():
            required = "yes" if info.is_required() else "no"
            assert f"| `{name}` | {required} | {info.description} |" in docs, (model, name)
