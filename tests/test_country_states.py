"""Country states: cooperation moves toward its target, peer means, treaty counts."""

from collections import defaultdict

import numpy as np
import pytest

from sim.core.agents import CountryStates
from sim.core.levers import compile_levers, compile_treaties
from sim.core.rng import Streams
from sim.core.rules import monthly_probability
from sim.scenario.schema import Scenario
from sim.world.countries import load_countries

TABLE = load_countries()


def _states(policy: dict | None = None) -> tuple[Scenario, CountryStates]:
    s = Scenario.model_validate(
        {"run": {"start": "2010-01", "end": "2011-12"}, "policy": policy or {}}
    )
    return s, CountryStates(TABLE, s, Streams(1, 0)["treaty"])


def test_cooperation_moves_a_known_share_toward_its_target():
    s, cs = _states()
    p = s.world.cooperation
    cs.cooperation = np.zeros(len(TABLE))  # every peer mean is 0: the target is known
    cs.update(0, compile_levers(s, TABLE).at(0))
    target = np.minimum(
        (1 - p.peer_weight) * TABLE.base_cooperation,
        cs.ceiling,
    )
    k = monthly_probability(p.adjustment_per_year)
    assert cs.cooperation == pytest.approx(k * np.clip(target, 0, 1))
    # from full cooperation it falls toward the (lower) target, never past it
    _, high = _states()
    high.cooperation = np.ones(len(TABLE))
    high.update(0, compile_levers(s, TABLE).at(0))
    assert np.all(high.cooperation < 1) and np.all(high.cooperation > cs.cooperation)


def test_a_pledge_raises_only_its_members_cooperation():
    s, plain = _states()
    t, pledged = _states({"pledges": [{"name": "p", "date": "2010-01", "members": ["USA"]}]})
    plain.update(0, compile_levers(s, TABLE).at(0))
    pledged.update(0, compile_levers(t, TABLE).at(0))
    usa = TABLE.index("USA")
    assert pledged.cooperation[usa] > plain.cooperation[usa]
    others = np.arange(len(TABLE)) != usa
    assert np.array_equal(pledged.cooperation[others], plain.cooperation[others])


def test_peer_mean_is_the_mean_of_the_region():
    _, cs = _states()
    cs.cooperation = np.linspace(0, 1, len(TABLE))
    by_region = defaultdict(list)
    for i, region in enumerate(TABLE.region):
        by_region[region].append(cs.cooperation[i])
    expected = [np.mean(by_region[region]) for region in TABLE.region]
    assert cs.peer_mean() == pytest.approx(expected)
    assert len(set(TABLE.region)) > 3  # peers differ by region


def test_treaties_in_force_counts_only_countries():
    plain_s, plain = _states()
    places = [{"iso3": c, "date": "2010-01"} for c in ("HKG", "MAC", "XCB")]
    _, more = _states({"treaties": {"add": places}})
    _, usa = _states({"treaties": {"add": [{"iso3": "USA", "date": "2010-01"}]}})
    for cs in (plain, more, usa):
        cs.refresh_treaties(0)
    for code in ("HKG", "MAC", "XCB"):
        assert more.treaty_in_force[TABLE.index(code)] == 1.0
    assert plain.treaties_in_force() > 20
    assert more.treaties_in_force() == plain.treaties_in_force()
    assert usa.treaties_in_force() == plain.treaties_in_force() + 1


def test_mean_cooperation_leaves_out_the_aggregate_rows():
    _, cs = _states()
    cs.cooperation = np.zeros(len(TABLE))
    cs.cooperation[TABLE.index("XCB")] = 1.0
    assert cs.mean_cooperation() == 0.0
    cs.cooperation[TABLE.index("HKG")] = 1.0
    n_aggregates = TABLE.kind.count("aggregate")
    assert cs.mean_cooperation() == pytest.approx(1 / (len(TABLE) - n_aggregates))


def test_endogenous_signing_changes_the_runs_copy_not_the_compiled_calendar():
    policy = {"treaties": {"endogenous_signing": True}}
    s = Scenario.model_validate(
        {
            "run": {"start": "2010-01", "end": "2011-12"},
            "policy": policy,
            "world": {
                "cooperation": {"treaty_signing_threshold": 0.0, "treaty_signing_per_year": 1e6}
            },
        }
    )
    cs = CountryStates(TABLE, s, Streams(1, 0)["treaty"])
    cs.update(0, compile_levers(s, TABLE).at(0))
    usa = TABLE.index("USA")
    lag = round(12 * s.world.cooperation.ratification_years)
    assert cs.treaties.signed[usa] == 0 and cs.treaties.in_force[usa] == lag
    assert compile_treaties(s, TABLE).in_force[usa] != lag
    assert cs.treaty_status(lag)[usa] and not cs.treaty_status(lag - 1)[usa]
