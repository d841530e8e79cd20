"""Section-4 targets and the observation model: new target kinds, share parameters, bad input.

The statistics are checked on a synthetic monthly table whose values are known, so each
mapping (division by a share, a ratio, a running total, a lower bound, a country's stock) is
compared with the number it must give.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from sim.calibrate.statistics import miss, ranges, statistics
from sim.calibrate.targets import (
    PLANNED_METRICS,
    CountryStockTarget,
    CumulativeTarget,
    PeriodTarget,
    RatioTarget,
    load_targets,
    require_metrics,
)
from sim.cli import main
from sim.core.metrics import all_names
from sim.errors import ScenarioError
from sim.scenario.load import load_scenario
from tests.test_targets import write_mutated

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ROOT / "calibration" / "targets.yaml"
BASELINE = ROOT / "scenarios" / "baseline.yaml"
SHARE = "observation.officials_share_sky_net"


def monthly() -> pd.DataFrame:
    """2014-01..2016-12; every flow is a fixed number per month (per year in ``year``)."""
    dates = pd.period_range("2014-01", "2016-12", freq="M")
    n = len(dates)
    table = pd.DataFrame({"date": dates.strftime("%Y-%m"), "year": dates.year})
    table["returned"] = np.full(n, 10.0)
    table["returned_persuasion"] = np.full(n, 4.0)
    table["returned_surrender"] = np.full(n, 1.0)
    table["caught_border"] = np.full(n, 2.0)
    table["prosecuted_abroad"] = np.full(n, 0.5)
    table["fled_abroad"] = np.where(dates.year == 2015, 3.0, 1.0)
    return table


def countries() -> pd.DataFrame:
    return pd.DataFrame(
        {"year": [2015, 2016, 2015, 2016], "iso3": ["USA", "USA", "CAN", "CAN"],
         "stock_abroad": [40.0, 60.0, 7.0, 9.0]}
    )  # fmt: skip


def _common(**fields) -> dict:
    return {"id": "X", "description": "d", "source": "docs/sources.md W0", **fields}


def test_committed_file_maps_every_section_4_figure():
    spec = load_targets(TARGETS)
    by_id = {t.id: t for t in spec.targets}
    for w in ("W1", "W2", "W3", "W4_2014", "W5", "W6", "W7", "W8"):
        assert by_id[w].source.startswith(f"docs/sources.md {w[:2]}")
        assert by_id[w].range_note and by_id[w].caveat and by_id[w].reported
    assert spec.end == "2016-12"
    # the broader groups go through shares, the officials' figures do not
    shares = {t.id: getattr(t, "share", None) for t in spec.targets}
    assert shares["W3"] == SHARE and shares["W2"] is None and shares["W1"] is None
    assert {shares[w] for w in ("W4_2014", "W4_2015", "W4_2016")} == {
        "observation.officials_share_fox_hunt"
    }
    assert shares["W8"] == "observation.officials_share_mps_stock"
    assert shares["T4"] == "observation.officials_share_mps_bribery"
    assert shares["T2"] == "observation.officials_share_cass"
    assert isinstance(by_id["W6"], CumulativeTarget) and by_id["W6"].start == "2015-04"
    assert by_id["W7"].lower_bound_only and ranges(by_id["W7"])[0][2] == math.inf
    assert isinstance(by_id["W5"], RatioTarget) and isinstance(by_id["W8"], CountryStockTarget)
    # W2 counts the officials among W3's returns: the same channels
    assert by_id["W2"].metrics == by_id["W3"].metrics
    names = set(spec.parameters)
    assert {p.parameter for p in spec.observation} <= names
    assert all(p.parameter.startswith(("world.", "policy.")) for p in spec.priors)
    assert all(0 < p.low < p.high <= 1 for p in spec.observation)


def test_grades_set_the_widths():
    """The file header's rule: A +-20%, B +-35% around the reported figure."""
    by_id = {t.id: t for t in load_targets(TARGETS).targets}
    for tid, figure, width in (("W2", 410, 0.2), ("W3", 2566, 0.2), ("W4_2015", 857, 0.2),
                               ("T4", 730, 0.2), ("W8", 150, 0.35)):  # fmt: skip
        low, high = ranges(by_id[tid])[0][1:]
        assert low == pytest.approx(figure * (1 - width), abs=1)
        assert high == pytest.approx(figure * (1 + width), abs=1)
    assert ranges(by_id["W5"])[0][1:] == pytest.approx((0.41 * 0.65, 0.41 * 1.35), abs=0.01)
    assert by_id["W1"].tolerance == 0.2 and by_id["W6"].tolerance == 0.2


