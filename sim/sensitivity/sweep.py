"""Sweep files: a base scenario, the parameters to vary, the outputs, the method and the seed.

A sweep file (``scenarios/sweeps/*.yaml``) is parsed strictly (YAML 1.2, plain data:
:func:`sim.scenario.reading.read_yaml`) at the edge and validated into frozen pydantic models that
forbid unknown keys, like scenarios. Every failure is a :class:`~sim.errors.ScenarioError`
naming the file and the dotted field path, which the command line prints on one line (exit
status 2).

Parameters are dotted paths into the resolved base scenario; list items are reached with an
index (``policy.pledges[2].compliance``). A sampled point is applied to the raw mapping
(:func:`sim.scenario.overrides.apply_overrides`) and then validated as a whole scenario, so a
sampled value the scenario schema rejects is caught. At load time each parameter's range is checked
against the schema: both ends of a bounded distribution, an interior point that is not a whole
number (unless ``integer: true``), and for an unbounded distribution (``norm``, ``lognorm``)
values far out on each side, so a parameter with limits cannot be given one. ``model`` names a
registered model (:mod:`sim.sensitivity.models`); nothing is imported by name from a file.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from sim.core.metrics import all_names
from sim.errors import ScenarioError
from sim.scenario.base import Frozen
from sim.scenario.extends import deep_merge, load_raw
from sim.scenario.messages import validation_error
from sim.scenario.overrides import apply_overrides, path_tokens
from sim.scenario.reading import read_yaml
from sim.scenario.schema import Scenario
from sim.scenario.validation import validate
from sim.sensitivity.models import FUNCTIONS, MODEL_NAMES, SCENARIO_MODEL, RunFunction
from sim.world.dates import month_of

DISTRIBUTIONS = ("unif", "logunif", "triang", "norm", "truncnorm", "lognorm")
"""SALib's names; ``bounds`` holds each distribution's numbers (see :class:`Parameter`)."""

_ARITY = {"unif": 2, "logunif": 2, "triang": 3, "norm": 2, "truncnorm": 4, "lognorm": 2}
UNBOUNDED = {"norm": (-1e300, 1e300), "lognorm": (1e-300, 1e300)}
"""Values far out on each side of the unbounded distributions: a parameter must accept them."""


class Parameter(Frozen):
    """One varied input.

    ``bounds`` means: ``unif``/``logunif`` [low, high]; ``triang`` [low, high, peak as a share
    of the width]; ``norm``/``lognorm`` [mean, sd] (of the log for ``lognorm``); ``truncnorm``
    [low, high, mean, sd].
    """

    path: Annotated[str, Field(min_length=1)]
    bounds: tuple[float, ...]
    dist: Literal["unif", "logunif", "triang", "norm", "truncnorm", "lognorm"] = "unif"
    group: str | None = None
    integer: bool = False
    source: str = "assumption"

    @model_validator(mode="after")
    def _shape(self) -> Parameter:
        need = _ARITY[self.dist]
        if len(self.bounds) != need:
            raise ValueError(f"{self.dist} needs {need} numbers in bounds, got {len(self.bounds)}")
        b = self.bounds
        if self.dist in ("unif", "logunif", "triang", "truncnorm") and not b[0] < b[1]:
            raise ValueError(f"bounds: low {b[0]} must be below high {b[1]}")
        if self.dist == "logunif" and b[0] <= 0:
            raise ValueError("bounds: logunif needs positive bounds")
        if self.dist == "triang" and not 0 <= b[2] <= 1:
            raise ValueError("bounds: the triang peak is a share of the width, in [0, 1]")
        if self.dist in ("norm", "lognorm") and b[1] <= 0:
            raise ValueError("bounds: the standard deviation must be positive")
        if self.dist == "truncnorm" and b[3] <= 0:
            raise ValueError("bounds: the standard deviation must be positive")
        return self

    def salib_bounds(self) -> list[float]:
        """Bounds in SALib's convention (its ``triang`` wants [low, high, peak share])."""
        return list(self.bounds)

    def typical(self) -> float:
        """A central value, used to check at load time that the path accepts numbers."""
        b = self.bounds
        if self.dist in ("norm",):
            return b[0]
        if self.dist == "lognorm":
            return float(2.718281828459045 ** b[0])
        return (b[0] + b[1]) / 2.0


