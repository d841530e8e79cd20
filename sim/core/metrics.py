"""Outcome metrics, defined once: names, kinds, units, labels, which way is better, aggregation.

This is the one registry of outcomes: run tables, reports, comparison, calibration and sweeps all
name outcomes from it. Flows count events in a step and are summed over a period; stocks are the
state at the end of a step and are read at the period's end. All counts are of *real* officials
(simulated agents times ``run.scale``). Recorded metrics (:data:`METRICS`) are columns of a run's
monthly table; derived metrics (:data:`DERIVED_METRICS`) are computed from them: sums of flows
matching reported figures, and the treaty-free share of those abroad.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from sim.core.rules import CHANNELS


@dataclass(frozen=True)
class Metric:
    """One outcome.

    Attributes:
        name: column name (snake case).
        kind: ``flow`` (summed over a period) or ``stock`` (read at its end).
        unit: ``officials``, ``US$``, ``countries``, ``0-1`` or ``share``.
        description: what is counted, in a sentence fragment.
        label: short title for reports and figures (the description when not given).
        direction: which way is better for policy: +1 more, -1 less, 0 neutral.
        sum_of: for a derived sum, the recorded flows it adds up.
        ratio_of: for a derived ratio, ``(numerator, denominator)`` recorded stocks; 0 where the
            denominator is 0.
    """

    name: str
    kind: Literal["flow", "stock"]
    unit: str
    description: str
    label: str = ""
    direction: Literal[1, 0, -1] = 0
    sum_of: tuple[str, ...] = ()
    ratio_of: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.label:
            object.__setattr__(self, "label", self.description[:1].upper() + self.description[1:])

    @property
    def derived(self) -> bool:
        """True when computed from recorded metrics rather than recorded by the model."""
        return bool(self.sum_of or self.ratio_of)


_CHANNEL_WORDS = {"surrender": "self-surrender"}
OFFICIALS = "officials"

METRICS: tuple[Metric, ...] = (
    Metric("entered", "flow", OFFICIALS, "officials entering office"),
    Metric(
        "retired",
        "flow",
        OFFICIALS,
        "officials leaving office at the end of their career (deaths in office included)",
    ),
    Metric("exposed", "flow", OFFICIALS, "corrupt officials exposed (an investigation opens)"),
    Metric("investigated", "flow", OFFICIALS, "exposed officials who stay and face investigation"),
    Metric(
        "fled_abroad",
        "flow",
        OFFICIALS,
        "officials who left China as fugitives (new flights)",
        label="Officials who fled abroad",
        direction=-1,
    ),  # fmt: skip
    Metric(
        "went_missing",
        "flow",
        OFFICIALS,
        "officials who went into hiding inside China",
        label="Officials who went missing inside China",
        direction=-1,
    ),  # fmt: skip
    Metric(
        "caught_home", "flow", OFFICIALS, "officials in hiding caught inside China", direction=1
    ),  # fmt: skip
    Metric(
        "caught_border",
        "flow",
        OFFICIALS,
        "officials caught at the border while fleeing",
        direction=1,
    ),  # fmt: skip
    Metric(
        "sanctioned_at_home", "flow", OFFICIALS, "investigations closed with a sanction at home"
    ),
    *(
        Metric(
            f"returned_{c}",
            "flow",
            OFFICIALS,
            f"fugitives returned from abroad by {c}",
            label=f"Returned by {_CHANNEL_WORDS.get(c, c)}",
            direction=1,
        )  # fmt: skip
        for c in CHANNELS
        if c != "prosecution"
    ),
    Metric(
        "returned",
        "flow",
        OFFICIALS,
        "fugitives returned from abroad, all channels",
        label="Fugitives returned, all channels",
        direction=1,
    ),  # fmt: skip
    Metric(
        "prosecuted_abroad", "flow", OFFICIALS, "fugitives tried in their host country", direction=1
    ),  # fmt: skip
    Metric("moved_on", "flow", OFFICIALS, "fugitives moving from one host country to another"),
    Metric("died_abroad", "flow", OFFICIALS, "fugitives dying abroad"),
    Metric("family_moved_abroad", "flow", OFFICIALS, "officials whose family settles abroad"),
    Metric(
        "assets_taken_usd",
        "flow",
        "US$",
        "illicit assets taken abroad by new fugitives",
        label="Assets taken abroad by new fugitives",
        direction=-1,
    ),  # fmt: skip
    Metric(
        "assets_recovered_usd",
        "flow",
        "US$",
        "assets recovered from fugitives (returns, confiscation)",
        label="Assets recovered",
        direction=1,
    ),
    Metric("in_office", "stock", OFFICIALS, "officials in office"),
    Metric("under_investigation", "stock", OFFICIALS, "officials under investigation at home"),
    Metric(
        "stock_abroad",
        "stock",
        OFFICIALS,
        "fugitives abroad at the end of the step",
        label="Fugitives still abroad at the end",
        direction=-1,
    ),  # fmt: skip
    Metric(
        "stock_missing",
        "stock",
        OFFICIALS,
        "officials hiding inside China at the end of the step",
        direction=-1,
    ),
    Metric(
        "stock_abroad_treaty_free",
        "stock",
        OFFICIALS,
        "fugitives abroad in places without an extradition treaty in force",
        direction=-1,
    ),
    Metric(
        "treaties_in_force", "stock", "countries", "countries with an extradition treaty in force"
    ),
    Metric("mean_cooperation", "stock", "0-1", "mean cooperation of countries and regions"),
    # ------------------------------------------------ Sky Net era: officials' side (issue 11)
    Metric(
        "returned_covertly",
        "flow",
        OFFICIALS,
        "fugitives who slipped back into China in secret and hide there",
        label="Fugitives back in China in secret",
        direction=0,
    ),
    Metric(
        "caught_after_covert_return",
        "flow",
        OFFICIALS,
        "officials caught inside China after a covert return (also in caught_home)",
        label="Caught inside China after a covert return",
        direction=1,
    ),
    Metric(
        "most_wanted_returned",
        "flow",
        OFFICIALS,
        "most-wanted fugitives returned or tried abroad",
        label="Most-wanted fugitives returned",
        direction=1,
    ),
    Metric(
        "most_wanted_at_large",
        "stock",
        OFFICIALS,
        "most-wanted fugitives still at large (abroad or hiding in China)",
        label="Most-wanted fugitives still at large",
        direction=-1,
    ),
)
"""Metrics the model records, in the column order of a run's monthly table."""

