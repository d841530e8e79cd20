"""The ``flightsim`` command: builds the parser from each command module and maps every error to
its exit status and one line on standard error, in one place.

Thin by design: each command parses its arguments, loads inputs, calls one library function and
reports. Bad input of any kind prints one line naming the file and field and exits with status 2,
without a traceback and without creating an output folder.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from sim import __version__
from sim.cli import calibrate, compare, run, sensitivity
from sim.errors import FlightsimError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="flightsim",
        description="Agent-based simulation of official flight abroad and repatriation policy.",
    )
    parser.add_argument("--version", action="version", version=f"flightsim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in (run, compare, calibrate, sensitivity):
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except FlightsimError as exc:
        print(f"flightsim: error: {exc}", file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt:
        print("flightsim: interrupted; no partial output was kept", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
