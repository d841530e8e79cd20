"""Mesa agents: the countries (with shared cooperation and treaty arrays) and the state.

Country agents are real Mesa agents, one per country or region, so an analyst can list, select
and inspect them through ``model.agents``. Their changing state (cooperation, treaty in force)
lives in arrays shared by :class:`CountryStates`, which updates all countries synchronously in
one vectorized call per month: every country reacts to the same snapshot of its peers.
"""

from __future__ import annotations

import mesa
import numpy as np

from sim.core import rule_kernels, rules
from sim.core.levers import NEVER, LeverMonth, Levers, compile_hosts, compile_treaties
from sim.core.rng import Stream
from sim.scenario.schema import Scenario
from sim.world.countries import CountryTable
from sim.world.host_data import load_diaspora_by_year


class CountryAgent(mesa.Agent):
    """One country or region; reads and writes its row of :class:`CountryStates`."""

    def __init__(self, model: mesa.Model, states: CountryStates, index: int) -> None:
        super().__init__(model)
        self.states = states
        self.index = index
        self.iso3 = states.table.iso3[index]
        self.name = states.table.name[index]

    @property
    def cooperation(self) -> float:
        return float(self.states.cooperation[self.index])

    @property
    def treaty_in_force(self) -> bool:
        return bool(self.states.treaty_in_force[self.index])

    @property
    def fugitives_present(self) -> int:
        return int(self.states.stock_abroad[self.index])

    def __repr__(self) -> str:
        return (
            f"CountryAgent({self.iso3}, cooperation={self.cooperation:.2f}, "
            f"treaty_in_force={self.treaty_in_force}, fugitives={self.fugitives_present})"
        )


class StateAgent(mesa.Agent):
    """China's state: holds this month's value of every policy lever."""

    def __init__(self, model: mesa.Model, levers: Levers) -> None:
        super().__init__(model)
        self.levers = levers
        self.current: LeverMonth = levers.at(0)

    def set_step(self, step: int) -> None:
        """Read the dated levers (campaign, pursuit, exit controls, ...) for this step."""
        self.current = self.levers.at(step)


