"""The pinned regression scenario and the table it is compared on."""

from pathlib import Path

import pandas as pd

from sim.core.metrics import yearly
from sim.runs.replicates import replicate_tasks, run_many
from sim.scenario.load import load_scenario

PINNED = Path(__file__).resolve().parent / "data" / "pinned.yaml"
COLUMNS = [
    "exposed",
    "fled_abroad",
    "went_missing",
    "caught_home",
    "caught_border",
    "returned",
    "prosecuted_abroad",
    "assets_taken_usd",
    "assets_recovered_usd",
    "stock_abroad",
    "stock_abroad_treaty_free",
    "treaties_in_force",
    "mean_cooperation",
]


def pinned_table(path: Path = PINNED) -> pd.DataFrame:
    scenario = load_scenario(path)
    results = run_many(replicate_tasks(scenario), jobs=1)
    monthly = pd.concat([r.monthly for r in results], ignore_index=True)
    return yearly(monthly)[["replicate", "year", *COLUMNS]]
