"""One exception hierarchy for everything flightsim reports to a user.

Every error a user can cause derives from :class:`FlightsimError` and carries its exit status:
the command line (:mod:`sim.cli.main`) maps it to one line on standard error and that status, in
one place. Bad input (a file, a field, an option) exits with 2; an analysis that stopped with
work kept (a sweep with missing or failed runs) exits with 1.
"""

from __future__ import annotations

from pathlib import Path

EXIT_BAD_INPUT = 2
EXIT_INCOMPLETE = 1


class FlightsimError(Exception):
    """Base of every error reported to a user; ``exit_status`` is the command's exit code."""

    exit_status = EXIT_BAD_INPUT


class ScenarioError(FlightsimError):
    """Bad input in a file: the file, a dotted field path inside it, and what was expected."""

    def __init__(self, file: str | Path, path: str, message: str) -> None:
        self.file = str(file)
        self.path = path
        self.message = message
        where = f"{self.file}: {path}: " if path else f"{self.file}: "
        super().__init__(where + message)


class InputError(FlightsimError):
    """A command-line input problem (an option, a missing file, an output folder)."""


class ClusterError(InputError):
    """A Dask scheduler or cluster that cannot be reached or started."""


class CompareError(InputError):
    """Comparison input that cannot be compared (different periods, a bad horizon)."""


class SweepError(InputError):
    """A sweep folder that cannot be used (another sweep's folder, a damaged chunk, ...)."""


class AnalysisIncomplete(FlightsimError):
    """An analysis that stopped with its finished work kept (a sweep with missing runs): exit 1."""

    exit_status = EXIT_INCOMPLETE