def test_share_divides_the_model_value():
    target = PeriodTarget(**_common(kind="period", metric=["returned", "caught_border"],
                                    share=SHARE, start="2014-01", end="2016-12",
                                    low=1000, high=2000))  # fmt: skip
    officials = 36 * (10.0 + 2.0)
    assert statistics(target, monthly(), countries(), {SHARE: 0.25}) == {"X": officials / 0.25}
    assert statistics(target, monthly(), countries(), {SHARE: 0.5}) == {"X": officials / 0.5}
    with pytest.raises(ScenarioError, match="no value given for observation.officials_share"):
        statistics(target, monthly(), countries(), {})
    plain = target.model_copy(update={"share": None})
    assert statistics(plain, monthly(), countries()) == {"X": officials}


def test_ratio_is_numerator_over_denominator_and_needs_no_share():
    target = RatioTarget(**_common(kind="ratio", numerator=["returned_surrender",
                                   "returned_persuasion"], denominator=["returned"],
                                   start="2015-01", end="2015-12", low=0.4, high=0.6))  # fmt: skip
    stats = statistics(target, monthly(), countries(), {SHARE: 0.1})
    assert stats == {"X": pytest.approx(0.5)}
    assert miss(target, stats) == 0.0
    assert miss(target, {"X": 0.3}) == pytest.approx(math.log(0.4 / 0.3))
    assert miss(target, {"X": 0.0}) == pytest.approx(math.log(0.4 / 1e-3))  # floored, finite


def test_cumulative_sums_from_the_start_to_each_end():
    target = CumulativeTarget(**_common(kind="cumulative", metric="fled_abroad", start="2015-04",
                                        points=[{"end": "2015-12", "value": 27},
                                                {"end": "2016-12", "value": 39}],
                                        tolerance=0.2))  # fmt: skip
    stats = statistics(target, monthly(), countries())
    assert stats == {"X.2015-12": 9 * 3.0, "X.2016-12": 9 * 3.0 + 12 * 1.0}
    assert [k for k, *_ in ranges(target)] == list(stats)
    assert miss(target, stats) == 0.0
    assert miss(target, {"X.2015-12": 27.0, "X.2016-12": 78.0}) == pytest.approx(
        math.log(78 / (39 * 1.2)) / 2
    )


def test_lower_bound_is_met_by_any_larger_value():
    target = PeriodTarget(**_common(kind="period", metric="returned", start="2014-10",
                                    end="2015-03", lower_bound_only=True, low=39))  # fmt: skip
    assert statistics(target, monthly(), countries()) == {"X": 60.0}
    assert miss(target, {"X": 1e6}) == 0.0
    assert miss(target, {"X": 19.5}) == pytest.approx(math.log(2))


def test_country_stock_is_the_mean_of_its_years_over_the_share():
    target = CountryStockTarget(**_common(kind="country_stock", iso3="USA", years=[2015, 2016],
                                          share=SHARE, low=98, high=203))  # fmt: skip
    assert statistics(target, monthly(), countries(), {SHARE: 0.5}) == {"X": 100.0}
    stats = statistics(target, monthly(), countries().iloc[2:], {SHARE: 0.5})  # no US rows
    assert math.isnan(stats["X"]) and miss(target, stats) == math.inf


def _index(target_id: str) -> int:
    data = yaml.safe_load(TARGETS.read_text(encoding="utf-8"))
    return next(i for i, t in enumerate(data["targets"]) if t["id"] == target_id)


def _set(target_id: str, key: str, value):
    def mutate(data):
        data["targets"][_index(target_id)][key] = value

    return mutate


def _obs(index: int, key: str, value):
    def mutate(data):
        data["observation"][index][key] = value

    return mutate