class Output(Frozen):
    """A scalar output: a metric over a period (flows summed, stocks at the period's end)."""

    metric: str | None = None
    period: tuple[str, str] | None = None
    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_]*$")] | None = None

    @model_validator(mode="after")
    def _named(self) -> Output:
        if self.name is None and (self.metric is None or self.period is None):
            raise ValueError("an output needs a metric and a period, or a name")
        return self

    @property
    def label(self) -> str:
        if self.name:
            return self.name
        assert self.metric is not None and self.period is not None
        a, b = (p[:7].replace("-", "") for p in self.period)
        return f"{self.metric}_{a}" if a == b else f"{self.metric}_{a}_{b}"


DUMMY = "dummy"
"""Name of the dummy parameter: sampled like the others (uniform 0-1), read by nothing. Its
index is the noise floor of the estimator (Khorashadi Zadeh et al. 2017): an index not above
the dummy's is indistinguishable from zero."""


class Analysis(Frozen):
    num_resamples: Annotated[int, Field(ge=10, le=100_000)] = 500
    conf_level: Annotated[float, Field(gt=0.5, lt=1.0)] = 0.95
    second_order: bool = False
    morris_levels: Annotated[int, Field(ge=2, le=20)] = 4
    fast_harmonics: Annotated[int, Field(ge=1, le=10)] = 4
    dummy: bool | None = None
    """Add the :data:`DUMMY` parameter; default: yes for sobol and fast, no for morris."""


class Effect(Frozen):
    """Outputs as paired policy effects: the sweep's base (the policy) against a reference.

    Every sample point runs the policy (the sweep's ``base`` with the sampled values) and the
    ``reference`` scenario (with the sweep's ``changes`` and the sampled ``world.`` and ``run.``
    values, not the ``policy.`` ones) under the same seed and replicate: common random numbers.
    Each output is then ``policy - reference`` (``difference``), ``policy / reference``
    (``ratio``) or ``policy / reference - 1`` (``relative``).
    """

    reference: Annotated[str, Field(min_length=1)]
    kind: Literal["difference", "ratio", "relative"] = "difference"


class Sweep(Frozen):
    """A whole sweep file, with its base scenario still a path (resolved by :func:`load_sweep`)."""

    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_\-]*$")]
    description: str = ""
    model: str = SCENARIO_MODEL
    model_options: dict[str, Any] = Field(default_factory=dict)
    base: str | None = None
    changes: dict[str, Any] = Field(default_factory=dict)
    parameters: Annotated[tuple[Parameter, ...], Field(min_length=1)]
    outputs: Annotated[tuple[Output, ...], Field(min_length=1)]
    method: Literal["sobol", "morris", "fast"]
    sample_size: Annotated[int, Field(ge=2, le=1_000_000)]
    replicates: Annotated[int, Field(ge=1, le=1000)] = 1
    seed: Annotated[int, Field(ge=1, lt=2**63)]
    batch_size: Annotated[int, Field(ge=1, le=10_000)] | None = None
    analysis: Analysis = Analysis()
    effect: Effect | None = None

    @field_validator("model")
    @classmethod
    def _registered(cls, model: str) -> str:
        if model not in MODEL_NAMES:
            raise ValueError(
                f"unknown model {model[:60]!r}; known: {', '.join(MODEL_NAMES)} "
                "(sim/sensitivity/models.py)"
            )
        return model

    @model_validator(mode="after")
    def _consistent(self) -> Sweep:
        paths = [p.path for p in self.parameters]
        dup = sorted({p for p in paths if paths.count(p) > 1})
        if dup:
            raise ValueError(f"parameter {dup[0]} is listed twice")
        grouped = [p.group is not None for p in self.parameters]
        if any(grouped) and not all(grouped):
            raise ValueError("either every parameter has a group or none has")
        if any(grouped) and self.method == "fast":
            raise ValueError("fast does not support groups; remove them or use sobol/morris")
        if self.method == "sobol" and self.sample_size & (self.sample_size - 1):
            raise ValueError(
                f"sobol needs a power of 2 as sample_size (Sobol' sequences), "
                f"got {self.sample_size}"
            )
        least = 8 * self.analysis.fast_harmonics**2
        if self.method == "fast" and self.sample_size <= least:
            raise ValueError(f"fast needs sample_size > 8 M^2 = {least} (its check design is half)")
        if self.model == "flightsim":
            if self.base is None:
                raise ValueError("base: required for the flightsim model (a scenario file)")
            for o in self.outputs:
                if o.metric is None or o.period is None:
                    raise ValueError(
                        f"output {o.label}: the flightsim model needs metric and period"
                    )
        if self.effect is not None and self.model != "flightsim":
            raise ValueError("effect: needs the flightsim model")
        if DUMMY in paths:
            raise ValueError(f"{DUMMY!r} is reserved for the dummy parameter; rename it")
        labels = [o.label for o in self.outputs]
        dup = sorted({x for x in labels if labels.count(x) > 1})
        if dup:
            raise ValueError(f"two outputs are both named {dup[0]}; give one a name")
        return self

    @property
    def names(self) -> list[str]:
        return [p.path for p in self.parameters]

    @property
    def has_dummy(self) -> bool:
        """Whether the design carries the :data:`DUMMY` parameter (see :class:`Analysis`)."""
        if self.analysis.dummy is None:
            return self.method in ("sobol", "fast")
        return self.analysis.dummy

    @property
    def output_names(self) -> list[str]:
        return [o.label for o in self.outputs]

    def problem(self) -> dict[str, Any]:
        """The SALib problem dictionary."""
        dummy = [DUMMY] if self.has_dummy else []
        problem: dict[str, Any] = {
            "num_vars": len(self.parameters) + len(dummy),
            "names": self.names + dummy,
            "bounds": [p.salib_bounds() for p in self.parameters] + [[0.0, 1.0]] * len(dummy),
            "dists": [p.dist for p in self.parameters] + ["unif"] * len(dummy),
        }
        if self.parameters[0].group is not None:
            problem["groups"] = [p.group for p in self.parameters] + dummy
        return problem


