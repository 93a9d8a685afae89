"""Monte Carlo, one-way sensitivity and tariff uncertainty: closed forms, exactness, errors."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from conftest import line_of
from hypothesis import HealthCheck, given, settings, strategies as st
from scipy import stats

from careprofiles.cli import main
from careprofiles.costing.engine import compile_model, cost
from careprofiles.costing.uncertainty import (
    apply_tariff_uncertainty,
    load_tariff_uncertainty,
    sample_parameters,
    sensitivity,
    simulate,
)
from careprofiles.errors import MissingDependencyError, ProfileError, TariffError
from careprofiles.outputs.tables import to_json
from careprofiles.profiles.distributions import base_value
from careprofiles.profiles.load import load_pathway
from careprofiles.profiles.models import Pathway
from careprofiles.profiles.numbers import parse_uncertain
from careprofiles.resources import bundled_pathway
from careprofiles.tariffs.tables import Tariff, TariffRow, load_price_index, load_tariff

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_UNCERTAINTY = REPO / "examples" / "scenarios" / "tariff-uncertainty.csv"
STATS = ("mean", "sd", "p2.5", "p50", "p97.5")


def _pathway(
    minutes: Any = 45,
    *,
    uptake: Any = 1,
    per_stage: Any = 1,
    cohort: dict[str, Any] | None = None,
    reach: Any = 1,
    duration: Any = 1,
) -> Pathway:
    """One stage, one service, one nurse line: cost per patient = reach x uptake x
    per_stage x minutes / 60 x the nurse's hourly cost. Built in memory."""
    return Pathway.model_validate(
        {
            "id": "one-line",
            "name": "One line",
            "price_year": "2024/25",
            "cohort": cohort or {"patients": 100},
            "stages": [
                {
                    "id": "s",
                    "duration_weeks": duration,
                    "reach": reach,
                    "services": [
                        {
                            "id": "v",
                            "setting": "home",
                            "uptake": uptake,
                            "contacts": {"per_stage": per_stage, "minutes": minutes},
                            "staff": [{"role": "nurse"}],
                        }
                    ],
                }
            ],
        }
    )


def _tariff(rate: float = 60.0, price_year: str = "2024/25") -> Tariff:
    row = TariffRow(
        code="nurse",
        unit="hour",
        cost=rate,
        price_year=price_year,
        location="t.csv:2",
        original_cost=rate,
        original_price_year=price_year,
    )
    return Tariff({"nurse": row}, ("t.csv",))


def _tri_ppf(q: float, a: float, c: float, b: float) -> float:
    """The triangular quantile function, in closed form."""
    if q < (c - a) / (b - a):
        return a + math.sqrt(q * (b - a) * (c - a))
    return b - math.sqrt((1 - q) * (b - a) * (b - c))


def _tri_pdf(x: float, a: float, c: float, b: float) -> float:
    return 2 * (x - a) / ((b - a) * (c - a)) if x < c else 2 * (b - x) / ((b - a) * (b - c))


def _deterministic_copy(folder: Path) -> Path:
    """A copy of the bundled pathway with every distribution replaced by its base value."""

    def fix(node: Any) -> Any:
        if isinstance(node, dict) and "dist" in node:
            return base_value(parse_uncertain(node))
        if isinstance(node, dict):
            return {k: fix(v) for k, v in node.items()}
        if isinstance(node, list):
            return [fix(v) for v in node]
        return node

    folder.mkdir(parents=True, exist_ok=True)
    for source in bundled_pathway().glob("*.yaml"):
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
        (folder / source.name).write_text(yaml.safe_dump(fix(data)), encoding="utf-8")
    return folder


# --------------------------------------------------------------------------------------
# Closed forms.


