"""The one date parser: accepted forms, one meaning of a bare year, impossible dates rejected."""

import re

import pytest
from pydantic import ValidationError

from sim.scenario import base, policy, schema
from sim.scenario.schema import Scenario
from sim.world.dates import check_date, iso_month, month_of, parse_date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1970", 0),  # a bare year is its January
        ("1993", 23 * 12),
        ("1970-01", 0),
        ("1993-08", 23 * 12 + 7),
        ("1993-08-26", 23 * 12 + 7),
        ("1970-01-31", 0),
        ("1969-12", -1),
        ("2020-02-29", 50 * 12 + 1),  # leap day of a leap year
        ("2000-02-29", 30 * 12 + 1),  # divisible by 400: leap
    ],
)
def test_month_of_accepted_forms(text, expected):
    assert month_of(text) == expected
    assert check_date(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "2018-02-31",  # no such day
        "2021-02-29",  # not a leap year
        "1900-02-29",  # divisible by 100, not 400
        "2021-04-31",
        "2020-13",  # month out of range
        "2020-00",
        "2020-01-00",
        "0000",  # no year 0 in the calendar
        "２０２０",  # full-width digits
        "٢٠٢٠",  # Arabic-Indic digits
        "2020-０１",
        "1993-8",
        "93",
        "",
        "2020/01",
        " 2020-01",
        "2020-01\n",
        "2020-01-01T00:00",
        "x",
    ],
)
def test_month_of_rejects_and_names_the_text(text):
    with pytest.raises(ValueError, match=re.escape(repr(text))):
        month_of(text)


def test_parse_date_says_which_parts_were_given():
    assert parse_date("1998") == (1998, None, None)
    assert parse_date("1998-03") == (1998, 3, None)
    assert parse_date("1998-03-07") == (1998, 3, 7)


@pytest.mark.parametrize("month", [-13, -1, 0, 11, 12, 611, 720])
def test_iso_month_inverts_month_of(month):
    assert month_of(iso_month(month)) == month


def test_schema_uses_the_one_parser():
    assert schema.month_of is month_of and policy.month_of is month_of
    assert base.check_date is check_date
    assert Scenario().start_month == month_of("1978-01")


@pytest.mark.parametrize("date", ["2021-02-31", "２０２０-01", "2020-13"])
def test_scenario_dates_are_checked_by_the_parser(date):
    with pytest.raises(ValidationError, match=re.escape(repr(date))):
        Scenario.model_validate({"run": {"start": date}})
