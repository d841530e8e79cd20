"""Validating a merged mapping into a Scenario: the schema, then checks across fields and limits."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sim.errors import ScenarioError
from sim.scenario.limits import check_run
from sim.scenario.messages import Origin, file_of, prefixes, validation_error
from sim.scenario.policy import SCHEDULES
from sim.scenario.schema import Scenario
from sim.world.countries import load_countries
from sim.world.dates import month_of


def validate(
    data: Mapping[str, Any],
    file: str | Path,
    origin: Origin | None = None,
    own: frozenset[str] | None = None,
) -> Scenario:
    """Validate a merged mapping into a :class:`Scenario`, or raise :class:`ScenarioError`.

    Beyond the schema: dates, schedules and countries (:func:`check_semantics`) and what one
    run would cost (:func:`sim.scenario.limits.check_run`).
    """
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, file, origin) from None
    check_semantics(scenario, file, origin, own)
    check_run(scenario, lambda path: file_of(path, origin or {}, file))
    return scenario


def check_semantics(
    scenario: Scenario,
    file: str | Path,
    origin: Origin | None = None,
    own: frozenset[str] | None = None,
) -> None:
    """Checks across fields: dates in the period, schedules ascending, known countries.

    ``own`` lists the dotted paths the file (or the overrides) set itself; only their dates must
    lie in the run period (``None``: every date). Inherited dates beyond a shortened period are
    simply never reached.
    """
    origin = origin or {}
    lo, hi = scenario.start_month, scenario.end_month
    period = f"{scenario.run.start}..{scenario.run.end}"

    def fail(path: str, message: str) -> None:
        raise ScenarioError(file_of(path, origin, file), path, message)

    def in_period(path: str, date: str) -> None:
        # a date set by the file itself must lie in its period; dates inherited through
        # ``extends`` from a longer parent are simply never reached when the period is shorter
        if own is not None and not any(p in own for p in prefixes(path)):
            return
        if not lo <= month_of(date) <= hi:
            fail(path, f"date {date} is outside the run period {period}")

    policy = scenario.policy
    for name in SCHEDULES:
        steps = getattr(policy, name)
        previous = None
        for i, step in enumerate(steps):
            in_period(f"policy.{name}[{i}].from", step.start)
            if previous is not None and month_of(step.start) <= previous:
                fail(f"policy.{name}[{i}].from", "schedule steps must be in increasing date order")
            previous = month_of(step.start)
    for i, window in enumerate(policy.leniency_windows):
        in_period(f"policy.leniency_windows[{i}].start", window.start)
        in_period(f"policy.leniency_windows[{i}].end", window.end)
    countries = load_countries()
    known = set(countries.iso3)
    for i, pledge in enumerate(policy.pledges):
        in_period(f"policy.pledges[{i}].date", pledge.date)
        if isinstance(pledge.members, tuple):
            for j, iso3 in enumerate(pledge.members):
                if iso3 not in known:
                    fail(
                        f"policy.pledges[{i}].members[{j}]", f"country {iso3!r} is not in the data"
                    )
    for name in ("investor_visa_changes", "targeted", "host_reactions"):  # hosts as actors
        for i, item in enumerate(getattr(policy, name)):
            date = item.start if name == "targeted" else item.date
            in_period(f"policy.{name}[{i}].{'from' if name == 'targeted' else 'date'}", date)
            if item.iso3 not in known:
                fail(f"policy.{name}[{i}].iso3", f"country {item.iso3!r} is not in the data")
    for kind in ("add", "withdraw"):
        for i, change in enumerate(getattr(policy.treaties, kind)):
            in_period(f"policy.treaties.{kind}[{i}].date", change.date)
            if change.iso3 not in known:
                fail(
                    f"policy.treaties.{kind}[{i}].iso3",
                    f"country {change.iso3!r} is not in the data",
                )