def test_single_triangular_input_matches_closed_form() -> None:
    a, c, b = 30.0, 45.0, 90.0
    n = 200_000
    result = simulate(
        _pathway({"dist": "triangular", "low": a, "mode": c, "high": b}), _tariff(60), n, 11
    )
    mean = (a + b + c) / 3
    sd = math.sqrt((a * a + b * b + c * c - a * b - a * c - b * c) / 18)
    summary = result.to_dict()["per_patient"]
    # cost per patient = minutes / 60 x £60 = minutes
    assert summary["mean"] == pytest.approx(mean, abs=5 * sd / math.sqrt(n))
    assert summary["sd"] == pytest.approx(sd, abs=5 * sd / math.sqrt(2 * n))
    for key, q in (("p2.5", 0.025), ("p50", 0.5), ("p97.5", 0.975)):
        x = _tri_ppf(q, a, c, b)
        standard_error = math.sqrt(q * (1 - q) / n) / _tri_pdf(x, a, c, b)
        assert summary[key] == pytest.approx(x, abs=5 * standard_error), key
    assert summary["deterministic"] == c
    total = result.to_dict()["total"]
    assert total["mean"] == pytest.approx(100 * summary["mean"], rel=1e-12)


def test_tariff_uncertainty_closed_form(tmp_path: Path) -> None:
    csv = tmp_path / "u.csv"
    csv.write_text("code,dist,low,mode,high\nnurse,triangular,40,60,110\n", encoding="utf-8")
    n = 100_000
    result = simulate(
        _pathway(60), _tariff(60), n, 3, tariff_uncertainty=load_tariff_uncertainty(csv)
    )
    # cost per patient = 1 hour x the nurse's cost
    sd = math.sqrt((40**2 + 60**2 + 110**2 - 40 * 60 - 40 * 110 - 60 * 110) / 18)
    assert result.to_dict()["per_patient"]["mean"] == pytest.approx(70, abs=5 * sd / math.sqrt(n))
    assert result.uncertain == ("tariff/nurse",)


# --------------------------------------------------------------------------------------
# Exactness and reproducibility.


def test_zero_variance_gives_the_deterministic_figures_exactly(tmp_path: Path) -> None:
    pathway = load_pathway(_deterministic_copy(tmp_path / "eol"))
    tariff = load_tariff()
    deterministic = cost(pathway, tariff)
    result = simulate(pathway, tariff, 333, 5, chunk_size=50)
    assert result.uncertain == ()
    data = result.to_dict()
    expected = {
        "per_patient": deterministic.per_patient,
        "total": deterministic.total,
        "cohort": deterministic.cohort,
    }
    for measure, value in expected.items():
        for key in ("mean", "p2.5", "p50", "p97.5", "deterministic"):
            assert data[measure][key] == value, (measure, key)
        assert data[measure]["sd"] == 0.0
    stages = deterministic.by_stage().set_index("stage")
    for stage in data["stages"]:
        for measure in ("per_patient", "total"):
            value = stages.loc[stage["id"], measure]
            for key in ("mean", "p2.5", "p50", "p97.5", "deterministic"):
                assert stage[measure][key] == value, (stage["id"], measure, key)
            assert stage[measure]["sd"] == 0.0


def test_fixed_distributions_are_zero_variance() -> None:
    pathway = _pathway(
        {"dist": "fixed", "value": 50}, uptake={"dist": "uniform", "low": 0.5, "high": 0.5}
    )
    result = simulate(pathway, _tariff(61.3), 100, 1)
    expected = cost(pathway, _tariff(61.3)).per_patient
    assert result.uncertain == ()
    assert (result.draws["per_patient"] == expected).all()


def test_deterministic_column_is_cost_with_uncertainty(
    default_pathway: Pathway, default_tariff: Tariff
) -> None:
    result = simulate(default_pathway, default_tariff, 200, 1)
    deterministic = cost(default_pathway, default_tariff)
    assert result.deterministic["per_patient"] == deterministic.per_patient
    assert result.deterministic["total"] == deterministic.total
    for row in deterministic.by_stage().itertuples():
        assert result.deterministic[f"{row.stage}/per_patient"] == row.per_patient
        assert result.deterministic[f"{row.stage}/total"] == row.total
    assert len(result.uncertain) == sum(
        p.uncertain for p in compile_model(default_pathway, default_tariff).parameters
    )


