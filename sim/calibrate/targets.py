"""Calibration targets and priors: the file schema, loading with clean errors, how far off a run is.

A targets file (``calibration/targets.yaml``) has three sections:

- ``settings``: the scenario calibrated (path relative to the file), the calibration ``scale``,
  ``seed`` and the number of posterior draws simulated for the fit table.
- ``targets``: one entry per reported figure, mapped to the model metric that matches its
  definition. Three kinds: ``period`` (a metric over a period against a range ``low..high`` or a
  ``value`` with a relative ``tolerance``), ``ranking`` (which countries lead a per-country stock
  in a year) and ``series`` (yearly values of a metric, each within a tolerance).
- ``priors``: the calibrated parameters, with the dotted names the scenario uses.

Every failure is a :class:`~sim.errors.ScenarioError` naming the file and the field path,
found before the first simulation: numbers must be finite, every target must lie in the
calibrated scenario's run period, and every prior's bounds must be valid for that scenario.

How far off a run is (the ABC distance, see :mod:`sim.calibrate.abc`): a value inside its range
is 0 off; outside, it is off by the log ratio to the nearest bound (10% outside is about 0.1),
so targets of very different magnitudes (officials, US dollars) weigh alike. A series is off
by the mean of its years; a ranking by ``RANK_UNIT`` times the share of the listed countries
missing from the model's top places. Each target's miss is multiplied by its weight.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal

import pandas as pd
from pydantic import Field, ValidationError, model_validator

from sim.core.metrics import COUNTRY_COLUMNS, all_names, period_value
from sim.errors import ScenarioError
from sim.scenario.base import Date, Frozen
from sim.scenario.load import load_scenario, with_overrides
from sim.scenario.messages import validation_error
from sim.scenario.reading import read_yaml
from sim.scenario.schema import Scenario
from sim.world.countries import load_countries
from sim.world.dates import iso_month, month_of

RANK_UNIT = math.log(2.0)
"""Miss of a ranking with none of its countries on top (as far off as a factor of two)."""

FLOOR = 1.0
"""Model values are floored at this before taking logs (no log of zero)."""

Id = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")]
Text = Annotated[str, Field(min_length=1)]
Weight = Annotated[float, Field(gt=0.0, le=100.0)]


class _Common(Frozen):
    id: Id
    description: Text
    reported: str = ""
    range_note: str = ""
    weight: Weight = 1.0
    source: Text
    caveat: str = ""


class PeriodTarget(_Common):
    """A metric over ``start..end`` (flows summed, stocks at the end) within a range."""

    kind: Literal["period"]
    metric: str
    start: Date
    end: Date
    low: Annotated[float, Field(ge=0.0)] | None = None
    high: Annotated[float, Field(gt=0.0)] | None = None
    value: Annotated[float, Field(gt=0.0)] | None = None
    tolerance: Annotated[float, Field(gt=0.0, lt=1.0)] | None = None

    @model_validator(mode="after")
    def _range(self) -> PeriodTarget:
        if month_of(self.end) < month_of(self.start):
            raise ValueError(f"end {self.end} is before start {self.start}")
        has_range = self.low is not None or self.high is not None
        has_value = self.value is not None or self.tolerance is not None
        if has_range == has_value:
            raise ValueError("give either low and high, or value and tolerance")
        if has_range and (self.low is None or self.high is None):
            raise ValueError("a range needs both low and high")
        if has_value and (self.value is None or self.tolerance is None):
            raise ValueError("a central value needs both value and tolerance")
        lo, hi = self.bounds
        if lo >= hi:
            raise ValueError(f"bad range: low {lo:g} is not below high {hi:g}")
        return self

    @property
    def bounds(self) -> tuple[float, float]:
        if self.value is not None and self.tolerance is not None:
            return self.value * (1 - self.tolerance), self.value * (1 + self.tolerance)
        return float(self.low or 0.0), float(self.high or 0.0)


class RankingTarget(_Common):
    """The listed countries hold the top places of a per-country stock at a year's end."""

    kind: Literal["ranking"]
    metric: str = "stock_abroad"
    year: Annotated[int, Field(ge=1900, le=2200)]
    countries: Annotated[
        tuple[Annotated[str, Field(pattern=r"^[A-Z]{3}$")], ...], Field(min_length=1)
    ]
    exclude: tuple[Annotated[str, Field(pattern=r"^[A-Z]{3}$")], ...] = ()
    exclude_note: str = ""

    @model_validator(mode="after")
    def _lists(self) -> RankingTarget:
        if len(set(self.countries)) != len(self.countries):
            raise ValueError("countries are listed twice")
        both = sorted(set(self.countries) & set(self.exclude))
        if both:
            raise ValueError(f"countries both ranked and excluded: {', '.join(both)}")
        return self


