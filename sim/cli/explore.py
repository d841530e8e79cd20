"""Command line: ``flightsim explore [SCENARIO]``, the explorer page on a local web server."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from sim.cli.common import positive_int
from sim.errors import InputError
from sim.scenario.load import load_scenario

DEFAULT_SCENARIO = "scenarios/baseline.yaml"
DEFAULT_POSTERIOR = "calibration/posterior.parquet"
OFFLINE_CDN = "http://127.0.0.1:1/"
"""Where Solara's asset proxy would fetch files missing from solara-assets: nowhere (a closed
port of this machine), so the page never loads anything from outside."""
DESCRIPTION = """\
Start the explorer: a local web page whose sidebar holds the scenario's main levers (pursuit,
campaign, persuasion and exit-control schedules, a new treaty, a new pledge) and whose main
area shows, beside the base, flows and stocks with bands, fugitives abroad by destination on a
world map, returns by channel and the paired effect on the headline outcomes with intervals.
Each change reruns base and scenario at a coarse scale with common random numbers in the
background. The page exports what it shows as a scenario YAML file for `flightsim run` or
`flightsim compare`. Listens on 127.0.0.1 unless --host says otherwise.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``flightsim explore`` to the main parser."""
    p = subparsers.add_parser(
        "explore", help="a local web page: move the levers, see the effect against the base",
        description=DESCRIPTION,
    )  # fmt: skip
    p.add_argument(
        "scenario",
        nargs="?",
        default=DEFAULT_SCENARIO,
        help=f"scenario whose levers the page starts from (default {DEFAULT_SCENARIO})",
    )
    p.add_argument(
        "--base", help=f"base scenario (default {DEFAULT_SCENARIO} when it exists, else SCENARIO)"
    )
    p.add_argument(
        "--posterior",
        help=f"posterior.parquet the page may draw parameters from "
        f"(default {DEFAULT_POSTERIOR} when it exists)",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=positive_int, default=8765, help="port (default 8765)")
    p.add_argument(
        "--jobs",
        type=positive_int,
        default=min(os.cpu_count() or 1, 2),
        help="worker processes for the runs (default: 2, or 1 on one CPU)",
    )
    # fmt: skip
    p.set_defaults(func=cmd_explore)


def explore_environment(args: argparse.Namespace) -> dict[str, str]:
    """The page's settings as environment variables, after checking every file (exit 2)."""
    load_scenario(args.scenario)
    base = args.base or (DEFAULT_SCENARIO if Path(DEFAULT_SCENARIO).is_file() else args.scenario)
    load_scenario(base)
    posterior = args.posterior
    if posterior is None and Path(DEFAULT_POSTERIOR).is_file():
        posterior = DEFAULT_POSTERIOR
    if posterior is not None and not Path(posterior).is_file():
        raise InputError(f"{posterior}: --posterior: file not found")
    return {
        "FLIGHTSIM_EXPLORE_SCENARIO": str(args.scenario),
        "FLIGHTSIM_EXPLORE_BASE": str(base),
        "FLIGHTSIM_EXPLORE_POSTERIOR": str(posterior or ""),
        "FLIGHTSIM_EXPLORE_JOBS": str(args.jobs),
        # the page's JavaScript and CSS are served from the solara-assets package; a file it
        # lacks (KaTeX, for math the page does not use) fails at once instead of being fetched
        "SOLARA_ASSETS_CDN": OFFLINE_CDN,
    }


def cmd_explore(args: argparse.Namespace) -> int:
    os.environ.update(explore_environment(args))
    try:
        # Solara is the optional `explore` extra and takes seconds to import
        from solara.__main__ import run as solara_run
    except ImportError:
        raise InputError(
            "flightsim explore: Solara is not installed; pip install -e '.[explore]'"
        ) from None
    print(f"flightsim explore: http://{args.host}:{args.port}/ (Ctrl-C to stop)", flush=True)
    solara_run.main(
        args=["sim.explore.app", "--host", args.host, "--port", str(args.port), "--no-open",
              "--production", "--no-check-version", "--log-level", "warning"],
        standalone_mode=False,
    )  # fmt: skip
    return 0
