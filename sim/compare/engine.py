"""Policy comparison: paired effects of policies against a base, with bootstrap intervals.

Every scenario runs the same replicate keys ``(seed, k)``, so replicate *k* of each scenario
shares its random streams (common random numbers): the runs differ only through what the policy
changes. The effect of a policy on an outcome is the mean over replicates of the paired
difference ``policy_k - base_k``; its 95% interval is a BCa bootstrap over replicates (Efron
1987) drawn from a named stream of the comparison seed, so reruns are identical. A difference
with no variance gives a zero-width interval exactly. The payoff of pairing is measured on the
same runs by an unpaired (two-sample) bootstrap, both with the percentile method.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from sim.core.agents import CountryStates
from sim.core.levers import compile_levers
from sim.core.metrics import period_value, yearly
from sim.core.rng import Streams
from sim.errors import CompareError
from sim.runs.replicates import RunResult, Task, default_jobs, replicate_tasks
from sim.scenario.schema import Scenario, iso_month, month_of
from sim.world.countries import load_countries

LEVEL = 0.95
RESAMPLES = 4000
INTERVAL_METHOD = "BCa bootstrap over replicates (paired differences), 4000 resamples"


@dataclass(frozen=True)
class Outcome:
    """An outcome of the comparison and which way is better (+1: more is better)."""

    name: str
    label: str
    unit: Literal["officials", "US$", "share"]
    direction: Literal[1, -1]
    how: str


OUTCOMES: tuple[Outcome, ...] = (
    Outcome("fled_abroad", "Officials who fled abroad", "officials", -1, "flow"),
    Outcome("went_missing", "Officials who went missing inside China", "officials", -1, "flow"),
    Outcome(
        "fled_or_missing", "Officials who fled abroad or went missing", "officials", -1, "flow"
    ),
    Outcome("returned", "Fugitives returned, all channels", "officials", 1, "flow"),
    Outcome("returned_persuasion", "Returned by persuasion", "officials", 1, "flow"),
    Outcome("returned_deportation", "Returned by deportation", "officials", 1, "flow"),
    Outcome("returned_extradition", "Returned by extradition", "officials", 1, "flow"),
    Outcome("returned_surrender", "Returned by self-surrender", "officials", 1, "flow"),
    Outcome("prosecuted_abroad", "Fugitives tried in their host country", "officials", 1, "flow"),
    Outcome("stock_abroad", "Fugitives still abroad at the end", "officials", -1, "stock"),
    Outcome(
        "treaty_free_share",
        "Share of those abroad in places with no extradition treaty in force",
        "share",
        -1,
        "stock_abroad_treaty_free / stock_abroad at the end (0 when nobody is abroad)",
    ),
    Outcome("assets_recovered_usd", "Assets recovered", "US$", 1, "flow"),
    Outcome("assets_taken_usd", "Assets taken abroad by new fugitives", "US$", -1, "flow"),
)
"""Outcomes in report order. ``how``: flows are summed over the horizon, stocks read at its end."""

BY_NAME = {o.name: o for o in OUTCOMES}


# ------------------------------------------------------------------------------- inputs
def check_compatible(base: Scenario, policies: Sequence[Scenario], files: Sequence[str]) -> None:
    """The base and every policy must share ``run.start``, ``run.end`` and ``run.scale``.

    Raises:
        CompareError: naming the policy file and the field that differs.
    """
    for policy, file in zip(policies, files, strict=True):
        for field in ("start", "end", "scale"):
            mine, theirs = getattr(policy.run, field), getattr(base.run, field)
            if mine != theirs:
                raise CompareError(
                    f"{file}: run.{field}: is {mine!r} but the base has {theirs!r}; "
                    "compared scenarios must share run.start, run.end and run.scale"
                )


def _treaty_status(scenario: Scenario) -> np.ndarray:
    """``(n_steps, n_countries)`` treaty in force by step from dated treaty changes alone."""
    states = CountryStates(load_countries(), scenario, Streams(0, 0)["treaty"])
    return states.treaty_status(np.arange(scenario.n_steps))


def first_difference(base: Scenario, policy: Scenario) -> str | None:
    """First month (``YYYY-MM``) at which a policy's inputs differ from the base's, if any.

    Compares the compiled monthly levers, the treaty calendar and endogenous signing; a
    different ``world`` section differs from the run's first month. Both must share a period.
    """
    if base.world != policy.world or (
        base.policy.treaties.endogenous_signing != policy.policy.treaties.endogenous_signing
    ):
        return base.run.start[:7]
    countries = load_countries()
    a, b = compile_levers(base, countries), compile_levers(policy, countries)
    differs = np.zeros(base.n_steps, dtype=bool)
    for name in a.__dataclass_fields__:
        x, y = getattr(a, name), getattr(b, name)
        differs |= (x != y).reshape(base.n_steps, -1).any(axis=1)
    differs |= (_treaty_status(base) != _treaty_status(policy)).any(axis=1)
    if not differs.any():
        return None
    return iso_month(base.start_month + int(np.argmax(differs)))


def parse_horizon(text: str, base: Scenario) -> tuple[str, str]:
    """``START:END`` (ISO months) inside the run period, or :class:`CompareError`."""
    start, sep, end = text.partition(":")
    if not sep or not start or not end:
        raise CompareError(f"--horizon: expected START:END such as 2015-01:2030-12, got {text!r}")
    try:
        lo, hi = month_of(start.strip()), month_of(end.strip())
    except ValueError as exc:
        raise CompareError(f"--horizon: {exc}") from None
    if hi < lo:
        raise CompareError(f"--horizon: end {end} is before start {start}")
    if lo < base.start_month or hi > base.end_month:
        raise CompareError(
            f"--horizon: {text} is outside the run period {base.run.start}..{base.run.end}"
        )
    return iso_month(lo), iso_month(hi)


def default_horizon(base: Scenario, policies: Sequence[Scenario]) -> tuple[tuple[str, str], str]:
    """From the earliest month any policy differs from the base to the run's end, and why."""
    firsts = [f for f in (first_difference(base, p) for p in policies) if f is not None]
    end = iso_month(base.end_month)
    if not firsts:
        return (iso_month(base.start_month), end), "no policy differs from the base: whole run"
    return (min(firsts), end), "from the first month any policy differs from the base"


