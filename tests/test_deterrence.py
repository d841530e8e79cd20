"""Deterrence (issue 11): enforcement reaches the decision to flee.

The perceived return hazard at each destination enters the destination utility and, through
the logsum, the stay / hide / flee choice. Rule-level checks of the functional forms, then
direction tests on short model runs that share every random draw (same seed): more pursuit and
more salient returns mean fewer new flights, and the counterfactual without Fox Hunt and Sky
Net has more of them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.core import rules
from sim.core.model import FlightModel
from sim.scenario.load import load_scenario
from sim.scenario.world import Deterrence

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
ON = {"world.deterrence.weight": 6.0, "world.deterrence.salience_weight": 1.0}
"""Deterrence on, whatever the defaults: the direction tests hold for any positive weight."""


def fled_2014_2016(file: str, overrides: dict, scale: int = 5) -> float:
    """New flights 2014-2016 (real officials) of one run ending in 2016."""
    sc = load_scenario(SCENARIOS / file, {"run.scale": scale, "run.end": "2016-12", **overrides})
    model = FlightModel(sc)
    model.run_model()
    table = model.monthly_table()
    first = 12 * (2014 - 1978)
    return float(table["fled_abroad"].iloc[first:].sum())


# ------------------------------------------------------------------------------------ rules
def test_the_signal_learns_returns_and_forgets_them():
    p = Deterrence(salience_memory_months=6.0, salience_reference_per_month=10.0)
    signal = 0.0
    for _ in range(120):
        signal = rules.salience_update(signal, 30.0, p)
    assert signal == pytest.approx(3.0)  # 30 a month over a reference of 10
    after = rules.salience_update(signal, 0.0, p)
    assert after == pytest.approx(3.0 * np.exp(-1.0 / 6.0))
    slow = rules.salience_update(3.0, 0.0, Deterrence(salience_memory_months=24.0))
    assert slow > after  # a longer memory forgets more slowly


def test_perceived_hazard_grows_with_the_real_hazard_and_the_signal():
    total = np.array([0.0, 0.1, 0.4])
    p = Deterrence(perception_floor=0.5, salience_weight=2.0)
    assert np.array_equal(rules.perceived_return_hazard(total, 0.0, p), 0.5 * total)
    assert np.allclose(rules.perceived_return_hazard(total, 1.5, p), 3.5 * total)


def test_deterred_utility_reads_the_officials_own_family_row():
    utility = np.zeros((2, 3))
    perceived = np.array([0.1, 0.2, 0.3, 1.0, 2.0, 3.0])  # no family abroad, then family abroad
    out = rules.deterred_utility(utility, np.array([False, True]), perceived, 2.0)
    assert np.allclose(out, [[-0.2, -0.4, -0.6], [-2.0, -4.0, -6.0]])
    assert np.array_equal(utility, np.zeros((2, 3)))
    # safer places gain share: the lowest-hazard destination is the likeliest
    assert np.argmax(rules.softmax(out)[0]) == 0


# --------------------------------------------------------------------------------- model runs
def test_deterrence_off_leaves_pursuit_out_of_the_flight_decision_and_on_brings_it_in():
    more = {
        "policy.pursuit": [{"from": "1978-01", "value": 0.05}, {"from": "2014-01", "value": 3.0}]
    }
    off = {"world.deterrence.weight": 0.0}
    assert fled_2014_2016("baseline.yaml", off) == pytest.approx(
        fled_2014_2016("baseline.yaml", {**off, **more}), rel=0.05
    )
    # at the calibrated baseline (scale 2, same draws) pursuit x3 from 2014 cuts flights by
    # 5.7%, 5.1% and 5.2% (replicates 0-2; 28% at the previous calibration, whose returns and
    # so return hazards were higher)
    more_pursuit = fled_2014_2016("baseline.yaml", {**ON, **more}, scale=2)
    assert more_pursuit < 0.97 * fled_2014_2016("baseline.yaml", ON, scale=2)


def test_more_salient_returns_mean_fewer_new_flights():
    low = fled_2014_2016("baseline.yaml", {**ON, "world.deterrence.salience_weight": 0.0}, 2)
    high = fled_2014_2016("baseline.yaml", {**ON, "world.deterrence.salience_weight": 3.0}, 2)
    assert high < 0.97 * low
    # the same salience, with returns counting for more (a lower reference)
    louder = fled_2014_2016(
        "baseline.yaml", {**ON, "world.deterrence.salience_reference_per_month": 3.0}, 2
    )
    # measured at the calibrated baseline (scale 2, same draws, replicates 0-2): 7.2%, 10.9%
    # and 5.8% fewer; 2.8%, 2.5% and 3.0% fewer (38% and 18% at the previous calibration)
    assert louder < 0.99 * fled_2014_2016("baseline.yaml", ON, scale=2)


def test_without_fox_hunt_and_sky_net_more_officials_flee():
    with_campaigns = fled_2014_2016("baseline.yaml", ON, scale=10)
    without = fled_2014_2016("no_fox_hunt_sky_net.yaml", ON, scale=10)
    assert without > 1.05 * with_campaigns
