"""Metric definitions and period aggregation."""

import pandas as pd
import pytest

from sim.compare.engine import OUTCOMES
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


def test_registry_gives_every_comparison_outcome_a_label_unit_and_direction():
    for name in OUTCOMES:
        m = metrics.BY_NAME[name]
        assert m.label and m.label[0].isupper() and m.unit and m.direction in (1, -1), name
    assert metrics.BY_NAME["treaty_free_share"].unit == "share"
    assert metrics.BY_NAME["stock_abroad"].direction == -1
    assert metrics.BY_NAME["returned"].direction == 1


def test_derived_metrics_are_sums_of_flows_or_shares_of_stocks():
    for m in metrics.DERIVED_METRICS:
        assert m.derived and m.name not in metrics.FLOWS + metrics.STOCKS
        assert bool(m.sum_of) != bool(m.ratio_of)
        recorded = metrics.FLOWS if m.sum_of else metrics.STOCKS
        assert all(p in recorded for p in m.sum_of or m.ratio_of), m.name


def test_treaty_free_share_is_read_at_the_end_and_zero_when_nobody_is_abroad():
    ts = _ts().assign(stock_abroad_treaty_free=[1.0, 3.0, 7.0, 2.0])
    assert metrics.period_value(ts, "treaty_free_share", "2008-01", "2008-12") == 3.0 / 6.0
    assert metrics.period_value(ts, "treaty_free_share", "2009-01", "2009-12") == 1.0
    nobody = ts.assign(stock_abroad=0.0)
    assert list(metrics.values(nobody, "treaty_free_share")) == [0.0] * 4
    assert not metrics.is_flow("treaty_free_share") and metrics.is_flow("fled_or_missing")