class Point(Frozen):
    year: Annotated[int, Field(ge=1900, le=2200)]
    value: Annotated[float, Field(gt=0.0)]


class SeriesTarget(_Common):
    """Yearly values of a flow, each within a relative tolerance (a shape)."""

    kind: Literal["series"]
    metric: str
    points: Annotated[tuple[Point, ...], Field(min_length=1)]
    tolerance: Annotated[float, Field(gt=0.0, lt=1.0)]

    @model_validator(mode="after")
    def _years(self) -> SeriesTarget:
        years = [p.year for p in self.points]
        if len(set(years)) != len(years):
            raise ValueError("a year is listed twice")
        return self


Target = Annotated[PeriodTarget | RankingTarget | SeriesTarget, Field(discriminator="kind")]


class Prior(Frozen):
    parameter: Annotated[str, Field(pattern=r"^world(\.[a-z0-9_]+)+$")]
    distribution: Literal["uniform", "loguniform"]
    low: float
    high: float
    justification: Text

    @model_validator(mode="after")
    def _bounds(self) -> Prior:
        if not self.low < self.high:
            raise ValueError(f"bad range: low {self.low:g} is not below high {self.high:g}")
        if self.distribution == "loguniform" and self.low <= 0:
            raise ValueError("a loguniform prior needs low > 0")
        return self


class Settings(Frozen):
    scenario: Text
    scale: Annotated[int, Field(ge=1)] = 25
    seed: Annotated[int, Field(ge=0, lt=2**63)] = 20141110
    predictive_draws: Annotated[int, Field(ge=10, le=10_000)] = 100


class TargetsSpec(Frozen):
    """A whole, valid targets file."""

    settings: Settings
    targets: Annotated[tuple[Target, ...], Field(min_length=1)]
    priors: Annotated[tuple[Prior, ...], Field(min_length=1)]
    file: str = ""

    @property
    def scenario_path(self) -> Path:
        return (Path(self.file).parent / self.settings.scenario).resolve()

    @property
    def parameters(self) -> tuple[str, ...]:
        return tuple(p.parameter for p in self.priors)

    @property
    def end(self) -> str:
        """The last month any target looks at (calibration runs stop there)."""
        months = []
        for t in self.targets:
            if isinstance(t, PeriodTarget):
                months.append(month_of(t.end))
            else:
                last = t.year if isinstance(t, RankingTarget) else max(p.year for p in t.points)
                months.append(month_of(f"{last}-12"))
        return iso_month(max(months))


TARGET_KINDS = frozenset({"period", "ranking", "series"})
"""Tags of the target union: they appear in error locations but are not fields."""


def load_targets(path: str | Path) -> TargetsSpec:
    """Read and validate a targets file.

    Raises:
        ScenarioError: naming the file and the field path of the first problem.
    """
    file = Path(path)
    data = read_yaml(file)
    if not isinstance(data, dict):
        raise ScenarioError(file, "", "expected a mapping with settings, targets and priors")
    try:
        spec = TargetsSpec.model_validate({**data, "file": str(file)})
    except ValidationError as exc:
        err = validation_error(exc, file, skip=TARGET_KINDS)
        if exc.errors()[0].get("type") == "union_tag_invalid":
            err = ScenarioError(file, err.path, "kind must be one of period, ranking, series")
        raise err from None
    check(spec, file)
    return spec


def check(spec: TargetsSpec, file: Path) -> None:
    """Checks a schema cannot see: unique ids, known metrics and countries, targets inside the
    calibrated scenario's period, settings and prior bounds valid for that scenario."""
    known = set(all_names())
    countries = set(load_countries().iso3)
    seen: set[str] = set()
    for i, t in enumerate(spec.targets):
        where = f"targets[{i}]"
        if t.id in seen:
            raise ScenarioError(file, f"{where}.id", f"target id {t.id!r} is used twice")
        seen.add(t.id)
        if isinstance(t, RankingTarget):
            if t.metric not in COUNTRY_COLUMNS:
                raise ScenarioError(
                    file,
                    f"{where}.metric",
                    f"unknown per-country metric {t.metric!r}; known: {', '.join(COUNTRY_COLUMNS)}",
                )
            for field in ("countries", "exclude"):
                for j, iso3 in enumerate(getattr(t, field)):
                    if iso3 not in countries:
                        raise ScenarioError(
                            file, f"{where}.{field}[{j}]", f"country {iso3!r} is not in the data"
                        )
        elif t.metric not in known:
            raise ScenarioError(
                file,
                f"{where}.metric",
                f"unknown metric {t.metric!r}; known: {', '.join(sorted(known))}",
            )
    if not spec.scenario_path.is_file():
        raise ScenarioError(file, "settings.scenario", f"file not found: {spec.settings.scenario}")
    scenario = load_scenario(spec.scenario_path)
    for i, t in enumerate(spec.targets):
        _check_period(t, scenario, file, f"targets[{i}]", spec.settings.scenario)
    try:
        with_overrides(scenario, {"run.scale": spec.settings.scale})
    except ScenarioError as exc:
        raise ScenarioError(file, "settings.scale", exc.message) from None
    names: set[str] = set()
    for i, p in enumerate(spec.priors):
        if p.parameter in names:
            raise ScenarioError(file, f"priors[{i}].parameter", f"{p.parameter} has two priors")
        names.add(p.parameter)
        for bound in ("low", "high"):
            try:
                with_overrides(scenario, {p.parameter: getattr(p, bound)})
            except ScenarioError as exc:
                field = (
                    "parameter" if exc.message == "unknown key" or "dict" in exc.message else bound
                )
                text = f"not a scenario parameter ({exc.path}: {exc.message})"
                if field == bound:
                    text = f"{p.parameter} = {getattr(p, bound):g} is invalid: {exc.message}"
                raise ScenarioError(file, f"priors[{i}].{field}", text) from None