def _add_unused(data):
    data["observation"].append({**data["observation"][0], "parameter": "observation.unused_share"})


BAD = [
    (_set("W3", "share", "observation.nonsense"), "W3", "share",
     "observation.nonsense has no prior in the observation section"),
    (_set("W3", "share", "world.exposure.base_per_year"), "W3", "share", "should match pattern"),
    (_set("W2", "metric", ["returned", "came_back_by_boat"]), "W2", "metric[1]",
     "unknown metric 'came_back_by_boat'"),
    (_set("W5", "low", 0.7), "W5", "", "bad range: low 0.7 is not below high 0.55"),
    (_set("W5", "high", 1.5), "W5", "high", "less than or equal to 1"),
    (_set("W7", "high", 100), "W7", "", "lower_bound_only needs a positive low and no high"),
    (_set("W6", "points", [{"end": "2016-12", "value": 37}, {"end": "2015-12", "value": 18}]),
     "W6", "", "points must have increasing, distinct ends"),
    (_set("W6", "start", "2010-13"), "W6", "start", "expected a real calendar date"),
    (_set("W8", "iso3", "XYZ"), "W8", "iso3", "country 'XYZ' is not in the data"),
    (_set("W8", "years", [2015, 2045]), "W8", "years[1]", "2045 is outside the run period"),
    (_set("W6", "points", [{"end": "2041-12", "value": 37}]), "W6", "points[0].end",
     "2041-12 is outside the run period"),
]  # fmt: skip


@pytest.mark.parametrize(("mutate", "target_id", "field", "message"), BAD)
def test_bad_section_4_targets_name_file_and_field(tmp_path, mutate, target_id, field, message):
    file = write_mutated(tmp_path, mutate)
    with pytest.raises(ScenarioError) as err:
        load_targets(file)
    path = f"targets[{_index(target_id)}]" + (f".{field}" if field else "")
    assert (err.value.file, err.value.path) == (str(file), path)
    assert message in err.value.message


@pytest.mark.parametrize(
    ("mutate", "path", "message"),
    [
        (_obs(0, "high", 1.5), "observation[0].high", "less than or equal to 1"),
        (_add_unused, "observation[5].parameter",
         "observation.unused_share is not the share of any target"),
        (_obs(0, "meaning", ""), "observation[0].meaning", "at least 1 character"),
        (_obs(2, "low", 0.0), "observation[2].low", "greater than 0"),
    ],
)  # fmt: skip
def test_bad_observation_shares_name_file_and_field(tmp_path, mutate, path, message):
    file = write_mutated(tmp_path, mutate)
    with pytest.raises(ScenarioError) as err:
        load_targets(file)
    assert (err.value.file, err.value.path) == (str(file), path)
    assert message in err.value.message


def test_cli_exits_2_with_one_line_naming_file_and_field(tmp_path, capsys):
    file = write_mutated(tmp_path, _set("W3", "share", "observation.nonsense"))
    out = tmp_path / "out"
    assert main(["calibrate", str(file), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith(f"flightsim: error: {file}: targets[{_index('W3')}].share: ")
    assert not out.exists()


def test_planned_metrics_load_but_are_refused_before_calibrating(tmp_path, capsys):
    """Metrics the model does not record yet: valid file, clear refusal when calibrating."""
    missing = sorted(PLANNED_METRICS - set(all_names()))
    spec = load_targets(TARGETS)
    if not missing:
        require_metrics(spec)  # the model records them all: nothing to refuse
        return
    with pytest.raises(ScenarioError) as err:
        require_metrics(spec)
    assert err.value.file == spec.file and err.value.path.startswith("targets[")
    assert "not recorded by this version of the model" in err.value.message
    out = tmp_path / "out"
    assert main(["calibrate", str(TARGETS), "--out", str(out), "--quiet"]) == 2
    assert "not recorded by this version of the model" in capsys.readouterr().err
    assert not out.exists()


def test_every_window_lies_in_the_baseline_run():
    scenario = load_scenario(BASELINE)
    assert scenario.run.start <= "2014-01" and scenario.run.end >= "2016-12"
