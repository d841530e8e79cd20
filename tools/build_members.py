"""Build sim/world/data/members.csv and derive the aggregate rows' GDP per capita.

Every country and territory of the World Bank population series (github.com/datasets/population,
data/population.csv; the World Bank's regional and income aggregates left out) and every outline
of the explorer's Natural Earth map gets exactly one destination row of countries.csv: its own
row when it has one, else the row of its sovereign when that is a named row (territories follow
the jurisdiction that would act on a request), else one regional aggregate row (``AGGREGATES``
below). GDP per capita of an aggregate row is the population-weighted mean of its members'
2013 values, that is the members' summed GDP over their summed population (World Bank WDI
NY.GDP.MKTP.CD and SP.POP.TOTL, from github.com/datasets/gdp and github.com/datasets/population,
ODC-PDDL); members without a 2013 GDP value are left out of both sums. Run by hand::

    python tools/build_members.py gdp.csv population.csv   # writes members.csv, prints GDP
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "sim" / "world" / "data"
OUTLINES = ROOT / "sim" / "explore" / "data" / "world_110m.geojson"

AGGREGATES = {
    "XNF": "EGY LBY SDN SSD MRT",
    "XWF": "NGA GHA CIV SEN MLI BFA NER GIN GNB SLE LBR TGO BEN GMB CPV",
    "XCF": "COD CMR TCD CAF GAB GNQ STP",
    "XEF": "TZA UGA RWA BDI SOM SOL DJI ERI MDG COM SYC MUS",
    "XSF": "MOZ ZMB ZWE MWI BWA SWZ",
    "XME": "SAU IRQ SYR JOR LBN ISR PSE KWT QAT BHR OMN YEM",
    "XBK": "SRB MNE MKD ALB MDA XKX",
    "XCS": "TKM GEO",
    "XSS": "BGD BTN MDV",
    "XEA": "TWN PRK",
    "XOC": "PNG FJI SLB WSM TON KIR FSM MHL PLW NRU TUV TLS ATA",
    "XSM": "COL VEN CHL ECU BOL PRY GUY SUR",
    "XCM": "GTM HND SLV NIC CRI PAN BLZ",
    "XCB": "CUB DOM HTI JAM TTO BHS BRB DMA GRD LCA VCT",
}
"""Regional aggregate rows and their members (SOL: Somaliland, a Natural Earth outline)."""
SOVEREIGN = {
    "USA": "PRI VIR GUM ASM MNP",
    "FRA": "NCL PYF ATF MAF MCO",
    "GBR": "CHI IMN GIB BMU CYM TCA VGB FLK",
    "NLD": "ABW CUW SXM",
    "CYP": "CYN",
    "DNK": "GRL FRO",
    "MAR": "ESH",
    "ITA": "SMR",
    "CHE": "LIE",
    "ESP": "AND",
}
"""Territories (and two disputed outlines) counted with a named row: the jurisdiction that
would act on a request (CYN: Northern Cyprus; ESH: Western Sahara, mostly administered by
Morocco). The four European microstates follow the neighbour they share a customs union with
(Monaco France, San Marino Italy, Liechtenstein Switzerland; Andorra, in the EU customs union
for goods, Spain, the home of most of its foreign residents): each admits residents on its own
strict terms, and a row of their own would give the logit a rich, empty destination."""
NATURAL_EARTH = {
    "Tanzania": "TZA", "W. Sahara": "ESH", "Dem. Rep. Congo": "COD", "Dominican Rep.": "DOM",
    "Falkland Is.": "FLK", "Fr. S. Antarctic Lands": "ATF", "Central African Rep.": "CAF",
    "Eq. Guinea": "GNQ", "eSwatini": "SWZ", "Palestine": "PSE", "North Korea": "PRK",
    "Solomon Is.": "SLB", "Taiwan": "TWN", "N. Cyprus": "CYN", "Somaliland": "SOL",
    "Macedonia": "MKD", "S. Sudan": "SSD", "Côte d'Ivoire": "CIV", "Antarctica": "ATA",
    "Czechia": "CZE", "Slovakia": "SVK", "Syria": "SYR", "Yemen": "YEM", "Egypt": "EGY",
    "Gambia": "GMB", "Bahamas": "BHS", "Venezuela": "VEN", "Somalia": "SOM", "Kosovo": "XKX",
    "Moldova": "MDA", "Turkmenistan": "TKM", "Georgia": "GEO", "New Caledonia": "NCL",
    "Puerto Rico": "PRI", "Greenland": "GRL", "Timor-Leste": "TLS",
}  # fmt: skip
"""Natural Earth (world-atlas) names of outlines that carry no ISO3 code in the map file and
whose name differs from the World Bank's."""
EXTRA_NAMES = {"TWN": "Taiwan", "ATA": "Antarctica", "ATF": "French Southern Territories",
               "FLK": "Falkland Islands", "ESH": "Western Sahara", "CYN": "Northern Cyprus",
               "SOL": "Somaliland"}  # fmt: skip
