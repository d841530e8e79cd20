"""What every command shares: argument types, the run options, the output folder check and the
executor a ``--scheduler`` option asks for.

Output folders follow one rule (:mod:`sim.files`): a command replaces only a folder that
flightsim wrote, recognised by its manifest, and only with ``--force``; anything else is
refused with one line and exit status 2 before any work starts. Paths are used as written.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from contextlib import contextmanager

from sim.runs.cluster import check_address, open_client


def whole_number(minimum: int) -> Callable[[str], int]:
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


positive_int = whole_number(1)
non_negative_int = whole_number(0)


def add_run_options(p: argparse.ArgumentParser, default_out: str) -> None:
    """Options shared by ``run`` and ``compare``; ``default_out`` is named in the help."""
    p.add_argument("--replicates", type=positive_int, help="replicates (default: run.replicates)")
    p.add_argument("--seed", type=non_negative_int, help="root seed (default: run.seed)")
    p.add_argument("--out", help=f"output folder, used as written (default: {default_out})")
    p.add_argument(
        "--force",
        action="store_true",
        help="replace --out if it holds an earlier flightsim result of this command "
        "(recognised by its manifest.json); never any other folder",
    )
    p.add_argument("--jobs", type=positive_int, help="worker processes (default: CPU count)")
    p.add_argument(
        "--scheduler",
        metavar="tcp://HOST:PORT",
        help="run the replicates on a running Dask scheduler instead of local processes",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--set",
        action="append",
        dest="sets",
        metavar="PATH=VALUE",
        help="override a scenario value, e.g. world.decision.flee_constant=-2.5 (a YAML 1.2 "
        "value; repeatable; recorded in the manifest)",
    )


@contextmanager
def executor_from(args: argparse.Namespace) -> Iterator[Executor | None]:
    """The executor the run options ask for: a Dask cluster's, or None for the local pool."""
    if not getattr(args, "scheduler", None):
        yield None
        return
    check_address(args.scheduler)
    with open_client(scheduler=args.scheduler) as (client, _described):
        yield client.get_executor()
