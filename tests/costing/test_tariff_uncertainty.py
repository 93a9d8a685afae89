"""Tariff-uncertainty files (``costing/tariff_uncertainty.py``): loading, every problem
of a bad file, agreement with the tariff, adjustment like the written cost."""

from __future__ import annotations

from pathlib import Path

import pytest
from uncertainty_cases import (
    EXAMPLE_UNCERTAINTY,
    nurse_at,
    one_line,
)

from careprofiles.costing.compiler import compile_model
from careprofiles.costing.result import cost
from careprofiles.costing.sensitivity import sensitivity
from careprofiles.costing.simulate import sample_parameters, simulate
from careprofiles.costing.tariff_uncertainty import (
    apply_tariff_uncertainty,
    load_tariff_uncertainty,
)
from careprofiles.errors import TariffError
from careprofiles.profiles.models import Pathway
from careprofiles.tariffs.tables import Tariff, load_price_index


def test_example_tariff_uncertainty_file(default_pathway: Pathway, default_tariff: Tariff) -> None:
    uncertainty = load_tariff_uncertainty(EXAMPLE_UNCERTAINTY)
    assert set(uncertainty) <= set(default_tariff)
    model = apply_tariff_uncertainty(compile_model(default_pathway, default_tariff), uncertainty)
    drawn = {p.address for p in model.parameters if p.uncertain}
    used = {f"tariff/{c}" for c in [*default_pathway.roles(), *default_pathway.item_codes()]}
    assert used <= drawn
    gp = next(p for p in model.parameters if p.address == "tariff/gp")
    assert gp.location == "examples/scenarios/tariff-uncertainty.csv:2"
    # base values unchanged: the deterministic figure stays cost()'s
    assert (
        model.base_values().tolist()
        == compile_model(default_pathway, default_tariff).base_values().tolist()
    )


def test_bad_tariff_uncertainty_file_lists_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "u.csv"
    path.write_text(
        "code,dist,low,mode,high,mean,sd,price_year\n"
        "nurse,triangle,1,2,3,,,\n"  # 2
        "doctor,triangular,1,2,3,4,,\n"  # 3
        "hca,pert,1,,3,,,\n"  # 4
        "meds,gamma,,,,ten,1,\n"  # 5
        "nurse,normal,,,,60,5,\n"  # 6
        "Bad Code,normal,,,,60,5,\n"  # 7
        "pump,normal,,,,20,2,2024-25\n"  # 8
        "oxygen,triangular,5,3,4,,,\n"  # 9
        "oxygen-2,uniform,-1,,4,,,\n",  # 10
        encoding="utf-8",
    )
    with pytest.raises(TariffError) as info:
        load_tariff_uncertainty(path)
    text = str(info.value)
    name = str(path)
    expected = [
        (2, "dist", "'triangle' is not a distribution"),
        (3, "mean", "a triangular distribution does not take mean"),
        (4, "dist", "fill in mode"),
        (5, "mean", "'ten' is not a number"),
        (6, "code", "'nurse' is also on line 2"),
        (7, "code", "'Bad Code' is not a valid code"),
        (8, "price_year", "'2024-25' is not a financial year"),
        (9, "dist", "low 5 is above mode 3"),
        (10, "dist", "can give negative values"),
    ]
    for line, column, message in expected:
        assert any(
            p.line == line and p.where == column and message in p.message
            for p in info.value.problems
        ), (line, message, text)
    assert len(info.value.problems) == len(expected)
    assert name.endswith(info.value.problems[0].file or "-")


