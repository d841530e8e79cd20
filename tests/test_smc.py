"""The calibration sampler (ABC-SMC with MCMC moves) on a problem whose answer is known.

The model is replaced by a closed form: ``fled = 1000 exp(z0)`` and ``missing = 1000 exp(z1)``
in the logistic coordinates the sampler works in. With ``fled`` in 1,000-2,718 and ``missing``
unconstrained, the ABC posterior at tolerance 0 is known exactly: ``z0`` follows the standard
logistic truncated to [0, 1], ``z1`` and ``z2`` the standard logistic itself. A sampler that
forgot the prior ratio, or let a particle outside the tolerance in, would drift away from it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from test_calibrate import targets_file

from sim.calibrate.abc import total_distance
from sim.calibrate.smc import (
    Population,
    Populations,
    SmcSettings,
    log_prior,
    next_generation,
    posterior_table,
    prior_sample,
    rounds_for,
)
from sim.calibrate.targets import load_targets
from sim.runs.posterior import effective_sample_size

E = float(np.e)


@pytest.fixture(scope="module")
def spec(tmp_path_factory):
    folder = tmp_path_factory.mktemp("smc")
    ranges = {"fled": (1000.0, 1000.0 * E), "missing": (1.0, 1e12), "caught": (1.0, 1e12)}
    return load_targets(targets_file(folder, ranges))


def closed_form(spec):
    """Coordinates -> statistics, in place of the model (calls are counted); z0 and z1 are the
    first two coordinates (columns) of a particle."""
    calls = []

    def evaluate(coords: np.ndarray) -> list[dict[str, float]]:
        calls.append(len(coords))
        return [
            {"fled": 1000 * np.exp(z[0]), "missing": 1000 * np.exp(z[1]),
             "caught": 1000.0}
            for z in coords
        ]  # fmt: skip

    return evaluate, calls


def run_to_zero(spec, n=600, seed=11, generations=12):
    evaluate, calls = closed_form(spec)
    settings = SmcSettings()
    pops = [prior_sample(n, len(spec.parameters), seed, evaluate, spec)]
    infos = []
    for t in range(1, generations):
        step = next_generation(pops[-1], t, seed, evaluate, spec, settings)
        if step is None:
            break
        pops.append(step[0])
        infos.append(step[1])
    return pops, infos, calls


def test_log_prior_is_the_standard_logistic_density():
    z = np.random.default_rng(1).normal(0, 5, size=(50, 4))
    expected = stats.logistic.logpdf(z).sum(axis=1)
    np.testing.assert_allclose(log_prior(z), expected, rtol=1e-12, atol=1e-12)


def test_rounds_move_each_copy_with_the_chosen_chance():
    s = SmcSettings(move_failure=0.01, max_rounds=10)
    assert rounds_for(0.5, s) == 7  # 0.5 ** 7 < 0.01 <= 0.5 ** 6
    assert rounds_for(0.9, s) == 2
    assert rounds_for(1.0, s) == 1
    assert rounds_for(0.0, s) == 10
    assert rounds_for(0.05, s) == 10  # would need 90: capped


def test_every_particle_stays_within_its_generations_tolerance(spec):
    pops, infos, _ = run_to_zero(spec, n=200)
    eps = [i["epsilon"] for i in infos]
    assert eps == sorted(eps, reverse=True)
    for pop, info in zip(pops[1:], infos, strict=True):
        assert (pop.distance <= info["epsilon"]).all()
        again = np.array([total_distance(spec, s) for s in pop.stats])
        np.testing.assert_array_equal(again, pop.distance)  # statistics travel with particles


def test_the_sampler_recovers_a_known_abc_posterior(spec):
    pops, infos, _ = run_to_zero(spec)
    last = pops[-1]
    assert infos[-1]["epsilon"] == 0.0
    assert (last.distance == 0).mean() >= 0.5
    inside = last.coords[last.distance == 0]
    z0, z1 = inside[:, 0], inside[:, 1]
    # z0: the standard logistic truncated to [0, 1], mean 0.4847 (numerical integral)
    grid = np.linspace(0, 1, 100_001)
    dens = stats.logistic.pdf(grid)
    truncated_mean = float((grid * dens).sum() / dens.sum())
    assert z0.min() >= 0 and z0.max() <= 1
    assert abs(z0.mean() - truncated_mean) < 0.05, z0.mean()
    # z1: untouched by the targets, so its prior: median 0, interquartile range 2 ln 3 = 2.197
    q1, q2, q3 = np.quantile(z1, [0.25, 0.5, 0.75])
    assert abs(q2) < 0.3, q2
    assert abs((q3 - q1) - 2 * np.log(3)) < 0.4, q3 - q1
    # diversity: the copies moved, so distinct particles are most of the population
    assert infos[-1]["distinct"] >= 0.8 * len(last.distance)


def test_same_seed_same_generations_and_another_seed_others(spec):
    a, _, _ = run_to_zero(spec, n=60, generations=4)
    b, _, _ = run_to_zero(spec, n=60, generations=4)
    c, _, _ = run_to_zero(spec, n=60, seed=12, generations=4)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x.coords, y.coords)
    assert not np.array_equal(a[-1].coords, c[-1].coords)


def test_a_proposal_the_prior_rejects_costs_no_simulation(spec):
    evaluate, calls = closed_form(spec)
    pop = prior_sample(100, len(spec.parameters), 3, evaluate, spec)
    calls.clear()
    _, info = next_generation(pop, 1, 3, evaluate, spec, SmcSettings())
    assert sum(calls) == info["simulations"]
    assert info["simulations"] < info["rounds"] * 50  # some proposals never simulated


def test_posterior_table_weights_distinct_particles_by_multiplicity(spec):
    z = np.array([[0.1, 0.2, 0.3], [0.1, 0.2, 0.3], [0.1, 0.2, 0.3], [1.0, -1.0, 0.5]])
    pop = Population(z, [{"fled": 1.0}] * 4, np.zeros(4))
    pops = Populations(pd.DataFrame(), spec.parameters).appended(0, pop)
    table = posterior_table(pops, spec)
    assert sorted(table["weight"]) == [0.25, 0.75]
    assert effective_sample_size(table["weight"]) == pytest.approx(1 / (0.25**2 + 0.75**2))
