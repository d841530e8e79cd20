"""A sweep's per-run function when its outputs are paired policy effects (``effect:``).

For one sample point, :class:`EffectModel` runs the policy (the sweep's base with every sampled
value) and the reference (without the sampled ``policy.`` values, which belong to the policy)
under the same seed and replicate, so both share their random streams (common random numbers)
and differ only through the policy. Each output is the policy's value against the reference's:
``difference`` (policy - reference), ``ratio`` (policy / reference) or ``relative``
(policy / reference - 1); the two levels are recorded beside it (``<output>.policy``,
``<output>.reference``). Equal values are no effect (ratio 1) even when both are zero; a zero
reference under a non-zero policy gives a non-finite ratio, which the analysis reports as a
failed run rather than dropping it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from sim.runs.adapter import PeriodOutputs, ScenarioAdapter
from sim.scenario.load import with_overrides
from sim.scenario.schema import Scenario
from sim.sensitivity.sweep import Effect, Output

POLICY_PREFIX = "policy."
"""Sampled paths with this prefix set the policy only; the others set both runs."""


def combine(policy: float, reference: float, kind: str) -> float:
    """The effect of one output: ``difference``, ``ratio`` or ``relative`` (ratio - 1).

    Equal values are no effect (ratio 1) even when both are zero.
    """
    if kind == "difference":
        return policy - reference
    if policy == reference:
        return 1.0 if kind == "ratio" else 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = float(np.divide(policy, reference))
    return ratio if kind == "ratio" else ratio - 1.0


class EffectModel:
    """Sampled values -> the paired effect of the policy on each output.

    Args:
        policy: the sweep's resolved base scenario (the policy).
        reference: the resolved reference scenario.
        file: the sweep file (named when a sampled value is rejected).
        outputs: the sweep's outputs (each a metric over a period).
        effect: the sweep's ``effect`` section.
    """

    def __init__(
        self,
        policy: Scenario,
        reference: Scenario,
        file: str,
        outputs: Sequence[Output],
        effect: Effect,
    ) -> None:
        measured = []
        for o in outputs:
            assert o.metric is not None and o.period is not None
            measured.append((o.label, o.metric, o.period[0], o.period[1]))
        measure = PeriodOutputs(measured)
        quiet = {"run.event_log": False}
        self.policy = ScenarioAdapter(with_overrides(policy, quiet, file=file), file, measure)
        self.reference = ScenarioAdapter(with_overrides(reference, quiet, file=file), file, measure)
        self.kind = effect.kind
        self.labels = [m[0] for m in measured]

    def __call__(self, values: Mapping[str, float], seed: int, replicate: int) -> dict[str, float]:
        shared = {k: v for k, v in values.items() if not k.startswith(POLICY_PREFIX)}
        with_policy = self.policy(values, replicate, seed)
        without = self.reference(shared, replicate, seed)
        out: dict[str, float] = {}
        for label in self.labels:
            p, r = float(with_policy[label]), float(without[label])
            out[label] = combine(p, r, self.kind)
            out[f"{label}.policy"] = p
            out[f"{label}.reference"] = r
        return out
