"""The explorer's controls: their values, their documentation, and the scenario they describe.

A control never invents a mechanism: each one writes a field of the scenario schema
(:mod:`sim.scenario.schema`), and its meaning and unit are read from that field's documentation.
A schedule knob keeps the scenario's schedule before its month and holds its level from then on;
a treaty adds ``policy.treaties.add``; a pledge appends to ``policy.pledges``; an investor-visa
change appends to ``policy.investor_visa_changes``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from pydantic import BaseModel

from sim.scenario.export import scenario_to_yaml
from sim.scenario.load import with_overrides
from sim.scenario.policy import InvestorVisaChange, Pledge, Policy, TreatyChange
from sim.scenario.schema import Scenario
from sim.world.countries import load_countries
from sim.world.dates import month_of
from sim.world.host_data import load_investor_visas

KNOBS: tuple[str, ...] = ("campaign", "pursuit", "persuasion_program", "exit_controls")
"""Schedules shown as knobs (level from a month on), in page order."""

PLEDGE_GROUPS: tuple[str, ...] = ("apec", "g20", "apec_and_g20")
"""Member groups a pledge can name besides a list of ISO3 codes."""

EXPLORED_NAME = "explored"
"""``meta.name`` of the scenario the page builds (the base keeps its own)."""


@dataclass(frozen=True)
class Doc:
    """What a control means and its unit, as the schema documents the field it writes."""

    meaning: str
    unit: str


def field_doc(model: type[BaseModel], name: str) -> Doc:
    """Meaning and unit of one schema field (``Field(..., **doc(meaning, unit, source))``)."""
    info = model.model_fields[name]
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    return Doc(meaning=info.description or name, unit=str(extra.get("unit", "")))


def control_docs() -> dict[str, Doc]:
    """Documentation of every control, keyed by control name."""
    docs = {name: field_doc(Policy, name) for name in KNOBS}
    docs["treaty.iso3"] = field_doc(TreatyChange, "iso3")
    docs["treaty.date"] = field_doc(TreatyChange, "date")
    for name in ("members", "date", "pledge_level", "compliance"):
        docs[f"pledge.{name}"] = field_doc(Pledge, name)
    for name in ("iso3", "date", "open"):
        docs[f"visa.{name}"] = field_doc(InvestorVisaChange, name)
    return docs


@dataclass(frozen=True)
class Knob:
    """A schedule from ``start`` (ISO month) on at ``level``; earlier steps stay as they were."""

    start: str
    level: float


@dataclass(frozen=True)
class NewTreaty:
    """A treaty brought into force with one country at a date (``iso3`` empty: none)."""

    iso3: str = ""
    date: str = "2026-01"


@dataclass(frozen=True)
class NewPledge:
    """A new no-safe-haven pledge (``enabled`` False: none)."""

    enabled: bool = False
    members: str = "apec"
    date: str = "2026-01"
    level: float = 1.0
    compliance: float = 0.3


@dataclass(frozen=True)
class VisaChange:
    """An investor-visa route closed (or opened) in one country from a date (``iso3`` empty:
    none)."""

    iso3: str = ""
    date: str = "2026-01"
    open: bool = False


@dataclass(frozen=True)
class Controls:
    """Everything the page lets a person set."""

    knobs: dict[str, Knob]
    treaty: NewTreaty = NewTreaty()
    pledge: NewPledge = NewPledge()
    visa: VisaChange = VisaChange()
    scale: int = 100
    replicates: int = 4
    seed: int = 0
    posterior: bool = False

    def with_knob(self, name: str, **changes: Any) -> Controls:
        """A copy with one knob changed (``start`` and/or ``level``)."""
        return replace(self, knobs={**self.knobs, name: replace(self.knobs[name], **changes)})


def level_at(schedule: tuple, month: str) -> float:
    """The level a schedule holds in ``month`` (0 before its first step)."""
    at = month_of(month)
    level = 0.0
    for step in schedule:
        if month_of(step.start) <= at:
            level = float(step.value)
    return level


def default_controls(
    scenario: Scenario, start: str = "2026-01", scale: int = 100, replicates: int = 4
) -> Controls:
    """Controls that leave ``scenario`` as it is: each knob at the level in force at ``start``."""
    knobs = {name: Knob(start, level_at(getattr(scenario.policy, name), start)) for name in KNOBS}
    return Controls(knobs=knobs, scale=scale, replicates=replicates, seed=scenario.run.seed)


def _schedule(schedule: tuple, knob: Knob) -> list[dict[str, Any]]:
    cut = month_of(knob.start)
    kept = [{"from": s.start, "value": s.value} for s in schedule if month_of(s.start) < cut]
    return [*kept, {"from": knob.start, "value": float(knob.level)}]


def _members(text: str) -> str | list[str]:
    text = text.strip()
    if text in PLEDGE_GROUPS:
        return text
    return [code.strip().upper() for code in text.replace(";", ",").split(",") if code.strip()]


def run_settings(scenario: Scenario, controls: Controls) -> Scenario:
    """``scenario`` with the page's scale, replicates and seed in its ``run`` section."""
    return with_overrides(
        scenario,
        {"run.scale": controls.scale, "run.replicates": controls.replicates,
         "run.seed": controls.seed},
        file="explorer",
    )  # fmt: skip


def build_policy(scenario: Scenario, controls: Controls) -> Scenario:
    """The scenario the controls describe, starting from ``scenario`` (validated by the schema).

    Raises:
        ScenarioError: a control value the schema refuses, naming the field.
    """
    policy = scenario.policy
    sets: dict[str, Any] = {"meta.name": EXPLORED_NAME}
    for name, knob in controls.knobs.items():
        sets[f"policy.{name}"] = _schedule(getattr(policy, name), knob)
    if controls.treaty.iso3:
        added = [t.model_dump(mode="json") for t in policy.treaties.add]
        sets["policy.treaties.add"] = [
            *added,
            {"iso3": controls.treaty.iso3, "date": controls.treaty.date},
        ]
    if controls.pledge.enabled:
        pledges = [p.model_dump(mode="json") for p in policy.pledges]
        new = {
            "name": "explored_pledge",
            "date": controls.pledge.date,
            "members": _members(controls.pledge.members),
            "pledge_level": float(controls.pledge.level),
            "compliance": float(controls.pledge.compliance),
        }
        sets["policy.pledges"] = [*pledges, new]
    if controls.visa.iso3:
        changes = [c.model_dump(mode="json") for c in policy.investor_visa_changes]
        visa = controls.visa
        sets["policy.investor_visa_changes"] = [
            *changes,
            {"iso3": visa.iso3, "date": visa.date, "open": bool(visa.open)},
        ]
    return run_settings(with_overrides(scenario, sets, file="explorer"), controls)


def export_yaml(scenario: Scenario, controls: Controls) -> str:
    """The scenario on screen as YAML that ``flightsim run`` and ``compare`` accept unchanged."""
    return scenario_to_yaml(build_policy(scenario, controls))


def treaty_choices() -> list[str]:
    """ISO3 codes a new treaty can name: rows of kind country (not HKG, MAC, aggregate rows)."""
    table = load_countries()
    return [c for c, kind in zip(table.iso3, table.kind, strict=True) if kind == "country"]


def visa_choices() -> list[str]:
    """ISO3 codes of the rows that have had an investor-visa route (``investor_visas.csv``)."""
    return sorted({route.iso3 for route in load_investor_visas()})
