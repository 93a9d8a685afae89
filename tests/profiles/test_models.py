"""The models: frozen, strict about keys, and the helpers other modules rely on."""

from __future__ import annotations

from typing import Any

import pydantic
import pytest

from careprofiles.errors import Problem
from careprofiles.profiles.distributions import Triangular
from careprofiles.profiles.models import (
    FORMAT,
    SETTINGS,
    Cohort,
    Contacts,
    Item,
    Pathway,
    PathwayFile,
    Service,
    StaffLine,
    Stage,
)

SERVICE: dict[str, Any] = {
    "id": "visits",
    "setting": "home",
    "contacts": {"per_week": 2, "minutes": 30},
    "staff": [{"role": "nurse"}, {"role": "hca", "share": 0.5}],
    "items": [{"code": "pack", "quantity": 1}],
}


def _pathway(**changes: Any) -> Pathway:
    data: dict[str, Any] = {
        "id": "p",
        "name": "P",
        "price_year": "2024/25",
        "cohort": {"patients": 10},
        "stages": [
            {"id": "one", "duration_weeks": 2, "services": [SERVICE]},
            {
                "id": "two",
                "duration_weeks": 1,
                "services": [
                    {
                        "id": "beds",
                        "setting": "hospice",
                        "items": [{"code": "bed", "per_week": 7}, {"code": "pack", "quantity": 2}],
                    },
                    {
                        "id": "gp",
                        "setting": "clinic",
                        "contacts": {"per_stage": 1, "minutes": 10},
                        "staff": [{"role": "gp"}, {"role": "nurse"}],
                    },
                ],
                "outcomes": [{"id": "died-at-home", "target": 0.5, "direction": "higher"}],
            },
        ],
    }
    data.update(changes)
    return Pathway.model_validate(data)


def test_defaults() -> None:
    service = Service.model_validate(SERVICE)
    assert service.uptake == 1.0
    assert service.contacts is not None
    assert service.contacts.travel_minutes == 0
    assert service.staff[0].count == 1
    assert service.staff[0].share == 1
    assert service.staff[1].share == 0.5
    assert service.name is None
    assert service.label == "visits"
    stage = Stage.model_validate({"id": "s", "duration_weeks": 1, "services": [SERVICE]})
    assert stage.reach == 1.0
    assert stage.format is None
    assert stage.outcomes == ()
    assert Pathway.model_fields["format"].default == FORMAT


def test_models_are_frozen() -> None:
    pathway = _pathway()
    with pytest.raises(pydantic.ValidationError):
        pathway.stages[0].services[0].uptake = 0.5  # type: ignore[misc]
    with pytest.raises(pydantic.ValidationError):
        pathway.name = "changed"  # type: ignore[misc]
    assert isinstance(pathway.stages, tuple)


@pytest.mark.parametrize(
    "model", [Contacts, StaffLine, Item, Service, Stage, Cohort, PathwayFile, Pathway]
)
def test_unknown_keys_are_forbidden(model: type[pydantic.BaseModel]) -> None:
    assert model.model_config.get("extra") == "forbid"
    assert model.model_config.get("frozen") is True


def test_frequency_and_helpers() -> None:
    pathway = _pathway()
    one, two = pathway.stages
    assert one.services[0].contacts is not None
    assert one.services[0].contacts.frequency == ("per_week", 2.0)
    gp = two.service("gp")
    assert gp.contacts is not None
    assert gp.contacts.frequency == ("per_stage", 1.0)
    with pytest.raises(KeyError):
        two.service("nothing")
    assert pathway.stage("two") is two
    with pytest.raises(KeyError):
        pathway.stage("three")
    assert [(s.id, v.id) for s, v in pathway.services()] == [
        ("one", "visits"),
        ("two", "beds"),
        ("two", "gp"),
    ]
    assert pathway.roles() == ["nurse", "hca", "gp"]
    assert pathway.item_codes() == ["pack", "bed"]
    assert pathway.folder is None
    assert pathway.location == ""  # built in memory


def test_cohort_size() -> None:
    assert Cohort(patients=1800).size == 1800
    cohort = Cohort.model_validate(
        {"population": 250_000, "deaths_per_1000": 9.5, "eligible_share": 0.75}
    )
    assert cohort.size == pytest.approx(1781.25)
    triangular = Cohort.model_validate(
        {"patients": {"dist": "triangular", "low": 90, "mode": 100, "high": 130}}
    )
    assert triangular.size == 100
    assert isinstance(triangular.patients, Triangular)


