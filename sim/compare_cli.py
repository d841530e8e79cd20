"""Command line: ``flightsim compare BASE.yaml POLICY.yaml [POLICY2.yaml ...]``."""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path

from sim.cli import InputError, add_run_options, check_out, executor_from
from sim.scenario_io import load_scenario

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
    add_run_options(p)
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


def _posterior(path: str, replicates: int | None, seed: int | None):
    try:
        module = importlib.import_module("sim.posterior")
    except ModuleNotFoundError as exc:
        if exc.name != "sim.posterior":
            raise
        raise InputError(
            f"{path}: --posterior: this installation has no posterior support (sim.posterior)"
        ) from None
    if not Path(path).is_file():
        raise InputError(f"{path}: --posterior: file not found")
    return lambda scenario: module.posterior_tasks(scenario, Path(path), replicates, seed)


def cmd_compare(args: argparse.Namespace) -> int:
    from sim.compare import CompareError, run_comparison

    files = [args.base, *args.policies]
    scenarios = [load_scenario(f) for f in files]
    out = check_out(args.out)
    posterior = _posterior(args.posterior, args.replicates, args.seed) if args.posterior else None
    try:
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
            )
    except CompareError as exc:
        raise InputError(str(exc)) from None
    print(f"wrote {folder} (open {folder / 'report.md'})")
    return 0
