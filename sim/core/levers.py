"""Policy compiled once per scenario: lever values by month, and the dated treaty calendar.

:func:`compile_levers` turns the scenario's schedules, leniency windows and pledges into arrays
indexed by step; :meth:`Levers.at` gives one month of them as a typed :class:`LeverMonth`.
:func:`compile_treaties` turns ``treaties.csv`` and the scenario's treaty changes into a
:class:`TreatyCalendar`, which anyone can ask for the dated treaty status of any step without
building a model. Endogenous signing changes a run's own copy of the calendar
(:class:`sim.core.agents.CountryStates`), never the compiled one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.scenario.policy import SCHEDULES, Campaign, LeniencyWindow, MostWanted, Pledge, Step
from sim.scenario.schema import Scenario
from sim.world.countries import NO_MONTH, CountryTable
from sim.world.dates import month_of
from sim.world.host_data import load_investor_visas

NEVER = 1 << 40
"""Step standing for "no such date" (far beyond any run; negative steps are real past dates)."""


def schedule_values(steps: tuple[Step, ...], start_month: int, n_steps: int) -> np.ndarray:
    """Value of a piecewise-constant schedule at every step (0 before its first step)."""
    out = np.zeros(n_steps)
    for step in steps:
        first = month_of(step.start) - start_month
        out[max(first, 0) :] = step.value
    return out


@dataclass(frozen=True, eq=False)
class LeverMonth:
    """Every lever's value in one month: the state's levers, then per-country pledge terms."""

    campaign: float
    pursuit: float
    persuasion_program: float
    diplomatic_pressure: float
    exit_controls: float
    naked_official_rules: float
    trial_in_absentia: float
    asset_confiscation: float
    coercion: float
    leniency: float
    pledge: np.ndarray
    """By country: sum of pledge level x compliance of the pledges in force."""
    asset_return: np.ndarray
    """By country: strongest asset-return commitment x compliance in force."""
    legal_assistance: np.ndarray
    """By country: strongest legal-assistance commitment x compliance in force."""
    # hosts as actors (see compile_hosts)
    targeted_pursuit: np.ndarray
    """By country: pursuit aimed at that host (``policy.targeted``), added to ``pursuit``."""
    targeted_pressure: np.ndarray
    """By country: diplomatic pressure aimed at that host, added to ``diplomatic_pressure``."""
    targeted_coercion: np.ndarray
    """By country: coercion aimed at that host, added to ``coercion``."""
    host_reaction: np.ndarray
    """By country: strength of the host's crackdown on covert pursuit in force (0-1)."""
    investor_visa: np.ndarray
    """By country: 1 where an investor-visa route is open this month."""
    leniency_deadline: float = 0.0
    """1 in the last month of a leniency window, else 0 (:func:`leniency_deadlines`)."""


SCALAR_LEVERS = (*SCHEDULES, "leniency")
"""The levers with one value per month (the rest have one per country and month)."""


@dataclass(frozen=True, eq=False)
class Levers:
    """Every lever of a scenario as read-only arrays indexed by step (and country for pledges)."""

    campaign: np.ndarray
    pursuit: np.ndarray
    persuasion_program: np.ndarray
    diplomatic_pressure: np.ndarray
    exit_controls: np.ndarray
    naked_official_rules: np.ndarray
    trial_in_absentia: np.ndarray
    asset_confiscation: np.ndarray
    coercion: np.ndarray
    leniency: np.ndarray
    pledge: np.ndarray
    """``(n_steps, n_countries)``: sum of pledge level x compliance of the pledges in force."""
    asset_return: np.ndarray
    """``(n_steps, n_countries)``: strongest asset-return commitment x compliance in force."""
    legal_assistance: np.ndarray
    """``(n_steps, n_countries)``: strongest legal-assistance commitment x compliance in force."""
    # hosts as actors: ``(n_steps, n_countries)`` arrays of :func:`compile_hosts`
    targeted_pursuit: np.ndarray
    targeted_pressure: np.ndarray
    targeted_coercion: np.ndarray
    host_reaction: np.ndarray
    investor_visa: np.ndarray
    leniency_deadline: np.ndarray | None = None
    """1 in the last month of a leniency window, else 0 (:func:`leniency_deadlines`)."""
    most_wanted: np.ndarray | None = None
    """``(n_steps, 2)``: real fugitives listed at each step, and their pursuit multiplier
    (:func:`most_wanted_lists`; the population flags them, :mod:`sim.core.transitions`)."""

    def at(self, step: int) -> LeverMonth:
        """Every lever at one step."""
        deadline = self.leniency_deadline
        return LeverMonth(
            **{name: float(getattr(self, name)[step]) for name in SCALAR_LEVERS},
            pledge=self.pledge[step],
            asset_return=self.asset_return[step],
            legal_assistance=self.legal_assistance[step],
            **{name: getattr(self, name)[step] for name in HOST_LEVERS},
            leniency_deadline=0.0 if deadline is None else float(deadline[step]),
        )


