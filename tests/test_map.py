"""The whole map: every place belongs to one destination row; no aggregate row dominates."""

from __future__ import annotations

import csv
import json
from importlib import resources

import numpy as np
import pytest
from support import ROOT

from sim.runs.replicates import run
from sim.scenario.load import load_scenario
from sim.world.countries import load_countries, load_members, natural_earth_rows

TABLE = load_countries()


def _outline_names() -> list[str]:
    text = resources.files("sim.explore").joinpath("data", "world_110m.geojson").read_text("utf-8")
    return [f["properties"]["name"] for f in json.loads(text)["features"]]


def test_every_outline_of_the_explorer_map_maps_to_exactly_one_row():
    rows = natural_earth_rows()
    with open(ROOT / "sim/world/data/members.csv", encoding="utf-8") as fh:
        listed = [r["natural_earth_name"] for r in csv.DictReader(fh) if r["natural_earth_name"]]
    assert len(listed) == len(set(listed))  # no outline listed twice
    for name in _outline_names():
        if name == "China":
            continue
        assert name in rows, name
        assert rows[name] in TABLE.iso3


def test_every_row_has_members_and_every_member_one_row():
    members = load_members()
    for code, row in members.items():
        assert row in TABLE.iso3, code
    for i, code in enumerate(TABLE.iso3):
        count = sum(1 for row in members.values() if row == code)
        assert count == TABLE.members[i] >= 1, code
        if TABLE.kind[i] != "aggregate":
            assert members[code] == code
    assert len(members) > 200  # the whole world, territories included
    assert "ROW" not in TABLE.iso3


def test_aggregate_rows_carry_the_logit_size_term_not_a_hand_set_weight():
    aggregate = np.array([k == "aggregate" for k in TABLE.kind])
    assert aggregate.sum() >= 10
    assert np.array_equal(TABLE.log_size[aggregate], np.log(TABLE.members[aggregate]))
    assert np.all(TABLE.log_size[~aggregate] == 0.0)
    assert not hasattr(TABLE, "hub_weight")


def test_no_aggregate_row_holds_more_than_a_tenth_of_the_stock_abroad_at_baseline():
    scenario = load_scenario(ROOT / "scenarios/baseline.yaml")
    scenario = scenario.model_copy(update={"run": scenario.run.model_copy(update={"scale": 20})})
    tables = [run(scenario, r).countries for r in range(4)]
    stock = sum(t.set_index(["year", "iso3"])["stock_abroad"] for t in tables).unstack()
    stock = stock.loc[1990:2030]
    shares = stock.div(stock.sum(axis=1), axis=0).fillna(0.0)
    aggregates = [c for c, k in zip(TABLE.iso3, TABLE.kind, strict=True) if k == "aggregate"]
    assert shares[aggregates].to_numpy().max() <= 0.10  # measured: XME 5.1% in 1990 (scale 20)
    assert stock.sum(axis=1).loc[2000:].min() > 0
    assert shares[aggregates].to_numpy().max() > 0.02  # the aggregates do receive fugitives


@pytest.mark.parametrize("code", ["XWF", "XCB", "XSM", "XOC"])
def test_aggregate_attributes_come_from_members(code):
    i = TABLE.index(code)
    assert TABLE.kind[i] == "aggregate"
    assert TABLE.diaspora_thousands[i] >= TABLE.members[i]  # at least 1 thousand per member
