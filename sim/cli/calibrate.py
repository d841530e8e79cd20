"""Command line for calibration: ``flightsim calibrate TARGETS`` (ABC-SMC, then the fit report)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from sim.cli.common import check_out, positive_int
from sim.errors import InputError

SYNOPSIS = (
    "flightsim calibrate TARGETS [--population N] [--generations G] [--scale S] [--out DIR] "
    "[--resume] [--jobs J] [--scheduler ADDRESS] [--scale-check R] [--quiet] [--check]"
)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``flightsim calibrate`` to the command line."""
    p = subparsers.add_parser(
        "calibrate",
        help="fit world parameters to the reported figures by ABC-SMC; write posterior and report",
        description="Fit the world parameters of a targets file by ABC-SMC (pyabc); write "
        "posterior.parquet, fitted.yaml, fit.csv, report.md and plots/ into the output folder. "
        "The history database there lets an interrupted calibration --resume.",
    )
    p.add_argument("targets", help="targets and priors file, e.g. calibration/targets.yaml")
    p.add_argument("--population", type=positive_int, help="particles per generation (default 200)")
    p.add_argument(
        "--generations",
        type=positive_int,
        default=5,
        help="generations in all, the prior's included (default 5)",
    )
    p.add_argument(
        "--scale", type=positive_int, help="real officials per agent (default: settings.scale)"
    )
    p.add_argument("--out", help="output folder (default: the targets file's folder)")
    p.add_argument("--resume", action="store_true", help="continue the calibration in --out")
    p.add_argument("--jobs", type=positive_int, help="local worker processes (default: CPU count)")
    p.add_argument(
        "--scheduler",
        help="Dask scheduler address (e.g. tcp://host:8786) instead of local processes",
    )
    p.add_argument(
        "--scale-check",
        type=int,
        default=4,
        metavar="R",
        help="replicates of the fitted baseline at scale 1, to check the scale's bias (0: skip)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress display")
    p.add_argument(
        "--check", action="store_true", help="only validate the targets file and its scenario"
    )
    p.set_defaults(func=cmd_calibrate)


def cmd_calibrate(args: argparse.Namespace) -> int:
    # imported when the command runs: pyabc alone takes about 3 s to import
    from sim.calibrate.abc import DB_NAME, STATE_NAME, make_sampler, run_abc, targets_hash
    from sim.calibrate.report import write_outputs
    from sim.calibrate.targets import load_targets
    from sim.runs.replicates import default_jobs

    spec = load_targets(args.targets)
    if args.check:
        print(
            f"{args.targets}: valid ({len(spec.targets)} targets, {len(spec.priors)} priors, "
            f"{spec.settings.scenario} to {spec.end})"
        )
        return 0
    out = check_out(args.out) or Path(args.targets).parent
    state_file = out / STATE_NAME
    population = args.population
    scale = args.scale or spec.settings.scale
    if args.resume:
        if not state_file.exists() or not (out / DB_NAME).exists():
            raise InputError(
                f"{out}: --resume: no calibration to resume here ({DB_NAME} not found)"
            )
        state = json.loads(state_file.read_text(encoding="utf-8"))
        if state.get("targets_hash") != targets_hash(spec):
            raise InputError(
                f"{args.targets}: --resume: targets or priors changed since the calibration began"
            )
        for name, given in (("population", population), ("scale", args.scale)):
            if given is not None and given != state[name]:
                raise InputError(
                    f"{out}: --resume: --{name} {given} differs from the run's {state[name]}"
                )
        population, scale = state["population"], state["scale"]
    elif (out / DB_NAME).exists():
        raise InputError(
            f"{out / DB_NAME}: a calibration exists here; pass --resume or another --out"
        )
    population = population or 200
    jobs = args.jobs or default_jobs()
    sampler, close, executor = make_sampler(jobs, args.scheduler)
    try:
        history, state = run_abc(
            spec,
            out,
            population,
            args.generations,
            scale,
            args.resume,
            jobs,
            sampler,
            not args.quiet,
        )
        written = write_outputs(
            spec, out, history, state, jobs, executor, not args.quiet, max(args.scale_check, 0)
        )
    finally:
        close()
    for path in written:
        print(f"wrote {path}")
    return 0
