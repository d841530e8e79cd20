"""Fugitives differ (issue 11): frailty, most-wanted lists, campaigns, deadlines, covert return.

Rule-level checks of each functional form, the fates kernel against the rule's masks, and
direction tests on short model runs that share every random draw (same seed).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np

from sim.core import rule_kernels, rules
from sim.core.levers import campaign_pulses, compile_levers, leniency_deadlines
from sim.core.model import FlightModel
from sim.core.population import OfficialState as S
from sim.core.rng import Streams
from sim.scenario.load import load_scenario
from sim.scenario.policy import Campaign, LeniencyWindow
from sim.scenario.world import Fugitives
from sim.world.countries import load_countries
from sim.world.dates import month_of

BASELINE = Path(__file__).resolve().parent.parent / "scenarios" / "baseline.yaml"
OFF = {
    "world.fugitives.frailty_variance": 0.0,
    "world.fugitives.deadline_effect": 0.0,
    "world.fugitives.covert_return_per_year": 0.0,
    "policy.most_wanted": [],
}


def _run(overrides: dict, end: str = "2016-12", scale: int = 20) -> FlightModel:
    sc = load_scenario(BASELINE, {"run.scale": scale, "run.end": end, **OFF, **overrides})
    model = FlightModel(sc)
    model.run_model()
    return model


# ------------------------------------------------------------------------------------ rules
def test_frailty_has_mean_one_and_the_chosen_variance():
    u = (np.arange(200_000) + 0.5) / 200_000
    for variance in (0.25, 1.0, 2.0):
        z = rules.frailty(u, variance)
        assert abs(z.mean() - 1.0) < 0.01
        assert abs(z.var() - variance) < 0.05 * variance
    assert np.array_equal(rules.frailty(u[:10], 0.0), np.ones(10))


def test_individual_rates_multiply_only_their_channels():
    rng = np.random.default_rng(5)
    rates = rng.uniform(0.01, 0.5, (4, 5))
    f = Fugitives(deadline_effect=2.0)
    same = rules.individual_return_rates(rates, np.ones(4), np.zeros(4), 0.0, f)
    assert np.array_equal(same, rates)
    listed = rules.individual_return_rates(rates, np.ones(4), np.full(4, 1.5), 0.0, f)
    assert np.allclose(listed[:, :4], 2.5 * rates[:, :4])
    assert np.array_equal(listed[:, 4], rates[:, 4])
    deadline = rules.individual_return_rates(rates, np.ones(4), np.zeros(4), 1.0, f)
    assert np.allclose(deadline[:, [0, 4]], 3.0 * rates[:, [0, 4]])
    assert np.array_equal(deadline[:, 1:4], rates[:, 1:4])
    frail = rules.individual_return_rates(rates, np.array([0.5, 1, 2, 0]), np.zeros(4), 0.0, f)
    assert np.allclose(frail, rates * np.array([0.5, 1, 2, 0])[:, None])


def test_most_wanted_ranks_by_rank_then_assets_then_id():
    ids = np.array([10, 11, 12, 13, 14, 15])
    rank = np.array([1, 3, 3, 2, 3, 0])
    assets = np.array([9e9, 1e6, 5e6, 8e9, 5e6, 1e10])
    assert list(rules.most_wanted(ids, rank, assets, 4)) == [12, 14, 11, 13]
    assert list(rules.most_wanted(ids, rank, assets, 0)) == []


def test_campaign_pulses_and_deadlines_are_dated():
    start = month_of("2014-01")
    fox = Campaign(name="fox", launch="2014-07", months=6, strength=0.5)
    sky = Campaign(name="sky", launch="2015-03", months=4, strength=1.0, every_months=12,
                   until="2016-12")  # fmt: skip
    pulse = campaign_pulses((fox, sky), start, 48)
    assert np.array_equal(np.flatnonzero(pulse == 0.5), np.arange(6, 12))
    assert np.array_equal(np.flatnonzero(pulse == 1.0), [14, 15, 16, 17, 26, 27, 28, 29])
    window = LeniencyWindow(start="2014-10", end="2014-11")
    assert np.array_equal(np.flatnonzero(leniency_deadlines((window,), start, 48)), [10])


def test_baseline_campaigns_add_to_the_underlying_pursuit():
    sc = load_scenario(BASELINE)
    levers = compile_levers(sc, load_countries())
    pursuit = levers.pursuit
    step = {d: month_of(d) - sc.start_month for d in ("2014-06", "2014-08", "2015-04", "2016-04")}
    level = pursuit[step["2014-06"]]
    assert pursuit[step["2014-08"]] > level  # Fox Hunt 2014
    assert pursuit[step["2015-04"]] > level and pursuit[step["2016-04"]] > level  # Sky Net
    assert pursuit[month_of("2014-01") - sc.start_month] < level  # before the pursuit office


def test_fates_kernel_with_own_event_probabilities_is_the_row_kernel_when_equal():
    rng = np.random.default_rng(41)
    streams = Streams(seed=3, replicate=0)
    for n in (0, 1, 2000):
        ids = np.sort(rng.choice(5 * n + 1, n, replace=False)).astype(np.int64)
        destination = rng.integers(0, 74, 5 * n + 1).astype(np.int16)
        family = np.where(rng.random(5 * n + 1) < 0.3, 2, -1).astype(np.int16)
        row = destination[ids] + 74 * (family[ids] >= 0)
        p_event, p_move = rng.uniform(0.0, 0.3, 148), rng.uniform(0.0, 0.3, 148)
        salts = (streams["return"].salt(7, 0), streams["death"].salt(7), streams["move"].salt(7))
        args = (salts[0], 0.05, salts[1], p_move, salts[2])
        by_row = rule_kernels.abroad_fates(ids, destination, family, p_event, *args)
        each = rule_kernels.abroad_fates_each(ids, destination, family, p_event[row], *args)
        assert np.array_equal(each, by_row)


# --------------------------------------------------------------------------------- model runs
@cache
def _listed_run() -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """A large list in 2015-04 with frailty: who was listed, the unlisted abroad then, and
    the states of everyone at the end of the list month and 12, 24 and 36 months later."""
    sc = load_scenario(
        BASELINE,
        {
            "run.scale": 10,
            "run.end": "2018-04",
            **OFF,
            "world.fugitives.frailty_variance": 2.0,
            "policy.most_wanted": [{"date": "2015-04", "size": 2000, "pursuit_multiplier": 15.0}],
        },
    )
    model = FlightModel(sc)
    list_step = month_of("2015-04") - sc.start_month
    states = []
    while model.running:
        model.step()
        t = model.steps - 1
        if t >= list_step and (t - list_step) % 12 == 0:
            states.append(model.officials.state.copy())
        if t == list_step:
            pop = model.officials
            abroad_then = np.flatnonzero(pop.state[: pop.n] == S.ABROAD)
            listed = np.flatnonzero(pop.listed[: pop.n])  # some returned in the month
            unlisted = abroad_then[~pop.listed[abroad_then]]
    return listed, unlisted, states


def _yearly_return_fraction(ids: np.ndarray, before: np.ndarray, after: np.ndarray) -> float:
    """Of ``ids`` abroad in ``before``, the share returned or tried abroad in ``after``."""
    there = ids[before[ids] == S.ABROAD]
    back = np.isin(after[there], [S.RETURNED, S.PROSECUTED_ABROAD])
    return float(back.mean())


def test_a_most_wanted_list_returns_its_members_faster_at_first():
    listed, unlisted, states = _listed_run()
    assert listed.size == 200
    first_listed = _yearly_return_fraction(listed, states[0], states[1])
    first_unlisted = _yearly_return_fraction(unlisted, states[0], states[1])
    assert first_listed > 1.5 * first_unlisted


def test_the_listed_stock_hardens_its_yearly_return_fraction_falls():
    listed, _, states = _listed_run()
    pairs = zip(states[:-1], states[1:], strict=True)
    fractions = [_yearly_return_fraction(listed, a, b) for a, b in pairs]
    # the easiest cases left in the first year: the later years' fractions are lower
    assert fractions[0] > 1.3 * max(fractions[1], fractions[2])


def test_a_leniency_deadline_brings_surrenders_in_its_last_month():
    month = month_of("2014-11") - month_of("1978-01")
    channels = ["returned_surrender", "returned_persuasion"]
    without = _run({}).monthly_table().loc[month, channels].sum()
    with_deadline = _run({"world.fugitives.deadline_effect": 3.0}).monthly_table()
    assert with_deadline.loc[month, channels].sum() > 1.5 * without


def test_covert_returns_are_caught_inside_china():
    none = _run({}).monthly_table()
    covert = _run({"world.fugitives.covert_return_per_year": 0.2}).monthly_table()
    assert none["returned_covertly"].sum() == 0 and none["caught_after_covert_return"].sum() == 0
    assert covert["returned_covertly"].sum() > 0
    caught = covert["caught_after_covert_return"].sum()
    assert 0 < caught <= covert["returned_covertly"].sum()
    assert covert["caught_home"].sum() - caught >= 0
    assert covert["caught_home"].sum() > none["caught_home"].sum()
    assert covert["stock_abroad"].iloc[-1] < none["stock_abroad"].iloc[-1]
