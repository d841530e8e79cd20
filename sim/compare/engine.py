"""Policy comparison: paired effects of policies against a base, with bootstrap intervals.

Every scenario runs the same replicate keys ``(seed, k)``, so replicate *k* of each scenario
shares its random streams (common random numbers): the runs differ only through what the policy
changes. The effect of a policy on an outcome is the mean over replicates of the paired
difference ``policy_k - base_k``; its 95% interval is a studentized (bootstrap-t) bootstrap over
replicates drawn from a named stream of the comparison seed, so reruns are identical (the
statistics are in :mod:`sim.compare.stats`), and the relative change (policy mean / base mean
- 1) is given beside it. A difference with no variance gives a zero-width interval exactly.

A comparison has one or two *views* of the same question: ``posterior`` (each replicate draws
its parameters from a calibration posterior, the same draw for replicate *k* of every scenario,
so intervals carry parameter uncertainty) and ``fixed`` (the scenarios' own parameters: chance
only). Both run in one pool; effects are computed per view (column ``parameters``). This module
runs a comparison and builds its tables; :mod:`sim.compare.report` and :mod:`sim.compare.plots`
present them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.compare.plots import plot_comparison
from sim.compare.report import report_markdown
from sim.compare.stats import (
    FIXED,
    POSTERIOR,
    RESAMPLES,
    narrowing,
    paired_effect,
    resample_indices,
)
from sim.core.levers import compile_levers, compile_treaties
from sim.core.metrics import BY_NAME, period_value, yearly
from sim.errors import CompareError
from sim.runs.folders import atomic_folder, manifest, write_table
from sim.runs.posterior import check_posterior_paths
from sim.runs.replicates import (
    RunResult,
    Task,
    default_jobs,
    replicate_tasks,
    resolve_replicates,
)
from sim.runs.runner import RESULTS_ROOT, execute
from sim.scenario.export import scenario_to_yaml
from sim.scenario.schema import Scenario
from sim.world.countries import load_countries
from sim.world.dates import iso_month, month_of

INTERVAL_METHOD = (
    "studentized (bootstrap-t) bootstrap over replicates (paired differences; relative change "
    "on the log scale), 4000 resamples"
)

OUTCOMES: tuple[str, ...] = (
    "fled_abroad",
    "went_missing",
    "fled_or_missing",
    "returned",
    "returned_persuasion",
    "returned_deportation",
    "returned_extradition",
    "returned_surrender",
    "prosecuted_abroad",
    "stock_abroad",
    "treaty_free_share",
    "assets_recovered_usd",
    "assets_taken_usd",
)
"""Outcomes of a comparison in report order, named from the registry :mod:`sim.core.metrics`
(which gives each its label, unit and which way is better). Flows are summed over the horizon,
stocks read at its end."""


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
    steps = np.arange(base.n_steps)
    treaties_a = compile_treaties(base, countries).status(steps)
    treaties_b = compile_treaties(policy, countries).status(steps)
    differs |= (treaties_a != treaties_b).any(axis=1)
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
    return {name: period_value(monthly, name, start, end) for name in OUTCOMES}


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


# ---------------------------------------------------------------------------- effects
def effects_table(
    outcomes: pd.DataFrame,
    base: str,
    policies: Sequence[str],
    seed: int,
    resamples: int = RESAMPLES,
) -> pd.DataFrame:
    """Tidy effects: parameters, outcome, policy, estimate, low, high, relative, p_better, ...

    With a ``parameters`` column in ``outcomes`` (the views, :data:`FIXED`, :data:`POSTERIOR`)
    each view is analysed on its own runs; without one, every run is taken as :data:`FIXED`.
    Replicates are paired by number; each (policy, outcome) draws its bootstrap indices from its
    own named stream of ``seed`` (the same in both views), so the table is identical on every
    rerun.
    """
    if "parameters" not in outcomes.columns:
        outcomes = outcomes.assign(parameters=FIXED)
    views = list(dict.fromkeys(outcomes["parameters"]))
    tables = [
        _view_effects(
            outcomes[outcomes["parameters"] == v], base, policies, seed, resamples
        ).assign(parameters=v)
        for v in views
    ]
    df = pd.concat(tables, ignore_index=True)
    cols = ["parameters", "outcome", "policy", "estimate", "low", "high", "relative",
            "relative_low", "relative_high", "p_better", "replicates"]  # fmt: skip
    return df[cols + [c for c in df.columns if c not in cols]]


def _view_effects(
    outcomes: pd.DataFrame, base: str, policies: Sequence[str], seed: int, resamples: int
) -> pd.DataFrame:
    """Effects of one view's runs (see :func:`effects_table`)."""
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
        for name in OUTCOMES:
            o = BY_NAME[name]
            idx = resample_indices(seed, f"compare.bootstrap.{policy}.{name}", n, resamples)
            idx_b = resample_indices(seed, f"compare.unpaired.{policy}.{name}", n, resamples)
            stats = paired_effect(
                base_rows[name].to_numpy(float), pol_rows[name].to_numpy(float),
                o.direction, idx, idx_b,
            )  # fmt: skip
            rows.append({"outcome": name, "policy": policy, **stats, "replicates": n,
                         "direction": o.direction, "unit": o.unit})  # fmt: skip
    return pd.DataFrame(rows)


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


