"""Calibration targets, priors and observation shares: the file schema, loading with clean errors.

A targets file (``calibration/targets.yaml``) has four sections:

- ``settings``: the scenario calibrated (path relative to the file), the calibration ``scale``,
  ``seed`` and the number of posterior draws simulated for the fit table.
- ``targets``: one entry per reported figure, mapped to the model metric that matches its
  definition (``metric`` may list several, summed). Kinds: ``period`` (a metric over a period
  against a range ``low..high``, a ``value`` with a relative ``tolerance``, or with
  ``lower_bound_only`` a ``low`` alone), ``ranking`` (which countries lead a per-country stock
  in a year), ``series`` (yearly values of a metric, each within a tolerance), ``cumulative``
  (a flow summed from one month to each of several ends), ``ratio`` (one sum of flows over
  another in a period) and ``country_stock`` (a per-country stock at the end of given years,
  averaged).
- ``priors``: the calibrated parameters, with the dotted names the scenario uses.
- ``observation``: share parameters of the observation model (``observation.<name>``), each
  with a prior. They are calibrated with the priors but are not scenario parameters: a target
  whose figure counts a broader group than the model's officials names one in ``share``, and
  its statistic is the model's value divided by the share (officials / share = the broader
  group). See :mod:`sim.calibrate.statistics`.

Every failure is a :class:`~sim.errors.ScenarioError` naming the file and the field path,
found before the first simulation: numbers must be finite, every target must lie in the
calibrated scenario's run period, and every prior's bounds must be valid for that scenario.

Metrics another part of the model is still adding (:data:`PLANNED_METRICS`) load without error,
so the file stays valid while they are on their way; :func:`require_metrics` refuses them, with
the file and field path, when a calibration is about to simulate.

How far off a run is: :mod:`sim.calibrate.statistics`.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError, model_validator

from sim.core.metrics import COUNTRY_COLUMNS, all_names
from sim.errors import ScenarioError
from sim.scenario.base import Date, Frozen
from sim.scenario.load import load_scenario, with_overrides
from sim.scenario.messages import validation_error
from sim.scenario.reading import read_yaml
from sim.scenario.schema import Scenario
from sim.world.countries import load_countries
from sim.world.dates import iso_month, month_of

PLANNED_METRICS = frozenset(
    {"returned_covertly", "caught_after_covert_return", "most_wanted_returned",
     "most_wanted_at_large"}
)  # fmt: skip
"""Metrics being added to the model (covert returns, the most-wanted list): accepted when the
model does not record them yet, refused by :func:`require_metrics` before a calibration."""

Id = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")]
MetricName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
Metrics = MetricName | Annotated[tuple[MetricName, ...], Field(min_length=1)]
ShareName = Annotated[str, Field(pattern=r"^observation\.[a-z][a-z0-9_]*$")]
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


class _Counted(_Common):
    """A target whose figure may count a broader group than the model's officials."""

    metric: Metrics
    share: ShareName | None = None

    @property
    def metrics(self) -> tuple[str, ...]:
        """The model metrics summed for this target."""
        return (self.metric,) if isinstance(self.metric, str) else tuple(self.metric)


class PeriodTarget(_Counted):
    """A metric over ``start..end`` (flows summed, stocks at the end) within a range."""

    kind: Literal["period"]
    start: Date
    end: Date
    low: Annotated[float, Field(ge=0.0)] | None = None
    high: Annotated[float, Field(gt=0.0)] | None = None
    value: Annotated[float, Field(gt=0.0)] | None = None
    tolerance: Annotated[float, Field(gt=0.0, lt=1.0)] | None = None
    lower_bound_only: bool = False

    @model_validator(mode="after")
    def _range(self) -> PeriodTarget:
        if month_of(self.end) < month_of(self.start):
            raise ValueError(f"end {self.end} is before start {self.start}")
        if self.lower_bound_only:
            if self.low is None or self.low <= 0 or self.high is not None or self.value:
                raise ValueError("lower_bound_only needs a positive low and no high or value")
            return self
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
        """``(low, high)``; ``high`` is infinite for a lower bound only."""
        if self.value is not None and self.tolerance is not None:
            return self.value * (1 - self.tolerance), self.value * (1 + self.tolerance)
        if self.lower_bound_only:
            return float(self.low or 0.0), math.inf
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


class SeriesTarget(_Counted):
    """Yearly values of a flow, each within a relative tolerance (a shape)."""

    kind: Literal["series"]
    points: Annotated[tuple[Point, ...], Field(min_length=1)]
    tolerance: Annotated[float, Field(gt=0.0, lt=1.0)]

    @model_validator(mode="after")
    def _years(self) -> SeriesTarget:
        years = [p.year for p in self.points]
        if len(set(years)) != len(years):
            raise ValueError("a year is listed twice")
        return self


class EndPoint(Frozen):
    end: Date
    value: Annotated[float, Field(gt=0.0)]


