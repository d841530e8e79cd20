"""A small pinned run compared with tolerances (regenerate with tests/regen_pinned.py)."""

from pathlib import Path

import numpy as np
import pandas as pd
from pinned import COLUMNS, pinned_table

EXPECTED = Path(__file__).resolve().parent / "data" / "pinned_expected.csv"


def test_pinned_run_unchanged():
    expected = pd.read_csv(EXPECTED)
    got = pinned_table()
    assert list(got["year"]) == list(expected["year"])
    for col in COLUMNS:
        np.testing.assert_allclose(
            got[col].to_numpy(float),
            expected[col].to_numpy(float),
            rtol=1e-9,
            atol=1e-6,
            err_msg=col,
        )
