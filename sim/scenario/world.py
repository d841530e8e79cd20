"""The ``world`` section: uncertain assumptions about officials' behaviour, the state's reach
and the hosts' responses, each with its meaning, unit and source."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from sim.scenario.base import Frozen, NonNegative, Positive, Probability, doc


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
    coercion_persuasion_effect: NonNegative = Field(
        0.5, **doc("rise of persuasion per unit of coercion in the host (x (1 - crackdown))",
                   "per unit of lever", "assumption"))
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
    backlash_weight: NonNegative = Field(
        3.0, **doc("target fall per coercion x fugitives x objection", "0-1 score per unit"))
    treaty_signing_per_year: NonNegative = Field(
        0.2, **doc("signing hazard at full cooperation", "per year"))
    treaty_signing_threshold: Probability = Field(
        0.6, **doc("cooperation below which none signs", "0-1 score"))
    ratification_years: NonNegative = Field(
        3.0,
        **doc("delay from signing to force (endogenous)", "years", "treaties.csv (median lag)"))
    reaction_weight: NonNegative = Field(
        0.2, **doc("target fall per unit of host-reaction strength", "0-1 score per unit",
                   "assumption"))
    ceiling_common_law: Probability = Field(
        0.6, **doc("cooperation ceiling of common-law hosts", "0-1 score",
                   "assumption (legal_family: JuriGlobe)"))
    ceiling_civil_law: Probability = Field(
        0.75, **doc("cooperation ceiling of civil-law hosts", "0-1 score",
                    "assumption (legal_family: JuriGlobe)"))
    ceiling_mixed: Probability = Field(
        0.85, **doc("cooperation ceiling of mixed-system hosts", "0-1 score",
                    "assumption (legal_family: JuriGlobe)"))
    ceiling_socialist_other: Probability = Field(
        0.95, **doc("cooperation ceiling of socialist-law and other hosts", "0-1 score",
                    "assumption (legal_family: JuriGlobe)"))
    # fmt: on


# --------------------------------------------------------- Sky Net era: officials' side (issue 11)
class Deterrence(Frozen):
    """How enforcement reaches the decision to flee: perceived return hazard at each destination.

    ``perceived = total yearly return hazard x (perception_floor + salience_weight x signal)``,
    ``signal`` = exponentially weighted monthly mean of officials returned over
    ``salience_reference_per_month`` (docs/sources.md section 8: Nagin 2013, Sah 1991).
    """

    # fmt: off
    weight: NonNegative = Field(
        6.0, **doc("destination utility lost per unit of perceived return hazard",
                   "utility per (per year)", "docs/sources.md section 8 (Nagin 2013)"))
    perception_floor: NonNegative = Field(
        0.5, **doc("share of the return hazard perceived with no publicised returns",
                   "ratio", "assumption"))
    salience_weight: NonNegative = Field(
        1.0, **doc("rise of perceived hazard per unit of the returns signal",
                   "ratio per unit", "docs/sources.md section 8 (Sah 1991)"))
    salience_memory_months: Positive = Field(
        12.0, **doc("memory of the publicised-returns signal (EWMA)", "months", "assumption"))
    salience_reference_per_month: Positive = Field(
        10.0, **doc("returns a month at which the signal is 1", "officials per month",
                    "assumption"))
    # fmt: on


class Fugitives(Frozen):
    """Fugitives differ (frailty, most-wanted pursuit), deadlines, and covert return home."""

    # fmt: off
    frailty_variance: NonNegative = Field(
        1.0, **doc("variance of the Gamma(mean 1) return frailty (0: none)", "variance",
                   "docs/sources.md section 8 (Vaupel et al. 1979)"))
    deadline_effect: NonNegative = Field(
        2.0, **doc("rise of surrender and persuasion in a window's last month",
                   "ratio", "assumption (deadline surge)"))
    covert_return_per_year: NonNegative = Field(
        0.02, **doc("hazard of slipping back into China in secret (then hiding)",
                   "per year", "assumption"))
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
    deterrence: Deterrence = Deterrence()
    fugitives: Fugitives = Fugitives()
