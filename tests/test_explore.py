"""The explorer's pure parts: controls to scenario and YAML, saving, tables, map, command line.

The page itself is driven in a browser by tests/test_explore_browser.py.
"""

from __future__ import annotations

import base64
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import numpy as np
import pytest
from matplotlib.figure import Figure

from sim.cli.explore import explore_environment
from sim.cli.main import build_parser, main
from sim.compare.engine import compute_comparison, first_difference
from sim.errors import InputError, ScenarioError
from sim.explore.levers import (
    EXPLORED_NAME,
    NewPledge,
    NewTreaty,
    VisaChange,
    build_policy,
    control_docs,
    default_controls,
    export_yaml,
    level_at,
    run_settings,
    visa_choices,
)
from sim.explore.results import (
    CHANNELS,
    HEADLINE,
    CountingExecutor,
    LatestRun,
    Superseded,
    format_number,
    run_explorer,
    tables_of,
)
from sim.explore.saving import download_link, save_yaml
from sim.explore.worldmap import map_figure, mapped_codes, unmapped
from sim.scenario.load import load_scenario
from tests.support import BASELINE, ROOT


@pytest.fixture(scope="module")
def base():
    return load_scenario(BASELINE)


def test_default_controls_leave_the_scenario_as_it_is(base):
    controls = default_controls(base)
    assert controls.knobs["pursuit"].level == 0.7  # level in 2026, without pulses
    policy = build_policy(base, controls)
    assert policy.meta.name == EXPLORED_NAME
    assert (policy.run.scale, policy.run.replicates, policy.run.seed) == (100, 4, base.run.seed)
    assert first_difference(run_settings(base, controls), policy) is None


def test_knob_keeps_the_past_and_holds_its_level_from_its_month(base):
    controls = default_controls(base).with_knob("pursuit", start="2020-06", level=2.5)
    policy = build_policy(base, controls)
    steps = [(s.start, s.value) for s in policy.policy.pursuit]
    assert steps[-1] == ("2020-06", 2.5)
    assert all(s < "2020-06" for s, _ in steps[:-1])
    assert level_at(policy.policy.pursuit, "2020-05") == 0.7  # without pulses
    assert level_at(policy.policy.campaign, "2030-12") == level_at(base.policy.campaign, "2030-12")
    assert first_difference(run_settings(base, controls), policy) == "2020-06"


def test_treaty_and_pledge_are_added(base):
    controls = replace(
        default_controls(base),
        treaty=NewTreaty("CAN", "2027-03"),
        pledge=NewPledge(enabled=True, members="usa, can", date="2026-05", level=0.8,
                         compliance=0.6),
    )  # fmt: skip
    policy = build_policy(base, controls)
    assert policy.policy.treaties.add[-1].model_dump() == {"iso3": "CAN", "date": "2027-03"}
    pledge = policy.policy.pledges[-1]
    assert (pledge.members, pledge.pledge_level, pledge.compliance) == (("USA", "CAN"), 0.8, 0.6)
    assert policy.policy.pledges[:-1] == base.policy.pledges
    group = replace(controls, pledge=replace(controls.pledge, members="g20"))
    assert build_policy(base, group).policy.pledges[-1].members == "g20"


def test_an_investor_visa_route_is_closed_from_its_date(base):
    assert {"USA", "CAN", "PRT", "GBR", "AUS"} <= set(visa_choices())
    closed = build_policy(base, replace(default_controls(base), visa=VisaChange("USA", "2026-07")))
    changes = closed.policy.investor_visa_changes
    assert changes[:-1] == base.policy.investor_visa_changes
    assert changes[-1].model_dump() == {"iso3": "USA", "date": "2026-07", "open": False}
    assert build_policy(base, default_controls(base)).policy.investor_visa_changes == (
        base.policy.investor_visa_changes
    )
    with pytest.raises(ScenarioError, match="policy.investor_visa_changes"):
        build_policy(base, replace(default_controls(base), visa=VisaChange("USA", "2026-13")))
    assert {"visa.iso3", "visa.date", "visa.open"} <= set(control_docs())