# ----------------------------------------------------------------------------- outcomes
def outcome_values(monthly: pd.DataFrame, start: str, end: str) -> dict[str, float]:
    """Every outcome of one run over the horizon ``[start, end]``."""
    out: dict[str, float] = {}
    for o in OUTCOMES:
        if o.name == "treaty_free_share":
            abroad = period_value(monthly, "stock_abroad", start, end)
            free = period_value(monthly, "stock_abroad_treaty_free", start, end)
            out[o.name] = free / abroad if abroad > 0 else 0.0
        else:
            out[o.name] = period_value(monthly, o.name, start, end)
    return out


def outcome_table(
    results: Sequence[RunResult], labels: Sequence[str], start: str, end: str
) -> pd.DataFrame:
    """Tidy outcomes per run: scenario (label), replicate, outcome, value."""
    rows = []
    for r, label in zip(results, labels, strict=True):
        for name, value in outcome_values(r.monthly, start, end).items():
            rows.append(
                {"scenario": label, "replicate": r.replicate, "outcome": name, "value": value}
            )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------- statistics
def _resample_indices(seed: int, name: str, n: int, resamples: int) -> np.ndarray:
    """``(resamples, n)`` replicate indices from the named stream ``name`` of ``seed``."""
    return Streams(seed, 0)[name].generator().integers(0, n, size=(resamples, n))


