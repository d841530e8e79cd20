"""What a run says about each target, and how far off that is (the ABC distance's parts).

A target's statistic is the model quantity its figure counts, in the figure's own units. The
model's population is officials (party members and state functionaries, managers of state firms
included); a figure that counts a broader group (all fugitives Sky Net returned, the Ministry of
Public Security's economic-crime suspects) names an observation share parameter ``s`` in
``share``, and its statistic is ``model value / s``: if officials are a share ``s`` of the group
counted, the group is the officials divided by ``s``. A ratio target needs no share (it cancels
when officials and the broader group have the same mix), and a lower bound has no upper end.

How far off a run is (see :mod:`sim.calibrate.abc`): a value inside its range is 0 off;
outside, it is off by the log ratio to the nearest bound (10% outside is about 0.1), so targets
of very different magnitudes (officials, US dollars, shares) weigh alike. A target with several
values (a series, a cumulative list) is off by the mean of its values; a ranking by
``RANK_UNIT`` times the share of the listed countries missing from the model's top places.
Each target's miss is multiplied by its weight.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from sim.calibrate.targets import (
    CountryStockTarget,
    CumulativeTarget,
    PeriodTarget,
    RankingTarget,
    RatioTarget,
    SeriesTarget,
    Target,
)
from sim.core.metrics import period_value
from sim.errors import ScenarioError

RANK_UNIT = math.log(2.0)
"""Miss of a ranking with none of its countries on top (as far off as a factor of two)."""

FLOOR = 1.0
"""Model counts are floored at this before taking logs (no log of zero)."""

RATIO_FLOOR = 1e-3
"""Model shares are floored at this before taking logs."""


def summed(monthly: pd.DataFrame, metrics: tuple[str, ...], start: str, end: str) -> float:
    """The metrics over ``start..end`` (:func:`~sim.core.metrics.period_value`), summed."""
    return float(sum(period_value(monthly, m, start, end) for m in metrics))


def share_of(target: Target, observation: Mapping[str, float]) -> float:
    """The share a target's model value is divided by (1 without a ``share``).

    Raises:
        ScenarioError: the target names a share the run was not given (a programming error in
            the caller, reported with the target's field).
    """
    name = getattr(target, "share", None)
    if name is None:
        return 1.0
    if name not in observation:
        raise ScenarioError("<calibration>", f"{target.id}.share", f"no value given for {name}")
    return float(observation[name])


def statistics(
    target: Target,
    monthly: pd.DataFrame,
    countries: pd.DataFrame,
    observation: Mapping[str, float] | None = None,
) -> dict[str, float]:
    """A target's statistics from one run's tables (keys: ``id``, ``id.year`` or ``id.end``).

    Args:
        target: the target.
        monthly, countries: the run's tables.
        observation: values of the observation share parameters (``observation.<name>``).
    """
    share = share_of(target, observation or {})
    if isinstance(target, PeriodTarget):
        return {target.id: summed(monthly, target.metrics, target.start, target.end) / share}
    if isinstance(target, SeriesTarget):
        return {
            f"{target.id}.{p.year}": summed(monthly, target.metrics, f"{p.year}-01", f"{p.year}-12")
            / share
            for p in target.points
        }
    if isinstance(target, CumulativeTarget):
        return {
            f"{target.id}.{p.end}": summed(monthly, target.metrics, target.start, p.end) / share
            for p in target.points
        }
    if isinstance(target, RatioTarget):
        top = summed(monthly, target.numerator, target.start, target.end)
        bottom = summed(monthly, target.denominator, target.start, target.end)
        return {target.id: top / bottom if bottom > 0 else 0.0}
    if isinstance(target, CountryStockTarget):
        rows = countries[(countries["iso3"] == target.iso3) & countries["year"].isin(target.years)]
        value = float(rows[target.metric].mean()) if len(rows) else math.nan
        return {target.id: value / share}
    return {target.id: float(ranking_score(target, countries))}


def ranking_score(target: RankingTarget, countries: pd.DataFrame) -> int:
    """How many of the model's top ``len(countries)`` places are held by the listed countries.

    Places with equal stocks are ordered with the listed countries last, so ties never help.
    """
    year = countries[(countries["year"] == target.year) & ~countries["iso3"].isin(target.exclude)]
    if year.empty:
        return 0
    listed = year["iso3"].isin(target.countries)
    order = year.assign(_listed=listed).sort_values(
        [target.metric, "_listed"], ascending=[False, True], kind="stable"
    )
    top = order["iso3"].head(len(target.countries))
    return int(top.isin(target.countries).sum())


def ranges(target: Target) -> list[tuple[str, float, float]]:
    """Rows of the fit table: ``(statistic key, low, high)`` (``high`` may be infinite)."""
    if isinstance(target, PeriodTarget):
        return [(target.id, *target.bounds)]
    if isinstance(target, SeriesTarget):
        tol = target.tolerance
        return [
            (f"{target.id}.{p.year}", p.value * (1 - tol), p.value * (1 + tol))
            for p in target.points
        ]
    if isinstance(target, CumulativeTarget):
        tol = target.tolerance
        return [
            (f"{target.id}.{p.end}", p.value * (1 - tol), p.value * (1 + tol))
            for p in target.points
        ]
    if isinstance(target, (RatioTarget, CountryStockTarget)):
        return [(target.id, target.low, target.high)]
    k = float(len(target.countries))
    return [(target.id, k, k)]


def outside(x: float, low: float, high: float, floor: float = FLOOR) -> float:
    """Log ratio by which ``x`` lies outside ``[low, high]`` (0 inside; ``high`` may be inf)."""
    if not math.isfinite(x):
        return math.inf
    x = max(x, floor)
    below = math.log(low / x) if low > 0 else 0.0
    above = math.log(x / high) if math.isfinite(high) else 0.0
    return max(0.0, below, above)


def miss(target: Target, stats: Mapping[str, float]) -> float:
    """Weighted miss of one target given a run's statistics (0 when the target is met)."""
    if isinstance(target, RankingTarget):
        k = len(target.countries)
        return target.weight * RANK_UNIT * (k - stats[target.id]) / k
    floor = RATIO_FLOOR if isinstance(target, RatioTarget) else FLOOR
    rows = ranges(target)
    off = sum(outside(stats[key], lo, hi, floor) for key, lo, hi in rows)
    return target.weight * off / len(rows)
