"""Dated host attributes: investor-visa routes (open and close dates) and diaspora census series.

Reads ``investor_visas.csv`` and ``diaspora_by_year.csv`` in ``sim/world/data`` (one source per
row), checks them against the country table, and returns plain read-only values; the model turns
them into per-month arrays (:mod:`sim.core.levers`, :mod:`sim.core.agents`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from sim.world.countries import (
    NO_MONTH,
    _fail,
    _number,
    load_countries,
    read_data_csv,
    treaty_month,
)


@dataclass(frozen=True)
class VisaRoute:
    """One investor-visa programme: open from ``opened`` until ``closed`` (months since 1970)."""

    iso3: str
    programme: str
    opened: int
    closed: int
    """``NO_MONTH`` (-1) while still open."""


@functools.lru_cache(maxsize=1)
def load_investor_visas() -> tuple[VisaRoute, ...]:
    """Investor-visa routes of ``investor_visas.csv``.

    Dates known only to the year are placed in July, as treaty dates are
    (:func:`sim.world.countries.treaty_month`).

    Raises:
        ValueError: naming the line and column of an unknown row, a bad date or a route that
            closes before it opens.
    """
    name = "investor_visas.csv"
    codes = load_countries().iso3
    routes = []
    for line, row in read_data_csv(name, ("iso3", "programme", "opened", "closed", "source")):
        if row["iso3"] not in codes:
            raise _fail(name, line, row, "iso3", "not a row of countries.csv")
        months = {}
        for column in ("opened", "closed"):
            try:
                months[column] = treaty_month(row[column]) if row[column].strip() else NO_MONTH
            except ValueError as exc:
                raise _fail(name, line, row, column, str(exc)) from None
        if months["opened"] == NO_MONTH or NO_MONTH < months["closed"] <= months["opened"]:
            raise _fail(name, line, row, "closed", "no opening date, or closed before opening")
        routes.append(VisaRoute(row["iso3"], row["programme"], months["opened"], months["closed"]))
    return tuple(routes)


@functools.lru_cache(maxsize=1)
def load_diaspora_by_year() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Census diaspora series of ``diaspora_by_year.csv``: iso3 -> (years, thousands).

    Raises:
        ValueError: naming the line and column of an unknown row, years out of order or a
            negative count.
    """
    name = "diaspora_by_year.csv"
    codes = load_countries().iso3
    series: dict[str, tuple[list[int], list[float]]] = {}
    for line, row in read_data_csv(name, ("iso3", "year", "thousands", "source")):
        if row["iso3"] not in codes:
            raise _fail(name, line, row, "iso3", "not a row of countries.csv")
        years, values = series.setdefault(row["iso3"], ([], []))
        year = int(_number(name, line, row, "year"))
        if years and year <= years[-1]:
            raise _fail(name, line, row, "year", "years of a country must increase")
        value = _number(name, line, row, "thousands")
        if value < 0:
            raise _fail(name, line, row, "thousands", "must be >= 0")
        years.append(year)
        values.append(value)
    out = {}
    for code, (years, values) in series.items():
        y, v = np.array(years, dtype=np.int64), np.array(values, dtype=np.float64)
        y.setflags(write=False)
        v.setflags(write=False)
        out[code] = (y, v)
    return out
