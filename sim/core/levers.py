"""Policy levers over time: scenario schedules compiled to one value per monthly step."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.scenario.schema import SCHEDULES, Pledge, Scenario, Step, month_of
from sim.world.countries import CountryTable


def schedule_values(steps: tuple[Step, ...], start_month: int, n_steps: int) -> np.ndarray:
    """Value of a piecewise-constant schedule at every step (0 before its first step)."""
    out = np.zeros(n_steps)
    for step in steps:
        first = month_of(step.start) - start_month
        out[max(first, 0) :] = step.value
    return out


@dataclass(frozen=True)
class Levers:
    """Every lever of a scenario as arrays indexed by step (and by country for pledges)."""

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

    def at(self, step: int) -> dict[str, float]:
        """Scalar levers at one step (for the state agent and for tests)."""
        return {name: float(getattr(self, name)[step]) for name in (*SCHEDULES, "leniency")}


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
    return Levers(
        **values,
        leniency=leniency,
        pledge=pledge,
        asset_return=asset_return,
        legal_assistance=legal,
    )