class LoadedSweep:
    """A valid sweep with its resolved base scenario as a raw mapping, ready to sample."""

    def __init__(
        self,
        sweep: Sweep,
        file: Path,
        base_raw: dict[str, Any],
        base: Scenario | None,
        reference_raw: dict[str, Any] | None = None,
        reference: Scenario | None = None,
    ) -> None:
        self.sweep = sweep
        self.file = file
        self.base_raw = base_raw
        self.base = base
        self.reference_raw = reference_raw
        self.reference = reference

    def fingerprint(self) -> str:
        """SHA-256 over what decides the runs (sweep and base), to guard resumed folders."""
        text = json.dumps(
            {
                "sweep": self.sweep.model_dump(mode="json"),
                "base": self.base_raw,
                **({"reference": self.reference_raw} if self.reference_raw is not None else {}),
            },
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_sweep(path: str | Path, sample_size: int | None = None) -> LoadedSweep:
    """Read, validate and resolve a sweep file.

    Args:
        path: the sweep YAML file.
        sample_size: replaces the file's ``sample_size`` (to try a sweep quickly).

    Raises:
        ScenarioError: any problem, naming the file and the field path.
    """
    file = Path(path)
    data = read_yaml(file)
    if not isinstance(data, dict):
        raise ScenarioError(file, "", "expected a mapping at the top of a sweep file")
    if sample_size is not None:
        data = {**data, "sample_size": sample_size}
    try:
        sweep = Sweep.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, file) from None
    if sweep.model != SCENARIO_MODEL:
        return LoadedSweep(sweep, file, {}, None)
    assert sweep.base is not None
    base_file = (file.parent / sweep.base).resolve()
    if not base_file.exists():
        raise ScenarioError(file, "base", f"scenario file not found: {sweep.base}")
    raw, _ = load_raw(base_file)
    raw = deep_merge(raw, sweep.changes)
    base = _validate_base(raw, file)
    for i, p in enumerate(sweep.parameters):
        _check_parameter(raw, p, file, f"parameters[{i}]")
    names = set(all_names())
    lo, hi = base.start_month, base.end_month
    for i, out in enumerate(sweep.outputs):
        assert out.metric is not None and out.period is not None
        if out.metric not in names:
            raise ScenarioError(file, f"outputs[{i}].metric", f"unknown metric {out.metric!r}")
        for j, date in enumerate(out.period):
            try:
                month = month_of(date)
            except ValueError as exc:
                raise ScenarioError(file, f"outputs[{i}].period[{j}]", str(exc)) from None
            if not lo <= month <= hi:
                raise ScenarioError(
                    file,
                    f"outputs[{i}].period[{j}]",
                    f"date {date} is outside the base run period {base.run.start}..{base.run.end}",
                )
        if month_of(out.period[1]) < month_of(out.period[0]):
            raise ScenarioError(file, f"outputs[{i}].period", "end is before start")
    if sweep.effect is None:
        return LoadedSweep(sweep, file, raw, base)
    ref_raw, reference = _load_reference(file, sweep, base)
    return LoadedSweep(sweep, file, raw, base, ref_raw, reference)


