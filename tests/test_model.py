"""The model: determinism, conservation, common random numbers, a closed-form toy, record view."""

import gc

import mesa
import numpy as np
import pandas as pd
import pytest
from support import small

from sim.core.model import FlightModel
from sim.core.population import OfficialState, entry_schedule
from sim.core.rules import monthly_probability
from sim.runs.replicates import run


@pytest.fixture(scope="module")
def base_runs():
    s = small()
    return s, run(s, 0), run(s, 0), run(s, 1)


def test_same_seed_identical_tables(base_runs):
    _, a, b, _ = base_runs
    pd.testing.assert_frame_equal(a.monthly, b.monthly)
    pd.testing.assert_frame_equal(a.countries, b.countries)
    pd.testing.assert_frame_equal(a.events, b.events)


def test_other_replicate_differs(base_runs):
    _, a, _, c = base_runs
    assert not a.monthly["fled_abroad"].equals(c.monthly["fled_abroad"])


def test_other_seed_differs():
    s = small()
    a, b = run(s, 0), run(s, 0, seed=s.run.seed + 1)
    assert not a.monthly["exposed"].equals(b.monthly["exposed"])


def test_conservation_every_month(base_runs):
    s, a, _, _ = base_runs
    m = a.monthly
    n0, _ = entry_schedule(s)
    present = m[["in_office", "under_investigation", "stock_abroad", "stock_missing"]].sum(axis=1)
    ended = (
        m[
            [
                "caught_home",
                "caught_border",
                "returned",
                "prosecuted_abroad",
                "sanctioned_at_home",
                "retired",
                "died_abroad",
            ]
        ]
        .cumsum()
        .sum(axis=1)
    )
    total = n0 * s.run.scale + m["entered"].cumsum()
    assert np.array_equal(present + ended, total)


def test_returns_by_channel_add_up(base_runs):
    _, a, _, _ = base_runs
    m = a.monthly
    channels = m[
        [
            "returned_persuasion",
            "returned_deportation",
            "returned_extradition",
            "returned_surrender",
        ]
    ]
    assert np.array_equal(channels.sum(axis=1), m["returned"])
    c = a.countries
    yearly_returned = m.groupby("year")[["returned", "prosecuted_abroad"]].sum().sum(axis=1)
    assert np.array_equal(
        c.groupby("year")["returned_from"].sum().to_numpy(), yearly_returned.to_numpy()
    )


def test_state_counts_match_arrays():
    model = FlightModel(small(), replicate=0)
    for _ in range(120):
        model.step()
    pop = model.officials
    assert np.array_equal(pop.counts, np.bincount(pop.state[: pop.n], minlength=len(OfficialState)))
    abroad = pop.state[: pop.n] == OfficialState.ABROAD
    assert np.all(pop.destination[: pop.n][abroad] >= 0)


def test_policy_change_leaves_earlier_history_untouched():
    """A treaty from 2020 changes nothing before 2020: draws are keyed per official and month."""
    # scale 25: at the calibrated baseline a run at scale 100 has no fugitive in the United
    # States in 2020 (11 agents abroad), so the treaty would have nobody to cover
    s = small(scale=25)
    t = small({"policy.treaties.add": [{"iso3": "USA", "date": "2020-01"}]}, scale=25)
    a, b = run(s, 0), run(t, 0)
    before_a = a.monthly[a.monthly["date"] < "2020-01"].drop(columns=["scenario"])
    before_b = b.monthly[b.monthly["date"] < "2020-01"].drop(columns=["scenario"])
    pd.testing.assert_frame_equal(before_a, before_b)
    after = a.monthly["date"] >= "2020-01"
    # fugitives in the United States are no longer in a treaty-free place
    assert (
        b.monthly.loc[after, "stock_abroad_treaty_free"].sum()
        < a.monthly.loc[after, "stock_abroad_treaty_free"].sum()
    )
    ev_a = a.events[a.events["date"].astype(str) < "2020-01"].reset_index(drop=True)
    ev_b = b.events[b.events["date"].astype(str) < "2020-01"].reset_index(drop=True)
    pd.testing.assert_frame_equal(ev_a.drop(columns=["scenario"]), ev_b.drop(columns=["scenario"]))


