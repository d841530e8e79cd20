"""Command line: ``flightsim compare BASE.yaml POLICY.yaml [POLICY2.yaml ...]``."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.cli.common import add_run_options, check_out, executor_from
from sim.errors import InputError
from sim.scenario.io import load_scenario, parse_sets
from sim.scenario.limits import check_replicates

DESCRIPTION = """\
Run a base scenario and one or more policies with the same replicate keys (common random
numbers) and report, for each outcome and policy, the mean paired difference against the base
with a 95% bootstrap interval, the share of futures in which the policy is better, and the
number of replicates. Writes effects, per-scenario tables, fan charts, a forest plot and
report.md to results/compare-<policy>/ (or --out).
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``flightsim compare`` to the main parser."""
    p = subparsers.add_parser(
        "compare",
        help="paired effects of policies against a base, with intervals and a report",
        description=DESCRIPTION,
    )
    p.add_argument("base", help="base scenario YAML (e.g. scenarios/baseline.yaml)")
    p.add_argument("policies", nargs="+", help="policy scenario YAML files")
    add_run_options(p, default_out="results/compare-<policy>/")
    p.add_argument(
        "--horizon",
        metavar="START:END",
        help="months outcomes are measured over, e.g. 2015-01:2030-12 "
        "(default: from the first month any policy differs from the base to the run's end)",
    )
    p.add_argument(
        "--posterior",
        help="posterior.parquet: replicate k of every scenario uses the same parameter draw",
    )
    p.set_defaults(func=cmd_compare)


def cmd_compare(args: argparse.Namespace) -> int:
    # imported when the command runs (matplotlib and Dask take seconds to import)
    from sim.compare.engine import run_comparison
    from sim.runs.posterior import posterior_tasks

    files = [args.base, *args.policies]
    sets = parse_sets(args.sets)
    scenarios = [load_scenario(f, sets, overrides_from="--set") for f in files]
    check_replicates(scenarios, args.replicates)
    out = check_out(args.out)
    posterior = None
    if args.posterior:
        path = Path(args.posterior)
        if not path.is_file():
            raise InputError(f"{path}: --posterior: file not found")

        def posterior(scenario):
            return posterior_tasks(scenario, path, args.replicates, args.seed)

    with executor_from(args) as executor:
        folder = run_comparison(
            scenarios,
            files,
            out=out,
            replicates=args.replicates,
            seed=args.seed,
            jobs=args.jobs,
            executor=executor,
            horizon=args.horizon,
            posterior=posterior,
            show_progress=not args.quiet,
            extra_manifest={"overrides": sets} if sets else None,
        )
    print(f"wrote {folder} (open {folder / 'report.md'})")
    return 0
