"""Names, not codes (issue 15): outputs.names on the bundled pathway and tariff, and the
tables, charts and documents that show them (the CSV and JSON keep the codes)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from careprofiles.cli import main
from careprofiles.costing.result import CostResult
from careprofiles.outputs.display import cost_summary
from careprofiles.outputs.names import SETTING_NAMES, Names, names_for, short_description
from careprofiles.profiles.models import Pathway
from careprofiles.tariffs.tables import Tariff


@pytest.fixture(scope="module")
def names(default_pathway: Pathway, default_tariff: Tariff) -> Names:
    return names_for(default_pathway, default_tariff)


def test_roles_and_items_by_their_tariff_description(names: Names) -> None:
    assert names.role("homecare-worker") == "Home care worker"
    assert names.role("gp") == "General practitioner"
    assert names.role("district-nurse") == "District nurse, Agenda for Change Band 6"
    assert names.role("social-worker") == "Social worker"  # "(adults)" closes it
    assert names.code("anticipatory-medicines") == "Anticipatory (just in case) medicines"
    assert names.code("nel-short-stay-episode") == (
        "Non-elective (emergency) inpatient episode, short stay"
    )
    assert names.role("no-such-role") == "no-such-role"  # a code it cannot name: itself


def test_every_bundled_code_has_a_name_of_its_own(names: Names, default_tariff: Tariff) -> None:
    named = [names.code(c) for c in default_tariff]
    assert len(set(named)) == len(named)
    assert all(n != c for n, c in zip(named, default_tariff, strict=True))


def test_clashing_short_names_keep_their_whole_description() -> None:
    class Row:
        def __init__(self, description: str) -> None:
            self.description = description

    class Empty:
        stages = ()

        def services(self) -> list[object]:
            return []

    tariff = {
        "a": Row("Nurse, per working hour"),
        "b": Row("Nurse, per contact hour"),
        "c": Row("Doctor, per working hour"),
    }
    names = names_for(Empty(), tariff)  # type: ignore[arg-type]
    assert [names.code(c) for c in "abc"] == [
        "Nurse, per working hour",
        "Nurse, per contact hour",
        "Doctor",
    ]


def test_short_description_is_the_specifications_rule() -> None:
    assert short_description("Social worker (adults), per working hour") == "Social worker"
    assert short_description("Day hospice (palliative day services), per day") == "Day hospice"
    assert short_description("Medicines: four drugs") == "Medicines"
    assert short_description("") == ""


def test_stages_services_outcomes_settings(names: Names) -> None:
    assert names.stage("last-days") == "Care in the last days of life"
    assert names.service("increasing-decline", "district-nursing") == "District nursing"
    assert names.outcome("on-palliative-care-register") == "On the palliative care register"
    assert names.setting("clinic") == SETTING_NAMES["clinic"] == "Clinic or GP surgery"
    assert names.funder("nhs-icb") == "NHS (ICB)"


@pytest.mark.parametrize(
    ("address", "name"),
    [
        (
            "increasing-decline/district-nursing/contacts/per_week",
            "Increasing decline · District nursing · contacts per week",
        ),
        ("increasing-decline/duration_weeks", "Increasing decline · duration in weeks"),
        ("advancing-disease/reach", "Advancing disease · share reaching the stage"),
        (
            "increasing-decline/home-care/uptake",
            "Increasing decline · Home care (personal care) · uptake",
        ),
        (
            "advancing-disease/register-mdt-review/staff/gp/share",
            "Advancing disease · Palliative care register and primary care MDT review · "
            "General practitioner: share of contacts",
        ),
        (
            "advancing-disease/register-mdt-review/staff/gp#2/count",
            "Advancing disease · Palliative care register and primary care MDT review · "
            "General practitioner (line 2): staff per contact",
        ),
        (
            "last-days/dying-in-hospital/items/nel-excess-bed-day/quantity",
            "Care in the last days of life · Emergency admission in which the person dies · "
            "Non-elective bed day beyond an average long-stay episode: quantity",
        ),
        ("tariff/homecare-worker", "Tariff · Home care worker · unit cost"),
        ("cohort/deaths_per_1000", "Cohort · deaths per 1,000"),
        ("not/an/address/at/all", "not/an/address/at/all"),
        ("nonsense", "nonsense"),
    ],
)
def test_addresses_by_name(names: Names, address: str, name: str) -> None:
    assert names.address(address) == name


def test_an_address_within_its_line_leaves_out_what_the_line_names(names: Names) -> None:
    line = ("increasing-decline", "hospital-care-last-90-days", "nel-long-stay-episode")
    assert names.address(f"{line[0]}/{line[1]}/items/{line[2]}/quantity", line) == "quantity"
    assert names.address(f"{line[0]}/{line[1]}/uptake", line) == "uptake"
    assert names.address("tariff/nel-long-stay-episode", line) == "tariff unit cost"
    assert names.address("tariff/gp", line) == "Tariff · General practitioner · unit cost"
    assert (
        names.address("last-days/reach", line)
        == "Care in the last days of life · share reaching the stage"
    )


def test_the_cost_table_names_stages_roles_and_settings(default_cost: CostResult) -> None:
    text = cost_summary(default_cost)
    assert "Home care worker" in text
    assert "Care in the last days" in text
    assert "Clinic or GP surgery" in text
    assert "homecare-worker" not in text
    assert "last-days" not in text
    assert max(len(line) for line in text.splitlines()) <= 100


def test_sensitivity_names_on_screen_codes_in_csv(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["sensitivity", "--top", "40"]) == 0
    table = capsys.readouterr().out
    assert "District nursing" in table
    assert "/per_week" not in table
    assert "increasing-decline/" not in table
    assert main(["sensitivity", "--format", "csv"]) == 0
    csv = capsys.readouterr().out
    assert "increasing-decline/district-nursing/contacts/per_week" in csv


def test_audit_tables_name_stages_services_and_outcomes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    examples = Path(__file__).resolve().parents[2] / "examples" / "audit"
    args = [
        "--activity",
        str(examples / "activity.csv"),
        "--outcomes",
        str(examples / "outcomes.csv"),
    ]
    assert main(["audit", *args]) == 0
    text = capsys.readouterr().out
    assert "On the palliative care   Advancing disease" in text  # wrapped in its column
    assert "on-palliative-care-register" not in text
    assert "Care after death and     Bereavement support" in text
    assert main(["audit", *args, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert "on-palliative-care-register" in {o["id"] for o in data["outcomes"]}


def test_the_specifications_estimates_table_by_name(tmp_path: Path) -> None:
    out = tmp_path / "spec.md"
    assert main(["spec", "-o", str(out)]) == 0
    text = out.read_text("utf-8")
    start = text.index("Table: The estimates that carry most of the budget")
    table = text[start : text.index("###", start)]
    assert "| Stage | Service | Cost line | Estimated inputs |" in table
    assert (
        "| Increasing decline | Home care (personal care) | Home care worker "
        "| contacts per week; minutes per contact; uptake |" in table
    )
    assert "increasing-decline/" not in table
    assert "homecare-worker" not in table


def test_charts_name_roles_and_parameters(default_cost: CostResult) -> None:
    pytest.importorskip("matplotlib")
    from careprofiles.outputs.charts import cost_plot

    figure = cost_plot(default_cost)
    labels = [t.get_text() for ax in figure.axes for t in ax.get_yticklabels()]
    assert "Home care worker" in labels
    assert "homecare-worker" not in labels


def test_changes_name_their_addresses(names: Names) -> None:
    """A scenario's change reads with names, its figures and verb as they were."""
    assert names.change("set last-days/gp-home-visit/uptake to 0.3") == (
        f"set {names.address('last-days/gp-home-visit/uptake')} to 0.3"
    )
    assert names.change("scale tariff/gp by 1.1") == (
        f"scale {names.address('tariff/gp')} by 1.1"
    )
    assert names.address("tariff/gp") != "tariff/gp"
    assert names.change("add service day-care to last-days") == (
        f"add service day-care to {names.stage('last-days')}"
    )
    stage, service = "increasing-decline", "carer-support"
    assert names.change(f"remove {stage}/{service}") == (
        f"remove {names.stage(stage)} · {names.service(stage, service)}"
    )
    assert names.change("something else") == "something else"
