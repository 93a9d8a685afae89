"""docs/net-cost.md: the profile model against today's care (profiles/eol/as-is.yaml).

Every figure in the page's figures table is recomputed from the shipped pathway, tariff,
price index and as-is scenarios, so the page cannot drift from the files; the as-is
model's hospital cost in the last 90 days must stay within the published range.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

import pandas as pd
import pytest

from careprofiles.costing.compare import compare
from careprofiles.costing.result import CostResult, cost
from careprofiles.costing.scenario_apply import apply_scenario
from careprofiles.costing.scenarios import load_scenarios
from careprofiles.profiles.load import load_pathway
from careprofiles.resources import bundled_pathway
from careprofiles.tariffs.tables import load_price_index, load_tariff

PAGE = Path(__file__).resolve().parent.parent / "docs" / "net-cost.md"
AS_IS = bundled_pathway() / "as-is.yaml"

HOSPICE_SERVICES = {"hospice-at-home", "hospice-at-home-night"}
SOCIAL_CARE = {"homecare-worker", "social-worker"}
KINDS = ("hospital", "ambulance", "community", "hospice", "social care")
WEEKS_90_DAYS = 90 / 7
"""The last 90 days in weeks: the last-days stage (1 week) and the decline's last weeks."""


def _kind(setting: str, service: str, code: str) -> str:
    """The page's kinds of care, from a cost line's setting, service and tariff code."""
    if service == "ambulance":
        return "ambulance"
    if setting == "hospital":
        return "hospital"
    if setting == "hospice" or service in HOSPICE_SERVICES:
        return "hospice"
    if code in SOCIAL_CARE:
        return "social care"
    return "community"


@cache
def _result(model: str) -> CostResult:
    pathway, tariff = load_pathway(), load_tariff()
    if model != "profile":
        pathway, tariff = apply_scenario(pathway, tariff, AS_IS, model)
    return cost(pathway, tariff)


def _lines(model: str) -> pd.DataFrame:
    lines = _result(model).lines.copy()
    lines["care"] = [
        _kind(s, v, c) for s, v, c in zip(lines.setting, lines.service, lines.code, strict=True)
    ]
    return lines


def _by_kind(model: str, kind: str) -> float:
    lines = _lines(model)
    return float(lines.loc[lines.care == kind, "cost_per_patient"].sum())


def _last_90_days_hospital(model: str, code: str | None = None) -> float:
    """Admissions, bed days, A&E, outpatients and day cases in the last 90 days."""
    lines = _lines(model)
    window = (lines.stage == "last-days") | (lines.service == "hospital-care-last-90-days")
    chosen = window & (lines.setting == "hospital") & (lines.kind == "item")
    if code is not None:
        chosen &= lines.code == code
    return float(lines.loc[chosen, "cost_per_patient"].sum())


def _stage(model: str, stage: str) -> float:
    return float(_result(model).by_stage().set_index("stage").loc[stage, "per_patient"])


def _last_year(model: str, kind: str | None = None) -> float:
    """The last 52 weeks: last days, the decline, and the last 25 of advancing disease's 52."""
    lines = _lines(model)
    weight = lines.stage.map(
        {"last-days": 1.0, "increasing-decline": 1.0, "advancing-disease": 25 / 52}
    ).fillna(0.0)
    chosen = lines.care == kind if kind is not None else lines.care.notna()
    return float((lines.cost_per_patient * weight)[chosen].sum())


def _district_nursing_last_90_days(model: str) -> float:
    lines = _lines(model)
    dn = lines[lines.service == "district-nursing"]
    decline = dn[dn.stage == "increasing-decline"]
    share = (WEEKS_90_DAYS - 1) / float(decline.duration_weeks.iloc[0])
    last = dn[dn.stage == "last-days"]
    return float(decline.cost_per_patient.sum() * share + last.cost_per_patient.sum())


def _hospice_inpatient(model: str) -> float:
    lines = _lines(model)
    return float(lines.loc[lines.service == "hospice-inpatient", "cost_per_patient"].sum())


def _uplift() -> float:
    return load_price_index().factor("2015/16", "2024/25")


