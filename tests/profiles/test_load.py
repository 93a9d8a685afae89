"""Loading pathways and stage files: the broken-file corpus, generated profiles, mutations."""

from __future__ import annotations

import copy
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import make_service, make_stage
from hypothesis import HealthCheck, given, settings, strategies as st

from careprofiles.errors import CareProfilesError, Problem, ProfileError
from careprofiles.profiles.load import load_pathway, load_stage, pathway_file
from careprofiles.profiles.models import Pathway
from careprofiles.profiles.reader import MAX_ALIASES, MAX_BYTES
from careprofiles.resources import bundled_pathway

BROKEN = Path(__file__).resolve().parents[1] / "data" / "broken"
CASES: list[dict[str, Any]] = yaml.safe_load((BROKEN / "cases.yaml").read_text(encoding="utf-8"))


def _load(target: str) -> Any:
    return load_pathway(target) if (BROKEN / target).is_dir() else load_stage(target)


def _at(problem: Problem) -> str:
    assert problem.file is not None
    return problem.file if problem.line is None else f"{problem.file}:{problem.line}"


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_broken_corpus(case: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(BROKEN)  # so that files display relative to the corpus
    with pytest.raises(ProfileError) as info:
        _load(case["load"])
    error = info.value
    assert isinstance(error, ValueError)
    assert isinstance(error, CareProfilesError)
    got = [(_at(p), str(p), p.code) for p in error.problems]
    expected = case["problems"]
    assert len(got) == len(expected), "\n".join(text for _, text, _ in got)
    for (at, text, code), want in zip(got, expected, strict=True):
        assert at == want["at"], text
        assert want["says"] in text, text
        assert code == want.get("code", ""), text
        # every problem reads file:line: where: what; how to fix
        assert text.startswith(want["at"] + ": ")
    # the message of the error lists every problem, one a line
    for _, text, _ in got:
        assert text in str(error)


def test_corpus_covers_every_file() -> None:
    named = {c["load"] for c in CASES}
    stage_files = {f"stages/{p.name}" for p in (BROKEN / "stages").glob("*.yaml")}
    folders = {f"pathways/{p.name}" for p in (BROKEN / "pathways").iterdir() if p.is_dir()}
    assert stage_files | folders <= named


def test_too_large_file_is_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    line = "# " + "x" * 98 + "\n"
    big.write_text("id: big\n" + line * (MAX_BYTES // len(line) + 1), encoding="utf-8")
    start = time.perf_counter()
    with pytest.raises(ProfileError, match=r"more than the 5,242,880 allowed") as info:
        load_stage(big)
    assert time.perf_counter() - start < 2
    assert info.value.problems[0].line is None


def test_alias_bomb_is_refused_fast() -> None:
    start = time.perf_counter()
    with pytest.raises(ProfileError, match="alias"):
        load_stage(BROKEN / "stages" / "alias-bomb.yaml")
    assert time.perf_counter() - start < 2


def test_bigger_alias_bomb_is_refused_fast(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["lol"]']
    for level in range(1, 30):
        refs = ",".join([f"*a{level - 1}"] * 30)
        lines.append(f"a{level}: &a{level} [{refs}]")
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(lines) + "\n", encoding="utf-8")
    start = time.perf_counter()
    with pytest.raises(ProfileError, match="the file expands to more than"):
        load_stage(bomb)
    assert time.perf_counter() - start < 2


def test_too_many_aliases(tmp_path: Path) -> None:
    ok = tmp_path / "ok.yaml"
    uses = "\n".join(f"k{i}: *x" for i in range(MAX_ALIASES))
    ok.write_text(f"x: &x 1\n{uses}\n", encoding="utf-8")
    with pytest.raises(ProfileError) as info:
        load_stage(ok)  # loads as YAML; fails only as a care profile
    assert "alias uses" not in str(info.value)
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"x: &x 1\n{uses}\nlast: *x\n", encoding="utf-8")
    with pytest.raises(ProfileError, match=f"more than {MAX_ALIASES} alias uses") as info:
        load_stage(bad)
    assert info.value.problems[0].line == MAX_ALIASES + 2


def test_deep_nesting_is_refused(tmp_path: Path) -> None:
    deep = tmp_path / "deep.yaml"
    deep.write_text("id: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    with pytest.raises(ProfileError, match="nested too deeply"):
        load_stage(deep)


def test_missing_pathway_and_folder(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="no such file"):
        load_pathway(tmp_path / "nowhere")
    with pytest.raises(ProfileError, match="no such file"):
        load_pathway(tmp_path)  # a folder without pathway.yaml
    with pytest.raises(ProfileError, match="no such file"):
        load_stage(tmp_path / "missing.yaml")
    with pytest.raises(ProfileError, match="is a folder"):
        load_stage(tmp_path)


GIVE = "give a pathway folder (holding pathway.yaml) or its pathway.yaml"


def test_a_missing_pathway_says_folder_or_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for missing in ("nope/", "nope", "nope.yaml", tmp_path / "nope"):
        with pytest.raises(ProfileError) as info:
            load_pathway(missing)
        (problem,) = info.value.problems
        assert str(problem) == f"{Path(missing).name}: no such file or folder; {GIVE}"
    with pytest.raises(ProfileError) as info:
        load_pathway(tmp_path)  # a folder without pathway.yaml
    assert str(info.value) == f"pathway.yaml: no such file; {GIVE}"


def _only_problem(call: Callable[[], object]) -> Problem:
    with pytest.raises(ProfileError) as info:
        call()
    (problem,) = info.value.problems
    return problem


def _line(problem: Problem, folder: Path) -> str:
    assert problem.file is not None
    assert problem.line is not None
    return (folder / problem.file).read_text(encoding="utf-8").splitlines()[problem.line - 1]


def test_a_stage_file_given_as_the_pathway(monkeypatch: pytest.MonkeyPatch) -> None:
    folder = bundled_pathway()
    monkeypatch.chdir(folder.parent)  # so that files display relative to it
    stage = f"{folder.name}/last-days.yaml"
    problem = _only_problem(lambda: load_pathway(stage))
    assert problem.file == stage
    assert _line(problem, folder.parent).startswith("services:")
    assert problem.where == ""
    assert problem.message == (
        "this looks like a stage's care profile (it has 'services:' and no 'stages:'), "
        "not a pathway file; give the pathway folder or its pathway.yaml "
        f"(next to this file: {folder.name}/pathway.yaml)"
    )


def test_a_stage_without_services_given_as_the_pathway(tmp_path: Path) -> None:
    (tmp_path / "stage.yaml").write_text(
        "id: last-days\nname: Last days\nduration_weeks: 1\n", encoding="utf-8"
    )
    problem = _only_problem(lambda: load_pathway(tmp_path / "stage.yaml"))
    assert problem.line == 3  # duration_weeks
    assert problem.message.startswith(
        "this looks like a stage's care profile (it has 'duration_weeks:' and no 'stages:')"
    )
    assert problem.message.endswith(f"not a pathway file; {GIVE}")  # no pathway.yaml beside it


def test_a_pathway_file_given_as_a_stage(monkeypatch: pytest.MonkeyPatch) -> None:
    folder = bundled_pathway()
    monkeypatch.chdir(folder.parent)
    problem = _only_problem(lambda: load_stage(f"{folder.name}/pathway.yaml"))
    assert problem.file == f"{folder.name}/pathway.yaml"
    assert _line(problem, folder.parent).startswith("stages:")
    assert problem.message == (
        "this looks like a pathway file (it has 'stages:' and no 'services:'), not a stage's "
        "care profile; load it with load_pathway, or give one of the stage files it lists"
    )


def test_a_pathway_file_without_stages_given_as_a_stage(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text("id: p\ncohort: {patients: 5}\n", encoding="utf-8")
    problem = _only_problem(lambda: load_stage(tmp_path / "p.yaml"))
    assert problem.line == 2
    assert problem.message.startswith("this looks like a pathway file (it has 'cohort:'")


def test_a_file_with_stages_and_services_gets_the_ordinary_problems(
    tmp_path: Path, write_pathway: Callable[..., Path]
) -> None:
    folder = write_pathway(tmp_path, header={"services": []})
    with pytest.raises(ProfileError, match="unknown key 'services'") as info:
        load_pathway(folder)
    assert "looks like" not in str(info.value)
    both = (folder / "pathway.yaml").read_text(encoding="utf-8")
    (folder / "both.yaml").write_text(both, encoding="utf-8")
    with pytest.raises(ProfileError, match="unknown key 'stages'") as info:
        load_stage(folder / "both.yaml")
    assert "looks like" not in str(info.value)


# --------------------------------------------------------------------------------------
# Good files
# --------------------------------------------------------------------------------------


def test_bundled_pathway_loads() -> None:
    pathway = load_pathway()
    assert isinstance(pathway, Pathway)
    assert pathway.folder == bundled_pathway().resolve()
    assert pathway_file(None) == bundled_pathway() / "pathway.yaml"
    assert load_pathway(bundled_pathway() / "pathway.yaml") == pathway


def test_locations_point_into_the_right_files(
    tmp_path: Path, write_pathway: Callable[..., Path]
) -> None:
    stage = {
        "id": "only",
        "duration_weeks": 2,
        "services": [
            {
                "id": "a",
                "setting": "home",
                "contacts": {"per_week": 1, "minutes": 5},
                "staff": [{"role": "nurse"}],
            },
        ],
    }
    folder = write_pathway(tmp_path, stages=[stage])
    pathway = load_pathway(folder)
    text = (folder / "only.yaml").read_text(encoding="utf-8").splitlines()
    service = pathway.stages[0].services[0]
    file, line = service.location.rsplit(":", 1)
    assert Path(file).name == "only.yaml"
    assert text[int(line) - 1].startswith("- id: a")
    staff_file, staff_line = service.staff[0].location.rsplit(":", 1)
    assert Path(staff_file).name == "only.yaml"
    assert "role: nurse" in text[int(staff_line) - 1]
    assert Path(pathway.stages[0].location.rsplit(":", 1)[0]).name == "only.yaml"
    assert Path(pathway.cohort.location.rsplit(":", 1)[0]).name == "pathway.yaml"


def test_stage_files_in_a_sub_folder(tmp_path: Path, write_pathway: Callable[..., Path]) -> None:
    folder = write_pathway(tmp_path)
    sub = folder / "stages"
    sub.mkdir()
    (folder / "stage-one.yaml").rename(sub / "stage-one.yaml")
    text = (folder / "pathway.yaml").read_text(encoding="utf-8")
    (folder / "pathway.yaml").write_text(
        text.replace("- stage-one.yaml", "- stages/stage-one.yaml"), encoding="utf-8"
    )
    assert load_pathway(folder).stages[0].id == "stage-one"


def test_a_share_written_as_a_percentage_is_reported_with_a_hint(
    tmp_path: Path, write_pathway: Callable[..., Path]
) -> None:
    """Issue 15: ``uptake: 10`` (meaning 10%) says what it probably means, at its line."""
    folder = write_pathway(tmp_path, stages=[make_stage(services=[make_service(uptake=10)])])
    with pytest.raises(ProfileError) as info:
        load_pathway(folder)
    [problem] = info.value.problems
    text = (folder / "stage-one.yaml").read_text(encoding="utf-8")
    assert (problem.where, problem.line) == ("services[0].uptake", _line_with(text, "uptake: 10"))
    assert problem.message.endswith(
        "10 is above 1; a share is between 0 and 1; did you mean 0.10 (10%)?"
    )


def test_stage_file_format_is_optional(tmp_path: Path, write_pathway: Callable[..., Path]) -> None:
    stage = {
        "id": "s",
        "duration_weeks": 1,
        "services": [{"id": "kit", "setting": "home", "items": [{"code": "pack", "quantity": 1}]}],
    }
    assert load_pathway(write_pathway(tmp_path, stages=[stage])).stages[0].format is None


def test_symlink_out_of_the_folder_is_refused(
    tmp_path: Path, write_pathway: Callable[..., Path]
) -> None:
    folder = write_pathway(tmp_path / "p")
    outside = tmp_path / "elsewhere.yaml"
    (folder / "stage-one.yaml").rename(outside)
    (folder / "stage-one.yaml").symlink_to(outside)
    with pytest.raises(ProfileError, match="outside the pathway folder"):
        load_pathway(folder)


def test_crlf_and_bom_files_load_with_right_lines(tmp_path: Path) -> None:
    text = (
        "format: careprofiles/1\nid: s\nduration_weeks: 1\nservices:\n"
        "  - id: v\n    setting: home\n    uptake: 2\n"
        "    items: [{code: pack, quantity: 1}]\n"
    )
    path = tmp_path / "s.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    with pytest.raises(ProfileError) as info:
        load_stage(path)
    assert [p.line for p in info.value.problems] == [7]


# --------------------------------------------------------------------------------------
# Generated profiles, and mutations of them
# --------------------------------------------------------------------------------------

number = st.floats(0, 100, allow_nan=False).map(lambda x: round(x, 3))
share = st.floats(0, 1, allow_nan=False).map(lambda x: round(x, 3))
name_text = st.text(
    st.characters(codec="utf-8", categories=["L", "N", "Zs"]), min_size=1, max_size=20
)
distribution = st.one_of(
    st.builds(
        lambda lo, a, b: {"dist": "triangular", "low": lo, "mode": lo + a, "high": lo + a + b + 1},
        number,
        number,
        number,
    ),
    st.builds(lambda m, s: {"dist": "gamma", "mean": m + 1, "sd": s + 0.1}, number, number),
    st.builds(lambda lo, w: {"dist": "uniform", "low": lo, "high": lo + w}, number, number),
)
positive_dist = st.builds(
    lambda lo, a, b: {
        "dist": "pert",
        "low": lo + 0.5,
        "mode": lo + a + 0.5,
        "high": lo + a + b + 1,
    },
    number,
    number,
    number,
)
share_dist = st.builds(
    lambda m, f: {"dist": "beta", "mean": m, "sd": round(f * (m * (1 - m)) ** 0.5, 4) or 0.001},
    st.floats(0.05, 0.95).map(lambda x: round(x, 3)),
    st.floats(0.05, 0.9),
)


@st.composite
def service_dicts(draw: st.DrawFn, ident: str) -> dict[str, Any]:
    service: dict[str, Any] = {"id": ident}
    if draw(st.booleans()):
        service["name"] = draw(name_text)
    service["setting"] = draw(st.sampled_from(["home", "care-home", "hospice", "video"]))
    service["uptake"] = draw(st.one_of(share, share_dist))
    kind = draw(st.sampled_from(["per_week", "per_day", "per_stage"]))
    service["contacts"] = {
        kind: draw(st.one_of(number, distribution)),
        "minutes": draw(st.one_of(number, distribution)),
    }
    service["staff"] = [
        {"role": role, "share": draw(share), "count": draw(st.integers(1, 3))}
        for role in draw(st.lists(st.sampled_from(["nurse", "gp", "hca"]), min_size=1, max_size=3))
    ]
    if draw(st.booleans()):
        service["items"] = [{"code": "pack", "quantity": draw(number)}]
    return service


@st.composite
def stage_dicts(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(st.integers(1, 4))
    return {
        "format": "careprofiles/1",
        "id": "stage",
        "name": draw(name_text),
        "aims": draw(st.lists(name_text, max_size=2)),
        "duration_weeks": draw(st.one_of(number.map(lambda x: x + 0.5), positive_dist)),
        "reach": draw(st.one_of(share, share_dist)),
        "services": [draw(service_dicts(f"svc-{i}")) for i in range(n)],
        "outcomes": [{"id": "outcome-1", "target": draw(share), "direction": "higher"}],
    }


gen_settings = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def _write(folder: Path, stage: dict[str, Any]) -> Path:
    path = folder / "stage.yaml"
    path.write_text(yaml.safe_dump(stage, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


@gen_settings
@given(stage_dicts())
def test_generated_profiles_load(stage: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _write(folder, stage)
        (folder / "pathway.yaml").write_text(
            yaml.safe_dump(
                {
                    "format": "careprofiles/1",
                    "id": "p",
                    "name": "P",
                    "price_year": "2024/25",
                    "cohort": {"patients": 10},
                    "stages": ["stage.yaml"],
                }
            ),
            encoding="utf-8",
        )
        pathway = load_pathway(folder)
    loaded = pathway.stages[0]
    assert [s.id for s in loaded.services] == [s["id"] for s in stage["services"]]
    assert (
        loaded.model_dump(exclude_none=True, exclude_defaults=True)["services"][0]["id"] == "svc-0"
    )


def _line_with(text: str, fragment: str, start: int = 0) -> int:
    for number_, line in enumerate(text.splitlines(), start=1):
        if number_ > start and fragment in line:
            return number_
    raise AssertionError(f"{fragment!r} not found")


MAPPINGS = ["stage", "service", "contacts", "staff", "item"]


@gen_settings
@given(stage_dicts(), st.data())
def test_share_above_one_is_reported_at_its_line(
    stage: dict[str, Any], data: st.DataObject
) -> None:
    stage = copy.deepcopy(stage)
    i = data.draw(st.integers(0, len(stage["services"]) - 1))
    service = stage["services"][i]
    where = data.draw(st.sampled_from(["reach", "uptake", "share"]))
    bad = 1.000123
    if where == "reach":
        stage["reach"], path = bad, "reach"
    elif where == "uptake":
        service["uptake"], path = bad, f"services[{i}].uptake"
    else:
        service["staff"][0]["share"], path = bad, f"services[{i}].staff[0].share"
    with tempfile.TemporaryDirectory() as tmp:
        file = _write(Path(tmp), stage)
        text = file.read_text(encoding="utf-8")
        with pytest.raises(ProfileError) as info:
            load_stage(file)
    [problem] = info.value.problems
    assert problem.line == _line_with(text, str(bad))
    assert problem.where == path
    assert "is above 1" in problem.message


@gen_settings
@given(stage_dicts(), st.sampled_from(MAPPINGS), st.data())
def test_unknown_key_is_reported_at_its_line(
    stage: dict[str, Any], target: str, data: st.DataObject
) -> None:
    stage = copy.deepcopy(stage)
    i = data.draw(st.integers(0, len(stage["services"]) - 1))
    service = stage["services"][i]
    if target == "item" and "items" not in service:
        target = "service"
    mapping = {
        "stage": stage,
        "service": service,
        "contacts": service["contacts"],
        "staff": service["staff"][0],
        "item": service.get("items", [{}])[0],
    }[target]
    key = "misspelt_key_" + data.draw(st.sampled_from(["a", "b", "c"]))
    mapping[key] = 1
    with tempfile.TemporaryDirectory() as tmp:
        file = _write(Path(tmp), stage)
        text = file.read_text(encoding="utf-8")
        with pytest.raises(ProfileError) as info:
            load_stage(file)
    [problem] = info.value.problems
    assert problem.line == _line_with(text, key + ":")
    assert problem.where.endswith(key)
    assert f"unknown key {key!r}" in problem.message


@gen_settings
@given(stage_dicts(), st.sampled_from(["duration_weeks", "setting", "minutes", "role"]), st.data())
def test_dropped_required_key_is_reported_at_its_mapping(
    stage: dict[str, Any], key: str, data: st.DataObject
) -> None:
    stage = copy.deepcopy(stage)
    i = data.draw(st.integers(0, len(stage["services"]) - 1))
    service = stage["services"][i]
    if key == "duration_weeks":
        del stage["duration_weeks"]
    elif key == "setting":
        del service["setting"]
    elif key == "minutes":
        del service["contacts"]["minutes"]
    else:
        del service["staff"][0]["role"]
    with tempfile.TemporaryDirectory() as tmp:
        file = _write(Path(tmp), stage)
        text = file.read_text(encoding="utf-8")
        with pytest.raises(ProfileError) as info:
            load_stage(file)
    [problem] = info.value.problems
    assert problem.message == f"required key {key!r} is missing; add it"
    # the line of the mapping that lacks the key
    service_line = _line_with(text, f"- id: svc-{i}")
    expected = {
        "duration_weeks": 1,
        "setting": service_line,
        "minutes": _line_with(text, "contacts:", service_line),
        # the staff list item: the line after 'staff:' in this service
        "role": _line_with(text, "staff:", service_line) + 1,
    }[key]
    assert problem.line == expected
    assert re.search(rf"(^|\.|\]){key}$", problem.where)


# ------------------------------------------------------ found by the fuzz test (issue 16)


@pytest.mark.parametrize(
    ("key", "where"),
    [
        ("\\nbad", "['\\nbad']"),  # a line break: the message was two lines
        ("\\u00a0# comment", "['\\xa0# comment']"),  # a no-break space: looked like a gap
        ("two words", "['two words']"),
        ("a.b", "['a.b']"),  # not the key b of a mapping a
    ],
)
def test_an_odd_key_is_quoted_in_the_key_path(tmp_path: Path, key: str, where: str) -> None:
    """An unknown key that is not a plain name is shown quoted in the key path, so that
    the problem stays one line and names the key unmistakably."""
    path = tmp_path / "stage.yaml"
    path.write_text(
        "format: careprofiles/1\nid: stage-one\nduration_weeks: 1\nservices:\n"
        f'  - id: visits\n    setting: home\n    "{key}": 1\n'
        "    contacts: {per_week: 1, minutes: 60}\n    staff: [{role: nurse}]\n",
        encoding="utf-8",
    )
    with pytest.raises(ProfileError) as info:
        load_stage(path)
    (problem,) = info.value.problems
    assert problem.line == 7
    assert problem.where == f"services[0]{where}"
    assert "\n" not in str(problem)
