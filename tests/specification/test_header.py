"""The specification's header block (``careprofiles.specification.header``)."""

from __future__ import annotations

from pathlib import Path

import pydantic
import pytest

from careprofiles.errors import ValidationError
from careprofiles.specification.header import SpecHeader, as_header, load_header

TEMPLATES = Path(__file__).resolve().parents[1] / "data" / "templates"


def test_header_file_problems_name_file_and_line() -> None:
    with pytest.raises(ValidationError) as caught:
        load_header(TEMPLATES / "header-bad.yaml")
    found = [(p.line, p.where, p.message) for p in caught.value.problems]
    assert found[0] == (
        2,
        "comissioner_lead",
        "unknown key 'comissioner_lead'; did you mean 'commissioner_lead'?",
    )
    assert found[1][:2] == (3, "provider")
    assert "is not text" in found[1][2]
    assert found[2][:2] == (4, "period")
    assert "is empty" in found[2][2]
    assert all(p.file and p.file.endswith("header-bad.yaml") for p in caught.value.problems)


def test_header_defaults_and_mapping() -> None:
    assert SpecHeader().commissioner_lead == "To be agreed"
    assert SpecHeader.model_validate({"number": 7}).number == "7"
    with pytest.raises(pydantic.ValidationError, match="Extra inputs"):
        SpecHeader.model_validate({"comissioner": "x"})


def test_a_header_from_each_form_render_spec_takes() -> None:
    from_file = load_header(TEMPLATES / "header.yaml")
    assert as_header(TEMPLATES / "header.yaml") == from_file
    assert as_header(str(TEMPLATES / "header.yaml")) == from_file
    assert as_header(from_file) is from_file
    assert as_header(None) == SpecHeader()
    assert as_header({"number": 7}).number == "7"
    with pytest.raises(ValidationError, match="comissioner"):
        as_header({"comissioner": "x"})
