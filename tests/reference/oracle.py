"""The oracle: one ``mesa.Agent`` per official, stepped one at a time through the monthly rules.

An independent re-implementation of the officials' logic of the vectorized model
(:mod:`sim.core.population`, :mod:`sim.core.transitions`): each official is a Python object with
its own state and its own clocks; every month, each phase loops over the officials concerned and
each official decides alone, calling the pure rules of :mod:`sim.core.rules` on one-element
arrays and drawing its uniforms from the same counter-based streams keyed by (official, month).
The phases follow :meth:`sim.core.model.FlightModel.step`: state levers (campaign pulses,
leniency deadlines, most-wanted lists), country responses (pledges, pressure and pursuit aimed at
one host, host reactions, each legal family's ceiling, dated investor visas and census diaspora),
entry and retirement, family abroad and exposure (stay / hide / flee, with each destination's
return hazard as the official perceives it through the salience of last months' returns; border
capture, destination), investigations closing or ending in late flight, capture at home (covert
returners included), then fugitives abroad (listing on a most-wanted list, return channels times
the fugitive's own frailty and listing, death, moving on, covert return home, confiscation), then
recording and the salience update.

Because officials do not interact within a month (they all see the same country view), looping
over them one by one gives the same outcomes as the model's batch operations; only sums of money
(``assets_taken_usd``, ``assets_recovered_usd``) are added in a different order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import mesa
import numpy as np
import pandas as pd
from scipy.special import gammaincinv

from reference.adapter import (
    CAREER_SHAPE,
    EVENTS,
    MAX_TENURE_MONTHS,
    OFFICIAL_FIELDS,
    LeverMonth,
    S,
    World,
    build_world,
    most_wanted_steps,
)
from sim.core import rules
from sim.core.metrics import FLOWS, STOCKS, empty_flows
from sim.core.rng import Streams
from sim.scenario.schema import Scenario

PROSECUTION = rules.CHANNELS.index("prosecution")
EVENT_CODE = {name: code for code, name in enumerate(EVENTS)}


@dataclass
class OracleMonth:
    """What every official sees in one month, and the tallies they add to."""

    step: int
    lever: LeverMonth
    view: rules.CountryState
    flows: dict[str, float]
    fled_to: np.ndarray
    returned_from: np.ndarray
    events: list[tuple[int, int, int, int, int]] = field(default_factory=list)
    perceived: np.ndarray | None = None
    """Perceived return hazard by (family abroad, country) row when deterrence is on."""


def _one(value: float) -> np.ndarray:
    return np.array([value], dtype=np.float64)


class OfficialAgent(mesa.Agent):
    """One official: its attributes, its state and its integrated-hazard clocks."""

    def __init__(self, model: ReferenceModel, official_id: int, step: int, initial: bool) -> None:
        super().__init__(model)
        self.official_id = official_id
        w = model.scenario.world
        pop, cor = w.population, w.corruption
        draw = model.streams["population"]
        oid = np.array([official_id], dtype=np.int64)
        shares = np.cumsum(pop.rank_shares)
        self.rank = min(int(np.searchsorted(shares, draw.uniform(oid, 0, 0)[0], side="right")), 3)
        self.corrupt = bool(draw.uniform(oid, 0, 1)[0] < cor.share_corrupt)
        multiplier = float(np.asarray(cor.rank_gain_multiplier)[self.rank])
        spread = np.exp(cor.gains_sigma * draw.normal(oid, 0, 2))[0]
        self.gains_rate = float(cor.gains_usd_per_month * multiplier * spread)
        u_career = np.clip(draw.uniform(oid, 0, 3), 1e-12, 1 - 1e-12)
        career = gammaincinv(CAREER_SHAPE, u_career)[0]
        career_months = max(career * pop.career_years * 12.0 / CAREER_SHAPE, 1.0)
        if initial:
            served = min(draw.uniform(oid, 0, 4)[0] * career_months, MAX_TENURE_MONTHS)
            entry = -int(served)
        else:
            entry = step
        self.entry_step = entry
        self.exit_step = max(entry + int(career_months), step + 1)
        self.state = S.IN_OFFICE
        self.state_step = step
        self.how = -1
        self.family_country = -1
        self.destination = -1
        self.fled_step = -1
        self.gains_usd = 0.0
        self.assets_taken_usd = 0.0
        self.assets_recovered_usd = 0.0
        self.frailty = 1.0  # drawn on flight when frailty_variance > 0
        self.listed = False  # on a most-wanted list
        self.wanted = 0.0  # its list's pursuit multiplier
        # integrated-hazard clocks: the event happens when the cumulative hazard passes an Exp(1)
        # threshold drawn once per official
        self.exposure_hazard = 0.0
        self.family_hazard = 0.0
        if self.corrupt:
            self.base = model.world.gains_index[model.offset + entry]
            self.exposure_threshold = -np.log1p(-model.streams["exposure"].uniform(oid, 0))[0]
            self.family_threshold = -np.log1p(-model.streams["family"].uniform(oid, 0))[0]

    # ------------------------------------------------------------------------------- helpers
    @property
    def ids(self) -> np.ndarray:
        return np.array([self.official_id], dtype=np.int64)

    def draw(self, stream: str, step: int, k: int = 0) -> float:
        """This official's uniform of ``stream`` in month ``step`` (draw ``k``)."""
        return float(self.model.streams[stream].uniform(self.ids, step, k)[0])

    def log(self, m: OracleMonth, event: str, country: int = -1, how: int = -1) -> None:
        m.events.append((self.official_id, m.step, EVENT_CODE[event], country, how))

    def become(self, state: S, step: int, how: int = -1) -> None:
        self.model.move(self, state)
        self.state = state
        self.state_step = step
        if how >= 0:
            self.how = how

    def choose_destination(
        self, m: OracleMonth, hasty: bool, k: int, exclude: int = -1, deter: bool = False
    ) -> int:
        """Logit choice of a country with this official's own uniform of the month.

        ``deter``: an escape, whose utilities lose the perceived return hazard (deterrence).
        """
        utility = rules.destination_utility(
            m.view,
            np.array([self.family_country], dtype=np.int16),
            np.array([hasty]),
            self.model.scenario.world.destination,
        )
        if deter:
            utility = self.deterred(m, utility)
        if exclude >= 0:
            utility[0, exclude] = -np.inf
        probs = rules.softmax(utility)
        return int(rules.choose(probs, _one(self.draw("destination", m.step, k)))[0])

    def deterred(self, m: OracleMonth, utility: np.ndarray) -> np.ndarray:
        """Destination utilities minus the perceived return hazard there, when deterrence is on."""
        if m.perceived is None:
            return utility
        family = np.array([self.family_country >= 0])
        weight = self.model.scenario.world.deterrence.weight
        return rules.deterred_utility(utility, family, m.perceived, weight)

    def is_hasty(self, step: int) -> bool:
        """An escape without family abroad is hasty with probability ``hasty_share``."""
        u = self.draw("hasty", step)
        return self.family_country < 0 and u < self.model.scenario.world.destination.hasty_share

    def recover(self, share: float, m: OracleMonth) -> None:
        amount = (self.assets_taken_usd - self.assets_recovered_usd) * share
        self.assets_recovered_usd += amount
        m.flows["assets_recovered_usd"] += amount

    # -------------------------------------------------------------------- phase 3: in office
    def retire_if_due(self, m: OracleMonth) -> bool:
        """Leave office at the end of the career (routine, not logged)."""
        if self.state == S.IN_OFFICE and self.exit_step == m.step:
            self.become(S.RETIRED_OR_DEAD, m.step, how=0)
            return True
        return False

    def clocks(self, m: OracleMonth) -> None:
        """A corrupt official in office: family abroad, then exposure and the response."""
        w = self.model.scenario.world
        world = self.model.world
        gains = _one(self.gains_rate * (world.gains_index[self.model.offset + m.step] - self.base))
        naked = m.lever.naked_official_rules
        if self.family_country < 0:
            rate = rules.family_abroad_rate(
                gains, naked, w.exposure.reference_gains_usd, w.corruption
            )[0]
            self.family_hazard += rate / 12.0
            if self.family_hazard >= self.family_threshold:
                self.family_country = self.choose_destination(m, hasty=False, k=2)
                m.flows["family_moved_abroad"] += 1
                self.log(m, "family_moved_abroad", self.family_country)
        family = _one(1.0 if self.family_country >= 0 else 0.0)
        rate = rules.exposure_rate(gains, family, m.lever.campaign, naked, w.exposure)[0]
        self.exposure_hazard += rate / 12.0
        if self.exposure_hazard >= self.exposure_threshold:
            self.respond(m, float(gains[0]), family)

    def respond(self, m: OracleMonth, gains: float, family: np.ndarray) -> None:
        """Exposed: stay and face investigation, hide at home, or flee."""
        w = self.model.scenario.world
        self.gains_usd = gains
        m.flows["exposed"] += 1
        utility = rules.destination_utility(
            m.view,
            np.array([self.family_country], dtype=np.int16),
            np.array([self.is_hasty(m.step)]),
            w.destination,
        )
        utility = self.deterred(m, utility)
        probs = rules.response_probabilities(
            gains_usd=_one(gains),
            rank=_one(float(self.rank)),
            family_abroad=family,
            destinations_logsum=rules.logsum(utility) - self.model.logsum_reference,
            exit_controls=m.lever.exit_controls,
            naked_rules=m.lever.naked_official_rules,
            leniency=m.lever.leniency,
            reference_gains_usd=w.exposure.reference_gains_usd,
            p=w.decision,
        )
        choice = int(rules.choose(probs, _one(self.draw("response", m.step)))[0])
        if choice == rules.STAY:
            self.become(S.INVESTIGATED, m.step)
            m.flows["investigated"] += 1
            self.log(m, "exposed_stayed")
        elif choice == rules.HIDE:
            self.become(S.MISSING, m.step)
            m.flows["went_missing"] += 1
            self.log(m, "went_missing")
        else:
            self.flee(m)

    def flee(self, m: OracleMonth) -> None:
        """Caught at the border, or reach a destination with part of the gains."""
        w = self.model.scenario.world
        stop = min(m.lever.exit_controls * w.decision.border_capture, 1.0)
        if self.draw("border", m.step) < stop:
            self.become(S.CAUGHT, m.step, how=1)
            m.flows["caught_border"] += 1
            self.log(m, "caught_border")
            return
        where = self.choose_destination(m, self.is_hasty(m.step), k=0, deter=True)
        self.become(S.ABROAD, m.step)
        variance = w.fugitives.frailty_variance
        if variance > 0:
            self.frailty = float(rules.frailty(_one(self.draw("frailty", 0)), variance)[0])
        self.destination = where
        self.fled_step = m.step
        self.assets_taken_usd = w.assets.share_taken * self.gains_usd
        m.flows["fled_abroad"] += 1
        m.flows["assets_taken_usd"] += self.assets_taken_usd
        m.fled_to[where] += 1
        self.log(m, "fled_abroad", where)

    # ----------------------------------------------------- phase 3-4: investigated or hiding
    def investigation(self, m: OracleMonth) -> None:
        """An investigation opened before this month closes, goes on, or ends in late flight."""
        if self.state != S.INVESTIGATED or self.state_step >= m.step:
            return
        h = self.model.scenario.world.home
        u = self.draw("investigation", m.step)
        p_close = -np.expm1(-1.0 / h.investigation_months)
        p_flee = float(rules.monthly_probability(h.late_flight_per_year))
        if u < p_close:
            self.become(S.SANCTIONED_AT_HOME, m.step)
            m.flows["sanctioned_at_home"] += 1
            self.log(m, "sanctioned_at_home")
        elif u < p_close + p_flee:
            self.flee(m)

    def hiding(self, m: OracleMonth) -> None:
        """Hiding inside China since an earlier month: caught by domestic pursuit or not."""
        if self.state != S.MISSING or self.state_step >= m.step:
            return
        p = rules.home_capture_probability(
            m.lever.campaign, m.lever.pursuit, self.model.scenario.world.home
        )
        if self.draw("capture", m.step) < p:
            self.become(S.CAUGHT, m.step, how=0)
            m.flows["caught_home"] += 1
            if self.fled_step >= 0:  # back from abroad in secret
                m.flows["caught_after_covert_return"] += 1
            self.log(m, "caught_home")

    # ------------------------------------------------------------------ phase 4: abroad
    def abroad(self, m: OracleMonth) -> None:
        """A fugitive abroad since an earlier month: return, die, move on, lose assets."""
        if self.state != S.ABROAD or self.fled_step >= m.step:
            return
        model, w = self.model, self.model.scenario.world
        cs, table, dest = model.world.countries, model.world.table, self.destination
        one = slice(dest, dest + 1)
        rates = rules.return_rates(
            treaty_in_force=cs.treaty_in_force[one],
            cooperation=cs.cooperation[one],
            fair_trial_objection=table.fair_trial_objection[one],
            asylum_delay_years=table.asylum_appeal_delay_years[one],
            death_penalty_abolished=table.death_penalty_abolished[one],
            family_abroad=_one(1.0 if self.family_country >= 0 else 0.0),
            # the host's own pursuit, coercion and crackdown (policy.targeted, host_reactions)
            pursuit=m.lever.pursuit + float(m.lever.targeted_pursuit[dest]),
            persuasion_program=m.lever.persuasion_program,
            leniency=m.lever.leniency,
            legal_assistance=m.lever.legal_assistance[one],
            p=w.returns,
            coercion=m.lever.coercion + float(m.lever.targeted_coercion[dest]),
            crackdown=float(m.lever.host_reaction[dest]),
        )
        host_total = rates.sum(axis=1)  # the host's hazard, for moving on
        f = w.fugitives
        deadline = m.lever.leniency_deadline if f.deadline_effect > 0 else 0.0
        rates = rules.individual_return_rates(
            rates, _one(self.frailty), _one(self.wanted), deadline, f
        )
        total = rates.sum(axis=1)
        if self.draw("return", m.step, 0) < rules.monthly_probability(total)[0]:
            self.return_home(m, rates)
            return
        if self.draw("death", m.step) < rules.monthly_probability(w.returns.death_per_year):
            self.become(S.RETIRED_OR_DEAD, m.step, how=1)
            m.flows["died_abroad"] += 1
            self.log(m, "died_abroad", dest)
            return
        transit = _one(float(cs.is_region[dest]))
        p_move = rules.move_on_probability(host_total, transit, w.destination)[0]
        if self.draw("move", m.step) < p_move:
            self.destination = self.choose_destination(m, hasty=False, k=1, exclude=dest)
            m.flows["moved_on"] += 1
            m.fled_to[self.destination] += 1
            self.log(m, "moved_on", self.destination)
        else:
            p_covert = rules.covert_return_probability(f)
            if p_covert > 0 and self.draw("covert", m.step) < p_covert:
                self.become(S.MISSING, m.step)
                m.flows["returned_covertly"] += 1
                self.log(m, "returned_covertly", dest)
                return
        self.confiscation(m)

    def return_home(self, m: OracleMonth, rates: np.ndarray) -> None:
        """The return event: its channel, the assets recovered with it, the new state."""
        w, dest = self.model.scenario.world, self.destination
        shares = rates / np.maximum(rates.sum(axis=1, keepdims=True), 1e-300)
        channel = int(rules.choose(shares, _one(self.draw("return", m.step, 1)))[0])
        recovery = getattr(w.assets, f"recovery_{rules.CHANNELS[channel]}")
        self.recover(min(recovery * (1.0 + m.lever.asset_return[dest]), 1.0), m)
        m.returned_from[dest] += 1
        if self.listed:
            m.flows["most_wanted_returned"] += 1
        if channel == PROSECUTION:
            self.become(S.PROSECUTED_ABROAD, m.step, how=channel)
            m.flows["prosecuted_abroad"] += 1
            self.log(m, "prosecuted_abroad", dest, channel)
        else:
            self.become(S.RETURNED, m.step, how=channel)
            m.flows[f"returned_{rules.CHANNELS[channel]}"] += 1
            m.flows["returned"] += 1
            self.log(m, "returned", dest, channel)

    def confiscation(self, m: OracleMonth) -> None:
        """Assets seized in the (current) host by confiscation or trial in absentia."""
        w, world = self.model.scenario.world, self.model.world
        seize = (
            m.lever.asset_confiscation + m.lever.trial_in_absentia
        ) * w.assets.confiscation_per_year
        if seize <= 0:
            return
        dest = self.destination
        coop = world.countries.cooperation[dest]
        rate = seize * coop * (1.0 + m.lever.asset_return[dest])
        u = self.draw("confiscation", m.step)
        if u < rules.monthly_probability(_one(rate))[0] and (
            self.assets_taken_usd - self.assets_recovered_usd > 0
        ):
            self.recover(w.assets.confiscation_share, m)
            self.log(m, "assets_confiscated", dest)


