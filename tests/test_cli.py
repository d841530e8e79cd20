"""The command line: a run folder end to end, and bad input with exit status 2 and no folder."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from support import write_scenario

from sim.cli import main

FAST = {
    "meta": {"name": "tiny"},
    "run": {"scale": 200, "start": "2005-01", "end": "2016-12", "replicates": 2},
}


def test_run_writes_complete_folder(tmp_path, capsys):
    scenario = write_scenario(tmp_path, "tiny", FAST)
    out = tmp_path / "out"
    assert main(["run", str(scenario), "--out", str(out), "--jobs", "1", "--quiet"]) == 0
    for stem in ("timeseries", "timeseries_monthly", "countries", "summary"):
        assert (out / f"{stem}.parquet").exists() and (out / f"{stem}.csv").exists()
    assert (out / "events.parquet").exists() and (out / "scenario.yaml").exists()
    for png in ("flows_and_stocks", "destinations", "returns_by_channel"):
        assert (out / "plots" / f"{png}.png").stat().st_size > 10_000
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["replicates"] == 2
    assert manifest["seed"] == 20141110 and len(manifest["scenario_hash"]) == 64
    assert "mesa" in manifest["dependencies"]
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert sorted(ts["replicate"].unique()) == [0, 1]
    assert ts["year"].min() == 2005 and ts["year"].max() == 2016
    assert all(c == c.lower() for c in ts.columns)
    summary = pd.read_csv(out / "summary.csv")
    assert len(summary) == 2 and "world.exposure.base_per_year" in summary.columns
    assert not list(tmp_path.glob(".out.tmp-*"))


def test_replicates_and_seed_options(tmp_path):
    scenario = write_scenario(tmp_path, "tiny", FAST)
    out = tmp_path / "o"
    assert (
        main(
            [
                "run",
                str(scenario),
                "--out",
                str(out),
                "--replicates",
                "1",
                "--seed",
                "7",
                "--jobs",
                "1",
                "--quiet",
            ]
        )
        == 0
    )
    summary = pd.read_csv(out / "summary.csv")
    assert summary["seed"].tolist() == [7] and summary["replicate"].tolist() == [0]


def test_parallel_equals_serial(tmp_path):
    scenario = write_scenario(tmp_path, "tiny", FAST)
    a, b = tmp_path / "a", tmp_path / "b"
    main(["run", str(scenario), "--out", str(a), "--jobs", "1", "--quiet"])
    main(["run", str(scenario), "--out", str(b), "--jobs", "2", "--quiet"])
    pd.testing.assert_frame_equal(
        pd.read_parquet(a / "timeseries_monthly.parquet"),
        pd.read_parquet(b / "timeseries_monthly.parquet"),
    )


BAD = {
    "unknown key": ({"world": {"decision": {"flee_konstant": 1}}}, "world.decision.flee_konstant"),
    "wrong type": ({"run": {"seed": "abc"}}, "run.seed"),
    "outside period": (
        {"policy": {"pursuit": [{"from": "2099-01", "value": 1}]}},
        "policy.pursuit[0].from",
    ),
    "probability": (
        {"world": {"decision": {"border_capture": 2}}},
        "world.decision.border_capture",
    ),
    "country": (
        {"policy": {"treaties": {"add": [{"iso3": "ZZZ", "date": "2020-01"}]}}},
        "policy.treaties.add[0].iso3",
    ),
}


@pytest.mark.parametrize("label", BAD)
def test_bad_scenario_exit_2_one_line_no_folder(tmp_path, label):
    body, path = BAD[label]
    scenario = write_scenario(tmp_path, "bad", body)
    out = tmp_path / "never"
    proc = subprocess.run(
        [sys.executable, "-m", "sim", "run", str(scenario), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "bad.yaml" in lines[0] and path in lines[0]
    assert not out.exists()
    assert not list(tmp_path.glob(".never*"))


def test_missing_file_and_cycle(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "nope.yaml")]) == 2
    assert "file not found" in capsys.readouterr().err
    (tmp_path / "a.yaml").write_text("extends: b.yaml\n")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\n")
    assert main(["run", str(tmp_path / "a.yaml"), "--out", str(tmp_path / "x")]) == 2
    assert "cycle" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_yaml_tag_rejected(tmp_path, capsys):
    (tmp_path / "t.yaml").write_text("meta: !!python/object/apply:os.system ['echo pwned']\n")
    assert main(["validate", str(tmp_path / "t.yaml")]) == 2
    err = capsys.readouterr().err
    assert "not allowed" in err and "pwned" not in err


def test_out_is_a_file(tmp_path, capsys):
    scenario = write_scenario(tmp_path, "tiny", FAST)
    target = tmp_path / "file.txt"
    target.write_text("x")
    assert main(["run", str(scenario), "--out", str(target)]) == 2
    assert "not a folder" in capsys.readouterr().err


def test_bad_option_value_exits_2(tmp_path):
    scenario = write_scenario(tmp_path, "tiny", FAST)
    with pytest.raises(SystemExit) as exc:
        main(["run", str(scenario), "--replicates", "0"])
    assert exc.value.code == 2


def test_validate_and_schema(tmp_path, capsys):
    root = Path(__file__).resolve().parent.parent
    assert main(["validate", str(root / "scenarios" / "baseline.yaml")]) == 0
    assert "valid" in capsys.readouterr().out
    assert main(["schema", "--out", str(tmp_path / "s.json")]) == 0
    assert "properties" in json.loads((tmp_path / "s.json").read_text())


def test_run_on_a_dask_scheduler_matches_local(tmp_path):
    from distributed import LocalCluster

    scenario = write_scenario(tmp_path, "tiny", FAST)
    local, remote = tmp_path / "local", tmp_path / "remote"
    assert main(["run", str(scenario), "--out", str(local), "--jobs", "1", "--quiet"]) == 0
    with LocalCluster(
        n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address="127.0.0.1:0"
    ) as cluster:
        args = [
            "run",
            str(scenario),
            "--out",
            str(remote),
            "--scheduler",
            cluster.scheduler_address,
        ]
        assert main([*args, "--quiet"]) == 0
    pd.testing.assert_frame_equal(
        pd.read_parquet(local / "timeseries_monthly.parquet"),
        pd.read_parquet(remote / "timeseries_monthly.parquet"),
    )
