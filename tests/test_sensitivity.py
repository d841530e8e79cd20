"""Sweeps: sweep-file errors, seeds, streaming chunks, resume, failures, analytic indices."""

from __future__ import annotations

import inspect
import math
import typing
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from sim.cli import main
from sim.runs.cluster import open_client
from sim.sensitivity.engine import (
    execute,
    finished_runs,
    plan_from_sweep,
    prepare_folder,
    read_runs,
    run_seed,
)
from sim.sensitivity.methods import METHODS
from sim.sensitivity.report import IncompleteSweep, collect_outputs, indices, write_results
from sim.sensitivity.sweep import Sweep, load_sweep

ROOT = Path(__file__).resolve().parent.parent
SWEEPS = sorted((ROOT / "scenarios" / "sweeps").glob("*.yaml"))
PI = math.pi

# Ishigami a=7, b=0.1 (Saltelli et al. 2008, Global Sensitivity Analysis: The Primer, p. 179)
ISHIGAMI_S1 = {"x1": 0.3139, "x2": 0.4424, "x3": 0.0}
ISHIGAMI_ST = {"x1": 0.5576, "x2": 0.4424, "x3": 0.2437}


def ishigami_sweep(folder: Path, **over) -> Path:
    """Write an Ishigami sweep file (the analytic model through the same engine)."""
    spec = {
        "name": "ishigami",
        "model": "ishigami",
        "model_options": {},
        "parameters": [{"path": f"x{i}", "bounds": [-PI, PI]} for i in (1, 2, 3)],
        "outputs": [{"name": "y"}],
        "method": "sobol",
        "sample_size": 1024,
        "replicates": 1,
        "seed": 11,
        "batch_size": 400,
    }
    spec.update(over)
    path = folder / f"{spec['name']}.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def client():
    with open_client(kind="local", workers=1) as (c, _):
        yield c


def run_plan(sweep: Path, out: Path, client, batch_size=None):
    plan = plan_from_sweep(load_sweep(sweep))
    prepare_folder(out, plan, resume=False)
    execute(plan, out, client, progress=False, batch_size=batch_size)
    return plan


