"""Scenario configuration: frozen, validated models of ``meta``, ``world``, ``policy`` and ``run``.

The four top-level sections follow EMA Workbench's vocabulary: ``world`` holds uncertain
assumptions about behaviour, ``policy`` holds the dated levers the state (and its partners)
control, ``run`` holds the period, scale, replicates and seed, and ``meta`` names the scenario.
Every model forbids unknown keys. Dates are ISO strings (``YYYY``, ``YYYY-MM`` or
``YYYY-MM-DD``) and are resolved to whole months. Loading files (``extends``, YAML parsing,
error messages with the file name) lives in :mod:`sim.scenario_io`.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
NonNegative = Annotated[float, Field(ge=0.0)]
Positive = Annotated[float, Field(gt=0.0)]

_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")


def _check_date(text: str) -> str:
    m = _DATE_RE.match(text)
    if not m:
        raise ValueError(f"expected a date as YYYY, YYYY-MM or YYYY-MM-DD, got {text!r}")
    month = int(m.group(2) or 1)
    day = int(m.group(3) or 1)
    if not 1 <= month <= 12 or not 1 <= day <= 31:
        raise ValueError(f"expected a real calendar date, got {text!r}")
    return text


Date = Annotated[str, AfterValidator(_check_date)]


def month_of(text: str) -> int:
    """Months since 1970-01 of an ISO date string (a bare year means its January).

    Args:
        text: ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``.

    Returns:
        ``(year - 1970) * 12 + month - 1``.
    """
    m = _DATE_RE.match(_check_date(text))
    assert m is not None
    return (int(m.group(1)) - 1970) * 12 + int(m.group(2) or 1) - 1


class Frozen(BaseModel):
    """Base: immutable, unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


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
    start: Date = "1978-01"
    end: Date = "2030-12"
    scale: Annotated[int, Field(ge=1)] = 1
    replicates: Annotated[int, Field(ge=1, le=10_000)] = 10
    seed: Annotated[int, Field(ge=0, lt=2**63)] = 20141110
    event_log: bool = True

    @model_validator(mode="after")
    def _period(self) -> Run:
        if month_of(self.end) < month_of(self.start):
            raise ValueError(f"run.end {self.end} is before run.start {self.start}")
        return self


# -------------------------------------------------------------------------------------- world
class Population(Frozen):
    initial_officials: Annotated[int, Field(ge=10)] = 500_000
    growth_per_year: Annotated[float, Field(ge=-0.1, le=0.1)] = 0.01
    career_years: Positive = 25.0
    rank_shares: tuple[Probability, Probability, Probability, Probability] = (
        0.70,
        0.22,
        0.07,
        0.01,
    )

    @model_validator(mode="after")
    def _shares(self) -> Population:
        if abs(sum(self.rank_shares) - 1.0) > 1e-6:
            raise ValueError("rank_shares must sum to 1")
        return self


class Corruption(Frozen):
    share_corrupt: Probability = 0.30
    gains_usd_per_month: Positive = 1500.0
    gains_sigma: NonNegative = 1.5
    rank_gain_multiplier: tuple[Positive, Positive, Positive, Positive] = (1.0, 3.0, 10.0, 30.0)
    family_abroad_per_year: NonNegative = 0.01
    family_gains_elasticity: NonNegative = 0.5
    income_growth_after_data: Annotated[float, Field(ge=-0.2, le=0.3)] = 0.04


class Exposure(Frozen):
    base_per_year: NonNegative = 0.05
    campaign_effect: NonNegative = 2.0
    gains_elasticity: NonNegative = 0.25
    reference_gains_usd: Positive = 1_000_000.0
    naked_official_effect: NonNegative = 1.0


class Decision(Frozen):
    hide_constant: float = -1.6
    flee_constant: float = -2.4
    flee_gains: float = 0.6
    hide_gains: float = 0.0
    hide_rank: float = -0.5
    flee_family_abroad: float = 1.5
    flee_destinations: float = 0.5
    exit_control_deterrence: NonNegative = 1.5
    naked_rule_deterrence: NonNegative = 1.0
    leniency_stay: NonNegative = 1.0
    border_capture: Probability = 0.3


class Destination(Frozen):
    treaty: float = -1.5
    cooperation: float = -1.5
    diaspora: float = 0.3
    income: float = 1.0
    distance_per_1000_km: float = -0.12
    family_abroad: float = 3.0
    network: float = 0.25
    investor_visa: float = 0.5
    death_penalty_abolished: float = 0.4
    hasty_share: Probability = 0.35
    hasty_distance_multiplier: Positive = 6.0
    hasty_neighbour: float = 1.0
    move_on_per_year: NonNegative = 0.3
    move_on_threshold_per_year: NonNegative = 0.15
    transit_move_on_per_year: NonNegative = 1.0


