"""Tariff columns of issue 13: ``basis`` and ``qualifications`` (one unit-cost basis,
refused when a layer differs), ``grade`` (the evidence) and the bundled tariff's."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from careprofiles.errors import TariffError
from careprofiles.profiles.evidence import GRADES
from careprofiles.tariffs.tables import load_tariff

NURSE = {"code": "nurse", "unit": "hour", "cost": 58, "price_year": "2024/25"}


def test_basis_read(tmp_path: Path, write_tariff: Callable[..., Path]) -> None:
    given = {"basis": "working-hour", "qualifications": "excluded", "grade": "estimate"}
    path = write_tariff(tmp_path, [{**NURSE, **given}])
    row = load_tariff(path)["nurse"]
    assert (row.basis, row.qualifications, row.grade) == ("working-hour", "excluded", "estimate")


def test_bad_values_reported_together(tmp_path: Path, write_tariff: Callable[..., Path]) -> None:
    path = write_tariff(
        tmp_path, [{**NURSE, "basis": "per-hour", "qualifications": "yes", "grade": "guess"}]
    )
    with pytest.raises(TariffError) as info:
        load_tariff(path)
    assert sorted(p.where for p in info.value.problems) == ["basis", "grade", "qualifications"]
    assert {p.line for p in info.value.problems} == {2}


def test_layer_of_another_basis_refused(tmp_path: Path, write_tariff: Callable[..., Path]) -> None:
    national = write_tariff(
        tmp_path,
        [{**NURSE, "basis": "working-hour", "qualifications": "excluded"}],
        name="national.csv",
    )
    local = write_tariff(
        tmp_path,
        [
            {**NURSE, "code": "gp", "basis": "contact-hour", "qualifications": "included"},
            {**NURSE, "code": "carer", "cost": 30, "basis": "price", "qualifications": ""},
            {**NURSE, "code": "hca", "cost": 34, "basis": "working-hour", "qualifications": ""},
            {**NURSE, "code": "other", "cost": 40, "basis": "", "qualifications": ""},
        ],
        name="local.csv",
    )
    with pytest.raises(TariffError) as info:
        load_tariff(national, local)
    (problem,) = info.value.problems
    assert (problem.line, problem.where, problem.code) == (2, "basis", "basis-mismatch")
    assert str(problem.file).endswith("local.csv")
    # the same files alone, or the same basis layered, are fine
    load_tariff(local)
    load_tariff(national, national)


def test_bundled_tariff_states_basis_funder_and_grade() -> None:
    tariff = load_tariff()
    for row in tariff.values():
        assert row.funder, row.code
        assert row.grade in GRADES, row.code
        if row.unit == "hour":
            if row.code == "homecare-worker":
                assert row.basis == "price"
            else:
                assert (row.basis, row.qualifications) == ("working-hour", "excluded"), row.code
        else:
            assert row.basis == "", row.code
