"""The models' field docstrings from ``profiles/field_docs.json`` (``profiles/_field_docs.py``,
issue 17: start-up): the table is current, gives the fields the descriptions pydantic's
``use_attribute_docstrings`` gave them, and a model it does not list reads its source."""

from __future__ import annotations

import json

import pytest

from careprofiles.profiles import _field_docs
from careprofiles.profiles.models import Pathway, Service, Stage
from careprofiles.profiles.sources import SourcedModel


def test_the_table_is_current() -> None:
    assert _field_docs.TABLE.read_text(encoding="utf-8") == _field_docs.table_text(
        _field_docs.collect()
    ), "profiles/field_docs.json is stale: run python -m careprofiles.profiles._field_docs"


def test_the_table_reads_as_pydantic_reads() -> None:
    """Each model's docstrings as pydantic's own reader finds them."""
    docs_extraction = pytest.importorskip("pydantic._internal._docs_extraction")
    table = json.loads(_field_docs.TABLE.read_text(encoding="utf-8"))
    for cls in _models():
        own = docs_extraction.extract_docstrings_from_cls(cls, use_inspect=True)
        assert table[f"{cls.__module__}.{cls.__qualname__}"] == own, cls


def test_every_field_with_a_docstring_has_it_as_its_description() -> None:
    table = json.loads(_field_docs.TABLE.read_text(encoding="utf-8"))
    for cls in _models():
        for name, doc in table[f"{cls.__module__}.{cls.__qualname__}"].items():
            if name in cls.model_fields:
                assert cls.model_fields[name].description == doc, (cls, name)
    reach = Stage.model_fields["reach"].description
    assert reach is not None
    assert "Share of the cohort who reach the stage" in reach
    assert Service.model_fields["uptake"].description
    assert Pathway.model_json_schema()["properties"]["stages"]["description"]


def test_a_model_the_table_does_not_list_reads_its_source() -> None:
    class Local(SourcedModel):
        count: int = 1
        """How many, written below the field."""

    assert Local.model_fields["count"].description == "How many, written below the field."
    schema = Local.model_json_schema()
    assert schema["properties"]["count"]["description"] == "How many, written below the field."


def _models() -> list[type[SourcedModel]]:
    _field_docs.collect()  # imports every module
    found: list[type[SourcedModel]] = []
    pending = list(SourcedModel.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__.startswith("careprofiles."):
            found.append(cls)
    return found
