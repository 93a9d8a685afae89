"""``careprofiles audit``: hold activity and outcome records against the care profiles."""

from __future__ import annotations

import argparse

from careprofiles.activity.audit import audit
from careprofiles.activity.records import read_activity
from careprofiles.cli._activity import activity_command, dask_client
from careprofiles.cli._common import Subparsers, emit, inputs_from_args, output_format
from careprofiles.outputs.audit import AUDIT_FORMATS, render_audit


def register(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    p = activity_command(
        sub,
        common,
        "audit",
        help="audit delivered activity and outcomes against the care profiles",
        description=(
            "Cost activity records (one row per contact or item delivered) and hold them "
            "against the pathway's care profiles, stage by stage and service by service: "
            "patients, uptake, contacts, hours and cost per patient in the stage, and each "
            "outcome's achievement and completeness against its target. Services are "
            "listed by how far delivery departs from the profile."
        ),
        formats=AUDIT_FORMATS,
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    fmt = output_format(args)
    pathway, tariff, index = inputs_from_args(args)
    with dask_client(args):
        activity = read_activity(args.activity, engine=args.engine)
        result = audit(pathway, tariff, activity, args.outcomes, index=index)
    emit(args, render_audit(result, fmt))
    return 0
