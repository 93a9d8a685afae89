"""The context a specification template sees (``careprofiles.specification.context``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from careprofiles.costing.result import CostResult, cost
from careprofiles.profiles.load import load_pathway
from careprofiles.profiles.models import Pathway
from careprofiles.specification.context import CONTEXT_NAMES, spec_context
from careprofiles.tariffs.tables import load_tariff

REPO = Path(__file__).resolve().parents[2]


def test_the_context_has_the_names_a_template_can_use(
    default_pathway: Pathway, default_cost: CostResult
) -> None:
    assert sorted(spec_context(default_pathway, default_cost)) == sorted(CONTEXT_NAMES)


def test_free_text_is_escaped_for_markdown_templates_only(
    tmp_path: Path, write_pathway: Callable[..., Path], write_tariff: Callable[..., Path]
) -> None:
    from conftest import make_service, make_stage

    stage = make_stage(services=[make_service(name="Visits | *at home*")])
    pathway = load_pathway(write_pathway(tmp_path / "pathway", stages=[stage]))
    result = cost(pathway, load_tariff(write_tariff(tmp_path)))
    markdown = spec_context(pathway, result)
    plain = spec_context(pathway, result, markdown=False)
    assert markdown["stages"][0]["services"][0]["name"] == "Visits \\| \\*at home\\*"
    assert plain["stages"][0]["services"][0]["name"] == "Visits | *at home*"
    assert markdown["costing"]["total"] == plain["costing"]["total"] == "£6,000"


def test_context_keys_do_not_hide_behind_dict_methods(
    default_pathway: Pathway, default_cost: CostResult
) -> None:
    # Jinja looks up attributes first: a key named 'items' would give dict.items
    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                assert not hasattr(dict, key), key
                walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)
        else:
            assert isinstance(value, str | int), type(value)

    walk(spec_context(default_pathway, default_cost))


def test_shares_of_the_total_keep_one_decimal_and_counts_keep_their_digits(
    default_pathway: Pathway, default_cost: CostResult
) -> None:
    # a column of shares must not mix "4%" with "4.6%"; a skill-mix count of 0.125
    # (one member of staff for a group of eight) must not show as 0.12
    shares: list[str] = []
    counts: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                if key == "share_of_total":
                    shares.append(inner)
                elif key == "count":
                    counts.append(inner)
                else:
                    walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    walk(spec_context(default_pathway, default_cost))
    assert shares
    assert all(re.fullmatch(r"\d+\.\d%", s) for s in shares), shares
    fractional = {
        line.count
        for stage in default_pathway.stages
        for service in stage.services
        for line in service.staff
        if line.count != int(line.count)
    }
    for count in fractional:
        assert f"{count:g}" in counts, count


def test_every_context_key_is_documented(
    default_pathway: Pathway, default_cost: CostResult
) -> None:
    docs = (REPO / "docs" / "templates.md").read_text(encoding="utf-8")
    keys: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                keys.add(key)
                walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    walk(spec_context(default_pathway, default_cost))
    missing = sorted(key for key in keys if f"`{key}`" not in docs)
    assert not missing, f"keys not in docs/templates.md: {missing}"
