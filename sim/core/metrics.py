"""Outcome metrics, defined once: names, kinds, units, and how they aggregate over time.

Flows count events in a step and are summed over a period; stocks are the state at the end of a
step and are read at the period's end. All counts are of *real* officials (simulated agents times
``run.scale``). The same names are used in tables, reports, comparison and calibration.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd

from sim.core.rules import CHANNELS


@dataclass(frozen=True)
class Metric:
    name: str
    kind: Literal["flow", "stock"]
    unit: str
    description: str


METRICS: tuple[Metric, ...] = (
    Metric("entered", "flow", "officials", "officials entering office"),
    Metric(
        "retired",
        "flow",
        "officials",
        "officials leaving office at the end of their career (deaths in office included)",
    ),
    Metric("exposed", "flow", "officials", "corrupt officials exposed (an investigation opens)"),
    Metric(
        "investigated", "flow", "officials", "exposed officials who stay and face investigation"
    ),
    Metric(
        "fled_abroad", "flow", "officials", "officials who left China as fugitives (new flights)"
    ),
    Metric("went_missing", "flow", "officials", "officials who went into hiding inside China"),
    Metric("caught_home", "flow", "officials", "officials in hiding caught inside China"),
    Metric("caught_border", "flow", "officials", "officials caught at the border while fleeing"),
    Metric(
        "sanctioned_at_home", "flow", "officials", "investigations closed with a sanction at home"
    ),
    *(
        Metric(f"returned_{c}", "flow", "officials", f"fugitives returned from abroad by {c}")
        for c in CHANNELS
        if c != "prosecution"
    ),
    Metric("returned", "flow", "officials", "fugitives returned from abroad, all channels"),
    Metric("prosecuted_abroad", "flow", "officials", "fugitives tried in their host country"),
    Metric("moved_on", "flow", "officials", "fugitives moving from one host country to another"),
    Metric("died_abroad", "flow", "officials", "fugitives dying abroad"),
    Metric("family_moved_abroad", "flow", "officials", "officials whose family settles abroad"),
    Metric("assets_taken_usd", "flow", "US$", "illicit assets taken abroad by new fugitives"),
    Metric(
        "assets_recovered_usd",
        "flow",
        "US$",
        "assets recovered from fugitives (returns, confiscation)",
    ),
    Metric("in_office", "stock", "officials", "officials in office"),
    Metric("under_investigation", "stock", "officials", "officials under investigation at home"),
    Metric("stock_abroad", "stock", "officials", "fugitives abroad at the end of the step"),
    Metric(
        "stock_missing",
        "stock",
        "officials",
        "officials hiding inside China at the end of the step",
    ),
    Metric(
        "stock_abroad_treaty_free",
        "stock",
        "officials",
        "fugitives abroad in places without an extradition treaty in force",
    ),
    Metric(
        "treaties_in_force", "stock", "countries", "countries with an extradition treaty in force"
    ),
    Metric("mean_cooperation", "stock", "0-1", "mean cooperation of countries and regions"),
)

DERIVED: dict[str, tuple[str, ...]] = {
    "fled_or_missing": ("fled_abroad", "went_missing"),
    "caught_or_returned": ("caught_home", "caught_border", "returned", "prosecuted_abroad"),
    "returned_or_prosecuted": ("returned", "prosecuted_abroad"),
}
"""Sums of flows that match definitions used by reported figures (see calibration targets)."""

BY_NAME = {m.name: m for m in METRICS}
FLOWS = tuple(m.name for m in METRICS if m.kind == "flow")
STOCKS = tuple(m.name for m in METRICS if m.kind == "stock")
COUNTRY_COLUMNS = ("stock_abroad", "fled_to", "returned_from", "cooperation", "treaty_in_force")


def is_flow(name: str) -> bool:
    """True for flows and derived flows, False for stocks; KeyError for unknown names."""
    if name in DERIVED:
        return True
    return BY_NAME[name].kind == "flow"


def values(ts: pd.DataFrame, name: str) -> pd.Series:
    """Column ``name`` of a time series table, derived metrics included."""
    if name in DERIVED:
        return ts[list(DERIVED[name])].sum(axis=1)
    if name not in BY_NAME:
        raise KeyError(f"unknown metric {name!r}; known: {', '.join(all_names())}")
    return ts[name]


def all_names() -> tuple[str, ...]:
    return (*BY_NAME, *DERIVED)


def period_value(ts: pd.DataFrame, name: str, start: str, end: str) -> float:
    """A metric over ``[start, end]`` (inclusive ISO months) of one run's monthly series.

    Flows are summed over the period; stocks are read at its last month.
    """
    dates = ts["date"].astype(str)
    mask = (dates >= start[:7]) & (dates <= end[:7])
    series = values(ts, name)[mask.to_numpy()]
    if series.empty:
        return float("nan")
    return float(series.sum()) if is_flow(name) else float(series.iloc[-1])


def yearly(
    monthly: pd.DataFrame, keys: tuple[str, ...] = ("scenario", "replicate", "seed")
) -> pd.DataFrame:
    """Aggregate a monthly table to calendar years: flows summed, stocks at year end."""
    keys = tuple(k for k in keys if k in monthly.columns)
    grouped = monthly.groupby([*keys, "year"], sort=True)
    flows = grouped[[c for c in FLOWS if c in monthly.columns]].sum()
    stocks = grouped[[c for c in STOCKS if c in monthly.columns]].last()
    return pd.concat([flows, stocks], axis=1).reset_index()


def cumulative(monthly: pd.DataFrame, name: str, start: str, end: str) -> pd.Series:
    """Per run (scenario, replicate), a metric over a period; see :func:`period_value`."""
    keys = [k for k in ("scenario", "replicate") if k in monthly.columns]
    return monthly.groupby(keys).apply(
        lambda g: period_value(g, name, start, end), include_groups=False
    )


def empty_flows() -> dict[str, float]:
    return dict.fromkeys(FLOWS, 0.0)