class CumulativeTarget(_Counted):
    """A flow summed from ``start`` to each point's ``end`` (a running total, e.g. a list's
    members returned since it was published), each within a relative tolerance."""

    kind: Literal["cumulative"]
    start: Date
    points: Annotated[tuple[EndPoint, ...], Field(min_length=1)]
    tolerance: Annotated[float, Field(gt=0.0, lt=1.0)]

    @model_validator(mode="after")
    def _ends(self) -> CumulativeTarget:
        ends = [month_of(p.end) for p in self.points]
        if ends != sorted(set(ends)):
            raise ValueError("points must have increasing, distinct ends")
        if ends[0] < month_of(self.start):
            raise ValueError(f"end {self.points[0].end} is before start {self.start}")
        return self


class RatioTarget(_Common):
    """One sum of flows over another in ``start..end`` (a share, 0-1) within a range. No
    ``share`` parameter: the observation share of officials cancels in a ratio."""

    kind: Literal["ratio"]
    numerator: Annotated[tuple[MetricName, ...], Field(min_length=1)]
    denominator: Annotated[tuple[MetricName, ...], Field(min_length=1)]
    start: Date
    end: Date
    low: Annotated[float, Field(ge=0.0, le=1.0)]
    high: Annotated[float, Field(gt=0.0, le=1.0)]

    @model_validator(mode="after")
    def _range(self) -> RatioTarget:
        if month_of(self.end) < month_of(self.start):
            raise ValueError(f"end {self.end} is before start {self.start}")
        if self.low >= self.high:
            raise ValueError(f"bad range: low {self.low:g} is not below high {self.high:g}")
        return self

    @property
    def metrics(self) -> tuple[str, ...]:
        return (*self.numerator, *self.denominator)


class CountryStockTarget(_Common):
    """A per-country stock of one destination at the end of ``years`` (their mean) in a range."""

    kind: Literal["country_stock"]
    metric: str = "stock_abroad"
    iso3: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    years: Annotated[tuple[Annotated[int, Field(ge=1900, le=2200)], ...], Field(min_length=1)]
    low: Annotated[float, Field(ge=0.0)]
    high: Annotated[float, Field(gt=0.0)]
    share: ShareName | None = None

    @model_validator(mode="after")
    def _range(self) -> CountryStockTarget:
        if self.low >= self.high:
            raise ValueError(f"bad range: low {self.low:g} is not below high {self.high:g}")
        if len(set(self.years)) != len(self.years):
            raise ValueError("a year is listed twice")
        return self


Target = Annotated[
    PeriodTarget | RankingTarget | SeriesTarget | CumulativeTarget | RatioTarget
    | CountryStockTarget,
    Field(discriminator="kind"),
]  # fmt: skip


PRIOR_PATH = r"^(world(\.[a-z0-9_]+)+|policy\.[a-z_]+\[\d+\]\.[a-z_]+)$"
"""A calibrated scenario parameter: ``world.<section>.<name>``, or the strength of one dated
lever entry, ``policy.<list>[<i>].<field>`` (e.g. ``policy.exit_controls[2].value``)."""


class Prior(Frozen):
    parameter: Annotated[str, Field(pattern=PRIOR_PATH)]
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


class ObservationPrior(Prior):
    """A share parameter of the observation model: officials among a figure's broader group."""

    parameter: ShareName
    meaning: Text
    low: Annotated[float, Field(gt=0.0, le=1.0)]
    high: Annotated[float, Field(gt=0.0, le=1.0)]


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
    observation: tuple[ObservationPrior, ...] = ()
    file: str = ""

    @property
    def scenario_path(self) -> Path:
        return (Path(self.file).parent / self.settings.scenario).resolve()

    @property
    def all_priors(self) -> tuple[Prior, ...]:
        """Every calibrated parameter's prior: the scenario's, then the observation shares."""
        return (*self.priors, *self.observation)

    @property
    def parameters(self) -> tuple[str, ...]:
        return tuple(p.parameter for p in self.all_priors)

    @property
    def end(self) -> str:
        """The last month any target looks at (calibration runs stop there)."""
        return iso_month(max(month for t in self.targets for _, _, month in target_months(t)))


def only(spec: TargetsSpec, prefixes: tuple[str, ...]) -> TargetsSpec:
    """The targets file with only the targets whose id starts with one of ``prefixes``.

    ``("T",)`` keeps window I (docs/sources.md section 1, the T targets), the W targets are
    window II (section 4). The priors stay as they are, so that a calibration on one window and
    one on all targets can be compared parameter by parameter (``--earlier-posterior``).

    Raises:
        ValueError: no target id starts with any of ``prefixes``.
    """
    kept = tuple(t for t in spec.targets if t.id.startswith(prefixes))
    if not kept:
        raise ValueError(f"no target id starts with {' or '.join(prefixes)}")
    return spec.model_copy(update={"targets": kept})


