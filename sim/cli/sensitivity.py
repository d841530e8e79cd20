"""Command line for sweeps: ``flightsim sensitivity SWEEP.yaml [options]`` (run, resume, analyse).

Runs every run not yet recorded in the output folder on a Dask cluster (a loopback LocalCluster
by default, ``--scheduler`` for a running one, ``--cluster slurm`` for SLURM jobs), then writes
the indices, plots, report and manifest. Rerunning into the same folder, or ``--resume``,
completes an interrupted sweep. One driver at a time: the folder is locked
(:class:`sim.files.FolderLock`) while a sweep writes into it. Bad input exits with status 2; a
sweep whose runs failed exits with status 1 after naming the runs to look at.

``flightsim sensitivity prim RESULTS --goal "OUTPUT >= X"`` runs scenario discovery (PRIM,
:mod:`sim.sensitivity.discovery`) over a finished sweep folder; ``--goal`` given with a sweep
file does the same once the sweep is analysed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sim.cli.common import positive_int
from sim.errors import EXIT_INCOMPLETE, InputError
from sim.files import FolderLock, check_place
from sim.runs.cluster import check_address

if TYPE_CHECKING:  # the engine imports SALib and pandas: only its type is needed here
    from sim.sensitivity.engine import Plan


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``flightsim sensitivity`` to the main parser."""
    p = subparsers.add_parser(
        "sensitivity",
        help="run a sensitivity sweep (Sobol', Morris, eFAST) on Dask and analyse it",
        description="Run a sweep file's runs on a Dask cluster, streaming results to --out, "
        "then write indices, convergence check, plots and report.md. "
        "`flightsim sensitivity prim RESULTS --goal 'OUTPUT >= X'` finds, by PRIM, the box of "
        "sampled conditions under which a finished sweep's output meets the goal.",
    )
    p.add_argument(
        "sweep", help="sweep YAML file (scenarios/sweeps/*.yaml), or `prim` for discovery"
    )
    p.add_argument("results", nargs="?", help="with `prim`: a finished sweep folder")
    p.add_argument(
        "--goal",
        help="scenario discovery: 'OUTPUT >= NUMBER' (or >, <=, <) over the sweep's outputs, "
        "e.g. 'returned_2026_2035 >= 0.10'; writes prim-<goal>/ (box, trajectory, plots)",
    )
    p.add_argument(
        "--min-density",
        type=float,
        default=0.8,
        help="PRIM: choose the box with the highest coverage whose density reaches this "
        "(default 0.8; else the densest)",
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument("--scheduler", help="address of a running Dask scheduler (tcp://HOST:PORT)")
    where.add_argument(
        "--cluster",
        choices=("local", "slurm"),
        default="local",
        help="start a LocalCluster on 127.0.0.1 (default) or SLURM worker jobs",
    )
    p.add_argument("--workers", type=positive_int, help="workers (local: CPU count; slurm: 2 jobs)")
    p.add_argument(
        "--out", help="output folder, used as written (default: results/sweeps/<name>[-n<N>]/)"
    )
    p.add_argument("--resume", action="store_true", help="complete the sweep already in --out")
    p.add_argument(
        "--sample-size",
        type=positive_int,
        help="replace the file's sample_size (e.g. to try a sweep quickly)",
    )
    p.add_argument("--batch-size", type=positive_int, help="runs per Dask task")
    p.add_argument("--analyse-only", action="store_true", help="only analyse a finished --out")
    p.add_argument("--slurm-queue", help="SLURM partition for worker jobs")
    p.add_argument("--slurm-account", help="SLURM account for worker jobs")
    p.add_argument("--slurm-walltime", default="01:00:00", help="walltime per worker job")
    p.add_argument("--slurm-memory", default="2GB", help="memory per worker job")
    p.add_argument("--slurm-interface", help="network interface workers use (e.g. ib0)")
    p.add_argument("--slurm-log-directory", help="folder for the worker jobs' logs")
    p.add_argument(
        "--slurm-host", help="address the scheduler listens on, reachable from compute nodes"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_sensitivity)


def cmd_sensitivity(args: argparse.Namespace) -> int:
    """Run (or resume) a sweep, then analyse it."""
    # imported when the command runs: Dask, SALib and matplotlib take seconds to import
    from sim.sensitivity.engine import plan_from_sweep, prepare_folder
    from sim.sensitivity.sweep import load_sweep

    if args.sweep == "prim":
        if not args.results or not args.goal:
            raise InputError("usage: flightsim sensitivity prim RESULTS --goal 'OUTPUT >= X'")
        return _prim(Path(args.results), args.goal, args.min_density, args.out)
    if args.results:
        raise InputError(f"{args.results}: a second argument is only taken after `prim`")
    loaded = load_sweep(args.sweep, sample_size=args.sample_size)
    if args.scheduler:
        check_address(args.scheduler)
    suffix = f"-n{args.sample_size}" if args.sample_size else ""
    out = check_place(args.out or Path("results") / "sweeps" / f"{loaded.sweep.name}{suffix}")
    plan = plan_from_sweep(loaded)
    with FolderLock(out):
        prepare_folder(out, plan, resume=args.resume or args.analyse_only)
        return _sweep(args, out, plan)


def _sweep(args: argparse.Namespace, out: Path, plan: Plan) -> int:
    """Run what is missing of a prepared, locked sweep folder, then analyse it."""
    # imported when the command runs: Dask, SALib and matplotlib take seconds to import
    from concurrent.futures import CancelledError

    from distributed import KilledWorker

    from sim.runs.cluster import SlurmOptions, open_client
    from sim.sensitivity.engine import execute
    from sim.sensitivity.report import write_results

    sessions_file = out / "sessions.jsonl"
    cluster_info: dict = {}
    if not args.analyse_only:
        slurm = SlurmOptions(
            queue=args.slurm_queue,
            account=args.slurm_account,
            walltime=args.slurm_walltime,
            memory=args.slurm_memory,
            interface=args.slurm_interface,
            log_directory=args.slurm_log_directory,
            host=args.slurm_host,
        )
        started = datetime.now(UTC).isoformat(timespec="seconds")
        began = time.perf_counter()
        try:
            with open_client(args.scheduler, args.cluster, args.workers, slurm) as (client, info):
                cluster_info = info
                if not args.quiet:
                    print(
                        f"flightsim: {plan.n_runs} runs of {plan.name} on {info['kind']} "
                        f"({info['workers']} workers) into {out}",
                        file=sys.stderr,
                    )
                session = execute(plan, out, client, not args.quiet, args.batch_size)
        except (KilledWorker, CancelledError, OSError, TimeoutError) as exc:
            print(
                f"flightsim: error: the sweep stopped ({type(exc).__name__}: {exc}); finished "
                f"runs are kept in {out}: rerun the same command to resume",
                file=sys.stderr,
            )
            return EXIT_INCOMPLETE
        except KeyboardInterrupt:
            print(
                f"flightsim: interrupted; finished runs are kept in {out} (rerun to resume)",
                file=sys.stderr,
            )
            return 130
        record = {
            "started": started,
            "wall_seconds": round(time.perf_counter() - began, 3),
            "runs_done": session.runs_done,
            "runs_before": session.runs_before,
            "runs_per_second": round(session.runs_done / max(session.wall_seconds, 1e-9), 3),
            "batch_size": session.batch_size,
            "cluster": {k: v for k, v in info.items() if k != "job_script"},
        }
        with open(sessions_file, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record) + "\n")
    sessions = _sessions(sessions_file)
    if not cluster_info and sessions:
        cluster_info = sessions[-1].get("cluster", {})
    summary = write_results(out, plan, sessions, cluster_info)  # IncompleteSweep: exit 1
    verdict = (
        "converged"
        if summary["converged"]
        else (f"NOT converged; try --sample-size {summary['recommended_sample_size']}")
    )
    print(f"wrote {out} ({verdict})")
    if args.goal:
        return _prim(out, args.goal, args.min_density, None)
    return 0


