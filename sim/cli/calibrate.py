"""Command line for calibration: ``flightsim calibrate TARGETS`` (ABC-SMC, then the fit report)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from sim.cli.common import positive_int
from sim.errors import InputError
from sim.files import MANIFEST, FolderRefused, check_place, folder_kind, marker, write_atomic
from sim.runs.cluster import check_address

KIND = "calibration"
RESULTS = Path("results") / "calibration"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``flightsim calibrate`` to the command line."""
    p = subparsers.add_parser(
        "calibrate",
        help="fit world parameters to the reported figures by ABC-SMC; write posterior and report",
        description="Fit the world parameters of a targets file by ABC-SMC with MCMC moves; write "
        "posterior.parquet, fitted.yaml, fit.csv, forecast.csv (the posterior-predictive "
        "forecast after the last target), report.md and plots/ into the output folder. "
        "Its populations.parquet lets an interrupted calibration --resume.",
    )
    p.add_argument("targets", help="targets and priors file, e.g. calibration/targets.yaml")
    p.add_argument("--population", type=positive_int, help="particles (default 200)")
    p.add_argument(
        "--generations",
        type=positive_int,
        default=5,
        help="generations at most, the prior's included (default 5); the sampler may stop "
        "earlier (every target met, or its MCMC steps no longer accepted)",
    )
    p.add_argument(
        "--scale", type=positive_int, help="real officials per agent (default: settings.scale)"
    )
    p.add_argument(
        "--max-rounds",
        type=positive_int,
        help="most rounds of MCMC steps in a generation (default 40); with --resume it applies "
        "from the next generation on",
    )
    p.add_argument(
        "--out",
        help="output folder, used as written (default: results/calibration/<targets file stem>/)",
    )
    p.add_argument("--resume", action="store_true", help="continue the calibration in --out")
    p.add_argument(
        "--overwrite-fit",
        action="store_true",
        help="let --out be a folder flightsim did not write (e.g. the committed calibration/): "
        "its posterior.parquet, fitted.yaml, fit.csv, forecast.csv, report.md and plots/ are "
        "replaced, other files kept",
    )
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
    p.add_argument(
        "--only",
        nargs="+",
        metavar="PREFIX",
        help="use only the targets whose id starts with a PREFIX (e.g. T: window I, the seed's "
        "figures of docs/sources.md section 1), with every prior",
    )
    p.add_argument(
        "--earlier-posterior",
        metavar="PATH",
        help="posterior.parquet of an earlier calibration (or its folder), e.g. on fewer targets: "
        "the report then says how much each stage narrowed each parameter (narrowing.csv)",
    )
    p.add_argument(
        "--stage-labels",
        nargs=2,
        default=("earlier", "this calibration"),
        metavar=("EARLIER", "THIS"),
        help="names of the two stages in that table (e.g. 'window I' 'windows I+II')",
    )
    p.add_argument("--quiet", action="store_true", help="no progress display")
    p.add_argument(
        "--check", action="store_true", help="only validate the targets file and its scenario"
    )
    p.set_defaults(func=cmd_calibrate)


def cmd_calibrate(args: argparse.Namespace) -> int:
    # imported when the command runs: the model and pandas take a while to import
    from sim.calibrate import smc
    from sim.calibrate.abc import targets_hash
    from sim.calibrate.report import write_outputs
    from sim.calibrate.targets import load_targets, only, require_metrics
    from sim.runs.posterior import read_posterior
    from sim.runs.replicates import default_jobs

    spec = load_targets(args.targets)
    if args.only:
        try:
            spec = only(spec, tuple(args.only))
        except ValueError as exc:
            raise InputError(f"{args.targets}: --only: {exc}") from None
    earlier = None
    if args.earlier_posterior:
        found = Path(args.earlier_posterior)
        found = found / "posterior.parquet" if found.is_dir() else found
        if not found.is_file():
            raise InputError(f"{found}: --earlier-posterior: file not found")
        earlier = {args.stage_labels[0]: read_posterior(found)}
    if args.check:
        print(
            f"{args.targets}: valid ({len(spec.targets)} targets, {len(spec.priors)} priors, "
            f"{len(spec.observation)} observation shares, {spec.settings.scenario} to {spec.end})"
        )
        return 0
    out = calibration_folder(args)
    require_metrics(spec)  # before any folder is made: a metric the model lacks cannot be fitted
    state_file = out / smc.STATE_NAME
    population = args.population
    scale = args.scale or spec.settings.scale
    if args.resume:
        if not state_file.exists() or not (out / smc.POPULATIONS_NAME).exists():
            raise InputError(
                f"{out}: --resume: no calibration to resume here ({smc.POPULATIONS_NAME} not found)"
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
    elif (out / smc.POPULATIONS_NAME).exists():
        raise InputError(
            f"{out / smc.POPULATIONS_NAME}: a calibration exists here; pass --resume or "
            "another --out"
        )
    population = population or 200
    jobs = args.jobs or default_jobs()
    if args.scheduler:
        check_address(args.scheduler)  # reached (within a bounded time) by make_executor
    if not (out.is_dir() and any(out.iterdir())):  # a new folder: mark it as this command's
        out.mkdir(parents=True, exist_ok=True)
        write_atomic(out / MANIFEST, json.dumps({**marker(KIND), "targets": str(args.targets)}))
    executor, close = smc.make_executor(jobs, args.scheduler)
    try:
        history, state = smc.run_abc(
            spec,
            out,
            population,
            args.generations,
            scale,
            args.resume,
            jobs,
            executor,
            not args.quiet,
            smc.SmcSettings(max_rounds=args.max_rounds) if args.max_rounds else None,
        )
        written = write_outputs(
            spec,
            out,
            history,
            state,
            jobs,
            executor,
            not args.quiet,
            max(args.scale_check, 0),
            earlier,
            args.stage_labels[1],
        )
    finally:
        close()
    for path in written:
        print(f"wrote {path}")
    return 0


def calibration_folder(args: argparse.Namespace) -> Path:
    """The output folder: ``--out`` as written, or ``results/calibration/<targets stem>/``.

    A calibration writes into a new or empty folder, or one an earlier calibration marked as
    its own (to resume it). A folder of other files (the committed ``calibration/``) is used
    only with ``--overwrite-fit``; a folder of another flightsim command never.

    Raises:
        FolderRefused: any other folder, or one that cannot be written.
    """
    out = Path(args.out) if args.out else RESULTS / Path(args.targets).stem
    check_place(out)
    held = folder_kind(out)
    if held == KIND or not (out.is_dir() and any(out.iterdir())):
        return out
    if held is not None:
        raise FolderRefused(f"{out}: --out: holds a flightsim {held} folder; choose another --out")
    if not args.overwrite_fit:
        raise FolderRefused(
            f"{out}: --out: holds files flightsim did not write (a committed calibration?); "
            "pass --overwrite-fit to replace its fit, or choose another --out"
        )
    return out