# ------------------------------------------------------------------------------ sweep files
@pytest.mark.parametrize("path", SWEEPS, ids=lambda p: p.name)
def test_shipped_sweeps_validate_and_their_points_are_valid_scenarios(path):
    loaded = load_sweep(path)
    assert loaded.sweep.method in ("sobol", "morris")
    assert all(p.source for p in loaded.sweep.parameters)
    plan = plan_from_sweep(load_sweep(path, sample_size=4))
    adapters = (
        [plan.model.policy, plan.model.reference] if loaded.sweep.effect else [plan.model.adapter]
    )
    for i in range(0, plan.n_samples, max(plan.n_samples // 5, 1)):
        values = {k: v for k, v in plan.values(i).items() if k != "dummy"}
        for adapter in adapters:
            shared = (
                adapter is not plan.model.adapter
                if not loaded.sweep.effect
                else (adapter is plan.model.reference)
            )
            mine = {k: v for k, v in values.items() if not (shared and k.startswith("policy."))}
            assert adapter.scenario(mine).run.event_log is False


BASE = {
    "name": "bad",
    "base": str(ROOT / "scenarios" / "new_apec_agreement.yaml"),
    "parameters": [{"path": "policy.pledges[2].compliance", "bounds": [0.1, 0.9]}],
    "outputs": [{"metric": "returned", "period": ["2026-01", "2030-12"]}],
    "method": "sobol",
    "sample_size": 8,
    "seed": 5,
}


@pytest.mark.parametrize(
    "change, where, words",
    [
        ({"methd": "sobol"}, "methd", "unknown key"),
        ({"method": "latin"}, "method", "sobol"),
        ({"sample_size": 100}, "", "power of 2"),
        ({"seed": 0}, "seed", "greater than or equal to 1"),
        ({"base": "nowhere.yaml"}, "base", "not found"),
        (
            {"parameters": [{"path": "world.decision.flee_konstant", "bounds": [0, 1]}]},
            "parameters[0].path",
            "not a scenario field",
        ),
        (
            {"parameters": [{"path": "policy.pledges[7].compliance", "bounds": [0, 1]}]},
            "parameters[0].path",
            "no item [7]",
        ),
        (
            {"parameters": [{"path": "policy.pledges[2].compliance", "bounds": [0.5, 1.5]}]},
            "parameters[0].bounds[1]",
            "less than or equal to 1",
        ),
        (
            {"parameters": [{"path": "world.destination.treaty", "bounds": [1.0, 0.0]}]},
            "parameters[0]",
            "below high",
        ),
        (
            {
                "parameters": [
                    {
                        "path": "world.destination.treaty",
                        "bounds": [0, 1],
                        "dist": "norm",
                        "group": "a",
                    },
                    {"path": "world.destination.income", "bounds": [0, 1]},
                ]
            },
            "",
            "every parameter has a group",
        ),
        (
            {"outputs": [{"metric": "escaped", "period": ["2026-01", "2030-12"]}]},
            "outputs[0].metric",
            "unknown metric",
        ),
        (
            {"outputs": [{"metric": "returned", "period": ["2026-01", "2040-12"]}]},
            "outputs[0].period[1]",
            "outside the base run period",
        ),
        ({"model": "os:system"}, "model", "unknown model"),
    ],
)
def test_bad_sweep_files_fail_cleanly(tmp_path, capsys, change, where, words):
    spec = {**BASE, **change}
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["sensitivity", str(path), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"flightsim: error: {path}: {where}"), err
    assert words in err
    assert "Traceback" not in err and len(err.splitlines()) == 1
    assert not out.exists()


def test_broken_yaml_and_wrong_top_level(tmp_path, capsys):
    path = tmp_path / "s.yaml"
    path.write_text("name: [unclosed\n", encoding="utf-8")
    assert main(["sensitivity", str(path), "--quiet"]) == 2
    assert "line 2, column 1: not valid YAML" in capsys.readouterr().err
    path.write_text("- a\n- b\n", encoding="utf-8")
    assert main(["sensitivity", str(path), "--quiet"]) == 2
    assert "expected a mapping" in capsys.readouterr().err


# ---------------------------------------------------------------------------------- seeds
def test_run_seeds_come_from_sweep_seed_and_sample():
    seeds = [run_seed(7, i) for i in range(1000)]
    assert seeds == [run_seed(7, i) for i in range(1000)]
    assert len(set(seeds)) == 1000
    assert all(0 <= s < 2**63 for s in seeds)
    assert run_seed(8, 0) != run_seed(7, 0)
    expected = int(np.random.SeedSequence([7, 3]).generate_state(1, np.uint64)[0]) >> 1
    assert run_seed(7, 3) == expected


def test_samplers_are_seeded(tmp_path):
    for method, n in (("sobol", 16), ("morris", 4), ("fast", 200)):
        sweep = ishigami_sweep(tmp_path, method=method, sample_size=n)
        a, b = plan_from_sweep(load_sweep(sweep)), plan_from_sweep(load_sweep(sweep))
        assert np.array_equal(a.X, b.X)
        other = plan_from_sweep(
            load_sweep(ishigami_sweep(tmp_path, method=method, sample_size=n, seed=12))
        )
        assert not np.array_equal(a.X, other.X)


# ------------------------------------------------------------------- engine, storage, resume
def test_chunks_stream_and_resume_completes_without_duplicates(tmp_path, client):
    sweep = ishigami_sweep(tmp_path, sample_size=64, replicates=2, model_options={"noise": 0.3})
    out = tmp_path / "out"
    plan = plan_from_sweep(load_sweep(sweep))
    prepare_folder(out, plan, resume=False)
    # a first session that stops after three chunks (as if killed)
    stop = {"n": 0}

    def halt(path):
        stop["n"] += 1
        if stop["n"] == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        execute(plan, out, client, progress=False, batch_size=50, on_chunk=halt)
    partial = finished_runs(out)
    assert 150 <= len(partial) < plan.n_runs
    session = execute(plan, out, client, progress=False, batch_size=50)
    assert session.runs_before == len(partial)
    assert session.runs_done == plan.n_runs - len(partial)
    runs = finished_runs(out)
    assert np.array_equal(runs, np.arange(plan.n_runs))
    chunks = list((out / "runs").glob("chunk-*.parquet"))
    assert all(len(pd.read_parquet(c)) <= 50 for c in chunks)
    assert not list((out / "runs").glob(".*"))
    # identical to an uninterrupted sweep with other batch sizes
    ref = tmp_path / "ref"
    run_plan(sweep, ref, client, batch_size=37)
    a = collect_outputs(out, plan)["y"]
    b = collect_outputs(ref, plan)["y"]
    assert np.array_equal(a, b)
    table = read_runs(out)
    assert (table.groupby("sample")["seed"].nunique() == 1).all()
    assert table["seed"].iloc[0] == run_seed(11, int(table["sample"].iloc[0]))


def test_other_sweep_in_folder_is_refused(tmp_path, capsys):
    sweep = ishigami_sweep(tmp_path, sample_size=8)
    out = tmp_path / "out"
    plan = plan_from_sweep(load_sweep(sweep))
    prepare_folder(out, plan, resume=False)
    assert main(["sensitivity", str(sweep), "--sample-size", "16", "--out", str(out)]) == 2
    assert "holds another sweep" in capsys.readouterr().err
    assert main(["sensitivity", str(sweep), "--resume", "--out", str(tmp_path / "none")]) == 2
    assert "needs an existing sweep folder" in capsys.readouterr().err


def test_failed_runs_are_recorded_and_block_the_analysis(tmp_path, client):
    sweep = ishigami_sweep(tmp_path, sample_size=32, model_options={"fail_above": 2.5})
    out = tmp_path / "out"
    plan = run_plan(sweep, out, client)
    table = read_runs(out)
    failed = table[table["status"] == "failed"]
    assert len(failed) > 0
    assert (failed["param.x1"] > 2.5).all()
    assert failed["error"].str.contains("deliberate failure").all()
    assert table.loc[table["status"] == "ok", "param.x1"].le(2.5).all()
    with pytest.raises(IncompleteSweep) as info:
        write_results(out, plan, [], {})
    assert f"{len(failed)} runs failed" in str(info.value)
    listed = pd.read_csv(out / "failures.csv")
    assert sorted(listed["run"]) == sorted(failed["run"])
    assert {"param.x1", "param.x2", "param.x3", "error"} <= set(listed.columns)
    assert not (out / "indices.csv").exists()


def test_missing_runs_block_the_analysis(tmp_path, client):
    sweep = ishigami_sweep(tmp_path, sample_size=32)
    out = tmp_path / "out"
    plan = run_plan(sweep, out, client, batch_size=20)
    sorted((out / "runs").glob("chunk-*.parquet"))[1].unlink()
    with pytest.raises(IncompleteSweep, match=r"20 runs not done \(first: 20, 21"):
        collect_outputs(out, plan)


# ------------------------------------------------------------------------------- analysis
def test_ishigami_sobol_indices_are_recovered(tmp_path, client):
    sweep = ishigami_sweep(tmp_path)
    out = tmp_path / "out"
    plan = run_plan(sweep, out, client)
    info = write_results(
        out,
        plan,
        [{"wall_seconds": 1.0, "runs_done": plan.n_runs}],
        {"kind": "local", "workers": 1},
    )
    table = pd.read_csv(out / "indices.csv")
    full = table[table["sample"] == "full"].set_index(["index", "parameter"])
    for name in ("x1", "x2", "x3"):
        for kind, truth in (("S1", ISHIGAMI_S1), ("ST", ISHIGAMI_ST)):
            row = full.loc[(kind, name)]
            assert row["low"] <= truth[name] <= row["high"], (kind, name, row.to_dict())
            assert row["conf"] < 0.1
    assert set(table["sample"]) == {"full", "half"}
    conv = pd.read_csv(out / "convergence.csv")
    assert len(conv) == 8  # S1 and ST of x1, x2, x3 and the dummy
    assert info["seed"] == 11 and info["n_runs"] == 1024 * 6  # D + 2 runs per point, D = 4
    dummy = full.loc[("ST", "dummy")]
    assert abs(dummy["value"]) < 0.02 and dummy["low"] <= 0  # the noise floor is near zero
    above = full.xs("ST", level="index")["above_dummy"]
    assert above[["x1", "x2", "x3"]].all()  # x3 acts only through interactions: ST 0.24
    for f in ("report.md", "manifest.json", "plots/y.png", "plots/convergence.png"):
        assert (out / f).exists(), f
    report = (out / "report.md").read_text()
    assert "## Convergence" in report and "`x1`" in report


def test_convergence_flags_a_small_sample_and_recommends_more(tmp_path, client):
    sweep = ishigami_sweep(tmp_path, sample_size=64)
    out = tmp_path / "out"
    plan = run_plan(sweep, out, client)
    info = write_results(out, plan, [{"wall_seconds": 1.0, "runs_done": plan.n_runs}], {})
    conv = pd.read_csv(out / "convergence.csv")
    assert conv["flagged"].any()
    assert (conv.loc[conv["too_wide"], "width"] > 0.1).all()
    assert info["converged"] is False
    assert info["recommended_sample_size"] > 64
    assert info["recommended_sample_size"] & (info["recommended_sample_size"] - 1) == 0
    assert "NOT converged" in (out / "report.md").read_text()


def test_morris_and_fast_rank_ishigami_inputs(tmp_path, client):
    out = tmp_path / "morris"
    plan = run_plan(ishigami_sweep(tmp_path, method="morris", sample_size=40), out, client)
    t = indices(plan, collect_outputs(out, plan))
    mu = t[(t["index"] == "mu_star") & (t["sample"] == "full")].set_index("parameter")["value"]
    assert mu["x3"] < mu["x1"] and mu["x3"] < mu["x2"]
    sigma = t[(t["index"] == "sigma") & (t["sample"] == "full")]
    assert sigma["conf"].notna().all() and (sigma["conf"] > 0).all()
    out = tmp_path / "fast"
    plan = run_plan(ishigami_sweep(tmp_path, method="fast", sample_size=512), out, client)
    assert plan.n_runs == 512 * 4 + 256 * 4  # three inputs and the dummy
    t = indices(plan, collect_outputs(out, plan))
    s1 = t[(t["index"] == "S1") & (t["sample"] == "full")].set_index("parameter")["value"]
    for name, truth in ISHIGAMI_S1.items():
        assert abs(s1[name] - truth) < 0.03


def test_command_names_the_failed_runs_and_exits_1(tmp_path, capsys):
    sweep = ishigami_sweep(tmp_path, sample_size=16, model_options={"fail_above": 3.0})
    out = tmp_path / "out"
    assert main(["sensitivity", str(sweep), "--workers", "1", "--out", str(out), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "runs failed (first: run " in err and "deliberate failure" in err
    assert str(out / "failures.csv") in err
    assert (out / "failures.csv").exists() and not (out / "report.md").exists()


def test_every_sweep_method_is_a_module_of_the_same_shape():
    assert set(METHODS) == set(typing.get_args(Sweep.model_fields["method"].annotation))
    for name, module in METHODS.items():
        sample = inspect.signature(module.sample).parameters
        analyze = inspect.signature(module.analyze).parameters
        assert list(sample) == ["problem", "n", "seed", "options"], name
        assert list(analyze) == ["problem", "X", "Y", "seed", "options"], name
        assert module.MAIN in module.SHOWN and module.SECOND in module.SHOWN, name
    assert METHODS["sobol"].next_size(600) == 1024 and METHODS["morris"].next_size(600) == 600
