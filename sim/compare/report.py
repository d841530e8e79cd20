"""The report a policy reader opens (``report.md``): what was compared, effects in plain words."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from sim.compare.stats import FIXED, POSTERIOR, verdict
from sim.core.metrics import BY_NAME
from sim.runs.posterior import ESS_WARNING_SHARE
from sim.scenario.schema import Scenario

ENOUGH = 20
"""Replicates at which the bootstrap-t interval's coverage was measured to hold (docs)."""


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


def _interval(row: Mapping[str, Any], unit: str) -> str:
    return (f"{fmt(row['estimate'], unit, True)} ({fmt(row['low'], unit, True)} to "
            f"{fmt(row['high'], unit, True)})")  # fmt: skip


def _pct(share: float) -> str:
    """A relative change in %, signed; one decimal below 10%, none for exact zero."""
    value = 100 * share
    text = f"{value:+.1f}" if abs(value) < 10 else f"{value:+.0f}"
    return "0%" if float(text) == 0 else f"{text}%"


def _relative(row: Mapping[str, Any]) -> str:
    """The relative change (policy mean / base mean - 1) in %, with its interval."""
    if not np.isfinite(row["relative"]):
        return "n/a"
    return f"{_pct(row['relative'])} ({_pct(row['relative_low'])} to {_pct(row['relative_high'])})"


def _headline(effects: pd.DataFrame, policy: str, views: Sequence[str]) -> list[str]:
    """One row per outcome: each view's change and verdict, marked where the verdicts differ."""
    mine = effects[effects["policy"] == policy]
    by_view = {v: mine[mine["parameters"] == v].set_index("outcome") for v in views}
    main = by_view[views[0]]
    names = {POSTERIOR: "posterior parameters", FIXED: "fixed parameters"}
    head = "| outcome | base | policy | "
    head += " | ".join(f"change, {names[v]} (95% interval) | verdict" for v in views)
    head += f" | relative change, {names[views[0]]} | better in |"
    if len(views) > 1:
        head += " verdicts |"
    lines = [head, "| --- | ---: | ---: | " + "--- | --- | " * len(views) + "--- | ---: |"
             + (" --- |" if len(views) > 1 else "")]  # fmt: skip
    for outcome, row in main.iterrows():
        o = BY_NAME[str(outcome)]
        cells = [o.label, fmt(row["base_mean"], o.unit), fmt(row["policy_mean"], o.unit)]
        words = []
        for v in views:
            r = by_view[v].loc[outcome]
            words.append(verdict(r))
            cells += [_interval(r, o.unit), f"**{words[-1]}**"]
        cells += [_relative(row), f"{round(row['p_better'] * 100):d}% of futures"]
        if len(views) > 1:
            cells.append("**DIFFER**" if len(set(words)) > 1 else "agree")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _clear(effects: pd.DataFrame, policy: str) -> list[str]:
    """One plain sentence per outcome the policy clearly changed (in the main view)."""
    out = []
    for _, row in effects[effects["policy"] == policy].iterrows():
        word = verdict(row)
        if word in ("better", "worse"):
            o = BY_NAME[row["outcome"]]
            out.append(
                f"- {o.label}: {fmt(row['estimate'], o.unit, True)} "
                f"(95% interval {fmt(row['low'], o.unit, True)} to "
                f"{fmt(row['high'], o.unit, True)}; relative change {_relative(row)}), "
                f"**{word}**."
            )
    if not out:
        return ["No outcome changed clearly: every interval includes zero."]
    return ["Clear differences (the whole 95% interval on one side of zero):", "", *out]