def pledge_members(pledge: Pledge, countries: CountryTable) -> np.ndarray:
    """0/1 membership of each country in a pledge."""
    if pledge.members == "apec":
        return countries.apec.astype(float)
    if pledge.members == "g20":
        return countries.g20.astype(float)
    if pledge.members == "apec_and_g20":
        return np.maximum(countries.apec, countries.g20).astype(float)
    mask = np.zeros(len(countries))
    for iso3 in pledge.members:
        mask[countries.index(iso3)] = 1.0
    return mask


def compile_levers(scenario: Scenario, countries: CountryTable) -> Levers:
    """Turn a scenario's policy section into per-step arrays."""
    start, n = scenario.start_month, scenario.n_steps
    policy = scenario.policy
    values = {name: schedule_values(getattr(policy, name), start, n) for name in SCHEDULES}
    values["pursuit"] = values["pursuit"] + campaign_pulses(policy.campaigns, start, n)
    leniency = np.zeros(n)
    for window in policy.leniency_windows:
        a = max(month_of(window.start) - start, 0)
        b = min(month_of(window.end) - start, n - 1)
        if b >= a:
            leniency[a : b + 1] = np.maximum(leniency[a : b + 1], window.strength)
    n_c = len(countries)
    pledge = np.zeros((n, n_c))
    asset_return = np.zeros((n, n_c))
    legal = np.zeros((n, n_c))
    for item in policy.pledges:
        first = max(month_of(item.date) - start, 0)
        members = pledge_members(item, countries)
        pledge[first:] += item.pledge_level * item.compliance * members
        asset_return[first:] = np.maximum(
            asset_return[first:], item.asset_return * item.compliance * members
        )
        legal[first:] = np.maximum(legal[first:], item.legal_assistance * item.compliance * members)
    arrays = {
        **values,
        "leniency": leniency,
        "pledge": pledge,
        "asset_return": asset_return,
        "legal_assistance": legal,
        "leniency_deadline": leniency_deadlines(policy.leniency_windows, start, n),
        "most_wanted": most_wanted_lists(policy.most_wanted, start, n),
    }
    for array in arrays.values():
        array.setflags(write=False)
    hosts = compile_hosts(scenario, countries)
    return Levers(**arrays, **{name: getattr(hosts, name) for name in HOST_LEVERS})


# --------------------------------------------------------- Sky Net era: officials' side (issue 11)
def campaign_pulses(campaigns: tuple[Campaign, ...], start_month: int, n_steps: int) -> np.ndarray:
    """Pursuit added by yearly campaigns (Fox Hunt, Sky Net), at every step.

    Each campaign adds ``strength`` for ``months`` months from its launch, and again every
    ``every_months`` months from then on (when given) while the relaunch month is not after
    ``until`` (the run's end when not given). Pulses of several campaigns add up.
    """
    out = np.zeros(n_steps)
    for c in campaigns:
        first = month_of(c.launch) - start_month
        last = n_steps - 1 if c.until is None else month_of(c.until) - start_month
        launches = [first] if c.every_months is None else range(first, last + 1, c.every_months)
        for a in launches:
            out[max(a, 0) : max(a + c.months, 0)] += c.strength
    return out


def leniency_deadlines(windows: tuple[LeniencyWindow, ...], start: int, n: int) -> np.ndarray:
    """1.0 at the last month of each leniency window inside the run, else 0."""
    out = np.zeros(n)
    for window in windows:
        b = month_of(window.end) - start
        if 0 <= b < n:
            out[b] = 1.0
    return out


def most_wanted_lists(lists: tuple[MostWanted, ...], start: int, n: int) -> np.ndarray:
    """``(n, 2)``: real fugitives listed at each step and the largest multiplier listed then."""
    out = np.zeros((n, 2))
    for item in lists:
        step = month_of(item.date) - start
        if 0 <= step < n:
            out[step, 0] += item.size
            out[step, 1] = max(out[step, 1], item.pursuit_multiplier)
    return out


@dataclass(frozen=True, eq=False)
class TreatyCalendar:
    """Each country's treaty signed, in force and withdrawn, as steps since ``run.start``.

    Negative steps are dates before the run; :data:`NEVER` means no such date. The compiled
    calendar's arrays are read-only; :meth:`copy` gives writable ones for one run's signing.
    """

    signed: np.ndarray
    in_force: np.ndarray
    withdrawn: np.ndarray

    def status(self, steps: np.ndarray | int) -> np.ndarray:
        """Treaty in force at ``steps``: from its in-force step until withdrawn.

        A scalar step gives one value per country; an array of steps, one row per step.
        """
        steps = np.asarray(steps)[..., None]
        return (self.in_force <= steps) & ~(self.withdrawn <= steps)

    def copy(self) -> TreatyCalendar:
        """A calendar with writable copies of the arrays."""
        return TreatyCalendar(self.signed.copy(), self.in_force.copy(), self.withdrawn.copy())