def test_same_seed_same_bytes_and_chunking_does_not_matter(
    default_pathway: Pathway, default_tariff: Tariff
) -> None:
    a = simulate(default_pathway, default_tariff, 3000, 42)
    b = simulate(default_pathway, default_tariff, 3000, 42, chunk_size=217)
    c = simulate(default_pathway, default_tariff, 3000, 43)
    assert a.draws.to_csv(index=False) == b.draws.to_csv(index=False)
    assert to_json(a.to_dict()) == to_json(b.to_dict())
    assert not a.draws["per_patient"].equals(c.draws["per_patient"])
    generator = simulate(default_pathway, default_tariff, 3000, np.random.default_rng(42))
    assert generator.draws.equals(a.draws)
    assert generator.seed is None
    assert a.seed == 42


def test_draw_columns_and_summary(default_pathway: Pathway, default_tariff: Tariff) -> None:
    result = simulate(default_pathway, default_tariff, 1000, 2)
    stages = [s.id for s in default_pathway.stages]
    assert list(result.draws.columns) == [
        "draw",
        "per_patient",
        "total",
        "cohort",
        *(f"{s}/{m}" for s in stages for m in ("per_patient", "total")),
    ]
    assert list(result.draws["draw"]) == list(range(1, 1001))
    # stages add up to the pathway, in every draw
    parts = sum(result.draws[f"{s}/per_patient"] for s in stages)
    assert np.allclose(parts, result.draws["per_patient"], rtol=1e-12)
    assert np.allclose(
        result.draws["total"], result.draws["per_patient"] * result.draws["cohort"], rtol=1e-15
    )
    summary = result.summary()
    assert list(summary.columns) == ["measure", "deterministic", *STATS]
    row = summary.set_index("measure").loc["per_patient"]
    x = result.draws["per_patient"].to_numpy()
    assert row["mean"] == pytest.approx(x.mean(), rel=1e-12)
    assert row["sd"] == pytest.approx(x.std(ddof=1), rel=1e-9)
    assert row["p50"] == pytest.approx(np.median(x), rel=1e-12)
    data = result.to_dict()
    assert set(data) >= {"draws", "seed", "per_patient", "total", "stages"}
    assert data["draws"] == 1000
    assert data["seed"] == 2
    for key in ("per_patient", "total"):
        assert set(data[key]) >= set(STATS)
    assert [s["id"] for s in data["stages"]] == stages
    for s in data["stages"]:
        assert set(s["per_patient"]) >= set(STATS)
        assert set(s["total"]) >= set(STATS)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="draws 0 must be a whole number of 1 or more"):
        simulate(_pathway(), _tariff(), 0, 1)
    with pytest.raises(ValueError, match="seed -1"):
        simulate(_pathway(), _tariff(), 10, -1)
    with pytest.raises(ValueError, match="chunk_size"):
        simulate(_pathway(), _tariff(), 10, 1, chunk_size=0)
    with pytest.raises(ValueError, match="need 0 < low < high < 1"):
        sensitivity(_pathway(), _tariff(), low=0.9, high=0.1)


# --------------------------------------------------------------------------------------
# Negative draws are reported, not clipped.


def test_negative_normal_draw_names_the_parameter_and_line(
    tmp_path: Path, write_pathway: Any, write_tariff: Any
) -> None:
    stage = {
        "format": "careprofiles/1",
        "id": "s",
        "duration_weeks": 1,
        "services": [
            {
                "id": "v",
                "setting": "home",
                "contacts": {"per_stage": 1, "minutes": {"dist": "normal", "mean": 10, "sd": 10}},
                "staff": [{"role": "nurse"}],
            }
        ],
    }
    folder = write_pathway(tmp_path / "p", stages=[stage])
    tariff = load_tariff(write_tariff(tmp_path))
    pathway = load_pathway(folder)
    with pytest.raises(ProfileError) as info:
        simulate(pathway, tariff, 1000, 1, chunk_size=100)
    text = str(info.value)
    # the line of the number itself (the minutes: key), not of the contacts mapping
    contacts = pathway.stages[0].services[0].contacts
    assert contacts is not None
    file = contacts.location.rpartition(":")[0]
    line = line_of(folder / "s.yaml", "minutes:")
    assert line != int(contacts.location.rpartition(":")[2])
    assert text.startswith(
        f"{file}:{line}: s/v/contacts/minutes: normal(10, 10) drew values below 0 in "
    )
    assert "of 1,000 draws" in text
    assert "use a gamma or lognormal" in text
    count = int(text.split(" in ")[1].split(" of ")[0].replace(",", ""))
    assert 100 < count < 250  # about 16% of 1,000
    with pytest.raises(ProfileError, match=r"the 2\.5% point of normal"):
        sensitivity(pathway, tariff)


