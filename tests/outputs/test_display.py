"""How results show themselves (``careprofiles.outputs.display``): summary text, notebook HTML."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from conftest import ACTIVITY_DATA, parse_html

from careprofiles.activity.audit import audit
from careprofiles.activity.benchmark import benchmark_areas
from careprofiles.costing.result import cost
from careprofiles.outputs.display import (
    audit_summary,
    benchmark_summary,
    cost_html,
    cost_summary,
)
from careprofiles.profiles.load import load_pathway
from careprofiles.profiles.models import Pathway
from careprofiles.tariffs.tables import Tariff, load_tariff

# the tiny pathway: decline, 4 weeks, reached by 80 of 100 patients at £210 each (£168 a
# cohort patient); last days, 1 week, all 100 at £265: £433 a patient, £43,300 a year


def test_cost_summary_has_the_stages_roles_settings_and_totals(
    tiny: Pathway, tariff: Tariff
) -> None:
    lines = cost_summary(cost(tiny, tariff)).splitlines()
    assert lines[:3] == [
        "Tiny audit pathway (tiny), 2024/25 prices",
        "Cohort: 100 patients a year",
        "Tariffs: tariff.csv",  # by its name, never a machine path (issue 15)
    ]
    # stages by their names (issue 15); a role with no tariff description by its code
    assert lines[7].split() == ["Decline", "4", "80%", "80", "£210", "£168", "£16,800"]
    assert lines[9].split() == ["Total", "£433", "£43,300"]
    assert "nurse     hour          160  0.1       £9,600" in lines
    assert lines[-2:] == ["Cost per patient: £433.00", "Population cost a year: £43,300.00"]


def test_cost_summary_shows_the_cohort_arithmetic(
    tmp_path: Path, write_pathway: Callable[..., Path], write_tariff: Callable[..., Path]
) -> None:
    cohort = {"population": 40000, "deaths_per_1000": 9.5, "eligible_share": 0.75}
    pathway = load_pathway(write_pathway(tmp_path / "pathway", cohort=cohort))
    text = cost_summary(cost(pathway, load_tariff(write_tariff(tmp_path))))
    assert (
        "Cohort: 285 patients a year (population 40,000 x 9.5 deaths per 1,000 x 75% eligible)"
        in text.splitlines()
    )


def test_cost_html_escapes_the_name_and_shows_pounds_and_pence(
    tmp_path: Path, write_pathway: Callable[..., Path], write_tariff: Callable[..., Path]
) -> None:
    folder = write_pathway(tmp_path / "pathway", header={"name": "Care <b>&</b> co"})
    pathway = load_pathway(folder)
    html = cost_html(cost(pathway, load_tariff(write_tariff(tmp_path))))
    assert html.startswith("<h4>Care &lt;b&gt;&amp;&lt;/b&gt; co (2024/25 prices)</h4>")
    assert "<b>£60.00</b> per patient; <b>£6,000.00</b> a year." in html
    page = parse_html(html)
    assert [text for tag, text in page.headings if tag == "h5"] == [
        "By stage",
        "By role",
        "By setting",
        "By funder",
    ]
    stages, roles, settings, funders = page.tables
    assert funders[0] == ["name", "per_patient", "total", "share_of_total"]
    assert stages[0] == ["stage", "name", "patients", "per_patient", "total"]
    assert stages[1][2:] == ["100", "£60.00", "£6,000.00"]
    assert roles[1] == ["nurse", "100", "0.1", "£6,000.00"]
    assert settings[1] == ["home", "£60.00", "£6,000.00", "100.0%"]


def test_audit_and_benchmark_summaries(tiny: Pathway, tariff: Tariff) -> None:
    data = ACTIVITY_DATA
    report = audit_summary(audit(tiny, tariff, data / "activity.csv", data / "outcomes.csv"))
    assert report.startswith("Audit of Tiny audit pathway (tiny), 2024/25 prices\n")
    assert "(15 rows, 4 patients)" in report
    assert report.endswith(
        "largest first.\n\n"
        "Every column of every table: careprofiles audit ... --format csv, or -o FILE.xlsx.\n"
    )
    result = benchmark_areas(
        tiny, tariff, data / "activity.csv", data / "populations.csv", data / "outcomes.csv"
    )
    text = benchmark_summary(result)
    assert "All areas: 4 patients, £1,460, £365.00 per patient, £86 per 1,000 population" in text
    assert text.endswith(
        "than chance would explain.\n\n"
        "Every column of every table: careprofiles benchmark ... --format csv, or -o FILE.xlsx.\n"
    )