def compile_treaties(scenario: Scenario, countries: CountryTable) -> TreatyCalendar:
    """Dated treaties: ``treaties.csv``, then the scenario's ``policy.treaties`` changes.

    An added treaty comes into force at its date unless one is already in force by then (it
    also counts as signed by then); a withdrawal ends the treaty at its date.
    """
    start = scenario.start_month
    in_force = _steps(countries.treaty_in_force_month, start)
    withdrawn = _steps(countries.treaty_withdrawn_month, start)
    signed = _steps(countries.treaty_signed_month, start)
    treaties = scenario.policy.treaties
    for change in treaties.add:
        i = countries.index(change.iso3)
        step = month_of(change.date) - start
        if in_force[i] > step or withdrawn[i] <= step:
            in_force[i] = step
            withdrawn[i] = NEVER
            signed[i] = min(signed[i], step)
    for change in treaties.withdraw:
        i = countries.index(change.iso3)
        withdrawn[i] = month_of(change.date) - start
    for array in (signed, in_force, withdrawn):
        array.setflags(write=False)
    return TreatyCalendar(signed=signed, in_force=in_force, withdrawn=withdrawn)


def _steps(months: np.ndarray, start: int) -> np.ndarray:
    """Months since 1970 (-1 = none) as steps since ``start`` (``NEVER`` = none)."""
    return np.where(months >= 0, months - start, NEVER).astype(np.int64)


# ------------------------------------------------------------------------ hosts as actors
HOST_LEVERS = (
    "targeted_pursuit",
    "targeted_pressure",
    "targeted_coercion",
    "host_reaction",
    "investor_visa",
)
"""The per-host lever arrays of :class:`HostLevers`, as :class:`LeverMonth` names them."""
TARGETED_FIELD = {
    "pursuit": "targeted_pursuit",
    "diplomatic_pressure": "targeted_pressure",
    "coercion": "targeted_coercion",
}


@dataclass(frozen=True, eq=False)
class HostLevers:
    """Dated per-host levers, each a read-only ``(n_steps, n_countries)`` array."""

    targeted_pursuit: np.ndarray
    targeted_pressure: np.ndarray
    targeted_coercion: np.ndarray
    host_reaction: np.ndarray
    investor_visa: np.ndarray


def investor_visa_calendar(countries: CountryTable, start: int, n_steps: int) -> np.ndarray:
    """1 where an investor-visa route to the row is open at each step, before any scenario change.

    From the dated programmes of ``investor_visas.csv``: open from the month a programme opens
    until the month it closes (a row with several programmes is open while any is).
    """
    visa = np.zeros((n_steps, len(countries)))
    months = start + np.arange(n_steps)
    for route in load_investor_visas():
        open_ = months >= route.opened
        if route.closed != NO_MONTH:
            open_ &= months < route.closed
        i = countries.index(route.iso3)
        visa[open_, i] = 1.0
    return visa


def compile_hosts(scenario: Scenario, countries: CountryTable) -> HostLevers:
    """Per-host levers by step: targeted effort, host reactions, open investor-visa routes.

    ``policy.targeted`` adds its value to the lever in that host from its date on (several add
    up); ``policy.host_reactions`` hold from their date on, the strongest in force counting;
    ``policy.investor_visa_changes`` set the host's route open or closed from their date on
    (later dates override earlier ones), over :func:`investor_visa_calendar`.
    """
    start, n, n_c = scenario.start_month, scenario.n_steps, len(countries)
    policy = scenario.policy
    arrays = {name: np.zeros((n, n_c)) for name in TARGETED_FIELD.values()}
    for item in policy.targeted:
        first = max(month_of(item.start) - start, 0)
        arrays[TARGETED_FIELD[item.lever]][first:, countries.index(item.iso3)] += item.value
    reaction = np.zeros((n, n_c))
    for item in policy.host_reactions:
        first = max(month_of(item.date) - start, 0)
        i = countries.index(item.iso3)
        reaction[first:, i] = np.maximum(reaction[first:, i], item.strength)
    visa = investor_visa_calendar(countries, start, n)
    for item in sorted(policy.investor_visa_changes, key=lambda c: month_of(c.date)):
        first = max(month_of(item.date) - start, 0)
        visa[first:, countries.index(item.iso3)] = 1.0 if item.open else 0.0
    out = {**arrays, "host_reaction": reaction, "investor_visa": visa}
    for array in out.values():
        array.setflags(write=False)
    return HostLevers(**out)
