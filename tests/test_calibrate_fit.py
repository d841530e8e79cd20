"""The committed calibration: fitted medians, fit table, fitted baseline inside met ranges.

Checked against ``calibration/targets_used.yaml``, the targets the committed outputs were fitted
to (``flightsim calibrate`` writes that copy); ``targets.yaml`` may hold newer targets that wait
for the next calibration.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.calibrate.abc import calibration_scenario, weighted_quantile
from sim.calibrate.report import FIT_COLUMNS, FITTED_REPLICATES, TARGETS_USED, stats_of
from sim.calibrate.statistics import ranges
from sim.calibrate.targets import load_targets
from sim.runs.folders import flatten
from sim.runs.posterior import read_posterior
from sim.runs.replicates import replicate_tasks, run_many
from sim.scenario.load import load_scenario, with_overrides
from sim.scenario.reading import read_yaml

CALIBRATION = Path(__file__).resolve().parent.parent / "calibration"


@pytest.fixture(scope="module")
def spec():
    return load_targets(CALIBRATION / TARGETS_USED)


def fitted_values() -> dict[str, float]:
    return flatten("world", read_yaml(CALIBRATION / "fitted.yaml")["world"])


def test_fitted_yaml_is_a_partial_scenario_of_posterior_medians(spec):
    scenario = load_scenario(CALIBRATION / "fitted.yaml")
    fitted = fitted_values()
    # world medians here; lever strengths in the baseline, shares in the posterior only
    assert set(fitted) == {p for p in spec.parameters if p.startswith("world.")}
    posterior = read_posterior(CALIBRATION / "posterior.parquet")
    assert set(posterior.columns) == {*spec.parameters, "weight"}
    w = posterior["weight"].to_numpy()
    for name, value in fitted.items():
        median = weighted_quantile(posterior[name].to_numpy(), w, 0.5)
        assert value == pytest.approx(median, rel=1e-3)
        section, key = name.split(".")[1:]
        assert getattr(getattr(scenario.world, section), key) == value
        prior = next(p for p in spec.priors if p.parameter == name)
        assert prior.low <= value <= prior.high


def test_fit_csv_rows_match_the_targets_and_are_consistent(spec):
    fit = pd.read_csv(CALIBRATION / "fit.csv")
    assert tuple(fit.columns) == FIT_COLUMNS
    expected = [key for t in spec.targets for key, _, _ in ranges(t)]
    assert list(fit["target"]) == expected
    inside = (fit["model_median"] >= fit["low"]) & (fit["model_median"] <= fit["high"])
    assert (fit["inside"] == inside).all()
    assert (fit["model_p05"] <= fit["model_median"]).all()
    assert (fit["model_median"] <= fit["model_p95"]).all()


def marked_met() -> dict[str, bool]:
    """The ``met`` column of the report's fit table, by target."""
    lines = (CALIBRATION / "report.md").read_text(encoding="utf-8").splitlines()
    start = next(
        i for i, line in enumerate(lines) if line.startswith("| target |") and "| met |" in line
    )
    header = [c.strip() for c in lines[start].strip("|").split("|")]
    out = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = dict(zip(header, (c.strip() for c in line.strip("|").split("|")), strict=True))
        out[cells["target"]] = cells["met"] == "yes"
    return out


def test_fitted_baseline_median_is_inside_every_range_the_report_marks_met(spec):
    """Re-simulates the fitted baseline as the report did (calibration scale and seed)."""
    scenario = with_overrides(calibration_scenario(spec), fitted_values())
    tasks = replicate_tasks(scenario, FITTED_REPLICATES, spec.settings.seed)
    # the observation shares at their posterior medians, as the report maps the fitted runs
    posterior = read_posterior(CALIBRATION / "posterior.parquet")
    w = posterior["weight"].to_numpy()
    shares = {
        p.parameter: weighted_quantile(posterior[p.parameter].to_numpy(), w, 0.5)
        for p in spec.observation
    }
    stats = stats_of(spec, run_many(tasks, jobs=1), shares)
    fit = pd.read_csv(CALIBRATION / "fit.csv").set_index("target")
    flags = marked_met()
    assert list(flags) == list(fit.index)
    met = fit[pd.Series(flags)]
    assert len(met) > 0
    assert met["inside"].all()  # met under the fitted baseline implies met under the posterior
    for row in met.reset_index().itertuples():
        median = float(np.median(stats[row.target]))
        assert row.low <= median <= row.high, (row.target, median, row.low, row.high)