class Home(Frozen):
    capture_per_year: NonNegative = 0.25
    capture_campaign_effect: NonNegative = 1.5
    investigation_months: Positive = 12.0
    late_flight_per_year: NonNegative = 0.01


class Returns(Frozen):
    persuasion_per_year: NonNegative = 0.02
    deportation_per_year: NonNegative = 0.03
    extradition_per_year: NonNegative = 0.15
    prosecution_per_year: NonNegative = 0.005
    surrender_per_year: NonNegative = 0.01
    family_in_china_effect: NonNegative = 1.0
    leniency_effect: NonNegative = 4.0
    asylum_delay_effect: NonNegative = 0.3
    death_penalty_assurance: Probability = 0.5
    death_per_year: NonNegative = 0.01


class Assets(Frozen):
    share_taken: Probability = 0.8
    recovery_persuasion: Probability = 0.3
    recovery_deportation: Probability = 0.2
    recovery_extradition: Probability = 0.4
    recovery_prosecution: Probability = 0.5
    recovery_surrender: Probability = 0.4
    confiscation_per_year: NonNegative = 0.05
    confiscation_share: Probability = 0.5


class Cooperation(Frozen):
    adjustment_per_year: NonNegative = 0.5
    pledge_weight: NonNegative = 0.5
    pressure_weight: NonNegative = 0.15
    peer_weight: Probability = 0.3
    legal_constraint_weight: Probability = 0.5
    backlash_weight: NonNegative = 3.0
    treaty_signing_per_year: NonNegative = 0.2
    treaty_signing_threshold: Probability = 0.6
    ratification_years: NonNegative = 3.0


class World(Frozen):
    population: Population = Population()
    corruption: Corruption = Corruption()
    exposure: Exposure = Exposure()
    decision: Decision = Decision()
    destination: Destination = Destination()
    home: Home = Home()
    returns: Returns = Returns()
    assets: Assets = Assets()
    cooperation: Cooperation = Cooperation()


# ------------------------------------------------------------------------------------- policy
class Step(Frozen):
    """One step of a piecewise-constant schedule: ``value`` holds from ``from`` on."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    start: Date = Field(alias="from")
    value: NonNegative


Schedule = tuple[Step, ...]


class LeniencyWindow(Frozen):
    start: Date
    end: Date
    strength: NonNegative = 1.0

    @model_validator(mode="after")
    def _order(self) -> LeniencyWindow:
        if month_of(self.end) < month_of(self.start):
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


class Pledge(Frozen):
    """A multilateral pledge (APEC 2014, G20 2016, or a new one a scenario adds)."""

    name: str
    date: Date
    members: Literal["apec", "g20", "apec_and_g20"] | tuple[str, ...]
    pledge_level: Probability = 1.0
    compliance: Probability = 0.3
    asset_return: Probability = 0.0
    legal_assistance: Probability = 0.0


class TreatyChange(Frozen):
    iso3: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    date: Date


class Treaties(Frozen):
    add: tuple[TreatyChange, ...] = ()
    withdraw: tuple[TreatyChange, ...] = ()
    endogenous_signing: bool = False


class Policy(Frozen):
    campaign: Schedule = ()
    pursuit: Schedule = ()
    persuasion_program: Schedule = ()
    diplomatic_pressure: Schedule = ()
    exit_controls: Schedule = ()
    naked_official_rules: Schedule = ()
    trial_in_absentia: Schedule = ()
    asset_confiscation: Schedule = ()
    coercion: Schedule = ()
    leniency_windows: tuple[LeniencyWindow, ...] = ()
    pledges: tuple[Pledge, ...] = ()
    treaties: Treaties = Treaties()


SCHEDULES = (
    "campaign",
    "pursuit",
    "persuasion_program",
    "diplomatic_pressure",
    "exit_controls",
    "naked_official_rules",
    "trial_in_absentia",
    "asset_confiscation",
    "coercion",
)


# ----------------------------------------------------------------------------------- scenario
class Scenario(Frozen):
    """A whole, resolved scenario (``extends`` already merged)."""

    meta: Meta = Meta()
    world: World = World()
    policy: Policy = Policy()
    run: Run = Run()

    @property
    def start_month(self) -> int:
        return month_of(self.run.start)

    @property
    def end_month(self) -> int:
        return month_of(self.run.end)

    @property
    def n_steps(self) -> int:
        return self.end_month - self.start_month + 1
