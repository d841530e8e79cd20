"""Policy comparison: paired effects, bootstrap intervals, horizons, the folder and bad input."""

import json

import numpy as np
import pandas as pd
import pytest
from support import small, write_scenario

from sim.cli import main
from sim.compare.engine import (
    OUTCOMES,
    build_tasks,
    effects_table,
    first_difference,
    parse_horizon,
    run_comparison,
)
from sim.compare.report import _headline, fmt
from sim.compare.stats import bca_interval, paired_effect
from sim.errors import CompareError
from sim.runs.posterior import posterior_tasks
from sim.runs.replicates import Task
from sim.scenario.load import load_scenario

# scale 50: at the calibrated baseline, scale 100 left too few fugitives abroad for the treaty's
# effect on the treaty-free share to clear chance (estimate -0.18, interval up to +0.014)
SHORT = {"run": {"scale": 50, "start": "2005-01", "end": "2020-12", "replicates": 8}}
TINY = {"run": {"scale": 200, "start": "2005-01", "end": "2016-12", "replicates": 3}}
TOP_DESTINATIONS = ["USA", "CAN", "AUS", "GBR", "NZL"]


def _treaties(date: str) -> dict:
    return {"policy": {"treaties": {"add": [{"iso3": c, "date": date} for c in TOP_DESTINATIONS]}}}


def _policy(tmp_path, name: str, base, body: dict):
    return write_scenario(tmp_path, name, {"meta": {"name": name}, **body}, extends=base)


@pytest.fixture(scope="module")
def treaty_comparison(tmp_path_factory):
    """Base and a treaty with the top destinations from 2010, 8 paired replicates."""
    folder = tmp_path_factory.mktemp("treaty")
    base = write_scenario(folder, "short", {"meta": {"name": "short"}, **SHORT})
    policy = _policy(folder, "treaties", base, _treaties("2010-01"))
    files = [str(base), str(policy)]
    out = run_comparison(
        [load_scenario(f) for f in files], files, out=folder / "out", jobs=1, show_progress=False
    )
    return out, pd.read_parquet(out / "effects.parquet").set_index(["policy", "outcome"])


# ------------------------------------------------------------------------------ statistics
def test_zero_variance_difference_gives_zero_width_interval_exactly():
    d = np.full(7, 0.1)  # the mean of 0.1s is not exactly 0.1 in floating point
    boot = d[np.zeros((50, 7), dtype=int)].mean(axis=1)
    assert bca_interval(d, boot) == (0.1, 0.1)


def test_identical_runs_give_zero_effect_and_even_odds():
    x = np.array([3.0, 5.0, 4.0, 9.0, 1.0])
    idx = np.random.default_rng(1).integers(0, 5, size=(200, 5))
    stats = paired_effect(x, x.copy(), -1, idx, idx[::-1])
    assert stats["estimate"] == stats["low"] == stats["high"] == 0.0
    assert stats["p_better"] == 0.5 and stats["paired_width"] == 0.0
    assert stats["unpaired_width"] > 0


def test_bca_interval_matches_normal_theory_on_a_large_sample():
    d = np.random.default_rng(3).normal(2.0, 1.0, size=400)
    idx = np.random.default_rng(4).integers(0, 400, size=(4000, 400))
    low, high = bca_interval(d, d[idx].mean(axis=1))
    se = d.std(ddof=1) / np.sqrt(400)
    assert low < d.mean() < high
    assert abs((high - low) - 2 * 1.96 * se) < 0.1 * (2 * 1.96 * se)


def test_p_better_follows_each_outcome_direction():
    base = np.array([10.0, 10.0, 10.0, 10.0])
    policy = np.array([12.0, 8.0, 11.0, 10.0])
    idx = np.zeros((10, 4), dtype=int)
    more_is_better = paired_effect(base, policy, 1, idx, idx)["p_better"]
    less_is_better = paired_effect(base, policy, -1, idx, idx)["p_better"]
    assert more_is_better == (2 + 0.5) / 4 and less_is_better == (1 + 0.5) / 4