def test_normal_well_above_zero_is_fine() -> None:
    result = simulate(_pathway({"dist": "normal", "mean": 100, "sd": 1}), _tariff(), 2000, 1)
    assert result.uncertain == ("s/v/contacts/minutes",)
    assert result.to_dict()["per_patient"]["mean"] == pytest.approx(100, abs=0.2)


# --------------------------------------------------------------------------------------
# One-way sensitivity.


def test_sensitivity_matches_hand_calculation() -> None:
    pathway = _pathway(
        {"dist": "triangular", "low": 30, "mode": 45, "high": 90},
        uptake={"dist": "pert", "low": 0.2, "mode": 0.5, "high": 0.6},
        per_stage=2,
        cohort={"patients": {"dist": "uniform", "low": 80, "high": 120}},
    )
    result = sensitivity(pathway, _tariff(60))
    # cost per patient = uptake x 2 contacts x minutes / 60 x £60 = 2 x uptake x minutes
    assert result.base == 2 * 0.5 * 45
    assert result.base == cost(pathway, _tariff(60)).per_patient
    rows = result.rows.set_index("parameter")
    m_lo, m_hi = _tri_ppf(0.025, 30, 45, 90), _tri_ppf(0.975, 30, 45, 90)
    alpha, beta = 1 + 4 * (0.5 - 0.2) / 0.4, 1 + 4 * (0.6 - 0.5) / 0.4
    u_lo, u_hi = (0.2 + 0.4 * np.asarray(stats.beta.ppf([0.025, 0.975], alpha, beta))).tolist()
    minutes = rows.loc["s/v/contacts/minutes"]
    assert minutes["low_value"] == pytest.approx(m_lo, rel=1e-9)
    assert minutes["high_value"] == pytest.approx(m_hi, rel=1e-9)
    assert minutes["low"] == pytest.approx(2 * 0.5 * m_lo, rel=1e-9)
    assert minutes["high"] == pytest.approx(2 * 0.5 * m_hi, rel=1e-9)
    uptake = rows.loc["s/v/uptake"]
    assert uptake["low"] == pytest.approx(2 * u_lo * 45, rel=1e-9)
    assert uptake["high"] == pytest.approx(2 * u_hi * 45, rel=1e-9)
    assert uptake["swing"] == pytest.approx(2 * 45 * (u_hi - u_lo), rel=1e-9)
    cohort = rows.loc["cohort/patients"]
    assert cohort["low"] == cohort["high"] == result.base  # the cohort moves totals only
    assert cohort["low_total"] == pytest.approx(result.base * (80 + 0.025 * 40), rel=1e-12)
    assert cohort["high_total"] == pytest.approx(result.base * (80 + 0.975 * 40), rel=1e-12)
    # largest swing first
    assert list(result.rows["parameter"]) == [
        "s/v/contacts/minutes",
        "s/v/uptake",
        "cohort/patients",
    ]
    swings = list(result.rows["swing"])
    assert swings == sorted(swings, reverse=True)
    data = result.to_dict()
    assert set(data) >= {"base", "rows"}
    for row in data["rows"]:
        assert set(row) >= {"parameter", "low_value", "high_value", "low", "high"}


def test_sensitivity_of_the_bundled_pathway(
    default_pathway: Pathway, default_tariff: Tariff
) -> None:
    result = sensitivity(default_pathway, default_tariff)
    assert result.base == cost(default_pathway, default_tariff).per_patient
    model = compile_model(default_pathway, default_tariff)
    assert len(result.rows) == sum(p.uncertain for p in model.parameters)
    # every cost rises with every number: the low end never costs more than the high end
    assert (result.rows["low_value"] <= result.rows["high_value"]).all()
    assert (result.rows["low"] <= result.rows["high"] + 1e-9).all()
    with_tariff = sensitivity(
        default_pathway,
        default_tariff,
        tariff_uncertainty=load_tariff_uncertainty(EXAMPLE_UNCERTAINTY),
    )
    assert len(with_tariff.rows) > len(result.rows)
    assert "tariff/gp" in set(with_tariff.rows["parameter"])


