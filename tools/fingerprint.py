"""Fingerprint the model's output, to check that a refactor changes nothing.

Runs the pinned scenario (tests/data/pinned.yaml) and three scenarios at ``run.scale: 50``, two
replicates each, and prints one line per table (monthly, countries, events): its shape and a
hash of its values and columns. Save the output before a refactor and diff it after:

    .venv/bin/python tools/fingerprint.py > /tmp/before.txt
    ... change the code ...
    .venv/bin/python tools/fingerprint.py | diff /tmp/before.txt -     # prints nothing if equal
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

from sim.runs.replicates import run
from sim.scenario.load import load_scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = (
    ("tests/data/pinned.yaml", None),
    ("scenarios/baseline.yaml", 50),
    ("scenarios/new_apec_agreement.yaml", 50),
    ("scenarios/coercive_pursuit_backlash.yaml", 50),
)


def table_hash(df: pd.DataFrame) -> str:
    """Hash of a table's values (row order included) and of its column names."""
    values = hashlib.sha256(pd.util.hash_pandas_object(df, index=False).values.tobytes())
    columns = hashlib.md5(",".join(df.columns).encode())
    return f"{values.hexdigest()[:16]} {columns.hexdigest()[:6]}"


def main() -> None:
    for path, scale in SCENARIOS:
        scenario = load_scenario(ROOT / path)
        if scale is not None:
            scenario = scenario.model_copy(
                update={"run": scenario.run.model_copy(update={"scale": scale})}
            )
        for replicate in (0, 1):
            result = run(scenario, replicate)
            for name in ("monthly", "countries", "events"):
                df = getattr(result, name)
                print(path, replicate, name, df.shape, table_hash(df))


if __name__ == "__main__":
    main()