DERIVED_METRICS: tuple[Metric, ...] = (
    Metric(
        "fled_or_missing",
        "flow",
        OFFICIALS,
        "officials who fled abroad or went missing",
        direction=-1,
        sum_of=("fled_abroad", "went_missing"),
    ),  # fmt: skip
    Metric(
        "caught_or_returned",
        "flow",
        OFFICIALS,
        "officials caught at home or returned from abroad",
        direction=1,
        sum_of=("caught_home", "caught_border", "returned", "prosecuted_abroad"),
    ),  # fmt: skip
    Metric(
        "returned_or_prosecuted",
        "flow",
        OFFICIALS,
        "fugitives returned or tried abroad",
        direction=1,
        sum_of=("returned", "prosecuted_abroad"),
    ),  # fmt: skip
    Metric(
        "treaty_free_share",
        "stock",
        "share",
        "stock_abroad_treaty_free / stock_abroad (0 when nobody is abroad)",
        label="Share of those abroad in places with no extradition treaty in force",
        direction=-1,
        ratio_of=("stock_abroad_treaty_free", "stock_abroad"),
    ),  # fmt: skip
)
"""Metrics computed from recorded ones: sums of flows that match definitions used by reported
figures (see calibration targets), and the share of fugitives beyond any treaty's reach."""

BY_NAME = {m.name: m for m in (*METRICS, *DERIVED_METRICS)}
DERIVED: dict[str, tuple[str, ...]] = {m.name: m.sum_of for m in DERIVED_METRICS if m.sum_of}
"""Derived sums by name, with the flows they add up (a view of :data:`DERIVED_METRICS`)."""
FLOWS = tuple(m.name for m in METRICS if m.kind == "flow")
STOCKS = tuple(m.name for m in METRICS if m.kind == "stock")
COUNTRY_COLUMNS = ("stock_abroad", "fled_to", "returned_from", "cooperation", "treaty_in_force")


def is_flow(name: str) -> bool:
    """True for flows and derived flows, False for stocks; KeyError for unknown names."""
    return BY_NAME[name].kind == "flow"


def values(ts: pd.DataFrame, name: str) -> pd.Series:
    """Column ``name`` of a time series table, derived metrics included."""
    if name not in BY_NAME:
        raise KeyError(f"unknown metric {name!r}; known: {', '.join(all_names())}")
    metric = BY_NAME[name]
    if metric.sum_of:
        return ts[list(metric.sum_of)].sum(axis=1)
    if metric.ratio_of:
        top, bottom = (ts[c].to_numpy(dtype=float) for c in metric.ratio_of)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(bottom > 0, top / bottom, 0.0)
        return pd.Series(share, index=ts.index, name=name)
    return ts[name]


def all_names() -> tuple[str, ...]:
    """Every metric name, recorded ones first, then derived ones."""
    return tuple(BY_NAME)


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