def bca_interval(d: np.ndarray, boot: np.ndarray, level: float = LEVEL) -> tuple[float, float]:
    """BCa interval of the mean of ``d`` from bootstrap means ``boot`` (Efron 1987).

    Bias correction from the share of bootstrap means below the estimate (ties count half),
    acceleration from the jackknife. Zero-variance data give ``(d[0], d[0])`` exactly.
    """
    if np.ptp(d) == 0:
        return float(d[0]), float(d[0])
    est, n, b = float(d.mean()), len(d), len(boot)
    prop = (np.sum(boot < est) + 0.5 * np.sum(boot == est)) / b
    z0 = float(ndtri(np.clip(prop, 0.5 / b, 1 - 0.5 / b)))
    jack = (d.sum() - d) / (n - 1)
    u = jack.mean() - jack
    denom = 6.0 * float(np.sum(u**2)) ** 1.5
    a = float(np.sum(u**3)) / denom if denom > 0 else 0.0
    z = ndtri(np.array([(1 - level) / 2, (1 + level) / 2]))
    q = ndtr(z0 + (z0 + z) / (1 - a * (z0 + z)))
    low, high = np.quantile(boot, q)
    return float(low), float(high)


def percentile_interval(boot: np.ndarray, level: float = LEVEL) -> tuple[float, float]:
    low, high = np.quantile(boot, [(1 - level) / 2, (1 + level) / 2])
    return float(low), float(high)


def paired_effect(
    base: np.ndarray, policy: np.ndarray, direction: int, idx: np.ndarray, idx_b: np.ndarray
) -> dict[str, float]:
    """Paired effect of one policy on one outcome, and the unpaired interval for contrast.

    Args:
        base, policy: outcome per replicate, aligned by replicate.
        direction: +1 when more is better, -1 when less is better.
        idx, idx_b: ``(resamples, n)`` bootstrap indices; the paired bootstrap and the base arm of
            the unpaired bootstrap use ``idx``, the policy arm of the unpaired one uses ``idx_b``.

    Returns:
        estimate, low, high (BCa, paired), p_better (share of replicate pairs in which the policy
        is better; ties count half), paired and unpaired percentile widths, means.
    """
    d = policy - base
    boot = d[idx].mean(axis=1)
    low, high = bca_interval(d, boot)
    estimate = float(d[0]) if np.ptp(d) == 0 else float(d.mean())
    signed = direction * d
    p_better = (np.sum(signed > 0) + 0.5 * np.sum(signed == 0)) / len(d)
    p_low, p_high = (estimate, estimate) if np.ptp(d) == 0 else percentile_interval(boot)
    unpaired = policy[idx_b].mean(axis=1) - base[idx].mean(axis=1)
    u_low, u_high = percentile_interval(unpaired)
    return {
        "estimate": estimate,
        "low": low,
        "high": high,
        "p_better": float(p_better),
        "base_mean": float(base.mean()),
        "policy_mean": float(policy.mean()),
        "paired_width": p_high - p_low,
        "unpaired_low": u_low,
        "unpaired_high": u_high,
        "unpaired_width": u_high - u_low,
    }


def effects_table(
    outcomes: pd.DataFrame,
    base: str,
    policies: Sequence[str],
    seed: int,
    resamples: int = RESAMPLES,
) -> pd.DataFrame:
    """Tidy effects: outcome, policy, estimate, low, high, p_better, replicates, and more.

    Replicates are paired by number; each (policy, outcome) draws its bootstrap indices from its
    own named stream of ``seed``, so the table is identical on every rerun.
    """
    wide = outcomes.pivot_table(
        index=["scenario", "replicate"], columns="outcome", values="value", sort=False
    )
    base_rows = wide.loc[base].sort_index()
    n = len(base_rows)
    rows = []
    for policy in policies:
        pol_rows = wide.loc[policy].sort_index()
        if list(pol_rows.index) != list(base_rows.index):
            raise CompareError(f"replicates of {policy!r} do not match the base's")
        for o in OUTCOMES:
            idx = _resample_indices(seed, f"compare.bootstrap.{policy}.{o.name}", n, resamples)
            idx_b = _resample_indices(seed, f"compare.unpaired.{policy}.{o.name}", n, resamples)
            stats = paired_effect(
                base_rows[o.name].to_numpy(float), pol_rows[o.name].to_numpy(float),
                o.direction, idx, idx_b,
            )  # fmt: skip
            rows.append({"outcome": o.name, "policy": policy, **stats, "replicates": n,
                         "direction": o.direction, "unit": o.unit})  # fmt: skip
    cols = ["outcome", "policy", "estimate", "low", "high", "p_better", "replicates"]
    df = pd.DataFrame(rows)
    return df[cols + [c for c in df.columns if c not in cols]]


