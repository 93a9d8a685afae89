"""Make the SYNTHETIC activity, outcome and population files of this example.

Every record is invented: patients, areas and delivery are drawn at random (seeded, so
the same seed gives the same files byte for byte) around the bundled adult end-of-life
pathway (``profiles/eol``), with a few departures written in on purpose so that the
audit and the benchmark have something to find:

* ``west`` delivers district nursing to half as many patients as the profile expects,
  and fewer of its patients die in their preferred place;
* ``central`` uses the hospice (inpatient and hospice at home) about twice as much;
* ``north`` records advance care plans more often;
* about 4% of rows are GP telephone calls not tied to a service.

Hospital and ambulance activity (the items of the profiles' hospital and ambulance
services: admissions, bed days, A&E, outpatients, conveyances) is written at exactly the
profile's rates, from a random stream of its own, so that it departs from the profile
only by rounding and the departures written in above stay the ones the audit finds. (In
practice it would come from hospital episode data, not from community records.)

Run from the repository root::

    python examples/audit/make_synthetic.py                      # the shipped files
    python examples/audit/make_synthetic.py --patients 20000 --parquet --out /tmp/big

``--parquet`` writes the activity as a Parquet dataset (a folder of files of
``--chunk`` patients each) for the Dask engine; nothing is held in memory beyond a chunk.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from careprofiles.costing.result import cost  # noqa: E402
from careprofiles.profiles.distributions import base_value  # noqa: E402
from careprofiles.profiles.load import load_pathway  # noqa: E402
from careprofiles.tariffs.tables import load_tariff  # noqa: E402

HERE = Path(__file__).resolve().parent
SEED = 20240401
PATIENTS = 110
AREAS = {"north": 62_000, "south": 48_000, "east": 55_000, "west": 40_000, "central": 45_000}
"""Resident populations (illustrative; 250,000 in all, as the bundled cohort)."""
UPTAKE_FACTOR = {
    "west": {"district-nursing": 0.5},
    "central": {"hospice-inpatient": 2.0, "hospice-at-home": 1.8, "hospice-at-home-night": 1.8},
}
"""How an area's uptake of a service departs from the profile (a multiplier)."""
OUTCOME_SHIFT = {"west": {"died-in-preferred-place": -0.3}, "north": {"acp-recorded": 0.15}}
"""How an area's outcome rates depart from the rest (added to the share)."""
COMPLETENESS = 0.9
"""Share of patients in a stage with a value for each of its outcomes."""
FIRST_DAY = np.datetime64("2024-04-01")
WINDOWS = {  # days relative to death in which a stage's activity falls
    "advancing-disease": (-365, -183),
    "increasing-decline": (-182, -8),
    "last-days": (-7, 0),
    "after-death": (0, 364),
}


def _count(rng: np.random.Generator, mean: float, size: int) -> np.ndarray:
    """Contacts or units for each recipient: Poisson around the profile's figure
    (at least 1: they received the service), exact for one-off figures."""
    if mean <= 1.0:
        return np.full(size, max(round(mean), 1), dtype=np.int64)
    return np.maximum(rng.poisson(mean, size), 1)


def _hospital(service_lines: pd.DataFrame) -> bool:
    """A hospital or ambulance service of items only (written at exactly its rates)."""
    items_only = bool((service_lines["kind"] == "item").all())
    setting = str(service_lines["setting"].iloc[0])
    return items_only and (setting == "hospital" or service_lines["service"].iloc[0] == "ambulance")


def _exact(
    rng: np.random.Generator,
    stage: str,
    service: str,
    lines: pd.DataFrame,
    inside: np.ndarray,
    ids: np.ndarray,
    area: np.ndarray,
    death: np.ndarray,
) -> list[pd.DataFrame]:
    """Rows of a hospital service at exactly its profile rates: round(uptake x patients)
    recipients, and of each item floor(units) each plus one more for a rounded share of them,
    so that the total is the profile's to within one unit."""
    uptake = float(lines["uptake"].iloc[0])
    recipients = rng.permutation(inside)[: round(uptake * len(inside))]
    pieces = []
    for line in cast(Any, lines).itertuples():
        units = float(line.contacts)
        whole = int(np.floor(units))
        extra = np.zeros(len(recipients), dtype=np.int64)
        extra[rng.permutation(len(recipients))[: round((units - whole) * len(recipients))]] = 1
        quantity = whole + extra
        who = recipients[quantity > 0]
        pieces.append(
            _rows(
                rng,
                stage,
                service,
                line.code,
                who,
                np.full(len(who), np.nan),
                quantity[quantity > 0].astype(float),
                ids,
                area,
                death,
            )
        )
    return pieces


