"""One way to turn parameter values into numbers: scenario + overrides -> one run -> outputs.

Calibration (each particle the sampler tries) and sensitivity sweeps (each design point) both need
"set these dotted parameters in a scenario, validate it, run one replicate under a seed, and
read scalar outputs from the run's tables". :class:`ScenarioAdapter` does exactly that; what is
read is a *measure*, a picklable callable of a :class:`~sim.runs.replicates.RunResult`
(calibration: the targets' statistics; sweeps: metrics over periods, :class:`PeriodOutputs`).
Adapters are picklable, so they travel to process pools and Dask workers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from sim.core.metrics import period_value
from sim.runs.replicates import RunResult, run
from sim.scenario.load import with_overrides
from sim.scenario.schema import Scenario

Measure = Callable[[RunResult], Mapping[str, float]]
"""Scalar outputs of one run, by name."""


class ScenarioAdapter:
    """Scenario + parameter overrides -> one run -> scalar outputs.

    Args:
        base: the valid scenario every run starts from.
        file: the file to name when overridden values are rejected by the schema.
        measure: reads the outputs from a run.
    """

    def __init__(self, base: Scenario, file: str, measure: Measure) -> None:
        self.base = base
        self.file = file
        self.measure = measure

    def scenario(self, overrides: Mapping[str, float]) -> Scenario:
        """The base with ``overrides`` (dotted paths) set, validated by the scenario schema.

        Raises:
            ScenarioError: a value the schema rejects, naming :attr:`file` and the path.
        """
        return with_overrides(self.base, overrides, file=self.file)

    def run(self, overrides: Mapping[str, float], replicate: int, seed: int) -> RunResult:
        """One replicate of the overridden scenario; the overrides are recorded in its params."""
        return run(self.scenario(overrides), replicate, seed, dict(overrides))

    def __call__(
        self, overrides: Mapping[str, float], replicate: int, seed: int
    ) -> dict[str, float]:
        """The measured outputs of one replicate of the overridden scenario."""
        return dict(self.measure(self.run(overrides, replicate, seed)))


class PeriodOutputs:
    """A measure: each ``(label, metric, start, end)`` read with :func:`period_value`.

    Args:
        outputs: output label, metric name and the inclusive ISO months of its period.
    """

    def __init__(self, outputs: Sequence[tuple[str, str, str, str]]) -> None:
        self.outputs = tuple(tuple(o) for o in outputs)

    def __call__(self, result: RunResult) -> dict[str, float]:
        return {
            label: period_value(result.monthly, metric, start, end)
            for label, metric, start, end in self.outputs
        }