def test_constant_hazard_gives_geometric_time_abroad():
    """Toy: only surrender, at a constant rate: time abroad is geometric, p = 1 - exp(-r/12)."""
    r = 0.6
    s = small(
        {
            "world.returns": {
                "persuasion_per_year": 0.0,
                "deportation_per_year": 0.0,
                "extradition_per_year": 0.0,
                "prosecution_per_year": 0.0,
                "surrender_per_year": r,
                "death_per_year": 0.0,
            },
            "world.destination.move_on_per_year": 0.0,
            "world.destination.transit_move_on_per_year": 0.0,
            "world.assets.confiscation_per_year": 0.0,
            "world.fugitives.frailty_variance": 0.0,  # one hazard for all: no frailty
            "world.fugitives.covert_return_per_year": 0.0,
            "world.decision.flee_constant": 0.0,
            "policy.pursuit": [],
            "policy.leniency_windows": [],
            "run.end": "2000-12",
        },
        scale=4,  # about 390 fugitives before 1995 at the calibrated exposure rate
    )
    ev = run(s, 0).events
    fled = ev[ev["event"] == "fled_abroad"].set_index("official_id")["date"].astype(str)
    back = ev[ev["event"] == "returned"].set_index("official_id")["date"].astype(str)
    fled = fled[fled < "1995-01"]
    months = pd.Series(
        {i: _months(d, back.get(i)) for i, d in fled.items()}
    )  # months until return, NaN if censored
    p = float(monthly_probability(r))
    # P(returned within 12 months) for fugitives observed at least 12 months
    observed = months.dropna().le(12).sum()
    n = len(months)
    expected = 1 - (1 - p) ** 12
    assert n > 300
    assert abs(observed / n - expected) < 4 * np.sqrt(expected * (1 - expected) / n)
    # and the draw never returns someone in the month they fled
    assert months.dropna().min() >= 1


def _months(start: str, end: str | None) -> float:
    if end is None:
        return np.nan
    y0, m0 = map(int, start.split("-"))
    y1, m1 = map(int, end.split("-"))
    return (y1 - y0) * 12 + (m1 - m0)


def test_record_view_follows_an_official(base_runs):
    s, a, _, _ = base_runs
    model = FlightModel(s, replicate=0)
    model.run_model()
    returned = a.events[a.events["event"] == "returned"].iloc[0]
    rec = model.officials.record(int(returned["official_id"]))
    assert rec["state"] == "returned"
    assert rec["how"] == returned["how"]
    assert rec["assets_taken_usd"] >= rec["assets_recovered_usd"] >= 0
    # Calendar months and ISO3 codes, as in the event log, not step counters or indices.
    assert rec["state_since"] == returned["date"]
    own = a.events[a.events["official_id"] == rec["official_id"]]
    assert rec["fled"] == own.loc[own["event"] == "fled_abroad", "date"].iloc[0]
    assert rec["destination"] == returned["country"]
    assert rec["entered"] <= rec["fled"] <= rec["state_since"]
    assert all(len(rec[k]) == 7 and rec[k][4] == "-" for k in ("entered", "fled", "state_since"))
    assert rec["family_country"] is None or len(rec["family_country"]) == 3
    with pytest.raises(KeyError):
        model.officials.record(10**9)


def test_scale_multiplies_counts(base_runs):
    """Counts are of real officials: a run at a finer scale gives about the same totals."""
    s, a, _, _ = base_runs
    fine = run(small({"run.end": "2000-12"}, scale=25), 0).monthly
    coarse = a.monthly[a.monthly["date"] <= "2000-12"]
    for name in ("exposed", "in_office"):
        assert abs(fine[name].sum() / coarse[name].sum() - 1) < 0.08, name
    assert (
        abs(a.monthly["in_office"].iloc[0] - s.world.population.initial_officials)
        < 0.02 * s.world.population.initial_officials
    )


