"""Scenario configuration: frozen, validated models of ``meta``, ``world``, ``policy`` and ``run``.

The four top-level sections follow EMA Workbench's vocabulary: ``world`` holds uncertain
assumptions about behaviour, ``policy`` holds the dated levers the state (and its partners)
control, ``run`` holds the period, scale, replicates and seed, and ``meta`` names the scenario.
Every model forbids unknown keys. Dates are ISO strings (``YYYY``, ``YYYY-MM`` or
``YYYY-MM-DD``) and are resolved to whole months. Loading files (``extends``, YAML parsing,
error messages with the file name) lives in :mod:`sim.scenario.io`.
"""

from __future__ import annotations

from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from sim.world.dates import check_date, month_of

# the one date parser lives in sim.world.dates; ``from sim.scenario.schema import month_of,
# iso_month`` keeps working for modules written against the schema
from sim.world.dates import iso_month as iso_month

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
NonNegative = Annotated[float, Field(ge=0.0)]
Positive = Annotated[float, Field(gt=0.0)]

Date = Annotated[str, AfterValidator(check_date)]
"""An ISO date string, checked by the one date parser (:mod:`sim.world.dates`)."""

PROVISIONAL = "assumption (hand-set, not calibrated)"
"""Source of behavioural values set by hand; calibrated ones are named in docs/ODD.md."""


def doc(meaning: str, unit: str, source: str = PROVISIONAL) -> dict:
    """Field metadata shown in docs/ODD.md: a parameter's meaning, unit and source."""
    return {"description": meaning, "json_schema_extra": {"unit": unit, "source": source}}