def target_months(t: Target) -> list[tuple[str, str, int]]:
    """``(field, shown, month)`` for every month a target looks at (first and last)."""
    if isinstance(t, (PeriodTarget, RatioTarget)):
        return [("start", t.start, month_of(t.start)), ("end", t.end, month_of(t.end))]
    if isinstance(t, RankingTarget):
        return [("year", str(t.year), month_of(f"{t.year}-12"))]
    if isinstance(t, CumulativeTarget):
        ends = [(f"points[{j}].end", p.end, month_of(p.end)) for j, p in enumerate(t.points)]
        return [("start", t.start, month_of(t.start)), *ends]
    if isinstance(t, CountryStockTarget):
        return [(f"years[{j}]", str(y), month_of(f"{y}-12")) for j, y in enumerate(t.years)]
    return [
        (f"points[{j}].year", str(p.year), month)
        for j, p in enumerate(t.points)
        for month in (month_of(f"{p.year}-01"), month_of(f"{p.year}-12"))
    ]


TARGET_KINDS = frozenset({"period", "ranking", "series", "cumulative", "ratio", "country_stock"})
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
            kinds = ", ".join(sorted(TARGET_KINDS))
            err = ScenarioError(file, err.path, f"kind must be one of {kinds}")
        raise err from None
    check(spec, file)
    return spec


def check(spec: TargetsSpec, file: Path) -> None:
    """Checks a schema cannot see: unique ids, known metrics, countries and shares, targets
    inside the calibrated scenario's period, settings and prior bounds valid for that scenario."""
    seen: set[str] = set()
    for i, t in enumerate(spec.targets):
        where = f"targets[{i}]"
        if t.id in seen:
            raise ScenarioError(file, f"{where}.id", f"target id {t.id!r} is used twice")
        seen.add(t.id)
        _check_metrics(t, file, where)
    _check_shares(spec, file)
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


def _metric_fields(t: Target) -> list[tuple[str, str]]:
    """``(field path, metric)`` of every metric a target reads."""
    if isinstance(t, RatioTarget):
        return [(f"{side}[{j}]", m) for side in ("numerator", "denominator")
                for j, m in enumerate(getattr(t, side))]  # fmt: skip
    if isinstance(t, (RankingTarget, CountryStockTarget)) or isinstance(t.metric, str):
        return [("metric", t.metric)]
    return [(f"metric[{j}]", m) for j, m in enumerate(t.metric)]


def _check_metrics(t: Target, file: Path, where: str) -> None:
    countries = set(load_countries().iso3)
    if isinstance(t, (RankingTarget, CountryStockTarget)):
        if t.metric not in COUNTRY_COLUMNS:
            raise ScenarioError(
                file,
                f"{where}.metric",
                f"unknown per-country metric {t.metric!r}; known: {', '.join(COUNTRY_COLUMNS)}",
            )
        listed = [("iso3", t.iso3)] if isinstance(t, CountryStockTarget) else [
            (f"{field}[{j}]", iso3) for field in ("countries", "exclude")
            for j, iso3 in enumerate(getattr(t, field))]  # fmt: skip
        for field, iso3 in listed:
            if iso3 not in countries:
                text = f"country {iso3!r} is not in the data"
                raise ScenarioError(file, f"{where}.{field}", text)
        return
    known = set(all_names()) | PLANNED_METRICS
    for field, name in _metric_fields(t):
        if name not in known:
            raise ScenarioError(
                file,
                f"{where}.{field}",
                f"unknown metric {name!r}; known: {', '.join(sorted(known))}",
            )


def _check_shares(spec: TargetsSpec, file: Path) -> None:
    """Every ``share`` a target names has a prior in ``observation``, and every one is used."""
    declared: dict[str, int] = {}
    for i, p in enumerate(spec.observation):
        if p.parameter in declared:
            raise ScenarioError(file, f"observation[{i}].parameter", f"{p.parameter} is twice")
        declared[p.parameter] = i
    used = set()
    for i, t in enumerate(spec.targets):
        share = getattr(t, "share", None)
        if share is None:
            continue
        if share not in declared:
            raise ScenarioError(
                file, f"targets[{i}].share", f"{share} has no prior in the observation section"
            )
        used.add(share)
    for name, i in declared.items():
        if name not in used:
            raise ScenarioError(
                file, f"observation[{i}].parameter", f"{name} is not the share of any target"
            )


def require_metrics(spec: TargetsSpec) -> None:
    """Before simulating: every metric a target reads must be one this model records.

    Raises:
        ScenarioError: naming the file and the field of a planned metric the model lacks.
    """
    known = set(all_names()) | set(COUNTRY_COLUMNS)
    for i, t in enumerate(spec.targets):
        for field, name in _metric_fields(t):
            if name not in known:
                raise ScenarioError(
                    spec.file,
                    f"targets[{i}].{field}",
                    f"metric {name!r} is not recorded by this version of the model yet "
                    f"(planned); it cannot be calibrated until the model records it",
                )


def _check_period(t: Target, scenario: Scenario, file: Path, where: str, name: str) -> None:
    """A target must look only at months the calibrated scenario simulates."""
    for field, shown, month in target_months(t):
        if not scenario.start_month <= month <= scenario.end_month:
            raise ScenarioError(
                file,
                f"{where}.{field}",
                f"{shown} is outside the run period {scenario.run.start}..{scenario.run.end} "
                f"of {name}",
            )
