"""ABC-SMC calibration: exact truncation, the distance, the sampler, resume, recovery of known
parameters."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from distributed import LocalCluster, get_worker
from scipy import stats

from sim.calibrate.abc import (
    Simulator,
    calibration_scenario,
    replicate_of,
    simulate,
    to_box,
    total_distance,
    truncate,
    weighted_quantile,
)
from sim.calibrate.report import TARGETS_USED, write_outputs
from sim.calibrate.smc import (
    POPULATIONS_NAME,
    STATE_NAME,
    Populations,
    SmcSettings,
    make_executor,
    posterior_table,
    run_abc,
)
from sim.calibrate.targets import load_targets
from sim.cli import main
from sim.errors import ClusterError
from sim.runs.posterior import posterior_draws, posterior_tasks, split_parameters
from sim.runs.replicates import run
from sim.scenario.load import load_scenario

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"

TRUTH = {
    "world.decision.flee_constant": -2.0,
    "world.decision.hide_constant": -1.2,
    "world.home.capture_per_year": 0.35,
}
PRIORS = [
    ("world.decision.flee_constant", "uniform", -3.5, -1.0),
    ("world.decision.hide_constant", "uniform", -2.5, -0.2),
    ("world.home.capture_per_year", "loguniform", 0.1, 0.8),
]
METRICS = [
    ("fled", "fled_abroad", "1990-01", "2008-12"),
    ("missing", "went_missing", "1990-01", "2008-12"),
    ("caught", "caught_home", "1995-01", "2008-12"),
]


def targets_file(folder: Path, ranges: dict[str, tuple[float, float]], scale: int = 200) -> Path:
    """A small targets file over the baseline: three period targets, the three priors above."""
    data = {
        "settings": {"scenario": str(BASELINE), "scale": scale, "seed": 7, "predictive_draws": 10},
        "targets": [
            {
                "id": tid,
                "description": tid,
                "kind": "period",
                "metric": metric,
                "start": start,
                "end": end,
                "low": ranges[tid][0],
                "high": ranges[tid][1],
                "source": "simulated",
            }
            for tid, metric, start, end in METRICS
        ],  # fmt: skip
        "priors": [
            {"parameter": p, "distribution": d, "low": lo, "high": hi, "justification": "test"}
            for p, d, lo, hi in PRIORS
        ],
    }
    path = folder / "targets.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def synthetic_ranges(
    folder: Path, truth: dict[str, float], width: float = 0.15
) -> dict[str, tuple[float, float]]:
    """Data simulated from known parameters (median of 3 replicates), given a +-width range."""
    spec = load_targets(targets_file(folder, {t: (1, 2) for t, *_ in METRICS}))
    scenario = calibration_scenario(spec)
    runs = [simulate(scenario, spec, truth, 10_000 + k, 99) for k in range(3)]
    med = pd.DataFrame(runs).median()
    return {
        tid: (float(med[tid]) * (1 - width), float(med[tid]) * (1 + width)) for tid, *_ in METRICS
    }


def test_truncated_run_equals_the_full_run_up_to_its_end():
    full = load_scenario(BASELINE, {"run.scale": 400, "run.event_log": False})
    short = truncate(full, "2014-12")
    assert short.run.end == "2014-12"
    assert all(s.start <= "2014-12" for s in short.policy.pursuit)
    a, b = run(full, 3), run(short, 3)
    kept = a.monthly[a.monthly["date"] <= "2014-12"].reset_index(drop=True)
    pd.testing.assert_frame_equal(kept, b.monthly.reset_index(drop=True))
    kept_c = a.countries[a.countries["year"] <= 2014].reset_index(drop=True)
    pd.testing.assert_frame_equal(kept_c, b.countries.reset_index(drop=True))


def test_simulator_is_deterministic_per_parameter_set_and_distance_uses_ranges(tmp_path):
    spec = load_targets(targets_file(tmp_path, {"fled": (1, 1e9), "missing": (1, 1e9),
                                                "caught": (1, 1e9)}, scale=400))  # fmt: skip
    model = Simulator(calibration_scenario(spec), spec, seed=5)
    x = model(TRUTH)
    assert x == model(dict(TRUTH))
    assert replicate_of(TRUTH) == replicate_of(dict(reversed(TRUTH.items())))
    other = model({**TRUTH, "world.decision.flee_constant": 0.0})
    assert other["fled"] > x["fled"]
    assert total_distance(spec, x) == 0.0
    narrow = load_targets(targets_file(tmp_path, {"fled": (1, x["fled"] / 2), "missing": (1, 1e9),
                                                  "caught": (1, 1e9)}))  # fmt: skip
    assert total_distance(narrow, x) == pytest.approx(np.log(2.0))


def test_weighted_quantile():
    v = np.array([3.0, 1.0, 2.0])
    assert weighted_quantile(v, np.array([1.0, 1.0, 1.0]), 0.5) == 2.0
    assert weighted_quantile(v, np.array([0.0, 0.0, 1.0]), 0.05) == 2.0
    assert weighted_quantile(v, np.array([1.0, 8.0, 1.0]), 0.5) == 1.0


def test_interrupted_calibration_resumes_and_cli_guards_the_history(tmp_path):
    spec_file = targets_file(tmp_path, {"fled": (500, 5000), "missing": (500, 20000),
                                        "caught": (500, 20000)}, scale=400)  # fmt: skip
    spec = load_targets(spec_file)
    out = tmp_path / "out"
    history, state = run_abc(spec, out, population=6, generations=1, scale=400, jobs=1,
                             show_progress=False)  # fmt: skip
    assert history.max_t == 0
    history, state = run_abc(spec, out, population=6, generations=2, scale=400, resume=True,
                             jobs=1, show_progress=False)  # fmt: skip
    assert history.max_t == 1
    saved = json.loads((out / STATE_NAME).read_text())
    assert [g["t"] for g in saved["generations"]] == [0, 1]
    assert saved["generations"][1]["epsilon"] < np.inf
    table = posterior_table(history, spec)
    assert list(table.columns) == sorted(TRUTH) + ["weight"]
    assert table["weight"].sum() == pytest.approx(1.0)
    assert Populations.read(out, spec).table.equals(history.table)
    # two workers without an interruption: the same generations as one worker and a resume
    whole, _ = run_abc(spec, tmp_path / "whole", population=6, generations=2, scale=400, jobs=2,
                       show_progress=False)  # fmt: skip
    pd.testing.assert_frame_equal(whole.table, history.table)
    # a resume may cap the rounds of MCMC steps anew, from its next generation on
    two = SmcSettings(max_rounds=2)
    history, state = run_abc(spec, out, population=6, generations=3, scale=400, resume=True,
                             jobs=1, show_progress=False, settings=two)  # fmt: skip
    assert state["changes"] == [{"from_generation": 2, "max_rounds": 2}]
    assert state["generations"][2]["rounds"] <= 2 and history.max_t == 2
    # the command line refuses to overwrite a history, or to resume with other targets
    assert main(["calibrate", str(spec_file), "--out", str(out), "--quiet"]) == 2
    changed = yaml.safe_load(spec_file.read_text())
    changed["targets"][0]["high"] = 6000
    other = tmp_path / "other.yaml"
    other.write_text(yaml.safe_dump(changed))
    assert main(["calibrate", str(other), "--out", str(out), "--resume", "--quiet"]) == 2
    empty = tmp_path / "empty"
    assert main(["calibrate", str(spec_file), "--out", str(empty), "--resume", "--quiet"]) == 2
    assert not (empty / POPULATIONS_NAME).exists()


def _coverage(tmp_path: Path, truth: dict[str, float], population: int, generations: int) -> dict:
    tmp_path.mkdir(parents=True, exist_ok=True)
    spec = load_targets(targets_file(tmp_path, synthetic_ranges(tmp_path, truth)))
    history, _ = run_abc(spec, tmp_path / "abc", population, generations, scale=200, jobs=2,
                         show_progress=False)  # fmt: skip
    post = posterior_table(history, spec)
    w = post["weight"].to_numpy()
    covered = {}
    for name, value in truth.items():
        lo = weighted_quantile(post[name].to_numpy(), w, 0.05)
        hi = weighted_quantile(post[name].to_numpy(), w, 0.95)
        covered[name] = lo <= value <= hi
    return covered


def test_recovery_90pct_intervals_cover_most_true_parameters(tmp_path):
    """Small budget: population 30, 3 generations, 3 parameters, scale 200, runs to 2008."""
    covered = _coverage(tmp_path, TRUTH, population=30, generations=3)
    print(covered)
    assert sum(covered.values()) >= 2, covered


@pytest.mark.slow
def test_recovery_coverage_rate_over_several_truths(tmp_path):
    """Four known parameter sets: at least 75% of the 12 intervals cover the truth."""
    rng = np.random.default_rng(20141110)
    hits = []
    for k in range(4):
        truth = {
            p: float(np.exp(rng.uniform(np.log(lo) + 0.2, np.log(hi) - 0.2)))
            if d == "loguniform"
            else float(rng.uniform(lo + 0.3, hi - 0.3))
            for p, d, lo, hi in PRIORS
        }
        covered = _coverage(tmp_path / f"t{k}", truth, population=40, generations=3)
        print(k, truth, covered)
        hits += list(covered.values())
    rate = float(np.mean(hits))
    print(f"coverage {rate:.0%} of {len(hits)}")
    assert rate >= 0.75


def test_dask_scheduler_address_runs_the_sampler_on_the_cluster(tmp_path):
    spec = load_targets(targets_file(tmp_path, {"fled": (1, 1e9), "missing": (1, 1e9),
                                                "caught": (1, 1e9)}, scale=400))  # fmt: skip
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                      dashboard_address=":0") as cluster:  # fmt: skip
        executor, close = make_executor(1, cluster.scheduler_address)
        try:
            history, _ = run_abc(spec, tmp_path / "out", 4, 1, 400, executor=executor,
                                 show_progress=False)  # fmt: skip
            # simulations and follow-up runs go to the same cluster's worker
            assert executor.submit(run_worker_name).result() in cluster.scheduler_info["workers"]
        finally:
            close()
    local, _ = run_abc(spec, tmp_path / "local", 4, 1, 400, jobs=1, show_progress=False)
    pd.testing.assert_frame_equal(history.table, local.table)


def run_worker_name() -> str:
    """The address of the Dask worker this runs on."""
    return get_worker().address


@pytest.mark.slow
def test_unreachable_scheduler_is_a_cluster_error():
    """The sampler's client comes from open_client: a dead address fails with one clear error."""
    with pytest.raises(ClusterError, match="--scheduler tcp://127.0.0.1:9: cannot connect"):
        make_executor(1, "tcp://127.0.0.1:9")


