"""Pure decision rules: exposure, stay/hide/flee, destination, returns, cooperation.

No Mesa, no I/O.

Every rule takes arrays and parameter models and returns arrays; the model applies them. Rates are
given per year in the scenario and turned into monthly probabilities with
``p = 1 - exp(-rate / 12)`` (constant hazard within a month).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import gammaincinv

from sim.scenario.world import (
    Cooperation,
    Corruption,
    Decision,
    Destination,
    Deterrence,
    Exposure,
    Fugitives,
    Home,
    Returns,
)

CHANNELS = ("persuasion", "deportation", "extradition", "prosecution", "surrender")
"""Ways a fugitive abroad stops being at large; ``prosecution`` means tried in the host country."""


def monthly_probability(rate_per_year: np.ndarray | float) -> np.ndarray:
    """Probability of at least one event in a month under a constant yearly hazard rate."""
    return -np.expm1(-np.asarray(rate_per_year, dtype=np.float64) / 12.0)


def exposure_rate(
    gains_usd: np.ndarray,
    family_abroad: np.ndarray,
    campaign: float,
    naked_rules: float,
    p: Exposure,
) -> np.ndarray:
    """Yearly hazard that a corrupt official in office is exposed (an investigation opens).

    Proportional hazards (Cox 1972): a base rate, multiplied by the campaign intensity and by a
    power of illicit gains (larger takings leave more traces: the size-dependent detection of
    Becker 1968), and raised for "naked officials" once rules target them (2010, 2014).
    """
    size = np.power(np.maximum(gains_usd, 1.0) / p.reference_gains_usd, p.gains_elasticity)
    naked = 1.0 + p.naked_official_effect * naked_rules * family_abroad
    return p.base_per_year * (1.0 + p.campaign_effect * campaign) * size * naked


def family_abroad_rate(
    gains_usd: np.ndarray, naked_rules: float, reference_gains_usd: float, p: Corruption
) -> np.ndarray:
    """Yearly hazard that a corrupt official settles spouse and children abroad.

    Grows with a power of illicit gains (the means to fund a family abroad) and falls as rules on
    "naked officials" bite (2010, 2014): an assumption with no published functional form.
    """
    size = np.power(np.maximum(gains_usd, 1.0) / reference_gains_usd, p.family_gains_elasticity)
    return p.family_abroad_per_year * size / (1.0 + naked_rules)


def softmax(utility: np.ndarray, axis: int = -1) -> np.ndarray:
    """Row-wise multinomial-logit probabilities, numerically stable."""
    shifted = utility - utility.max(axis=axis, keepdims=True)
    weights = np.exp(shifted)
    return weights / weights.sum(axis=axis, keepdims=True)


def choose(probabilities: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Index chosen in each row by inverting the cumulative probabilities with uniforms ``u``."""
    cumulative = np.cumsum(probabilities, axis=1)
    cumulative[:, -1] = 1.0
    return np.sum(cumulative <= u[:, None], axis=1).astype(np.int64)


STAY, HIDE, FLEE = 0, 1, 2


def response_probabilities(
    gains_usd: np.ndarray,
    rank: np.ndarray,
    family_abroad: np.ndarray,
    destinations_logsum: np.ndarray,
    exit_controls: float,
    naked_rules: float,
    leniency: float,
    reference_gains_usd: float,
    p: Decision,
) -> np.ndarray:
    """Probabilities of staying, hiding at home and fleeing abroad for exposed officials.

    Multinomial logit (McFadden 1974) over three alternatives; staying is the reference with
    utility ``leniency_stay * leniency``. Fleeing grows with the log of illicit gains (the means to
    live abroad), with family already abroad, and with the attractiveness of the best destinations
    (the logsum of the destination model: more treaties and cooperation abroad deter flight); exit
    controls and rules on naked officials (passports held, posts screened) deter it.

    Returns:
        ``(n, 3)`` array, columns ``STAY, HIDE, FLEE``, rows summing to 1.
    """
    log_gains = np.log(np.maximum(gains_usd, 1.0) / reference_gains_usd)
    n = gains_usd.shape[0]
    u = np.zeros((n, 3))
    u[:, STAY] = p.leniency_stay * leniency
    u[:, HIDE] = p.hide_constant + p.hide_gains * log_gains + p.hide_rank * rank
    u[:, FLEE] = (
        p.flee_constant
        + p.flee_gains * log_gains
        + p.flee_family_abroad * family_abroad
        + p.flee_destinations * destinations_logsum
        - p.exit_control_deterrence * exit_controls
        - p.naked_rule_deterrence * naked_rules * family_abroad
    )
    return softmax(u)


