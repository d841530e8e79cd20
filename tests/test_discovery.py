"""Effect sweeps, the dummy parameter and scenario discovery (PRIM), end to end at small size."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from sim.cli import main
from sim.errors import InputError
from sim.sensitivity.discovery import Goal, discover, parse_goal
from sim.sensitivity.effect import combine
from sim.sensitivity.engine import plan_from_sweep, read_runs
from sim.sensitivity.sweep import load_sweep

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"


def effect_sweep(folder: Path, reference: str = "baseline.yaml", **over) -> Path:
    """A Sobol' sweep of the new APEC agreement's effect at a coarse scale (20 runs)."""
    spec = {
        "name": "tiny_effect",
        "base": str(SCENARIOS / "new_apec_agreement.yaml"),
        "effect": {"reference": str(SCENARIOS / reference), "kind": "difference"},
        "changes": {"run": {"scale": 100, "end": "2030-12", "event_log": False}},
        "method": "sobol",
        "sample_size": 4,
        "seed": 3,
        "parameters": [
            {"path": "policy.pledges[2].compliance", "bounds": [0.0, 1.0]},
            {"path": "world.decision.flee_constant", "bounds": [-3.465, -1.835]},
        ],
        "outputs": [
            {"metric": "returned_or_prosecuted", "period": ["2026-01", "2030-12"],
             "name": "returned"},
            {"metric": "stock_abroad", "period": ["2030-12", "2030-12"], "name": "abroad"},
        ],
    }  # fmt: skip
    spec.update(over)
    path = folder / "tiny_effect.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return path


def test_effect_kinds_and_no_effect_when_equal():
    assert combine(12.0, 10.0, "difference") == 2.0
    assert combine(12.0, 10.0, "ratio") == 1.2
    assert combine(12.0, 10.0, "relative") == pytest.approx(0.2, abs=1e-12)
    assert combine(0.0, 0.0, "relative") == 0.0 and combine(0.0, 0.0, "ratio") == 1.0
    assert not np.isfinite(combine(3.0, 0.0, "ratio"))


def test_effect_runs_share_their_random_numbers(tmp_path):
    """Policy and reference the same scenario: the paired effect is exactly zero (same seed,
    same replicate, world values applied to both)."""
    sweep = effect_sweep(tmp_path, reference="new_apec_agreement.yaml")
    plan = plan_from_sweep(load_sweep(sweep))
    values = {k: v for k, v in plan.values(1).items() if k != "dummy"}
    values["policy.pledges[2].compliance"] = 0.6  # the reference's own value: same scenario
    out = plan.model(values, 17, 0)
    assert out["returned"] == 0.0 and out["abroad"] == 0.0
    assert out["abroad.policy"] == out["abroad.reference"] > 0


def test_sobol_and_fast_designs_carry_a_dummy_and_morris_only_when_asked(tmp_path):
    for method, n, has in (("sobol", 4, True), ("fast", 130, True), ("morris", 2, False)):
        sweep = load_sweep(effect_sweep(tmp_path, method=method, sample_size=n))
        assert ("dummy" in sweep.sweep.problem()["names"]) is has, method
    asked = effect_sweep(tmp_path, method="morris", sample_size=2, analysis={"dummy": True})
    assert "dummy" in load_sweep(asked).sweep.problem()["names"]


def test_prim_finds_a_known_box():
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.random((1000, 3)), columns=["a", "b", "c"])
    y = np.where((X["a"] > 0.6) & (X["b"] < 0.5), 1.0, 0.0) + 0.001 * X["c"]
    found = discover(X, y.to_numpy(), Goal("y", ">=", 0.5), min_density=0.99)
    box = found.box.set_index("parameter")
    assert set(box.index[box["restricted"]]) == {"a", "b"}
    assert abs(box.at["a", "min"] - 0.6) < 0.03 and abs(box.at["b", "max"] - 0.5) < 0.03
    assert found.stats["density"] >= 0.99 and found.stats["coverage"] > 0.8
    assert found.n_met == int((y >= 0.5).sum())
    # a lower density asks for a looser box: more coverage, still holding the true one
    loose = discover(X, y.to_numpy(), Goal("y", ">=", 0.5), min_density=0.8)
    lbox = loose.box.set_index("parameter")
    assert loose.stats["coverage"] >= found.stats["coverage"] and loose.stats["density"] >= 0.8
    assert lbox.at["a", "min"] <= 0.6 and lbox.at["b", "max"] >= 0.5


@pytest.mark.parametrize(
    ("text", "words"),
    [("returned >> 1", "expected OUTPUT"), ("nothing >= 1", "unknown output"), ("", "expected")],
)
def test_bad_goals_are_refused(text, words):
    with pytest.raises(InputError, match=words):
        parse_goal(text, ["returned", "abroad"])


def test_effect_sweep_with_dummy_and_prim_box_end_to_end(tmp_path, capsys):
    sweep = effect_sweep(tmp_path)
    out = tmp_path / "sweep"
    argv = ["sensitivity", str(sweep), "--out", str(out), "--workers", "1", "--quiet"]
    assert main(argv) == 0
    runs = read_runs(out)
    assert len(runs) == 4 * (2 + 2 + 1)  # Sobol' N (D + 2), D = 2 parameters and the dummy
    assert np.allclose(
        runs["out.returned"], runs["out.returned.policy"] - runs["out.returned.reference"]
    )
    indices = pd.read_csv(out / "indices.csv")
    assert "dummy" in set(indices["parameter"]) and "above_dummy" in indices.columns
    report = (out / "report.md").read_text()
    assert "paired policy effects" in report and "noise floor" in report and "Cost:" in report
    # scenario discovery over the finished sweep: returns up by more than the median effect
    effects = runs.groupby("sample")["out.returned"].mean()
    median = float(effects.median())
    assert 0 < (effects > median).sum() < len(effects)  # some samples meet the goal, not all
    capsys.readouterr()
    goal = f"returned > {median}"
    assert main(["sensitivity", "prim", str(out), "--goal", goal]) == 0
    found = next(out.glob("prim-returned-gt-*"))
    assert f"wrote {found}" in capsys.readouterr().out
    box = pd.read_csv(found / "box.csv")
    assert "dummy" not in set(box["parameter"]) and box["restricted"].any()
    traj = pd.read_csv(found / "trajectory.csv")
    assert traj[["coverage", "density", "mass"]].apply(lambda c: c.between(0, 1).all()).all()
    for png in ("peeling", "box"):
        assert (found / "plots" / f"{png}.png").stat().st_size > 5_000
    assert "coverage" in (found / "report.md").read_text()
    # rerunning replaces its own folder; a folder of someone else's files is never touched
    assert main(["sensitivity", "prim", str(out), "--goal", goal]) == 0
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "notes.txt").write_text("mine")
    argv = ["sensitivity", "prim", str(out), "--goal", goal, "--out", str(theirs)]
    assert main(argv) == 2
    assert [p.name for p in theirs.iterdir()] == ["notes.txt"]
    assert "did not write" in capsys.readouterr().err