def share_targets_file(folder: Path, scale: int = 200) -> Path:
    """The small targets file plus ``broad``: the ``fled`` figure of a group twice as large."""
    path = targets_file(folder, {t: (1, 1e6) for t, *_ in METRICS}, scale=scale)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    broader = {**data["targets"][0], "id": "broad", "share": "observation.officials_share_x"}
    data["targets"].append(broader)
    data["observation"] = [
        {"parameter": "observation.officials_share_x", "meaning": "officials among all",
         "distribution": "uniform", "low": 0.1, "high": 0.9, "justification": "test"}
    ]  # fmt: skip
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_observation_shares_map_the_run_and_never_reach_the_scenario(tmp_path):
    """A share divides its target's statistic; the world values alone make the simulation."""
    spec = load_targets(share_targets_file(tmp_path))
    assert spec.parameters[-1] == "observation.officials_share_x"
    assert {p.parameter for p in spec.all_priors} == set(spec.parameters)  # all sampled
    scenario = calibration_scenario(spec)
    half = simulate(scenario, spec, {**TRUTH, "observation.officials_share_x": 0.5}, 3, 7)
    quarter = simulate(scenario, spec, {**TRUTH, "observation.officials_share_x": 0.25}, 3, 7)
    assert half["fled"] > 0
    assert half["broad"] == pytest.approx(half["fled"] / 0.5)
    assert quarter["broad"] == pytest.approx(half["fled"] / 0.25)
    assert quarter["fled"] == half["fled"]  # the share does not touch the simulation

    table = pd.DataFrame(
        {**{k: [v, v] for k, v in TRUTH.items()},
         "observation.officials_share_x": [0.3, 0.6], "weight": [1.0, 1.0]}
    )  # fmt: skip
    table.to_parquet(tmp_path / "posterior.parquet", index=False)
    tasks = posterior_tasks(scenario, tmp_path / "posterior.parquet", 4, 1)
    assert all(set(t.params) == set(TRUTH) for t in tasks)
    draws = posterior_draws(tmp_path / "posterior.parquet", 4, 1)
    assert [d["observation.officials_share_x"] for _, d in draws] == [
        [0.3, 0.6][row] for row, _ in draws
    ]
    world, observation = split_parameters(draws[0][1])
    assert set(world) == set(TRUTH) and set(observation) == {"observation.officials_share_x"}


