"""Policy compiled once: schedules, leniency windows, pledges, and the dated treaty calendar."""

import numpy as np
import pytest

from sim.core.levers import (
    NEVER,
    LeverMonth,
    compile_levers,
    compile_treaties,
    pledge_members,
)
from sim.scenario.policy import Pledge
from sim.scenario.schema import Scenario
from sim.world.countries import load_countries

TABLE = load_countries()


def _scenario(policy: dict, start: str = "2010-01", end: str = "2012-12") -> Scenario:
    return Scenario.model_validate({"run": {"start": start, "end": end}, "policy": policy})


# --------------------------------------------------------------------------- schedules
def test_schedule_values_change_exactly_at_their_months():
    s = _scenario(
        {
            "campaign": [
                {"from": "2009-06", "value": 0.5},  # before the run: holds from step 0
                {"from": "2010-03", "value": 1.0},
                {"from": "2011-01", "value": 0.2},
            ],
            "pursuit": [{"from": "2010-07", "value": 0.8}],
        }
    )
    levers = compile_levers(s, TABLE)
    campaign = levers.campaign
    assert campaign.shape == (36,)
    assert campaign[0] == campaign[1] == 0.5
    assert campaign[2] == campaign[11] == 1.0  # 2010-03 .. 2010-12
    assert campaign[12] == campaign[35] == 0.2  # from 2011-01
    assert np.all(levers.pursuit[:6] == 0.0) and np.all(levers.pursuit[6:] == 0.8)
    assert np.all(levers.coercion == 0.0)  # a lever with no schedule is off


def test_at_gives_one_typed_month():
    s = _scenario(
        {
            "exit_controls": [{"from": "2010-05", "value": 0.7}],
            "pledges": [{"name": "p", "date": "2010-01", "members": ["USA"], "compliance": 0.5}],
        }
    )
    levers = compile_levers(s, TABLE)
    month = levers.at(4)
    assert isinstance(month, LeverMonth)
    assert month.exit_controls == 0.7 and type(month.exit_controls) is float
    assert levers.at(3).exit_controls == 0.0
    assert month.pledge.shape == (len(TABLE),)
    assert month.pledge[TABLE.index("USA")] == 0.5
    with pytest.raises(ValueError):  # compiled once, read-only
        levers.pledge[0, 0] = 1.0


# ----------------------------------------------------------------------------- leniency
def test_leniency_windows_inclusive_strongest_wins_and_clipped_to_the_run():
    s = _scenario(
        {
            "leniency_windows": [
                {"start": "2010-03", "end": "2010-05", "strength": 0.5},
                {"start": "2010-05", "end": "2010-07", "strength": 1.0},
                {"start": "2008-01", "end": "2009-12", "strength": 2.0},  # before the run
                {"start": "2012-11", "end": "2013-06", "strength": 0.7},  # runs past the end
            ]
        }
    )
    leniency = compile_levers(s, TABLE).leniency
    expected = np.zeros(36)
    expected[2:4] = 0.5  # 2010-03, 2010-04
    expected[4:7] = 1.0  # 2010-05 (overlap: the stronger), 2010-06, 2010-07
    expected[34:36] = 0.7  # 2012-11, 2012-12
    assert leniency.tolist() == expected.tolist()


# ------------------------------------------------------------------------------ pledges
def _pledge(members, **kw) -> Pledge:
    return Pledge.model_validate({"name": "p", "date": "2010-01", "members": members, **kw})


@pytest.mark.parametrize(
    ("members", "expected"),
    [
        ("apec", lambda t: t.apec),
        ("g20", lambda t: t.g20),
        ("apec_and_g20", lambda t: np.maximum(t.apec, t.g20)),
    ],
)
def test_pledge_members_named_groups(members, expected):
    mask = pledge_members(_pledge(members), TABLE)
    assert mask.tolist() == expected(TABLE).astype(float).tolist()


def test_pledge_members_union_and_lists():
    both = pledge_members(_pledge("apec_and_g20"), TABLE)
    for iso3, member in [("JPN", 1), ("FRA", 1), ("PER", 1), ("NPL", 0), ("XCB", 0)]:
        assert both[TABLE.index(iso3)] == member, iso3
    listed = pledge_members(_pledge(("USA", "FRA")), TABLE)
    assert listed.sum() == 2
    assert listed[TABLE.index("USA")] == listed[TABLE.index("FRA")] == 1