def test_nothing_uncertain_has_no_rows() -> None:
    result = sensitivity(_pathway(), _tariff())
    assert result.rows.empty
    assert result.base == 45.0


# --------------------------------------------------------------------------------------
# Tariff-uncertainty files.


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
        simulate(_pathway(), _tariff(), 10, 1, tariff_uncertainty=load_tariff_uncertainty(path))
    path.write_text(
        "code,dist,low,mode,high,price_year\nnurse,triangular,50,55,70,\n", encoding="utf-8"
    )
    with pytest.raises(
        TariffError, match=r"base value 55 of triangular\(50, 55, 70\) is not the tariff cost 60"
    ):
        simulate(_pathway(), _tariff(), 10, 1, tariff_uncertainty=load_tariff_uncertainty(path))
    path.write_text(
        "code,dist,low,mode,high,price_year\nnurse,triangular,50,60,70,2023/24\n", encoding="utf-8"
    )
    with pytest.raises(
        TariffError, match="2023/24 differs from the tariff row's written price year 2024/25"
    ):
        sensitivity(_pathway(), _tariff(), tariff_uncertainty=load_tariff_uncertainty(path))
    # value: makes the base value the cost
    path.write_text(
        "code,dist,low,mode,high,value\nnurse,triangular,50,55,70,60\n", encoding="utf-8"
    )
    result = simulate(
        _pathway(60), _tariff(), 10, 1, tariff_uncertainty=load_tariff_uncertainty(path)
    )
    assert result.deterministic["per_patient"] == 60.0


def test_tariff_uncertainty_is_adjusted_like_the_written_cost(tmp_path: Path) -> None:
    """A row written in 2023/24 prices, uplifted by the price index: every draw is too."""
    tariff = _tariff(60, price_year="2023/24")
    index = load_price_index()
    factor = index.factor("2023/24", "2024/25")
    path = tmp_path / "u.csv"
    path.write_text(
        "code,dist,low,mode,high,price_year\nnurse,triangular,50,60,70,2023/24\n", encoding="utf-8"
    )
    uncertainty = load_tariff_uncertainty(path)
    model = apply_tariff_uncertainty(compile_model(_pathway(60), tariff, index=index), uncertainty)
    column = [p.address for p in model.parameters].index("tariff/nurse")
    draws = sample_parameters(model, 5000, 1)[:, column]
    assert draws.min() >= 50 * factor
    assert draws.max() <= 70 * factor
    assert draws.min() < 52 * factor
    assert draws.max() > 68 * factor
    result = simulate(_pathway(60), tariff, 10, 1, index=index, tariff_uncertainty=uncertainty)
    assert (
        result.deterministic["per_patient"] == cost(_pathway(60), tariff, index=index).per_patient
    )
    assert result.deterministic["per_patient"] == pytest.approx(60 * factor, rel=1e-12)


# --------------------------------------------------------------------------------------
# Properties.

bounds = st.tuples(
    st.floats(0, 100, allow_nan=False),
    st.floats(0, 1, allow_nan=False),
    st.floats(0.01, 100, allow_nan=False),
).map(lambda t: (t[0], t[0] + t[1] * t[2], t[0] + t[2]))
shares = st.tuples(st.floats(0, 0.9), st.floats(0, 1), st.floats(0.01, 0.1)).map(
    lambda t: (t[0], t[0] + t[1] * t[2], t[0] + t[2])
)
prop = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@prop
@given(
    minutes=bounds,
    uptake=shares,
    kind=st.sampled_from(["triangular", "pert"]),
    seed=st.integers(0, 2**32),
)
def test_draws_stay_within_their_support(
    minutes: tuple[float, float, float], uptake: tuple[float, float, float], kind: str, seed: int
) -> None:
    a, c, b = minutes
    ua, uc, ub = uptake
    pathway = _pathway(
        {"dist": kind, "low": a, "mode": c, "high": b},
        uptake={"dist": kind, "low": ua, "mode": uc, "high": ub},
    )
    model = compile_model(pathway, _tariff(60))
    values = sample_parameters(model, 500, seed)
    where = {p.address: i for i, p in enumerate(model.parameters)}
    m = values[:, where["s/v/contacts/minutes"]]
    u = values[:, where["s/v/uptake"]]
    assert (m >= a).all()
    assert (m <= b).all()
    assert (u >= ua).all()
    assert (u <= ub).all()
    result = simulate(pathway, _tariff(60), 500, seed)
    per_patient = result.draws["per_patient"].to_numpy()
    assert (per_patient >= 0).all()
    assert (per_patient <= ub * b * (1 + 1e-12)).all()


