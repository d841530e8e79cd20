"""The ``flightsim`` command: builds the parser from each command module and maps every error to
its exit status and one line on standard error, in one place.

Thin by design: each command parses its arguments, loads inputs, calls one library function and
reports. Bad input of any kind prints one line naming the file and field and exits with status 2,
without a traceback and without creating an output folder. Ctrl-C prints one line and exits
with 130. A reader that stops early (``flightsim schema | head``) ends the command quietly with
status 141, as a command killed by SIGPIPE would (what ``set -o pipefail`` expects).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from sim import __version__
from sim.cli import calibrate, compare, explore, run, sensitivity
from sim.errors import FlightsimError

EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="flightsim",
        description="Agent-based simulation of official flight abroad and repatriation policy.",
    )
    parser.add_argument("--version", action="version", version=f"flightsim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in (run, compare, calibrate, sensitivity, explore):
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        status = int(args.func(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
        return status
    except FlightsimError as exc:
        print(f"flightsim: error: {exc}", file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt:
        print("flightsim: interrupted; no partial output was kept", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # Python's recipe: point standard output at devnull so the final flush cannot fail
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE


if __name__ == "__main__":
    raise SystemExit(main())
