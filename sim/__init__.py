"""flightsim: an agent-based simulation of official flight abroad and repatriation policy.

The Python API (see README.md, "Python API", and docs/api_example.ipynb)::

    from sim import load_scenario, with_overrides, run, run_replicates, compare_policies

    base = load_scenario("scenarios/baseline.yaml", {"run.scale": 50})
    runs = run_replicates(base, replicates=2)          # list of RunResult
    policy = load_scenario("scenarios/no_2012_campaign.yaml", {"run.scale": 50})
    effects = compare_policies(base, policy, replicates=2)  # a table of paired effects

The names live in :mod:`sim.api` and are loaded on first use (module ``__getattr__``): modules of
every layer import this package root for ``__version__``, so importing the API here eagerly
would make the root import the whole package and every layer import the top one (a cycle).
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

__all__ = [
    "FlightsimError",
    "RunResult",
    "Scenario",
    "Task",
    "__version__",
    "compare_policies",
    "load_scenario",
    "replicate_tasks",
    "run",
    "run_many",
    "run_replicates",
    "with_overrides",
    "yearly",
]


def __getattr__(name: str) -> Any:
    """The API names of :mod:`sim.api`, imported when first asked for."""
    if name in __all__:
        return getattr(importlib.import_module("sim.api"), name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