@dataclass(frozen=True)
class Comparison:
    """A comparison's runs and paired effects, before anything is written.

    ``run_labels`` and ``run_views`` give each result's scenario label and view.
    """

    labels: list[str]
    run_labels: list[str]
    run_views: list[str]
    results: list[RunResult]
    outcomes: pd.DataFrame
    effects: pd.DataFrame
    horizon: tuple[str, str]
    horizon_rule: str
    seed: int
    replicates: int
    jobs: int
    views: list[str]


def compute_comparison(
    scenarios: Sequence[Scenario],
    files: Sequence[str],
    replicates: int | None = None,
    seed: int | None = None,
    jobs: int | None = None,
    executor: Executor | None = None,
    horizon: str | None = None,
    posterior: Callable[[Scenario], list[Task]] | None = None,
    show_progress: bool = True,
    fixed: bool = False,
) -> Comparison:
    """Run a base (first) and its policies in one pool and compute the paired effects.

    Args:
        scenarios: the base first, then the policies.
        files: their files or names (for messages).
        replicates, seed: default to the base's ``run.replicates`` and ``run.seed``.
        jobs, executor: as for :func:`sim.runs.runner.execute`.
        horizon: ``START:END`` ISO months; default from the first month any policy differs.
        posterior: optional function giving a scenario's tasks with drawn parameters (the
            ``posterior`` view).
        show_progress: draw a progress bar.
        fixed: with a posterior, also run the ``fixed`` view (the scenarios' own parameters;
            ``flightsim compare`` does so by default).

    Raises:
        CompareError: no policy, incompatible scenarios, a bad horizon, fewer than 2 replicates,
            a policy that changes a parameter the posterior draws.
    """
    base, policies = scenarios[0], list(scenarios[1:])
    if not policies:
        raise CompareError("give at least one policy scenario to compare with the base")
    check_compatible(base, policies, files[1:])
    n, root = resolve_replicates(base, replicates, seed)
    if horizon is None:
        (start, end), why = default_horizon(base, policies)
    else:
        (start, end), why = parse_horizon(horizon, base), "given with --horizon"
    views: dict[str, list[list[Task]]] = {}
    if posterior is not None:
        views[POSTERIOR] = build_tasks(scenarios, n, root, posterior)
        check_posterior_paths(scenarios, files, views[POSTERIOR][0])
    if posterior is None or fixed:
        views[FIXED] = build_tasks(scenarios, n, root)
    first = next(iter(views.values()))
    if len(first[0]) < 2:
        raise CompareError("--replicates: a comparison needs at least 2 replicates for intervals")
    labels = labels_of(scenarios)
    flat, run_labels, run_views = [], [], []
    for view, per_scenario in views.items():
        for label, tasks in zip(labels, per_scenario, strict=True):
            flat += tasks
            run_labels += [label] * len(tasks)
            run_views += [view] * len(tasks)
    jobs = default_jobs() if jobs is None else jobs
    results = execute(flat, jobs, executor, label="compare", show_progress=show_progress)
    outcomes = outcome_table(results, run_labels, start, end)
    per_run = len(OUTCOMES)
    outcomes.insert(0, "parameters", np.repeat(run_views, per_run))
    effects = effects_table(outcomes, labels[0], labels[1:], root)
    return Comparison(
        labels=labels,
        run_labels=run_labels,
        run_views=run_views,
        results=results,
        outcomes=outcomes,
        effects=effects,
        horizon=(start, end),
        horizon_rule=why,
        seed=root,
        replicates=len(first[0]),
        jobs=jobs,
        views=list(views),
    )


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
    fixed: bool = False,
) -> Path:
    """Run a comparison (:func:`compute_comparison`) and write its folder.

    Args:
        out: the folder; ``results/compare-<policy>/`` by default.
        extra_manifest: more manifest fields.
        Others: as for :func:`compute_comparison`.

    Returns:
        The comparison folder.
    """
    began = time.perf_counter()
    c = compute_comparison(
        scenarios, files, replicates, seed, jobs, executor, horizon, posterior, show_progress,
        fixed,
    )  # fmt: skip
    monthly = pd.concat(
        [
            r.monthly.assign(scenario=lab, parameters=view)
            for r, lab, view in zip(c.results, c.run_labels, c.run_views, strict=True)
        ],
        ignore_index=True,
    )
    info = {
        "seed": c.seed,
        "replicates": c.replicates,
        "horizon": list(c.horizon),
        "horizon_rule": c.horizon_rule,
        "interval_method": INTERVAL_METHOD,
        "views": c.views,
        "parameters": (
            "drawn per replicate from the posterior (same draw for replicate k of every "
            "scenario)"
            + ("; the fixed view uses the scenarios' own values" if FIXED in c.views else "")
            if POSTERIOR in c.views
            else "fixed: the scenarios' own values (chance only)"
        ),
        "p_better": "share of replicate pairs in which the policy is better (ties count half)",
        "narrowing": narrowing(c.effects[c.effects["parameters"] == c.views[0]]),
        "jobs": c.jobs,
        "runs": len(c.results),
        "run_wall_seconds_total": round(sum(r.wall_seconds for r in c.results), 3),
        **(extra_manifest or {}),
    }
    destination = Path(out) if out is not None else RESULTS_ROOT / default_name(c.labels)
    return write_comparison(
        destination,
        scenarios,
        files,
        c.labels,
        c.outcomes,
        c.effects,
        yearly(monthly, keys=("parameters", "scenario", "replicate", "seed")),
        info,
        began,
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
    summary = (
        outcomes.groupby(["parameters", "scenario", "outcome"], sort=False)["value"]
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
        main = info["views"][0]
        plot_comparison(
            timeseries[timeseries["parameters"] == main],
            effects[effects["parameters"] == main],
            labels, info["horizon"], tmp / "plots",
        )  # fmt: skip
        info = manifest(
            scenarios[0], wall_seconds=time.perf_counter() - began,
            scenarios={lab: str(f) for lab, f in zip(labels, files, strict=True)}, **info,
        )  # fmt: skip
        (tmp / "manifest.json").write_text(json.dumps(info, indent=2), encoding="utf-8")
        report = report_markdown(scenarios, files, labels, effects, summary, info)
        (tmp / "report.md").write_text(report, encoding="utf-8")
    return Path(destination)
