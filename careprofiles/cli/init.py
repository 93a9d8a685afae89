"""``careprofiles init``: write a local pathway to start from (the bundled pathway's stage
files, a local tariff of the codes it uses, sample scenarios and a README)."""

from __future__ import annotations

import argparse

from careprofiles.cli._common import Subparsers

HELP = "start a local pathway: stage files, a local tariff, sample scenarios, a README"


def register(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "init",
        parents=[common],
        help=HELP,
        description=(
            "Write a working local pathway into DIR (created if missing; it must be empty "
            "unless --force): the pathway's pathway.yaml and stage files (default: the "
            "bundled adult end-of-life pathway), tariff.csv with the bundled price of each "
            "code it uses and a source column to fill in, a sample scenarios.yaml and a "
            "README.md saying what to edit first. Until you edit it, 'careprofiles cost DIR "
            "--tariff DIR/tariff.csv' gives the bundled figures."
        ),
    )
    p.add_argument("dir", metavar="DIR", help="the folder to write (new or empty)")
    p.add_argument(
        "--from",
        dest="source",
        metavar="PATHWAY",
        help="the pathway to copy: a folder or its pathway.yaml (default: the bundled one)",
    )
    p.add_argument(
        "--tariff",
        action="append",
        metavar="FILE",
        help="the tariff whose prices tariff.csv takes; repeat to layer files, later ones "
        "win; 'bundled' is the bundled tariff (default)",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="write into DIR even if it is not empty (files of the same names are replaced)",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from careprofiles.outputs.starter import init_pathway

    init_pathway(args.dir, args.source, tariff=args.tariff, force=args.force)
    return 0
