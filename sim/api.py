"""The Python API: load a scenario, change it, run it, compare policies, all without files.

Import these names from the package root (``from sim import load_scenario, compare_policies``);
``README.md`` (section "Python API") and ``docs/api_example.ipynb`` show them at work. They are
the functions the command line uses, so a notebook and ``flightsim`` give the same numbers for
the same scenario, replicate and seed.

May use: every layer (this module sits above them all, beside the CLI); nothing imports it but
the package root.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from sim.compare.engine import compute_comparison, labels_of

# Re-exported as they are (``name as name`` marks a re-export).
from sim.core.metrics import BY_NAME
from sim.core.metrics import yearly as yearly
from sim.errors import CompareError
from sim.errors import FlightsimError as FlightsimError
from sim.runs.replicates import RunResult, replicate_tasks, run_many
from sim.runs.replicates import Task as Task
from sim.runs.replicates import run as run
from sim.scenario.load import load_scenario as load_scenario
from sim.scenario.load import with_overrides as with_overrides
from sim.scenario.schema import Scenario

# The names exported are listed once, in sim/__init__.py (``__all__``).


def run_replicates(
    scenario: Scenario,
    replicates: int | None = None,
    seed: int | None = None,
    jobs: int | None = 1,
) -> list[RunResult]:
    """Run replicates ``0..n-1`` of one scenario.

    Args:
        scenario: a valid scenario (from :func:`load_scenario` or :func:`with_overrides`).
        replicates: how many; defaults to ``scenario.run.replicates``.
        seed: root seed; defaults to ``scenario.run.seed``. Replicate *k* under one seed always
            gives the same result, whatever the number of workers.
        jobs: worker processes (1: in this process; ``None``: one per CPU).

    Returns:
        One :class:`RunResult` per replicate, in replicate order; each holds ``monthly``,
        ``countries`` and ``events`` tables (see :func:`run`).
    """
    return run_many(replicate_tasks(scenario, replicates, seed), jobs=jobs)


def compare_policies(
    base: Scenario,
    *policies: Scenario,
    replicates: int | None = None,
    seed: int | None = None,
    horizon: str | None = None,
    jobs: int | None = 1,
) -> pd.DataFrame:
    """Paired effects of one or more policies against a base, as a table (no files written).

    Replicate *k* of every scenario runs under the same random streams (common random
    numbers), so the effect is the mean paired difference ``policy_k - base_k``, with a 95%
    bootstrap-t interval over replicates, as ``flightsim compare --fixed-parameters`` computes it.

    Args:
        base: the scenario to compare against (e.g. the baseline).
        *policies: one or more scenarios with the same period and scale as ``base``.
        replicates: replicates per scenario (at least 2); defaults to ``base.run.replicates``.
        seed: root seed; defaults to ``base.run.seed``.
        horizon: ``"START:END"`` ISO months over which flows are summed and stocks read at the
            end; by default from the first month any policy differs from the base to the end.
        jobs: worker processes (1: in this process; ``None``: one per CPU).

    Returns:
        One row per (outcome, policy): ``outcome``, ``label`` (in words), ``policy``,
        ``estimate``, ``low``, ``high`` (95% interval), ``p_better`` (share of replicate pairs in
        which the policy does better), ``replicates``, ``unit`` and more. ``attrs["horizon"]``
        holds the ``(start, end)`` months used.

    Raises:
        CompareError: if no policy is given, the scenarios are not comparable, the horizon is
            invalid, or fewer than 2 replicates are asked for.
    """
    if not policies:
        raise CompareError("give at least one policy scenario to compare with the base")
    scenarios: Sequence[Scenario] = [base, *policies]
    comparison = compute_comparison(
        scenarios,
        labels_of(scenarios),
        replicates=replicates,
        seed=seed,
        jobs=jobs,
        horizon=horizon,
        show_progress=False,
    )
    effects = comparison.effects.copy()
    effects.insert(1, "label", [BY_NAME[name].label for name in effects["outcome"]])
    effects.attrs["horizon"] = comparison.horizon
    return effects