class Frozen(BaseModel):
    """Base: immutable, unknown keys are errors, numbers finite and never written as text.

    Pydantic would turn ``"5e-2"`` into 0.05, ``true`` into 1.0 and ``"yes"`` into True; here
    a number field takes only numbers (an integer where a float is expected is fine) and a
    yes/no field only ``true`` or ``false``. NaN and infinity are refused everywhere.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _plain_scalars(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        problems: list[InitErrorDetails] = []
        for name, field in cls.model_fields.items():
            key = field.alias or name
            if key not in data:
                continue
            kind, value = _scalar_kind(cls, name), data[key]
            if isinstance(kind, tuple) and isinstance(value, list | tuple):
                items = [((key, i), kind[0], item) for i, item in enumerate(value)]
            else:
                items = [((key,), kind, value)]
            for loc, want, item in items:
                problem = _scalar_problem(want, item)
                if problem:
                    error = PydanticCustomError("value_error", "{problem}", {"problem": problem})
                    problems.append(InitErrorDetails(type=error, loc=loc, input=item))
        if problems:
            raise ValidationError.from_exception_data(cls.__name__, problems)
        return data


_KINDS: dict[tuple[type, str], Any] = {}


def _scalar_kind(model: type[BaseModel], name: str) -> Any:
    """``"number"``, ``"whole number"``, ``"bool"``, a 1-tuple of one for tuples, or None."""
    key = (model, name)
    if key not in _KINDS:
        _KINDS[key] = _kind_of(model.model_fields[name].annotation)
    return _KINDS[key]


def _kind_of(annotation: Any) -> Any:
    if get_origin(annotation) is Annotated:
        return _kind_of(get_args(annotation)[0])
    if annotation is bool:
        return "bool"
    if annotation is int:
        return "whole number"
    if annotation is float:
        return "number"
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is tuple and args:
        kinds = {_kind_of(a) for a in args if a is not Ellipsis}
        return (kinds.pop(),) if len(kinds) == 1 and None not in kinds else None
    if origin in (Union, UnionType):
        kinds = {_kind_of(a) for a in args if a is not type(None)}
        return kinds.pop() if len(kinds) == 1 and None not in kinds else None
    return None


def _scalar_problem(kind: Any, value: Any) -> str | None:
    """Why ``value`` is refused for a field of ``kind`` (text or booleans as numbers, anything
    but true/false as a boolean), or None."""
    if kind in ("number", "whole number") and isinstance(value, str | bool):
        shown = str(value).lower() if isinstance(value, bool) else "text " + repr(value)[:60]
        return f"expected a {kind}, got {shown}"
    if kind == "bool" and not isinstance(value, bool):
        return f"expected true or false, got {repr(value)[:60]}"
    return None


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


# -------------------------------------------------------------------------------------- world
class Population(Frozen):
    # fmt: off
    initial_officials: Annotated[int, Field(ge=10)] = Field(
        500_000, **doc("officials in office when the run starts", "officials", "assumption"))
    growth_per_year: Annotated[float, Field(ge=-0.1, le=0.1)] = Field(
        0.01, **doc("growth of the number of officials in office", "per year", "assumption"))
    career_years: Positive = Field(
        25.0, **doc("mean career in office (Gamma, shape 4)", "years", "assumption"))
    rank_shares: tuple[Probability, Probability, Probability, Probability] = Field(
        (0.7, 0.22, 0.07, 0.01),
        **doc("shares of ranks 0 (lowest) to 3 (highest)", "shares, sum 1", "assumption"))
    # fmt: on

    @model_validator(mode="after")
    def _shares(self) -> Population:
        if abs(sum(self.rank_shares) - 1.0) > 1e-6:
            raise ValueError("rank_shares must sum to 1")
        return self


class Corruption(Frozen):
    # fmt: off
    share_corrupt: Probability = Field(
        0.30, **doc("probability that an official is corrupt", "0-1 probability"))
    gains_usd_per_month: Positive = Field(
        1500.0, **doc("median illicit gains of rank 0 at 2000 income", "US$ per month"))
    gains_sigma: NonNegative = Field(
        1.5, **doc("spread of gains rates (sd of their log)", "log-scale sd"))
    rank_gain_multiplier: tuple[Positive, Positive, Positive, Positive] = Field(
        (1.0, 3.0, 10.0, 30.0), **doc("gains multiplier of ranks 0 to 3", "ratio"))
    family_abroad_per_year: NonNegative = Field(
        0.01, **doc("hazard of family moving abroad, reference gains", "per year"))
    family_gains_elasticity: NonNegative = Field(
        0.5, **doc("elasticity of that hazard in gains", "elasticity"))
    income_growth_after_data: Annotated[float, Field(ge=-0.2, le=0.3)] = Field(
        0.04, **doc("China GDP per capita growth after 2024", "per year"))
    # fmt: on


class Exposure(Frozen):
    # fmt: off
    base_per_year: NonNegative = Field(
        0.05, **doc("exposure hazard at reference gains, no levers", "per year"))
    campaign_effect: NonNegative = Field(
        2.0, **doc("relative rise of exposure per unit of campaign", "per unit of lever"))
    gains_elasticity: NonNegative = Field(
        0.25, **doc("elasticity of exposure in illicit gains", "elasticity"))
    reference_gains_usd: Positive = Field(
        1_000_000.0, **doc("gains at which gains terms are neutral", "US$", "assumption: scale"))
    naked_official_effect: NonNegative = Field(
        1.0, **doc("exposure rise, family abroad, per unit of rules", "per unit of lever"))
    # fmt: on


class Decision(Frozen):
    # fmt: off
    hide_constant: float = Field(
        -1.6, **doc("utility of hiding at home relative to staying", "logit utility"))
    flee_constant: float = Field(
        -2.4, **doc("utility of fleeing abroad relative to staying", "logit utility"))
    flee_gains: float = Field(
        0.6, **doc("flee utility per unit of log(gains/reference)", "utility per log unit"))
    hide_gains: float = Field(
        0.0, **doc("hide utility per unit of log(gains/reference)", "utility per log unit"))
    hide_rank: float = Field(-0.5, **doc("hide utility per rank step", "utility per rank"))
    flee_family_abroad: float = Field(
        1.5, **doc("flee utility when the family lives abroad", "logit utility"))
    flee_destinations: float = Field(
        0.5, **doc("flee utility per unit of destination logsum gain", "utility per unit"))
    exit_control_deterrence: NonNegative = Field(
        1.5, **doc("flee utility lost per unit of exit controls", "utility per unit"))
    naked_rule_deterrence: NonNegative = Field(
        1.0, **doc("flee utility lost per naked-rule unit, family abroad", "utility per unit"))
    leniency_stay: NonNegative = Field(
        1.0, **doc("stay utility per unit of leniency on offer", "utility per unit"))
    border_capture: Probability = Field(
        0.3, **doc("border capture per unit of exit controls", "probability per unit"))
    # fmt: on


class Destination(Frozen):
    # fmt: off
    treaty: float = Field(-1.5, **doc("utility of a treaty in force", "logit utility"))
    cooperation: float = Field(
        -1.5, **doc("utility per unit of host cooperation", "utility per 0-1 unit"))
    diaspora: float = Field(
        0.3, **doc("utility per unit of log(1 + diaspora thousands)", "utility per log unit"))
    income: float = Field(
        1.0, **doc("utility per unit of log(GDP per capita / 10,000)", "utility per log unit"))
    distance_per_1000_km: float = Field(
        -0.12, **doc("utility per 1,000 km from Beijing", "utility per 1,000 km"))
    family_abroad: float = Field(
        3.0, **doc("utility of the country where the family lives", "logit utility"))
    network: float = Field(
        0.25, **doc("utility per unit of log(1 + fugitives there / 100)", "utility per log unit"))
    investor_visa: float = Field(
        0.5, **doc("utility of an investor-visa route (planned only)", "logit utility"))
    death_penalty_abolished: float = Field(
        0.4, **doc("utility of courts refusing death-penalty returns", "logit utility"))
    hasty_share: Probability = Field(
        0.35, **doc("share of escapes without family that are hasty", "0-1 probability"))
    hasty_distance_multiplier: Positive = Field(
        6.0, **doc("distance weight of hasty escapes, times", "ratio"))
    hasty_neighbour: float = Field(
        1.0, **doc("utility of a neighbouring place in hasty escapes", "logit utility"))
    move_on_per_year: NonNegative = Field(
        0.3, **doc("onward moves per threshold unit of excess risk", "per year"))
    move_on_threshold_per_year: NonNegative = Field(
        0.15, **doc("return hazard above which a host is risky", "per year"))
    transit_move_on_per_year: NonNegative = Field(
        1.0, **doc("rate of leaving a transit place (HKG, MAC)", "per year"))
    # fmt: on


class Home(Frozen):
    # fmt: off
    capture_per_year: NonNegative = Field(
        0.25, **doc("capture hazard of officials hiding at home, no levers", "per year"))
    capture_campaign_effect: NonNegative = Field(
        1.5, **doc("relative rise of capture per unit of campaign", "per unit of lever"))
    capture_pursuit_effect: NonNegative = Field(
        0.5, **doc("relative rise of capture per unit of pursuit effort", "per unit of lever"))
    investigation_months: Positive = Field(
        12.0, **doc("mean time from investigation to sanction", "months"))
    late_flight_per_year: NonNegative = Field(
        0.01, **doc("hazard that an investigated official flees", "per year"))
    # fmt: on


class Returns(Frozen):
    # fmt: off
    persuasion_per_year: NonNegative = Field(
        0.02, **doc("persuasion hazard per unit of pursuit + programme", "per year per unit"))
    deportation_per_year: NonNegative = Field(
        0.03, **doc("deportation hazard at full cooperation", "per year"))
    extradition_per_year: NonNegative = Field(
        0.15, **doc("extradition hazard, treaty and full cooperation", "per year"))
    prosecution_per_year: NonNegative = Field(
        0.005, **doc("hazard of trial in the host, full cooperation", "per year"))
    surrender_per_year: NonNegative = Field(
        0.01, **doc("self-surrender hazard, no leniency, no pursuit", "per year"))
    family_in_china_effect: NonNegative = Field(
        1.0, **doc("rise of persuasion when family is in China", "ratio"))
    leniency_effect: NonNegative = Field(
        4.0, **doc("rise of persuasion and surrender per leniency unit", "per unit of lever"))
    asylum_delay_effect: NonNegative = Field(
        0.3, **doc("slowing of removals per year of asylum delay", "per year of delay"))
    death_penalty_assurance: Probability = Field(
        0.5, **doc("chance that assurances overcome a death-penalty bar", "0-1 probability"))
    death_per_year: NonNegative = Field(0.01, **doc("mortality of fugitives abroad", "per year"))
    # fmt: on


class Assets(Frozen):
    # fmt: off
    share_taken: Probability = Field(
        0.8, **doc("share of illicit gains taken abroad", "0-1 share", "assumption"))
    recovery_persuasion: Probability = Field(
        0.3, **doc("share of remaining assets recovered on persuasion", "0-1 share", "assumption"))
    recovery_deportation: Probability = Field(
        0.2, **doc("share recovered on deportation", "0-1 share", "assumption"))
    recovery_extradition: Probability = Field(
        0.4, **doc("share recovered on extradition", "0-1 share", "assumption"))
    recovery_prosecution: Probability = Field(
        0.5, **doc("share recovered on trial in the host", "0-1 share", "assumption"))
    recovery_surrender: Probability = Field(
        0.4, **doc("share recovered on surrender", "0-1 share", "assumption"))
    confiscation_per_year: NonNegative = Field(
        0.05,
        **doc("confiscation hazard per unit of the two levers", "per year per unit", "assumption"))
    confiscation_share: Probability = Field(
        0.5, **doc("share of remaining assets per confiscation", "0-1 share", "assumption"))
    # fmt: on


class Cooperation(Frozen):
    # fmt: off
    adjustment_per_year: NonNegative = Field(
        0.5, **doc("speed of adjustment towards target cooperation", "per year"))
    pledge_weight: NonNegative = Field(
        0.5, **doc("target rise per unit of pledge commitment", "0-1 score per unit"))
    pressure_weight: NonNegative = Field(
        0.15, **doc("target rise per unit of pressure + pursuit", "0-1 score per unit"))
    peer_weight: Probability = Field(
        0.3, **doc("weight of regional peers' mean in the target", "0-1 weight"))
    legal_constraint_weight: Probability = Field(
        0.5, **doc("cap = 1 - weight x fair-trial objection", "0-1 weight"))
    backlash_weight: NonNegative = Field(
        3.0, **doc("target fall per coercion x fugitives x objection", "0-1 score per unit"))
    treaty_signing_per_year: NonNegative = Field(
        0.2, **doc("signing hazard at full cooperation", "per year"))
    treaty_signing_threshold: Probability = Field(
        0.6, **doc("cooperation below which none signs", "0-1 score"))
    ratification_years: NonNegative = Field(
        3.0,
        **doc("delay from signing to force (endogenous)", "years", "treaties.csv (median lag)"))
    # fmt: on


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
    # fmt: off
    start: Date = Field(
        alias="from",
        **doc("month from which the value holds (key `from`)", "ISO date", "convention"))
    value: NonNegative = Field(
        **doc("lever level from that month on (0 before)", "intensity >= 0", "assumption"))
    # fmt: on


Schedule = tuple[Step, ...]


class LeniencyWindow(Frozen):
    # fmt: off
    start: Date = Field(**doc("first month of the offer", "ISO date", "sources.md section 3"))
    end: Date = Field(
        **doc("last month of the offer (inclusive)", "ISO date", "sources.md section 3"))
    strength: NonNegative = Field(
        1.0,
        **doc("strength of the offer (overlaps: the strongest)", "intensity >= 0", "assumption"))
    # fmt: on

    @model_validator(mode="after")
    def _order(self) -> LeniencyWindow:
        if month_of(self.end) < month_of(self.start):
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


class Pledge(Frozen):
    """A multilateral pledge (APEC 2014, G20 2016, or a new one a scenario adds)."""

    # fmt: off
    name: str = Field(**doc("label of the pledge", "text", "convention"))
    date: Date = Field(
        **doc("month from which the pledge holds", "ISO date", "sources.md section 3"))
    members: Literal["apec", "g20", "apec_and_g20"] | tuple[str, ...] = Field(
        **doc("apec, g20, apec_and_g20 or ISO3 codes", "members", "countries.csv (apec, g20)"))
    pledge_level: Probability = Field(
        1.0, **doc("strength of the commitment to cooperate", "0-1 score", "assumption"))
    compliance: Probability = Field(
        0.3, **doc("share of the commitment honoured", "0-1 share", "assumption"))
    asset_return: Probability = Field(
        0.0, **doc("commitment to return assets", "0-1 score", "assumption"))
    legal_assistance: Probability = Field(
        0.0, **doc("commitment to legal assistance", "0-1 score", "assumption"))
    # fmt: on

    @field_validator("members", mode="wrap")
    @classmethod
    def _members(cls, value: Any, handler: Any) -> Any:
        try:
            return handler(value)
        except ValidationError:
            raise ValueError(
                "expected 'apec', 'g20', 'apec_and_g20' or a list of ISO3 codes"
            ) from None


class TreatyChange(Frozen):
    # fmt: off
    iso3: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = Field(
        **doc("partner country", "ISO3 code", "countries.csv"))
    date: Date = Field(**doc("month the change takes effect", "ISO date", "convention"))
    # fmt: on


class Treaties(Frozen):
    # fmt: off
    add: tuple[TreatyChange, ...] = Field(
        (), **doc("treaties brought into force", "list of {iso3, date}", "convention"))
    withdraw: tuple[TreatyChange, ...] = Field(
        (), **doc("treaties ended", "list of {iso3, date}", "convention"))
    endogenous_signing: bool = Field(
        False, **doc("let cooperative countries sign treaties", "yes/no", "convention"))
    # fmt: on


class Policy(Frozen):
    # fmt: off
    campaign: Schedule = Field(
        (),
        **doc("domestic anti-corruption campaign", "intensity schedule", "sources.md section 3"))
    pursuit: Schedule = Field(
        (), **doc("international pursuit effort", "intensity schedule", "sources.md section 3"))
    persuasion_program: Schedule = Field(
        (), **doc("persuasion-to-return programme", "intensity schedule", "sources.md section 3"))
    diplomatic_pressure: Schedule = Field(
        (), **doc("diplomatic pressure on hosts", "intensity schedule", "sources.md section 3"))
    exit_controls: Schedule = Field(
        (),
        **doc(
            "exit controls (passports, border checks)",
            "intensity schedule",
            "sources.md section 3"))
    naked_official_rules: Schedule = Field(
        (),
        **doc(
            "rules on officials with family abroad",
            "intensity schedule",
            "sources.md section 3"))
    trial_in_absentia: Schedule = Field(
        (), **doc("trial in absentia available", "intensity schedule", "sources.md section 3"))
    asset_confiscation: Schedule = Field(
        (),
        **doc(
            "confiscation of absconders' assets",
            "intensity schedule",
            "Criminal Procedure Law 2012"))
    coercion: Schedule = Field(
        (), **doc("coercive pursuit on foreign soil", "intensity schedule", "assumption"))
    leniency_windows: tuple[LeniencyWindow, ...] = Field(
        (), **doc("offers of leniency for surrender", "list of windows", "sources.md section 3"))
    pledges: tuple[Pledge, ...] = Field(
        (), **doc("multilateral no-safe-haven pledges", "list of pledges", "sources.md section 3"))
    # fmt: on
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