def _flips(effects: pd.DataFrame, policy: str, views: Sequence[str]) -> list[str]:
    """A sentence on how many verdicts the parameter uncertainty changes."""
    if len(views) < 2:
        return []
    mine = effects[effects["policy"] == policy]
    a = mine[mine["parameters"] == views[0]].set_index("outcome")
    b = mine[mine["parameters"] == views[1]].set_index("outcome")
    flipped = [o for o in a.index if verdict(a.loc[o]) != verdict(b.loc[o])]
    if not flipped:
        return ["Parameter uncertainty changes no verdict.", ""]
    names = ", ".join(BY_NAME[o].label for o in flipped)
    return [
        f"**Parameter uncertainty changes {len(flipped)} verdict(s)** ({names}): with fixed "
        "parameters these look different than they are once the parameters are uncertain. "
        "Read the posterior column.",
        "",
    ]


def _posterior_caveat(info: Mapping[str, Any]) -> str:
    """What the posterior the draws came from is worth: its effective sample size."""
    ess = info.get("posterior_effective_sample_size")
    if ess is None:
        return ""
    n = info["posterior_particles"]
    text = (
        f" The posterior (`{info['posterior']}`) has an effective sample size of {ess:g} of "
        f"{n} distinct particles."
    )
    if ess < ESS_WARNING_SHARE * n:
        text += (
            " **Its draws come from a few parameter sets, so the posterior view understates "
            "parameter uncertainty.**"
        )
    return text


def report_markdown(
    scenarios: Sequence[Scenario], files: Sequence[str], labels: Sequence[str],
    effects: pd.DataFrame, summary: pd.DataFrame, info: Mapping[str, Any],
) -> str:  # fmt: skip
    """The report a policy reader opens: what was compared, the headline tables, the figures."""
    start, end = info["horizon"]
    n = info["replicates"]
    views = list(info.get("views") or [FIXED])
    main = effects[effects["parameters"] == views[0]]
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
        f"- **Parameters**: {info['parameters']}."
        + (
            " Intervals then carry parameter uncertainty as well as chance."
            if POSTERIOR in views
            else " Intervals reflect chance only."
        )
        + (
            f" Fewer than {ENOUGH} replicates: intervals of skewed outcomes cover less than 95% "
            "(see docs/compare.md)."
            if n < ENOUGH
            else ""
        ),
        "",
        "## How to read the tables",
        "",
        "- *base* and *policy*: the average over the simulated futures (of the first view).",
        "- *change*: the average of (policy minus base) within each future, with a 95% interval "
        f"from a {info['interval_method']}. An interval that does not cross zero is a clear "
        "difference; *no difference* means the policy did not touch this outcome in any future.",
        "- *relative change*: policy average over base average, minus 1 (far less sensitive "
        "than absolute numbers to the model's uncertain overall level of flight).",
        "- *posterior* / *fixed parameters*: with parameters drawn per future from the "
        "calibration posterior, or kept at the scenario's values; *verdicts* marks DIFFER "
        "where the two disagree.",
        "- *better in*: the share of futures in which the policy did better than the base on "
        "this outcome (ties count half; 50% means no lean either way).",
        "- Changes in the treaty-free share are in percentage points (pp).",
        "",
    ]
    for policy in labels[1:]:
        lines += [f"## Effects of {policy}", "", *_clear(main, policy), ""]
        lines += [*_flips(effects, policy, views), *_headline(effects, policy, views), ""]
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
        "2016 (calibration/report.md) or set by hand; read effects as directions and rough "
        "sizes under the model's assumptions, not forecasts. Only the calibrated parameters "
        "are drawn from the posterior; the hand-set ones stay fixed in both views."
        + _posterior_caveat(info),
        "",
        "## Files and manifest",
        "",
        "`effects.csv`/`.parquet` (one row per view, outcome and policy), `outcomes.csv` "
        "(each run), "
        "`outcomes_summary.csv` (per scenario), `timeseries.csv` (by year), `scenarios/` "
        "(resolved inputs), `manifest.json`.",
        "",
        "| field | value |",
        "| --- | --- |",
    ]
    for key in ("version", "git_commit", "command", "seed", "replicates", "views", "scale",
                "jobs", "runs", "wall_seconds", "status"):  # fmt: skip
        lines.append(f"| {key} | `{info.get(key)}` |")
    return "\n".join(lines) + "\n"
