"""Writing scenarios out: the resolved scenario as YAML and the scenario file JSON schema."""

from __future__ import annotations

import json

import yaml

from sim.scenario.schema import Scenario


def scenario_to_yaml(scenario: Scenario) -> str:
    """The resolved scenario as YAML (what a run folder keeps beside its results)."""
    return yaml.safe_dump(scenario.model_dump(mode="json", by_alias=True), sort_keys=False)


def json_schema() -> str:
    """JSON schema of a scenario file, for editors (``extends`` allowed at the top)."""
    schema = Scenario.model_json_schema(by_alias=True)
    schema.setdefault("properties", {})["extends"] = {
        "type": "string",
        "description": "path of a scenario file this one overrides",
    }
    schema["title"] = "flightsim scenario"
    return json.dumps(schema, indent=2, sort_keys=True)
