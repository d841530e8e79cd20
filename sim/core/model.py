"""The Mesa model: builds the world from a valid scenario, steps months in order, records."""

from __future__ import annotations

import mesa
import numpy as np

from sim.core import rules, transitions
from sim.core.agents import CountryAgent, CountryStates, StateAgent
from sim.core.levers import compile_levers
from sim.core.metrics import empty_flows
from sim.core.population import MAX_TENURE_MONTHS, OfficialPopulation
from sim.core.population import OfficialState as S
from sim.core.rng import Streams
from sim.scenario.schema import Scenario, iso_month
from sim.world.countries import CountryTable, load_china_gdp_per_capita, load_countries

INCOME_BASE_YEAR = 2000
"""Illicit gains are scaled by China's GDP per capita relative to this year."""


def income_index(scenario: Scenario, first_month: int) -> np.ndarray:
    """China's GDP per capita relative to 2000, by month from ``first_month`` to the run's end.

    Log-linear interpolation between yearly World Bank values (placed at mid-year); before the
    first data year the first value holds; after the last, growth is
    ``world.corruption.income_growth_after_data`` per year (an assumption).
    """
    years, gdp = load_china_gdp_per_capita()
    base = float(np.interp(INCOME_BASE_YEAR, years, gdp))
    months = np.arange(first_month, scenario.end_month + 1)
    t = 1970 + months / 12.0
    t_data = years + 0.5
    log_value = np.interp(t, t_data, np.log(gdp))
    growth = np.log1p(scenario.world.corruption.income_growth_after_data)
    after = t > t_data[-1]
    log_value[after] = np.log(gdp[-1]) + growth * (t[after] - t_data[-1])
    return np.exp(log_value) / base


class FlightModel(mesa.Model):
    """Officials, countries and the state, stepped monthly over the scenario's period.

    Args:
        scenario: an already valid scenario (the model does no validation of its own).
        replicate: replicate number; with ``scenario.run.seed`` it keys every random stream.
        seed: overrides ``scenario.run.seed`` when given.
    """

    def __init__(self, scenario: Scenario, replicate: int = 0, seed: int | None = None) -> None:
        root = scenario.run.seed if seed is None else int(seed)
        self.streams = Streams(root, replicate)
        super().__init__(rng=self.streams["mesa"].generator())
        self.scenario = scenario
        self.replicate = replicate
        self.seed_value = root
        self.scale = scenario.run.scale
        self.n_steps = scenario.n_steps
        self.table: CountryTable = load_countries()
        self.levers = compile_levers(scenario, self.table)
        self.country_states = CountryStates(self.table, scenario, self.streams["treaty"])
        self.countries = [
            CountryAgent(self, self.country_states, i) for i in range(len(self.table))
        ]
        self.state_agent = StateAgent(self, self.levers)
        first = scenario.start_month - MAX_TENURE_MONTHS
        self.officials = OfficialPopulation(
            scenario,
            self.streams,
            np.concatenate([[0.0], np.cumsum(income_index(scenario, first))]),
        )
        self.step_index = 0
        n_c = len(self.table)
        self.flow_rows: list[dict[str, float]] = []
        self.stock_rows: list[dict[str, float]] = []
        self.country_stock = np.zeros((self.n_steps, n_c), dtype=np.int64)
        self.country_fled_to = np.zeros((self.n_steps, n_c), dtype=np.int64)
        self.country_returned_from = np.zeros((self.n_steps, n_c), dtype=np.int64)
        self.country_cooperation = np.zeros((self.n_steps, n_c))
        self.country_treaty = np.zeros((self.n_steps, n_c), dtype=np.int8)
        self.country_states.refresh_treaties(0)
        view = transitions.country_view(self.country_states, self.scale)
        planned = rules.destination_utility(
            view, np.array([-1], dtype=np.int16), np.array([False]), scenario.world.destination
        )
        self.logsum_reference = float(rules.logsum(planned)[0])

    def step(self) -> None:
        """One month, in a fixed order.

        1. State policy: the state agent reads this month's levers.
        2. Country responses: treaties enter into force or end; cooperation adjusts.
        3. Officials decide: entry and retirement, family moving abroad, exposure and the
           stay / hide / flee response, investigations closing or ending in late flight.
        4. Pursuit and returns: capture of officials hiding at home; fugitives abroad return by
           channel, are tried abroad, die, move on, or lose assets to confiscation.
        5. Record flows and stocks.
        """
        t = self.step_index
        self.state_agent.set_step(t)
        lever = self.state_agent.current
        self.country_states.update(t, self.levers, lever)
        flows = empty_flows()
        n_c = len(self.table)
        month = transitions.Month(
            step=t,
            lever=lever,
            levers=self.levers,
            table=self.table,
            countries=self.country_states,
            view=transitions.country_view(self.country_states, self.scale),
            logsum_reference=self.logsum_reference,
            flows=flows,
            fled_to=np.zeros(n_c, dtype=np.int64),
            returned_from=np.zeros(n_c, dtype=np.int64),
        )
        pop = self.officials
        flows["entered"], flows["retired"] = pop.enter_and_retire(t)
        transitions.exposures(pop, month)
        transitions.investigations(pop, month)
        transitions.home_capture(pop, month)
        transitions.abroad(pop, month)
        self._record(t, flows, month)
        self.step_index += 1

    def _record(self, t: int, flows: dict[str, float], month: transitions.Month) -> None:
        pop, cs = self.officials, self.country_states
        abroad = pop.abroad_ids[pop.state[pop.abroad_ids] == S.ABROAD]
        stock = np.bincount(pop.destination[abroad], minlength=len(self.table))
        cs.stock_abroad = stock
        self.country_stock[t] = stock
        self.country_fled_to[t] = month.fled_to
        self.country_returned_from[t] = month.returned_from
        self.country_cooperation[t] = cs.cooperation
        self.country_treaty[t] = cs.treaty_in_force.astype(np.int8)
        states = pop.counts
        s = self.scale
        self.flow_rows.append({k: v * s for k, v in flows.items()})
        self.stock_rows.append(
            {
                "in_office": float(states[S.IN_OFFICE] * s),
                "under_investigation": float(states[S.INVESTIGATED] * s),
                "stock_abroad": float(states[S.ABROAD] * s),
                "stock_missing": float(states[S.MISSING] * s),
                "stock_abroad_treaty_free": float(np.sum(stock * (cs.treaty_in_force == 0)) * s),
                "treaties_in_force": float(cs.treaties_in_force()),
                "mean_cooperation": cs.mean_cooperation(),
            }
        )

    def run_model(self) -> None:
        """Step through the whole period."""
        while self.step_index < self.n_steps:
            self.step()

    def date_of(self, step: int) -> str:
        """ISO month (``YYYY-MM``) of a step."""
        return iso_month(self.scenario.start_month + step)
