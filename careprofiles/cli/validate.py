"""``careprofiles validate``: load a pathway, report every problem, or summarise it (with
how many of its numbers, and of the tariff's rows, carry each evidence grade); with
``--tariff`` (or ``--index``, ``--market-forces``), also check the pathway against the
tariff as ``cost`` would."""

from __future__ import annotations

import argparse

from careprofiles.cli._common import Subparsers, add_pathway, add_tariff, inputs_from_args
from careprofiles.costing.grades import grade_tally
from careprofiles.errors import display_path
from careprofiles.profiles.load import pathway_file


def register(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "validate",
        parents=[common],
        help="check a pathway's files and summarise it",
        description=(
            "Load a pathway and its care profiles; list every problem with file:line, and "
            "count the evidence grades of its numbers and of the tariff's rows (default: "
            "the bundled tariff). With --tariff (or --index, --market-forces), also check "
            "the pathway against the tariff as cost would: every code priced, staff roles "
            "per hour or contact, items not per hour, every row in the pathway's price "
            "year or uplifted by the index."
        ),
    )
    add_pathway(p)
    add_tariff(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    priced = bool(args.tariff or args.index or args.market_forces is not None)
    pathway, tariff, index = inputs_from_args(args)
    if priced:  # the costing's own checks: imported only when asked for
        from careprofiles.costing.compiler import compile_model

        model = compile_model(pathway, tariff, index=index)
        codes = len(dict.fromkeys(model.columns["code"]))
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
    counts = grade_tally(pathway, tariff)
    print("evidence  numbers: " + ", ".join(f"{n:,} {grade}" for grade, n, _rows in counts))
    print("          tariff rows: " + ", ".join(f"{r:,} {grade}" for grade, _n, r in counts))
    if priced:
        print(
            f"tariff    {', '.join(tariff.names)}: every code priced as cost prices it "
            f"({codes} codes, {len(tariff)} rows, in {pathway.price_year} prices)"
        )
    else:
        print(
            "tariff    not checked; give --tariff FILE (or --tariff bundled) to check that "
            "every code is priced as cost would"
        )
    return 0