def test_tariff_uncertainty_must_agree_with_the_tariff(tmp_path: Path) -> None:
    path = tmp_path / "u.csv"
    path.write_text(
        "code,dist,low,mode,high,price_year\nnures,triangular,50,60,70,\n", encoding="utf-8"
    )
    with pytest.raises(
        TariffError, match=r"u\.csv:2: code: no tariff row 'nures'; did you mean 'nurse'"
    ):
        simulate(one_line(), nurse_at(), 10, 1, tariff_uncertainty=load_tariff_uncertainty(path))
    path.write_text(
        "code,dist,low,mode,high,price_year\nnurse,triangular,50,55,70,\n", encoding="utf-8"
    )
    with pytest.raises(
        TariffError, match=r"base value 55 of triangular\(50, 55, 70\) is not the tariff cost 60"
    ):
        simulate(one_line(), nurse_at(), 10, 1, tariff_uncertainty=load_tariff_uncertainty(path))
    path.write_text(
        "code,dist,low,mode,high,price_year\nnurse,triangular,50,60,70,2023/24\n", encoding="utf-8"
    )
    with pytest.raises(
        TariffError, match="2023/24 differs from the tariff row's written price year 2024/25"
    ):
        sensitivity(one_line(), nurse_at(), tariff_uncertainty=load_tariff_uncertainty(path))
    # value: makes the base value the cost
    path.write_text(
        "code,dist,low,mode,high,value\nnurse,triangular,50,55,70,60\n", encoding="utf-8"
    )
    result = simulate(
        one_line(60), nurse_at(), 10, 1, tariff_uncertainty=load_tariff_uncertainty(path)
    )
    assert result.deterministic["per_patient"] == 60.0


def test_tariff_uncertainty_is_adjusted_like_the_written_cost(tmp_path: Path) -> None:
    """A row written in 2023/24 prices, uplifted by the price index: every draw is too."""
    tariff = nurse_at(60, price_year="2023/24")
    index = load_price_index()
    factor = index.factor("2023/24", "2024/25")
    path = tmp_path / "u.csv"
    path.write_text(
        "code,dist,low,mode,high,price_year\nnurse,triangular,50,60,70,2023/24\n", encoding="utf-8"
    )
    uncertainty = load_tariff_uncertainty(path)
    model = apply_tariff_uncertainty(compile_model(one_line(60), tariff, index=index), uncertainty)
    column = [p.address for p in model.parameters].index("tariff/nurse")
    draws = sample_parameters(model, 5000, 1)[:, column]
    assert draws.min() >= 50 * factor
    assert draws.max() <= 70 * factor
    assert draws.min() < 52 * factor
    assert draws.max() > 68 * factor
    result = simulate(one_line(60), tariff, 10, 1, index=index, tariff_uncertainty=uncertainty)
    assert (
        result.deterministic["per_patient"] == cost(one_line(60), tariff, index=index).per_patient
    )
    assert result.deterministic["per_patient"] == pytest.approx(60 * factor, rel=1e-12)


def test_a_missing_column_is_reported_before_the_rows(tmp_path: Path) -> None:
    path = tmp_path / "u.csv"
    path.write_text("code,low,mode,high\nnurse,50,60,70\n", encoding="utf-8")
    with pytest.raises(TariffError) as info:
        load_tariff_uncertainty(path)
    assert [p.code for p in info.value.problems] == ["missing-column"]
    assert "missing column dist" in str(info.value)


def test_problems_carry_their_codes(tmp_path: Path) -> None:
    path = tmp_path / "u.csv"
    path.write_text(
        "code,dist,low,mode,high\nnurse,triangular,50,60,70\nnurse,triangular,50,60,70\n",
        encoding="utf-8",
    )
    with pytest.raises(TariffError) as info:
        load_tariff_uncertainty(path)
    assert [(p.line, p.code) for p in info.value.problems] == [(3, "duplicate-id")]
    path.write_text("code,dist,low,mode,high\nnures,triangular,50,60,70\n", encoding="utf-8")
    with pytest.raises(TariffError) as info:
        simulate(
            one_line(),
            nurse_at(),
            10,
            1,
            tariff_uncertainty=load_tariff_uncertainty(path),
        )
    assert [p.code for p in info.value.problems] == ["no-tariff-row"]