def narrowing(effects: pd.DataFrame) -> dict[str, Any]:
    """How much narrower paired intervals are than unpaired ones, over outcomes a policy moved.

    Rows whose paired differences vary (the policy changed the outcome in some replicate) and
    whose unpaired width is positive count; ``narrower_by`` is ``1 - paired / unpaired`` width.
    """
    moved = effects[(effects["paired_width"] > 0) & (effects["unpaired_width"] > 0)]
    ratio = 1.0 - moved["paired_width"] / moved["unpaired_width"]
    untouched = effects[(effects["paired_width"] == 0) & (effects["unpaired_width"] > 0)]

    def summary(r: pd.Series) -> dict[str, float] | None:
        if r.empty:
            return None
        return {"median": float(r.median()), "min": float(r.min()), "max": float(r.max()),
                "outcomes": int(len(r))}  # fmt: skip

    return {
        "method": "percentile bootstrap, paired vs two-sample, same runs and resample count",
        "all_policies": summary(ratio),
        "by_policy": {p: summary(ratio[moved["policy"] == p]) for p in effects["policy"].unique()},
        "untouched_outcomes_zero_width": int(len(untouched)),
    }


# ---------------------------------------------------------------------------------- running
def build_tasks(
    scenarios: Sequence[Scenario],
    replicates: int,
    seed: int,
    posterior: Callable[[Scenario], list[Task]] | None = None,
) -> list[list[Task]]:
    """Tasks per scenario, replicate k of each under the same ``(seed, k)`` key.

    With ``posterior`` (a function of the scenario returning its tasks), replicate k of every
    scenario must carry the same parameter draw; otherwise :class:`CompareError`.
    """
    if posterior is None:
        return [replicate_tasks(s, replicates, seed) for s in scenarios]
    out = [list(posterior(s)) for s in scenarios]
    for tasks in out[1:]:
        same = len(tasks) == len(out[0]) and all(
            (t.replicate, t.seed, t.params) == (b.replicate, b.seed, b.params)
            for t, b in zip(tasks, out[0], strict=True)
        )
        if not same:
            raise CompareError(
                "--posterior: replicate k of each scenario must use the same parameter draw, "
                "but the posterior gave different draws to different scenarios"
            )
    return out


def labels_of(scenarios: Sequence[Scenario]) -> list[str]:
    """Unique labels (``meta.name``, with ``-2``, ``-3`` ... for repeats)."""
    seen: dict[str, int] = {}
    out = []
    for s in scenarios:
        name = s.meta.name
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}-{seen[name]}")
    return out


def default_name(labels: Sequence[str]) -> str:
    """Folder name of a comparison: ``compare-<policy>`` or ``compare-<policy>-and-N-more``."""
    more = len(labels) - 2
    return f"compare-{labels[1]}" + (f"-and-{more}-more" if more > 0 else "")


