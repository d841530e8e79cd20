"""The report a policy reader opens (``report.md``): what was compared, effects in plain words."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from sim.compare.stats import verdict
from sim.core.metrics import BY_NAME
from sim.scenario.schema import Scenario


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
