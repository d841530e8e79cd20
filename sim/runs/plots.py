"""Figures of a run folder: flows and stocks with bands, destinations, returns by channel."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from sim.core.metrics import BY_NAME, is_flow, values  # noqa: E402
from sim.core.rules import CHANNELS  # noqa: E402
from sim.world.countries import load_countries  # noqa: E402

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


TITLES = {
    "caught_or_returned": "caught in China or at the border, returned from abroad, or tried abroad",
}
"""Panel titles where the registry's description is shorter than the sum it names
(``caught_or_returned`` also counts border captures and trials abroad)."""
PROSECUTED_LABEL = "Fugitives tried in their host country (not a return, not stacked)"


def panel_label(name: str) -> str:
    """Panel title of a metric: what it counts in words (from the registry), then its unit."""
    metric = BY_NAME[name]
    title = TITLES.get(name, metric.description.removesuffix(" at the end of the step"))
    return (
        f"{title} [{metric.unit} per year]"
        if is_flow(name)
        else (f"{title} [{metric.unit}, at year end]")
    )


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
    ax.set_title(panel_label(name), fontsize=9)
    ax.grid(alpha=0.3)


def _save(fig: plt.Figure, path: Path) -> plt.Figure:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return fig


def plot_flows_and_stocks(
    yearly_by_scenario: Mapping[str, pd.DataFrame], path: Path, names: Sequence[str] = PANELS
) -> plt.Figure:
    """One panel per metric: median and 5-95% band of each scenario.

    Returns:
        The figure (already saved to ``path`` and closed), for inspection.
    """
    cols = 2
    rows = int(np.ceil(len(names) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(11, 2.6 * rows), sharex=True)
    for ax, name in zip(axes.ravel(), names, strict=False):
        fan(ax, yearly_by_scenario, name)
    for ax in axes.ravel()[len(names) :]:
        ax.set_visible(False)
    axes.ravel()[0].legend(fontsize=8)
    fig.suptitle("Flows and stocks by year: median across replicates, band = 5-95%", fontsize=11)
    return _save(fig, path)


def destination_bands(
    countries: pd.DataFrame, top: int = 8, names: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Median stock abroad by year, one column per band of the destinations figure.

    Columns, bottom band first: the ``top`` largest destination rows (by their peak and final
    median), each named ``"<name> (<code>)"`` (aggregate rows too: "Rest of West Africa
    (XWF)"), then ``other rows (n)``: the sum of the n remaining rows.

    Args:
        countries: the per-country table of a run (``year, iso3, stock_abroad``).
        top: how many rows get their own band.
        names: row names by code; defaults to the country table's (codes it lacks stay bare).
    """
    if names is None:
        table = load_countries()
        names = dict(zip(table.iso3, table.name, strict=True))
    med = countries.groupby(["year", "iso3"])["stock_abroad"].median().unstack(fill_value=0.0)
    order = med.iloc[-1].add(med.max(), fill_value=0).sort_values(ascending=False).index
    keep = list(order[:top])
    data = med[keep].copy()
    data.columns = [f"{names[c]} ({c})" if c in names else c for c in keep]
    rest = med.drop(columns=keep)
    data[f"other rows ({rest.shape[1]})"] = rest.sum(axis=1)
    return data


def destination_rows(
    countries: pd.DataFrame, names: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Every destination row, named, with its median stock abroad in the last year and at peak.

    Sorted by the last year's median, largest first (ties by code). Columns ``label`` (``"<name>
    (<code>)"``), ``last``, ``peak``.
    """
    if names is None:
        table = load_countries()
        names = dict(zip(table.iso3, table.name, strict=True))
    med = countries.groupby(["year", "iso3"])["stock_abroad"].median().unstack(fill_value=0.0)
    rows = pd.DataFrame({"last": med.iloc[-1], "peak": med.max()})
    rows["label"] = [f"{names[c]} ({c})" if c in names else c for c in rows.index]
    rows = rows.rename_axis("code").reset_index()
    rows = rows.sort_values(["last", "code"], ascending=[False, True], ignore_index=True)
    return rows[["code", "label", "last", "peak"]]


def plot_destinations(countries: pd.DataFrame, path: Path, top: int = 8) -> plt.Figure:
    """Median stock of fugitives abroad by destination, every row of the map named.

    Left: the ``top`` largest rows as stacked bands over time, the rest grouped, each band
    labelled with its own column of :func:`destination_bands`. Right: every row (country, Hong
    Kong and Macau, regional aggregate) by name, its median stock in the last year (bar) and at
    its peak (tick), from :func:`destination_rows`.

    Returns:
        The figure (already saved to ``path`` and closed), for inspection.
    """
    data = destination_bands(countries, top)
    rows = destination_rows(countries)
    height = max(4.5, 0.13 * len(rows) + 1.0)
    fig, (ax, bars) = plt.subplots(
        1, 2, figsize=(15, height), gridspec_kw={"width_ratios": [2.2, 1]}
    )
    ax.stackplot(data.index, data.T.to_numpy(), labels=list(data.columns), alpha=0.85)
    ax.set_title("Fugitives abroad by destination at year end (median across replicates)")
    ax.set_ylabel("officials")
    ax.legend(loc="upper left", fontsize=8, ncol=3)
    ax.grid(alpha=0.3)
    y = np.arange(len(rows))
    bars.barh(y, rows["last"], color="tab:blue", alpha=0.8, label=f"{int(data.index[-1])}")
    bars.plot(rows["peak"], y, "|", color="black", markersize=5, label="peak")
    bars.set_yticks(y, rows["label"], fontsize=6)
    bars.invert_yaxis()
    bars.set_title("Every destination row (median stock)", fontsize=9)
    bars.tick_params(axis="x", labelsize=7)
    bars.legend(fontsize=7, loc="lower right")
    bars.grid(alpha=0.3, axis="x")
    return _save(fig, path)


def plot_returns_by_channel(yearly: pd.DataFrame, path: Path) -> plt.Figure:
    """Median yearly returns by channel, stacked; trials abroad as a separate line.

    A fugitive tried in the host country is not returned to China, so ``prosecuted_abroad`` is
    drawn as its own line, not stacked on the returns.

    Returns:
        The figure (already saved to ``path`` and closed), for inspection.
    """
    cols = [f"returned_{c}" for c in CHANNELS if c != "prosecution"]
    med = yearly.groupby("year")[[*cols, "prosecuted_abroad"]].median()
    fig, ax = plt.subplots(figsize=(11, 4))
    bottom = np.zeros(len(med))
    handles = []
    for col in cols:
        bars = ax.bar(med.index, med[col], bottom=bottom, label=BY_NAME[col].label, width=0.85)
        handles.append(bars)
        bottom += med[col].to_numpy()
    (line,) = ax.plot(
        med.index, med["prosecuted_abroad"], color="black", marker=".", lw=1.2,
        label=PROSECUTED_LABEL,
    )  # fmt: skip
    ax.set_title("Fugitives returned from abroad, by channel (median across replicates)")
    ax.set_ylabel("officials per year")
    ax.legend(handles=[*handles, line], fontsize=8)
    ax.grid(alpha=0.3, axis="y")
    return _save(fig, path)


def plot_run(tables: Mapping[str, pd.DataFrame], folder: Path) -> None:
    """All figures of a run folder."""
    yearly = tables["timeseries"]
    name = str(yearly["scenario"].iloc[0])
    plot_flows_and_stocks({name: yearly}, folder / "flows_and_stocks.png")
    plot_destinations(tables["countries"], folder / "destinations.png")
    plot_returns_by_channel(yearly, folder / "returns_by_channel.png")
