"""How much a calibration stage narrowed each parameter, against its prior and an earlier stage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_calibrate import ROOT, targets_file

from sim.calibrate.narrowing import (
    narrowing_markdown,
    narrowing_table,
    prior_width,
    rejection_stages,
)
from sim.calibrate.statistics import ranges
from sim.calibrate.targets import Prior, load_targets, only
from sim.cli import main


def posterior(values: dict[str, np.ndarray]) -> pd.DataFrame:
    n = len(next(iter(values.values())))
    return pd.DataFrame({**values, "weight": np.full(n, 1.0 / n)})


def test_widths_are_central_90pct_in_the_priors_own_units(tmp_path):
    spec = load_targets(
        targets_file(tmp_path, {"fled": (1, 2), "missing": (1, 2), "caught": (1, 2)})
    )
    flee, hide, capture = (
        spec.priors
    )  # uniform(-3.5, -1), uniform(-2.5, -0.2), loguniform(0.1, 0.8)
    assert prior_width(flee) == pytest.approx(0.9 * 2.5)
    assert prior_width(capture) == pytest.approx(0.9 * np.log10(8.0))
    grid = np.linspace(0, 1, 1001)
    earlier = posterior({flee.parameter: -3.5 + 2.5 * grid, capture.parameter: 0.1 * 8.0**grid})
    later = posterior({
        flee.parameter: -2.0 + 0.25 * grid,  # a tenth of the prior's range
        hide.parameter: -1.0 + 0.0 * grid,  # a point: fully pinned
        capture.parameter: 0.3 * 2.0**grid,  # log10(2) of log10(8) wide: a third
    })  # fmt: skip
    table = narrowing_table(spec, {"window I": earlier, "windows I+II": later}).set_index(
        "parameter"
    )
    assert table.loc[flee.parameter, "window I share"] == pytest.approx(1.0, abs=0.01)
    assert table.loc[flee.parameter, "windows I+II share"] == pytest.approx(0.1, abs=0.01)
    assert table.loc[hide.parameter, "windows I+II share"] == 0.0
    assert np.isnan(table.loc[hide.parameter, "window I share"])  # window I did not fit it
    assert table.loc[capture.parameter, "units"] == "log10"
    assert table.loc[capture.parameter, "windows I+II share"] == pytest.approx(1 / 3, abs=0.01)
    text = narrowing_markdown(table.reset_index(), ["window I", "windows I+II"])
    assert f"| {hide.parameter} | value | 2.07 | - | - | 0 | 0 |" in text


def test_prior_bounds_are_validated():
    with pytest.raises(ValueError, match="loguniform prior needs low > 0"):
        Prior(parameter="world.home.capture_per_year", distribution="loguniform", low=0,
              high=1, justification="x")  # fmt: skip


def test_cli_compares_with_an_earlier_posterior_and_refuses_a_missing_one(tmp_path, capsys):
    spec_file = targets_file(
        tmp_path, {"fled": (500, 5000), "missing": (500, 20000), "caught": (500, 20000)}, scale=400
    )
    earlier = tmp_path / "earlier.parquet"
    posterior({"world.decision.flee_constant": np.linspace(-3.5, -1.0, 50)}).to_parquet(earlier)
    out = tmp_path / "out"
    small = ["--population", "6", "--generations", "1", "--jobs", "1", "--scale-check", "0"]
    missing = ["calibrate", str(spec_file), "--out", str(tmp_path / "x"), "--earlier-posterior"]
    assert main([*missing, str(tmp_path / "none.parquet"), *small, "--quiet"]) == 2
    assert "none.parquet: --earlier-posterior: file not found" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
    args = ["calibrate", str(spec_file), "--out", str(out), "--earlier-posterior", str(earlier)]
    assert main([*args, "--stage-labels", "window I", "windows I+II", *small, "--quiet"]) == 0
    table = pd.read_csv(out / "narrowing.csv")
    assert list(table["parameter"]) == [p.parameter for p in load_targets(spec_file).priors]
    assert table["window I share"].notna().sum() == 1  # only the earlier stage's one parameter
    assert table["windows I+II share"].between(0, 1.2).all()
    assert "## How much each window narrowed each parameter" in (out / "report.md").read_text()


def test_only_keeps_the_targets_of_a_window_and_every_prior():
    spec = load_targets(ROOT / "calibration" / "targets.yaml")
    window_one = only(spec, ("T",))
    kept = {t.id for t in window_one.targets}
    assert kept == {t.id for t in spec.targets if not t.id.startswith("W")}
    assert window_one.all_priors == spec.all_priors
    assert window_one.end == "2014-12"  # T5 is a figure of the seed article, 2014
    with pytest.raises(ValueError, match="no target id starts with X or Y"):
        only(spec, ("X", "Y"))


def test_cli_only_names_the_option_on_bad_input(tmp_path, capsys):
    targets = str(ROOT / "calibration" / "targets.yaml")
    assert main(["calibrate", targets, "--only", "X", "--check"]) == 2
    assert "targets.yaml: --only: no target id starts with X" in capsys.readouterr().err
    assert main(["calibrate", targets, "--only", "T", "--check"]) == 0
    assert "to 2014-12" in capsys.readouterr().out


def test_rejection_stages_keep_the_closest_prior_particles_of_each_window(tmp_path):
    spec = load_targets(ROOT / "calibration" / "targets.yaml")
    n = 40
    rng = np.random.default_rng(0)
    sample = pd.DataFrame({"world.decision.flee_constant": rng.uniform(-3.6, -1.2, n)})
    # statistics: particle k misses window I by k (T1 out of range), window II by n - k (W1)
    t1 = {key: hi for key, _, hi in ranges(spec.targets[0])}
    w1 = {key: hi for key, _, hi in ranges(next(t for t in spec.targets if t.id == "W1"))}
    stats = pd.DataFrame(
        [
            {
                **{name: lo if hi == np.inf else 0.5 * (lo + hi) for name, lo, hi in _ranges(spec)},
                **{key: hi * 2.0 ** (1 + k) for key, hi in t1.items()},
                **{key: hi * 8.0 ** (1 + n - k) for key, hi in w1.items()},
            }
            for k in range(n)
        ]
    )
    stages = rejection_stages(spec, sample, stats, keep=0.25)
    one, both = stages["window I (rejection, 25%)"], stages["windows I+II (rejection, 25%)"]
    flee = sample["world.decision.flee_constant"]
    assert list(one["world.decision.flee_constant"]) == list(flee[:10])  # closest to window I
    assert one["weight"].sum() == pytest.approx(1.0)
    assert len(both) == 10 and set(both["world.decision.flee_constant"]) == set(flee[-10:])
    plain = load_targets(
        targets_file(tmp_path, {"fled": (1, 2), "missing": (1, 2), "caught": (1, 2)})
    )
    stats = pd.DataFrame([{"fled": 1.5, "missing": 1.5, "caught": 1.5 + k} for k in range(8)])
    only_one = rejection_stages(plain, sample.iloc[:8], stats, keep=0.5)
    assert list(only_one) == ["all targets (rejection, 50%)"]


def _ranges(spec):
    return [r for t in spec.targets for r in ranges(t)]
