"""Scenario configuration: frozen, validated models of ``meta``, ``world``, ``policy`` and ``run``.

The four top-level sections follow EMA Workbench's vocabulary: ``world`` holds uncertain
assumptions about behaviour, ``policy`` holds the dated levers the state (and its partners)
control, ``run`` holds the period, scale, replicates and seed, and ``meta`` names the scenario.
Every model forbids unknown keys. Dates are ISO strings (``YYYY``, ``YYYY-MM`` or
``YYYY-MM-DD``) and are resolved to whole months. This module holds ``meta``, ``run`` and the
whole ``Scenario``; the shared base is in :mod:`sim.scenario.base`, the sections in
:mod:`sim.scenario.world` and :mod:`sim.scenario.policy`; loading files is in
:mod:`sim.scenario.load` (with ``reading``, ``extends``, ``overrides`` and ``validation``).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from sim.scenario.base import Date, Frozen, doc
from sim.scenario.policy import Policy
from sim.scenario.world import World
from sim.world.dates import month_of


# --------------------------------------------------------------------------------------- meta
class Meta(Frozen):
    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_\-]*$")] = "scenario"
    description: str = ""
    sources: tuple[str, ...] = ()
    provisional: tuple[str, ...] = Field(
        default=(), description="dotted parameter paths whose values await calibration"
    )


# ---------------------------------------------------------------------------------------- run
class Run(Frozen):
    # fmt: off
    start: Date = Field(
        "1978-01", **doc("first simulated month", "ISO month", "sources.md section 3 (1978)"))
    end: Date = Field(
        "2030-12", **doc("last simulated month (inclusive)", "ISO month", "convention"))
    scale: Annotated[int, Field(ge=1)] = Field(
        1, **doc("real officials per simulated agent", "officials per agent", "convention"))
    replicates: Annotated[int, Field(ge=1, le=10_000)] = Field(
        10, **doc("stochastic replicates per scenario", "runs", "convention"))
    seed: Annotated[int, Field(ge=0, lt=2**63)] = Field(
        20141110, **doc("root seed of every random stream", "integer", "convention"))
    event_log: bool = Field(
        True, **doc("record every individual transition", "yes/no", "convention"))
    # fmt: on

    @model_validator(mode="after")
    def _period(self) -> Run:
        if month_of(self.end) < month_of(self.start):
            raise ValueError(f"run.end {self.end} is before run.start {self.start}")
        return self


# ----------------------------------------------------------------------------------- scenario
class Scenario(Frozen):
    """A whole, resolved scenario (``extends`` already merged)."""

    meta: Meta = Meta()
    world: World = World()
    policy: Policy = Policy()
    run: Run = Run()

    def resolved(self, replicates: int | None = None, seed: int | None = None) -> tuple[int, int]:
        """The number of replicates and the root seed: as given, else ``run.replicates`` and
        ``run.seed``. The one rule for these defaults (runs, the model and the analyses)."""
        n = self.run.replicates if replicates is None else int(replicates)
        root = self.run.seed if seed is None else int(seed)
        return n, root

    @property
    def start_month(self) -> int:
        return month_of(self.run.start)

    @property
    def end_month(self) -> int:
        return month_of(self.run.end)

    @property
    def n_steps(self) -> int:
        return self.end_month - self.start_month + 1
