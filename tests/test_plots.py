"""Figures say what their data are: legend labels match the drawn series, units and names are
human, trials abroad are not counted as returns, and the calibration plot agrees with the report
on which targets are met."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection

from sim.calibrate import plots as calibration_plots
from sim.calibrate.markdown import met_flags
from sim.core.metrics import DERIVED
from sim.core.rules import CHANNELS
from sim.runs import plots

YEARS = range(2000, 2006)
# Twelve places with distinct sizes (so every band has its own data), plus one aggregate row.
PLACES = {f"C{k:02d}": 10.0 * (k + 1) for k in range(12)} | {"XCB": 500.0}


def _countries() -> pd.DataFrame:
    rows = [
        {"year": y, "replicate": r, "iso3": iso, "stock_abroad": size * (y - 1999) + r}
        for y in YEARS
        for r in (0, 1, 2)
        for iso, size in PLACES.items()
    ]
    return pd.DataFrame(rows)


def _stacked_layers(ax) -> list[PolyCollection]:
    return [c for c in ax.collections if isinstance(c, PolyCollection)]


def test_destination_legend_names_each_band_with_its_own_series(tmp_path: Path):
    countries = _countries()
    fig = plots.plot_destinations(countries, tmp_path / "d.png", top=8)
    ax = fig.axes[0]
    layers = _stacked_layers(ax)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    bands = plots.destination_bands(countries, top=8)
    # One legend entry per band, in the order of the bands, the largest (XCB) included.
    assert len(layers) == len(bands.columns) == len(legend) == 9
    assert legend == [layer.get_label() for layer in layers] == list(bands.columns)
    assert legend[0] == "Rest of the Caribbean (XCB)"
    assert legend[-1] == "other rows (5)"
    assert legend[1:8] == [f"C{k:02d}" for k in range(11, 4, -1)]
    # Each band's polygon spans exactly its series on top of the bands below it.
    median = countries.groupby(["year", "iso3"])["stock_abroad"].median().unstack()
    expected = {
        legend[0]: median["XCB"],
        **{iso: median[iso] for iso in legend[1:8]},
        "other rows (5)": median[[f"C{k:02d}" for k in range(5)]].sum(axis=1),
    }
    below = np.zeros(len(YEARS))
    for layer, label in zip(layers, legend, strict=True):
        series = expected[label].to_numpy()
        verts = layer.get_paths()[0].vertices
        for x, low, high in zip(YEARS, below, below + series, strict=True):
            ys = verts[np.isclose(verts[:, 0], x), 1]
            assert np.isclose(ys, low).any() and np.isclose(ys, high).any(), (label, x)
        below = below + series
    # The side panel names every row of the map, largest last-year stock first.
    bars = fig.axes[1]
    names = [t.get_text() for t in bars.get_yticklabels()]
    rows = plots.destination_rows(countries)
    assert names == list(rows["label"]) and len(names) == countries["iso3"].nunique()
    assert names[0] == "Rest of the Caribbean (XCB)"
    assert rows["last"].is_monotonic_decreasing
    assert list(rows["last"]) == [median[c].iloc[-1] for c in rows["code"]]


def _yearly() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    cols = [f"returned_{c}" for c in CHANNELS if c != "prosecution"]
    rows = []
    for y in YEARS:
        for r in range(3):
            row = {"year": y, "replicate": r, "scenario": "s"}
            row |= {c: float(rng.integers(1, 20)) for c in cols}
            row["prosecuted_abroad"] = 100.0 + y - 2000
            rows.append(row)
    return pd.DataFrame(rows)


def test_returns_by_channel_keeps_trials_abroad_out_of_the_stack(tmp_path: Path):
    yearly = _yearly()
    fig = plots.plot_returns_by_channel(yearly, tmp_path / "r.png")
    ax = fig.axes[0]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [
        "Returned by persuasion",
        "Returned by deportation",
        "Returned by extradition",
        "Returned by self-surrender",
        plots.PROSECUTED_LABEL,
    ]
    assert "not a return" in plots.PROSECUTED_LABEL
    assert ax.get_ylabel() == "officials per year"
    # The bars stack the four return channels only; their tops equal the median returns.
    med = yearly.groupby("year").median(numeric_only=True)
    returns = med[[f"returned_{c}" for c in CHANNELS if c != "prosecution"]].sum(axis=1)
    tops = {}
    for patch in ax.patches:
        x = round(patch.get_x() + patch.get_width() / 2)
        tops[x] = max(tops.get(x, 0.0), patch.get_y() + patch.get_height())
    assert tops == pytest.approx(returns.to_dict())
    # Trials abroad are a separate line with their own values.
    (line,) = [ln for ln in ax.get_lines() if ln.get_label() == plots.PROSECUTED_LABEL]
    assert list(line.get_ydata()) == list(med["prosecuted_abroad"])


def test_panel_titles_are_words_with_units():
    title = plots.panel_label("caught_or_returned")
    assert title.endswith("[officials per year]")
    assert "_" not in title and "+" not in title
    assert plots.panel_label("fled_abroad").endswith("[officials per year]")
    assert plots.panel_label("stock_abroad") == "fugitives abroad [officials, at year end]"
    assert plots.panel_label("treaties_in_force").endswith("[countries, at year end]")
    for name in (*plots.PANELS, *DERIVED):
        assert "_" not in plots.panel_label(name), name


def test_calibration_plot_marks_met_as_the_report_does(tmp_path: Path):
    """Inside under the posterior but not under the fitted baseline: 'missed' in both."""
    fit = pd.DataFrame(
        {
            "target": ["A", "B", "C"],
            "low": [0.0, 0.0, 0.0],
            "high": [10.0, 10.0, 10.0],
            "model_median": [5.0, 5.0, 20.0],
            "inside": [True, True, False],
        }
    )
    fitted = fit.assign(model_median=[5.0, 15.0, 5.0], inside=[True, False, True])
    stats = pd.DataFrame({"A": [4.0, 6.0], "B": [4.0, 6.0], "C": [19.0, 21.0]})
    met = met_flags(fit, fitted)
    assert list(met) == [True, False, False]
    fig = calibration_plots.targets(fit, stats, tmp_path / "t.png", met)
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible() and ax.get_title()]
    assert titles == ["A (met)", "B (missed)", "C (missed)"]
