"""Calendar dates: the one parser of ISO date text into whole months, and its inverse.

Every date flightsim reads (scenario fields and levers, treaty data, calibration targets,
comparison horizons) goes through :func:`month_of`. Three forms are accepted, with ASCII digits
only: ``YYYY-MM-DD``, ``YYYY-MM`` and ``YYYY``.

- A bare year means its January, everywhere. A loader whose source gives an event only to the
  year may place it elsewhere as a stated assumption (the treaty loader in
  :mod:`sim.world.countries` places it in July); it asks :func:`parse_date` which parts were
  given and says so in its docstring.
- Impossible dates (``2018-02-31``, ``2021-02-29``), months outside 1-12, non-ASCII digits
  (Arabic-Indic, full-width) and any other text raise :class:`ValueError` naming the text.
- Months are counted from 1970-01 (month 0); earlier months are negative.
"""

from __future__ import annotations

import datetime
import re

_DATE = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?", re.ASCII)


def parse_date(text: str) -> tuple[int, int | None, int | None]:
    """Year, month and day of an ISO date string; the parts not given are ``None``.

    Args:
        text: ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY`` (ASCII digits, no surrounding spaces).

    Returns:
        ``(year, month, day)``.

    Raises:
        ValueError: naming the text, if it is not one of the three forms or not a real date.
    """
    match = _DATE.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"expected a date as YYYY, YYYY-MM or YYYY-MM-DD, got {text!r}")
    year, month, day = (int(part) if part else None for part in match.groups())
    try:
        datetime.date(year, 1 if month is None else month, 1 if day is None else day)
    except ValueError as exc:
        raise ValueError(f"expected a real calendar date, got {text!r} ({exc})") from None
    return year, month, day


def month_of(text: str) -> int:
    """Months since 1970-01 of an ISO date string (a bare year means its January).

    Args:
        text: ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``.

    Returns:
        ``(year - 1970) * 12 + month - 1``.

    Raises:
        ValueError: naming the text, as :func:`parse_date`.
    """
    year, month, _ = parse_date(text)
    return (year - 1970) * 12 + (1 if month is None else month) - 1


def check_date(text: str) -> str:
    """Return ``text`` unchanged if :func:`month_of` accepts it (for field validators).

    Raises:
        ValueError: naming the text, as :func:`parse_date`.
    """
    parse_date(text)
    return text


def iso_month(month: int) -> str:
    """``YYYY-MM`` of a month count since 1970-01 (the inverse of :func:`month_of`)."""
    return f"{1970 + month // 12:04d}-{month % 12 + 1:02d}"
