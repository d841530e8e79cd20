"""Return hazards of fugitives abroad: the monthly table by (family abroad, country) row, what
each fugitive's own factors make of it, and what an official weighing flight perceives of it.

One table a month serves the returns (:func:`sim.core.transitions.abroad`) and deterrence
(:func:`sim.core.transitions.exposures`); the cached helpers turn parameter sets and yearly rates
into what the kernels read.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from pydantic import BaseModel

from sim.core import rule_kernels, rules
from sim.core.agents import CountryStates
from sim.core.levers import LeverMonth
from sim.core.population import OfficialPopulation

RETURN_PARAMETERS = (
    "persuasion_per_year",
    "deportation_per_year",
    "extradition_per_year",
    "prosecution_per_year",
    "surrender_per_year",
    "family_in_china_effect",
    "leniency_effect",
    "asylum_delay_effect",
    "death_penalty_assurance",
    "coercion_persuasion_effect",
)
"""The return parameters :func:`rule_kernels.return_rates_by_row` reads, in its order."""


@lru_cache(maxsize=64)
def parameters(p: BaseModel, names: tuple[str, ...]) -> np.ndarray:
    """Parameters ``names`` of the parameter set ``p``, as an array the kernels read.

    Computed once per parameter set (sets are immutable); callers must not write to it.
    """
    return np.array([getattr(p, name) for name in names], dtype=float)


@lru_cache(maxsize=64)
def monthly(rate_per_year: float) -> float:
    """:func:`rules.monthly_probability` of a constant yearly rate, computed once per rate."""
    return float(rules.monthly_probability(rate_per_year))


def return_table(
    countries: CountryStates, lever: LeverMonth
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return hazards by (family abroad, country) row, once a month, for returns and deterrence.

    Hazards depend on the official only through the host and family abroad: computed for each
    row (countries without family abroad, then with) by :func:`rule_kernels.return_rates_by_row`
    (:func:`rules.return_rates` and :func:`rules.move_on_probability`, see there). Returns the
    ``(rows, 5)`` yearly rates, their row sums and the yearly move-on rates.
    """
    w, cs = countries.scenario.world, countries
    return rule_kernels.return_rates_by_row(  # see the rules
        cs.row_country,
        cs.treaty_in_force,
        cs.cooperation,
        lever.legal_assistance,
        cs.row_fair_trial_objection,
        cs.row_asylum_delay_years,
        cs.row_death_penalty_abolished,
        cs.row_family_abroad,
        cs.row_transit,
        np.array([lever.pursuit, lever.persuasion_program, lever.leniency]),
        parameters(w.returns, RETURN_PARAMETERS),
        parameters(
            w.destination,
            ("move_on_threshold_per_year", "move_on_per_year", "transit_move_on_per_year"),
        ),
        host_levers(lever),
    )


def host_levers(lever: LeverMonth) -> np.ndarray:
    """``(3, n_countries)``: pursuit aimed at each host, coercion there, the host's crackdown.

    The ``host_levers`` argument of :func:`rule_kernels.return_rates_by_row`.
    """
    return np.stack(
        [lever.targeted_pursuit, lever.coercion + lever.targeted_coercion, lever.host_reaction]
    )


def deter(
    pop: OfficialPopulation, ids: np.ndarray, perceived: np.ndarray | None, utility: np.ndarray
) -> np.ndarray:
    """:func:`rules.deterred_utility` of fleeing officials ``ids`` under this month's
    ``perceived`` hazards (unchanged when deterrence is off: ``None``)."""
    if perceived is None:
        return utility
    family = pop.family_country[ids] >= 0
    return rules.deterred_utility(utility, family, perceived, pop.world.deterrence.weight)


def individual_rates(
    pop: OfficialPopulation, ids: np.ndarray, lever: LeverMonth, table: np.ndarray
) -> np.ndarray | None:
    """:func:`rules.individual_return_rates` of fugitives ``ids``, or ``None`` when all of
    them would equal their row of the month's ``table`` (the rates of :func:`return_table`: no
    frailty, nobody listed, no deadline)."""
    f = pop.world.fugitives
    deadline = lever.leniency_deadline if f.deadline_effect > 0 else 0.0
    if f.frailty_variance <= 0 and deadline == 0.0 and pop.listed_ids.size == 0:
        return None
    n_countries = table.shape[0] // 2
    rows = pop.destination[ids].astype(np.int64) + n_countries * (pop.family_country[ids] >= 0)
    rates = table[rows]
    return rules.individual_return_rates(rates, pop.frailty[ids], pop.wanted[ids], deadline, f)
