"""The calibration report's reason for every missed target (sim/calibrate/misses.py)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from sim.calibrate.misses import grain, misses_table, values_inside
from sim.calibrate.targets import load_targets

ROOT = Path(__file__).resolve().parents[1]
SPEC = load_targets(ROOT / "calibration" / "targets.yaml")
TARGET = {t.id: t for t in SPEC.targets}
SHARES = {p.parameter: 0.25 for p in SPEC.observation}


def test_grain_is_the_scale_over_the_share_for_counts_and_undefined_otherwise():
    assert grain(TARGET["W6"], 10, SHARES) == 10  # officials, no share
    assert grain(TARGET["W2"], 5, SHARES) == 5
    assert grain(TARGET["W3"], 10, SHARES) == pytest.approx(40)  # 10 / 0.25
    assert grain(TARGET["W8"], 10, SHARES) == pytest.approx(20)  # mean of two years: 5 / 0.25
    for key in ("T1_assets", "W5", "T5"):
        assert math.isnan(grain(TARGET[key], 10, SHARES))


@pytest.mark.parametrize(
    ("low", "high", "step", "count"),
    [(14.4, 21.6, 10, 1), (29.6, 44.4, 10, 2), (24.8, 37.2, 20, 0), (20, 40, 10, 3)],
)
def test_values_inside_counts_the_multiples_of_the_step_in_the_range(low, high, step, count):
    assert values_inside(low, high, step) == count


def _fit(rows):
    return pd.DataFrame(rows, columns=["target", "low", "high", "model_median", "inside"])


def test_each_missed_row_gets_the_first_reason_that_applies():
    fit = _fit(
        [
            ("W6.2015-12", 14.4, 21.6, 10, False),  # grain 10: only 20 inside -> coarse
            ("W6.2016-12", 30, 44, 70, False),  # grain 10 too, but 26 above: traded against
            ("T3", 5400, 8000, 10000, False),  # never inside -> beyond the model
            ("W2", 328, 492, 1050, False),  # reached, coupled with T1 -> traded against
            ("T4", 584, 876, 500, False),  # reached, no coupling -> not converged
            ("T1", 2000, 8000, 3000, True),  # inside: not listed
        ]
    )
    prior = pd.DataFrame(
        {"W6.2015-12": [10, 20], "T3": [9000, 12000], "W2": [400, 900], "T4": [600, 300]}
    )
    last = pd.DataFrame(
        {"W6.2015-12": [10, 10], "T3": [8100, 9000], "W2": [900, 1000], "T4": [700, 800]}
    )
    prior["W6.2016-12"], last["W6.2016-12"] = [40, 70], [70, 70]
    trade = pd.DataFrame({"targets": ["T1 vs W2", "W6.2015-12 vs W6.2016-12"]})
    table = misses_table(SPEC, fit, [prior, last], trade, 10, SHARES).set_index("target")
    assert list(table.index) == ["W6.2015-12", "W6.2016-12", "T3", "W2", "T4"]
    assert table.loc["W6.2016-12", "reason"].startswith("traded against W6.2015-12")
    assert table.loc["W6.2015-12", "reason"].startswith("coarse")
    assert table.loc["T3", "reason"].startswith("beyond the model")
    assert "none of the 4 accepted particles" in table.loc["T3", "reason"]
    assert table.loc["W2", "reason"].startswith("traded against T1")
    assert table.loc["T4", "reason"].startswith("not converged")
    assert table.loc["W2", "hit_prior"] == 0.5 and table.loc["W2", "hit_last"] == 0.0
    assert table.loc["T4", "hit_best_generation"] == 1.0
    assert table.loc["T3", "side"] == "too high" and table.loc["T4", "side"] == "too low"
    assert table.loc["T4", "grain"] == pytest.approx(10 / 0.25)  # T4 has a share