def _prim(folder: Path, goal_text: str, min_density: float, out: str | None) -> int:
    """Scenario discovery over a finished sweep folder; the PRIM folder's path is printed."""
    try:
        # imported when the command runs: prim is an optional extra, matplotlib is slow
        from sim.sensitivity.discovery import (
            check_destination,
            discover,
            parse_goal,
            slug,
            sweep_points,
            write_discovery,
        )
    except ModuleNotFoundError as exc:
        if exc.name != "prim":
            raise
        raise InputError(
            "scenario discovery needs the prim package: pip install 'flightsim[discovery]' "
            "(or pip install 'prim>=1.0,<1.1')"
        ) from None

    if not 0 < min_density <= 1:
        raise InputError(f"--min-density: expected a share in (0, 1], got {min_density}")
    X, Y, _ = sweep_points(folder)
    goal = parse_goal(goal_text, list(Y.columns))
    dest = Path(out) if out else folder / slug(goal)
    check_destination(dest)
    found = discover(X, Y[goal.output].to_numpy(), goal, min_density=min_density)
    write_discovery(found, folder, dest, {"min_density": min_density})
    s = found.stats
    print(
        f"wrote {dest} (box: coverage {s['coverage']:.0%}, density {s['density']:.0%}, "
        f"mass {s['mass']:.0%}, {s['restricted']} restricted parameter(s))"
    )
    return 0


def _sessions(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
