"""Corrupt-pool kernels (:mod:`sim.core.pool_kernels`) against the rules and numpy, exactly."""

import numpy as np

from sim.core import pool_kernels, rules
from sim.scenario.world import Corruption, Exposure


def _pool(rng: np.random.Generator, n: int):
    ids = np.sort(rng.choice(3 * n, n, replace=False)).astype(np.int64)
    alive = rng.random(n) < 0.9
    family_country = np.where(rng.random(3 * n) < 0.3, rng.integers(0, 70, 3 * n), -1)
    gains = rng.lognormal(11.0, 3.0, n) * (rng.random(n) < 0.95)  # some below one US$
    hazard = rng.exponential(0.5, n) * (rng.random(n) < 0.8)
    threshold = rng.exponential(1.0, n)
    return ids, alive, family_country.astype(np.int16), gains, hazard, threshold


def _parameters(rng: np.random.Generator):
    exposure = Exposure(
        base_per_year=rng.uniform(0.001, 0.2),
        campaign_effect=rng.uniform(0.0, 5.0),
        gains_elasticity=rng.uniform(0.0, 1.0),
        reference_gains_usd=rng.uniform(1e4, 1e7),
        naked_official_effect=rng.uniform(0.0, 3.0),
    )
    corruption = Corruption(
        family_abroad_per_year=rng.uniform(0.001, 0.1),
        family_gains_elasticity=rng.uniform(0.0, 1.0),
    )
    return exposure, corruption, rng.uniform(0.0, 2.0), rng.uniform(0.0, 1.0)


def test_pool_gains_match_the_population_formula():
    rng = np.random.default_rng(10)
    state = rng.integers(0, 3, 9000).astype(np.int8)
    for n in (0, 1, 17, 3000):
        ids = rng.choice(9000, n, replace=False).astype(np.int64)
        rate, base = rng.lognormal(6.0, 2.0, n), rng.uniform(0.0, 300.0, n)
        now, reference = float(rng.uniform(0.0, 400.0)), float(rng.uniform(1e4, 1e6))
        alive, n_alive, gains, ratio = pool_kernels.pool_gains(
            ids, state, 0, rate, base, now, reference
        )
        assert np.array_equal(alive, state[ids] == 0) and n_alive == alive.sum()
        assert np.array_equal(gains, rate * (now - base))
        assert np.array_equal(ratio, np.maximum(gains, 1.0) / reference)


def test_family_clock_implements_the_family_rule_exactly():
    rng = np.random.default_rng(11)
    for n in (0, 1, 17, 5000):
        exposure, corruption, _, naked_rules = _parameters(rng)
        ids, alive, family_country, gains, hazard, threshold = _pool(rng, n)
        rate = rules.family_abroad_rate(
            gains, naked_rules, exposure.reference_gains_usd, corruption
        )
        without = alive & (family_country[ids] < 0)
        expected_hazard = hazard + np.where(without, rate / 12.0, 0.0)
        expected = np.flatnonzero(without & (expected_hazard >= threshold))
        ratio = np.maximum(gains, 1.0) / exposure.reference_gains_usd
        got = pool_kernels.family_clock(
            ids,
            alive,
            family_country,
            np.power(ratio, corruption.family_gains_elasticity),
            corruption.family_abroad_per_year,
            1.0 + naked_rules,
            hazard,
            threshold,
        )
        assert np.array_equal(got, expected)
        assert np.array_equal(hazard, expected_hazard)  # bit for bit, updated in place


def test_exposure_clock_implements_the_exposure_rule_exactly():
    rng = np.random.default_rng(12)
    for n in (0, 1, 17, 5000):
        exposure, _, campaign, naked_rules = _parameters(rng)
        ids, alive, family_country, gains, hazard, threshold = _pool(rng, n)
        family = (family_country[ids] >= 0).astype(float)
        rate = rules.exposure_rate(gains, family, campaign, naked_rules, exposure)
        expected_hazard = hazard + rate / 12.0
        expected = np.flatnonzero(alive & (expected_hazard >= threshold))
        ratio = np.maximum(gains, 1.0) / exposure.reference_gains_usd
        got = pool_kernels.exposure_clock(
            ids,
            alive,
            family_country,
            np.power(ratio, exposure.gains_elasticity),
            exposure.base_per_year * (1.0 + exposure.campaign_effect * campaign),
            exposure.naked_official_effect * naked_rules,
            hazard,
            threshold,
        )
        assert np.array_equal(got, expected)
        assert np.array_equal(hazard, expected_hazard)
