"""The contract-ready specification (issue 11): KPIs, activity plan and price, the budget's
interval, the contract sections, and ``spec --check`` with its markers' template lines."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from inspect import Parameter
from pathlib import Path
from typing import Any

import pytest
from conftest import docx_text, make_service, make_stage

from careprofiles.cli import main
from careprofiles.costing.result import CostResult, cost
from careprofiles.costing.simulate import simulate
from careprofiles.outputs.text import format_money
from careprofiles.profiles.load import load_pathway
from careprofiles.profiles.models import Pathway
from careprofiles.specification.check import check_spec, markers_report
from careprofiles.specification.context import spec_context
from careprofiles.specification.render import TEMPLATE_DIR, SpecInputs, render_spec
from careprofiles.tariffs.tables import Tariff, load_tariff

SHIPPED = TEMPLATE_DIR / "nhs-service-specification.md.j2"


@pytest.fixture
def small(
    tmp_path: Path, write_pathway: Callable[..., Path], write_tariff: Callable[..., Path]
) -> tuple[Pathway, CostResult]:
    """100 patients, one 2-week stage: visits (50% uptake, 1 a week, 60 + 30 travel
    minutes, a nurse) and care (20% uptake, 3 in the stage, 40 minutes, a nurse at half of
    them and two carers at each); the nurse (£60 an hour) is NHS-paid, the carer (£30 an
    hour) by the local authority."""
    stage = make_stage(
        duration_weeks=2,
        services=[
            make_service(
                id="visits",
                uptake=0.5,
                contacts={"per_week": 1, "minutes": 60, "travel_minutes": 30},
            ),
            make_service(
                id="care",
                uptake=0.2,
                contacts={"per_stage": 3, "minutes": 40},
                staff=[{"role": "nurse", "share": 0.5}, {"role": "carer", "count": 2}],
            ),
        ],
        outcomes=[
            {
                "id": "seen-in-time",
                "name": "Seen within 2 days",
                "measure": "People seen within 2 days / people referred",
                "target": 0.8,
                "direction": "higher",
                "source": "EPaCCS",
                "recorded_at": "at referral",
            },
            {"id": "unmeasured"},
        ],
    )
    folder = write_pathway(tmp_path / "p", stages=[stage], cohort={"patients": 100})
    tariff_file = write_tariff(
        tmp_path,
        [
            {"code": "nurse", "unit": "hour", "cost": 60, "funder": "nhs-icb"},
            {"code": "carer", "unit": "hour", "cost": 30, "funder": "local-authority"},
        ],
    )
    pathway = load_pathway(folder)
    return pathway, cost(pathway, load_tariff(tariff_file))


# ---------------------------------------------------------------- activity plan and price


def test_activity_plan_is_worked_by_hand(small: tuple[Pathway, CostResult]) -> None:
    pathway, result = small
    plan = spec_context(pathway, result)["activity_plan"]
    visits, care = plan["services"]
    # visits: 100 x 50% = 50 patients; 1 a week x 2 weeks = 2 contacts each = 100 a year;
    # 1.5 hours each (60 + 30 travel minutes) = 150 hours; x £60 = £9,000, £180 a patient
    assert (visits["service_id"], visits["patients"], visits["contacts"]) == ("visits", "50", "100")
    assert (visits["hours"], visits["price"], visits["per_patient"]) == ("150", "£9,000", "£180")
    assert visits["funders"] == "NHS (ICB)"
    # care: 100 x 20% = 20 patients x 3 = 60 contacts of 40 minutes: the nurse at half of
    # them, 20 hours (£1,200); two carers at each, 80 hours (£2,400); £3,600, £180 a patient
    assert (care["patients"], care["contacts"], care["hours"]) == ("20", "60", "100")
    assert (care["price"], care["per_patient"]) == ("£3,600", "£180")
    assert care["funders"] == "NHS (ICB); Local authority social care"
    assert plan["total"] == {"contacts": "160", "hours": "250", "price": "£12,600"}
    nhs, council = plan["funders"]
    assert (nhs["id"], nhs["hours"], nhs["price"], nhs["share_of_total"]) == (
        "nhs-icb",
        "170",
        "£10,200",
        "81.0%",
    )
    assert [(r["service"], r["hours"], r["price"]) for r in nhs["services"]] == [
        ("visits", "150", "£9,000"),
        ("care", "20", "£1,200"),
    ]
    assert [(r["service"], r["hours"], r["price"]) for r in council["services"]] == [
        ("care", "80", "£2,400")
    ]
    assert (council["price"], council["share_of_total"]) == ("£2,400", "19.0%")


def test_a_service_without_staff_has_no_contacts_or_hours(
    tmp_path: Path, write_pathway: Callable[..., Path], write_tariff: Callable[..., Path]
) -> None:
    service = make_service(contacts=None, staff=None, items=[{"code": "bed", "quantity": 2}])
    folder = write_pathway(tmp_path / "p", stages=[make_stage(services=[service])])
    tariff = write_tariff(tmp_path, [{"code": "bed", "unit": "day", "cost": 250}])
    pathway = load_pathway(folder)
    row = spec_context(pathway, cost(pathway, load_tariff(tariff)))["activity_plan"]["services"][0]
    # 100 patients x 2 bed days x £250 = £50,000
    assert (row["patients"], row["contacts"], row["hours"], row["price"]) == (
        "100",
        "-",
        "-",
        "£50,000",
    )


# ---------------------------------------------------------------- KPIs


def test_kpis_one_an_outcome_with_markers_where_the_profile_is_silent(
    small: tuple[Pathway, CostResult],
) -> None:
    pathway, result = small
    context = spec_context(pathway, result)
    first, second = context["kpis"]
    assert first["number"] == 1
    assert (first["numerator"], first["denominator"]) == (
        "People seen within 2 days",
        "people referred",
    )
    assert (first["target"], first["threshold"]) == ("80%", "at least 80%")
    assert first["frequency"] == "[to be agreed: KPI 1 reporting frequency]"
    assert first["consequence"] == "[to be agreed: KPI 1 consequence of breach]"
    assert first["baseline"] == ""
    assert second["measure"] == "[to be agreed: KPI 2 measure]"
    assert second["numerator"] == "[to be agreed: KPI 2 numerator]"
    assert second["denominator"] == "[to be agreed: KPI 2 denominator]"
    assert second["threshold"] == "[to be agreed: KPI 2 target]"
    # a response time the profile states, and the outcome recorded in EPaCCS
    contract = context["contract"]
    assert [(r["time"], r["kpi"]) for r in contract["response_times"]] == [("within 2 days", 1)]
    assert contract["epaccs"] == ["Seen within 2 days"]


def test_kpi_baseline_from_an_audit_is_worked_by_hand(tiny: Pathway, tariff: Tariff) -> None:
    from conftest import ACTIVITY_DATA

    from careprofiles.activity.audit import audit

    audited = audit(
        tiny, tariff, ACTIVITY_DATA / "activity.csv", outcomes=ACTIVITY_DATA / "outcomes.csv"
    )
    kpis = {k["id"]: k for k in spec_context(tiny, cost(tiny, tariff), audit=audited)["kpis"]}
    # plan-recorded: A 1, B 0, C 1: 2 of 3 = 66.7%, under the 80% it needs (yes/no records,
    # so the threshold is a share too)
    plan = kpis["plan-recorded"]
    assert (plan["baseline"], plan["threshold"], plan["meets_target"], plan["records"]) == (
        "66.7%",
        "at least 80%",
        "No",
        "3",
    )
    # symptom-score: 3, 5 and 4, mean 4, at most 4.5 needed
    score = kpis["symptom-score"]
    assert (score["baseline"], score["threshold"], score["meets_target"]) == (
        "4",
        "at most 4.5",
        "Yes",
    )
    assert kpis["died-in-preferred-place"]["baseline"] == "100.0%"  # A: 1
    rows = {str(r["id"]): r for r in audited.outcomes.to_dict(orient="records")}
    for kpi in kpis.values():
        assert kpi["completeness"] == f"{rows[kpi['id']]['completeness']:.1%}"
    # without an audit: no baseline, and the threshold as the measure says
    plain = spec_context(tiny, cost(tiny, tariff))["kpis"]
    assert plain[0]["baseline"] == ""
    assert plain[0]["threshold"] == "at least 0.8"


# ---------------------------------------------------------------- the bundled document


SECTIONS = (
    "3.6 Service hours and response times",
    "3.7 Referral and discharge routes",
    "3.8 Safeguarding and the Mental Capacity Act",
    "3.9 Information governance and EPaCCS sharing",
    "3.10 Workforce: training and competencies",
    "3.11 Equality and health inequalities",
    "3.12 Service-user involvement and complaints",
    "4.4 Practice accreditation",
    "5.3 Key performance indicators",
    "Annex B: Activity plan and price",
)
CAPTIONS = (
    "Key performance indicators: threshold and measure",
    "Key performance indicators: recording, reporting and breach",
    "Activity plan and price by service, a year",
    "Price paid by NHS (ICB), a year",
    "The budget with its uncertainty",
    "Standards of the accreditation framework and the KPIs they support",
)


@pytest.fixture(scope="module")
def drawn(default_pathway: Pathway, default_tariff: Tariff) -> Any:
    return simulate(default_pathway, default_tariff, 200, 7)


@pytest.mark.parametrize("fmt", ["md", "html", "docx"])
def test_bundled_spec_has_every_contract_part(
    fmt: str, default_pathway: Pathway, default_cost: CostResult, drawn: Any
) -> None:
    out = render_spec(default_pathway, default_cost, format=fmt, simulation=drawn)
    text = docx_text(out)[1] if isinstance(out, bytes) else out
    summary = drawn.summary().set_index("measure")
    low, high = (format_money(float(summary.loc["total", k])) for k in ("p2.5", "p97.5"))
    for needle in (*SECTIONS, *CAPTIONS, f"{low} to {high}", "[to be agreed: KPI 16"):
        assert needle in text, (fmt, needle)
    assert format_money(default_cost.total) in text  # the base budget, unchanged
    assert text.count("[to be agreed: payment terms]") == 1


def test_the_interval_needs_the_same_pathway(
    default_pathway: Pathway, default_tariff: Tariff, small: tuple[Pathway, CostResult]
) -> None:
    pathway, result = small
    with pytest.raises(ValueError, match="another pathway or tariff"):
        spec_context(pathway, result, simulation=simulate(default_pathway, default_tariff, 5, 1))


# ---------------------------------------------------------------- --check


def test_check_lists_markers_with_their_template_lines(
    tmp_path: Path, default_pathway: Pathway, default_cost: CostResult
) -> None:
    template = tmp_path / "draft.md.j2"
    template.write_text(
        "# {{ document.title }}\n"
        "\n"
        "Commissioner: {{ spec.commissioner }}\n"
        "Price: {{ costing.total }}\n"
        "Payment: [to be agreed: payment terms].\n"
        "{% if false %}[to be agreed: never shown]{% endif %}\n"
        "{% for kpi in kpis[:2] %}\n"
        "- {{ kpi.frequency }}\n"
        "{% endfor %}\n",
        encoding="utf-8",
    )
    markers = check_spec(default_pathway, default_cost, template)
    found = [(Path(m.file).name, m.line, m.what, m.count) for m in markers]
    assert found == [
        ("draft.md.j2", 3, "commissioner", 1),
        ("draft.md.j2", 5, "payment terms", 1),
        ("draft.md.j2", 8, "KPI 1 reporting frequency", 1),
        ("draft.md.j2", 8, "KPI 2 reporting frequency", 1),
    ]
    report = markers_report(markers)
    assert report.endswith("4 fields to be agreed, at 4 template places\n")
    assert f"{markers[0].file}:3: [to be agreed: commissioner]\n" in report
    # the same markers whatever the format
    for fmt in ("html", "docx"):
        assert check_spec(default_pathway, default_cost, template, fmt) == markers


def test_check_of_the_shipped_template_names_its_lines(
    default_pathway: Pathway, default_cost: CostResult
) -> None:
    markers = check_spec(default_pathway, default_cost)
    lines = SHIPPED.read_text(encoding="utf-8").splitlines()
    assert len(markers) > 40
    for marker in markers:
        assert marker.file.endswith("nhs-service-specification.md.j2")
        source = lines[marker.line - 1]
        # the marker is on that line, or the {{ }} that wrote it is
        assert f"[to be agreed: {marker.what.split()[0]}" in source or "{{" in source, marker
    header = {m.what: m.line for m in markers}
    assert "commissioner lead" in header
    assert "{{ spec.commissioner_lead }}" in lines[header["commissioner lead"] - 1]
    # a header given in full leaves none of its markers
    filled = check_spec(
        default_pathway,
        default_cost,
        header={
            k: "x"
            for k in (
                "number",
                "commissioner",
                "commissioner_lead",
                "provider",
                "provider_lead",
                "period",
                "review_date",
                "premises",
            )
        },
    )
    assert {m.what for m in filled} == {m.what for m in markers} - {
        "number",
        "commissioner",
        "commissioner lead",
        "provider",
        "provider lead",
        "period",
        "review date",
        "premises",
    }


def test_check_spec_and_render_spec_take_the_same_arguments() -> None:
    """Both are SpecInputs' arguments (render_spec's and markers), so they cannot drift."""

    def arguments(function: Callable[..., Any]) -> list[tuple[str, Any, Any]]:
        parameters = inspect.signature(function).parameters.values()
        return [(p.name, p.kind, p.default) for p in parameters]

    inputs = arguments(SpecInputs)
    assert arguments(check_spec) == inputs
    assert arguments(render_spec) == [*inputs, ("markers", Parameter.KEYWORD_ONLY, None)]
    assert [f.name for f in dataclasses.fields(SpecInputs)] == [name for name, _, _ in inputs]


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(argv)
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize("fmt", ["md", "html", "docx"])
def test_spec_check_exits_1_while_fields_remain(
    fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / f"spec.{fmt}"
    status, out, _ = _run(["spec", "--check", "-o", str(target)], capsys)
    assert status == 1
    assert not target.exists()  # --check writes nothing
    assert "nhs-service-specification.md.j2:" in out
    assert "[to be agreed: premises]" in out
    assert out.rstrip().endswith("template places")


def test_spec_check_names_the_shipped_template_never_by_its_path(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    default_pathway: Pathway,
    default_cost: CostResult,
) -> None:
    """By its name, as {% extends %} takes it, not by where it is installed, from any
    working folder; a template of the user's own keeps its path."""
    shipped = "bundled template nhs-service-specification.md.j2"
    for folder in (tmp_path, TEMPLATE_DIR, TEMPLATE_DIR.parents[2]):
        monkeypatch.chdir(folder)
        status, out, _ = _run(["spec", "--check"], capsys)
        assert status == 1
        *places, count = out.splitlines()
        assert places[0] == f"{shipped}:32: [to be agreed: number]"
        assert {p.split(":")[0] for p in places} == {shipped}
        assert count.endswith("template places")
    monkeypatch.chdir(tmp_path)
    child = tmp_path / "local.md.j2"
    child.write_text(
        '{% extends "nhs-service-specification.md.j2" %}\n'
        "{% block cquin %}[to be agreed: CQUIN year 2]{% endblock %}\n",
        encoding="utf-8",
    )
    markers = check_spec(default_pathway, default_cost, child)
    assert {m.file for m in markers} == {"local.md.j2", shipped}