class CountryStates:
    """Struct of arrays for the countries: cooperation, treaty status, fugitives present.

    Args:
        table: the country table.
        scenario: the valid scenario (its treaty changes and cooperation parameters).
        stream: the ``treaty`` stream, for endogenous signing.
    """

    def __init__(self, table: CountryTable, scenario: Scenario, stream: Stream) -> None:
        self.table = table
        self.scenario = scenario
        self.stream = stream
        n = len(table)
        # each country starts at its own willingness, within its courts' ceiling
        ceiling = rules.cooperation_ceiling(table.legal_family, scenario.world.cooperation)
        self.cooperation = np.minimum(table.base_cooperation.astype(float), ceiling)
        self.stock_abroad = np.zeros(n, dtype=np.int64)
        # countries and regions; the regional aggregate rows are not counted as countries
        self.is_country = np.array([k != "aggregate" for k in table.kind])
        # countries proper: they sign treaties and count in ``treaties_in_force``
        self.sovereign = np.array([k == "country" for k in table.kind])
        self.is_region = np.array([k == "region" for k in table.kind])
        # what officials see that never changes, computed once (see transitions.country_view)
        # (the diaspora and the open investor-visa routes change by month: see update)
        self._log_diaspora_by_step = np.log1p(diaspora_by_step(table, scenario))
        self.log_diaspora = self._log_diaspora_by_step[0]
        self.investor_visa = compile_hosts(scenario, table).investor_visa[0]
        self.log_income = np.log(np.maximum(table.gdp_per_capita_usd, 100.0) / 10_000.0)
        self.distance_1000_km = table.distance_km / 1000.0
        self.log_size = table.log_size
        # rows of the fugitives' hazard table (transitions.abroad): each country without, then
        # with, family abroad; the columns that never change, gathered once
        both = np.concatenate([np.arange(n), np.arange(n)])
        self.row_country = both
        self.row_family_abroad = np.repeat([0.0, 1.0], n)
        self.row_transit = self.is_region[both].astype(float)
        self.row_fair_trial_objection = table.fair_trial_objection[both]
        self.row_asylum_delay_years = table.asylum_appeal_delay_years[both]
        self.row_death_penalty_abolished = table.death_penalty_abolished[both]
        # this run's own copy of the dated calendar: endogenous signing adds to it
        self.treaties = compile_treaties(scenario, table).copy()
        self.treaty_in_force = np.zeros(n, dtype=float)
        self.region_codes = _codes(table.region)
        self._lag = int(round(scenario.world.cooperation.ratification_years * 12))
        c = scenario.world.cooperation
        self._adjustment = float(rules.monthly_probability(c.adjustment_per_year))
        self.ceiling = rules.cooperation_ceiling(table.legal_family, c)
        self._cooperation_weights = np.array(
            [
                c.pledge_weight,
                c.pressure_weight,
                c.peer_weight,
                c.backlash_weight,
                c.reaction_weight,
            ]
        )

    def update(self, step: int, lever: LeverMonth) -> None:
        """Country responses for one month: endogenous signing, treaties, cooperation."""
        p = self.scenario.world.cooperation
        calendar = self.treaties
        if self.scenario.policy.treaties.endogenous_signing:
            candidates = self.sovereign & (calendar.signed == NEVER)
            if np.any(candidates):
                idx = np.flatnonzero(candidates)
                prob = rules.treaty_signing_probability(self.cooperation[idx], p)
                signs = self.stream.uniform(idx, step) < prob
                calendar.signed[idx[signs]] = step
                calendar.in_force[idx[signs]] = step + self._lag
        self.refresh_treaties(step)
        self.log_diaspora = self._log_diaspora_by_step[step]
        self.investor_visa = lever.investor_visa
        # rules.cooperation_target and rules.cooperation_update, in one kernel (see there)
        self.cooperation = rule_kernels.cooperation_step(
            self.cooperation,
            self.table.base_cooperation,
            lever.pledge,
            host_pressure(lever),
            self.region_codes,
            self.stock_abroad,
            self.table.fair_trial_objection,
            lever.coercion + lever.targeted_coercion,
            lever.host_reaction,
            self.ceiling,
            self._cooperation_weights,
            self._adjustment,
        )

    def treaty_status(self, steps: np.ndarray | int) -> np.ndarray:
        """Treaty in force at ``steps`` (see :meth:`TreatyCalendar.status`).

        Reflects dated treaties and those signed endogenously so far.
        """
        return self.treaties.status(steps)

    def refresh_treaties(self, step: int) -> None:
        """Treaty status this step."""
        self.treaty_in_force = self.treaty_status(step).astype(float)

    def peer_mean(self) -> np.ndarray:
        """Mean cooperation of each country's regional peers (itself included)."""
        sums = np.bincount(self.region_codes, weights=self.cooperation)
        counts = np.bincount(self.region_codes)
        return sums[self.region_codes] / counts[self.region_codes]

    def treaties_in_force(self) -> int:
        """Number of countries (not regions nor the rest of the world) with a treaty in force."""
        return int(np.count_nonzero(self.treaty_in_force[self.sovereign] > 0))

    def mean_cooperation(self) -> float:
        """Unweighted mean cooperation of countries and regions (aggregate rows excluded)."""
        values = self.cooperation[self.is_country]
        return float(values.sum()) / values.size  # as np.mean: its sum over its count


def _codes(values: tuple[str, ...]) -> np.ndarray:
    lookup: dict[str, int] = {}
    return np.array([lookup.setdefault(v, len(lookup)) for v in values], dtype=np.int64)


# ------------------------------------------------------------------------ hosts as actors
def host_pressure(lever: LeverMonth) -> np.ndarray:
    """Pressure and pursuit each host feels: the state's, plus what is aimed at it."""
    return (lever.diplomatic_pressure + lever.pursuit) + (
        lever.targeted_pressure + lever.targeted_pursuit
    )


def diaspora_by_step(table: CountryTable, scenario: Scenario) -> np.ndarray:
    """Diaspora (thousands) of every row at every step of the run, ``(n_steps, n_countries)``.

    Rows with a census series (``diaspora_by_year.csv``) follow it, linear between census years
    (each census read as the middle of its year, month 7) and flat before the first and after
    the last; the other rows keep their countries.csv value in every month.
    """
    out = np.broadcast_to(table.diaspora_thousands, (scenario.n_steps, len(table))).copy()
    months = scenario.start_month + np.arange(scenario.n_steps)
    for code, (years, values) in load_diaspora_by_year().items():
        census_months = (years - 1970) * 12 + 6  # July of the census year
        out[:, table.index(code)] = np.interp(months, census_months, values)
    return out