def test_bad_control_values_name_the_field(base):
    with pytest.raises(ScenarioError, match="policy.treaties.add"):
        build_policy(base, replace(default_controls(base), treaty=NewTreaty("CAN", "2027-13")))
    with pytest.raises(ScenarioError, match="policy.pursuit"):
        build_policy(base, default_controls(base).with_knob("pursuit", level=-1.0))


def test_exported_yaml_loads_back_as_the_same_scenario(base, tmp_path):
    controls = replace(default_controls(base).with_knob("campaign", level=0.4),
                       treaty=NewTreaty("USA", "2026-06"))  # fmt: skip
    path = tmp_path / "explored.yaml"
    save_yaml(path, export_yaml(base, controls))
    assert load_scenario(path) == build_policy(base, controls)


def test_save_never_overwrites(tmp_path):
    path = tmp_path / "a.yaml"
    assert save_yaml(path, "x: 1\n") == f"saved {path}"
    with pytest.raises(InputError, match="exists"):
        save_yaml(path, "y: 2\n")
    assert path.read_text() == "x: 1\n"
    with pytest.raises(InputError, match=".yaml"):
        save_yaml(tmp_path / "a.txt", "")
    with pytest.raises(InputError, match="does not exist"):
        save_yaml(tmp_path / "no" / "a.yaml", "")


def test_control_docs_come_from_the_schema():
    docs = control_docs()
    assert docs["pursuit"].meaning == "international pursuit effort"
    assert docs["pursuit"].unit == "intensity schedule"
    assert docs["pledge.compliance"].unit == "0-1 share"
    assert docs["treaty.iso3"].unit == "ISO3 code"


def test_tables_match_the_comparison(base):
    controls = default_controls(base, scale=1000, replicates=2).with_knob("pursuit", level=3.0)
    controls = replace(controls, treaty=NewTreaty("USA", "2026-01"))
    policy = build_policy(base, controls)
    finished = []
    with ThreadPoolExecutor(1) as pool:
        result = run_explorer(base, policy, CountingExecutor(pool, lambda: finished.append(1)))
    assert len(finished) == 4
    same = compute_comparison([run_settings(base, controls), policy], ["a", "b"], jobs=1,
                              show_progress=False)  # fmt: skip
    assert result.effects.equals(same.effects)
    tables = tables_of(result)
    assert tables.labels == ("baseline", EXPLORED_NAME)
    assert list(tables.effects["outcome"]) == list(HEADLINE)
    assert (tables.series["low"] <= tables.series["mean"]).all()
    assert (tables.series["mean"] <= tables.series["high"]).all()
    for label in tables.labels:
        mine = tables.channels[tables.channels["scenario"] == label]["value"].sum()
        rows = result.outcomes[(result.outcomes["scenario"] == label)
                               & result.outcomes["outcome"].isin(CHANNELS)]  # fmt: skip
        assert mine == pytest.approx(rows["value"].sum() / 2)
    last = tables.destinations[tables.destinations["year"] == 2030]
    assert set(last["iso3"]) >= {"USA", "XCB", "HKG"}
    assert np.isfinite(last["stock_abroad"]).all()


def test_format_number():
    assert format_number(12.345, "officials") == "+12.3"
    assert format_number(-0.01234, "share") == "-0.012"
    assert format_number(2.5e6, "US$") == "+2.5M"


def test_map_colours_what_it_can_and_lists_the_rest():
    shown = mapped_codes()
    assert {"USA", "CAN", "AUS", "CHN", "XCB", "XWF"} <= shown
    assert unmapped({"USA": 1.0, "SGP": 2.0, "HKG": 3.0, "MAC": 0.0, "XCB": 4.0}) == {
        "SGP": 2.0, "HKG": 3.0, "MAC": 0.0}  # fmt: skip
    fig = map_figure({"base": {"USA": 10.0}, "explored": {"USA": 5.0}}, 2030)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 3  # two maps and the colour bar


