"""The documented Python API: names importable from ``sim``, the same numbers as the command-line
engine, clear errors, and the example notebook runs from top to bottom."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim.compare.engine import run_comparison
from sim.errors import CompareError

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"
SHORT = {"run.scale": 200, "run.end": "2016-12"}


def test_every_listed_name_is_importable_and_documented():
    for name in sim.__all__:
        value = getattr(sim, name)
        if name != "__version__":
            assert callable(value) and value.__doc__, f"sim.{name}: not a documented callable"
    assert set(sim.__all__) <= set(dir(sim))
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        sim.nothing  # noqa: B018


def test_importing_the_package_root_does_not_load_the_model():
    code = "import sys, sim; print('sim.api' in sys.modules, 'mesa' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]


@pytest.fixture(scope="module")
def pair():
    base = sim.load_scenario(BASELINE, SHORT)
    policy = sim.with_overrides(base, {"meta.name": "no_campaign", "policy.campaign": []})
    return base, policy


def test_run_replicates_matches_run(pair):
    base, _ = pair
    runs = sim.run_replicates(base, replicates=2, seed=7)
    assert [r.replicate for r in runs] == [0, 1]
    one = sim.run(base, 1, seed=7)
    pd.testing.assert_frame_equal(runs[1].monthly, one.monthly)
    assert not runs[0].monthly.equals(runs[1].monthly)


def test_compare_gives_the_command_line_engine_numbers(pair, tmp_path):
    base, policy = pair
    effects = sim.compare_policies(base, policy, replicates=2, seed=3)
    folder = run_comparison(
        [base, policy], ["base", "policy"], out=tmp_path / "c", replicates=2, seed=3, jobs=1,
        show_progress=False,
    )  # fmt: skip
    written = pd.read_parquet(folder / "effects.parquet")
    pd.testing.assert_frame_equal(effects.drop(columns="label"), written)
    assert effects.attrs["horizon"] == ("1978-01", "2016-12")
    assert effects.loc[effects["outcome"] == "fled_abroad", "label"].item() == (
        "Officials who fled abroad"
    )
    assert set(effects["policy"]) == {"no_campaign"}


def test_compare_errors(pair):
    base, policy = pair
    with pytest.raises(CompareError, match="at least one policy"):
        sim.compare_policies(base)
    with pytest.raises(CompareError, match="at least 2 replicates"):
        sim.compare_policies(base, policy, replicates=1)
    with pytest.raises(CompareError, match="horizon"):
        sim.compare_policies(base, policy, replicates=2, horizon="2040-01:2041-01")


def test_example_notebook_runs(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    path = ROOT / "docs" / "api_example.ipynb"
    notebook = nbformat.read(path, as_version=4)
    assert all(not c.get("outputs") for c in notebook.cells if c.cell_type == "code"), (
        "commit the notebook without outputs"
    )
    client = nbclient.NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}
    )
    client.execute()
    last = notebook.cells[-1]
    assert last.cell_type == "code" and last.outputs, "the last cell shows the comparison table"