def test_outputs_keep_shares_in_the_posterior_and_out_of_the_fitted_scenario(tmp_path):
    spec = load_targets(share_targets_file(tmp_path, scale=400))
    out = tmp_path / "out"
    history, state = run_abc(spec, out, population=6, generations=1, scale=400, jobs=1,
                             show_progress=False)  # fmt: skip
    write_outputs(spec, out, history, state, jobs=1, show_progress=False, scale_check_replicates=0)
    posterior = pd.read_parquet(out / "posterior.parquet")
    assert "observation.officials_share_x" in posterior.columns
    fitted = yaml.safe_load((out / "fitted.yaml").read_text(encoding="utf-8"))
    assert set(fitted) == {"world"}  # a partial scenario: the share is not in it
    load_scenario(out / "fitted.yaml")
    fit = pd.read_csv(out / "fit.csv").set_index("target")
    # the broader figure is the officials' over a share between 0.1 and 0.9
    ratio = fit.loc["broad", "model_median"] / fit.loc["fled", "model_median"]
    assert 1 / 0.9 <= ratio <= 1 / 0.1
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "observation.officials_share_x" in report
    # generation 0 is a prior sample of distinct particles: its effective size is the population
    assert "of the last generation: 6.0 of 6 particles" in report
    assert (out / TARGETS_USED).read_bytes() == Path(spec.file).read_bytes()


