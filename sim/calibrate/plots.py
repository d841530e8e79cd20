"""Calibration figures: posterior marginals and pairs, targets against the model, target windows."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from sim.calibrate.targets import PeriodTarget, RankingTarget, SeriesTarget, TargetsSpec  # noqa: E402
from sim.core.metrics import values  # noqa: E402
from sim.runs.posterior import WEIGHT  # noqa: E402
from sim.runs.replicates import RunResult  # noqa: E402

DPI = 80


def _grid(n: int, cols: int = 4, size: float = 3.0) -> tuple[plt.Figure, np.ndarray]:
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(cols * size, rows * size * 0.8), squeeze=False)
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    return fig, axes.ravel()


def _short(name: str) -> str:
    return ".".join(name.split(".")[1:])


def marginals(spec: TargetsSpec, posterior: pd.DataFrame, path: Path) -> None:
    """Weighted posterior histogram of each parameter over its prior's range."""
    fig, axes = _grid(len(spec.all_priors))
    w = posterior[WEIGHT].to_numpy()
    for ax, p in zip(axes, spec.all_priors, strict=False):
        values_ = posterior[p.parameter].to_numpy()
        lo, hi, label = p.low, p.high, _short(p.parameter)
        if p.distribution == "loguniform":  # show log10 values: the prior is flat there
            values_, lo, hi, label = np.log10(values_), np.log10(lo), np.log10(hi), f"log10 {label}"
        edges = np.linspace(lo, hi, 21)
        ax.hist(values_, bins=edges, weights=w, density=True, color="tab:blue", alpha=0.7)
        ax.axhline(1 / (hi - lo), color="grey", ls="--", label="prior")
        ax.set_title(label, fontsize=8)
        ax.tick_params(labelsize=7)
    axes[0].legend(fontsize=7)
    fig.suptitle("Posterior marginals (bars) against priors (dashed)")
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def pairs(spec: TargetsSpec, posterior: pd.DataFrame, path: Path) -> None:
    """Pair plot of the posterior particles (point size by weight)."""
    names = list(spec.parameters)
    n = len(names)
    fig, axes = plt.subplots(n, n, figsize=(1.5 * n, 1.5 * n), squeeze=False)
    w = posterior[WEIGHT].to_numpy()
    size = 40 * w / w.max()
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            ax = axes[i, j]
            ax.set_xticks([])
            ax.set_yticks([])
            if i == j:
                ax.hist(posterior[a], bins=15, weights=w, color="tab:blue")
            elif i > j:
                ax.scatter(posterior[b], posterior[a], s=size, alpha=0.5, color="tab:blue", lw=0)
            else:
                ax.set_visible(False)
            if j == 0:
                ax.set_ylabel(_short(a).split(".")[-1], fontsize=6)
            if i == n - 1:
                ax.set_xlabel(_short(b).split(".")[-1], fontsize=6)
    fig.suptitle("Posterior pair plot")
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def targets(fit: pd.DataFrame, stats: pd.DataFrame, path: Path, met: pd.Series) -> plt.Figure:
    """Each target's range (shaded) against the posterior-predictive distribution.

    Args:
        fit: the fit table under the posterior (one row per target).
        stats: one column per target, one row per posterior draw.
        path: where the figure is written.
        met: one flag per row of ``fit``, from :func:`sim.calibrate.markdown.met_flags` (the
            report's verdict), so the figure and the report agree on "met".

    Returns:
        The figure (already saved and closed), for inspection.
    """
    fig, axes = _grid(len(fit))
    for ax, row, ok in zip(axes, fit.itertuples(), met.to_numpy(), strict=False):
        x = stats[row.target].to_numpy(dtype=float)
        ax.hist(x, bins=20, color="tab:blue", alpha=0.7)
        lo, hi = row.low, row.high
        if lo == hi:
            ax.axvline(lo, color="tab:green", lw=3, alpha=0.5)
        else:
            ax.axvspan(lo, hi, color="tab:green", alpha=0.2)
        ax.axvline(row.model_median, color="black", lw=1)
        ax.set_title(f"{row.target} ({'met' if ok else 'missed'})", fontsize=8)
        ax.tick_params(labelsize=7)
    fig.suptitle(
        "Targets (green) against the model under the posterior (bars; line = median); "
        "met = posterior and fitted baseline medians both in range"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return fig


def _series(monthly: pd.DataFrame, t: PeriodTarget | SeriesTarget, share: float) -> pd.Series:
    """A target's summed metrics per month, divided by its observation share."""
    return sum(values(monthly, m) for m in t.metrics) / share


def baseline_windows(
    spec: TargetsSpec,
    runs: Sequence[RunResult],
    path: Path,
    observation: dict[str, float] | None = None,
) -> None:
    """The fitted baseline's cumulative series over each target window, with the target range
    (period, series and ranking targets; the model mapped by the shares' posterior medians)."""
    panels = [t for t in spec.targets if isinstance(t, (PeriodTarget, SeriesTarget, RankingTarget))]
    shares = observation or {}
    fig, axes = _grid(len(panels), cols=3, size=4.0)
    for ax, t in zip(axes, panels, strict=False):
        if isinstance(t, PeriodTarget):
            curves = []
            for r in runs:
                m = r.monthly
                inside = (m["date"] >= t.start) & (m["date"] <= t.end)
                share = shares.get(t.share, 1.0) if t.share else 1.0
                curves.append(_series(m, t, share)[inside.to_numpy()].cumsum().to_numpy())
            arr = np.array(curves)
            dates = pd.to_datetime(
                runs[0].monthly["date"][
                    (runs[0].monthly["date"] >= t.start) & (runs[0].monthly["date"] <= t.end)
                ]
            )
            ax.fill_between(
                dates, *np.quantile(arr, [0.05, 0.95], axis=0), color="tab:blue", alpha=0.3
            )
            ax.plot(dates, np.median(arr, axis=0), color="tab:blue")
            lo, hi = t.bounds
            hi = hi if np.isfinite(hi) else 2 * lo  # a lower bound: drawn up to twice its low
            ax.errorbar(
                [dates.iloc[-1]],
                [(lo + hi) / 2],
                yerr=[[(hi - lo) / 2]],
                color="tab:green",
                lw=3,
                capsize=4,
                label="target range",
            )
            name = " + ".join(t.metrics)
            ax.set_title(f"{t.id}: cumulative {name}, {t.start} to {t.end}", fontsize=8)
        elif isinstance(t, SeriesTarget):
            years = sorted({int(y) for y in runs[0].monthly["year"]})
            arr = np.array(
                [
                    [
                        _series(r.monthly, t, shares.get(t.share, 1.0) if t.share else 1.0)[
                            r.monthly["year"].to_numpy() == y
                        ].sum()
                        for y in years
                    ]
                    for r in runs
                ]
            )
            ax.fill_between(
                years, *np.quantile(arr, [0.05, 0.95], axis=0), color="tab:blue", alpha=0.3
            )
            ax.plot(years, np.median(arr, axis=0), color="tab:blue")
            ax.errorbar(
                [p.year for p in t.points],
                [p.value for p in t.points],
                yerr=[p.value * t.tolerance for p in t.points],
                fmt="o",
                color="tab:green",
            )
            ax.set_xlim(1995, max(years))
            ax.set_title(f"{t.id}: {' + '.join(t.metrics)} per year", fontsize=8)
        elif isinstance(t, RankingTarget):
            c = pd.concat([r.countries for r in runs])
            c = c[(c["year"] == t.year) & ~c["iso3"].isin(t.exclude)]
            med = c.groupby("iso3")[t.metric].median().sort_values(ascending=False).head(8)
            colours = ["tab:green" if i in t.countries else "tab:grey" for i in med.index]
            ax.bar(med.index, med.to_numpy(), color=colours)
            ax.set_title(f"{t.id}: {t.metric} at end {t.year} (median; green = target)", fontsize=8)
        ax.tick_params(labelsize=7)
    fig.suptitle("Fitted baseline (posterior medians): series over the target windows")
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def tradeoff_scatter(
    trade: pd.DataFrame, fit: pd.DataFrame, prior: pd.DataFrame, last: pd.DataFrame, path: Path
) -> None:
    """Pairs of targets that pull against each other: prior sample, last generation, ranges."""
    pairs_ = [p.split(" vs ") for p in trade["targets"]][:6]
    fig, axes = _grid(max(len(pairs_), 1), cols=3, size=4.0)
    bounds = fit.set_index("target")
    if not pairs_:
        axes[0].text(0.5, 0.5, "no pair of targets pulls against another", ha="center")
        axes[0].set_axis_off()
    for ax, (a, b) in zip(axes, pairs_, strict=False):
        ax.scatter(prior[a], prior[b], s=6, color="grey", alpha=0.4, label="prior sample")
        ax.scatter(last[a], last[b], s=6, color="tab:blue", alpha=0.6, label="last generation")
        ax.axvspan(bounds.loc[a, "low"], bounds.loc[a, "high"], color="tab:green", alpha=0.1)
        ax.axhspan(bounds.loc[b, "low"], bounds.loc[b, "high"], color="tab:green", alpha=0.1)
        ax.set_xlabel(a)
        ax.set_ylabel(b)
        ax.tick_params(labelsize=7)
    axes[0].legend(fontsize=7)
    fig.suptitle("Targets that pull against each other (green bands: target ranges)")
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def write_plots(
    spec: TargetsSpec,
    folder: Path,
    posterior: pd.DataFrame,
    pred_stats: pd.DataFrame,
    fit: pd.DataFrame,
    met: pd.Series,
    fitted_runs: Sequence[RunResult],
    prior_stats: pd.DataFrame,
    last_stats: pd.DataFrame,
    trade: pd.DataFrame,
    observation: dict[str, float] | None = None,
) -> None:
    """Every calibration figure into ``folder`` (``observation``: the shares' medians)."""
    marginals(spec, posterior, folder / "posterior_marginals.png")
    pairs(spec, posterior, folder / "posterior_pairs.png")
    targets(fit, pred_stats, folder / "targets.png", met)
    baseline_windows(spec, fitted_runs, folder / "baseline_windows.png", observation)
    tradeoff_scatter(trade, fit, prior_stats, last_stats, folder / "tradeoffs.png")


def forecast(table: pd.DataFrame, path: Path, top: int = 6) -> None:
    """Panels of the forecast: medians with 50% and 90% bands.

    Officials returned and new flights per year, returns by channel (medians), year-end stock
    abroad at the ``top`` destinations of the last year (medians) and the most-wanted list
    still at large.
    """
    panels = [
        ("officials_returned", "Officials returned per year"),
        ("new_flights", "New flights per year"),
        ("returns_by_channel", "Returns by channel (medians)"),
        ("stock_abroad_by_destination", f"Stock abroad, top {top} destinations (medians)"),
        ("most_wanted_at_large", "Most-wanted list still at large"),
    ]
    panels = [p for p in panels if (table["quantity"] == p[0]).any()]
    fig, axes = plt.subplots(1, len(panels), figsize=(3.6 * len(panels), 3.2), squeeze=False)
    for ax, (name, title) in zip(axes[0], panels, strict=True):
        part = table[table["quantity"] == name]
        if name in ("returns_by_channel", "stock_abroad_by_destination"):
            details = part["detail"].unique()
            if name == "stock_abroad_by_destination":
                last = part[part["year"] == part["year"].max()]
                details = last.nlargest(top, "q50")["detail"].tolist()
            for detail in details:
                d = part[part["detail"] == detail]
                ax.plot(d["year"], d["q50"], label=str(detail))
            ax.legend(fontsize=6)
        else:
            ax.fill_between(part["year"], part["q05"], part["q95"], alpha=0.2, label="90%")
            ax.fill_between(part["year"], part["q25"], part["q75"], alpha=0.4, label="50%")
            ax.plot(part["year"], part["q50"], color="black", label="median")
            ax.legend(fontsize=6)
        ax.set_title(title, fontsize=9)
        ax.tick_params(labelsize=7)
        ax.set_ylim(bottom=0)
    fig.suptitle("Posterior-predictive forecast (written before any comparison)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