def _check_period(t: Target, scenario: Scenario, file: Path, where: str, name: str) -> None:
    """A target must look only at months the calibrated scenario simulates."""
    if isinstance(t, PeriodTarget):
        months = [("start", t.start, month_of(t.start)), ("end", t.end, month_of(t.end))]
    elif isinstance(t, RankingTarget):
        months = [("year", str(t.year), month_of(f"{t.year}-12"))]
    else:
        months = [
            (f"points[{j}].year", str(p.year), month_of(f"{p.year}-12"))
            for j, p in enumerate(t.points)
        ]
        months += [
            (f"points[{j}].year", str(p.year), month_of(f"{p.year}-01"))
            for j, p in enumerate(t.points)
        ]
    for field, shown, month in months:
        if not scenario.start_month <= month <= scenario.end_month:
            raise ScenarioError(
                file,
                f"{where}.{field}",
                f"{shown} is outside the run period {scenario.run.start}..{scenario.run.end} "
                f"of {name}",
            )


# ----------------------------------------------------------------------------- statistics
def statistics(target: Target, monthly: pd.DataFrame, countries: pd.DataFrame) -> dict[str, float]:
    """A target's summary statistics from one run's tables (keys: ``id`` or ``id.year``)."""
    if isinstance(target, PeriodTarget):
        return {target.id: period_value(monthly, target.metric, target.start, target.end)}
    if isinstance(target, SeriesTarget):
        return {
            f"{target.id}.{p.year}": period_value(
                monthly, target.metric, f"{p.year}-01", f"{p.year}-12"
            )
            for p in target.points
        }
    return {target.id: float(ranking_score(target, countries))}


def ranking_score(target: RankingTarget, countries: pd.DataFrame) -> int:
    """How many of the model's top ``len(countries)`` places are held by the listed countries.

    Places with equal stocks are ordered with the listed countries last, so ties never help.
    """
    year = countries[(countries["year"] == target.year) & ~countries["iso3"].isin(target.exclude)]
    if year.empty:
        return 0
    listed = year["iso3"].isin(target.countries)
    order = year.assign(_listed=listed).sort_values(
        [target.metric, "_listed"], ascending=[False, True], kind="stable"
    )
    top = order["iso3"].head(len(target.countries))
    return int(top.isin(target.countries).sum())


def ranges(target: Target) -> list[tuple[str, float, float]]:
    """Rows of the fit table: ``(statistic key, low, high)``."""
    if isinstance(target, PeriodTarget):
        return [(target.id, *target.bounds)]
    if isinstance(target, SeriesTarget):
        tol = target.tolerance
        return [
            (f"{target.id}.{p.year}", p.value * (1 - tol), p.value * (1 + tol))
            for p in target.points
        ]
    k = float(len(target.countries))
    return [(target.id, k, k)]


def outside(x: float, low: float, high: float) -> float:
    """Log ratio by which ``x`` lies outside ``[low, high]`` (0 inside)."""
    if not math.isfinite(x):
        return math.inf
    x = max(x, FLOOR)
    below = math.log(low / x) if low > 0 else 0.0
    return max(0.0, below, math.log(x / high))


def miss(target: Target, stats: Mapping[str, float]) -> float:
    """Weighted miss of one target given a run's statistics (0 when the target is met)."""
    if isinstance(target, RankingTarget):
        k = len(target.countries)
        return target.weight * RANK_UNIT * (k - stats[target.id]) / k
    rows = ranges(target)
    return target.weight * sum(outside(stats[key], lo, hi) for key, lo, hi in rows) / len(rows)
