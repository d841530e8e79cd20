"""The posterior-predictive forecast: what the calibrated model expects after its last target.

Each draw is one run of the calibrated scenario through its own end (``run.end``, 2030-12 for
the baseline) with its own parameter set drawn from the posterior (parameter uncertainty and
chance together). The forecast is written by ``flightsim calibrate`` next to the fit, before
anyone compares it with figures published later: the calibration never sees an outcome after its
last target, and the forecast is fixed by the commit that writes it.

The table is tidy, one row per (quantity, detail, year): the 5th, 25th, 50th, 75th and 95th
percentiles across draws, i.e. the 50% and 90% bands.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.calibrate.targets import TargetsSpec
from sim.core.metrics import is_flow
from sim.core.rules import CHANNELS
from sim.runs.replicates import RunResult
from sim.scenario.load import load_scenario, with_overrides
from sim.scenario.schema import Scenario

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
"""The percentiles written: the 90% band (5-95), the 50% band (25-75) and the median."""
COLUMNS = tuple(f"q{round(q * 100):02d}" for q in QUANTILES)

CHANNEL_FLOWS = tuple(
    "prosecuted_abroad" if c == "prosecution" else f"returned_{c}" for c in CHANNELS
)
"""The monthly flow of each return channel, in :data:`sim.core.rules.CHANNELS` order."""


@dataclass(frozen=True)
class Quantity:
    """One forecast quantity: a yearly flow or a year-end stock of the monthly table."""

    name: str
    metric: str
    unit: str
    detail: str = ""


QUANTITIES = (
    Quantity("officials_returned", "returned", "officials per year"),
    Quantity("new_flights", "fled_abroad", "officials per year"),
    *(
        Quantity("returns_by_channel", flow, "officials per year", c)
        for c, flow in zip(CHANNELS, CHANNEL_FLOWS, strict=True)
    ),
    Quantity("returned_covertly", "returned_covertly", "officials per year"),
    Quantity("most_wanted_at_large", "most_wanted_at_large", "officials at year end"),
    Quantity("stock_abroad", "stock_abroad", "officials at year end", "all"),
)
"""The quantities of the forecast; those missing from the model's tables are left out."""


def _quantiles(values: pd.DataFrame) -> pd.DataFrame:
    """Percentiles across draws (columns) of each row (year)."""
    data = values.to_numpy(dtype=float)
    out = pd.DataFrame(
        np.quantile(data, QUANTILES, axis=1).T, index=values.index, columns=list(COLUMNS)
    )
    out["draws"] = data.shape[1]
    return out


def _by_year(runs: Sequence[RunResult], column: str, is_stock: bool) -> pd.DataFrame:
    """One column per draw, one row per year: the flow summed or the stock at year end."""
    series = {}
    for k, r in enumerate(runs):
        grouped = r.monthly.groupby("year")[column]
        series[k] = grouped.last() if is_stock else grouped.sum()
    return pd.DataFrame(series)


def forecast_table(runs: Sequence[RunResult], first_year: int, last_year: int) -> pd.DataFrame:
    """The tidy forecast of ``runs`` (posterior draws) for calendar years ``first..last``.

    Columns: ``quantity, detail, unit, year, q05, q25, q50, q75, q95, draws``. Stock abroad is
    also given by destination (``detail`` = ISO3 code or region code), from the runs' yearly
    country tables.

    Raises:
        ValueError: no runs, or the runs do not cover the years asked.
    """
    if not runs:
        raise ValueError("no posterior draws to forecast from")
    years = range(first_year, last_year + 1)
    covered = set(runs[0].monthly["year"].unique())
    if not set(years) <= covered:
        raise ValueError(
            f"the runs cover {min(covered)}-{max(covered)}, not {first_year}-{last_year}"
        )
    parts = []
    for q in QUANTITIES:
        if q.metric not in runs[0].monthly.columns:
            continue
        table = _by_year(runs, q.metric, not is_flow(q.metric)).loc[list(years)]
        part = _quantiles(table)
        part.insert(0, "unit", q.unit)
        part.insert(0, "detail", q.detail)
        part.insert(0, "quantity", q.name)
        parts.append(part.rename_axis("year").reset_index())
    parts.append(_destinations(runs, years))
    out = pd.concat(parts, ignore_index=True)
    return out[["quantity", "detail", "unit", "year", *COLUMNS, "draws"]]


def _destinations(runs: Sequence[RunResult], years: range) -> pd.DataFrame:
    """Year-end stock abroad by destination, percentiles across draws."""
    stacked = pd.concat([r.countries.assign(draw=k) for k, r in enumerate(runs)], ignore_index=True)
    stacked = stacked[stacked["year"].isin(list(years))]
    wide = stacked.pivot_table(
        index=["iso3", "year"], columns="draw", values="stock_abroad", aggfunc="sum"
    ).fillna(0.0)
    part = _quantiles(wide).reset_index().rename(columns={"iso3": "detail"})
    part.insert(0, "quantity", "stock_abroad_by_destination")
    part.insert(2, "unit", "officials at year end")
    return part


def forecast_scenario(spec: TargetsSpec, scale: int) -> Scenario:
    """The scenario the targets name, at ``scale``, run to its own end (not cut at the targets).

    The posterior-predictive runs use it for the fit table too: a run is causal, so its months up
    to the last target are the same as those of the run stopped there.
    """
    base = load_scenario(spec.scenario_path)
    return with_overrides(base, {"run.scale": scale, "run.event_log": False}, file=spec.file)


HEADLINE = ("officials_returned", "new_flights", "most_wanted_at_large")
"""The quantities the report's forecast table shows (the CSV has them all)."""


def forecast_markdown(table: pd.DataFrame, years: Sequence[int]) -> str:
    """The report's forecast section: headline quantities at ``years``, median [50%] [90%]."""

    def cell(row: pd.Series) -> str:
        return (
            f"{row['q50']:,.0f} [{row['q25']:,.0f}-{row['q75']:,.0f}] "
            f"[{row['q05']:,.0f}-{row['q95']:,.0f}]"
        )

    rows = []
    for name in HEADLINE:
        part = table[(table["quantity"] == name) & table["year"].isin(list(years))]
        if part.empty:
            continue
        rows.append("| " + name + " | " + " | ".join(cell(r) for _, r in part.iterrows()) + " |")
    head = "| quantity | " + " | ".join(str(y) for y in years) + " |"
    rule = "| --- |" + " --- |" * len(years)
    first, last = int(table["year"].min()), int(table["year"].max())
    draws = int(table["draws"].iloc[0])
    return "\n".join(
        [
            "## Forecast (written before any comparison)",
            "",
            f"Posterior-predictive forecast {first}-{last}: {draws} runs, each with its own "
            "parameter set drawn from the posterior, through the baseline's policies (status quo "
            "after its last dated event). Cells: median [50% band] [90% band]. The whole "
            "forecast (returns by channel, stock abroad by destination) is in `forecast.csv` and "
            "`plots/forecast.png`. No figure after the last target was used to make it.",
            "",
            head,
            rule,
            *rows,
            "",
        ]
    )