@prop
@given(seed=st.integers(0, 2**32), chunk=st.integers(1, 400), draws=st.integers(1, 400))
def test_chunk_size_never_changes_the_draws(seed: int, chunk: int, draws: int) -> None:
    pathway = _pathway(
        {"dist": "gamma", "mean": 40, "sd": 8},
        uptake={"dist": "beta", "mean": 0.5, "sd": 0.1},
        per_stage={"dist": "uniform", "low": 1, "high": 3},
    )
    one = simulate(pathway, _tariff(), draws, seed)
    other = simulate(pathway, _tariff(), draws, seed, chunk_size=chunk)
    assert one.draws.equals(other.draws)


@prop
@given(
    minutes=st.floats(0, 600, allow_nan=False),
    uptake=st.floats(0, 1, allow_nan=False),
    contacts=st.floats(0, 50, allow_nan=False),
    rate=st.floats(0, 500, allow_nan=False),
    patients=st.floats(0, 1e5, allow_nan=False),
)
def test_zero_variance_property(
    minutes: float, uptake: float, contacts: float, rate: float, patients: float
) -> None:
    pathway = _pathway(minutes, uptake=uptake, per_stage=contacts, cohort={"patients": patients})
    deterministic = cost(pathway, _tariff(rate))
    data = simulate(pathway, _tariff(rate), 7, 0).to_dict()
    for key in ("mean", "p2.5", "p50", "p97.5"):
        assert data["per_patient"][key] == deterministic.per_patient
        assert data["total"][key] == deterministic.total
    assert sensitivity(pathway, _tariff(rate)).base == deterministic.per_patient


# --------------------------------------------------------------------------------------
# Progress bar.


def test_progress_bar_on_request(capsys: pytest.CaptureFixture[str]) -> None:
    quiet = simulate(
        _pathway({"dist": "triangular", "low": 1, "mode": 2, "high": 3}), _tariff(), 500, 1
    )
    shown = simulate(
        _pathway({"dist": "triangular", "low": 1, "mode": 2, "high": 3}),
        _tariff(),
        500,
        1,
        progress=True,
        chunk_size=100,
    )
    assert quiet.draws.equals(shown.draws)
    assert "draw" in capsys.readouterr().err


def test_progress_bar_needs_tqdm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tqdm", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'careprofiles\[progress\]'"):
        simulate(_pathway(), _tariff(), 10, 1, progress=True)
    # automatic mode never fails for want of a progress bar
    assert simulate(_pathway(), _tariff(), 10, 1).n == 10


# --------------------------------------------------------------------------------------
# Command line.


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_cli_simulate_json_and_reproducible_bytes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    files = []
    for name in ("a", "b"):
        for fmt in ("json", "csv"):
            out = tmp_path / f"{name}.{fmt}"
            status, _, err = _run(
                capsys, "simulate", "--draws", "2000", "--seed", "9", "-o", str(out)
            )
            assert status == 0, err
            files.append(out)
    assert files[0].read_bytes() == files[2].read_bytes()
    assert files[1].read_bytes() == files[3].read_bytes()
    data = json.loads(files[0].read_text(encoding="utf-8"))
    assert data["draws"] == 2000
    assert data["seed"] == 9
    assert set(data["per_patient"]) >= set(STATS)
    assert [s["id"] for s in data["stages"]] == [s.id for s in load_pathway().stages]
    lines = files[1].read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("draw,per_patient,total,cohort,advancing-disease/per_patient")
    assert len(lines) == 2001