FIGURES: dict[str, Callable[[], float]] = {
    "profile model cost per patient": lambda: _result("profile").per_patient,
    "profile model cost a year": lambda: _result("profile").total,
    "as-is cost per patient": lambda: _result("as-is").per_patient,
    "as-is cost a year": lambda: _result("as-is").total,
    "as-is-community cost per patient": lambda: _result("as-is-community").per_patient,
    "profiles minus as-is, per patient": lambda: (
        _result("profile").per_patient - _result("as-is").per_patient
    ),
    "profiles minus as-is, a year": lambda: _result("profile").total - _result("as-is").total,
    **{
        f"{model} {kind} per patient": (lambda m=model, k=kind: _by_kind(m, k))
        for model in ("profile", "as-is")
        for kind in KINDS
    },
    "as-is hospital in the last 90 days": lambda: _last_90_days_hospital("as-is"),
    "profile hospital in the last 90 days": lambda: _last_90_days_hospital("profile"),
    **{
        f"as-is last 90 days {code}": (lambda c=code: _last_90_days_hospital("as-is", c))
        for code in (
            "nel-long-stay-episode",
            "nel-short-stay-episode",
            "nel-excess-bed-day",
            "ed-attendance",
            "outpatient-attendance",
            "day-case",
        )
    },
    "price uplift 2015/16 to 2024/25": _uplift,
    "Nuffield hospital £4,500 uplifted": lambda: 4500 * _uplift(),
    "Nuffield hospice £550 uplifted": lambda: 550 * _uplift(),
    "Nuffield district nursing £278 uplifted": lambda: 278 * _uplift(),
    "as-is district nursing in the last 90 days": lambda: _district_nursing_last_90_days("as-is"),
    "profile district nursing in the last 90 days": lambda: _district_nursing_last_90_days(
        "profile"
    ),
    "as-is hospice inpatient care": lambda: _hospice_inpatient("as-is"),
    "as-is last year of life": lambda: _last_year("as-is"),
    "as-is last year of life, hospital": lambda: _last_year("as-is", "hospital"),
    "as-is last year of life, social care": lambda: _last_year("as-is", "social care"),
    "as-is hospital share of last-year health care": lambda: (
        _last_year("as-is", "hospital") / (_last_year("as-is") - _last_year("as-is", "social care"))
    ),
    "HEU £34,000 uplifted from 2022/23": lambda: (
        34000 * load_price_index().factor("2022/23", "2024/25")
    ),
}


def _table() -> dict[str, str]:
    text = PAGE.read_text(encoding="utf-8")
    table = text.split("<!-- figures -->", 1)[1].strip().split("\n\n", 1)[0]
    rows = [line.strip("|").split("|") for line in table.splitlines()[2:]]
    return {label.strip(): value.strip() for label, value in rows}


def _shown(value: float, like: str) -> str:
    """``value`` as the page shows ``like``: £ with n decimals, a percentage, or a number."""
    if like.endswith("%"):
        return f"{value:.0%}"
    money = like.startswith(("£", "-£", "+£"))
    decimals = len(like.split(".")[1]) if "." in like else 0
    text = f"£{abs(value):,.{decimals}f}" if money else f"{value:,.{decimals}f}"
    if money and like.startswith(("-", "+")):
        text = ("-" if value < 0 else "+") + text
    return text


def test_every_figure_on_the_page_is_recomputed() -> None:
    shown = _table()
    assert set(shown) == set(FIGURES), "every figure on the page is checked"
    for label, value in shown.items():
        assert _shown(FIGURES[label](), value) == value, label


def test_the_kinds_of_care_add_up_to_the_total() -> None:
    for model in ("profile", "as-is", "as-is-community"):
        kinds = sum(_by_kind(model, k) for k in KINDS)
        assert kinds == pytest.approx(_result(model).per_patient, rel=1e-12)
        stages = sum(_stage(model, s.id) for s in _result(model).pathway.stages)
        assert stages == pytest.approx(_result(model).per_patient, rel=1e-12)


def test_as_is_hospital_in_the_last_90_days_is_in_the_published_range() -> None:
    # Nuffield Trust 2014: over £4,500 per person who died, at 2014/15 prices or earlier;
    # at least x1.29 (the index from 2015/16) in 2024/25 prices.
    floor = 4500 * _uplift()
    assert _last_90_days_hospital("as-is") > floor
    assert _last_90_days_hospital("as-is") < 1.5 * floor  # "over £4,500", not far over
    # the profiles support more people to die at home: less hospital care than today's
    assert _last_90_days_hospital("profile") < _last_90_days_hospital("as-is")


def test_as_is_community_changes_only_community_hospice_and_social_care() -> None:
    for kind in ("hospital", "ambulance"):
        assert _by_kind("as-is-community", kind) == pytest.approx(_by_kind("profile", kind))
    # and as-is then changes only hospital and ambulance use
    for kind in ("community", "hospice", "social care"):
        assert _by_kind("as-is", kind) == pytest.approx(_by_kind("as-is-community", kind))


def test_compare_reads_as_the_page_says() -> None:
    """compare's change for `as-is` is today's cost minus the profiles'."""
    comparison = compare(load_pathway(), load_tariff(), AS_IS)
    assert [s.id for s, _ in comparison.scenarios] == load_scenarios(AS_IS).ids()
    as_is = dict((s.id, r) for s, r in comparison.scenarios)["as-is"]
    assert comparison.baseline.per_patient == pytest.approx(_result("profile").per_patient)
    assert as_is.per_patient == pytest.approx(_result("as-is").per_patient)