def test_effects_table_is_identical_on_rerun_and_depends_on_the_seed():
    rng = np.random.default_rng(5)
    rows = [
        {"scenario": s, "replicate": k, "outcome": o, "value": rng.normal() + (s == "p")}
        for s in ("b", "p")
        for k in range(6)
        for o in OUTCOMES
    ]
    outcomes = pd.DataFrame(rows)
    a, b = effects_table(outcomes, "b", ["p"], 7), effects_table(outcomes, "b", ["p"], 7)
    pd.testing.assert_frame_equal(a, b)
    c = effects_table(outcomes, "b", ["p"], 8)
    assert not np.allclose(a["low"], c["low"])
    assert list(a.columns[:11]) == [
        "parameters",
        "outcome",
        "policy",
        "estimate",
        "low",
        "high",
        "relative",
        "relative_low",
        "relative_high",
        "p_better",
        "replicates",
    ]
    assert (a["parameters"] == "fixed").all()
    assert (a["replicates"] == 6).all() and len(a) == len(OUTCOMES)


# ----------------------------------------------------------------------------- horizons
def test_first_difference_finds_the_first_month_a_policy_changes(tmp_path):
    base = write_scenario(tmp_path, "b", TINY)
    policy = _policy(tmp_path, "p", base, _treaties("2012-03"))
    b, p = load_scenario(base), load_scenario(policy)
    assert first_difference(b, p) == "2012-03"
    assert first_difference(b, b) is None


@pytest.mark.parametrize(
    "text", ["2010", "2010-01:", "2012-01:2010-01", "1990-01:2010-01", "2010-13:2012-01"]
)
def test_bad_horizons_are_rejected(text):
    with pytest.raises(CompareError, match="--horizon"):
        parse_horizon(text, _tiny())


def _tiny():
    return small({"run.start": "2005-01", "run.end": "2016-12"}, scale=200)


def test_posterior_draws_must_match_across_scenarios():
    s = _tiny()

    def draws(scenario):
        bump = 0.1 if scenario.meta.name == "other" else 0.0
        return [
            Task(scenario, k, 1, {"world.decision.flee_constant": -2.4 + bump}) for k in range(2)
        ]

    other = s.model_copy(update={"meta": s.meta.model_copy(update={"name": "other"})})
    assert len(build_tasks([s, s], 2, 1, draws)[1]) == 2
    with pytest.raises(CompareError, match="same parameter draw"):
        build_tasks([s, other], 2, 1, draws)


# ---------------------------------------------------------------------------- end to end
def test_self_comparison_gives_zero_effect_with_zero_width(tmp_path):
    base = write_scenario(tmp_path, "tiny", {"meta": {"name": "tiny"}, **TINY})
    out = tmp_path / "out"
    argv = ["compare", str(base), str(base), "--out", str(out), "--jobs", "1", "--quiet"]
    assert main(argv) == 0
    effects = pd.read_csv(out / "effects.csv")
    assert len(effects) == 2 * len(OUTCOMES) and set(effects["policy"]) == {"tiny-2"}
    assert set(effects["parameters"]) == {"posterior", "fixed"}  # the posterior by default
    assert (effects[["estimate", "low", "high"]] == 0).all().all()
    assert (effects["p_better"] == 0.5).all() and (effects["replicates"] == 3).all()
    assert (out / "effects.parquet").exists() and (out / "outcomes_summary.csv").exists()
    for png in ("fan_charts", "forest"):
        assert (out / "plots" / f"{png}.png").stat().st_size > 10_000
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["horizon"] == ["2005-01", "2016-12"]
    assert manifest["views"] == ["posterior", "fixed"] and manifest["runs"] == 4 * 3
    assert manifest["narrowing"]["all_policies"] is None
    report = (out / "report.md").read_text()
    assert "no difference" in report and "plots/forest.png" in report
    # the default posterior's worth is stated, with a warning when a few particles hold it all
    ess, particles = manifest["posterior_effective_sample_size"], manifest["posterior_particles"]
    assert f"effective sample size of {ess:g} of {particles} distinct particles" in report
    assert ("understates parameter uncertainty" in report) == (ess < particles / 10)


