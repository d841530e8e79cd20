"""Command line: ``flightsim compare BASE.yaml POLICY.yaml [POLICY2.yaml ...]``."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.cli.common import add_run_options, executor_from
from sim.errors import InputError
from sim.files import check_out_folder, marker
from sim.scenario.limits import check_replicates
from sim.scenario.load import load_scenario
from sim.scenario.overrides import parse_sets

DEFAULT_POSTERIOR = "calibration/posterior.parquet"

DESCRIPTION = f"""\
Run a base scenario and one or more policies with the same replicate keys (common random
numbers) and report, for each outcome and policy, the mean paired difference against the base
and the relative change, each with a 95% bootstrap-t interval, the share of futures in which
the policy is better, and the number of replicates. By default each replicate draws its
parameters from the calibration posterior ({DEFAULT_POSTERIOR}, the same draw for replicate k
of every scenario) and the same replicates also run with the scenarios' fixed parameters; the
report shows both intervals and marks where their verdicts differ. --fixed-parameters runs the
fixed view only (chance only). Writes effects, per-scenario tables, fan charts, a forest plot
and report.md to results/compare-<first policy's meta.name>/ (with -and-<N>-more when more than
one policy is given), or exactly --out.
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
    add_run_options(p, default_out="results/compare-<first policy's meta.name>[-and-<N>-more]/")
    p.add_argument(
        "--horizon",
        metavar="START:END",
        help="months outcomes are measured over, e.g. 2015-01:2030-12 "
        "(default: from the first month any policy differs from the base to the run's end)",
    )
    views = p.add_mutually_exclusive_group()
    views.add_argument(
        "--posterior",
        default=DEFAULT_POSTERIOR,
        help="posterior table to draw each replicate's parameters from; replicate k of every "
        f"scenario uses the same draw (default: {DEFAULT_POSTERIOR})",
    )
    views.add_argument(
        "--fixed-parameters",
        action="store_true",
        help="keep the scenarios' own parameters (randomness across futures only; no posterior)",
    )
    p.set_defaults(func=cmd_compare)


def cmd_compare(args: argparse.Namespace) -> int:
    # imported when the command runs (matplotlib and Dask take seconds to import)
    from sim.compare.engine import default_name, labels_of, run_comparison
    from sim.runs.posterior import WEIGHT, effective_sample_size, posterior_tasks, read_posterior
    from sim.runs.runner import RESULTS_ROOT

    files = [args.base, *args.policies]
    sets = parse_sets(args.sets)
    scenarios = [load_scenario(f, sets, overrides_from="--set") for f in files]
    check_replicates(scenarios, args.replicates)
    default = RESULTS_ROOT / default_name(labels_of(scenarios))
    out = check_out_folder(args.out or default, "compare", args.force)
    posterior, drawn_from = None, {}
    if not args.fixed_parameters:
        path = Path(args.posterior)
        if not path.is_file():
            raise InputError(
                f"{path}: --posterior: file not found (comparisons draw parameters from the "
                "calibration posterior by default; give --posterior FILE, or --fixed-parameters "
                "for a chance-only comparison)"
            )

        def posterior(scenario):
            return posterior_tasks(scenario, path, args.replicates, args.seed)

        weights = read_posterior(path)[WEIGHT]
        drawn_from = {
            "posterior": str(path),
            "posterior_particles": len(weights),
            "posterior_effective_sample_size": round(effective_sample_size(weights), 1),
        }

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
            fixed=True,
            show_progress=not args.quiet,
            extra_manifest={
                **marker("compare"),
                **drawn_from,
                **({"overrides": sets} if sets else {}),
            },
        )
    print(f"wrote {folder} (open {folder / 'report.md'})")
    return 0
