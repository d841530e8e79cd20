"""The vectorized model against its oracle (tests/reference): one Mesa agent per official.

Same seed: the oracle draws from the same counter-based streams keyed by (official, month), so the
two implementations must agree event for event and table for table over 1978-2030, for the
baseline and for policies that touch different levers. Independent seeds: their yearly flows must
agree statistically, by a permutation test whose family-wise false-alarm rate is 1%.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from reference.adapter import TABLES, model_event_log, model_officials, model_tables
from reference.oracle import EVENTS, ReferenceModel

from sim.core.model import FlightModel
from sim.core.rules import CHANNELS
from sim.scenario.load import load_scenario
from sim.scenario.schema import Scenario

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
EXACT_SCALE = 200
"""About 2,900 officials in office on average over 1978-2030 (8-10 s per oracle run)."""
CASES: dict[str, tuple[str, dict]] = {
    "baseline": ("baseline.yaml", {}),
    # pledges: cooperation targets, asset return and legal assistance of APEC hosts
    "new_apec_agreement": ("new_apec_agreement.yaml", {}),
    # state levers: border capture and flight deterrence, family and exposure under naked rules
    "exit_controls_naked_officials": ("exit_controls_naked_officials.yaml", {}),
    # extradition and trials abroad are rare in the baseline; here they happen, with treaties
    # signed endogenously (no deterrence: with it nobody flees to a treaty country here)
    "all_channels": (
        "baseline.yaml",
        {
            "world.returns.extradition_per_year": 30.0,
            "world.deterrence.weight": 0.0,
            "world.returns.prosecution_per_year": 0.05,
            "policy.treaties.endogenous_signing": True,
        },
    ),
    # issue 11, officials' side: deterrence with salience, frailty, a most-wanted list, yearly
    # campaigns, a leniency deadline and covert returns home, all strong enough to show often
    "sky_net_officials": (
        "baseline.yaml",
        {
            "world.decision.flee_constant": -1.5,  # enough fugitives abroad for the lists below
            "world.deterrence.weight": 4.0,
            "world.deterrence.salience_weight": 1.0,
            "world.deterrence.salience_reference_per_month": 50.0,
            "world.fugitives.frailty_variance": 1.5,
            "world.fugitives.deadline_effect": 3.0,
            "world.fugitives.covert_return_per_year": 0.1,
            "policy.most_wanted": [
                {"date": "2015-04", "size": 4000, "pursuit_multiplier": 2.0},
                {"date": "2020-01", "size": 2000, "pursuit_multiplier": 1.0},
            ],
            "policy.campaigns": [
                {
                    "name": "sky_net",
                    "launch": "2015-03",
                    "months": 6,
                    "strength": 0.5,
                    "every_months": 12,
                    "until": "2022-12",
                },
            ],
        },
    ),
    # hosts as actors: pursuit, pressure and coercion aimed at single hosts, their crackdowns
    # (the baseline's US reactions plus Canada's), a closed visa route, coercion's persuasion
    "hosts": (
        "host_crackdown_2026.yaml",
        {
            "policy.targeted": [
                {"iso3": "USA", "lever": "pursuit", "from": "2010-01", "value": 1.0},
                {"iso3": "CAN", "lever": "coercion", "from": "2012-01", "value": 1.5},
                {"iso3": "AUS", "lever": "diplomatic_pressure", "from": "2005-01", "value": 2.0},
            ],
            "policy.host_reactions": [
                {"iso3": "USA", "date": "2015-08", "strength": 0.3},
                {"iso3": "CAN", "date": "2016-01", "strength": 0.8},
            ],
            "policy.investor_visa_changes": [{"iso3": "USA", "date": "2012-01", "open": False}],
            "world.returns.coercion_persuasion_effect": 3.0,
        },
    ),
}
MONEY = ("assets_taken_usd", "assets_recovered_usd")
"""Flows summed over officials in a different order (batch sums against one by one)."""


def scenario(case: str, scale: int = EXACT_SCALE) -> Scenario:
    file, overrides = CASES[case]
    return load_scenario(SCENARIOS / file, {"run.scale": scale, "run.event_log": True, **overrides})


@cache
def runs(case: str) -> tuple[FlightModel, ReferenceModel]:
    """The model and the oracle, same scenario and seed, each run over the whole period."""
    sc = scenario(case)
    model, oracle = FlightModel(sc), ReferenceModel(sc)
    model.run_model()
    oracle.run_model()
    return model, oracle


@pytest.mark.parametrize("case", CASES)
def test_event_logs_are_equal_event_for_event(case: str) -> None:
    model, oracle = runs(case)
    expected = model_event_log(model)
    assert len(expected) > 1000
    np.testing.assert_array_equal(oracle.event_log(), expected)


def assert_same_tables(model: FlightModel, oracle: ReferenceModel) -> None:
    """Monthly flows and stocks, and the per-country arrays, are equal."""
    tables = model_tables(model)
    assert set(tables) == {"monthly", *TABLES}
    want, have = tables.pop("monthly"), oracle.monthly_table()
    assert list(have.columns) == list(want.columns)
    exact = [c for c in want.columns if c not in MONEY]
    pd.testing.assert_frame_equal(have[exact], want[exact], check_exact=True)
    # the only floating-point sums whose order differs: np.sum over a month's batch in the model,
    # one official at a time in the oracle
    np.testing.assert_allclose(have[list(MONEY)], want[list(MONEY)], rtol=1e-12, atol=0)
    for name, expected in tables.items():
        np.testing.assert_array_equal(getattr(oracle, name), expected, err_msg=name)


def assert_same_officials(model: FlightModel, oracle: ReferenceModel) -> None:
    """Every official's attributes at the end of the run are equal."""
    have = oracle.officials_table()
    for name, want in model_officials(model).items():
        np.testing.assert_array_equal(have[name], want, err_msg=name)


