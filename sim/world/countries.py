"""Country table: destination countries and regions, China's extradition treaties, China's GDP.

Reads the package data in ``sim/world/data`` (sources in ``countries.columns.csv`` and the
README there), validates it, and returns read-only numpy arrays indexed by country.
"""

from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass
from importlib import resources

import numpy as np

from sim.world.dates import month_of, parse_date

BEIJING_LAT_LON = (39.9042, 116.4074)
EARTH_RADIUS_KM = 6371.0
NO_MONTH = -1
YEAR_ONLY_MONTH = 7
"""Month (July) in which a treaty event known only to its year is placed (an assumption)."""
TEXT_COLUMNS = ("iso3", "name", "kind", "region")
NUMERIC_COLUMNS = (
    "lat", "lon", "apec", "g20", "eu", "diaspora_thousands", "gdp_per_capita_usd", "neighbour",
    "death_penalty_abolished", "fair_trial_objection", "asylum_appeal_delay_years",
    "investor_visa", "base_cooperation",
)  # fmt: skip
LEGAL_FAMILIES = ("common_law", "civil_law", "mixed", "socialist_other")
"""Legal-system groups of the ``legal_family`` column (each has its own cooperation ceiling)."""
FLAG_COLUMNS = ("apec", "g20", "eu", "neighbour", "death_penalty_abolished", "investor_visa")
SCORE_COLUMNS = ("fair_trial_objection", "base_cooperation")
NONNEGATIVE_COLUMNS = ("diaspora_thousands", "gdp_per_capita_usd", "asylum_appeal_delay_years")
KINDS = frozenset({"country", "region", "aggregate"})
REGIONS = frozenset({
    "north_america", "oceania", "europe", "east_asia", "southeast_asia", "south_asia",
    "central_asia", "middle_east", "africa", "latin_america", "caribbean",
})  # fmt: skip
TREATY_DATES = ("signed", "in_force", "withdrawn")


@dataclass(frozen=True, eq=False)
class CountryTable:
    """Struct of arrays describing every country agent; position i is country i.

    Numeric columns are read-only float64 arrays; treaty months are read-only int64 arrays of
    months since 1970-01, ``NO_MONTH`` (-1) where there is no such event.
    """

    iso3: tuple[str, ...]
    name: tuple[str, ...]
    kind: tuple[str, ...]
    region: tuple[str, ...]
    lat: np.ndarray
    lon: np.ndarray
    apec: np.ndarray
    g20: np.ndarray
    eu: np.ndarray
    diaspora_thousands: np.ndarray
    gdp_per_capita_usd: np.ndarray
    neighbour: np.ndarray
    death_penalty_abolished: np.ndarray
    fair_trial_objection: np.ndarray
    asylum_appeal_delay_years: np.ndarray
    investor_visa: np.ndarray
    base_cooperation: np.ndarray
    legal_family: tuple[str, ...]
    members: np.ndarray
    """Number of places (members.csv) the row stands for: 1 or more for a country or region
    (its own territories), the member count for an aggregate."""
    log_size: np.ndarray
    """Size term of the destination logit: log(members) for an aggregate row, 0 otherwise
    (aggregation of elemental alternatives: McFadden 1978; Ben-Akiva and Lerman 1985 ch. 9)."""
    distance_km: np.ndarray
    treaty_signed_month: np.ndarray
    treaty_in_force_month: np.ndarray
    treaty_withdrawn_month: np.ndarray

    def index(self, iso3: str) -> int:
        """Return the position of a country.

        Args:
            iso3: ISO 3166-1 alpha-3 code of a row (``X..`` for an aggregate row).

        Raises:
            KeyError: if the code is not in countries.csv.
        """
        try:
            return self.iso3.index(iso3)
        except ValueError:
            raise KeyError(
                f"unknown country code {iso3!r}: not among the {len(self)} codes in "
                "countries.csv (members.csv gives the row of every other place)"
            ) from None

    def __len__(self) -> int:
        return len(self.iso3)


def treaty_month(text: str) -> int:
    """Months since 1970-01 of a treaty date from ``treaties.csv``.

    Dates are parsed by the one date parser (:func:`sim.world.dates.month_of`). Assumption:
    where the source gives only a year ('2001'), the event is placed in that year's July, the
    midpoint guess for a date known only to the year (the parser itself reads a bare year as
    January). Surrounding spaces in the CSV cell are ignored.

    Args:
        text: 'YYYY-MM-DD', 'YYYY-MM' or 'YYYY'.

    Raises:
        ValueError: naming the text, if it is not one of the three forms or not a real date.
    """
    text = text.strip()
    _, month, _ = parse_date(text)
    return month_of(text) + (YEAR_ONLY_MONTH - 1 if month is None else 0)


