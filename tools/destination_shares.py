"""Share of the stock of fugitives abroad held by each destination row, at baseline.

Runs ``scenarios/baseline.yaml`` (or the scenario given) at ``--scale`` for ``--replicates``
replicates, pools the replicates' year-end stocks, and prints the top rows' shares in the
years asked for and the largest share any aggregate row (kind ``aggregate``) holds in any year::

    .venv/bin/python tools/destination_shares.py --years 2013 2016
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from sim.runs.replicates import run
from sim.scenario.load import load_scenario
from sim.world.countries import load_countries

ROOT = Path(__file__).resolve().parents[1]


def shares(path: Path, scale: int, replicates: int) -> pd.DataFrame:
    """Year x row table of each row's share of the pooled year-end stock abroad."""
    scenario = load_scenario(path)
    scenario = scenario.model_copy(update={"run": scenario.run.model_copy(update={"scale": scale})})
    tables = [run(scenario, r).countries for r in range(replicates)]
    stock = pd.concat(tables).groupby(["year", "iso3"])["stock_abroad"].sum().unstack()
    return stock.div(stock.sum(axis=1).where(lambda s: s > 0), axis=0)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default=str(ROOT / "scenarios/baseline.yaml"))
    parser.add_argument("--scale", type=int, default=20)
    parser.add_argument("--replicates", type=int, default=4)
    parser.add_argument("--years", type=int, nargs="*", default=[2013, 2016])
    args = parser.parse_args(argv)
    table = shares(Path(args.scenario), args.scale, args.replicates)
    for year in args.years:
        top = table.loc[year].sort_values(ascending=False).head(10)
        print(year, ", ".join(f"{k} {v:.1%}" for k, v in top.items()))
    countries = load_countries()
    aggregates = [c for c, k in zip(countries.iso3, countries.kind, strict=True)
                  if k in ("aggregate", "rest_of_world")]  # fmt: skip
    window = table.loc[1990:2030, aggregates]
    worst = window.max().idxmax()
    print(
        f"largest aggregate share 1990-2030: {worst} {window[worst].max():.1%} "
        f"in {int(window[worst].idxmax())}"
    )


if __name__ == "__main__":
    main()