def test_cli_simulate_table_plot_and_uncertainty(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    plot = tmp_path / "d.png"
    status, out, err = _run(
        capsys,
        "simulate",
        "--draws",
        "500",
        "--seed",
        "1",
        "--uncertainty",
        str(EXAMPLE_UNCERTAINTY),
        "--plot",
        str(plot),
    )
    assert status == 0, err
    assert "Monte Carlo: Adult end of life care" in out
    assert "500 draws, seed 1" in out
    assert "Cost per patient" in out
    assert "97.5%" in out
    assert plot.read_bytes()[:4] == b"\x89PNG"


def test_cli_simulate_bad_input(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "u.csv"
    bad.write_text("code,dist,low,mode,high\ngp,triangular,300,268,290\n", encoding="utf-8")
    status, out, err = _run(
        capsys, "simulate", "--draws", "10", "--seed", "1", "--uncertainty", str(bad)
    )
    assert status == 1
    assert out == ""
    assert "u.csv:2: dist: triangular: low 300 is above mode 268" in err
    assert "Traceback" not in err
    status, _, err = _run(
        capsys, "simulate", "--draws", "10", "--seed", "1", str(tmp_path / "nowhere")
    )
    assert status == 1
    assert "no such file" in err


def test_cli_sensitivity(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, out, err = _run(capsys, "sensitivity", "--format", "json")
    assert status == 0, err
    data = json.loads(out)
    assert data["base"] == cost(load_pathway(), load_tariff()).per_patient
    swings = [abs(r["high"] - r["low"]) for r in data["rows"]]
    assert swings == sorted(swings, reverse=True)
    assert set(data["rows"][0]) >= {"parameter", "low_value", "high_value", "low", "high"}
    plot = tmp_path / "t.png"
    status, out, err = _run(capsys, "sensitivity", "--top", "5", "--plot", str(plot))
    assert status == 0, err
    assert "the 5 largest of" in out
    assert data["rows"][0]["parameter"] in out
    assert plot.read_bytes()[:4] == b"\x89PNG"


def test_cli_sensitivity_bad_input(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "pathway.yaml").write_text("format: careprofiles/1\nid: x\n", encoding="utf-8")
    status, out, err = _run(capsys, "sensitivity", str(folder))
    assert status == 1
    assert out == ""
    assert "pathway.yaml:1: name: required key 'name' is missing; add it" in err
    assert "Traceback" not in err


# --------------------------------------------------------------------------------------
# The fast path: every draw is what the straightforward arithmetic gives.


def _uncertain_pathway() -> Pathway:
    """Two stages, one long (its reach is applied run by run), every kind of frequency,
    per-hour and per-contact roles, items; most numbers uncertain, some not."""

    def tri(mode: float) -> dict[str, Any]:
        return {"dist": "triangular", "low": 0.5 * mode, "mode": mode, "high": 1.5 * mode}

    def service(i: int) -> dict[str, Any]:
        kind = ("per_week", "per_day", "per_stage")[i % 3]
        out: dict[str, Any] = {
            "id": f"v{i}",
            "setting": "home",
            "uptake": {"dist": "pert", "low": 0.2, "mode": 0.5, "high": 0.9} if i % 4 else 0.7,
            "contacts": {
                kind: tri(1 + i % 4),
                "minutes": tri(15 + i % 40) if i % 3 else 30,
                "travel_minutes": i % 3 * 5,
            },
            "staff": [
                {"role": "nurse", "share": {"dist": "beta", "mean": 0.6, "sd": 0.1}}
                if i % 9 == 0
                else {"role": "nurse", "share": 0.5},
                {"role": "hca", "count": 1 + i % 2},
            ],
        }
        if i % 5 == 0:
            out["items"] = [
                {"code": "pack", "quantity": {"dist": "gamma", "mean": 2, "sd": 0.5}},
                {"code": "pump", "per_week": 1},
            ]
        return out

    return Pathway.model_validate(
        {
            "id": "wide",
            "name": "Wide",
            "price_year": "2024/25",
            "cohort": {
                "population": 200_000,
                "deaths_per_1000": {"dist": "normal", "mean": 9.5, "sd": 0.3},
                "eligible_share": 0.7,
            },
            "stages": [
                {
                    "id": "long",
                    "duration_weeks": tri(12),
                    "reach": {"dist": "uniform", "low": 0.5, "high": 0.7},
                    "services": [service(i) for i in range(70)],
                },
                {
                    "id": "short",
                    "duration_weeks": 2,
                    "reach": 0.9,
                    "services": [service(i) for i in range(5)],
                },
            ],
        }
    )


def _wide_tariff() -> Tariff:
    rows = {
        code: TariffRow(code, unit, price, "2024/25", location=f"t.csv:{n + 2}")
        for n, (code, unit, price) in enumerate(
            [
                ("nurse", "hour", 61.3),
                ("hca", "contact", 31.7),
                ("pack", "item", 45.0),
                ("pump", "week", 20.5),
            ]
        )
    }
    return Tariff(rows, ("t.csv",))


def _added_in_order(model: Any, values: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per set: each stage's cost per patient, the pathway's, and the cohort, from
    ``evaluate`` and the spec's sums done one number after another (lines within a
    stage, then stages)."""
    figures = model.evaluate(values)
    stage_of = model.lines["stage"].to_numpy()
    stages = np.column_stack(
        [
            np.cumsum(figures.cost_per_patient[:, stage_of == s.id], axis=1)[:, -1]
            for s in model.pathway.stages
        ]
    )
    return stages, np.cumsum(stages, axis=1)[:, -1], figures.cohort


@pytest.mark.parametrize("chunk", [None, 1, 97, 256, 300, 1000])
def test_every_draw_is_evaluate_of_its_parameters(chunk: int | None) -> None:
    pathway, tariff = _uncertain_pathway(), _wide_tariff()
    draws, seed = 700, 8
    result = simulate(pathway, tariff, draws, seed, chunk_size=chunk)
    model = compile_model(pathway, tariff)
    stages, per_patient, cohort = _added_in_order(model, sample_parameters(model, draws, seed))
    assert len(result.uncertain) > 100
    assert result.draws["per_patient"].to_numpy().tolist() == per_patient.tolist()
    assert result.draws["total"].to_numpy().tolist() == (per_patient * cohort).tolist()
    assert result.draws["cohort"].to_numpy().tolist() == cohort.tolist()
    for k, stage in enumerate(pathway.stages):
        mine = result.draws[f"{stage.id}/per_patient"].to_numpy()
        assert mine.tolist() == stages[:, k].tolist()
        total = result.draws[f"{stage.id}/total"].to_numpy()
        assert total.tolist() == (stages[:, k] * cohort).tolist()
    deterministic = cost(pathway, tariff)
    assert result.deterministic["per_patient"] == deterministic.per_patient
    assert result.deterministic["total"] == deterministic.total


def test_sensitivity_ends_are_evaluate_of_their_sets() -> None:
    pathway, tariff = _uncertain_pathway(), _wide_tariff()
    result = sensitivity(pathway, tariff)
    model = compile_model(pathway, tariff)
    assert 2 * len(result.rows) + 1 > 256  # more than one block of sets
    where = {a: i for i, a in enumerate(model.addresses())}
    values = np.tile(model.base_values(), (2 * len(result.rows), 1))
    rows = result.rows
    ends = zip(rows["parameter"], rows["low_value"], rows["high_value"], strict=True)
    for j, (address, low, high) in enumerate(ends):
        values[2 * j, where[address]] = low
        values[2 * j + 1, where[address]] = high
    _, per_patient, cohort = _added_in_order(model, values)
    assert result.rows["low"].tolist() == per_patient[0::2].tolist()
    assert result.rows["high"].tolist() == per_patient[1::2].tolist()
    assert result.rows["low_total"].tolist() == (per_patient * cohort)[0::2].tolist()
    assert result.rows["high_total"].tolist() == (per_patient * cohort)[1::2].tolist()
    assert result.base == cost(pathway, tariff).per_patient
