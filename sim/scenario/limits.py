"""What a scenario would cost to run, estimated before anything runs, and the limits refused.

A run allocates arrays for every official it will ever simulate (those in office at the start
plus all entries, divided by ``run.scale``) and steps every official in office each month. Both
follow in closed form from the population parameters and the period, so a scenario that would
exhaust the machine (a 1,000-year period, ten billion officials, a billion replicates) is
refused with one line instead of running for days or running out of memory.

The constants are measured; the limits are deliberately generous (refusing only what cannot
finish or cannot fit, not what is merely slow).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sim.errors import InputError, ScenarioError
from sim.scenario.schema import Scenario

NS_PER_OFFICIAL_MONTH = 7.4
"""CPU time per simulated official per month, in nanoseconds (measured for issue 9 on
2026-11-28, after the compiled kernels: process CPU time of one warm run of the baseline at
scale 1, one replicate on one core of the development machine under load, over the officials
in office, under investigation, missing or abroad summed over its months; 8.8 before that
work, 13 for issue 10 before the kernels)."""
BYTES_PER_OFFICIAL = 200
"""Memory per simulated official, in bytes (measured for issue 10: peak resident memory of the
baseline at scale 1 over its officials ever simulated; about 60 bytes of state arrays, the rest
temporaries and the event log)."""
MAX_CORE_HOURS = 24.0
"""Longest estimated CPU time accepted for a scenario's replicates (24 hours on one core)."""
MEMORY_SHARE = 1.0
"""Share of this machine's physical memory one run may be estimated to need."""
CENTURY = 1200
"""Months in a hundred years: a population too large for one is blamed, not the period."""


@dataclass(frozen=True)
class Cost:
    """Estimated size of one replicate of a scenario."""

    initial: float
    """Simulated officials in office when the run starts."""
    officials: float
    """Simulated officials ever created (initial plus entries): what the arrays hold."""
    official_months: float
    """Simulated officials in office summed over the months: what the steps process."""

    @property
    def bytes(self) -> float:
        return self.officials * BYTES_PER_OFFICIAL

    @property
    def core_hours(self) -> float:
        return self.official_months * NS_PER_OFFICIAL_MONTH * 1e-9 / 3600.0


def estimate(scenario: Scenario) -> Cost:
    """The cost of one replicate, following :func:`sim.core.population.entry_schedule`.

    The stock in office grows as ``N0 (1 + g)^t``; entries replace retirements (stock over the
    mean career each month) and add the growth. Sums are geometric series; anything too large
    for a float is infinite.
    """
    pop = scenario.world.population
    n0 = float(max(round(pop.initial_officials / scenario.run.scale), 1))
    months = scenario.n_steps
    rate = math.log1p(pop.growth_per_year) / 12.0
    exponent = months * rate
    if exponent > 700.0:
        return Cost(n0, math.inf, math.inf)
    steady = rate == 0.0
    official_months = n0 * months if steady else n0 * math.expm1(exponent) / math.expm1(rate)
    final = n0 * math.exp(exponent)
    entries = official_months / (pop.career_years * 12.0) + max(final - n0, 0.0)
    return Cost(n0, n0 + entries, official_months)


def physical_memory() -> int | None:
    """Bytes of physical memory of this machine, or None where the system does not say."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def check_run(scenario: Scenario, file_of: Callable[[str], str | Path]) -> None:
    """Refuse a scenario whose replicates would not fit in memory or take over a day.

    Args:
        scenario: a valid scenario.
        file_of: the file that set a dotted path (how errors name it).

    Raises:
        ScenarioError: naming ``world.population.initial_officials`` when the population alone
            is too large, ``run.end`` when the period (and the growth over it) is, and
            ``run.replicates`` when one run fits but all of them take too long.
    """
    cost = estimate(scenario)
    memory = physical_memory()
    too_big = memory is not None and cost.bytes > memory * MEMORY_SHARE
    too_long = cost.core_hours > MAX_CORE_HOURS
    if too_big or too_long:
        alone = Cost(cost.initial, cost.initial, cost.initial * CENTURY)
        crowded = (memory is not None and alone.bytes > memory * MEMORY_SHARE) or (
            alone.core_hours > MAX_CORE_HOURS
        )
        path = "world.population.initial_officials" if crowded else "run.end"
        period = f"{scenario.run.start}..{scenario.run.end}"
        if too_big:
            assert memory is not None
            need = f"need about {_gb(cost.bytes)} of memory; this machine has {_gb(memory)}"
        else:
            need = f"take about {_hours(cost.core_hours)} core-hours per replicate"
            need += f" (limit {MAX_CORE_HOURS:g})"
        raise ScenarioError(
            file_of(path),
            path,
            f"about {_count(cost.officials)} simulated officials over {period} would {need}; "
            "raise run.scale or shorten the period",
        )
    total = cost.core_hours * scenario.run.replicates
    if total > MAX_CORE_HOURS:
        raise ScenarioError(
            file_of("run.replicates"),
            "run.replicates",
            f"{scenario.run.replicates:,} replicates would take about {_hours(total)} core-hours "
            f"(limit {MAX_CORE_HOURS:g}); use fewer or raise run.scale",
        )


def check_replicates(scenarios: Sequence[Scenario], replicates: int | None) -> None:
    """Refuse a ``--replicates`` count whose runs would take longer than the limit.

    Raises:
        InputError: naming ``--replicates``, the count and the estimate.
    """
    if replicates is None:
        return
    total = replicates * sum(estimate(s).core_hours for s in scenarios)
    if total > MAX_CORE_HOURS:
        names = ", ".join(s.meta.name for s in scenarios)
        raise InputError(
            f"--replicates: {replicates:,} replicates of {names} would take about "
            f"{_hours(total)} core-hours (limit {MAX_CORE_HOURS:g}); use fewer or raise run.scale"
        )


def _count(n: float) -> str:
    return f"{n:.2g}" if math.isfinite(n) else "more than 1e300"


def _gb(size: float) -> str:
    if not math.isfinite(size):
        return "more than 1e300 bytes"
    return f"{size / 1e9:,.0f} GB" if size >= 1e9 else f"{size / 1e9:.2f} GB"


def _hours(hours: float) -> str:
    if not math.isfinite(hours):
        return "more than 1e300"
    return f"{hours:,.0f}" if hours < 1e9 else f"{hours:.2g}"
