"""Pure decision rules: probabilities, shares, monotonicity."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.core import rules
from sim.scenario.world import Cooperation, Decision, Destination, Exposure, Returns

finite = st.floats(-50, 50, allow_nan=False)


@given(st.lists(st.lists(finite, min_size=3, max_size=3), min_size=1, max_size=20))
def test_softmax_rows_are_probabilities(rows):
    p = rules.softmax(np.array(rows))
    assert np.all(p >= 0) and np.allclose(p.sum(axis=1), 1.0)


@given(st.floats(0, 50, allow_nan=False), st.floats(1e-3, 5, allow_nan=False))
def test_monthly_probability_compounds_and_rises_with_the_rate(rate, more):
    p = float(rules.monthly_probability(rate))
    # twelve monthly chances compound to the yearly one of a constant hazard
    assert 1 - (1 - p) ** 12 == pytest.approx(-np.expm1(-rate), abs=1e-12)
    # never above the expected number of events in the month; strictly more with a higher rate
    assert p <= rate / 12.0 + 1e-15
    assert float(rules.monthly_probability(rate + more)) > p


def test_monthly_probability_compounds_to_yearly():
    p = rules.monthly_probability(0.3)
    assert 1 - (1 - p) ** 12 == pytest.approx(1 - np.exp(-0.3))


def test_choose_inverts_cumulative_probabilities():
    probs = np.array([[0.2, 0.3, 0.5]] * 4)
    u = np.array([0.0, 0.19, 0.2, 0.99])
    assert rules.choose(probs, u).tolist() == [0, 0, 1, 2]


def test_choose_frequencies_match_probabilities():
    rng = np.random.default_rng(0)
    probs = np.tile([0.1, 0.6, 0.3], (100_000, 1))
    counts = np.bincount(rules.choose(probs, rng.random(100_000)), minlength=3) / 100_000
    assert np.allclose(counts, [0.1, 0.6, 0.3], atol=0.01)


def test_exposure_rate_rises_with_gains_and_campaign():
    p = Exposure()
    gains = np.array([1e4, 1e6, 1e8])
    low = rules.exposure_rate(gains, np.zeros(3), campaign=0.1, naked_rules=0.0, p=p)
    high = rules.exposure_rate(gains, np.zeros(3), campaign=1.0, naked_rules=0.0, p=p)
    assert np.all(np.diff(low) > 0)
    assert np.all(high > low)
    naked = rules.exposure_rate(gains, np.ones(3), campaign=0.1, naked_rules=1.0, p=p)
    assert np.all(naked > low)


def _responses(**kw):
    base = dict(
        gains_usd=np.array([1e6]),
        rank=np.array([1.0]),
        family_abroad=np.array([0.0]),
        destinations_logsum=np.array([0.0]),
        exit_controls=0.3,
        naked_rules=0.0,
        leniency=0.0,
        reference_gains_usd=1e6,
        p=Decision(),
    )
    base.update(kw)
    return rules.response_probabilities(**base)[0]


def test_response_probabilities_sum_to_one_and_move_the_right_way():
    ref = _responses()
    assert ref.sum() == pytest.approx(1.0)
    assert _responses(gains_usd=np.array([1e8]))[rules.FLEE] > ref[rules.FLEE]
    assert _responses(family_abroad=np.array([1.0]))[rules.FLEE] > ref[rules.FLEE]
    assert _responses(exit_controls=1.0)[rules.FLEE] < ref[rules.FLEE]
    assert _responses(destinations_logsum=np.array([-2.0]))[rules.FLEE] < ref[rules.FLEE]
    assert _responses(leniency=1.0)[rules.STAY] > ref[rules.STAY]


def _countries(n=3, **kw):
    fields = dict(
        treaty_in_force=np.zeros(n),
        cooperation=np.full(n, 0.3),
        log_diaspora=np.zeros(n),
        log_income=np.zeros(n),
        distance_1000_km=np.array([1.0, 5.0, 10.0])[:n],
        investor_visa=np.zeros(n),
        death_penalty_abolished=np.zeros(n),
        log_size=np.zeros(n),
        log_network=np.zeros(n),
        neighbour=np.array([1.0, 0.0, 0.0])[:n],
    )
    fields.update(kw)
    return rules.CountryState(**fields)


def test_destination_utility_treaty_family_and_haste():
    p = Destination()
    none = np.array([-1], dtype=np.int16)
    planned = rules.destination_utility(_countries(), none, np.array([False]), p)[0]
    treaty = rules.destination_utility(
        _countries(treaty_in_force=np.array([1.0, 0, 0])), none, np.array([False]), p
    )[0]
    assert treaty[0] < planned[0] and treaty[1] == planned[1]
    family = rules.destination_utility(
        _countries(), np.array([2], dtype=np.int16), np.array([False]), p
    )[0]
    assert family[2] - planned[2] == pytest.approx(p.family_abroad)
    hasty = rules.destination_utility(_countries(), none, np.array([True]), p)[0]
    # hasty escapes weigh distance more and favour neighbours (country 0 is one)
    assert (planned[2] - hasty[2]) > (planned[1] - hasty[1]) > 0
    assert hasty[0] - hasty[1] > planned[0] - planned[1]


def _rates(**kw):
    base = dict(
        treaty_in_force=np.array([0.0]),
        cooperation=np.array([0.5]),
        fair_trial_objection=np.array([0.5]),
        asylum_delay_years=np.array([2.0]),
        death_penalty_abolished=np.array([0.0]),
        family_abroad=np.array([0.0]),
        pursuit=1.0,
        persuasion_program=0.5,
        leniency=0.0,
        legal_assistance=0.0,
        p=Returns(),
    )
    base.update(kw)
    return rules.return_rates(**base)[0]


def test_extradition_needs_a_treaty_and_channels_respond():
    ext = rules.CHANNELS.index("extradition")
    assert _rates()[ext] == 0.0
    with_treaty = _rates(treaty_in_force=np.array([1.0]))
    assert with_treaty[ext] > 0
    abolished = _rates(treaty_in_force=np.array([1.0]), death_penalty_abolished=np.array([1.0]))
    assert abolished[ext] < with_treaty[ext]
    per = rules.CHANNELS.index("persuasion")
    assert _rates(family_abroad=np.array([1.0]))[per] < _rates()[per]
    assert (
        _rates(leniency=1.0)[rules.CHANNELS.index("surrender")]
        > _rates()[rules.CHANNELS.index("surrender")]
    )
    dep = rules.CHANNELS.index("deportation")
    assert _rates(legal_assistance=np.array([0.5]))[dep] == pytest.approx(1.5 * _rates()[dep])
    assert _rates(asylum_delay_years=np.array([10.0]))[dep] < _rates()[dep]
    assert np.all(_rates() >= 0)


@settings(max_examples=50)
@given(
    st.lists(st.floats(0, 1), min_size=4, max_size=4),
    st.floats(0, 3),
    st.floats(0, 1),
)
def test_cooperation_target_stays_in_unit_interval(base, pressure, coercion):
    n = len(base)
    target = rules.cooperation_target(
        base=np.array(base),
        pledge=np.ones(n),
        pressure=pressure,
        peer_mean=np.full(n, 0.5),
        fair_trial_objection=np.linspace(0, 1, n),
        coercion=coercion,
        fugitive_share=np.full(n, 0.25),
        ceiling=np.linspace(0.4, 1.0, n),
        p=Cooperation(),
    )
    assert np.all((target >= 0) & (target <= 1))
    # the legal system caps cooperation
    assert np.all(target <= np.linspace(0.4, 1.0, n))


def test_cooperation_update_moves_towards_target():
    p = Cooperation()
    now = np.array([0.2, 0.8])
    nxt = rules.cooperation_update(now, np.array([0.6, 0.6]), p)
    assert 0.2 < nxt[0] < 0.6 and 0.6 < nxt[1] < 0.8


def test_backlash_lowers_cooperation_where_fugitives_are():
    kw = dict(
        base=np.array([0.5, 0.5]),
        pledge=np.zeros(2),
        pressure=0.0,
        peer_mean=np.array([0.5, 0.5]),
        fair_trial_objection=np.array([0.5, 0.5]),
        fugitive_share=np.array([0.9, 0.0]),
        ceiling=np.ones(2),
        p=Cooperation(),
    )
    calm = rules.cooperation_target(coercion=0.0, **kw)
    coerced = rules.cooperation_target(coercion=1.0, **kw)
    assert coerced[0] < calm[0] and coerced[1] == calm[1]


def test_move_on_only_above_threshold_or_in_transit():
    p = Destination()
    low = rules.move_on_probability(
        np.array([p.move_on_threshold_per_year * 0.5]), np.array([0.0]), p
    )
    assert low[0] == 0.0
    high = rules.move_on_probability(
        np.array([p.move_on_threshold_per_year * 3]), np.array([0.0]), p
    )
    transit = rules.move_on_probability(np.array([0.0]), np.array([1.0]), p)
    assert high[0] > 0 and transit[0] > 0


def test_treaty_signing_zero_below_threshold():
    p = Cooperation()
    probs = rules.treaty_signing_probability(np.array([0.0, p.treaty_signing_threshold, 1.0]), p)
    assert probs[0] == 0 and probs[1] == 0 and probs[2] > 0
