"""Figures of a policy comparison: fan charts of each scenario and a forest plot of effects."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

from sim.compare.stats import verdict  # noqa: E402
from sim.core.metrics import BY_NAME  # noqa: E402
from sim.runs.plots import BAND, fan  # noqa: E402

FAN_METRICS = ("fled_abroad", "returned", "stock_abroad", "assets_recovered_usd")
FAN_TITLES = {
    "fled_abroad": "Officials fleeing abroad, per year",
    "returned": "Fugitives returned, per year (all channels)",
    "stock_abroad": "Fugitives abroad at year end",
    "assets_recovered_usd": "Assets recovered, US$ bn per year",
}
LEAD_YEARS = 5
"""Fan charts start this many years before the horizon, to show the run-up."""
COLOURS = {"better": "#1a7f37", "worse": "#c62828", "no clear difference": "#555555",
           "no difference": "#9e9e9e"}  # fmt: skip


def plot_comparison(
    timeseries: pd.DataFrame, effects: pd.DataFrame, labels: Sequence[str],
    horizon: Sequence[str], folder: Path,
) -> None:  # fmt: skip
    """Write ``fan_charts.png`` and ``forest.png`` into ``folder``."""
    plot_fans(timeseries, labels, horizon, folder / "fan_charts.png")
    plot_forest(effects, folder / "forest.png")


def plot_fans(
    timeseries: pd.DataFrame, labels: Sequence[str], horizon: Sequence[str], path: Path
) -> None:
    """Median and 5-95% band of each scenario on one axis, for key outcomes, by year."""
    first, last = int(horizon[0][:4]), int(horizon[1][:4])
    shown = timeseries[timeseries["year"] >= first - LEAD_YEARS]
    by = {lab: shown[shown["scenario"] == lab] for lab in labels}
    fig, axes = plt.subplots(3, 2, figsize=(11, 9.5), sharex=True)
    flat = axes.ravel()
    for ax, name in zip(flat, FAN_METRICS, strict=False):
        fan(ax, by, name)
        ax.set_title(FAN_TITLES[name], fontsize=10)
        if name.endswith("_usd"):
            ax.yaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x / 1e9:g}"))
    ax = flat[len(FAN_METRICS)]
    for i, (lab, df) in enumerate(by.items()):
        share = df["stock_abroad_treaty_free"] / df["stock_abroad"].where(df["stock_abroad"] > 0)
        q = share.groupby(df["year"]).quantile([BAND[0], 0.5, BAND[1]]).unstack() * 100
        ax.plot(q.index, q[0.5], color=f"C{i}", lw=1.6, label=lab)
        ax.fill_between(q.index, q[BAND[0]], q[BAND[1]], color=f"C{i}", alpha=0.2, lw=0)
    ax.set_title("Share of fugitives in places with no treaty in force, %", fontsize=10)
    ax.grid(alpha=0.3)
    flat[-1].set_visible(False)
    for ax in flat[:-1]:
        ax.axvspan(first - 0.5, last + 0.5, color="#fff3c4", zorder=0)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.tick_params(labelbottom=True)
    handles, names = flat[0].get_legend_handles_labels()
    flat[-1].figure.legend(handles, names, loc="lower right", bbox_to_anchor=(0.93, 0.1),
                           fontsize=10, title="scenario (line = median, band = 5-95%)")  # fmt: skip
    fig.suptitle(
        f"Each scenario across simulated futures (shaded years = policy horizon {horizon[0]} "
        f"to {horizon[1]})",
        fontsize=11,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_forest(effects: pd.DataFrame, path: Path) -> None:
    """One panel per outcome: each policy's paired effect with its 95% interval."""
    policies = list(dict.fromkeys(effects["policy"]))
    outcomes = [BY_NAME[name] for name in dict.fromkeys(effects["outcome"])]
    cols = 3
    rows = int(np.ceil(len(outcomes) / cols))
    height = max(1.2, 0.35 * len(policies) + 0.9)
    fig, axes = plt.subplots(rows, cols, figsize=(13, height * rows + 0.8), squeeze=False)
    for ax, outcome in zip(axes.ravel(), outcomes, strict=False):
        sub = effects[effects["outcome"] == outcome.name].set_index("policy").loc[policies]
        scale = 0.01 if outcome.unit == "share" else 1e9 if outcome.unit == "US$" else 1.0
        ys = np.arange(len(policies))[::-1]
        for y, (_, row) in zip(ys, sub.iterrows(), strict=True):
            colour = COLOURS[verdict(row)]
            ax.plot([row["low"] / scale, row["high"] / scale], [y, y], color=colour, lw=2.2)
            ax.plot(row["estimate"] / scale, y, "o", color=colour, ms=6)
        ax.axvline(0, color="black", lw=0.8)
        ax.set_yticks(ys, policies if ax in axes[:, 0] else [""] * len(policies), fontsize=8)
        ax.set_ylim(-0.7, len(policies) - 0.3)
        unit = {"share": "percentage points", "US$": "US$ bn", "officials": "officials"}
        better = "more" if outcome.direction > 0 else "less"
        ax.set_title(f"{outcome.label}\n({unit[outcome.unit]}; {better} is better)", fontsize=8.5)
        ax.tick_params(axis="x", labelsize=8)
        ax.grid(alpha=0.3, axis="x")
    for ax in axes.ravel()[len(outcomes) :]:
        ax.set_visible(False)
    fig.suptitle(
        "Effect of each policy against the base (policy minus base, same simulated futures): "
        "dot = mean, bar = 95% interval;\ngreen = better, red = worse, grey = no clear difference",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
