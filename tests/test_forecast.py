"""The posterior-predictive forecast: its percentiles, its report section, and a real calibration
that writes it after the last target year."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_calibrate import targets_file

from sim.calibrate import plots
from sim.calibrate.forecast import COLUMNS, forecast_markdown, forecast_table
from sim.cli import main
from sim.runs.replicates import RunResult


def fake_run(k: int, years: range) -> RunResult:
    """A run with monthly flows ``k`` and ``2k`` and a year-end stock of ``100k + year``."""
    dates = [f"{y}-{m:02d}" for y in years for m in range(1, 13)]
    monthly = pd.DataFrame(
        {
            "date": dates,
            "year": [int(d[:4]) for d in dates],
            "returned": float(k),
            "fled_abroad": 2.0 * k,
            "stock_abroad": [100.0 * k + int(d[:4]) for d in dates],
        }
    )
    countries = pd.DataFrame(
        [
            {"year": y, "iso3": iso3, "stock_abroad": float(k * w)}
            for y in years
            for iso3, w in (("USA", 3), ("CAN", 1))
        ]
    )
    return RunResult("s", k, 1, monthly, countries, pd.DataFrame(), 0.0)


def test_percentiles_are_across_draws_per_year_and_missing_metrics_are_left_out():
    runs = [fake_run(k, range(2015, 2020)) for k in range(1, 6)]  # k = 1..5
    table = forecast_table(runs, 2017, 2019)
    returned = table[table["quantity"] == "officials_returned"].set_index("year")
    assert list(returned.index) == [2017, 2018, 2019]
    # yearly sums 12k, k = 1..5: the median is 36, the 25th and 75th percentiles 24 and 48
    assert returned["q50"].tolist() == [36.0] * 3
    assert returned.loc[2018, ["q25", "q75"]].tolist() == [24.0, 48.0]
    assert returned["draws"].unique().tolist() == [5]
    flights = table[table["quantity"] == "new_flights"].set_index("year")
    assert flights.loc[2019, "q50"] == 72.0
    stock = table[table["quantity"] == "stock_abroad"].set_index("year")
    assert stock.loc[2019, "q50"] == 300.0 + 2019  # year end, not a sum
    usa = table[(table["quantity"] == "stock_abroad_by_destination") & (table["detail"] == "USA")]
    assert usa["q50"].tolist() == [9.0] * 3
    # metrics the runs do not have (channels, most-wanted list) are not invented
    assert not (table["quantity"] == "most_wanted_at_large").any()
    assert not (table["quantity"] == "returns_by_channel").any()
    bands = table[list(COLUMNS)].to_numpy()
    assert (np.diff(bands, axis=1) >= 0).all()  # q05 <= q25 <= q50 <= q75 <= q95


def test_years_the_runs_do_not_cover_are_refused():
    runs = [fake_run(1, range(2015, 2018))]
    with pytest.raises(ValueError, match="2015-2017, not 2017-2019"):
        forecast_table(runs, 2017, 2019)
    with pytest.raises(ValueError, match="no posterior draws"):
        forecast_table([], 2017, 2019)


def test_report_section_and_plot(tmp_path):
    table = forecast_table([fake_run(k, range(2016, 2031)) for k in range(1, 4)], 2017, 2030)
    text = forecast_markdown(table, [2017, 2030])
    assert "| officials_returned | 24 [18-30] [13-35] | 24 [18-30] [13-35] |" in text
    assert "2017-2030: 3 runs" in text
    plots.forecast(table, tmp_path / "forecast.png")
    assert (tmp_path / "forecast.png").stat().st_size > 10_000


def test_calibration_writes_the_forecast_after_its_last_target(tmp_path):
    spec_file = targets_file(
        tmp_path, {"fled": (500, 5000), "missing": (500, 20000), "caught": (500, 20000)}, scale=400
    )
    out = tmp_path / "out"
    args = ["calibrate", str(spec_file), "--out", str(out), "--population", "6"]
    assert main([*args, "--generations", "1", "--jobs", "1", "--scale-check", "0", "--quiet"]) == 0
    table = pd.read_csv(out / "forecast.csv")
    # the targets end in 2008 and the baseline runs to 2030
    assert table["year"].min() == 2009 and table["year"].max() == 2030
    assert set(table["draws"]) == {10}  # settings.predictive_draws
    assert {"officials_returned", "new_flights", "returns_by_channel"} <= set(table["quantity"])
    assert (out / "plots" / "forecast.png").is_file()
    assert "## Forecast (written before any comparison)" in (out / "report.md").read_text()
    # the fit table comes from the same runs (test_calibrate: a run is causal, so its months up
    # to the last target equal those of the run stopped there)
    fit = pd.read_csv(out / "fit.csv")
    assert list(fit["target"]) == ["fled", "missing", "caught"]
