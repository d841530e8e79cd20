"""Command line: ``flightsim run | validate | schema`` (and the commands other modules register).

Thin by design: parse arguments, load inputs, call one library function, report. Bad input of
any kind prints one line naming the file and field and exits with status 2, without a traceback
and without creating an output folder.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor
from contextlib import contextmanager
from pathlib import Path

from sim import __version__
from sim.scenario_io import ScenarioError, json_schema, load_scenario

EXIT_BAD_INPUT = 2


class InputError(Exception):
    """A command-line input problem reported like a scenario error (exit status 2)."""


def _whole_number(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number of at least ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(
                f"expected a whole number of at least {minimum}, got {value}"
            )
        return value

    return parse


positive_int = _whole_number(1)
non_negative_int = _whole_number(0)


def check_out(out: str | None) -> Path | None:
    """An output folder argument: must not be an existing file."""
    if out is None:
        return None
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise InputError(f"{out}: --out: exists and is not a folder")
    return path


def add_run_options(p: argparse.ArgumentParser) -> None:
    """Options shared by ``run`` and ``compare``."""
    p.add_argument("--replicates", type=positive_int, help="replicates (default: run.replicates)")
    p.add_argument("--seed", type=non_negative_int, help="root seed (default: run.seed)")
    p.add_argument("--out", help="output folder (default: results/<name>/)")
    p.add_argument("--jobs", type=positive_int, help="worker processes (default: CPU count)")
    p.add_argument(
        "--scheduler",
        metavar="tcp://HOST:PORT",
        help="run the replicates on a running Dask scheduler instead of local processes",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")


@contextmanager
def executor_from(args: argparse.Namespace) -> Iterator[Executor | None]:
    """The executor the run options ask for: a Dask cluster's, or None for the local pool."""
    if not getattr(args, "scheduler", None):
        yield None
        return
    from sim.cluster import ClusterError, open_client

    try:
        with open_client(scheduler=args.scheduler) as (client, _described):
            yield client.get_executor()
    except ClusterError as exc:
        raise InputError(str(exc)) from None


def cmd_run(args: argparse.Namespace) -> int:
    from sim.runner import run_scenario

    scenario = load_scenario(args.scenario)
    out = check_out(args.out)
    tasks = None
    if getattr(args, "posterior", None):
        from sim.posterior import posterior_tasks

        tasks = posterior_tasks(scenario, Path(args.posterior), args.replicates, args.seed)
    with executor_from(args) as executor:
        folder = run_scenario(
            scenario,
            out=out,
            replicates=args.replicates,
            seed=args.seed,
            jobs=args.jobs,
            executor=executor,
            tasks=tasks,
            show_progress=not args.quiet,
        )
    print(f"wrote {folder}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    for path in args.scenarios:
        scenario = load_scenario(path)
        print(f"{path}: valid ({scenario.meta.name}, {scenario.run.start} to {scenario.run.end})")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    text = json_schema()
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
        print(f"wrote {args.out}")
    else:
        print(text)
    return 0


Registrar = Callable[[argparse._SubParsersAction], None]


def _extensions() -> list[Registrar]:
    """``register(subparsers)`` functions of the optional command modules that are present."""
    import importlib

    found = []
    for module in ("sim.compare_cli", "sim.calibrate_cli", "sim.sensitivity_cli"):
        try:
            found.append(importlib.import_module(module).register)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
    return found


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="flightsim",
        description="Agent-based simulation of official flight abroad and repatriation policy.",
    )
    parser.add_argument("--version", action="version", version=f"flightsim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="run a scenario's replicates and write its run folder")
    p.add_argument("scenario", help="scenario YAML file")
    add_run_options(p)
    p.add_argument("--posterior", help="posterior.parquet: each replicate draws its own parameters")
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("validate", help="check scenario files without running them")
    p.add_argument("scenarios", nargs="+", help="scenario YAML files")
    p.set_defaults(func=cmd_validate)
    p = sub.add_parser("schema", help="print the JSON schema of scenario files")
    p.add_argument("--out", help="write it to this file")
    p.set_defaults(func=cmd_schema)
    for register in _extensions():
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ScenarioError, InputError) as exc:
        print(f"flightsim: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("flightsim: interrupted; no partial output was kept", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
