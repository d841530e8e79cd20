"""Tests for the country table loader and its package data."""

import csv
from importlib import resources

import numpy as np
import pytest

from sim.world import countries
from sim.world.countries import NO_MONTH, load_china_gdp_per_capita, load_countries, treaty_month
from sim.world.dates import month_of


def _data_rows(name: str) -> list[dict[str, str]]:
    text = (resources.files("sim.world") / "data" / name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@pytest.fixture(scope="module")
def table():
    return load_countries()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1970-01", 0),
        ("1970-01-31", 0),
        ("1970", 6),  # a treaty year with no month is placed in July (an assumption)
        ("1993-08-26", 23 * 12 + 7),
        ("1993-08", 23 * 12 + 7),
        ("1998", 28 * 12 + 6),
        ("1969-12", -1),
        (" 2017-03-28 ", 47 * 12 + 2),
    ],
)
def test_treaty_month(text, expected):
    assert treaty_month(text) == expected


def test_treaty_year_only_is_july_while_the_parser_reads_january():
    assert treaty_month("2001") == month_of("2001-07") == month_of("2001") + 6


@pytest.mark.parametrize(
    "text", ["", "93", "1993-8", "1993-13", "1993-02-30", "1993/08", "x", "１９９３"]
)
def test_treaty_month_rejects_bad_text(text):
    with pytest.raises(ValueError):
        treaty_month(text)


def test_every_treaty_partner_is_loaded(table):
    partners = {row["iso3"] for row in _data_rows("treaties.csv")}
    assert len(partners) == 50
    assert partners <= set(table.iso3)
    signed = {table.iso3[i] for i in np.flatnonzero(table.treaty_signed_month != NO_MONTH)}
    assert signed == partners


def test_required_rows_present(table):
    required = "USA CAN AUS NZL GBR SGP DEU FRA ITA ESP NLD BEL PRT GRC IRL AUT SWE HUN CYP MLT"
    required += " MMR VNM LAO KHM THA MYS IDN PHL NPL KOR JPN MNG RUS KAZ KGZ IND BRN"
    for code in required.split():
        assert table.kind[table.index(code)] == "country"
    assert table.kind[table.index("HKG")] == "region"
    assert table.kind[table.index("MAC")] == "region"
    assert "rest_of_world" not in table.kind
    assert table.kind[table.index("XCB")] == "aggregate"
    assert len(set(table.iso3)) == len(table) >= 70


@pytest.mark.parametrize(("code", "km"), [("USA", 11_100), ("THA", 3_300), ("KOR", 950)])
def test_distances_plausible(table, code, km):
    assert table.distance_km[table.index(code)] == pytest.approx(km, rel=0.05)


def test_distances_positive_and_bounded(table):
    assert np.all(table.distance_km > 0)
    assert np.all(table.distance_km < np.pi * 6371.0)


def test_treaty_months(table):
    tha = table.index("THA")
    assert table.treaty_signed_month[tha] == month_of("1993-08-26")
    assert table.treaty_in_force_month[tha] == month_of("1999-03-07")
    aus = table.index("AUS")
    assert table.treaty_in_force_month[aus] == NO_MONTH
    assert table.treaty_withdrawn_month[aus] == month_of("2017-03")
    assert np.count_nonzero(table.treaty_withdrawn_month != NO_MONTH) == 1
    for code in ("USA", "CAN", "XCB", "GBR"):
        i = table.index(code)
        assert table.treaty_signed_month[i] == NO_MONTH
        assert table.treaty_in_force_month[i] == NO_MONTH


def test_value_ranges(table):
    for column in ("apec", "g20", "eu", "neighbour", "death_penalty_abolished", "investor_visa"):
        assert set(np.unique(getattr(table, column))) <= {0.0, 1.0}, column
    for column in ("fair_trial_objection", "base_cooperation"):
        values = getattr(table, column)
        assert np.all((values >= 0) & (values <= 1)), column
    aggregate = np.array([k == "aggregate" for k in table.kind])
    assert np.all(table.log_size[~aggregate] == 0.0)
    assert np.all(table.log_size[aggregate] == np.log(table.members[aggregate]))
    assert np.all(table.members[aggregate] >= 2)
    assert table.asylum_appeal_delay_years[table.index("CAN")] == 10
    assert table.neighbour[table.index("HKG")] == 1 == table.neighbour[table.index("MAC")]


def test_memberships_spot_checks(table):
    assert table.eu[table.index("GBR")] == 1 and table.g20[table.index("ESP")] == 0
    assert table.apec[table.index("HKG")] == 1 and table.apec[table.index("IND")] == 0
    assert table.death_penalty_abolished[table.index("USA")] == 0


def test_arrays_read_only_and_cached(table):
    assert load_countries() is table
    with pytest.raises(ValueError):
        table.lat[0] = 0.0
    assert table.lat.dtype == np.float64 and table.treaty_signed_month.dtype == np.int64


def test_index_unknown_code(table):
    with pytest.raises(KeyError, match="XYZ"):
        table.index("XYZ")


def test_every_column_documented():
    header = list(_data_rows("countries.csv")[0])
    columns = {row["column"]: row for row in _data_rows("countries.columns.csv")}
    assert list(columns) == header
    for column in header:
        assert columns[column]["source"].strip(), column
        assert columns[column]["unit"].strip(), column


def test_china_gdp_per_capita():
    years, values = load_china_gdp_per_capita()
    assert years[0] == 1978 and years[-1] == 2024
    assert np.array_equal(years, np.arange(1978, 2025))
    assert np.all(values > 0)
    by_year = dict(zip(years.tolist(), values.tolist(), strict=True))
    assert by_year[1978] == pytest.approx(156, rel=0.02)
    assert by_year[2013] == pytest.approx(7020, rel=0.02)
    assert by_year[2024] == pytest.approx(13300, rel=0.02)


def _patched_reader(monkeypatch, name: str, column: str, value: str) -> None:
    """Make the loader see `value` in `column` of the first data row of `name`."""
    original = countries.read_data_csv

    def read(file_name, columns):
        rows = original(file_name, columns)
        if file_name == name:
            line, row = rows[0]
            rows[0] = (line, {**row, column: value})
        return rows

    monkeypatch.setattr(countries, "read_data_csv", read)


@pytest.mark.parametrize(
    ("name", "column", "value"),
    [
        ("countries.csv", "fair_trial_objection", "1.5"),
        ("countries.csv", "eu", "0.5"),
        ("countries.csv", "kind", "planet"),
        ("countries.csv", "lat", "north"),
        ("countries.csv", "iso3", "CAN"),
        ("treaties.csv", "iso3", "XYZ"),
        ("treaties.csv", "in_force", "1990"),
        ("treaties.csv", "signed", "1993-13"),
    ],
)
def test_invalid_data_names_file_line_and_column(monkeypatch, name, column, value):
    _patched_reader(monkeypatch, name, column, value)
    with pytest.raises(ValueError, match=rf"{name}, line \d+ .*column {column}"):
        countries.load_countries.__wrapped__()


def test_year_only_treaty_dates_load_as_july(table):
    years_only = 0
    for row in _data_rows("treaties.csv"):
        i = table.index(row["iso3"])
        for column in ("signed", "in_force", "withdrawn"):
            text = row[column].strip()
            if len(text) == 4:
                years_only += 1
                assert getattr(table, f"treaty_{column}_month")[i] == month_of(f"{text}-07"), (
                    row["iso3"],
                    column,
                )
    assert years_only > 10  # the data has many year-only dates
