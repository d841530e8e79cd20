"""Compiled kernels (numba) that implement the rules of :mod:`sim.core.rules` for one month.

Destination utilities and the logit choices, the stay / hide / flee response, the fugitives'
return and move-on hazards and fates abroad, and the countries' cooperation. They draw with
:mod:`sim.core.draw_kernels` and are cached on disk as :mod:`sim.core.numba_cache` sets up.
Each kernel names the rule it implements and does its arithmetic in the same order; numpy keeps
the exponentials, logarithms and sums over all destinations; tests/test_rule_kernels.py checks
each against its rule bit for bit.
"""

from __future__ import annotations

import numpy as np

from sim.core.draw_kernels import uniform_one
from sim.core.numba_cache import njit


# ------------------------------------------------------------------------ choices
@njit(cache=True)
def hasty(
    ids: np.ndarray, family_country: np.ndarray, salt_: np.uint64, share: float
) -> np.ndarray:
    """Whether each escape of ``ids`` is hasty: no family abroad, and the official's uniform
    (:func:`draw_kernels.uniform_ids` with ``salt_``) below ``share``."""
    out = np.empty(ids.size, dtype=np.bool_)
    for j in range(ids.size):
        out[j] = family_country[ids[j]] < 0 and uniform_one(ids[j], salt_) < share
    return out


@njit(cache=True)
def destination_terms(
    treaty_in_force: np.ndarray,
    cooperation: np.ndarray,
    log_diaspora: np.ndarray,
    log_income: np.ndarray,
    death_penalty_abolished: np.ndarray,
    log_network: np.ndarray,
    log_size: np.ndarray,
    investor_visa: np.ndarray,
    distance_1000_km: np.ndarray,
    weights: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Implements :func:`rules.destination_country_terms`: ``(base, planned, distance)``.

    ``weights`` is ``(treaty, cooperation, diaspora, income, death_penalty_abolished, network,
    investor_visa, distance_per_1000_km)`` of the destination parameters.
    """
    w_treaty, w_coop, w_diaspora, w_income, w_abolished, w_network, w_visa, w_distance = weights
    k = cooperation.size
    base = np.empty(k)
    planned = np.empty(k)
    distance = np.empty(k)
    for c in range(k):
        b = (
            w_treaty * treaty_in_force[c]
            + w_coop * cooperation[c]
            + w_diaspora * log_diaspora[c]
            + w_income * log_income[c]
            + w_abolished * death_penalty_abolished[c]
            + w_network * log_network[c]
            + log_size[c]
        )
        base[c] = b
        planned[c] = b + w_visa * investor_visa[c]
        distance[c] = w_distance * distance_1000_km[c]
    return base, planned, distance


@njit(cache=True)
def destination_utility(
    family_country: np.ndarray,
    hasty: np.ndarray,
    base: np.ndarray,
    planned: np.ndarray,
    distance: np.ndarray,
    neighbour: np.ndarray,
    weights: np.ndarray,
) -> np.ndarray:
    """Implements :func:`rules.destination_utility` from its country terms.

    ``base, planned, distance`` are :func:`rules.destination_country_terms`; ``neighbour`` the
    countries' neighbour flags; ``weights`` is ``(hasty_distance_multiplier, hasty_neighbour,
    family_abroad)``. A hasty row is ``base + multiplier * distance + hasty_neighbour *
    neighbour``, a planned one ``planned + distance``; the family's country gains
    ``family_abroad``.
    """
    multiplier, near, family_abroad = weights
    n, k = family_country.size, base.size
    out = np.empty((n, k))
    for r in range(n):
        if hasty[r]:
            for c in range(k):
                out[r, c] = base[c] + multiplier * distance[c] + near * neighbour[c]
        else:
            for c in range(k):
                out[r, c] = planned[c] + distance[c]
        if family_country[r] >= 0:
            out[r, family_country[r]] += family_abroad
    return out


@njit(cache=True, inline="always")
def _choice(probabilities: np.ndarray, u: float) -> int:
    """:func:`rules.choose` of one row: running sums in column order, the last taken as 1."""
    total = 0.0
    count = 0
    for j in range(probabilities.size - 1):
        total += probabilities[j]
        if total <= u:
            count += 1
    if u >= 1.0:
        count += 1
    return count


@njit(cache=True)
def choose(probabilities: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Implements :func:`rules.choose`: the index chosen in each row by the uniform ``u``.

    The running sum of a row in column order (as ``np.cumsum``), its last entry taken as 1; the
    choice is the number of running sums at or below ``u``.
    """
    out = np.empty(probabilities.shape[0], dtype=np.int64)
    for r in range(out.size):
        out[r] = _choice(probabilities[r], u[r])
    return out