@dataclass(frozen=True)
class CountryState:
    """What officials see of the countries in one month (index = country index)."""

    treaty_in_force: np.ndarray
    cooperation: np.ndarray
    log_diaspora: np.ndarray
    log_income: np.ndarray
    distance_1000_km: np.ndarray
    investor_visa: np.ndarray
    death_penalty_abolished: np.ndarray
    log_size: np.ndarray
    log_network: np.ndarray
    neighbour: np.ndarray


def destination_country_terms(
    countries: CountryState, p: Destination
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The per-country parts of :func:`destination_utility`: base, planned escape, distance.

    ``base`` holds the terms every escape weighs; a planned escape adds investor-visa routes;
    ``distance`` is the planned escape's distance term (hasty escapes weigh it more).
    """
    base = (
        p.treaty * countries.treaty_in_force
        + p.cooperation * countries.cooperation
        + p.diaspora * countries.log_diaspora
        + p.income * countries.log_income
        + p.death_penalty_abolished * countries.death_penalty_abolished
        + p.network * countries.log_network
        + countries.log_size
    )
    planned = base + p.investor_visa * countries.investor_visa
    distance = p.distance_per_1000_km * countries.distance_1000_km
    return base, planned, distance


def destination_utility(
    countries: CountryState,
    family_country: np.ndarray,
    hasty: np.ndarray,
    p: Destination,
    terms: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Utility of each destination for each fleeing official (multinomial logit, McFadden 1974).

    Country terms follow the reasons reported for destination choice (sources.md section 2): no
    treaty in force, low cooperation, a large diaspora, high income, investor-visa routes, courts
    that refuse removal to face the death penalty, distance, and fugitives already there (a
    network effect as in migration-network models, Massey et al. 1993). An aggregate row
    (several countries as one alternative) adds ``log_size`` = log(number of members) with
    coefficient 1, the logit aggregation of elemental alternatives (McFadden 1978; Ben-Akiva and
    Lerman 1985 ch. 9). An official whose family
    already lives in a country gains ``family_abroad`` utility for it. Hasty escapes weigh distance
    ``hasty_distance_multiplier`` times more, favour neighbouring places (``hasty_neighbour``) and
    ignore investor-visa routes (sources.md section 2: hasty escapes go to neighbouring countries).

    Args:
        countries: what officials see of the countries this month.
        family_country: each official's family country (-1: none abroad).
        hasty: whether each escape is hasty.
        p: destination parameters.
        terms: :func:`destination_country_terms` of the same ``countries`` and ``p``, when the
            caller keeps them for the month (the same values, computed once).

    Returns:
        ``(n_officials, n_countries)`` utilities.
    """
    base, planned, distance = destination_country_terms(countries, p) if terms is None else terms
    hasty_col = hasty.astype(bool)[:, None]
    utility = np.where(
        hasty_col,
        base[None, :]
        + p.hasty_distance_multiplier * distance[None, :]
        + p.hasty_neighbour * countries.neighbour[None, :],
        planned[None, :] + distance[None, :],
    )
    has_family = family_country >= 0
    if np.any(has_family):
        rows = np.flatnonzero(has_family)
        utility[rows, family_country[rows]] += p.family_abroad
    return utility


def logsum(utility: np.ndarray) -> np.ndarray:
    """Expected maximum utility of a logit choice set (the inclusive value), per row."""
    top = utility.max(axis=1)
    return top + np.log(np.exp(utility - top[:, None]).sum(axis=1))


def return_rates(
    treaty_in_force: np.ndarray,
    cooperation: np.ndarray,
    fair_trial_objection: np.ndarray,
    asylum_delay_years: np.ndarray,
    death_penalty_abolished: np.ndarray,
    family_abroad: np.ndarray,
    pursuit: np.ndarray | float,
    persuasion_program: float,
    leniency: float,
    legal_assistance: np.ndarray | float,
    p: Returns,
    coercion: np.ndarray | float = 0.0,
    crackdown: np.ndarray | float = 0.0,
) -> np.ndarray:
    """Yearly hazard rates of each return channel for fugitives abroad (competing risks).

    Columns follow :data:`CHANNELS`. Each channel is a proportional-hazards term (Cox 1972):

    - persuasion: ``persuasion_per_year * (pursuit + programme) * (1 + family_in_china_effect *
      [no family abroad]) * (1 + leniency_effect * leniency) * (0.5 + 0.5 * cooperation)`` —
      pressure through family left in China and leniency offers; the host's cooperation helps
      locate and reach the fugitive;
    - deportation for immigration violations: ``deportation_per_year * cooperation * delay *
      (1 + pursuit) * (1 + legal_assistance)``, with ``delay = 1 / (1 + asylum_delay_effect *
      asylum_appeal_delay_years)`` for asylum claims and appeals;
    - extradition: ``extradition_per_year * treaty_in_force * cooperation * courts * delay *
      (1 + legal_assistance)``; courts of countries that abolished the death penalty refuse
      unless assurances hold: ``courts = 1 - abolished * (1 - death_penalty_assurance)``;
    - prosecution in the host: ``prosecution_per_year * cooperation * fair_trial_objection *
      (1 + pursuit) * (1 + legal_assistance)`` (strong courts try cases themselves);
    - surrender: ``surrender_per_year * (1 + leniency_effect * leniency) * (1 + pursuit)``.

    ``legal_assistance`` is the host's mutual-legal-assistance commitment under the pledges in
    force (pledge ``legal_assistance`` x compliance). ``pursuit`` is the effort in the host: the
    state's plus any aimed at that host (``policy.targeted``). Coercive pursuit in the host
    (``coercion``: the state's plus any aimed at it) multiplies persuasion by ``1 +
    coercion_persuasion_effect * coercion * (1 - crackdown)``, where ``crackdown`` is the host's
    reaction against covert pursuit (``policy.host_reactions``, 0-1): an assumption.

    Returns:
        ``(n, 5)`` yearly rates, all non-negative.
    """
    delay = 1.0 / (1.0 + p.asylum_delay_effect * asylum_delay_years)
    courts = 1.0 - death_penalty_abolished * (1.0 - p.death_penalty_assurance)
    family_home = 1.0 + p.family_in_china_effect * (1.0 - family_abroad)
    lenient = 1.0 + p.leniency_effect * leniency
    assist = 1.0 + np.asarray(legal_assistance, dtype=float)
    rates = np.empty((treaty_in_force.shape[0], len(CHANNELS)))
    coerced = 1.0 + p.coercion_persuasion_effect * coercion * (1.0 - np.asarray(crackdown))
    rates[:, 0] = (
        p.persuasion_per_year
        * (pursuit + persuasion_program)
        * family_home
        * lenient
        * (0.5 + 0.5 * cooperation)
        * coerced
    )
    rates[:, 1] = p.deportation_per_year * cooperation * delay * (1.0 + pursuit) * assist
    rates[:, 2] = p.extradition_per_year * treaty_in_force * cooperation * courts * delay * assist
    rates[:, 3] = (
        p.prosecution_per_year * cooperation * fair_trial_objection * (1.0 + pursuit) * assist
    )
    rates[:, 4] = p.surrender_per_year * lenient * (1.0 + pursuit)
    return rates


def move_on_probability(
    total_return_rate: np.ndarray, transit: np.ndarray, p: Destination
) -> np.ndarray:
    """Monthly probability that a fugitive leaves its host for another country.

    Two reasons: the host has turned risky (above ``move_on_threshold_per_year`` of total return
    hazard, the excess drives onward moves at ``move_on_per_year`` per threshold unit), and the
    host is a transit point (Hong Kong and Macau served as such, sources.md section 2) left at
    ``transit_move_on_per_year``. Both are assumptions with no published functional form.
    """
    excess = np.maximum(total_return_rate - p.move_on_threshold_per_year, 0.0)
    risky = p.move_on_per_year * excess / max(p.move_on_threshold_per_year, 1e-9)
    return monthly_probability(risky + p.transit_move_on_per_year * transit)


def home_capture_probability(campaign: float, pursuit: float, p: Home) -> float:
    """Monthly probability that an official hiding inside China is caught (domestic pursuit)."""
    rate = (
        p.capture_per_year
        * (1.0 + p.capture_campaign_effect * campaign)
        * (1.0 + p.capture_pursuit_effect * pursuit)
    )
    return float(monthly_probability(rate))


def cooperation_target(
    base: np.ndarray,
    pledge: np.ndarray,
    pressure: np.ndarray | float,
    peer_mean: np.ndarray,
    fair_trial_objection: np.ndarray,
    coercion: np.ndarray | float,
    fugitive_share: np.ndarray,
    ceiling: np.ndarray,
    p: Cooperation,
    reaction: np.ndarray | float = 0.0,
) -> np.ndarray:
    """Level of cooperation each country tends towards this month, in [0, 1].

    Sums its own base level, the pledges it has joined (weighted by pledge level and compliance),
    its response to China's diplomatic pressure and pursuit effort (the state's plus any aimed at
    that host, ``policy.targeted``), and pull towards its peers' mean (DeGroot 1974 averaging);
    backlash lowers it where coercive pursuit (the state's plus any aimed at the host) meets a
    large fugitive presence, and a host's crackdown on covert pursuit (``reaction``, 0-1,
    ``policy.host_reactions``) lowers it by ``reaction_weight * reaction``. Its legal system
    caps it at ``ceiling`` (:func:`cooperation_ceiling`, one level per legal family).
    """
    own = base + p.pledge_weight * pledge + p.pressure_weight * pressure
    own = (1.0 - p.peer_weight) * own + p.peer_weight * peer_mean
    backlash = p.backlash_weight * coercion * fugitive_share * fair_trial_objection
    target = own - backlash - p.reaction_weight * np.asarray(reaction, dtype=float)
    return np.clip(np.minimum(target, ceiling), 0.0, 1.0)


def cooperation_ceiling(legal_family: tuple[str, ...], p: Cooperation) -> np.ndarray:
    """Each host's cooperation ceiling: ``ceiling_<legal_family>`` of its legal-system group.

    Common-law courts (and the civil-law courts of the European Convention on Human Rights)
    refuse returns on fair-trial grounds most often; the groups' levels are priors
    (calibration/targets.yaml), an assumption.
    """
    return np.array([getattr(p, f"ceiling_{family}") for family in legal_family], dtype=float)


def cooperation_update(current: np.ndarray, target: np.ndarray, p: Cooperation) -> np.ndarray:
    """Partial adjustment towards the target (Nerlove 1958) at ``adjustment_per_year``."""
    return current + monthly_probability(p.adjustment_per_year) * (target - current)


def treaty_signing_probability(cooperation: np.ndarray, p: Cooperation) -> np.ndarray:
    """Monthly probability that a country without a treaty signs one (endogenous signing).

    Zero below ``treaty_signing_threshold`` of cooperation and rising linearly above it: an
    assumption standing for the political will a treaty needs.
    """
    excess = np.maximum(cooperation - p.treaty_signing_threshold, 0.0)
    span = max(1.0 - p.treaty_signing_threshold, 1e-9)
    return monthly_probability(p.treaty_signing_per_year * excess / span)


# --------------------------------------------------------- Sky Net era: officials' side (issue 11)
def salience_update(signal: float, returned_last_month: float, p: Deterrence) -> float:
    """The publicised-returns signal after one more month (exponentially weighted mean).

    ``signal + a * (returned_last_month / salience_reference_per_month - signal)`` with
    ``a = 1 - exp(-1 / salience_memory_months)``: officials learn how likely capture is from
    the cases they see (Sah 1991), and older cases fade. ``returned_last_month`` counts real
    officials returned or tried abroad, all channels, in the previous month.
    """
    a = -np.expm1(-1.0 / p.salience_memory_months)
    return float(signal + a * (returned_last_month / p.salience_reference_per_month - signal))


def perceived_return_hazard(total_by_row: np.ndarray, signal: float, p: Deterrence) -> np.ndarray:
    """Return hazard officials perceive at each (family, country) row, per year.

    ``total yearly return hazard x (perception_floor + salience_weight x signal)``: the real
    certainty of being brought back, as seen through recent publicised returns (certainty of
    punishment deters more than its severity: Nagin 2013).
    """
    return total_by_row * (p.perception_floor + p.salience_weight * signal)


def deterred_utility(
    utility: np.ndarray, family_abroad: np.ndarray, perceived_by_row: np.ndarray, weight: float
) -> np.ndarray:
    """Destination utilities minus ``weight x`` each official's perceived hazard there.

    ``perceived_by_row`` has one row per country without family abroad, then one per country
    with family abroad (the rows of :func:`return_rates` in ``transitions``); an official reads
    the half of its own family status. A new array; ``utility`` is not changed.
    """
    table = perceived_by_row.reshape(2, -1)
    return utility - weight * table[np.asarray(family_abroad, dtype=np.int64)]


def frailty(u: np.ndarray, variance: float) -> np.ndarray:
    """Individual return propensities: Gamma(mean 1, ``variance``) quantiles of uniforms ``u``.

    Unobserved heterogeneity in the hazard (Vaupel, Manton and Stallard 1979): the most
    returnable fugitives leave first and the stock that remains hardens. ``variance`` 0 gives 1.
    """
    u = np.asarray(u, dtype=np.float64)
    if variance <= 0.0:
        return np.ones_like(u)
    shape = 1.0 / variance
    return gammaincinv(shape, np.clip(u, 1e-12, 1.0 - 1e-12)) * variance


PURSUED = slice(0, 4)
"""Channels driven by pursuit: persuasion, deportation, extradition, prosecution."""
DEADLINE_CHANNELS = [0, 4]
"""Channels a leniency deadline speeds up: persuasion and surrender."""


def individual_return_rates(
    rates: np.ndarray, frailty_: np.ndarray, wanted: np.ndarray, deadline: float, p: Fugitives
) -> np.ndarray:
    """Each fugitive's own yearly return rates: its row of :func:`return_rates`, multiplied.

    Pursuit-driven channels of a listed fugitive (most-wanted list) by ``1 + wanted`` (its
    list's ``pursuit_multiplier``, 0 when unlisted); persuasion and surrender in the last month
    of a leniency window by ``1 + deadline_effect x deadline`` (a surge of surrenders at a
    deadline, as in tax amnesties: an assumption); all five channels by the official's
    ``frailty_`` (deaths and onward moves are not affected).

    Args:
        rates: ``(n, 5)`` rows of :func:`return_rates` (one per official).
        frailty_: ``(n,)`` individual propensities (:func:`frailty`).
        wanted: ``(n,)`` extra pursuit of listed fugitives (0 unlisted).
        deadline: 1 in the last month of a leniency window, else 0.
        p: fugitive parameters.
    """
    mult = np.ones(rates.shape)
    mult[:, PURSUED] = (1.0 + wanted)[:, None]
    mult[:, DEADLINE_CHANNELS] *= 1.0 + p.deadline_effect * deadline
    return rates * mult * frailty_[:, None]


def most_wanted(ids: np.ndarray, rank: np.ndarray, assets_usd: np.ndarray, size: int) -> np.ndarray:
    """The ``size`` most prominent of fugitives ``ids``: highest rank, then assets taken.

    Ties by official id (lowest first). ``rank`` and ``assets_usd`` are aligned with ``ids``.
    """
    order = np.lexsort((ids, -np.asarray(assets_usd, dtype=float), -np.asarray(rank, dtype=int)))
    return ids[order[: max(size, 0)]]


def covert_return_probability(p: Fugitives) -> float:
    """Monthly probability that a fugitive abroad slips back into China in secret."""
    return float(monthly_probability(p.covert_return_per_year))
