"""Targets file: the committed file is valid; every kind of bad input fails with its field path."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
import yaml
from support import value_at

from sim.calibrate.statistics import RANK_UNIT, miss, outside, ranges, ranking_score
from sim.calibrate.targets import PeriodTarget, RankingTarget, load_targets
from sim.cli import main
from sim.errors import ScenarioError
from sim.scenario.load import load_scenario, with_overrides

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ROOT / "calibration" / "targets.yaml"
BASELINE = ROOT / "scenarios" / "baseline.yaml"


def test_committed_targets_cover_t1_to_t5_with_sources_and_valid_priors():
    spec = load_targets(TARGETS)
    ids = {t.id for t in spec.targets}
    assert {"T1", "T2", "T3", "T4", "T5"} <= ids
    assert all(t.source.strip() for t in spec.targets)
    assert spec.end == "2016-12"
    baseline = load_scenario(BASELINE)
    for p in spec.priors:
        for value in (p.low, p.high):
            scenario = with_overrides(baseline, {p.parameter: value})
            assert value_at(scenario, p.parameter) == pytest.approx(value)


def write_mutated(tmp_path: Path, mutate) -> Path:
    """The committed targets file, changed by ``mutate``, written to ``tmp_path``."""
    data = yaml.safe_load(TARGETS.read_text(encoding="utf-8"))
    data["settings"]["scenario"] = str(BASELINE)
    mutate(data)
    path = tmp_path / "targets.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _set(key, value, index=0, section="targets"):
    def mutate(data):
        data[section][index][key] = value

    return mutate


def _drop(key, index=0, section="targets"):
    def mutate(data):
        del data[section][index][key]

    return mutate


BAD = [
    (_set("metric", "fled_to_mars"), "targets[0].metric", "unknown metric 'fled_to_mars'"),
    (_set("low", 9000), "targets[0]", "bad range: low 9000 is not below high 8000"),
    (_drop("source"), "targets[0].source", "required key is missing"),
    (_set("source", ""), "targets[0].source", "at least 1 character"),
    (_drop("high"), "targets[0]", "a range needs both low and high"),
    (_set("value", 4000), "targets[0]", "give either low and high, or value and tolerance"),
    (
        _set("kind", "guess"),
        "targets[0]",
        "kind must be one of country_stock, cumulative, period, ranking, ratio, series",
    ),
    (_set("end", "2003-13"), "targets[0].end", "expected a real calendar date"),
    (_set("start", "2005-01"), "targets[0]", "end 2003-12 is before start 2005-01"),
    (_set("wieght", 1.0), "targets[0].wieght", "unknown key"),
    (_set("weight", -1.0), "targets[0].weight", "greater than 0"),
    (_set("id", "T2", index=0), "targets[2].id", "target id 'T2' is used twice"),
    (_set("countries", ["USA", "CAN", "XYZ"], index=6), "targets[6].countries[2]", "'XYZ' is not"),
    (_set("metric", "fled_abroad", index=6), "targets[6].metric", "unknown per-country metric"),
    (
        _set("parameter", "world.exposure.nonsense", section="priors"),
        "priors[0].parameter",
        "not a scenario parameter",
    ),  # fmt: skip
    (_set("low", -0.5, section="priors"), "priors[0]", "a loguniform prior needs low > 0"),
    (_set("low", 0.7, index=4, section="priors"), "priors[4]", "bad range: low 0.7"),
    (_set("low", -1.0, index=5, section="priors"), "priors[5]", "loguniform prior needs low > 0"),
    (_drop("justification", section="priors"), "priors[0].justification", "required key"),
    # issue 10: numbers are finite and numbers, targets lie in the calibrated scenario's period
    (_set("high", math.inf), "targets[0].high", "finite number"),
    (_set("high", math.inf, section="priors"), "priors[0].high", "finite number"),
    (_set("low", "2000"), "targets[0].low", "expected a number, got text '2000'"),
    (_set("end", "2040-12"), "targets[0].end", "2040-12 is outside the run period 1978-01..2030"),
    (_set("start", "1970-01"), "targets[0].start", "1970-01 is outside the run period"),
    (_set("year", 2150, index=6), "targets[6].year", "2150 is outside the run period"),
]


@pytest.mark.parametrize(("mutate", "path", "message"), BAD)
def test_bad_targets_fail_with_file_and_field_path(tmp_path, mutate, path, message):
    file = write_mutated(tmp_path, mutate)
    with pytest.raises(ScenarioError) as err:
        load_targets(file)
    assert err.value.file == str(file)
    assert err.value.path == path
    assert message in err.value.message


def test_prior_value_the_schema_rejects_names_the_bound(tmp_path):
    def mutate(data):
        data["priors"][0] = {
            "parameter": "world.home.capture_per_year",
            "distribution": "uniform",
            "low": -0.2,
            "high": 0.5,
            "justification": "x",
        }

    with pytest.raises(ScenarioError) as err:
        load_targets(write_mutated(tmp_path, mutate))
    assert err.value.path == "priors[0].low"
    assert "greater than or equal to 0" in err.value.message


def test_cli_reports_bad_targets_file_cleanly(tmp_path, capsys):
    file = write_mutated(tmp_path, _set("metric", "fled_to_mars"))
    out = tmp_path / "out"
    assert main(["calibrate", str(file), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"flightsim: error: {file}: targets[0].metric: unknown metric")
    assert "Traceback" not in err
    assert not out.exists()


def test_check_validates_only_and_prints_one_line(tmp_path, capsys):
    assert main(["calibrate", "--check", str(TARGETS)]) == 0
    out = capsys.readouterr().out
    assert (
        out == f"{TARGETS}: valid (20 targets, 34 priors, 5 observation shares, "
        "../scenarios/baseline.yaml to 2016-12)\n"
    )
    bad = write_mutated(tmp_path, _set("high", math.inf, section="priors"))
    assert main(["calibrate", "--check", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"flightsim: error: {bad}: priors[0].high: Input should be a finite")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["targets.yaml"]


def test_invalid_targets_create_no_output_folder(tmp_path, capsys):
    file = write_mutated(tmp_path, _set("year", 2150, index=6))
    out = tmp_path / "out"
    assert main(["calibrate", str(file), "--out", str(out), "--quiet"]) == 2
    assert "targets[6].year: 2150 is outside" in capsys.readouterr().err
    assert not out.exists()


def test_outside_is_zero_inside_and_log_ratio_outside():
    assert outside(5.0, 2.0, 8.0) == 0.0
    assert outside(2.0, 2.0, 8.0) == 0.0
    assert outside(16.0, 2.0, 8.0) == pytest.approx(math.log(2))
    assert outside(1.0, 2.0, 8.0) == pytest.approx(math.log(2))
    assert outside(0.0, 2.0, 8.0) == pytest.approx(math.log(2))  # floored at one
    assert outside(3.0, 0.0, 8.0) == 0.0
    assert outside(float("nan"), 2.0, 8.0) == math.inf


def _countries(stocks: dict[str, float], year: int = 2014) -> pd.DataFrame:
    return pd.DataFrame({"year": year, "iso3": list(stocks), "stock_abroad": list(stocks.values())})


def _ranking() -> RankingTarget:
    spec = load_targets(TARGETS)
    return next(t for t in spec.targets if isinstance(t, RankingTarget))


@pytest.mark.parametrize(
    ("stocks", "score"),
    [
        ({"USA": 9, "CAN": 8, "AUS": 7, "SGP": 1, "XSM": 100, "HKG": 50}, 3),
        ({"USA": 9, "SGP": 8, "AUS": 7, "CAN": 1}, 2),
        ({"SGP": 9, "THA": 8, "GBR": 7, "USA": 6, "CAN": 5, "AUS": 4}, 0),
        ({"USA": 9, "CAN": 8, "AUS": 5, "SGP": 5}, 2),  # a tie never helps the listed country
    ],
)
def test_ranking_score_counts_listed_countries_in_top_places(stocks, score):
    target = _ranking()
    assert ranking_score(target, _countries(stocks)) == score
    assert miss(target, {target.id: score}) == pytest.approx(
        target.weight * RANK_UNIT * (3 - score) / 3
    )


def test_miss_is_weighted_and_zero_inside_range():
    target = PeriodTarget(
        kind="period", id="X", description="d", metric="returned", start="2008-01",
        end="2014-06", low=500, high=1000, weight=2.0, source="s",
    )  # fmt: skip
    assert ranges(target) == [("X", 500.0, 1000.0)]
    assert miss(target, {"X": 700.0}) == 0.0
    assert miss(target, {"X": 2000.0}) == pytest.approx(2.0 * math.log(2))
    central = target.model_copy(
        update={"low": None, "high": None, "value": 800.0, "tolerance": 0.25}
    )
    assert central.bounds == (600.0, 1000.0)
