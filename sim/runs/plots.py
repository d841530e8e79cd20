"""Figures of a run folder: flows and stocks with bands, destinations, returns by channel."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from sim.core.metrics import BY_NAME, DERIVED, values  # noqa: E402
from sim.core.rules import CHANNELS  # noqa: E402

PANELS = (
    "fled_abroad",
    "went_missing",
    "caught_or_returned",
    "returned",
    "stock_abroad",
    "stock_missing",
    "treaties_in_force",
    "mean_cooperation",
)
BAND = (0.05, 0.95)


def _label(name: str) -> str:
    if name in DERIVED:
        return f"{name.replace('_', ' ')} (= {' + '.join(DERIVED[name])})"
    unit = BY_NAME[name].unit
    when = "per year" if BY_NAME[name].kind == "flow" else "end of year"
    return f"{name.replace('_', ' ')} [{unit}, {when}]"


def quantiles(yearly: pd.DataFrame, name: str) -> pd.DataFrame:
    """Median and 5-95% band across replicates of a metric, by year."""
    df = yearly.assign(_v=values(yearly, name))
    q = df.groupby("year")["_v"].quantile([BAND[0], 0.5, BAND[1]]).unstack()
    q.columns = ["low", "median", "high"]
    return q


def fan(ax: plt.Axes, yearly_by_scenario: Mapping[str, pd.DataFrame], name: str) -> None:
    """Median line and 5-95% band of one metric for each scenario, on one axis."""
    for i, (label, df) in enumerate(yearly_by_scenario.items()):
        q = quantiles(df, name)
        color = f"C{i}"
        ax.plot(q.index, q["median"], color=color, label=label, lw=1.6)
        ax.fill_between(q.index, q["low"], q["high"], color=color, alpha=0.2, lw=0)
    ax.set_title(_label(name), fontsize=9)
    ax.grid(alpha=0.3)


def plot_flows_and_stocks(
    yearly_by_scenario: Mapping[str, pd.DataFrame], path: Path, names: Sequence[str] = PANELS
) -> None:
    cols = 2
    rows = int(np.ceil(len(names) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(11, 2.6 * rows), sharex=True)
    for ax, name in zip(axes.ravel(), names, strict=False):
        fan(ax, yearly_by_scenario, name)
    for ax in axes.ravel()[len(names) :]:
        ax.set_visible(False)
    axes.ravel()[0].legend(fontsize=8)
    fig.suptitle("Flows and stocks by year: median across replicates, band = 5-95%", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_destinations(countries: pd.DataFrame, path: Path, top: int = 8) -> None:
    """Median stock of fugitives abroad by destination (the ``top`` largest, the rest grouped)."""
    med = countries.groupby(["year", "iso3"])["stock_abroad"].median().unstack(fill_value=0.0)
    order = med.iloc[-1].add(med.max(), fill_value=0).sort_values(ascending=False).index
    keep = [c for c in order if c != "ROW"][:top]
    data = med[keep].copy()
    data["other listed places"] = med.drop(columns=[*keep, "ROW"], errors="ignore").sum(axis=1)
    if "ROW" in med.columns:
        data["rest of world"] = med["ROW"]
    fig, ax = plt.subplots(figsize=(11, 4.5))
    ax.stackplot(
        data.index, data.T.to_numpy(), labels=[*keep, "other (incl. rest of world)"], alpha=0.85
    )
    ax.set_title("Fugitives abroad by destination at year end (median across replicates)")
    ax.set_ylabel("officials")
    ax.legend(loc="upper left", fontsize=8, ncol=3)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_returns_by_channel(yearly: pd.DataFrame, path: Path) -> None:
    """Median yearly returns by channel (and trials abroad), stacked."""
    cols = [f"returned_{c}" for c in CHANNELS if c != "prosecution"] + ["prosecuted_abroad"]
    med = yearly.groupby("year")[cols].median()
    fig, ax = plt.subplots(figsize=(11, 4))
    bottom = np.zeros(len(med))
    for col in cols:
        ax.bar(med.index, med[col], bottom=bottom, label=col.replace("returned_", ""), width=0.85)
        bottom += med[col].to_numpy()
    ax.set_title("Fugitives returned from abroad by channel, per year (median across replicates)")
    ax.set_ylabel("officials per year")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_run(tables: Mapping[str, pd.DataFrame], folder: Path) -> None:
    """All figures of a run folder."""
    yearly = tables["timeseries"]
    name = str(yearly["scenario"].iloc[0])
    plot_flows_and_stocks({name: yearly}, folder / "flows_and_stocks.png")
    plot_destinations(tables["countries"], folder / "destinations.png")
    plot_returns_by_channel(yearly, folder / "returns_by_channel.png")