@njit(cache=True)
def response_shifted(
    log_gains: np.ndarray,
    ids: np.ndarray,
    rank: np.ndarray,
    family_country: np.ndarray,
    destinations_logsum: np.ndarray,
    stay: float,
    hide: np.ndarray,
    flee: np.ndarray,
    exit_term: float,
    naked_weight: float,
) -> np.ndarray:
    """Implements :func:`rules.response_probabilities` up to its softmax's ``np.exp``.

    Returns each row's utilities of staying, hiding and fleeing minus the row's largest, in the
    rule's order of operations: ``stay = leniency_stay * leniency``; ``hide = (hide_constant,
    hide_gains, hide_rank)``; ``flee = (flee_constant, flee_gains, flee_family_abroad,
    flee_destinations)``; ``exit_term = exit_control_deterrence * exit_controls``;
    ``naked_weight = naked_rule_deterrence * naked_rules``. ``log_gains`` is the rule's
    ``np.log`` term, computed by numpy, aligned with ``ids``; each official's ``rank`` and
    family abroad (``family_country >= 0``, as 1.0 or 0.0) are read by id. Finish with
    :func:`choose_normalized` of ``np.exp``.
    """
    n = log_gains.size
    out = np.empty((n, 3))
    for r in range(n):
        lg = log_gains[r]
        family = 1.0 if family_country[ids[r]] >= 0 else 0.0
        h = hide[0] + hide[1] * lg + hide[2] * np.float64(rank[ids[r]])
        f = (
            flee[0]
            + flee[1] * lg
            + flee[2] * family
            + flee[3] * destinations_logsum[r]
            - exit_term
            - naked_weight * family
        )
        top = max(max(stay, h), f)
        out[r, 0] = stay - top
        out[r, 1] = h - top
        out[r, 2] = f - top
    return out


