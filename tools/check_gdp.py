"""Check the GDP per capita data of sim/world/data against the World Bank's series.

GDP per capita in current US$ (WDI NY.GDP.PCAP.CD) is GDP in current US$ (NY.GDP.MKTP.CD)
divided by mid-year population (SP.POP.TOTL). Both series are republished as CSV files, with the
World Bank as their source, under the Open Data Commons Public Domain Dedication and Licence, by
the Frictionless Data "core datasets" repositories github.com/datasets/gdp (data/gdp.csv) and
github.com/datasets/population (data/population.csv). Download the two files (they are not part
of flightsim) and run:

    python tools/check_gdp.py gdp.csv population.csv      # table; exit 1 if a row is off

China's yearly series must match to the US$ (after rounding); each country's 2013 value in
countries.csv, rounded to 100 US$, must be within ``--tolerance`` (default 10%) of the derived
value. Rows the World Bank files do not cover are listed as unchecked.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "sim" / "world" / "data"


def per_capita(gdp_file: Path, population_file: Path) -> dict[tuple[str, int], float]:
    """GDP per capita by (ISO3, year) from the two World Bank files."""

    def read(path: Path) -> dict[tuple[str, int], float]:
        with open(path, newline="", encoding="utf-8") as fh:
            return {
                (row["Country Code"], int(row["Year"])): float(row["Value"])
                for row in csv.DictReader(fh)
                if row["Value"]
            }

    gdp, population = read(gdp_file), read(population_file)
    return {key: gdp[key] / population[key] for key in gdp if population.get(key)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("gdp", type=Path, help="data/gdp.csv of github.com/datasets/gdp")
    parser.add_argument("population", type=Path, help="data/population.csv of datasets/population")
    parser.add_argument("--tolerance", type=float, default=0.10, help="relative, for countries.csv")
    args = parser.parse_args(argv)
    derived = per_capita(args.gdp, args.population)
    bad = 0
    print("China's series (china_gdp_per_capita.csv):")
    with open(DATA / "china_gdp_per_capita.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            year, stored = int(row["year"]), float(row["gdp_per_capita_usd"])
            value = derived.get(("CHN", year))
            if value is None:
                print(f"  {year}: {stored:.0f} unchecked (not in the World Bank files)")
                continue
            ok = abs(stored - value) <= 1.0
            bad += not ok
            print(f"  {year}: stored {stored:.0f}, World Bank {value:.1f} {'ok' if ok else 'OFF'}")
    print("Countries, 2013 (countries.csv):")
    with open(DATA / "countries.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            stored = float(row["gdp_per_capita_usd"])
            value = derived.get((row["iso3"], 2013))
            if value is None:
                print(f"  {row['iso3']}: {stored:.0f} unchecked (not in the World Bank files)")
                continue
            ratio = stored / value
            ok = abs(ratio - 1.0) <= args.tolerance
            bad += not ok
            print(
                f"  {row['iso3']}: stored {stored:.0f}, World Bank {value:.0f} ({ratio:.2f}) "
                f"{'ok' if ok else 'OFF'}"
            )
    print(f"{bad} rows off")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