@pytest.mark.parametrize("case", CASES)
def test_monthly_and_country_tables_are_equal(case: str) -> None:
    assert_same_tables(*runs(case))


@pytest.mark.parametrize("case", CASES)
def test_every_official_ends_in_the_same_state(case: str) -> None:
    assert_same_officials(*runs(case))


def test_the_cases_exercise_every_event_and_every_return_channel() -> None:
    logs = np.concatenate([model_event_log(runs(case)[0]) for case in CASES])
    assert set(logs[:, 2]) == set(range(len(EVENTS)))
    returned = np.isin(logs[:, 2], [EVENTS.index("returned"), EVENTS.index("prosecuted_abroad")])
    assert set(logs[returned, 4]) == set(range(len(CHANNELS)))


@pytest.mark.slow
@pytest.mark.parametrize(
    "file",
    ["no_fox_hunt_sky_net.yaml", "coercive_pursuit_backlash.yaml", "us_china_treaty_2026.yaml"],
)
def test_more_policies_agree_exactly_at_a_larger_size(file: str) -> None:
    # about 5,700 officials in office on average: pursuit, coercion backlash, a dated treaty
    sc = load_scenario(SCENARIOS / file, {"run.scale": 100, "run.event_log": True})
    model, oracle = FlightModel(sc), ReferenceModel(sc)
    model.run_model()
    oracle.run_model()
    np.testing.assert_array_equal(oracle.event_log(), model_event_log(model))
    assert_same_tables(model, oracle)
    assert_same_officials(model, oracle)


# --------------------------------------------------------------------------- statistical test
STAT_SCALE = 2000
"""About 290 officials in office on average; 20 oracle runs take ~15 s."""
REPLICATES = 20
METRICS = (
    "exposed",
    "family_moved_abroad",
    "went_missing",
    "sanctioned_at_home",
    "caught_home",
    "fled_abroad",
    "returned",
)
FAMILY_ALPHA = 0.01
"""Family-wise false-alarm rate (Bonferroni): 2 tests per metric, each at ``FAMILY_ALPHA / 14``."""
TEST_ALPHA = FAMILY_ALPHA / (2 * len(METRICS))
PERMUTATIONS = 9999


def yearly_flows(model: FlightModel | ReferenceModel, scale: int) -> np.ndarray:
    """``(n_years, n_metrics)`` yearly flows in agents (12 months a year from the run's start)."""
    flows = model.monthly_table()[list(METRICS)].to_numpy() / scale
    return flows.reshape(-1, 12, len(METRICS)).sum(axis=1)