@njit(cache=True)
def choose_normalized(weights: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Implements :func:`rules.choose` of ``weights / weights.sum(axis=1, keepdims=True)``.

    The last step of :func:`rules.softmax` (``weights`` are its ``np.exp``), then the choice.
    Only for rows of fewer than 8 entries, which numpy sums in column order (longer rows it
    sums pairwise, in another order).
    """
    n, k = weights.shape
    if k >= 8:
        raise ValueError("choose_normalized sums rows in order: fewer than 8 entries only")
    probs = np.empty(k)
    out = np.empty(n, dtype=np.int64)
    for r in range(n):
        total = weights[r, 0]
        for j in range(1, k):
            total += weights[r, j]
        for j in range(k):
            probs[j] = weights[r, j] / total
        out[r] = _choice(probs, u[r])
    return out


# ------------------------------------------------------------------------ fugitives abroad
@njit(cache=True)
def return_rates_by_row(
    row_country: np.ndarray,
    treaty_in_force: np.ndarray,
    cooperation: np.ndarray,
    legal_assistance: np.ndarray,
    fair_trial_objection: np.ndarray,
    asylum_delay_years: np.ndarray,
    death_penalty_abolished: np.ndarray,
    family_abroad: np.ndarray,
    transit: np.ndarray,
    levers: np.ndarray,
    returns: np.ndarray,
    move_on: np.ndarray,
    host_levers: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Implements :func:`rules.return_rates` and :func:`rules.move_on_probability` by row.

    Rows are (country ``row_country``, family abroad or not) pairs: country arrays are read
    through ``row_country``, the other arrays are already by row. ``levers`` is ``(pursuit,
    persuasion_program, leniency)``; ``returns`` is ``(persuasion_per_year,
    deportation_per_year, extradition_per_year, prosecution_per_year, surrender_per_year,
    family_in_china_effect, leniency_effect, asylum_delay_effect, death_penalty_assurance,
    coercion_persuasion_effect)``; ``host_levers`` is ``(3, n_countries)``: pursuit aimed at
    each host (added to ``pursuit``), coercion in each host, each host's crackdown; ``move_on``
    is ``(move_on_threshold_per_year, move_on_per_year, transit_move_on_per_year)``. Returns
    the ``(rows, 5)`` rates, their row sums (in column order, as numpy sums five columns) and
    the yearly move-on rate, the argument of the rule's :func:`rules.monthly_probability`
    (``np.expm1`` stays in numpy).
    """
    state_pursuit, programme, leniency = levers
    pers, dep, ext, pros, surr, family_effect, leniency_effect, asylum_effect, assurance = returns[
        :9
    ]
    coercion_effect = returns[9]
    threshold, move_per_year, transit_per_year = move_on
    n = row_country.size
    rates = np.empty((n, 5))
    total = np.empty(n)
    move = np.empty(n)
    lenient = 1.0 + leniency_effect * leniency
    refused = 1.0 - assurance
    for r in range(n):
        c = row_country[r]
        pursuit = state_pursuit + host_levers[0, c]
        persuasion = pers * (pursuit + programme)
        surrender = surr * lenient * (1.0 + pursuit)
        coerced = 1.0 + coercion_effect * host_levers[1, c] * (1.0 - host_levers[2, c])
        coop = cooperation[c]
        delay = 1.0 / (1.0 + asylum_effect * asylum_delay_years[r])
        courts = 1.0 - death_penalty_abolished[r] * refused
        family_home = 1.0 + family_effect * (1.0 - family_abroad[r])
        assist = 1.0 + legal_assistance[c]
        rates[r, 0] = persuasion * family_home * lenient * (0.5 + 0.5 * coop) * coerced
        rates[r, 1] = dep * coop * delay * (1.0 + pursuit) * assist
        rates[r, 2] = ext * treaty_in_force[c] * coop * courts * delay * assist
        rates[r, 3] = pros * coop * fair_trial_objection[r] * (1.0 + pursuit) * assist
        rates[r, 4] = surrender
        t = rates[r, 0] + rates[r, 1] + rates[r, 2] + rates[r, 3] + rates[r, 4]
        total[r] = t
        excess = max(t - threshold, 0.0)
        risky = move_per_year * excess / max(threshold, 1e-9)
        move[r] = risky + transit_per_year * transit[r]
    return rates, total, move


ABROAD_EVENT, ABROAD_DIED, ABROAD_MOVES, ABROAD_STAYS = 0, 1, 2, 3
"""Fates of a fugitive in a month (:func:`abroad_fates`), in the order they are drawn."""


@njit(cache=True)
def abroad_fates(
    ids: np.ndarray,
    destination: np.ndarray,
    family_country: np.ndarray,
    p_event: np.ndarray,
    salt_event: np.uint64,
    p_death: float,
    salt_death: np.uint64,
    p_move: np.ndarray,
    salt_move: np.uint64,
) -> np.ndarray:
    """This month's fate of each fugitive abroad (:func:`transitions.abroad`), as a code.

    An official's hazard row is its ``destination`` plus, when its family lives abroad
    (``family_country >= 0``), the number of countries (``p_event.size // 2``).
    ``ABROAD_EVENT`` when the official's own ``return`` uniform (k = 0) falls below ``p_event``
    of its hazard row (any return channel or a trial abroad); else ``ABROAD_DIED`` when its
    ``death`` uniform falls below ``p_death``; else ``ABROAD_MOVES`` when its ``move`` uniform
    falls below ``p_move`` of its row; else ``ABROAD_STAYS``. Each uniform is drawn only for
    the officials who reach it, the same numbers as drawing it for all of them.
    """
    n_c = p_event.size // 2
    fate = np.empty(ids.size, dtype=np.int8)
    for j in range(ids.size):
        i = ids[j]
        r = destination[i] + (n_c if family_country[i] >= 0 else 0)
        fate[j] = _fate(i, p_event[r], salt_event, p_death, salt_death, p_move[r], salt_move)
    return fate


@njit(cache=True, inline="always")
def _fate(
    i: int,
    p_event: float,
    salt_event: np.uint64,
    p_death: float,
    salt_death: np.uint64,
    p_move: float,
    salt_move: np.uint64,
) -> int:
    """One fugitive's fate code of the month (see :func:`abroad_fates`)."""
    if uniform_one(i, salt_event) < p_event:
        return ABROAD_EVENT
    if uniform_one(i, salt_death) < p_death:
        return ABROAD_DIED
    if uniform_one(i, salt_move) < p_move:
        return ABROAD_MOVES
    return ABROAD_STAYS


@njit(cache=True)
def abroad_fates_each(
    ids: np.ndarray,
    destination: np.ndarray,
    family_country: np.ndarray,
    p_event: np.ndarray,
    salt_event: np.uint64,
    p_death: float,
    salt_death: np.uint64,
    p_move: np.ndarray,
    salt_move: np.uint64,
) -> np.ndarray:
    """:func:`abroad_fates` with each fugitive's own ``p_event`` (aligned with ``ids``) instead of
    its hazard row's: fugitives who differ (frailty, most-wanted list, leniency deadline;
    :func:`rules.individual_return_rates`). ``p_move`` stays by row."""
    n_c = p_move.size // 2
    fate = np.empty(ids.size, dtype=np.int8)
    for j in range(ids.size):
        i = ids[j]
        r = destination[i] + (n_c if family_country[i] >= 0 else 0)
        fate[j] = _fate(i, p_event[j], salt_event, p_death, salt_death, p_move[r], salt_move)
    return fate


# ------------------------------------------------------------------------ countries
@njit(cache=True)
def cooperation_step(
    cooperation: np.ndarray,
    base: np.ndarray,
    pledge: np.ndarray,
    pressure: np.ndarray,
    region_codes: np.ndarray,
    stock_abroad: np.ndarray,
    fair_trial_objection: np.ndarray,
    coercion: np.ndarray,
    reaction: np.ndarray,
    ceiling: np.ndarray,
    weights: np.ndarray,
    adjustment: float,
) -> np.ndarray:
    """Implements :func:`rules.cooperation_target` then :func:`rules.cooperation_update`.

    As :meth:`agents.CountryStates.update`: peers' mean cooperation by region (sums in country
    order, as ``np.bincount``), fugitive shares of the stock abroad (over at least one), the
    target, then the partial adjustment. ``pressure``, ``coercion`` and ``reaction`` are by
    country (the state's levers plus those aimed at the host; the host's crackdown strength);
    ``ceiling`` is :func:`rules.cooperation_ceiling`. ``weights`` is ``(pledge_weight,
    pressure_weight, peer_weight, backlash_weight, reaction_weight)``; ``adjustment`` is
    ``monthly_probability(adjustment_per_year)`` (numpy's ``expm1``). Returns the new levels.
    """
    pledge_w, pressure_w, peer_w, backlash_w, reaction_w = weights
    n = cooperation.size
    n_regions = region_codes.max() + 1 if n > 0 else 0
    sums = np.zeros(n_regions)
    counts = np.zeros(n_regions, dtype=np.int64)
    total = 0
    for c in range(n):
        sums[region_codes[c]] += cooperation[c]
        counts[region_codes[c]] += 1
        total += stock_abroad[c]
    total = max(total, 1)
    own_w = 1.0 - peer_w
    out = np.empty(n)
    for c in range(n):
        k = region_codes[c]
        peer_mean = sums[k] / counts[k]
        own = base[c] + pledge_w * pledge[c] + pressure_w * pressure[c]
        own = own_w * own + peer_w * peer_mean
        backlash = backlash_w * coercion[c] * (stock_abroad[c] / total) * fair_trial_objection[c]
        cap = ceiling[c]
        t = own - backlash - reaction_w * reaction[c]
        t = t if t < cap else cap  # np.minimum
        t = t if t > 0.0 else 0.0  # np.clip to [0, 1]
        t = t if t < 1.0 else 1.0
        out[c] = cooperation[c] + adjustment * (t - cooperation[c])
    return out
