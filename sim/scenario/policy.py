"""The ``policy`` section: the dated levers the state and its partners control (schedules,
leniency windows, pledges, treaty changes)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, ValidationError, field_validator, model_validator

from sim.scenario.base import Date, Frozen, NonNegative, Probability, doc
from sim.world.dates import month_of


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


# --------------------------------------------------------- Sky Net era: officials' side (issue 11)
class MostWanted(Frozen):
    """A most-wanted list: the most prominent fugitives abroad at ``date``, flagged for good."""

    # fmt: off
    date: Date = Field(**doc("month the list is published", "ISO date", "sources.md section 3"))
    size: Annotated[int, Field(ge=1)] = Field(
        **doc("real fugitives on the list (simulated: size / scale)", "officials",
              "sources.md section 4"))
    pursuit_multiplier: NonNegative = Field(
        1.0, **doc("extra pursuit-driven return hazard of listed fugitives",
                   "ratio (hazard x (1 + m))", "assumption"))
    # fmt: on


class Campaign(Frozen):
    """A pursuit campaign: a pulse added to ``pursuit`` for ``months`` from each launch."""

    # fmt: off
    name: str = Field(**doc("label of the campaign", "text", "convention"))
    launch: Date = Field(**doc("month of the (first) launch", "ISO date", "sources.md section 3"))
    months: Annotated[int, Field(ge=1)] = Field(
        **doc("months each pulse lasts", "months", "assumption"))
    strength: NonNegative = Field(
        **doc("pursuit added during a pulse", "intensity >= 0", "assumption"))
    every_months: Annotated[int, Field(ge=1)] | None = Field(
        None, **doc("relaunch interval (none: once)", "months", "sources.md section 3"))
    until: Date | None = Field(
        None, **doc("last month a relaunch may start (none: run end)", "ISO date", "assumption"))
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
    most_wanted: tuple[MostWanted, ...] = Field(
        (), **doc("most-wanted lists", "list of lists", "sources.md section 3"))
    campaigns: tuple[Campaign, ...] = Field(
        (), **doc("yearly pursuit campaigns (pulses)", "list of campaigns", "sources.md section 3"))
    # fmt: on
    treaties: Treaties = Treaties()
    # hosts as actors (countries): dated per-country changes, see the classes at the end
    # fmt: off
    investor_visa_changes: tuple[InvestorVisaChange, ...] = Field(
        (), **doc("investor-visa routes closed or opened from a date", "list of {iso3, date, open}",
                  "sources.md section 10"))
    targeted: tuple[TargetedLever, ...] = Field(
        (), **doc("extra lever effort aimed at one host from a date",
                  "list of {iso3, lever, from, value}", "assumption"))
    host_reactions: tuple[HostReaction, ...] = Field(
        (), **doc("a host's crackdown on covert pursuit from a date",
                  "list of {iso3, date, strength}", "sources.md section 10"))
    # fmt: on


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


# ------------------------------------------------------------------------ hosts as actors
class InvestorVisaChange(Frozen):
    """An investor-visa route to one country closed (``open: false``) or opened from a date."""

    # fmt: off
    iso3: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = Field(
        **doc("destination row", "ISO3 code", "countries.csv"))
    date: Date = Field(**doc("month from which the change holds", "ISO date", "convention"))
    open: bool = Field(**doc("route open (true) or closed (false) from then on", "yes/no",
                             "convention"))
    # fmt: on


TARGETED_LEVERS = ("pursuit", "diplomatic_pressure", "coercion")
"""Levers that ``policy.targeted`` can aim at one host."""


class TargetedLever(Frozen):
    """Extra effort of one lever aimed at one host: ``value`` added there from ``from`` on."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    # fmt: off
    iso3: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = Field(
        **doc("host aimed at", "ISO3 code", "countries.csv"))
    lever: Literal["pursuit", "diplomatic_pressure", "coercion"] = Field(
        **doc("lever the effort adds to in that host", "pursuit | diplomatic_pressure | coercion",
              "convention"))
    start: Date = Field(alias="from", **doc("month from which the effort holds (key `from`)",
                                            "ISO date", "convention"))
    value: NonNegative = Field(**doc("effort added to the lever in that host", "intensity >= 0",
                                     "assumption"))
    # fmt: on


class HostReaction(Frozen):
    """A host's crackdown on covert pursuit on its soil, of ``strength`` from ``date`` on."""

    # fmt: off
    iso3: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = Field(
        **doc("reacting host", "ISO3 code", "countries.csv"))
    date: Date = Field(**doc("month the reaction starts", "ISO date", "sources.md section 10"))
    strength: Probability = Field(
        **doc("crackdown strength (the strongest in force holds)", "0-1 score", "assumption"))
    # fmt: on
