"""``careprofiles schema``: the JSON Schema of the pathway and stage formats."""

from __future__ import annotations

import argparse
import json

from careprofiles.cli._common import Subparsers, add_output, emit, output_format
from careprofiles.profiles.schema import json_schema


def register(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "schema",
        parents=[common],
        help="print the JSON Schema of the file formats (for editors)",
        description="Print the JSON Schema of pathway.yaml and of stage files.",
    )
    p.add_argument(
        "which",
        nargs="?",
        choices=("stage", "pathway", "all"),
        default="all",
        metavar="SCHEMA",  # what argparse's errors call it: "argument SCHEMA: invalid choice"
        help="stage (a stage file's schema), pathway (pathway.yaml's) or all (either; the default)",
    )
    add_output(p, ("json",), default="json")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    output_format(args)
    emit(args, json.dumps(json_schema(args.which), indent=2) + "\n")
    return 0
