"""Terminal tables fit 100 columns (issue 15): every command's ``table`` output on the
bundled files, and the table builder's wrapping."""

from __future__ import annotations

from pathlib import Path

import pytest

from careprofiles.cli import main
from careprofiles.outputs.text import TABLE_WIDTH, text_table

REPO = Path(__file__).resolve().parents[2]
EX = REPO / "examples"
AUDIT = ("--activity", str(EX / "audit" / "activity.csv"))
OUTCOMES = ("--outcomes", str(EX / "audit" / "outcomes.csv"))
VARIANTS = (
    "--scenarios",
    str(EX / "scenarios" / "condition-variants.yaml"),
    "--tariff",
    "bundled",
    "--tariff",
    str(EX / "scenarios" / "variant-roles.csv"),
)

COMMANDS = {
    "cost": ("cost",),
    "cost-explain": ("cost", "--explain"),
    "cost-scenario": (
        "cost",
        "--scenarios",
        str(EX / "scenarios" / "service-models.yaml"),
        "--scenario",
        "integrated-home-death",
    ),
    "compare-service-models": (
        "compare",
        "--scenarios",
        str(EX / "scenarios" / "service-models.yaml"),
    ),
    "compare-as-is": ("compare", "--scenarios", str(REPO / "profiles" / "eol" / "as-is.yaml")),
    "compare-variants": ("compare", *VARIANTS),
    "simulate": ("simulate", "--draws", "50", "--seed", "1"),
    "sensitivity": ("sensitivity",),
    "audit": ("audit", *AUDIT, *OUTCOMES),
    "benchmark": (
        "benchmark",
        *AUDIT,
        "--populations",
        str(EX / "audit" / "populations.csv"),
        *OUTCOMES,
    ),
    "standards": ("standards", str(EX / "standards")),
}
"""Each command's table on the bundled files, and where its full table is said to be."""
FULL = {
    "cost-explain": "-o FILE.xlsx",
    "compare-service-models": "--format csv",
    "compare-as-is": "--format csv",
    "compare-variants": "--format csv",
    "simulate": "--format csv",
    "sensitivity": "--format csv",
    "audit": "--format csv",
    "benchmark": "--format csv",
    "standards": "--format json",
}


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_table_fits_100_columns(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(list(COMMANDS[name])) == 0
    out = capsys.readouterr().out
    widths = {line: len(line) for line in out.splitlines() if len(line) > TABLE_WIDTH}
    assert not widths, widths
    if name in FULL:  # says under the table where every column is
        assert FULL[name] in out.splitlines()[-1]


def test_a_wide_table_wraps_its_text_by_hand() -> None:
    rows = [["increasing-decline/district-nursing", "Night sitting for half of patients", "£1,234"]]
    text = text_table(rows, ["address", "name", "cost a year"], width=40, wrap=(0, 1, 2))
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 40
    assert lines[:3] == [
        "address          name             cost a",
        "                                    year",
        "---------------  ---------------  ------",
    ]
    # the figure whole, on its row's first line; the address broken after '/' or '-';
    # the name at spaces
    assert lines[3:] == [
        "increasing-      Night sitting    £1,234",
        "decline/         for half of",
        "district-        patients",
        "nursing",
    ]


def test_a_table_that_fits_is_unchanged() -> None:
    rows = [["a", "£1"], ["bb", "£22"]]
    assert text_table(rows, ["x", "y"], width=100, wrap=(0, 1)) == text_table(rows, ["x", "y"])
    assert text_table(rows, ["x", "y"]).splitlines() == ["x     y", "--  ---", "a    £1", "bb  £22"]