def test_explore_refuses_a_missing_scenario(tmp_path, capsys):
    assert main(["explore", str(tmp_path / "none.yaml")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "none.yaml" in err[0]


def test_explore_environment_defaults(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)  # the defaults are paths in the project
    args = build_parser().parse_args(["explore"])
    assert (args.host, args.port) == ("127.0.0.1", 8765)
    env = explore_environment(args)
    assert env["FLIGHTSIM_EXPLORE_BASE"] == "scenarios/baseline.yaml"
    assert env["FLIGHTSIM_EXPLORE_POSTERIOR"] == "calibration/posterior.parquet"
    assert env["SOLARA_ASSETS_CDN"].startswith("http://127.0.0.1:")
    missing = build_parser().parse_args(["explore", "--posterior", str(tmp_path / "p.parquet")])
    with pytest.raises(InputError, match="p.parquet"):
        explore_environment(missing)


def test_posterior_draws_are_shared_by_base_and_policy(base):
    controls = default_controls(base, scale=1000, replicates=2).with_knob("pursuit", level=3.0)
    policy = build_policy(base, controls)
    with ThreadPoolExecutor(1) as pool:
        result = run_explorer(base, policy, pool, posterior=ROOT / "calibration/posterior.parquet")
    drawn = [r.params for r in result.results]
    assert drawn[0] and drawn[:2] == drawn[2:]  # replicate k of both runs draws the same row


def test_download_link_holds_what_save_writes(base, tmp_path):
    text = export_yaml(base, default_controls(base).with_knob("pursuit", level=2.5))
    link = download_link(text, "explored.yaml")
    assert 'id="download-yaml"' in link and 'download="explored.yaml"' in link
    data = re.search(r'href="data:application/x-yaml;charset=utf-8;base64,([^"]+)"', link)
    path = tmp_path / "explored.yaml"
    save_yaml(path, text)
    assert base64.b64decode(data.group(1)) == path.read_bytes()


def test_a_newer_run_cancels_the_stale_one_between_replicates(base):
    """The stale run stops after its first replicate and its result is discarded."""
    controls = default_controls(base, scale=1000, replicates=3).with_knob("pursuit", level=3.0)
    policy = build_policy(base, controls)
    runs = LatestRun()
    done: list[str] = []
    with ThreadPoolExecutor(1) as pool:

        def stale_done() -> None:
            done.append("stale")
            if len(done) == 1:  # the levers change while the first run is going
                runs.begin(pool, lambda: done.append("new"))

        stale = runs.begin(pool, stale_done)
        with pytest.raises(Superseded):
            runs.run(stale, run_explorer, base, policy, stale)
        assert done == ["stale"]  # one of its 6 replicates ran; the other 5 never started
        newest = runs.begin(pool, lambda: done.append("newest"))
        result = runs.run(newest, run_explorer, base, policy, newest)
    assert done == ["stale"] + ["newest"] * 6
    assert runs.is_current(newest) and not runs.is_current(stale)
    assert result.effects["estimate"].notna().all()


def test_a_result_that_arrives_after_a_newer_run_began_is_never_shown():
    runs = LatestRun()
    with ThreadPoolExecutor(1) as pool:
        old = runs.begin(pool, lambda: None)

        def finished_late() -> str:
            runs.begin(pool, lambda: None)  # a newer run begins just before this one ends
            return "old result"

        with pytest.raises(Superseded):
            runs.run(old, finished_late)
        newest = runs.begin(pool, lambda: None)
        assert runs.run(newest, lambda: "new result") == "new result"
        assert old.cancelled.is_set() and not newest.cancelled.is_set()