def test_pledges_sum_levels_and_take_the_strongest_commitments_from_their_dates():
    s = _scenario(
        {
            "pledges": [
                {
                    "name": "apec",
                    "date": "2011-01",
                    "members": "apec",
                    "pledge_level": 1.0,
                    "compliance": 0.3,
                    "asset_return": 0.5,
                    "legal_assistance": 0.2,
                },
                {
                    "name": "pair",
                    "date": "2010-06",
                    "members": ["USA", "FRA"],
                    "pledge_level": 0.5,
                    "compliance": 0.8,
                    "asset_return": 0.1,
                    "legal_assistance": 0.9,
                },
            ]
        }
    )
    lv = compile_levers(s, TABLE)
    usa, fra, per, npl = (TABLE.index(c) for c in ("USA", "FRA", "PER", "NPL"))
    # before either pledge
    assert lv.pledge[4, usa] == lv.asset_return[4, usa] == lv.legal_assistance[4, usa] == 0.0
    # 2010-06 .. 2010-12: the pair's pledge only
    assert lv.pledge[5, usa] == pytest.approx(0.4)
    assert lv.asset_return[5, usa] == pytest.approx(0.08)
    assert lv.legal_assistance[5, usa] == pytest.approx(0.72)
    assert lv.pledge[5, per] == 0.0
    # from 2011-01: levels add up, commitments take the larger of the two
    assert lv.pledge[12, usa] == pytest.approx(0.4 + 0.3)
    assert lv.asset_return[12, usa] == pytest.approx(0.15)
    assert lv.legal_assistance[12, usa] == pytest.approx(0.72)
    assert lv.pledge[12, fra] == pytest.approx(0.4)  # not in APEC
    assert lv.pledge[12, per] == pytest.approx(0.3)  # APEC only
    assert lv.legal_assistance[12, per] == pytest.approx(0.06)
    assert np.all(lv.pledge[:, npl] == 0.0)


def test_pledge_dated_before_the_run_holds_from_step_zero():
    s = _scenario({"pledges": [{"name": "p", "date": "2005-01", "members": ["USA"]}]})
    assert np.all(compile_levers(s, TABLE).pledge[:, TABLE.index("USA")] == pytest.approx(0.3))


# --------------------------------------------------------------------- treaty calendar
def _treaties(add=(), withdraw=(), start="1995-01", end="2020-12"):
    policy = {
        "treaties": {
            "add": [{"iso3": c, "date": d} for c, d in add],
            "withdraw": [{"iso3": c, "date": d} for c, d in withdraw],
        }
    }
    return compile_treaties(_scenario(policy, start, end), TABLE)


def test_calendar_from_the_data():
    cal = _treaties()
    tha = TABLE.index("THA")  # signed 1993-08-26, in force 1999-03-07
    assert cal.signed[tha] == -17 and cal.in_force[tha] == 4 * 12 + 2
    assert not cal.status(4 * 12 + 1)[tha] and cal.status(4 * 12 + 2)[tha]
    usa = TABLE.index("USA")
    assert cal.signed[usa] == cal.in_force[usa] == cal.withdrawn[usa] == NEVER
    aus = TABLE.index("AUS")  # signed 2007, withdrawn 2017 before entering into force
    assert cal.in_force[aus] == NEVER and not cal.status(np.arange(312))[:, aus].any()


def test_add_before_an_existing_treaty_brings_it_forward():
    tha = TABLE.index("THA")
    cal = _treaties(add=[("THA", "1997-01")])
    assert cal.in_force[tha] == 24
    assert cal.signed[tha] == -17  # signing date kept: it was earlier
    assert not cal.status(23)[tha] and cal.status(24)[tha]


def test_add_after_an_existing_treaty_changes_nothing():
    fra = TABLE.index("FRA")  # in force 2015
    base, later = _treaties(), _treaties(add=[("FRA", "2018-01")])
    assert later.in_force[fra] == base.in_force[fra]
    assert np.array_equal(later.status(np.arange(312)), base.status(np.arange(312)))


def test_add_where_none_exists_or_after_a_withdrawal():
    usa, aus = TABLE.index("USA"), TABLE.index("AUS")
    cal = _treaties(add=[("USA", "2005-06"), ("AUS", "2019-01")])
    assert cal.in_force[usa] == cal.signed[usa] == 10 * 12 + 5
    assert cal.in_force[aus] == 24 * 12 and cal.withdrawn[aus] == NEVER
    assert cal.status(24 * 12)[aus] and not cal.status(24 * 12 - 1)[aus]


def test_withdrawal_ends_a_treaty_at_its_month():
    tha = TABLE.index("THA")
    cal = _treaties(withdraw=[("THA", "2012-06")])
    step = 17 * 12 + 5
    assert cal.status(step - 1)[tha] and not cal.status(step)[tha]
    assert not cal.status(np.arange(step, 312))[:, tha].any()


def test_treaty_a_month_before_the_start_is_in_force_at_step_zero():
    tha, usa = TABLE.index("THA"), TABLE.index("USA")
    cal = _treaties(add=[("USA", "1999-03")], start="1999-04")
    assert cal.in_force[tha] == -1 and cal.in_force[usa] == -1
    assert cal.status(0)[tha] and cal.status(0)[usa]
    assert not _treaties(start="1999-02").status(0)[tha]


def test_status_by_step_and_country_and_a_writable_copy():
    cal = _treaties()
    assert cal.status(np.arange(5)).shape == (5, len(TABLE))
    with pytest.raises(ValueError):
        cal.in_force[0] = 0
    mine = cal.copy()
    mine.in_force[TABLE.index("USA")] = 0
    assert cal.in_force[TABLE.index("USA")] == NEVER