class ReferenceModel(mesa.Model):
    """The oracle's run: officials as agents, the world shared with the model.

    Args:
        scenario: a valid scenario.
        replicate: replicate number (keys the streams with the seed).
        seed: overrides ``scenario.run.seed`` when given.
    """

    def __init__(self, scenario: Scenario, replicate: int = 0, seed: int | None = None) -> None:
        # as in the model, Mesa's own generators are unused: every draw is counter-based
        super().__init__()
        root = scenario.run.seed if seed is None else int(seed)
        self.streams = Streams(root, replicate)
        self.scenario = scenario
        self.scale = scenario.run.scale
        self.n_steps = scenario.n_steps
        self.offset = MAX_TENURE_MONTHS
        self.world: World = build_world(self, scenario, self.streams)
        n_c = len(self.world.table)
        view = self.world.view()
        planned = rules.destination_utility(
            view, np.array([-1], dtype=np.int16), np.array([False]), scenario.world.destination
        )
        deterrence = scenario.world.deterrence
        if deterrence.weight > 0:  # at the start: step 0's levers, no returns signal yet
            total = self.return_hazard_by_row(self.world.levers.at(0))
            perceived = rules.perceived_return_hazard(total, 0.0, deterrence)
            planned = rules.deterred_utility(planned, np.zeros(1), perceived, deterrence.weight)
        self.logsum_reference = float(rules.logsum(planned)[0])
        self.salience = 0.0
        self.returned_last_month = 0.0
        self.lists = most_wanted_steps(scenario)
        self.officials: list[OfficialAgent] = []
        self.by_state: dict[S, dict[int, OfficialAgent]] = {s: {} for s in S}
        self.events: list[tuple[int, int, int, int, int]] = []
        self.rows: list[dict[str, float]] = []
        self.country_stock = np.zeros((self.n_steps, n_c), dtype=np.int64)
        self.country_fled_to = np.zeros((self.n_steps, n_c), dtype=np.int64)
        self.country_returned_from = np.zeros((self.n_steps, n_c), dtype=np.int64)
        self.country_cooperation = np.zeros((self.n_steps, n_c))
        self.country_treaty = np.zeros((self.n_steps, n_c), dtype=np.int8)
        self.enter(self.world.initial_officials, 0, initial=True)

    def enter(self, count: int, step: int, initial: bool = False) -> None:
        """New officials take office, one agent each, ids in order of entry."""
        for _ in range(count):
            agent = OfficialAgent(self, len(self.officials), step, initial)
            self.officials.append(agent)
            self.by_state[S.IN_OFFICE][agent.official_id] = agent

    def move(self, agent: OfficialAgent, state: S) -> None:
        """Keep the per-state registers in step with an official's change of state."""
        del self.by_state[agent.state][agent.official_id]
        self.by_state[state][agent.official_id] = agent

    def return_hazard_by_row(self, lever: LeverMonth) -> np.ndarray:
        """Total yearly return hazard of every country, without then with family abroad."""
        cs, table, w = self.world.countries, self.world.table, self.scenario.world
        totals = []
        for family in (0.0, 1.0):
            rates = rules.return_rates(
                treaty_in_force=cs.treaty_in_force,
                cooperation=cs.cooperation,
                fair_trial_objection=table.fair_trial_objection,
                asylum_delay_years=table.asylum_appeal_delay_years,
                death_penalty_abolished=table.death_penalty_abolished,
                family_abroad=np.full(len(table), family),
                # each host's own pursuit, coercion and crackdown (policy.targeted, host_reactions)
                pursuit=lever.pursuit + lever.targeted_pursuit,
                persuasion_program=lever.persuasion_program,
                leniency=lever.leniency,
                legal_assistance=lever.legal_assistance,
                p=w.returns,
                coercion=lever.coercion + lever.targeted_coercion,
                crackdown=lever.host_reaction,
            )
            totals.append(rates.sum(axis=1))
        return np.concatenate(totals)

    def list_most_wanted(self, size: int, multiplier: float) -> None:
        """Flag the ``size`` most prominent fugitives abroad not yet listed (rank, assets, id)."""
        candidates = [a for a in self.by_state[S.ABROAD].values() if not a.listed]
        candidates.sort(key=lambda a: (-int(a.rank), -a.assets_taken_usd, a.official_id))
        for agent in candidates[:size]:
            agent.listed = True
            agent.wanted = multiplier

    def _each(self, state: S) -> list[OfficialAgent]:
        """Officials in ``state`` at the start of a phase, in id order."""
        return sorted(self.by_state[state].values(), key=lambda a: a.official_id)

    def step(self) -> None:
        """One month, in the phases of :meth:`sim.core.model.FlightModel.step`."""
        t, world = self.steps - 1, self.world  # Mesa counts this call before running it
        lever = world.lever_values(t)
        world.update_countries(t, lever)
        n_c = len(world.table)
        deterrence = self.scenario.world.deterrence
        self.salience = rules.salience_update(self.salience, self.returned_last_month, deterrence)
        perceived = None
        if deterrence.weight > 0:
            total = self.return_hazard_by_row(lever)
            perceived = rules.perceived_return_hazard(total, self.salience, deterrence)
        m = OracleMonth(
            step=t,
            lever=lever,
            view=world.view(),
            flows=empty_flows(),
            fled_to=np.zeros(n_c, dtype=np.int64),
            returned_from=np.zeros(n_c, dtype=np.int64),
            events=self.events,
            perceived=perceived,
        )
        entered = int(world.entries[t]) if t < len(world.entries) else 0
        self.enter(entered, t)
        in_office = self._each(S.IN_OFFICE)
        retired = sum(agent.retire_if_due(m) for agent in in_office)
        m.flows["entered"], m.flows["retired"] = entered, retired
        for agent in in_office:
            if agent.corrupt and agent.state == S.IN_OFFICE:
                agent.clocks(m)
        for agent in self._each(S.INVESTIGATED):
            agent.investigation(m)
        for agent in self._each(S.MISSING):
            agent.hiding(m)
        for size, multiplier in self.lists.get(t, ()):
            self.list_most_wanted(size, multiplier)
        for agent in self._each(S.ABROAD):
            agent.abroad(m)
        self._record(m)
        if self.steps >= self.n_steps:
            self.running = False

    def _record(self, m: OracleMonth) -> None:
        world, t, s = self.world, m.step, self.scale
        cs = world.countries
        stock = np.zeros(len(world.table), dtype=np.int64)
        for agent in self.by_state[S.ABROAD].values():
            stock[agent.destination] += 1
        world.set_stock_abroad(stock)
        # everything counted in agents is recorded in real officials (x run.scale)
        self.country_stock[t] = stock * s
        self.country_fled_to[t] = m.fled_to * s
        self.country_returned_from[t] = m.returned_from * s
        self.country_cooperation[t] = cs.cooperation
        self.country_treaty[t] = cs.treaty_in_force.astype(np.int8)
        count = {state: len(agents) for state, agents in self.by_state.items()}
        row = {k: v * s for k, v in m.flows.items()}
        row.update(
            in_office=float(count[S.IN_OFFICE] * s),
            under_investigation=float(count[S.INVESTIGATED] * s),
            stock_abroad=float(count[S.ABROAD] * s),
            stock_missing=float(count[S.MISSING] * s),
            stock_abroad_treaty_free=float(np.sum(stock * (cs.treaty_in_force == 0)) * s),
            treaties_in_force=float(cs.treaties_in_force()),
            mean_cooperation=cs.mean_cooperation(),
            most_wanted_at_large=float(
                sum(a.listed for a in self.by_state[S.ABROAD].values())
                + sum(a.listed for a in self.by_state[S.MISSING].values())
            )
            * s,
        )
        self.returned_last_month = float(row["returned"] + row["prosecuted_abroad"])
        self.rows.append(row)

    def monthly_table(self) -> pd.DataFrame:
        """Flows and stocks by month (columns ``FLOWS`` then ``STOCKS``), in real officials."""
        return pd.DataFrame(self.rows, columns=[*FLOWS, *STOCKS])

    def event_log(self) -> np.ndarray:
        """Events as rows ``(official_id, step, event, country, how)`` sorted in that order."""
        rows = np.array(self.events, dtype=np.int64).reshape(-1, 5)
        return rows[np.lexsort(rows.T[::-1])]

    def officials_table(self) -> dict[str, np.ndarray]:
        """Every official's attributes at the end of the run, one array per attribute."""
        return {
            name: np.array([getattr(a, name) for a in self.officials]) for name in OFFICIAL_FIELDS
        }