@pytest.mark.parametrize(
    ("cohort", "fragment"),
    [
        ({"patients": 10, "population": 5}, "not both"),
        ({"population": 5, "eligible_share": 0.5}, "missing: deaths_per_1000"),
        ({}, "missing: population, deaths_per_1000, eligible_share"),
    ],
)
def test_cohort_forms(cohort: dict[str, Any], fragment: str) -> None:
    with pytest.raises(pydantic.ValidationError, match=fragment):
        Cohort.model_validate(cohort)


@pytest.mark.parametrize("year", ["2024/25", "1999/00", "2099/00"])
def test_price_years_accepted(year: str) -> None:
    assert _pathway(price_year=year).price_year == year


@pytest.mark.parametrize("year", ["2024/26", "2024-25", "2024", 2024, "24/25", "2024/2025"])
def test_price_years_refused(year: Any) -> None:
    with pytest.raises(pydantic.ValidationError, match="is not a financial year"):
        _pathway(price_year=year)


@pytest.mark.parametrize("ident", ["a", "last-days", "gp2", "a-b-c"])
def test_good_ids(ident: str) -> None:
    assert StaffLine(role=ident).role == ident


@pytest.mark.parametrize("ident", ["", "A", "a_b", "-a", "a-", "a--b", "a b", "é"])
def test_bad_ids(ident: str) -> None:
    with pytest.raises(pydantic.ValidationError, match="is not a valid id"):
        StaffLine(role=ident)


def test_settings_are_the_spec_list() -> None:
    assert SETTINGS == (
        "home",
        "care-home",
        "hospice",
        "hospital",
        "clinic",
        "telephone",
        "video",
        "other",
    )
    for setting in SETTINGS:
        assert Service.model_validate({**SERVICE, "setting": setting}).setting == setting


def test_duplicate_ids_in_memory() -> None:
    with pytest.raises(pydantic.ValidationError, match="duplicate service id 'visits'"):
        Stage.model_validate({"id": "s", "duration_weeks": 1, "services": [SERVICE, SERVICE]})
    stage = {"id": "s", "duration_weeks": 1, "services": [SERVICE]}
    with pytest.raises(pydantic.ValidationError, match="duplicate stage id 's'"):
        _pathway(stages=[stage, stage])
    # validated by the loaders, the problem says what kind it is: a repeated id
    from careprofiles.profiles.validation import validate_model

    problems: list[Problem] = []
    raw = {"id": "s", "duration_weeks": 1, "services": [SERVICE, SERVICE]}
    assert validate_model(Stage, raw, "s.yaml", problems) is None
    assert [(p.where, p.message, p.code) for p in problems] == [
        ("", "duplicate service id 'visits'; each service id must be unique", "duplicate-id")
    ]
    # other problems have no code
    problems = []
    validate_model(Stage, {"id": "s", "duration_weeks": 0, "services": [SERVICE]}, "s", problems)
    assert [(p.where, p.code) for p in problems] == [("duration_weeks", "")]


def test_round_trip_through_dump() -> None:
    pathway = _pathway(
        cohort={
            "population": 1000,
            "deaths_per_1000": {"dist": "gamma", "mean": 9, "sd": 1},
            "eligible_share": {"dist": "beta", "mean": 0.7, "sd": 0.05},
        },
    )
    dumped = pathway.model_dump(exclude_none=True)
    assert dumped["cohort"]["deaths_per_1000"] == {"dist": "gamma", "mean": 9.0, "sd": 1.0}
    again = Pathway.model_validate(dumped)
    assert again.model_dump() == pathway.model_dump()
    assert (
        Pathway.model_validate_json(pathway.model_dump_json()).model_dump() == pathway.model_dump()
    )


def test_with_source() -> None:
    line = StaffLine(role="nurse")
    moved = line.with_source("scenario.yaml", 12)
    assert moved.location == "scenario.yaml:12"
    assert line.location == ""
    assert moved == StaffLine(role="nurse").with_source("scenario.yaml", 12)
    assert StaffLine(role="nurse").with_source("f.yaml", None).location == "f.yaml"