def test_policy_after_the_horizon_has_no_effect(tmp_path):
    base = write_scenario(tmp_path, "tiny", {"meta": {"name": "tiny"}, **TINY})
    policy = _policy(tmp_path, "late", base, _treaties("2014-01"))
    out = tmp_path / "out"
    argv = ["compare", str(base), str(policy), "--out", str(out), "--jobs", "1", "--quiet",
            "--horizon", "2005-01:2013-12"]  # fmt: skip
    assert main(argv) == 0
    effects = pd.read_csv(out / "effects.csv")
    assert (effects[["estimate", "low", "high"]] == 0).all().all()
    ts = pd.read_csv(out / "timeseries.csv")
    late = ts[ts["year"] >= 2014].groupby("scenario")["stock_abroad_treaty_free"].sum()
    assert late["late"] < late["tiny"]  # the policy does act, after the horizon


def test_treaty_with_top_destinations_lowers_the_treaty_free_share(treaty_comparison):
    _, effects = treaty_comparison
    share = effects.loc[("treaties", "treaty_free_share")]
    assert share["estimate"] < 0 and share["high"] < 0 and share["p_better"] > 0.5


def test_paired_intervals_are_narrower_than_unpaired_on_a_real_effect(treaty_comparison):
    out, effects = treaty_comparison
    for outcome in ("stock_abroad", "fled_abroad"):
        row = effects.loc[("treaties", outcome)]
        assert 0 < row["paired_width"] < row["unpaired_width"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["horizon"] == ["2010-01", "2020-12"]
    assert manifest["narrowing"]["all_policies"]["median"] > 0
    assert "narrower" in (out / "report.md").read_text()


# ---------------------------------------------------------------------------- bad input
def _bad(tmp_path, capsys, argv):
    out = tmp_path / "never"
    code = main([*argv, "--out", str(out), "--jobs", "1", "--quiet"])
    assert code == 2 and not out.exists()
    err = capsys.readouterr().err
    assert err.startswith("flightsim: error:") and "Traceback" not in err
    return err


def test_different_scale_is_bad_input(tmp_path, capsys):
    base = write_scenario(tmp_path, "tiny", TINY)
    policy = _policy(tmp_path, "coarse", base, {"run": {"scale": 400}})
    err = _bad(tmp_path, capsys, ["compare", str(base), str(policy)])
    assert "coarse.yaml" in err and "run.scale" in err


def test_bad_horizon_and_single_replicate_are_bad_input(tmp_path, capsys):
    base = write_scenario(tmp_path, "tiny", TINY)
    err = _bad(tmp_path, capsys, ["compare", str(base), str(base), "--horizon", "2020-01:2021-01"])
    assert "--horizon" in err and "outside the run period" in err
    err = _bad(tmp_path, capsys, ["compare", str(base), str(base), "--replicates", "1"])
    assert "--replicates" in err


def test_unusable_posterior_is_bad_input(tmp_path, capsys):
    """A --posterior file that does not exist: one line naming the option and the file, exit
    status 2, and no comparison folder written."""
    base = write_scenario(tmp_path, "tiny", TINY)
    missing = tmp_path / "missing.parquet"
    err = _bad(tmp_path, capsys, ["compare", str(base), str(base), "--posterior", str(missing)])
    assert "--posterior" in err and "missing.parquet" in err


def test_report_numbers_read_plainly():
    assert fmt(-0.0, "officials", True) == "0" and fmt(-0.004, "officials") == "0"
    assert fmt(-0.6, "officials", True) == "-0.6" and fmt(1234.4, "officials", True) == "+1,234"
    assert fmt(-0.146, "share", True) == "-14.6 pp" and fmt(0.968, "share") == "96.8%"
    assert fmt(2.48e9, "US$", True) == "+2.48 bn" and fmt(-1.5e6, "US$", True) == "-1.5 m"


# ------------------------------------------------------------------ parameter uncertainty
def _posterior(tmp_path, columns: dict) -> str:
    path = tmp_path / "posterior.parquet"
    pd.DataFrame({**columns, "weight": [1.0] * len(next(iter(columns.values())))}).to_parquet(path)
    return str(path)


def test_fixed_parameters_flag_runs_the_chance_only_view(tmp_path):
    base = write_scenario(tmp_path, "tiny", {"meta": {"name": "tiny"}, **TINY})
    out = tmp_path / "out"
    argv = ["compare", str(base), str(base), "--out", str(out), "--jobs", "1", "--quiet",
            "--fixed-parameters"]  # fmt: skip
    assert main(argv) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["views"] == ["fixed"] and manifest["runs"] == 2 * 3
    assert set(pd.read_csv(out / "effects.csv")["parameters"]) == {"fixed"}


def test_posterior_draws_are_paired_and_differ_between_replicates(tmp_path):
    """Replicate k of base and policy carry the same draw; draws vary across replicates."""
    path = _posterior(tmp_path, {"world.decision.flee_constant": [-3.0, -2.5, -2.0, -1.5]})
    base = write_scenario(tmp_path, "tiny", {"meta": {"name": "tiny"}, **TINY})
    policy = _policy(tmp_path, "treaties", base, _treaties("2010-01"))
    scenarios = [load_scenario(base), load_scenario(policy)]
    tasks = build_tasks(scenarios, 6, 11, lambda s: posterior_tasks(s, path, 6, 11))
    assert [t.params for t in tasks[0]] == [t.params for t in tasks[1]]
    assert len({t.params["world.decision.flee_constant"] for t in tasks[0]}) > 1
    assert (
        tasks[1][0].scenario.world.decision.flee_constant
        == tasks[0][0].params["world.decision.flee_constant"]
    )


def test_missing_default_posterior_says_how_to_go_on(tmp_path, capsys, monkeypatch):
    base = write_scenario(tmp_path, "tiny", TINY)
    monkeypatch.chdir(tmp_path)  # no calibration/posterior.parquet here
    err = _bad(tmp_path, capsys, ["compare", str(base), str(base)])
    assert "calibration/posterior.parquet" in err and "--fixed-parameters" in err


def test_posterior_that_does_not_match_the_scenario_is_bad_input(tmp_path, capsys):
    base = write_scenario(tmp_path, "tiny", TINY)
    path = _posterior(tmp_path, {"world.decision.no_such_parameter": [1.0]})
    err = _bad(tmp_path, capsys, ["compare", str(base), str(base), "--posterior", path])
    assert "world.decision.no_such_parameter" in err and "does not match" in err


def test_policy_changing_a_drawn_parameter_is_bad_input(tmp_path, capsys):
    base = write_scenario(tmp_path, "tiny", TINY)
    policy = _policy(tmp_path, "bolder", base, {"world": {"decision": {"flee_constant": -1.0}}})
    path = _posterior(tmp_path, {"world.decision.flee_constant": [-2.0]})
    err = _bad(tmp_path, capsys, ["compare", str(base), str(policy), "--posterior", path])
    assert "bolder.yaml" in err and "world.decision.flee_constant" in err


def test_headline_shows_both_views_and_marks_verdicts_that_differ():
    def row(view, outcome, low, high):
        return {"parameters": view, "outcome": outcome, "policy": "p", "estimate": (low + high) / 2,
                "low": low, "high": high, "relative": -0.1, "relative_low": -0.2,
                "relative_high": 0.0, "p_better": 0.7, "base_mean": 100.0, "policy_mean": 90.0,
                "direction": -1}  # fmt: skip

    effects = pd.DataFrame([
        row("posterior", "stock_abroad", -20, 5), row("fixed", "stock_abroad", -15, -5),
        row("posterior", "fled_abroad", -9, -1), row("fixed", "fled_abroad", -8, -2),
    ])  # fmt: skip
    lines = _headline(effects, "p", ["posterior", "fixed"])
    assert "posterior parameters" in lines[0] and "fixed parameters" in lines[0]
    stock = next(line for line in lines if line.startswith("| Fugitives still abroad"))
    assert "**DIFFER**" in stock and "no clear difference" in stock and "better" in stock
    assert sum("**DIFFER**" in line for line in lines) == 1
