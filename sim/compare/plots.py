"""Presentation of a policy comparison: fan charts, a forest plot of effects, and report.md."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

from sim.compare.engine import BY_NAME, OUTCOMES  # noqa: E402
from sim.runs.plots import BAND, fan  # noqa: E402
from sim.scenario.schema import Scenario  # noqa: E402

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


def verdict(row: Mapping[str, Any]) -> str:
    """Plain words for an effect: better, worse, no clear difference, or no difference."""
    if row["low"] == row["high"] == row["estimate"] == 0:
        return "no difference"
    good = row["direction"] * row["low"], row["direction"] * row["high"]
    if min(good) > 0:
        return "better"
    if max(good) < 0:
        return "worse"
    return "no clear difference"


def fmt(value: float, unit: str, signed: bool = False) -> str:
    """A number as a reader wants it: officials whole, money in US$ m/bn, shares in %."""
    if unit == "share":
        value, suffix, digits = 100 * value, " pp" if signed else "%", 1
    elif unit == "US$" and abs(value) >= 1e9:
        value, suffix, digits = value / 1e9, " bn", 2
    elif unit == "US$" and abs(value) >= 1e6:
        value, suffix, digits = value / 1e6, " m", 1
    else:
        suffix, digits = "", 0 if abs(value) >= 10 or value == round(value) else 1
    text = f"{value:,.{digits}f}"
    if float(text.replace(",", "")) == 0:
        return f"0{suffix}"
    return ("+" if signed and value > 0 else "") + text + suffix


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
    cols = 3
    rows = int(np.ceil(len(OUTCOMES) / cols))
    height = max(1.2, 0.35 * len(policies) + 0.9)
    fig, axes = plt.subplots(rows, cols, figsize=(13, height * rows + 0.8), squeeze=False)
    for ax, outcome in zip(axes.ravel(), OUTCOMES, strict=False):
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
    for ax in axes.ravel()[len(OUTCOMES) :]:
        ax.set_visible(False)
    fig.suptitle(
        "Effect of each policy against the base (policy minus base, same simulated futures): "
        "dot = mean, bar = 95% interval;\ngreen = better, red = worse, grey = no clear difference",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _headline(effects: pd.DataFrame, policy: str) -> list[str]:
    lines = [
        "| outcome | base | policy | change (95% interval) | better in | verdict |",
        "| --- | ---: | ---: | --- | ---: | --- |",
    ]
    for _, row in effects[effects["policy"] == policy].iterrows():
        o = BY_NAME[row["outcome"]]
        change = (f"{fmt(row['estimate'], o.unit, True)} ({fmt(row['low'], o.unit, True)} to "
                  f"{fmt(row['high'], o.unit, True)})")  # fmt: skip
        better = f"{round(row['p_better'] * 100):d}% of futures"
        lines.append(
            f"| {o.label} | {fmt(row['base_mean'], o.unit)} | {fmt(row['policy_mean'], o.unit)} "
            f"| {change} | {better} | **{verdict(row)}** |"
        )
    return lines


def _clear(effects: pd.DataFrame, policy: str) -> list[str]:
    """One plain sentence per outcome the policy clearly changed."""
    out = []
    for _, row in effects[effects["policy"] == policy].iterrows():
        word = verdict(row)
        if word in ("better", "worse"):
            o = BY_NAME[row["outcome"]]
            out.append(
                f"- {o.label}: {fmt(row['estimate'], o.unit, True)} "
                f"(95% interval {fmt(row['low'], o.unit, True)} to "
                f"{fmt(row['high'], o.unit, True)}), **{word}**."
            )
    if not out:
        return ["No outcome changed clearly: every interval includes zero."]
    return ["Clear differences (the whole 95% interval on one side of zero):", "", *out]


def report_markdown(
    scenarios: Sequence[Scenario], files: Sequence[str], labels: Sequence[str],
    effects: pd.DataFrame, summary: pd.DataFrame, info: Mapping[str, Any],
) -> str:  # fmt: skip
    """The report a policy reader opens: what was compared, the headline tables, the figures."""
    start, end = info["horizon"]
    n = info["replicates"]
    lines = [
        f"# What difference would the policy make? {labels[0]} compared with "
        + ", ".join(labels[1:]),
        "",
        "## What was compared",
        "",
        "| role | scenario | file | what it represents |",
        "| --- | --- | --- | --- |",
    ]
    for i, (lab, file, s) in enumerate(zip(labels, files, scenarios, strict=True)):
        text = " ".join(s.meta.description.split()) or "(no description)"
        lines.append(f"| {'base' if i == 0 else 'policy'} | {lab} | `{file}` | {text} |")
    lines += [
        "",
        f"- **Policy horizon**: {start} to {end} ({info['horizon_rule']}). Counts are totals "
        'over these months; "still abroad" and the treaty-free share are at the last month.',
        f"- **Simulated futures**: {n} replicates of each scenario (seed {info['seed']}, one "
        f"simulated agent stands for {scenarios[0].run.scale} real official(s), "
        f"period {scenarios[0].run.start} to {scenarios[0].run.end}).",
        "- **Pairing**: future *k* of every scenario uses the same random draws (common random "
        "numbers), so the scenarios differ only through what the policy changes.",
        "",
        "## How to read the tables",
        "",
        "- *base* and *policy*: the average over the simulated futures.",
        "- *change*: the average of (policy minus base) within each future, with a 95% interval "
        f"from a {info['interval_method']}. An interval that does not cross zero is a clear "
        "difference; *no difference* means the policy did not touch this outcome in any future.",
        "- *better in*: the share of futures in which the policy did better than the base on "
        "this outcome (ties count half; 50% means no lean either way).",
        "- Changes in the treaty-free share are in percentage points (pp).",
        "",
    ]
    for policy in labels[1:]:
        lines += [f"## Effects of {policy}", "", *_clear(effects, policy), ""]
        lines += [*_headline(effects, policy), ""]
    nar = info["narrowing"]
    lines += ["## Why pairing matters", ""]
    if nar["all_policies"]:
        a = nar["all_policies"]
        lines.append(
            f"On the outcomes a policy moved ({a['outcomes']} policy-outcome pairs), the paired "
            f"intervals are a median {100 * a['median']:.0f}% narrower than intervals computed "
            f"from the same runs without pairing (range {100 * a['min']:.0f}% to "
            f"{100 * a['max']:.0f}%; {nar['method']})."
        )
    else:
        lines.append("No policy moved any outcome, so there is no narrowing to measure.")
    if nar["untouched_outcomes_zero_width"]:
        lines.append(
            f"On {nar['untouched_outcomes_zero_width']} policy-outcome pairs the policy changed "
            "nothing: the paired interval is exactly zero, while an unpaired one would not be."
        )
    lines += [
        "",
        "## Figures",
        "",
        "Each scenario over time (median and 5-95% band across futures):",
        "",
        "![fan charts](plots/fan_charts.png)",
        "",
        "Effects with their intervals:",
        "",
        "![forest plot](plots/forest.png)",
        "",
        "## Caveats",
        "",
        "The model's behavioural parameters are fitted to a handful of reported figures up to "
        "2014 (calibration/report.md) or set by hand; read effects as directions and rough "
        "sizes under the model's assumptions, not forecasts. Intervals reflect randomness "
        "across simulated futures, not uncertainty about the parameters, unless the comparison "
        "was run with --posterior (then each future also draws its own parameters).",
        "",
        "## Files and manifest",
        "",
        "`effects.csv`/`.parquet` (one row per outcome and policy), `outcomes.csv` (each run), "
        "`outcomes_summary.csv` (per scenario), `timeseries.csv` (by year), `scenarios/` "
        "(resolved inputs), `manifest.json`.",
        "",
        "| field | value |",
        "| --- | --- |",
    ]
    for key in ("version", "git_commit", "command", "seed", "replicates", "scale", "jobs",
                "runs", "wall_seconds", "status"):  # fmt: skip
        lines.append(f"| {key} | `{info.get(key)}` |")
    return "\n".join(lines) + "\n"
