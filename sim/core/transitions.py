"""Officials' monthly transitions: family abroad, exposure and response, flight, capture, returns.

Each function observes the population and the world for one month, calls the pure rules of
:mod:`sim.core.rules`, and applies the outcome with the official's own counter-based draws.
Flows are counted in simulated agents; the recorder converts them to real officials
(:func:`sim.core.population.to_officials`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from sim.core import abroad_kernels, draw_kernels, pool_kernels, rule_kernels, rules
from sim.core.agents import CountryStates
from sim.core.hazards import deter, individual_rates, monthly, parameters, return_table
from sim.core.levers import LeverMonth
from sim.core.metrics import empty_flows
from sim.core.population import OfficialPopulation, to_officials
from sim.core.population import OfficialState as S
from sim.world.countries import CountryTable

DESTINATION_TERMS = (
    "treaty",
    "cooperation",
    "diaspora",
    "income",
    "death_penalty_abolished",
    "network",
    "investor_visa",
    "distance_per_1000_km",
)
"""The destination parameters :func:`rule_kernels.destination_terms` reads, in its order."""


@dataclass
class Month:
    """Everything officials see in one step, and the tallies they add to."""

    step: int
    lever: LeverMonth
    table: CountryTable
    countries: CountryStates
    view: rules.CountryState
    terms: tuple[np.ndarray, np.ndarray, np.ndarray]
    """:func:`rules.destination_country_terms` of ``view``, computed once for the month."""
    logsum_reference: float
    flows: dict[str, float]
    fled_to: np.ndarray
    returned_from: np.ndarray
    returns: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    """:func:`return_table` of the month: rates, totals and move-on rates by row."""
    perceived: np.ndarray | None = None
    """:func:`rules.perceived_return_hazard` by row, when deterrence is on (else ``None``)."""


def new_month(
    step: int,
    lever: LeverMonth,
    countries: CountryStates,
    scale: int,
    logsum_reference: float,
    salience: float = 0.0,
) -> Month:
    """The month ``step`` as officials see it (levers, countries), with its tallies at zero.

    Args:
        step: the step (months since ``run.start``).
        lever: this month's levers.
        countries: the country states, already updated for this month.
        scale: real officials per simulated agent (``run.scale``).
        logsum_reference: logsum of a planned escape when the run starts (see the model).
        salience: the publicised-returns signal (:func:`rules.salience_update`).
    """
    n_c = len(countries.table)
    returns = return_table(countries, lever)
    deterrence = countries.scenario.world.deterrence
    perceived = None
    if deterrence.weight > 0:
        perceived = rules.perceived_return_hazard(returns[1], salience, deterrence)
    view = country_view(countries, scale)
    p = countries.scenario.world.destination
    return Month(
        step=step,
        lever=lever,
        table=countries.table,
        countries=countries,
        view=view,
        terms=rule_kernels.destination_terms(  # rules.destination_country_terms, see the kernel
            view.treaty_in_force,
            view.cooperation,
            view.log_diaspora,
            view.log_income,
            view.death_penalty_abolished,
            view.log_network,
            view.log_size,
            view.investor_visa,
            view.distance_1000_km,
            parameters(p, DESTINATION_TERMS),
        ),
        logsum_reference=logsum_reference,
        flows=empty_flows(),
        fled_to=np.zeros(n_c, dtype=np.int64),
        returned_from=np.zeros(n_c, dtype=np.int64),
        returns=returns,
        perceived=perceived,
    )


def country_view(states: CountryStates, scale: int) -> rules.CountryState:
    """What officials see of the countries this month."""
    table = states.table
    return rules.CountryState(
        treaty_in_force=states.treaty_in_force,
        cooperation=states.cooperation,
        log_diaspora=states.log_diaspora,
        log_income=states.log_income,
        distance_1000_km=states.distance_1000_km,
        investor_visa=states.investor_visa,
        death_penalty_abolished=table.death_penalty_abolished,
        log_size=states.log_size,
        log_network=np.log1p(to_officials(states.stock_abroad, scale) / 100.0),
        neighbour=table.neighbour,
    )


def _hasty(pop: OfficialPopulation, ids: np.ndarray, step: int) -> np.ndarray:
    """Escapes without family abroad are hasty with probability ``hasty_share``."""
    salt = pop.streams["hasty"].salt(step)
    return rule_kernels.hasty(ids, pop.family_country, salt, pop.world.destination.hasty_share)


def _destination_utility(
    pop: OfficialPopulation, ids: np.ndarray, m: Month, hasty: np.ndarray
) -> np.ndarray:
    """:func:`rules.destination_utility` of officials ``ids``, by its kernel (exact)."""
    p = pop.world.destination
    base, planned, distance = m.terms
    return rule_kernels.destination_utility(
        pop.family_country[ids],
        hasty.astype(bool),
        base,
        planned,
        distance,
        m.view.neighbour,
        parameters(p, ("hasty_distance_multiplier", "hasty_neighbour", "family_abroad")),
    )


def _choose_destination(
    pop: OfficialPopulation, ids: np.ndarray, m: Month, utility: np.ndarray, k: int, exclude=None
) -> np.ndarray:
    """Destinations of ``ids`` by their ``utility`` rows (:func:`_destination_utility`).

    ``exclude`` (one country per official, optional) is ruled out; ``utility`` is changed then.
    The choice is :func:`rules.choose` (as :func:`rule_kernels.choose`) of :func:`rules.softmax`.
    """
    if exclude is not None:
        utility[np.arange(ids.size), exclude] = -np.inf
    probs = rules.softmax(utility)
    return rule_kernels.choose(probs, pop.streams["destination"].uniform(ids, m.step, k))


def family_moves(pop: OfficialPopulation, m: Month, alive: np.ndarray, ratio: np.ndarray) -> None:
    """Corrupt officials in office send spouse and children abroad ("naked officials").

    The hazard is :func:`rules.family_abroad_rate`, computed inside
    :func:`pool_kernels.family_clock` from its power of gains (``ratio``: gains over the
    reference, see :meth:`OfficialPopulation.corrupt_month`).
    """
    c, pool = pop.world.corruption, pop.pool
    ids = pool.view("ids")
    size = np.power(ratio, c.family_gains_elasticity)
    hits = pool_kernels.family_clock(
        ids,
        alive,
        pop.family_country,
        size,
        c.family_abroad_per_year,
        1.0 + m.lever.naked_official_rules,
        pool.view("family_hazard"),
        pool.view("family_threshold"),
    )
    moving = ids[hits]
    if moving.size == 0:
        return
    planned = _destination_utility(pop, moving, m, np.zeros(moving.size, dtype=bool))
    where = _choose_destination(pop, moving, m, planned, k=2)
    pop.family_country[moving] = where
    m.flows["family_moved_abroad"] += moving.size
    pop.log_event(moving, m.step, "family_moved_abroad", where)


def flee(
    pop: OfficialPopulation, ids: np.ndarray, m: Month, utility: np.ndarray | None = None
) -> None:
    """Officials try to leave: some are caught at the border, the rest reach a destination.

    ``utility``: the officials' destination utilities when the caller has them (rows aligned
    with ``ids``, hasty escapes as :func:`_hasty` draws them this month); else computed here.
    """
    if ids.size == 0:
        return
    d = pop.world.decision
    stopped = pop.streams["border"].uniform(ids, m.step) < min(
        m.lever.exit_controls * d.border_capture, 1.0
    )
    caught = ids[stopped]
    pop.set_state(caught, S.CAUGHT, m.step, how=1)
    m.flows["caught_border"] += caught.size
    pop.log_event(caught, m.step, "caught_border")
    gone = ids[~stopped]
    if gone.size == 0:
        return
    if utility is None:
        hasty = _hasty(pop, gone, m.step)
        utility = deter(pop, gone, m.perceived, _destination_utility(pop, gone, m, hasty))
    else:
        utility = utility[~stopped]
    where = _choose_destination(pop, gone, m, utility, k=0)
    taken = abroad_kernels.arrive_abroad(
        gone,
        where,
        m.step,
        pop.world.assets.share_taken,
        (
            pop.state,
            pop.state_step,
            pop.destination,
            pop.fled_step,
            pop.gains_usd,
            pop.assets_taken_usd,
        ),
        pop.counts,
        int(S.ABROAD),
        m.fled_to,
    )
    pop.abroad_ids = np.concatenate([pop.abroad_ids, gone])
    variance = pop.world.fugitives.frailty_variance
    if variance > 0:  # drawn once per official (month 0 of its own stream)
        pop.frailty[gone] = rules.frailty(pop.streams["frailty"].uniform(gone, 0), variance)
    m.flows["fled_abroad"] += gone.size
    m.flows["assets_taken_usd"] += float(taken.sum())
    pop.log_event(gone, m.step, "fled_abroad", where)


def exposures(pop: OfficialPopulation, m: Month) -> None:
    """Corrupt officials in office may be exposed; the exposed stay, hide or flee.

    Exposure and family moves run on integrated-hazard clocks: each official's cumulative hazard
    grows every month and the event happens when it passes the official's own Exp(1) threshold.
    """
    pool = pop.pool
    if pool.n == 0:
        return
    w = pop.world
    alive, gains, ratio = pop.corrupt_month(m.step)
    family_moves(pop, m, alive, ratio)
    ids = pool.view("ids")
    e = w.exposure
    hit = pool_kernels.exposure_clock(  # rules.exposure_rate, see the kernel
        ids,
        alive,
        pop.family_country,
        np.power(ratio, e.gains_elasticity),
        e.base_per_year * (1.0 + e.campaign_effect * m.lever.campaign),
        e.naked_official_effect * m.lever.naked_official_rules,
        pool.view("exposure_hazard"),
        pool.view("exposure_threshold"),
    )
    ids, gains = ids[hit], gains[hit]
    if ids.size == 0:
        return
    pop.gains_usd[ids] = gains
    m.flows["exposed"] += ids.size
    utility = deter(
        pop, ids, m.perceived, _destination_utility(pop, ids, m, _hasty(pop, ids, m.step))
    )
    d, lever = w.decision, m.lever
    # rules.response_probabilities and rules.choose, with numpy's log and exp (see the kernels)
    log_gains = np.log(np.maximum(gains, 1.0) / w.exposure.reference_gains_usd)
    shifted = rule_kernels.response_shifted(
        log_gains,
        ids,
        pop.rank,
        pop.family_country,
        rules.logsum(utility) - m.logsum_reference,
        d.leniency_stay * lever.leniency,
        parameters(d, ("hide_constant", "hide_gains", "hide_rank")),
        parameters(d, ("flee_constant", "flee_gains", "flee_family_abroad", "flee_destinations")),
        d.exit_control_deterrence * lever.exit_controls,
        d.naked_rule_deterrence * lever.naked_official_rules,
    )
    choice = rule_kernels.choose_normalized(
        np.exp(shifted), pop.streams["response"].uniform(ids, m.step)
    )
    stay, hide = ids[choice == rules.STAY], ids[choice == rules.HIDE]
    pop.set_state(stay, S.INVESTIGATED, m.step)
    pop.investigated_ids = np.concatenate([pop.investigated_ids, stay])
    m.flows["investigated"] += stay.size
    pop.log_event(stay, m.step, "exposed_stayed")
    pop.set_state(hide, S.MISSING, m.step)
    pop.missing_ids = np.concatenate([pop.missing_ids, hide])
    m.flows["went_missing"] += hide.size
    pop.log_event(hide, m.step, "went_missing")
    fleeing = choice == rules.FLEE
    flee(pop, ids[fleeing], m, utility[fleeing])  # the same utilities: same officials, month


def investigations(pop: OfficialPopulation, m: Month) -> None:
    """Open investigations close with a sanction at home, or the official flees late."""
    # investigations opened this month go on
    pop.investigated_ids, ids = pop.members(
        pop.investigated_ids, S.INVESTIGATED, pop.state_step, m.step
    )
    if ids.size == 0:
        return
    h = pop.world.home
    p_close = _closing(h.investigation_months)
    p_flee = monthly(h.late_flight_per_year)
    salt = pop.streams["investigation"].salt(m.step)
    closed, late = draw_kernels.uniform_bands(ids, salt, p_close, p_close + p_flee)
    pop.set_state(closed, S.SANCTIONED_AT_HOME, m.step)
    m.flows["sanctioned_at_home"] += closed.size
    pop.log_event(closed, m.step, "sanctioned_at_home")
    flee(pop, late, m)


@lru_cache(maxsize=64)
def _closing(investigation_months: float) -> float:
    """Monthly probability that an investigation closes, for a mean duration in months."""
    return -np.expm1(-1.0 / investigation_months)


def home_capture(pop: OfficialPopulation, m: Month) -> None:
    """Officials hiding inside China are caught by domestic pursuit."""
    # capture hazard starts the month after hiding
    pop.missing_ids, ids = pop.members(pop.missing_ids, S.MISSING, pop.state_step, m.step)
    if ids.size == 0:
        return
    p = rules.home_capture_probability(m.lever.campaign, m.lever.pursuit, pop.world.home)
    caught, _ = draw_kernels.uniform_bands(ids, pop.streams["capture"].salt(m.step), p, p)
    pop.set_state(caught, S.CAUGHT, m.step, how=0)
    m.flows["caught_home"] += caught.size
    m.flows["caught_after_covert_return"] += int(np.count_nonzero(pop.fled_step[caught] >= 0))
    pop.log_event(caught, m.step, "caught_home")


def abroad(pop: OfficialPopulation, m: Month) -> None:
    """Fugitives abroad: returns by channel, deaths, onward moves and asset confiscation."""
    # return hazards start the month after arrival
    pop.abroad_ids, ids = pop.members(pop.abroad_ids, S.ABROAD, pop.fled_step, m.step)
    for size, multiplier in pop.lists.get(m.step, ()):
        _list_most_wanted(pop, size, multiplier)
    if ids.size == 0:
        return
    w, t = pop.world, m.table
    n_c = len(t)
    rates_by_row, total_by_row, move_by_row = m.returns  # by (family abroad, country) row
    streams = pop.streams
    individual = individual_rates(pop, ids, m.lever, m.returns[0])
    if individual is None:
        fate = rule_kernels.abroad_fates(
            ids,
            pop.destination,
            pop.family_country,
            rules.monthly_probability(total_by_row),
            streams["return"].salt(m.step, 0),
            monthly(w.returns.death_per_year),
            streams["death"].salt(m.step),
            rules.monthly_probability(move_by_row),
            streams["move"].salt(m.step),
        )
    else:
        fate = rule_kernels.abroad_fates_each(
            ids,
            pop.destination,
            pop.family_country,
            rules.monthly_probability(individual.sum(axis=1)),
            streams["return"].salt(m.step, 0),
            monthly(w.returns.death_per_year),
            streams["death"].salt(m.step),
            rules.monthly_probability(move_by_row),
            streams["move"].salt(m.step),
        )
    event = fate == rule_kernels.ABROAD_EVENT
    if event.any():
        ev = ids[event]
        dest = pop.destination[ev].astype(np.int64)
        if individual is None:
            ev_rates = rates_by_row[dest + n_c * (pop.family_country[ev] >= 0)]
        else:
            ev_rates = individual[event]
        m.flows["most_wanted_returned"] += int(np.count_nonzero(pop.listed[ev]))
        shares = ev_rates / np.maximum(ev_rates.sum(axis=1, keepdims=True), 1e-300)
        channel = rule_kernels.choose(shares, streams["return"].uniform(ev, m.step, 1))
        recovery = parameters(w.assets, tuple(f"recovery_{c}" for c in rules.CHANNELS))[channel] * (
            1.0 + m.lever.asset_return[dest]
        )
        _recover(pop, ev, np.minimum(recovery, 1.0), m)
        m.returned_from += np.bincount(dest, minlength=m.returned_from.size)
        prosecution = rules.CHANNELS.index("prosecution")
        tried = ev[channel == prosecution]
        pop.set_state(tried, S.PROSECUTED_ABROAD, m.step, how=prosecution)
        m.flows["prosecuted_abroad"] += tried.size
        pop.log_event(tried, m.step, "prosecuted_abroad", pop.destination[tried], prosecution)
        for k, name in enumerate(rules.CHANNELS):
            if k == prosecution:
                continue
            back = ev[channel == k]
            pop.set_state(back, S.RETURNED, m.step, how=k)
            m.flows[f"returned_{name}"] += back.size
            m.flows["returned"] += back.size
            pop.log_event(back, m.step, "returned", pop.destination[back], k)
    died = ids[fate == rule_kernels.ABROAD_DIED]
    pop.set_state(died, S.RETIRED_OR_DEAD, m.step, how=1)
    m.flows["died_abroad"] += died.size
    pop.log_event(died, m.step, "died_abroad", pop.destination[died])
    moves = fate == rule_kernels.ABROAD_MOVES
    if moves.any():
        movers = ids[moves]
        planned = _destination_utility(pop, movers, m, np.zeros(movers.size, dtype=bool))
        where = _choose_destination(pop, movers, m, planned, k=1, exclude=pop.destination[movers])
        pop.destination[movers] = where
        m.flows["moved_on"] += movers.size
        m.fled_to += np.bincount(where, minlength=m.fled_to.size)
        pop.log_event(movers, m.step, "moved_on", where)
    covert = _covert_returns(pop, ids[fate == rule_kernels.ABROAD_STAYS], m)
    seize = (
        m.lever.asset_confiscation + m.lever.trial_in_absentia
    ) * w.assets.confiscation_per_year
    if seize > 0:
        rest = ids[fate >= rule_kernels.ABROAD_MOVES]  # neither returned, tried nor dead
        if covert.size:
            rest = rest[pop.state[rest] == S.ABROAD]  # nor back in China in secret
        dest_now = pop.destination[rest].astype(np.int64)
        rate = seize * m.countries.cooperation * (1.0 + m.lever.asset_return)  # by country
        remaining = pop.assets_taken_usd[rest] - pop.assets_recovered_usd[rest]
        p_seize = rules.monthly_probability(rate)[dest_now]
        hit = (pop.streams["confiscation"].uniform(rest, m.step) < p_seize) & (remaining > 0)
        if hit.any():
            _recover(pop, rest[hit], np.full(int(hit.sum()), w.assets.confiscation_share), m)
            pop.log_event(rest[hit], m.step, "assets_confiscated", pop.destination[rest[hit]])


def _recover(pop: OfficialPopulation, ids: np.ndarray, share: np.ndarray, m: Month) -> None:
    remaining = pop.assets_taken_usd[ids] - pop.assets_recovered_usd[ids]
    amount = remaining * share
    pop.assets_recovered_usd[ids] += amount
    m.flows["assets_recovered_usd"] += float(amount.sum())


# --------------------------------------------------------- Sky Net era: officials' side (issue 11)
def _list_most_wanted(pop: OfficialPopulation, size: int, multiplier: float) -> None:
    """Flag for good the ``size`` most prominent fugitives abroad not yet listed.

    Prominence is :func:`rules.most_wanted` (rank, then assets taken, ties by id) among the
    fugitives abroad at the start of the month's abroad phase; listed fugitives keep the extra
    pursuit ``multiplier`` on their pursuit-driven channels.
    """
    ids = pop.abroad_ids[(pop.state[pop.abroad_ids] == S.ABROAD) & ~pop.listed[pop.abroad_ids]]
    chosen = rules.most_wanted(ids, pop.rank[ids], pop.assets_taken_usd[ids], size)
    pop.listed[chosen] = True
    pop.wanted[chosen] = multiplier
    pop.listed_ids = np.concatenate([pop.listed_ids, chosen])


def _covert_returns(pop: OfficialPopulation, ids: np.ndarray, m: Month) -> np.ndarray:
    """Fugitives ``ids`` (staying put this month) who slip back into China and hide there."""
    p = rules.covert_return_probability(pop.world.fugitives)
    if p <= 0 or ids.size == 0:
        return ids[:0]
    back = ids[pop.streams["covert"].uniform(ids, m.step) < p]
    pop.set_state(back, S.MISSING, m.step)
    pop.missing_ids = np.concatenate([pop.missing_ids, back])
    m.flows["returned_covertly"] += back.size
    pop.log_event(back, m.step, "returned_covertly", pop.destination[back])
    return back
