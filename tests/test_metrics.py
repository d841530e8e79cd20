"""Metric definitions and period aggregation."""

import pandas as pd
import pytest

from sim.core import metrics


def _ts():
    return pd.DataFrame(
        {
            "date": ["2008-01", "2008-02", "2009-01", "2010-06"],
            "year": [2008, 2008, 2009, 2010],
            "fled_abroad": [1.0, 2.0, 3.0, 4.0],
            "went_missing": [10.0, 0.0, 0.0, 1.0],
            "stock_abroad": [5.0, 6.0, 7.0, 8.0],
        }
    )


def test_flows_sum_and_stocks_read_at_end():
    ts = _ts()
    assert metrics.period_value(ts, "fled_abroad", "2008-01", "2009-12") == 6.0
    assert metrics.period_value(ts, "stock_abroad", "2008-01", "2009-12") == 7.0
    assert metrics.period_value(ts, "fled_or_missing", "2008-02", "2010-12") == 2 + 3 + 4 + 1


def test_unknown_metric():
    with pytest.raises(KeyError, match="unknown metric"):
        metrics.values(_ts(), "nonsense")


def test_names_unique_and_snake_case():
    names = metrics.all_names()
    assert len(names) == len(set(names))
    assert all(n == n.lower() and " " not in n for n in names)
    for parts in metrics.DERIVED.values():
        assert all(p in metrics.FLOWS for p in parts)


def test_yearly_aggregation():
    ts = _ts().assign(scenario="s", replicate=0, seed=1)
    y = metrics.yearly(ts).set_index("year")
    assert y.loc[2008, "fled_abroad"] == 3.0 and y.loc[2008, "stock_abroad"] == 6.0