def read_data_csv(name: str, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """Read a package-data CSV; return (file line number, row) pairs after checking the header."""
    text = (resources.files("sim.world") / "data" / name).read_text(encoding="utf-8")
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != columns:
        raise ValueError(f"{name}: header {reader.fieldnames} differs from expected {columns}")
    rows = [(reader.line_num, row) for row in reader]
    for line, row in rows:
        if None in row or None in row.values():
            raise ValueError(f"{name}, line {line}: wrong number of fields")
    return rows


def _fail(name: str, line: int, row: dict[str, str], column: str, problem: str) -> ValueError:
    return ValueError(f"{name}, line {line} ({row.get('iso3', '?')}), column {column}: {problem}")


def _number(name: str, line: int, row: dict[str, str], column: str) -> float:
    try:
        value = float(row[column])
    except ValueError:
        raise _fail(name, line, row, column, f"not a number: {row[column]!r}") from None
    if not np.isfinite(value):
        raise _fail(name, line, row, column, f"not finite: {row[column]!r}")
    return value


def _check_country(line: int, row: dict[str, str], values: dict[str, float]) -> None:
    """Raise ValueError if one countries.csv row breaks a range or category rule."""
    name = "countries.csv"
    rules = [("kind", row["kind"] in KINDS, f"not one of {sorted(KINDS)}"),
             ("region", row["region"] in REGIONS, f"not one of {sorted(REGIONS)}"),
             ("lat", -90 <= values["lat"] <= 90, "outside [-90, 90]"),
             ("lon", -180 <= values["lon"] <= 180, "outside [-180, 180]"),
             ("legal_family", row["legal_family"] in LEGAL_FAMILIES,
              f"not one of {list(LEGAL_FAMILIES)}")]  # fmt: skip
    rules += [(c, values[c] in (0.0, 1.0), "must be 0 or 1") for c in FLAG_COLUMNS]
    rules += [(c, 0.0 <= values[c] <= 1.0, "outside [0, 1]") for c in SCORE_COLUMNS]
    rules += [(c, values[c] >= 0.0, "must be >= 0") for c in NONNEGATIVE_COLUMNS]
    for column, ok, problem in rules:
        if not ok:
            raise _fail(name, line, row, column, f"{problem} (got {row[column]!r})")


def _frozen(values: list | np.ndarray, dtype: type) -> np.ndarray:
    array = np.array(values, dtype=dtype)
    array.setflags(write=False)
    return array


def _distance_km(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Great-circle (haversine) distance in km from Beijing."""
    lat0, lon0 = np.radians(BEIJING_LAT_LON)
    lat1, lon1 = np.radians(lat), np.radians(lon)
    h = np.sin((lat1 - lat0) / 2) ** 2
    h += np.cos(lat0) * np.cos(lat1) * np.sin((lon1 - lon0) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def _treaty_months(codes: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Treaty dates of each country as months since 1970-01 (NO_MONTH where none)."""
    name = "treaties.csv"
    columns = ("iso3", "partner", *TREATY_DATES, "status_2025", "confidence", "source")
    months = {date: [NO_MONTH] * len(codes) for date in TREATY_DATES}
    seen: set[str] = set()
    for line, row in read_data_csv(name, columns):
        if row["iso3"] not in codes or row["iso3"] in seen:
            raise _fail(name, line, row, "iso3", "not in countries.csv, or a duplicate partner")
        seen.add(row["iso3"])
        i = codes.index(row["iso3"])
        for date in (d for d in TREATY_DATES if row[d].strip()):
            try:
                months[date][i] = treaty_month(row[date])
            except ValueError as exc:
                raise _fail(name, line, row, date, str(exc)) from None
        signed, in_force = months["signed"][i], months["in_force"][i]
        if signed == NO_MONTH or NO_MONTH < in_force < signed:
            raise _fail(name, line, row, "in_force", "no signing date, or in force before signing")
    return {date: _frozen(values, np.int64) for date, values in months.items()}


def _member_counts(codes: tuple[str, ...]) -> np.ndarray:
    """Places per row from ``members.csv``; every place has one row, every row a member."""
    name = "members.csv"
    counts = np.zeros(len(codes), dtype=np.int64)
    seen: set[str] = set()
    for line, row in read_data_csv(name, MEMBER_COLUMNS):
        if row["row"] not in codes:
            raise _fail(name, line, row, "row", f"not a row of countries.csv: {row['row']!r}")
        if row["iso3"] in seen:
            raise _fail(name, line, row, "iso3", "listed twice")
        if row["iso3"] in codes and row["row"] != row["iso3"]:
            raise _fail(name, line, row, "row", "a place with its own row must map to it")
        seen.add(row["iso3"])
        counts[codes.index(row["row"])] += 1
    if np.any(counts == 0):
        raise ValueError(f"{name}: no member for {codes[int(np.argmin(counts))]}")
    return counts


MEMBER_COLUMNS = ("iso3", "name", "row", "natural_earth_name")


@functools.lru_cache(maxsize=1)
def load_members() -> dict[str, str]:
    """Row (countries.csv code) of every place in ``members.csv``, by the place's ISO3 code."""
    return {row["iso3"]: row["row"] for _, row in read_data_csv("members.csv", MEMBER_COLUMNS)}


@functools.lru_cache(maxsize=1)
def natural_earth_rows() -> dict[str, str]:
    """Row of every Natural Earth outline name listed in ``members.csv`` (the explorer's map)."""
    rows = read_data_csv("members.csv", MEMBER_COLUMNS)
    return {row["natural_earth_name"]: row["row"] for _, row in rows if row["natural_earth_name"]}


@functools.lru_cache(maxsize=1)
def load_countries() -> CountryTable:
    """Load, validate and cache the country table.

    Returns:
        The CountryTable built from countries.csv and treaties.csv.

    Raises:
        ValueError: naming the file, line and column of the first invalid value.
    """
    name = "countries.csv"
    text: dict[str, list[str]] = {c: [] for c in TEXT_COLUMNS}
    numbers: dict[str, list[float]] = {c: [] for c in NUMERIC_COLUMNS}
    families: list[str] = []
    for line, row in read_data_csv(name, TEXT_COLUMNS + NUMERIC_COLUMNS + ("legal_family",)):
        if row["iso3"] in text["iso3"]:
            raise _fail(name, line, row, "iso3", "duplicate code")
        values = {c: _number(name, line, row, c) for c in NUMERIC_COLUMNS}
        _check_country(line, row, values)
        for column in TEXT_COLUMNS:
            text[column].append(row[column])
        families.append(row["legal_family"])
        for column, value in values.items():
            numbers[column].append(value)
    codes = tuple(text["iso3"])
    members = _member_counts(codes)
    aggregate = np.array([k == "aggregate" for k in text["kind"]])
    arrays = {c: _frozen(v, np.float64) for c, v in numbers.items()}
    treaty = _treaty_months(codes)
    return CountryTable(
        **{c: tuple(v) for c, v in text.items()},
        **arrays,
        legal_family=tuple(families),
        members=_frozen(members, np.int64),
        log_size=_frozen(np.where(aggregate, np.log(members), 0.0), np.float64),
        distance_km=_frozen(_distance_km(arrays["lat"], arrays["lon"]), np.float64),
        treaty_signed_month=treaty["signed"],
        treaty_in_force_month=treaty["in_force"],
        treaty_withdrawn_month=treaty["withdrawn"],
    )


@functools.lru_cache(maxsize=1)
def load_china_gdp_per_capita() -> tuple[np.ndarray, np.ndarray]:
    """Load China's GDP per capita (current US$, World Bank WDI), one value per year.

    Returns:
        ``(years, values)``: read-only int64 years (consecutive) and float64 US$ values.

    Raises:
        ValueError: naming the line and column of a missing, non-positive or out-of-order value.
    """
    name = "china_gdp_per_capita.csv"
    years: list[int] = []
    values: list[float] = []
    for line, row in read_data_csv(name, ("year", "gdp_per_capita_usd", "source")):
        year = int(_number(name, line, row, "year"))
        if years and year != years[-1] + 1:
            raise _fail(name, line, row, "year", f"expected {years[-1] + 1}, got {year}")
        value = _number(name, line, row, "gdp_per_capita_usd")
        if value <= 0:
            raise _fail(name, line, row, "gdp_per_capita_usd", "must be > 0")
        years.append(year)
        values.append(value)
    return _frozen(years, np.int64), _frozen(values, np.float64)
