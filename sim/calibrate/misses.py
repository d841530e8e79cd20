"""Why each missed target is missed: the reason the calibration report states for every fit row
whose model median lies outside its range.

Four reasons, checked in this order, each from the calibration's own simulations:

- ``coarse``: at the calibration scale one simulated official stands for more of the figure
  than the range is wide, so at most one model value falls inside it (the list of 100 most
  wanted is ten simulated officials at scale 10), and the model median is within one such step
  of the range. A smaller scale resolves it. A median farther off is not a matter of grain, and
  the next reasons are checked.
- ``beyond the model``: no particle of any generation, the prior sample included, came inside
  the range: under these priors the model cannot produce the figure.
- ``traded against``: particles reach the range, but the trade-off table pairs it with targets
  that moving toward it would push out of theirs.
- ``not converged``: particles reach it and no trade-off was found; more generations may.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from sim.calibrate.statistics import ranges
from sim.calibrate.targets import CountryStockTarget, RankingTarget, RatioTarget, TargetsSpec
from sim.calibrate.tradeoffs import inside

MONEY_METRICS = frozenset({"assets_taken_usd", "assets_recovered_usd"})
"""Metrics in US dollars (continuous): no grain."""


def grain(target: object, scale: float, shares: Mapping[str, float]) -> float:
    """Smallest step of a target's statistic at the calibration scale (nan: continuous).

    A count moves by ``scale`` officials at a time, divided by the target's observation share
    (posterior median) when it has one; a stock averaged over years moves by ``scale`` over the
    number of years. Ratios, rankings and money have no grain.
    """
    if isinstance(target, (RatioTarget, RankingTarget)):
        return math.nan
    metrics = (target.metric,) if isinstance(target, CountryStockTarget) else target.metrics
    if any(m in MONEY_METRICS for m in metrics):
        return math.nan
    step = float(scale)
    if isinstance(target, CountryStockTarget):
        step /= len(target.years)
    name = getattr(target, "share", None)
    return step / shares[name] if name else step


def values_inside(low: float, high: float, step: float) -> int:
    """How many multiples of ``step`` lie in ``[low, high]``."""
    return max(0, math.floor(high / step + 1e-9) - math.ceil(low / step - 1e-9) + 1)


def misses_table(
    spec: TargetsSpec,
    fit: pd.DataFrame,
    generation_stats: list[pd.DataFrame],
    trade: pd.DataFrame,
    scale: float,
    shares: Mapping[str, float],
) -> pd.DataFrame:
    """One row per missed fit row: side, hit shares, grain and the stated reason.

    Args:
        spec: the targets.
        fit: the fit table (``target``, ``low``, ``high``, ``model_median``, ``inside``).
        generation_stats: the accepted particles' statistics of every generation, prior first.
        trade: the trade-off table (``targets`` as ``"A vs B"``).
        scale: real officials per simulated one during the calibration.
        shares: posterior medians of the observation shares (``observation.<name>``).
    """
    target_of = {key: t for t in spec.targets for key, _, _ in ranges(t)}
    bounds = fit.set_index("target")
    pairs = [tuple(p.split(" vs ")) for p in trade["targets"]] if len(trade) else []
    out = []
    for row in fit[~fit["inside"].astype(bool)].itertuples():
        key, low, high = row.target, float(row.low), float(row.high)
        side = "too low" if row.model_median < low else "too high"

        hits = [float(inside(s, bounds, [key]).mean()) for s in generation_stats]
        step = grain(target_of[key], scale, shares)
        inside_values = values_inside(low, high, step) if math.isfinite(step) else -1
        against = sorted({b if a == key else a for a, b in pairs if key in (a, b)})
        runs = sum(len(s) for s in generation_stats)
        off = low - row.model_median if side == "too low" else row.model_median - high
        if 0 <= inside_values <= 1 and off <= step:
            reason = (
                f"coarse: at scale {scale:g} the statistic moves in steps of {step:.3g}, wider "
                f"than the range ({high - low:.3g}); {inside_values} model value falls inside. "
                "A smaller scale resolves it"
            )
        elif max(hits) == 0:
            reason = (
                f"beyond the model under these priors: none of the {runs} accepted particles "
                "(prior sample and every generation) came inside"
            )
        elif against:
            reason = (
                f"traded against {', '.join(against)}: reached by {hits[0]:.0%} of the prior "
                f"sample and {hits[-1]:.0%} of the last generation, but moving toward it moves "
                "those out of their ranges"
            )
        else:
            reason = (
                f"not converged: reached by {hits[0]:.0%} of the prior sample and "
                f"{hits[-1]:.0%} of the last generation, with no trade-off found"
            )
        out.append(
            {
                "target": key,
                "side": side,
                "hit_prior": hits[0],
                "hit_best_generation": max(hits),
                "hit_last": hits[-1],
                "grain": step,
                "reason": reason,
            }
        )
    columns = ["target", "side", "hit_prior", "hit_best_generation", "hit_last", "grain", "reason"]
    return pd.DataFrame(out, columns=columns)
