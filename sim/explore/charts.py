"""The explorer's figures besides the map: bands over time, returns by channel, effects.

Each function takes a table from :mod:`sim.explore.results` and returns a matplotlib
``Figure`` (not pyplot, so figures made in the page's threads never share global state).
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from sim.core.metrics import BY_NAME

COLOURS = ("#4d4d4d", "#d6604d")
"""Base, then explored scenario."""


def series_figure(series: pd.DataFrame, labels: tuple[str, str], since: int = 2000) -> Figure:
    """One panel per metric: yearly mean and 5-95% band of each scenario, from ``since``."""
    metrics = list(dict.fromkeys(series["metric"]))
    fig = Figure(figsize=(11, 3.0), layout="constrained")
    axes = fig.subplots(1, len(metrics))
    for ax, metric in zip(axes, metrics, strict=True):
        for label, colour in zip(labels, COLOURS, strict=True):
            rows = series[(series["metric"] == metric) & (series["scenario"] == label)]
            rows = rows[rows["year"] >= since]
            ax.fill_between(rows["year"], rows["low"], rows["high"], color=colour, alpha=0.2,
                            linewidth=0)  # fmt: skip
            ax.plot(rows["year"], rows["mean"], color=colour, label=label)
        kind = "per year" if BY_NAME[metric].kind == "flow" else "at year end"
        ax.set_title(f"{BY_NAME[metric].label} ({kind})", fontsize=9)
        ax.tick_params(labelsize=8)
    axes[0].legend(fontsize=8)
    return fig


def channel_figure(channels: pd.DataFrame, labels: tuple[str, str]) -> Figure:
    """Returns by channel over the horizon, bars of both scenarios side by side."""
    fig = Figure(figsize=(5.5, 3.0), layout="constrained")
    ax = fig.subplots()
    names = list(dict.fromkeys(channels["channel"]))
    width = 0.38
    for i, (label, colour) in enumerate(zip(labels, COLOURS, strict=True)):
        rows = channels[channels["scenario"] == label].set_index("channel").reindex(names)
        xs = [j + (i - 0.5) * width for j in range(len(names))]
        ax.bar(xs, rows["value"], width=width, color=colour, label=label)
    ax.set_xticks(range(len(names)), names, fontsize=8)
    ax.set_ylabel("officials returned (mean)", fontsize=8)
    ax.set_title("Returns by channel over the horizon", fontsize=9)
    ax.legend(fontsize=8)
    return fig


def effects_figure(effects: pd.DataFrame) -> Figure:
    """Paired effects with 95% intervals, one row per headline outcome (own scale each)."""
    fig = Figure(figsize=(5.5, 3.0), layout="constrained")
    axes = fig.subplots(len(effects), 1)
    for ax, row in zip(axes, effects.itertuples(), strict=True):
        ax.axvline(0.0, color="#999999", linewidth=0.8)
        ax.errorbar([row.estimate], [0], xerr=[[row.estimate - row.low], [row.high - row.estimate]],
                    fmt="o", color=COLOURS[1], capsize=3)  # fmt: skip
        span = max(abs(row.low), abs(row.high)) * 1.2
        ax.set_xlim(-span, span) if span > 0 else ax.set_xlim(-1.0, 1.0)
        ax.ticklabel_format(axis="x", style="sci", scilimits=(-3, 4), useOffset=False)
        ax.set_yticks([0], [row.label[:40]], fontsize=7)
        ax.tick_params(axis="x", labelsize=7)
    axes[0].set_title("Paired effect (explored - base), 95% interval", fontsize=9)
    return fig