def test_locations_from_validation() -> None:
    from careprofiles.profiles.reader import LineDict, LineList
    from careprofiles.profiles.validation import validate_model

    raw = LineDict(7)
    raw.update({"role": "nurse"})
    raw.key_lines["role"] = 7
    problems: list[Problem] = []
    line = validate_model(StaffLine, raw, "stage.yaml", problems)
    assert line is not None
    assert line.location == "stage.yaml:7"
    # a model passed on keeps where it came from; the others get the new file's lines
    contacts = LineDict(3)
    contacts.update({"per_week": 1, "minutes": 1})
    staff = LineList(4)
    staff.extend([line, {"role": "gp"}])
    service_raw = LineDict(2)
    service_raw.update({"id": "v", "setting": "home", "contacts": contacts, "staff": staff})
    service = validate_model(Service, service_raw, "other.yaml", problems)
    assert not problems
    assert service is not None
    assert service.location == "other.yaml:2"
    assert service.contacts is not None
    assert service.contacts.location == "other.yaml:3"
    assert service.staff[0] is line
    assert service.staff[0].location == "stage.yaml:7"
    assert service.staff[1].location == "other.yaml"  # a plain dict: the file, no line
    # validated without the loaders, a model has no source
    assert StaffLine.model_validate(raw).location == ""


def test_source_is_kept_through_copies_and_pickling() -> None:
    import copy
    import pickle

    line = StaffLine(role="nurse")
    line._file, line._line = "stage.yaml", 9  # allowed on a frozen model: not a field
    assert (line._file, line._line, line.location) == ("stage.yaml", 9, "stage.yaml:9")
    with pytest.raises(pydantic.ValidationError):
        line.role = "gp"  # type: ignore[misc]
    for again in (pickle.loads(pickle.dumps(line)), copy.deepcopy(line), line.model_copy()):
        assert again.location == "stage.yaml:9"
        assert again == line
    # the source is part of equality, as pydantic's private attributes are
    assert line != StaffLine(role="nurse")
    built = StaffLine.model_construct(role="nurse")
    assert (built._file, built._line, built.location) == (None, None, "")
    built._line = 4
    assert (built._line, built.location) == (4, "")


def test_sources_are_not_pydantic_private_attributes() -> None:
    # pydantic initialises declared private attributes model by model, copying each
    # default: a third of the time taken to validate a large pathway
    for model in (Stage, Service, StaffLine, Contacts, Item, Cohort, PathwayFile):
        assert model.__private_attributes__ == {}, model
    # one Pathway a load: its folder, and the scenario that made it (issue 15)
    assert set(Pathway.__private_attributes__) == {"_folder", "_scenario"}
    from careprofiles.profiles.validation import validate_model

    problems: list[Problem] = []
    pathway = validate_model(
        Pathway,
        {
            "id": "p",
            "name": "P",
            "price_year": "2024/25",
            "cohort": {"patients": 10},
            "stages": [
                {
                    "id": "s",
                    "duration_weeks": 1,
                    "services": [
                        {"id": "v", "setting": "home", "items": [{"code": "x", "quantity": 1}]}
                    ],
                }
            ],
        },
        "pathway.yaml",
        problems,
    )
    assert pathway is not None
    assert pathway.folder is None
    assert pathway.location == "pathway.yaml"
    assert pathway.stages[0].services[0].items[0]._file == "pathway.yaml"
    # validated models are never written to: the sources are kept beside them
    item = pathway.stages[0].services[0].items[0]
    assert item.__pydantic_private__ is None
    assert set(item.__dict__) == set(type(item).model_fields)
    assert pathway.__pydantic_private__ == {"_folder": None, "_scenario": None}


def test_the_folder_is_set_at_construction(tmp_path: Any) -> None:
    from careprofiles.profiles.validation import validate_model

    raw = {
        "id": "p",
        "name": "P",
        "price_year": "2024/25",
        "cohort": {"patients": 10},
        "stages": [{"id": "s", "duration_weeks": 1, "services": [SERVICE]}],
    }
    problems: list[Problem] = []
    pathway = validate_model(Pathway, raw, "pathway.yaml", problems, folder=tmp_path)
    assert pathway is not None
    assert pathway.folder == tmp_path
    assert pathway.model_copy().folder == tmp_path
    assert Pathway.model_validate(raw).folder is None


def test_a_source_is_dropped_with_its_model() -> None:
    import gc

    from careprofiles.profiles import sources

    line = StaffLine(role="nurse").with_source("stage.yaml", 3)
    key = id(line)
    assert sources.source_of(line) == ("stage.yaml", 3)
    del line
    gc.collect()
    assert key not in sources._SOURCES  # a new model at the same address has no source


def test_schema_has_the_docstrings() -> None:
    schema = Stage.model_json_schema()
    assert schema["additionalProperties"] is False
    assert "Share of the cohort who reach the stage" in schema["properties"]["reach"]["description"]
    service = schema["$defs"]["Service"]
    assert service["properties"]["setting"]["enum"] == list(SETTINGS)
    assert set(service["required"]) == {"id", "setting"}