def replicate_flows(make, sc: Scenario, seeds: range) -> np.ndarray:
    """``(n_replicates, n_years, n_metrics)`` yearly flows of runs with the given seeds."""
    out = []
    for seed in seeds:
        model = make(sc, replicate=0, seed=seed)
        model.run_model()
        out.append(yearly_flows(model, sc.run.scale))
    return np.stack(out)


def _squared_t(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Squared two-sample t statistics (pooled variance) over replicates; 0 where no spread."""
    diff = a.mean(axis=0) - b.mean(axis=0)
    pooled = (a.var(axis=0, ddof=1) + b.var(axis=0, ddof=1)) / 2.0
    se2 = pooled * (1.0 / len(a) + 1.0 / len(b))
    return np.divide(diff**2, se2, out=np.zeros_like(diff), where=se2 > 0)


def _statistic(x: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Per metric, two statistics: the yearly profile and the level over the whole period.

    Row 0 sums squared t statistics over the years (any year out of line); row 1 is the squared
    t statistic of the period totals (a shift spread over all years).
    """
    a, b = x[labels], x[~labels]
    profile = _squared_t(a, b).sum(axis=0)
    level = _squared_t(a.sum(axis=1), b.sum(axis=1))
    return np.stack([profile, level])


def permutation_pvalues(x: np.ndarray, y: np.ndarray, seed: int = 0) -> np.ndarray:
    """Permutation p-values of :func:`_statistic`, ``(2, n_metrics)``, for ``x`` against ``y``.

    Under the null hypothesis (both sets of replicates come from the same distribution, with
    independent seeds) the replicates are exchangeable, so ``(1 + #{T_perm >= T}) / (1 + B)`` is
    a valid p-value: ``P(p <= alpha) <= alpha`` exactly, whatever the distribution of the flows.
    """
    pooled = np.concatenate([x, y])
    labels = np.zeros(len(pooled), dtype=bool)
    labels[: len(x)] = True
    observed = _statistic(pooled, labels)
    rng = np.random.default_rng(seed)
    exceed = np.zeros_like(observed)
    for _ in range(PERMUTATIONS):
        exceed += _statistic(pooled, rng.permutation(labels)) >= observed
    return (1.0 + exceed) / (1.0 + PERMUTATIONS)


@cache
def model_replicates() -> np.ndarray:
    sc = scenario("baseline", STAT_SCALE)
    return replicate_flows(FlightModel, sc, range(2000, 2000 + REPLICATES))


def test_yearly_flows_agree_statistically_with_independent_seeds() -> None:
    sc = scenario("baseline", STAT_SCALE)
    oracle = replicate_flows(ReferenceModel, sc, range(1000, 1000 + REPLICATES))
    p = permutation_pvalues(oracle, model_replicates())
    alarms = {m: p[:, k].tolist() for k, m in enumerate(METRICS)}
    assert np.all(p > TEST_ALPHA), alarms


def test_the_statistical_test_detects_a_real_difference() -> None:
    # power check: the same procedure must flag the model with a 30% higher base exposure rate
    sc = scenario("baseline", STAT_SCALE)
    rate = sc.world.exposure.base_per_year * 1.3
    changed = load_scenario(
        SCENARIOS / "baseline.yaml",
        {"run.scale": STAT_SCALE, "run.event_log": True, "world.exposure.base_per_year": rate},
    )
    other = replicate_flows(FlightModel, changed, range(3000, 3000 + REPLICATES))
    p = permutation_pvalues(other, model_replicates())
    assert p[1, METRICS.index("exposed")] <= TEST_ALPHA


def test_the_sky_net_case_exercises_each_officials_mechanism() -> None:
    # a list, frailty, covert returns caught at home, fugitives abroad at the deadline
    model, _ = runs("sky_net_officials")
    table, pop = model.monthly_table(), model.officials
    assert pop.listed.sum() >= 10
    assert np.unique(pop.frailty[: pop.n]).size > 10
    for flow in ("returned_covertly", "caught_after_covert_return", "most_wanted_returned"):
        assert table[flow].sum() > 0, flow
    deadline = model.scenario.start_month + np.flatnonzero(model.levers.leniency_deadline)
    assert deadline.size == 1
    month = int(deadline[0] - model.scenario.start_month)
    assert table.loc[month - 1, "stock_abroad"] > 0  # fugitives whose rates the deadline raised
    assert model.salience > 0