def run_comparison(
    scenarios: Sequence[Scenario],
    files: Sequence[str],
    out: Path | None = None,
    replicates: int | None = None,
    seed: int | None = None,
    jobs: int | None = None,
    executor: Executor | None = None,
    horizon: str | None = None,
    posterior: Callable[[Scenario], list[Task]] | None = None,
    show_progress: bool = True,
    extra_manifest: dict | None = None,
) -> Path:
    """Run a base (first) and its policies in one pool, and write the comparison folder.

    Args:
        scenarios: the base first, then the policies.
        files: their files (for messages and the report).
        out: the folder; ``results/compare-<policy>/`` by default.
        replicates, seed: default to the base's ``run.replicates`` and ``run.seed``.
        jobs, executor: as for :func:`sim.runs.runner.execute`.
        horizon: ``START:END`` ISO months; default from the first month any policy differs.
        posterior: optional function giving a scenario's tasks with drawn parameters.
        show_progress: draw a progress bar.
        extra_manifest: more manifest fields.

    Returns:
        The comparison folder.
    """
    from sim.runs.runner import RESULTS_ROOT, execute

    began = time.perf_counter()
    base, policies = scenarios[0], list(scenarios[1:])
    if not policies:
        raise CompareError("give at least one policy scenario to compare with the base")
    check_compatible(base, policies, files[1:])
    n = base.run.replicates if replicates is None else replicates
    root = base.run.seed if seed is None else seed
    if horizon is None:
        (start, end), why = default_horizon(base, policies)
    else:
        (start, end), why = parse_horizon(horizon, base), "given with --horizon"
    per_scenario = build_tasks(scenarios, n, root, posterior)
    if len(per_scenario[0]) < 2:
        raise CompareError("--replicates: a comparison needs at least 2 replicates for intervals")
    flat = [t for tasks in per_scenario for t in tasks]
    jobs = default_jobs() if jobs is None else jobs
    results = execute(flat, jobs, executor, label="compare", show_progress=show_progress)
    labels = labels_of(scenarios)
    run_labels = [lab for lab, tasks in zip(labels, per_scenario, strict=True) for _ in tasks]
    outcomes = outcome_table(results, run_labels, start, end)
    effects = effects_table(outcomes, labels[0], labels[1:], root)
    monthly = pd.concat(
        [r.monthly.assign(scenario=lab) for r, lab in zip(results, run_labels, strict=True)],
        ignore_index=True,
    )
    info = {
        "seed": root,
        "replicates": len(per_scenario[0]),
        "horizon": [start, end],
        "horizon_rule": why,
        "interval_method": INTERVAL_METHOD,
        "p_better": "share of replicate pairs in which the policy is better (ties count half)",
        "narrowing": narrowing(effects),
        "jobs": jobs,
        "runs": len(flat),
        "run_wall_seconds_total": round(sum(r.wall_seconds for r in results), 3),
        **(extra_manifest or {}),
    }
    destination = Path(out) if out is not None else RESULTS_ROOT / default_name(labels)
    return write_comparison(
        destination, scenarios, files, labels, outcomes, effects, yearly(monthly), info, began
    )


def write_comparison(
    destination: Path,
    scenarios: Sequence[Scenario],
    files: Sequence[str],
    labels: Sequence[str],
    outcomes: pd.DataFrame,
    effects: pd.DataFrame,
    timeseries: pd.DataFrame,
    info: dict[str, Any],
    began: float,
) -> Path:
    """Write the comparison folder atomically: tables, resolved scenarios, figures, report."""
    from sim.compare import plots as compare_plots
    from sim.runs.folders import atomic_folder, manifest, write_table
    from sim.scenario.io import scenario_to_yaml

    summary = (
        outcomes.groupby(["scenario", "outcome"], sort=False)["value"]
        .describe(percentiles=[0.05, 0.5, 0.95])
        .reset_index()
        .rename(columns={"5%": "p5", "50%": "median", "95%": "p95", "count": "replicates"})
    )
    with atomic_folder(destination) as tmp:
        write_table(tmp, "effects", effects)
        write_table(tmp, "outcomes", outcomes)
        write_table(tmp, "outcomes_summary", summary)
        write_table(tmp, "timeseries", timeseries)
        (tmp / "scenarios").mkdir()
        for label, scenario in zip(labels, scenarios, strict=True):
            text = scenario_to_yaml(scenario)
            (tmp / "scenarios" / f"{label}.yaml").write_text(text, encoding="utf-8")
        (tmp / "plots").mkdir()
        compare_plots.plot_comparison(timeseries, effects, labels, info["horizon"], tmp / "plots")
        info = manifest(
            scenarios[0], wall_seconds=time.perf_counter() - began,
            scenarios={lab: str(f) for lab, f in zip(labels, files, strict=True)}, **info,
        )  # fmt: skip
        (tmp / "manifest.json").write_text(json.dumps(info, indent=2), encoding="utf-8")
        report = compare_plots.report_markdown(scenarios, files, labels, effects, summary, info)
        (tmp / "report.md").write_text(report, encoding="utf-8")
    return Path(destination)
