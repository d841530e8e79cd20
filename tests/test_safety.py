"""Never lose a user's file, refuse every bad input cleanly, leave no process or temporary behind.

Output folders: a command replaces only a folder flightsim wrote (its manifest's ``flightsim``
marker) and only with ``--force``; everything else is refused with one line and exit status 2
before any run starts. Processes: tests that kill start the command themselves
(``start_new_session``) and signal only its pid or its own process group.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest
import yaml
from support import ROOT, write_scenario

from sim.cli import main
from sim.files import (
    LOCK_NAME,
    FolderLock,
    FolderRefused,
    atomic_folder,
    clean_stale_temporaries,
    folder_kind,
    write_atomic,
)

FAST = {
    "meta": {"name": "tiny"},
    "run": {"scale": 200, "start": "2005-01", "end": "2016-12", "replicates": 1},
}
MANY = {
    "meta": {"name": "many"},
    "run": {"scale": 200, "start": "1990-01", "end": "2030-12", "replicates": 200},
}
FLIGHTSIM = [sys.executable, "-m", "sim"]
HOST = socket.gethostname()


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*FLIGHTSIM, *args], capture_output=True, text=True, timeout=300, cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip


def one_error_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def dead_pid() -> int:
    """The id of a process that has exited (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def no_runs(*args, **kwargs):
    raise AssertionError("a replicate ran although the output folder was refused")


# ------------------------------------------------------------------------- the one writer
def test_write_atomic_text_bytes_mode_and_failure(tmp_path):
    target = tmp_path / "a.txt"
    write_atomic(target, "first")
    write_atomic(target, b"second")
    assert target.read_bytes() == b"second"
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
    with pytest.raises(TypeError):
        write_atomic(target, 42)  # type: ignore[arg-type]
    assert target.read_bytes() == b"second"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


def test_atomic_folder_never_replaces_a_folder_flightsim_did_not_write(tmp_path):
    dest = tmp_path / "d"
    dest.mkdir()
    (dest / "thesis.tex").write_text("my thesis")
    with pytest.raises(FolderRefused, match="did not write"), atomic_folder(dest) as tmp:
        (tmp / "manifest.json").write_text(json.dumps({"flightsim": "run"}))
    assert (dest / "thesis.tex").read_text() == "my thesis"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d"]


def test_atomic_folder_merge_keeps_other_files(tmp_path):
    dest = tmp_path / "cal"
    (dest / "plots").mkdir(parents=True)
    (dest / "plots" / "old.png").write_text("old")
    (dest / "populations.parquet").write_text("history")
    with atomic_folder(dest, merge=True) as tmp:
        (tmp / "plots").mkdir()
        (tmp / "plots" / "new.png").write_text("new")
        (tmp / "fitted.yaml").write_text("world: {}")
    assert sorted(p.name for p in (dest / "plots").iterdir()) == ["new.png"]
    assert (dest / "populations.parquet").read_text() == "history"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cal"]


# ---------------------------------------------------------------- output folder ownership
def test_run_refuses_a_folder_of_the_users_files(tmp_path, capsys, monkeypatch):
    scenario = write_scenario(tmp_path, "tiny", FAST)
    out = tmp_path / "d"
    out.mkdir()
    (out / "thesis.tex").write_text("chapter 1")
    monkeypatch.setattr("sim.runs.runner.execute", no_runs)
    assert main(["run", str(scenario), "--out", str(out), "--force"]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert str(out) in line and "did not write" in line
    assert sorted(p.name for p in out.iterdir()) == ["thesis.tex"]
    assert (out / "thesis.tex").read_text() == "chapter 1"


@pytest.mark.parametrize("where", [".", "PWD", ".."])
def test_run_refuses_the_current_folder(tmp_path, where):
    project = tmp_path / "project"
    project.mkdir()
    scenario = write_scenario(project, "tiny", FAST)
    out = {"PWD": str(project)}.get(where, where)
    proc = run_cli("run", str(scenario), "--out", out, "--force", cwd=project)
    assert proc.returncode == 2
    assert "current folder" in one_error_line(proc.stderr)
    assert sorted(p.name for p in project.iterdir()) == ["tiny.yaml"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["project"]


def test_second_run_needs_force_and_force_replaces_only_a_run(tmp_path, capsys):
    scenario = write_scenario(tmp_path, "tiny", FAST)
    out = tmp_path / "results" / "tiny"
    argv = ["run", str(scenario), "--out", str(out), "--jobs", "1", "--quiet"]
    assert main(argv) == 0
    assert folder_kind(out) == "run"
    first = (out / "manifest.json").read_text()
    capsys.readouterr()
    assert main(argv) == 2
    line = one_error_line(capsys.readouterr().err)
    assert "--force" in line and str(out) in line
    assert (out / "manifest.json").read_text() == first
    assert main([*argv, "--seed", "3", "--force"]) == 0
    assert json.loads((out / "manifest.json").read_text())["seed"] == 3
    assert sorted(p.name for p in out.parent.iterdir()) == ["tiny"]
    # a compare folder is not a run folder, even with --force
    (out / "manifest.json").write_text(json.dumps({"flightsim": "compare"}))
    capsys.readouterr()
    assert main([*argv, "--force"]) == 2
    assert "not a run folder" in one_error_line(capsys.readouterr().err)


def test_compare_default_folder_and_force(tmp_path, capsys, monkeypatch):
    base = write_scenario(tmp_path, "tiny", {**FAST, "run": {**FAST["run"], "replicates": 2}})
    stricter = {"exit_controls": [{"from": "2010-01", "value": 1.0}]}
    body = {"meta": {"name": "stricter"}, "policy": stricter}
    policy = write_scenario(tmp_path, "pol", body, extends=base)
    monkeypatch.chdir(tmp_path)
    # no calibration/posterior.parquet in tmp_path: the chance-only comparison
    argv = ["compare", str(base), str(policy), "--jobs", "1", "--quiet", "--fixed-parameters"]
    assert main(argv) == 0
    out = tmp_path / "results" / "compare-stricter"
    assert folder_kind(out) == "compare"
    help_text = subprocess.run(
        [*FLIGHTSIM, "compare", "--help"], capture_output=True, text=True, timeout=60
    ).stdout
    assert "results/compare-<first policy's meta.name>" in " ".join(help_text.split())
    capsys.readouterr()
    assert main(argv) == 2
    assert "--force" in one_error_line(capsys.readouterr().err)
    assert main([*argv, "--force"]) == 0


def test_unwritable_out_is_refused_before_any_run(tmp_path, capsys, monkeypatch):
    scenario = write_scenario(tmp_path, "tiny", FAST)
    monkeypatch.setattr("sim.runs.runner.execute", no_runs)
    a_file = tmp_path / "notes.txt"
    a_file.write_text("keep")
    assert main(["run", str(scenario), "--out", str(a_file / "sub" / "out")]) == 2
    assert "is a file" in one_error_line(capsys.readouterr().err)
    assert a_file.read_text() == "keep"
    assert main(["run", str(scenario), "--out", "/"]) == 2
    one_error_line(capsys.readouterr().err)


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into a read-only folder")
def test_read_only_parent_is_refused_before_any_run(tmp_path, capsys, monkeypatch):
    scenario = write_scenario(tmp_path, "tiny", FAST)
    monkeypatch.setattr("sim.runs.runner.execute", no_runs)
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        assert main(["run", str(scenario), "--out", str(locked / "out")]) == 2
        assert "cannot write" in one_error_line(capsys.readouterr().err)
    finally:
        locked.chmod(0o755)


def _committed_calibration(tmp_path: Path) -> Path:
    folder = tmp_path / "calibration"
    folder.mkdir()
    shutil.copy(ROOT / "calibration" / "targets.yaml", folder / "targets.yaml")
    text = (
        (folder / "targets.yaml")
        .read_text()
        .replace("../scenarios/baseline.yaml", str(ROOT / "scenarios" / "baseline.yaml"))
    )
    (folder / "targets.yaml").write_text(text)
    (folder / "fitted.yaml").write_text("world: {}  # committed\n")
    return folder


def test_calibrate_never_writes_into_a_committed_calibration(tmp_path, capsys, monkeypatch):
    from sim.cli.calibrate import RESULTS, calibration_folder

    folder = _committed_calibration(tmp_path)
    targets = str(folder / "targets.yaml")
    monkeypatch.setattr("sim.calibrate.smc.run_abc", no_runs)
    assert main(["calibrate", targets, "--out", str(folder), "--quiet"]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert "--overwrite-fit" in line and str(folder) in line
    assert sorted(p.name for p in folder.iterdir()) == ["fitted.yaml", "targets.yaml"]
    assert (folder / "fitted.yaml").read_text() == "world: {}  # committed\n"

    class Args:
        out = None
        overwrite_fit = False

    Args.targets = targets
    assert calibration_folder(Args) == RESULTS / "targets"  # type: ignore[arg-type]
    Args.out, Args.overwrite_fit = str(folder), True
    assert calibration_folder(Args) == folder  # type: ignore[arg-type]
    help_text = " ".join(
        subprocess.run(
            [*FLIGHTSIM, "calibrate", "--help"], capture_output=True, text=True, timeout=60
        ).stdout.split()
    )
    assert (
        "results/calibration/<targets file stem>/" in help_text and "--overwrite-fit" in help_text
    )


# -------------------------------------------------------------------------- sweep lock
def test_lock_refuses_a_live_owner_and_takes_over_a_dead_one(tmp_path, capsys):
    folder = tmp_path / "sweep"
    folder.mkdir()
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (folder / LOCK_NAME).write_text(json.dumps({"pid": sleeper.pid, "host": HOST}))
        with pytest.raises(FolderRefused, match=f"process {sleeper.pid}"), FolderLock(folder):
            pass
        (folder / LOCK_NAME).write_text(json.dumps({"pid": sleeper.pid, "host": "elsewhere"}))
        with pytest.raises(FolderRefused, match="on elsewhere"), FolderLock(folder):
            pass
    finally:
        sleeper.kill()
        sleeper.wait()
    gone = dead_pid()
    (folder / LOCK_NAME).write_text(json.dumps({"pid": gone, "host": HOST}))
    capsys.readouterr()
    with FolderLock(folder):
        held = json.loads((folder / LOCK_NAME).read_text())
        assert held == {"pid": os.getpid(), "host": HOST}
    assert f"took over the lock of process {gone}" in capsys.readouterr().err
    assert not (folder / LOCK_NAME).exists()


def test_two_sweep_drivers_on_one_folder(tmp_path):
    sweep = {
        "name": "ishigami",
        "model": "ishigami",
        "model_options": {"sleep": 0.2},
        "parameters": [{"path": f"x{i}", "bounds": [-3.14159, 3.14159]} for i in (1, 2, 3)],
        "outputs": [{"name": "y"}],
        "method": "sobol",
        "sample_size": 4,
        "replicates": 1,
        "seed": 11,
        "batch_size": 2,
    }
    path = tmp_path / "ishigami.yaml"
    path.write_text(yaml.safe_dump(sweep))
    out = tmp_path / "out"
    argv = [*FLIGHTSIM, "sensitivity", str(path), "--workers", "1", "--out", str(out), "--quiet"]
    first = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not (out / LOCK_NAME).exists():
            assert first.poll() is None, first.communicate()
            assert time.monotonic() < deadline, "the first driver never locked its folder"
            time.sleep(0.05)
        second = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        assert second.returncode == 2
        assert f"process {first.pid}" in one_error_line(second.stderr)
        _, err = first.communicate(timeout=300)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert first.returncode == 0, err
    record = json.loads((out / "sweep.json").read_text())
    import pandas as pd  # heavy: only this test reads the chunks

    runs = pd.concat(pd.read_parquet(p) for p in (out / "runs").glob("chunk-*.parquet"))
    assert sorted(runs["run"]) == list(range(record["n_runs"]))
    assert not (out / LOCK_NAME).exists()


# ------------------------------------------------------------------ interrupts and orphans
def _start_many(tmp_path: Path) -> tuple[subprocess.Popen, list[psutil.Process]]:
    scenario = write_scenario(tmp_path, "many", MANY)
    proc = subprocess.Popen(
        [*FLIGHTSIM, "run", str(scenario), "--out", str(tmp_path / "o"), "--jobs", "2", "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    parent = psutil.Process(proc.pid)
    workers: list[psutil.Process] = []
    while len(workers) < 2:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the pool never started"
        time.sleep(0.1)
        workers = [
            c for c in parent.children(recursive=True) if "spawn_main" in " ".join(c.cmdline())
        ]
    return proc, parent.children(recursive=True)


def _gone(processes: list[psutil.Process], within: float = 15.0) -> list[int]:
    """Ids of the processes still alive (not zombies) after waiting up to ``within`` s."""
    _, alive = psutil.wait_procs(processes, timeout=within)
    return [p.pid for p in alive if p.status() != psutil.STATUS_ZOMBIE]


def test_sigkill_leaves_no_worker_or_resource_tracker(tmp_path):
    proc, children = _start_many(tmp_path)
    try:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        assert _gone(children) == []
    finally:
        for child in children:
            if child.is_running():
                child.kill()
    assert not (tmp_path / "o").exists()


def test_ctrl_c_prints_one_line_and_exits_130(tmp_path):
    proc, children = _start_many(tmp_path)
    try:
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130
    assert "interrupted" in one_error_line(err)
    assert _gone(children) == []
    assert not (tmp_path / "o").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["many.yaml"]


def test_leftovers_of_a_killed_command_are_cleaned_only_if_ours_and_dead(tmp_path):
    scenario = write_scenario(tmp_path, "tiny", FAST)
    results = tmp_path / "results"
    results.mkdir()
    gone, alive = dead_pid(), os.getpid()
    stale = [f".o.tmp-{gone}@{HOST}-abc123", f".prev.old-{gone}@{HOST}", f"..tmp-{gone}@{HOST}-x"]
    kept = [f".o.tmp-{alive}@{HOST}-abc123", f".o.tmp-{gone}@elsewhere-abc", ".o.tmp-k2j3h4"]
    for name in stale[:2] + kept:
        (results / name).mkdir()
        (results / name / "timeseries.csv").write_text("half")
    (results / stale[2]).write_text("half")
    (results / "prev").mkdir()  # a .old copy whose folder exists again is removed
    argv = ["run", str(scenario), "--out", str(results / "o"), "--jobs", "1", "--quiet"]
    assert main(argv) == 0
    assert sorted(p.name for p in results.iterdir()) == sorted([*kept, "o", "prev"])


def test_an_interrupted_replacement_is_restored(tmp_path):
    gone = dead_pid()
    old = tmp_path / f".run.old-{gone}@{HOST}"
    old.mkdir()
    (old / "manifest.json").write_text("{}")
    notes = clean_stale_temporaries(tmp_path)
    assert (tmp_path / "run" / "manifest.json").read_text() == "{}"
    assert not old.exists() and "restored" in notes[0]


# ----------------------------------------------------------------- pipes and schedulers
def test_schema_into_a_closed_pipe_is_quiet():
    proc = subprocess.Popen(
        [*FLIGHTSIM, "schema"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    proc.stdout.close()  # the reader is gone before anything is written, as with `| head -0`
    err = proc.stderr.read()
    proc.wait(timeout=60)
    assert proc.returncode == 141
    assert err == ""


def test_schema_out_replaces_only_an_earlier_schema(tmp_path, capsys):
    mine = tmp_path / "notes.json"
    mine.write_text('{"title": "my notes"}')
    assert main(["schema", "--out", str(mine)]) == 2
    assert "not a flightsim schema" in one_error_line(capsys.readouterr().err)
    assert mine.read_text() == '{"title": "my notes"}'
    assert main(["schema", "--out", str(tmp_path)]) == 2
    assert main(["schema", "--out", str(tmp_path / "missing" / "s.json")]) == 2
    capsys.readouterr()
    schema = tmp_path / "s.json"
    assert main(["schema", "--out", str(schema)]) == 0
    assert main(["schema", "--out", str(schema)]) == 0
    assert json.loads(schema.read_text())["title"] == "flightsim scenario"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.json", "s.json"]


def test_scheduler_that_is_not_an_address(tmp_path, capsys):
    scenario = write_scenario(tmp_path, "tiny", FAST)
    out = tmp_path / "o"
    assert main(["run", str(scenario), "--out", str(out), "--scheduler", "foo"]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert "--scheduler foo" in line and "tcp://HOST:PORT" in line
    assert not out.exists()


def test_silent_scheduler_times_out_cleanly(tmp_path, capsys, monkeypatch):
    scenario = write_scenario(tmp_path, "tiny", FAST)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    monkeypatch.setattr("sim.runs.cluster.CONNECT_SECONDS", 2.0)
    address = f"tcp://127.0.0.1:{listener.getsockname()[1]}"
    out = tmp_path / "o"
    try:
        assert main(["run", str(scenario), "--out", str(out), "--scheduler", address]) == 2
    finally:
        listener.close()
        for conn in accepted:
            conn.close()
    line = one_error_line(capsys.readouterr().err)
    assert f"--scheduler {address}: cannot connect" in line and "within 2 s" in line
    assert accepted, "the probe never connected"
    assert not out.exists()
