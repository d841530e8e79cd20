"""Run folders are written atomically and read back whole."""

import pandas as pd
import pytest
from support import small

from sim.runs.folders import atomic_folder, read_run_folder, write_run_folder
from sim.runs.replicates import replicate_tasks, run_many


def test_failure_leaves_no_folder(tmp_path):
    dest = tmp_path / "out"
    with pytest.raises(RuntimeError), atomic_folder(dest) as tmp:
        (tmp / "timeseries.csv").write_text("half")
        raise RuntimeError("interrupted")
    assert not dest.exists()
    assert list(tmp_path.iterdir()) == []


def test_failure_keeps_previous_folder_intact(tmp_path):
    dest = tmp_path / "out"
    dest.mkdir()
    (dest / "manifest.json").write_text("{}")
    with pytest.raises(KeyboardInterrupt), atomic_folder(dest) as tmp:
        (tmp / "manifest.json").write_text("new")
        raise KeyboardInterrupt
    assert (dest / "manifest.json").read_text() == "{}"


def test_replace_and_read_back(tmp_path):
    scenario = small({"run.start": "2010-01", "run.end": "2012-12"}, scale=500)
    results = run_many(replicate_tasks(scenario, 2), jobs=1)

    def failing_plot(tables, folder):
        raise RuntimeError("plotting failed")

    dest = tmp_path / "run"
    write_run_folder(dest, scenario, results, {"status": "complete"})
    first = read_run_folder(dest)
    assert first["manifest"]["flightsim"] == "run"  # the marker that lets flightsim replace it
    with pytest.raises(RuntimeError):
        write_run_folder(dest, scenario, results[:1], {"status": "complete"}, plot=failing_plot)
    again = read_run_folder(dest)
    pd.testing.assert_frame_equal(first["summary"], again["summary"])
    assert sorted(first["summary"]["replicate"]) == [0, 1]
    assert set(first) >= {
        "timeseries",
        "timeseries_monthly",
        "countries",
        "summary",
        "events",
        "manifest",
    }
