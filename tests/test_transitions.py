"""One month of the officials' transitions on a tiny population with extreme parameters."""

import numpy as np
import pytest

from sim.core import transitions
from sim.core.model import FlightModel
from sim.core.population import OfficialState as S
from sim.core.rules import CHANNELS
from sim.scenario.schema import Scenario

N = 12  # officials, all corrupt, at one agent per official
NO_RETURNS = {
    "persuasion_per_year": 0.0,
    "deportation_per_year": 0.0,
    "extradition_per_year": 0.0,
    "prosecution_per_year": 0.0,
    "surrender_per_year": 0.0,
    "death_per_year": 0.0,
}


def _model(world: dict | None = None, policy: dict | None = None) -> FlightModel:
    base = {
        "population": {"initial_officials": N},
        "corruption": {"share_corrupt": 1.0, "family_abroad_per_year": 0.0},
        "exposure": {"base_per_year": 1e9, "gains_elasticity": 0.0},
        "destination": {"move_on_per_year": 0.0, "transit_move_on_per_year": 0.0},
    }
    for section, values in (world or {}).items():
        base[section] = {**base.get(section, {}), **values}
    scenario = Scenario.model_validate(
        {
            "world": base,
            "policy": policy or {},
            "run": {"start": "2000-01", "end": "2000-12", "scale": 1, "event_log": True},
        }
    )
    return FlightModel(scenario)


def _month(model: FlightModel, step: int) -> transitions.Month:
    return transitions.new_month(
        step, model.levers.at(step), model.country_states, model.scale, model.logsum_reference
    )


def _states(model: FlightModel) -> np.ndarray:
    pop = model.officials
    return pop.state[: pop.n]


@pytest.mark.parametrize(
    ("decision", "exit_controls", "state", "flow"),
    [
        ({"flee_constant": 60.0, "hide_constant": -60.0}, 0.0, S.ABROAD, "fled_abroad"),
        ({"flee_constant": -60.0, "hide_constant": 60.0}, 0.0, S.MISSING, "went_missing"),
        ({"flee_constant": -60.0, "hide_constant": -60.0}, 0.0, S.INVESTIGATED, "investigated"),
        (
            {"flee_constant": 60.0, "hide_constant": -60.0, "border_capture": 1.0},
            1.0,
            S.CAUGHT,
            "caught_border",
        ),
    ],
)
def test_exposure_sends_everyone_the_one_way_the_parameters_allow(
    decision, exit_controls, state, flow
):
    policy = {"exit_controls": [{"from": "2000-01", "value": exit_controls}]}
    decision = {"exit_control_deterrence": 0.0, **decision}
    model = _model({"decision": decision}, policy)
    month = _month(model, 0)
    transitions.exposures(model.officials, month)
    assert month.flows["exposed"] == N
    assert month.flows[flow] == N
    assert np.all(_states(model) == state)
    assert np.array_equal(model.officials.counts, np.bincount(_states(model), minlength=len(S)))
    assert month.fled_to.sum() == (N if state == S.ABROAD else 0)


def test_no_exposure_without_hazard():
    model = _model({"exposure": {"base_per_year": 0.0}})
    month = _month(model, 0)
    transitions.exposures(model.officials, month)
    assert month.flows["exposed"] == 0 and np.all(_states(model) == S.IN_OFFICE)


@pytest.mark.parametrize(("capture", "caught"), [(1e9, N), (0.0, 0)])
def test_home_capture_starts_the_month_after_hiding(capture, caught):
    model = _model(
        {
            "decision": {"flee_constant": -60.0, "hide_constant": 60.0},
            "home": {"capture_per_year": capture},
        }
    )
    first = _month(model, 0)
    transitions.exposures(model.officials, first)
    transitions.home_capture(model.officials, first)
    assert first.flows["caught_home"] == 0  # went missing this month: not yet exposed to capture
    second = _month(model, 1)
    transitions.home_capture(model.officials, second)
    assert second.flows["caught_home"] == caught
    assert np.sum(_states(model) == S.CAUGHT) == caught
    assert np.sum(_states(model) == S.MISSING) == N - caught


def _abroad_model(returns: dict) -> FlightModel:
    model = _model(
        {
            "decision": {"flee_constant": 60.0, "hide_constant": -60.0},
            "returns": {**NO_RETURNS, **returns},
            "assets": {"confiscation_per_year": 0.0},
        }
    )
    month = _month(model, 0)
    transitions.exposures(model.officials, month)
    transitions.abroad(model.officials, month)  # arrived this month: no hazard yet
    assert np.all(_states(model) == S.ABROAD)
    return model


def test_fugitives_all_surrender_when_only_surrender_is_possible():
    model = _abroad_model({"surrender_per_year": 1e9})
    month = _month(model, 1)
    transitions.abroad(model.officials, month)
    assert month.flows["returned_surrender"] == month.flows["returned"] == N
    assert np.all(_states(model) == S.RETURNED)
    assert np.all(model.officials.how[:N] == CHANNELS.index("surrender"))
    hosts = model.officials.destination[:N]
    assert np.array_equal(month.returned_from, np.bincount(hosts, minlength=len(model.table)))


def test_fugitives_die_abroad_when_nothing_else_can_happen():
    model = _abroad_model({"death_per_year": 1e9})
    month = _month(model, 1)
    transitions.abroad(model.officials, month)
    assert month.flows["died_abroad"] == N and month.flows["returned"] == 0
    assert np.all(_states(model) == S.RETIRED_OR_DEAD)
    assert model.officials.record(0)["how"] == "died_abroad"


def test_fugitives_stay_when_every_hazard_is_zero():
    model = _abroad_model({})
    month = _month(model, 1)
    transitions.abroad(model.officials, month)
    assert all(month.flows[k] == 0 for k in ("returned", "died_abroad", "moved_on"))
    assert np.all(_states(model) == S.ABROAD)