def _activity(
    rng: np.random.Generator, first: int, n: int, hospital_rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Activity and outcomes of patients ``first`` .. ``first + n - 1``."""
    pathway = load_pathway()
    lines = cost(pathway, load_tariff()).lines
    ids = np.array([f"P{first + i:05d}" for i in range(n)], dtype=object)
    names = list(AREAS)
    weights = np.array(list(AREAS.values()), dtype=float)
    area = np.array(names, dtype=object)[rng.choice(len(names), n, p=weights / weights.sum())]
    death = rng.integers(0, 365, n)
    pieces: list[pd.DataFrame] = []
    outcome_pieces: list[pd.DataFrame] = []
    for stage in pathway.stages:  # a loop over stages and profile lines, not patients
        inside = np.flatnonzero(rng.random(n) < base_value(stage.reach))
        stage_lines = lines[lines["stage"] == stage.id]
        for service_id, service_lines in stage_lines.groupby("service", sort=False):
            if _hospital(service_lines):
                pieces.extend(
                    _exact(
                        hospital_rng,
                        stage.id,
                        str(service_id),
                        service_lines,
                        inside,
                        ids,
                        area,
                        death,
                    )
                )
                continue
            uptake = float(service_lines["uptake"].iloc[0])
            factor = np.array(
                [UPTAKE_FACTOR.get(a, {}).get(str(service_id), 1.0) for a in area[inside]]
            )
            recipients = inside[rng.random(len(inside)) < np.minimum(uptake * factor, 1.0)]
            staff = service_lines[service_lines["kind"] == "staff"]
            contacts = (
                _count(rng, float(staff["contacts"].iloc[0]), len(recipients))
                if len(staff)
                else np.zeros(len(recipients), dtype=np.int64)
            )
            for line in cast(Any, service_lines).itertuples():
                if line.kind == "staff":
                    attended = rng.binomial(contacts, line.share) * int(line.count)
                    who = np.repeat(recipients, attended)
                    usual = line.minutes + line.travel_minutes
                    minutes = np.maximum(np.rint(rng.normal(usual, 0.15 * usual + 1, len(who))), 1)
                    quantity = np.full(len(who), np.nan)
                else:
                    who = recipients
                    minutes = np.full(len(who), np.nan)
                    quantity = _count(rng, float(line.contacts), len(who)).astype(float)
                pieces.append(
                    _rows(
                        rng,
                        stage.id,
                        str(service_id),
                        line.code,
                        who,
                        minutes,
                        quantity,
                        ids,
                        area,
                        death,
                    )
                )
        extra = inside[rng.random(len(inside)) < 0.3]  # a GP call not tied to a service
        pieces.append(
            _rows(
                rng,
                stage.id,
                "",
                "gp",
                extra,
                np.full(len(extra), 10.0),
                np.full(len(extra), np.nan),
                ids,
                area,
                death,
            )
        )
        for outcome in stage.outcomes:
            recorded = inside[rng.random(len(inside)) < COMPLETENESS]
            base = outcome.target if outcome.target is not None else 0.7
            base = base - 0.05 if outcome.direction != "lower" else base + 0.03
            shift = np.array(
                [OUTCOME_SHIFT.get(a, {}).get(outcome.id, 0.0) for a in area[recorded]]
            )
            rate = np.clip(base + shift, 0.0, 1.0)
            outcome_pieces.append(
                pd.DataFrame(
                    {
                        "patient_id": ids[recorded],
                        "outcome": outcome.id,
                        "value": (rng.random(len(recorded)) < rate).astype(np.int64),
                        # the patient's area: a patient may have an outcome recorded and no
                        # activity at all, and benchmark needs the area of every outcome
                        "area": area[recorded],
                    }
                )
            )
    activity = pd.concat(pieces, ignore_index=True)
    activity = activity.sort_values(["date", "patient_id"], kind="stable").reset_index(drop=True)
    outcomes = pd.concat(outcome_pieces, ignore_index=True)
    return activity, outcomes


def _rows(
    rng: np.random.Generator,
    stage: str,
    service: str,
    code: str,
    who: np.ndarray,
    minutes: np.ndarray,
    quantity: np.ndarray,
    ids: np.ndarray,
    area: np.ndarray,
    death: np.ndarray,
) -> pd.DataFrame:
    low, high = WINDOWS[stage]
    day = death[who] + rng.integers(low, high + 1, len(who))
    return pd.DataFrame(
        {
            "patient_id": ids[who],
            "stage": stage,
            "service": service,
            "code": code,
            "minutes": pd.array(minutes, dtype="Int64"),
            "quantity": pd.array(quantity, dtype="Int64"),
            "area": area[who],
            "date": (FIRST_DAY + day.astype("timedelta64[D]")).astype(str),
        }
    )


def _chunks(total: int, size: int) -> Iterator[tuple[int, int]]:
    for first in range(1, total + 1, size):
        yield first, min(size, total + 1 - first)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=PATIENTS, help="patients to invent")
    parser.add_argument("--seed", type=int, default=SEED, help="random seed")
    parser.add_argument("--out", type=Path, default=HERE, help="folder to write to")
    parser.add_argument(
        "--parquet",
        action="store_true",
        help="write the activity as a Parquet dataset (activity/ folder)",
    )
    parser.add_argument("--chunk", type=int, default=5_000, help="patients per Parquet file")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    hospital_rng = np.random.default_rng(args.seed + 1)
    outcomes = []
    if args.parquet:
        folder = args.out / "activity"
        folder.mkdir(exist_ok=True)
        for part, (first, n) in enumerate(_chunks(args.patients, args.chunk)):
            activity, chunk_outcomes = _activity(rng, first, n, hospital_rng)
            activity.to_parquet(folder / f"part-{part:04d}.parquet", index=False)
            outcomes.append(chunk_outcomes)
        print(f"wrote {folder}/ ({args.patients:,} patients)")
    else:
        activity, chunk_outcomes = _activity(rng, 1, args.patients, hospital_rng)
        activity.to_csv(args.out / "activity.csv", index=False, lineterminator="\n")
        outcomes.append(chunk_outcomes)
        print(f"wrote {args.out / 'activity.csv'} ({len(activity):,} rows)")
    pd.concat(outcomes, ignore_index=True).to_csv(
        args.out / "outcomes.csv", index=False, lineterminator="\n"
    )
    pd.DataFrame({"area": list(AREAS), "population": list(AREAS.values())}).to_csv(
        args.out / "populations.csv", index=False, lineterminator="\n"
    )
    print(f"wrote {args.out / 'outcomes.csv'} and {args.out / 'populations.csv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