def test_spec_check_exits_0_for_a_template_with_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = tmp_path / "done.md.j2"
    template.write_text("# {{ document.title }}\n\n{{ costing.total }}\n", encoding="utf-8")
    status, out, _ = _run(["spec", "--check", "--template", str(template)], capsys)
    assert status == 0
    assert out == "no fields to be agreed: the specification is complete\n"


def test_spec_draws_adds_the_interval(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _run(["spec", "--draws", "50", "--seed", "3"], capsys)
    assert status == 0
    assert "| **Budget range (95%)** |" in out
    assert "Table: The budget with its uncertainty" in out
    again = _run(["spec", "--draws", "50", "--seed", "3"], capsys)[1]
    assert again == out  # the same seed, the same figures
    plain = _run(["spec"], capsys)[1]
    assert "Budget range" not in plain
    assert "The budget with its uncertainty" not in plain


def test_spec_baseline_needs_activity_and_outcomes(capsys: pytest.CaptureFixture[str]) -> None:
    from conftest import ACTIVITY_DATA

    status, _, err = _run(["spec", "--outcomes", str(ACTIVITY_DATA / "outcomes.csv")], capsys)
    assert status == 1
    assert "--outcomes needs --activity FILE too" in err
    status, out, _ = _run(
        [
            "spec",
            str(ACTIVITY_DATA / "pathway"),
            "--tariff",
            str(ACTIVITY_DATA / "tariff.csv"),
            "--activity",
            str(ACTIVITY_DATA / "activity.csv"),
            "--outcomes",
            str(ACTIVITY_DATA / "outcomes.csv"),
        ],
        capsys,
    )
    assert status == 0
    assert "| **1** | Advance care plan recorded | at least 80% | 66.7% |" in out


def test_a_child_template_reports_its_own_lines(
    tmp_path: Path, default_pathway: Pathway, default_cost: CostResult
) -> None:
    child = tmp_path / "local.md.j2"
    child.write_text(
        '{% extends "nhs-service-specification.md.j2" %}\n'
        "{% block cquin %}\n"
        "None apply in the first year; from the second: [to be agreed: CQUIN year 2].\n"
        "{% endblock %}\n"
        "{% block activity_plan %}{% endblock %}\n",
        encoding="utf-8",
    )
    markers = check_spec(default_pathway, default_cost, child)
    mine = [(m.line, m.what) for m in markers if Path(m.file).name == "local.md.j2"]
    assert mine == [(3, "CQUIN year 2")]
    whats = {m.what for m in markers}
    assert 'CQUIN goals, or "none apply"' not in whats  # the shipped block was replaced
    assert "payment terms" not in whats  # so was Annex B
    assert "premises" in whats  # the rest is the shipped template's, at its lines


def test_an_html_template_is_checked_too(
    tmp_path: Path, default_pathway: Pathway, default_cost: CostResult
) -> None:
    template = tmp_path / "page.html.j2"
    template.write_text(
        "<h1>{{ document.title }}</h1>\n<p>{{ spec.provider }}</p>\n"
        "<p>[to be agreed: sign-off]</p>\n",
        encoding="utf-8",
    )
    markers = check_spec(default_pathway, default_cost, template, "html")
    assert [(m.line, m.what) for m in markers] == [(2, "provider"), (3, "sign-off")]


def test_a_marker_written_in_a_profile_is_listed(
    tmp_path: Path, write_pathway: Callable[..., Path], write_tariff: Callable[..., Path]
) -> None:
    stage = make_stage(
        outcomes=[{"id": "seen", "measure": "a / b", "source": "[to be agreed: lab_system]"}]
    )
    pathway = load_pathway(write_pathway(tmp_path / "p", stages=[stage]))
    result = cost(pathway, load_tariff(write_tariff(tmp_path)))
    md = render_spec(pathway, result)
    assert "\\[to be agreed: lab_system\\]" in md  # escaped for Markdown, shown as written
    lines = SHIPPED.read_text(encoding="utf-8").splitlines()
    found = [m for m in check_spec(pathway, result) if m.what == "lab_system"]
    assert found
    assert all("source" in lines[m.line - 1] for m in found)
