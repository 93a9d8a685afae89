"""How the specification says things in words (``careprofiles.specification.wording``)."""

from __future__ import annotations

import pytest

from careprofiles.specification.wording import (
    count,
    frequency_words,
    plural,
    sentence_list,
    share,
    short_name,
    target_text,
)


@pytest.mark.parametrize(
    ("kind", "value", "words"),
    [
        ("per_week", 2, "2 contacts a week"),
        ("per_week", 1, "1 contact a week"),
        ("per_week", 0.231, "1 contact a month"),  # 12 a year
        ("per_week", 0.2, "1 contact every 5 weeks"),
        ("per_week", 0.15, "0.15 contacts a week (about 1 every 7 weeks)"),
        ("per_week", 0, "no contacts"),
        ("per_day", 2, "2 contacts a day"),
        ("per_day", 0.5, "3.5 contacts a week"),
        ("per_stage", 1, "1 contact in the stage"),
        ("per_stage", 2.5, "2.5 contacts in the stage"),
    ],
)
def test_frequency_in_words(kind: str, value: float, words: str) -> None:
    assert frequency_words(kind, value) == words


def test_counts_and_shares_as_people_read_them() -> None:
    assert count(1781) == "1,781"
    assert count(2.5) == "2.5"
    assert count(0.125, 3) == "0.125"
    assert count(0.125) == "0.12"
    assert count(-0.001) == "0"
    assert count(float("nan")) == "-"
    assert share(0.65) == "65%"
    assert share(0.125) == "12.5%"
    assert share(0.6504) == "65%"
    assert plural(1, "week") == "1 week"
    assert plural(2.5, "week") == "2.5 weeks"


def test_names_targets_and_lists() -> None:
    assert short_name("Band 6 nurse (community), per hour", "nurse") == "Band 6 nurse"
    assert short_name("Medicines pack: four drugs", "pack") == "Medicines pack"
    assert short_name("  ", "gp") == "gp"
    assert target_text(None, "a / b") == "To be agreed"
    assert target_text(0.8, "deaths at home / deaths") == "80%"
    assert target_text(12.25, "days") == "12.25"
    assert sentence_list([]) == ""
    assert sentence_list(["a"]) == "a"
    assert sentence_list(["a", "b", "c"]) == "a, b and c"
