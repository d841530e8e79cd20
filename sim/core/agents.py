"""Mesa agents: the countries (with shared cooperation and treaty arrays) and the state.

Country agents are real Mesa agents, one per country or region, so an analyst can list, select
and inspect them through ``model.agents``. Their changing state (cooperation, treaty in force)
lives in arrays shared by :class:`CountryStates`, which updates all countries synchronously in
one vectorized call per month: every country reacts to the same snapshot of its peers.
"""

from __future__ import annotations

import mesa
import numpy as np

from sim.core import rules
from sim.core.levers import Levers
from sim.core.rng import Stream
from sim.scenario.schema import Scenario, month_of
from sim.world.countries import CountryTable

NEVER = 1 << 40
"""Step standing for "no such date" (far beyond any run; negative steps are real past dates)."""


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
        self.levers_by_step = levers
        self.current: dict[str, float] = levers.at(0)

    def set_step(self, step: int) -> None:
        """Read the dated levers (campaign, pursuit, exit controls, ...) for this step."""
        self.current = self.levers_by_step.at(step)


class CountryStates:
    """Struct of arrays for the countries: cooperation, treaty status, fugitives present."""

    def __init__(self, table: CountryTable, scenario: Scenario, stream: Stream) -> None:
        self.table = table
        self.scenario = scenario
        self.stream = stream
        self.start = scenario.start_month
        n = len(table)
        self.cooperation = table.base_cooperation.astype(float).copy()
        self.stock_abroad = np.zeros(n, dtype=np.int64)
        self.is_country = np.array([k != "rest_of_world" for k in table.kind])
        # countries proper: they sign treaties and count in ``treaties_in_force``
        self.sovereign = np.array([k == "country" for k in table.kind])
        self.is_region = np.array([k == "region" for k in table.kind])
        # what officials see that never changes, computed once (see transitions.country_view)
        self.log_diaspora = np.log1p(table.diaspora_thousands)
        self.log_income = np.log(np.maximum(table.gdp_per_capita_usd, 100.0) / 10_000.0)
        self.distance_1000_km = table.distance_km / 1000.0
        self.log_hub_weight = np.log(table.hub_weight)
        # treaty signed, in force and withdrawn, as steps (negative: before the run; NEVER: none)
        in_force = _steps(table.treaty_in_force_month, self.start)
        withdrawn = _steps(table.treaty_withdrawn_month, self.start)
        signed = _steps(table.treaty_signed_month, self.start)
        treaties = scenario.policy.treaties
        for change in treaties.add:
            i = table.index(change.iso3)
            step = month_of(change.date) - self.start
            if in_force[i] > step or withdrawn[i] <= step:
                in_force[i] = step
                withdrawn[i] = NEVER
                signed[i] = min(signed[i], step)
        for change in treaties.withdraw:
            i = table.index(change.iso3)
            withdrawn[i] = month_of(change.date) - self.start
        self.in_force_step = in_force
        self.withdrawn_step = withdrawn
        self.signed_step = signed
        self.treaty_in_force = np.zeros(n, dtype=float)
        self.region_codes = _codes(table.region)
        self._lag = int(round(scenario.world.cooperation.ratification_years * 12))

    def update(self, step: int, levers: Levers, state: dict[str, float]) -> None:
        """Country responses for one month: endogenous signing, treaties, cooperation."""
        p = self.scenario.world.cooperation
        if self.scenario.policy.treaties.endogenous_signing:
            candidates = self.sovereign & (self.signed_step == NEVER)
            if np.any(candidates):
                idx = np.flatnonzero(candidates)
                prob = rules.treaty_signing_probability(self.cooperation[idx], p)
                signs = self.stream.uniform(idx, step) < prob
                self.signed_step[idx[signs]] = step
                self.in_force_step[idx[signs]] = step + self._lag
        self.refresh_treaties(step)
        total = max(int(self.stock_abroad.sum()), 1)
        pressure = state["diplomatic_pressure"] + state["pursuit"]
        target = rules.cooperation_target(
            base=self.table.base_cooperation,
            pledge=levers.pledge[step],
            pressure=pressure,
            peer_mean=self._peer_mean(),
            fair_trial_objection=self.table.fair_trial_objection,
            coercion=state["coercion"],
            fugitive_share=self.stock_abroad / total,
            p=p,
        )
        self.cooperation = rules.cooperation_update(self.cooperation, target, p)

    def treaty_status(self, steps: np.ndarray | int) -> np.ndarray:
        """Treaty in force at ``steps``: from its date until withdrawn.

        A scalar step gives one value per country; an array of steps, one row per step.

        Reflects dated treaties and those signed endogenously so far.
        """
        steps = np.asarray(steps)[..., None]
        return (self.in_force_step <= steps) & ~(self.withdrawn_step <= steps)

    def refresh_treaties(self, step: int) -> None:
        """Treaty status this step."""
        self.treaty_in_force = self.treaty_status(step).astype(float)

    def _peer_mean(self) -> np.ndarray:
        """Mean cooperation of each country's regional peers (itself included)."""
        sums = np.bincount(self.region_codes, weights=self.cooperation)
        counts = np.bincount(self.region_codes)
        return sums[self.region_codes] / counts[self.region_codes]

    def treaties_in_force(self) -> int:
        """Number of countries (not regions nor the rest of the world) with a treaty in force."""
        return int(np.sum(self.treaty_in_force[self.sovereign] > 0))

    def mean_cooperation(self) -> float:
        """Unweighted mean cooperation of countries and regions (rest of world excluded)."""
        return float(np.mean(self.cooperation[self.is_country]))


def _steps(months: np.ndarray, start: int) -> np.ndarray:
    """Months since 1970 (-1 = none) as steps since ``start`` (``NEVER`` = none)."""
    return np.where(months >= 0, months - start, NEVER).astype(np.int64)


def _codes(values: tuple[str, ...]) -> np.ndarray:
    lookup: dict[str, int] = {}
    return np.array([lookup.setdefault(v, len(lookup)) for v in values], dtype=np.int64)