def test_logistic_coordinates_give_exactly_the_priors_and_never_leave_their_box():
    # the sampler works in logistic coordinates: z ~ Logistic(0, 1) maps to the file's uniform
    # and loguniform priors, and any z (a random-walk step too) maps inside the prior's range
    spec = load_targets(ROOT / "calibration" / "targets.yaml")
    rng = np.random.default_rng(3)
    z = rng.logistic(size=(2000, len(spec.parameters)))
    values = pd.DataFrame([to_box(spec, dict(zip(spec.parameters, r, strict=True))) for r in z])
    for p in spec.all_priors:
        x = values[p.parameter].to_numpy()
        assert ((p.low <= x) & (x <= p.high)).all(), p.parameter
        unit = (x - p.low) / (p.high - p.low)
        if p.distribution == "loguniform":
            unit = np.log(x / p.low) / np.log(p.high / p.low)
        assert stats.kstest(unit, "uniform").pvalue > 1e-4, p.parameter
    extreme = to_box(spec, dict.fromkeys(spec.parameters, 40.0))
    assert all(extreme[p.parameter] <= p.high for p in spec.all_priors)
    walked = z[:200] + 3.0 * rng.standard_normal((200, len(spec.parameters)))
    for r in walked:
        box = to_box(spec, dict(zip(spec.parameters, r, strict=True)))
        assert all(p.low <= box[p.parameter] <= p.high for p in spec.all_priors)