def test_treaties_enter_into_force_on_their_dates(base_runs):
    _, a, _, _ = base_runs
    c = a.countries
    tha = c[c["iso3"] == "THA"].set_index("year")["treaty_in_force"]
    assert tha[1998] == 0 and tha[1999] == 1  # in force 1999-03-07
    aus = c[c["iso3"] == "AUS"]["treaty_in_force"]
    assert aus.max() == 0  # signed 2007, never in force
    fra = c[c["iso3"] == "FRA"].set_index("year")["treaty_in_force"]
    assert fra[2014] == 0 and fra[2015] == 1


@pytest.mark.parametrize("start", ["1999-02", "1999-03", "1999-04", "1999-05"])
def test_treaty_in_force_just_before_the_start_counts(start):
    """Thailand's treaty (in force 1999-03) holds whatever month the run starts in."""
    model = FlightModel(small({"run.start": start, "run.end": "2001-12"}))
    tha = model.table.index("THA")
    model.step()
    expected = start >= "1999-03"
    assert bool(model.country_states.treaty_in_force[tha]) is expected


def test_endogenous_signing_only_by_countries():
    s = small(
        {
            "policy.treaties.endogenous_signing": True,
            "world.cooperation.treaty_signing_threshold": 0.0,
            "world.cooperation.treaty_signing_per_year": 50.0,
            "run.start": "2000-01",
            "run.end": "2010-12",
        }
    )
    model = FlightModel(s)
    model.run_model()
    cs = model.country_states
    for iso3 in ("HKG", "MAC", "XCB"):
        assert not cs.treaty_in_force[model.table.index(iso3)]
    assert cs.treaty_in_force[model.table.index("USA")] == 1.0


def test_mesa_keeps_the_clock_the_registry_and_the_monthly_table():
    s = small({"run.start": "2000-01", "run.end": "2000-06"})
    model = FlightModel(s)
    assert model.steps == 0 and model.running
    assert len(model.country_agents) == len(model.table)
    assert [a.iso3 for a in model.country_agents] == list(model.table.iso3)
    assert model.state_agent in model.agents
    model.step()
    assert model.steps == 1 and model.running
    model.run_model()  # Mesa's loop, ended by the model's running flag
    assert model.steps == model.n_steps == 6 and not model.running
    table = model.monthly_table()
    assert len(table) == 6
    assert table["entered"].sum() > 0
    assert model.state_agent.current.campaign == model.levers.at(5).campaign


def test_country_table_and_monthly_series_count_the_same_officials(base_runs):
    """Both are converted from agents to officials once: by-country stocks add up to the total."""
    _, a, _, _ = base_runs
    year_end = a.monthly.groupby("year")["stock_abroad"].last()
    by_country = a.countries.groupby("year")["stock_abroad"].sum()
    assert np.array_equal(by_country.to_numpy(), year_end.to_numpy())
    assert year_end.iloc[-1] > 0
    fled = a.countries.groupby("year")["fled_to"].sum()
    flows = a.monthly.groupby("year")[["fled_abroad", "moved_on"]].sum().sum(axis=1)
    assert np.array_equal(fled.to_numpy(), flows.to_numpy())


def test_a_finished_run_leaves_no_model_behind():
    """Mesa 3.3 keeps each model in ``Agent._ids``; ``run`` releases it (about 17 MB a run)."""

    def alive() -> int:
        gc.collect()
        return sum(isinstance(o, FlightModel) for o in gc.get_objects())

    def counted() -> int:
        return sum(isinstance(key, FlightModel) for key in mesa.Agent._ids)

    before, keys = alive(), counted()
    for replicate in range(3):
        run(small(), replicate)
    assert alive() == before
    assert counted() == keys
