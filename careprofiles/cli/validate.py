"""``careprofiles validate``: load a pathway, report every problem, or summarise it
(with how many of its numbers, and of the tariff's rows, carry each evidence grade)."""

from __future__ import annotations

import argparse

from careprofiles.cli._common import Subparsers, add_pathway, bundled_or
from careprofiles.costing.evidence import grade_counts
from careprofiles.errors import display_path
from careprofiles.profiles.load import load_pathway, pathway_file
from careprofiles.resources import bundled_tariff
from careprofiles.tariffs.tables import load_tariff


def register(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "validate",
        parents=[common],
        help="check a pathway's files and summarise it",
        description="Load a pathway and its care profiles; list every problem with file:line.",
    )
    add_pathway(p)
    p.add_argument(
        "--tariff",
        action="append",
        metavar="FILE",
        help="a tariff CSV whose rows' evidence grades to count; repeat to layer files "
        "(default: the bundled tariff)",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    pathway = load_pathway(args.pathway)
    services = sum(len(s.services) for s in pathway.stages)
    outcomes = sum(len(s.outcomes) for s in pathway.stages)
    roles = pathway.roles()
    print(f"{display_path(pathway_file(args.pathway))}: valid ({pathway.format})")
    print(f"pathway   {pathway.id}: {pathway.name}")
    print(f"price     {pathway.price_year}; cohort {pathway.cohort.size:,.0f} patients a year")
    print(f"stages    {len(pathway.stages)}: {', '.join(s.id for s in pathway.stages)}")
    print(f"services  {services}")
    print(f"roles     {len(roles)}: {', '.join(roles)}")
    print(f"items     {len(pathway.item_codes())}: {', '.join(pathway.item_codes())}")
    print(f"outcomes  {outcomes}")
    tariff = load_tariff(*(bundled_or(t, bundled_tariff) for t in args.tariff or []))
    counts = grade_counts(pathway, tariff)
    print(
        "evidence  numbers: "
        + ", ".join(f"{r.numbers:,} {r.grade}" for r in counts.itertuples())
    )
    print(
        "          tariff rows: "
        + ", ".join(f"{r.tariff_rows:,} {r.grade}" for r in counts.itertuples())
    )
    return 0