"""Places of the map that the World Bank series do not list."""
OUTSIDE_WORLD_BANK = {"TWN": (21_900.0, 23.37e6), "PRK": (640.0, 24.9e6)}
"""2013 GDP per capita (current US$) and population of members the World Bank files lack:
Taiwan from its national statistics office (DGBAS, National Statistics of the Republic of China,
2013 per-capita GDP about 21,900 US$, 23.37 million people); North Korea from the UN Statistics
Division's National Accounts Main Aggregates estimate (about 640 US$, 24.9 million): both
rounded, grade C."""


def read_series(path: Path) -> tuple[dict[str, float], dict[str, str]]:
    """2013 values and names by ISO3 code of one datasets/* World Bank file."""
    values, names = {}, {}
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            names[row["Country Code"]] = row["Country Name"]
            if row["Year"] == "2013" and row["Value"]:
                values[row["Country Code"]] = float(row["Value"])
    return values, names


def main(gdp_file: str, population_file: str) -> None:
    gdp, _ = read_series(Path(gdp_file))
    population, wb_names = read_series(Path(population_file))
    for code, (per_capita, people) in OUTSIDE_WORLD_BANK.items():
        gdp[code], population[code] = per_capita * people, people
    with open(DATA / "countries.csv", encoding="utf-8") as fh:
        named = {r["iso3"]: r["name"] for r in csv.DictReader(fh) if r["kind"] != "aggregate"}
    row_of = {code: code for code in named}
    for row, members in {**AGGREGATES, **SOVEREIGN}.items():
        for code in members.split():
            assert code not in row_of, code
            row_of[code] = row
    features = json.loads(OUTLINES.read_text(encoding="utf-8"))["features"]
    ne_name = {}
    for feature in features:
        name = feature["properties"]["name"]
        code = feature["id"] or NATURAL_EARTH.get(name) or (
            [k for k, v in wb_names.items() if v == name] or [""])[0]  # fmt: skip
        if code == "CHN":
            continue
        assert code in row_of, f"outline {name!r} ({code!r}) has no row"
        ne_name[code] = name
    missing = {c for c in wb_names if c not in row_of and c != "CHN"}
    print("World Bank codes left out (regional and income aggregates):", " ".join(sorted(missing)))
    with open(DATA / "members.csv", "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(["iso3", "name", "row", "natural_earth_name"])
        for code in sorted(row_of):
            name = named.get(code) or EXTRA_NAMES.get(code) or wb_names[code]
            out.writerow([code, name, row_of[code], ne_name.get(code, "")])
    for row, members in AGGREGATES.items():
        codes = members.split()
        have = [c for c in codes if c in gdp and c in population]
        total_gdp = sum(gdp[c] for c in have)
        total_pop = sum(population[c] for c in have)
        print(f"{row}: {len(codes)} members, GDP per capita 2013 {total_gdp / total_pop:,.0f} "
              f"(population {total_pop / 1e6:.1f} M; without GDP: "
              f"{' '.join(c for c in codes if c not in have) or '-'})")  # fmt: skip


if __name__ == "__main__":
    main(*sys.argv[1:3])