def _load_reference(file: Path, sweep: Sweep, base: Scenario) -> tuple[dict[str, Any], Scenario]:
    """The effect's reference scenario with the sweep's changes, checked against the base."""
    assert sweep.effect is not None
    ref_file = (file.parent / sweep.effect.reference).resolve()
    if not ref_file.exists():
        raise ScenarioError(
            file, "effect.reference", f"scenario file not found: {sweep.effect.reference}"
        )
    ref_raw, _ = load_raw(ref_file)
    ref_raw = deep_merge(ref_raw, sweep.changes)
    try:
        reference = validate(ref_raw, file)
    except ScenarioError as exc:
        raise ScenarioError(
            file, "effect.reference", f"the reference with the sweep's changes: {exc.message}"
        ) from None
    for field in ("start", "end", "scale"):
        if getattr(reference.run, field) != getattr(base.run, field):
            raise ScenarioError(
                file, "effect.reference",
                f"run.{field} differs from the base's; policy and reference must share it",
            )  # fmt: skip
    for i, p in enumerate(sweep.parameters):
        if not p.path.startswith("policy."):
            _check_parameter(ref_raw, p, file, f"parameters[{i}]")
    return ref_raw, reference


def resolve_model(name: str) -> RunFunction:
    """The registered per-run function named ``name`` (:data:`sim.sensitivity.models.FUNCTIONS`)."""
    return FUNCTIONS[name]


def _validate_base(raw: dict[str, Any], file: Path) -> Scenario:
    try:
        return validate(raw, file)
    except ScenarioError as exc:
        where = f"changes.{exc.path}" if exc.path else "changes"
        raise ScenarioError(
            file, where, f"the resolved base scenario is invalid: {exc.message}"
        ) from None


def _check_parameter(raw: dict[str, Any], p: Parameter, file: Path, where: str) -> None:
    """The path must reach a number the scenario accepts at a central value of the parameter."""
    try:
        parts = path_tokens(p.path)
    except ValueError as exc:
        raise ScenarioError(file, f"{where}.path", str(exc)) from None
    if parts[0] not in ("world", "policy", "run"):
        raise ScenarioError(file, f"{where}.path", "must start with world., policy. or run.")
    if p.path in ("run.seed", "run.replicates", "run.start", "run.end"):
        raise ScenarioError(file, f"{where}.path", f"{p.path} cannot be varied")
    checks: list[tuple[str, float]] = [("path", p.typical())]
    if p.dist in UNBOUNDED:
        low, high = UNBOUNDED[p.dist]
        checks += [("dist", low), ("dist", high)]
    else:
        checks += [("bounds[0]", p.bounds[0]), ("bounds[1]", p.bounds[1])]
        if not p.integer:
            # an interior point that is not a whole number: a whole-number field needs integer
            checks.append(("integer", p.bounds[0] + (p.bounds[1] - p.bounds[0]) * 0.382))
    for field, number in checks:
        value: Any = round(number) if p.integer else number
        try:
            point = apply_overrides(raw, {p.path: value})
        except ScenarioError as exc:
            raise ScenarioError(file, f"{where}.path", f"{p.path}: {exc.message}") from None
        try:
            validate(point, file)
        except ScenarioError as exc:
            if exc.message.startswith("unknown key"):
                raise ScenarioError(
                    file, f"{where}.path", f"{p.path} is not a scenario field"
                ) from None
            if field == "dist":
                raise ScenarioError(
                    file,
                    f"{where}.dist",
                    f"{p.dist} is unbounded but {p.path} has limits ({value:g}: {exc.message}); "
                    "use unif, triang or truncnorm",
                ) from None
            if field == "integer":
                raise ScenarioError(
                    file,
                    f"{where}.integer",
                    f"{p.path} = {value:g}: {exc.message}; set integer: true",
                ) from None
            raise ScenarioError(
                file, f"{where}.{field}", f"{p.path} = {value}: {exc.message}"
            ) from None
