"""The Mesa model: builds the world from a valid scenario, steps months in order, records."""

from __future__ import annotations

import mesa
import numpy as np
import pandas as pd
from mesa.agent import AgentSet

from sim.core import abroad_kernels, hazards, rules, transitions
from sim.core.agents import CountryAgent, CountryStates, StateAgent
from sim.core.levers import compile_levers
from sim.core.metrics import FLOWS, STOCKS
from sim.core.population import MAX_TENURE_MONTHS, OfficialPopulation, to_officials
from sim.core.population import OfficialState as S
from sim.core.rng import Streams
from sim.scenario.schema import Scenario
from sim.world.countries import CountryTable, load_china_gdp_per_capita, load_countries
from sim.world.dates import iso_month

MONTHLY = "monthly"
"""Name of the DataCollector table of monthly flows and stocks."""
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

    Mesa keeps the clock (``steps``, counted before each ``step()`` runs), the ``running`` flag
    that ends :meth:`run_model` after the last month, the agent registry (country agents and
    the state agent) and the monthly table (``datacollector``).

    Args:
        scenario: an already valid scenario (the model does no validation of its own).
        replicate: replicate number; with ``scenario.run.seed`` it keys every random stream.
        seed: overrides ``scenario.run.seed`` when given.
    """

    def __init__(self, scenario: Scenario, replicate: int = 0, seed: int | None = None) -> None:
        # Mesa's own generators (self.random, self.rng) are left unseeded on purpose: nothing
        # draws from them. Every draw is counter-based on a named stream of self.streams, so
        # that common random numbers hold; code that needs randomness takes a stream there.
        super().__init__()
        _, root = scenario.resolved(seed=seed)
        self.streams = Streams(root, replicate)
        self.scenario = scenario
        self.replicate = replicate
        self.seed_value = root
        self.scale = scenario.run.scale
        self.n_steps = scenario.n_steps
        self.table: CountryTable = load_countries()
        self.levers = compile_levers(scenario, self.table)
        self.country_states = CountryStates(self.table, scenario, self.streams["treaty"])
        for i in range(len(self.table)):
            CountryAgent(self, self.country_states, i)
        self._state_agent = StateAgent(self, self.levers)  # also in Mesa's registry
        first = scenario.start_month - MAX_TENURE_MONTHS
        self.officials = OfficialPopulation(
            scenario,
            self.streams,
            np.concatenate([[0.0], np.cumsum(income_index(scenario, first))]),
        )
        # Monthly flows and stocks go to a DataCollector table, one row written per month by
        # _record: the flows are tallies the transitions add up during the step, not values a
        # reporter could read off the model afterwards. Per-country series are (month, country)
        # arrays: agent reporters would build 74 Python rows a month for the same numbers.
        self.datacollector = mesa.DataCollector(tables={MONTHLY: [*FLOWS, *STOCKS]})
        n_c = len(self.table)
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
        deterrence = scenario.world.deterrence
        if deterrence.weight > 0:  # as officials see it at the start: no returns signal yet
            total = hazards.return_table(self.country_states, self.levers.at(0))[1]
            perceived = rules.perceived_return_hazard(total, 0.0, deterrence)
            planned = rules.deterred_utility(planned, np.zeros(1), perceived, deterrence.weight)
        self.logsum_reference = float(rules.logsum(planned)[0])
        self.salience = 0.0
        """The publicised-returns signal officials see (:func:`rules.salience_update`)."""
        self._returned_last_month = 0.0

    @property
    def country_agents(self) -> AgentSet:
        """The country agents, in country-table order (from Mesa's registry)."""
        return self.agents_by_type[CountryAgent]

    @property
    def state_agent(self) -> StateAgent:
        """The state agent (from Mesa's registry)."""
        return self.agents_by_type[StateAgent][0]

    def step(self) -> None:
        """One month, in a fixed order.

        1. State policy: the state agent reads this month's levers.
        2. Country responses: treaties enter into force or end; cooperation adjusts.
        3. Officials decide: entry and retirement, family moving abroad, exposure and the
           stay / hide / flee response, investigations closing or ending in late flight.
        4. Pursuit and returns: capture of officials hiding at home; fugitives abroad return by
           channel, are tried abroad, die, move on, or lose assets to confiscation.
        5. Record flows and stocks; after the last month, stop (``running = False``).
        """
        t = self.steps - 1  # Mesa counts this call before running it: month t is call t + 1
        state = self._state_agent  # Mesa's agents_by_type builds a dict on every call
        state.set_step(t)
        lever = state.current
        self.country_states.update(t, lever)
        self.salience = rules.salience_update(
            self.salience, self._returned_last_month, self.scenario.world.deterrence
        )
        month = transitions.new_month(
            t, lever, self.country_states, self.scale, self.logsum_reference, self.salience
        )
        flows = month.flows
        pop = self.officials
        flows["entered"], flows["retired"] = pop.enter_and_retire(t)
        transitions.exposures(pop, month)
        transitions.investigations(pop, month)
        transitions.home_capture(pop, month)
        transitions.abroad(pop, month)
        self._record(t, flows, month)
        if self.steps >= self.n_steps:
            self.running = False

    def _record(self, t: int, flows: dict[str, float], month: transitions.Month) -> None:
        """Store month ``t``: everything counted in simulated agents is kept in real officials."""
        pop, cs, s = self.officials, self.country_states, self.scale
        stock, treaty_free = abroad_kernels.stock_abroad(
            pop.abroad_ids, pop.state, int(S.ABROAD), pop.destination, cs.treaty_in_force
        )
        cs.stock_abroad = stock
        self.country_stock[t] = to_officials(stock, s)
        self.country_fled_to[t] = to_officials(month.fled_to, s)
        self.country_returned_from[t] = to_officials(month.returned_from, s)
        self.country_cooperation[t] = cs.cooperation
        self.country_treaty[t] = cs.treaty_in_force.astype(np.int8)
        states = pop.counts
        row = {k: to_officials(v, s) for k, v in flows.items()}
        row.update(
            in_office=float(to_officials(states[S.IN_OFFICE], s)),
            under_investigation=float(to_officials(states[S.INVESTIGATED], s)),
            stock_abroad=float(to_officials(states[S.ABROAD], s)),
            stock_missing=float(to_officials(states[S.MISSING], s)),
            stock_abroad_treaty_free=float(to_officials(treaty_free, s)),
            treaties_in_force=float(cs.treaties_in_force()),
            mean_cooperation=cs.mean_cooperation(),
            most_wanted_at_large=float(to_officials(_at_large(pop), s)),
        )
        self._returned_last_month = float(row["returned"] + row["prosecuted_abroad"])
        self.datacollector.add_table_row(MONTHLY, row)

    def monthly_table(self) -> pd.DataFrame:
        """Flows and stocks by month (columns ``FLOWS`` then ``STOCKS``), in real officials."""
        return self.datacollector.get_table_dataframe(MONTHLY)

    def date_of(self, step: int) -> str:
        """ISO month (``YYYY-MM``) of a step."""
        return iso_month(self.scenario.start_month + step)

    def release(self) -> None:
        """Let the model be garbage-collected once its tables are read.

        Mesa 3.3 keeps every model as a key of the class attribute ``Agent._ids`` (its per-model
        id counters), so a finished model, its population included, stayed in memory for the
        life of the process: about 17 MB per run at scale 10, which killed a calibration worker
        (out of memory) after a few thousand runs. Mesa fixed it after 3.3 (mesa/mesa issue
        3179, pull request 3180); this drops the entry by hand.
        """
        for agent in list(self.agents):  # agents and model refer to each other: break it now
            agent.remove()
        mesa.Agent._ids.pop(self, None)


def _at_large(pop: OfficialPopulation) -> int:
    """Listed (most-wanted) officials still abroad or hiding inside China."""
    state = pop.state[pop.listed_ids]
    return int(np.count_nonzero((state == S.ABROAD) | (state == S.MISSING)))
