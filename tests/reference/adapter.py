"""The only place where the oracle touches the model's internals (not per-official pieces).

The oracle re-implements every per-official rule itself; what it shares with the model is the
world around the officials: the country table, the compiled levers, the countries' and the
state's Mesa agents (:class:`CountryStates`, :class:`StateAgent`), the income index, the entry
schedule, the state codes and event names. When the model's internals are renamed, only this
module changes.

Internals used: ``sim.core.model.income_index``, ``sim.core.population.{entry_schedule,
most_wanted_steps, OfficialState, EVENTS, MAX_TENURE_MONTHS, CAREER_SHAPE}``,
``sim.core.levers.{compile_levers, LeverMonth}`` (the oracle reads the month's levers as
``LeverMonth`` attributes),
``sim.core.agents.{CountryStates, StateAgent}`` (``StateAgent.set_step``/``current``,
``CountryStates.update``/``refresh_treaties``/``stock_abroad``/``is_region``/``cooperation``/
``treaty_in_force``/``treaties_in_force()``/``mean_cooperation()``) and
``sim.core.transitions.country_view``. To compare, it reads the model's ``officials.log``,
``officials.<attribute>`` arrays, ``monthly_table()`` and ``country_*`` arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa
import numpy as np

from sim.core import rules
from sim.core.agents import CountryStates, StateAgent
from sim.core.levers import LeverMonth, Levers, compile_levers
from sim.core.model import income_index
from sim.core.population import (
    CAREER_SHAPE,
    EVENTS,
    MAX_TENURE_MONTHS,
    entry_schedule,
    most_wanted_steps,
)
from sim.core.population import OfficialState as S
from sim.core.rng import Streams
from sim.core.transitions import country_view as _country_view
from sim.scenario.schema import Scenario
from sim.world.countries import CountryTable, load_countries

__all__ = [
    "CAREER_SHAPE",
    "EVENTS",
    "MAX_TENURE_MONTHS",
    "LeverMonth",
    "S",
    "World",
    "build_world",
    "most_wanted_steps",
]


@dataclass
class World:
    """Everything around the officials, shared with the model's implementation."""

    table: CountryTable
    levers: Levers
    countries: CountryStates
    state: StateAgent
    gains_index: np.ndarray
    """Cumulative income index by month from ``start - MAX_TENURE_MONTHS`` (position 0 = 0)."""
    initial_officials: int
    entries: np.ndarray
    scale: int

    def lever_values(self, step: int) -> LeverMonth:
        """The state agent reads this month's levers (campaign, pursuit, ..., pledge terms)."""
        self.state.set_step(step)
        return self.state.current

    def update_countries(self, step: int, lever: LeverMonth) -> None:
        """Country responses for one month (treaties, endogenous signing, cooperation)."""
        self.countries.update(step, lever)

    def view(self) -> rules.CountryState:
        """What officials see of the countries this month."""
        return _country_view(self.countries, self.scale)

    def set_stock_abroad(self, stock: np.ndarray) -> None:
        """Fugitives present in each country at the end of the month (seen next month)."""
        self.countries.stock_abroad = stock


def build_world(model: mesa.Model, scenario: Scenario, streams: Streams) -> World:
    """Countries, levers and the state agent, built as the model builds them."""
    table = load_countries()
    levers = compile_levers(scenario, table)
    countries = CountryStates(table, scenario, streams["treaty"])
    state = StateAgent(model, levers)
    first = scenario.start_month - MAX_TENURE_MONTHS
    gains_index = np.concatenate([[0.0], np.cumsum(income_index(scenario, first))])
    n0, entries = entry_schedule(scenario)
    countries.refresh_treaties(0)
    return World(
        table=table,
        levers=levers,
        countries=countries,
        state=state,
        gains_index=gains_index,
        initial_officials=n0,
        entries=entries,
        scale=scenario.run.scale,
    )


def model_event_log(model: mesa.Model) -> np.ndarray:
    """The vectorized model's event log as rows ``(official_id, step, event, country, how)``."""
    cols = model.officials.log.columns()
    rows = np.stack(
        [cols[k].astype(np.int64) for k in ("official_id", "step", "event", "country", "how")],
        axis=1,
    )
    return rows[np.lexsort(rows.T[::-1])]


def model_tables(model: mesa.Model) -> dict[str, object]:
    """The vectorized model's recorded tables (monthly flows and stocks, per-country arrays)."""
    return {"monthly": model.monthly_table(), **{name: getattr(model, name) for name in TABLES}}


TABLES = (
    "country_stock",
    "country_fled_to",
    "country_returned_from",
    "country_cooperation",
    "country_treaty",
)
"""Per-country ``(month, country)`` arrays both implementations record, under the same names."""

OFFICIAL_FIELDS = (
    "rank",
    "corrupt",
    "entry_step",
    "exit_step",
    "state",
    "state_step",
    "how",
    "family_country",
    "destination",
    "fled_step",
    "gains_usd",
    "assets_taken_usd",
    "assets_recovered_usd",
    "frailty",
    "listed",
    "wanted",
)
"""Per-official attributes both implementations keep, under the same names."""


def model_officials(model: mesa.Model) -> dict[str, np.ndarray]:
    """The vectorized model's officials at the end of the run, one array per attribute."""
    pop = model.officials
    return {name: getattr(pop, name)[: pop.n] for name in OFFICIAL_FIELDS}
