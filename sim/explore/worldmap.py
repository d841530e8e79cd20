"""The destinations map: Natural Earth 1:110m outlines coloured by the stock of fugitives.

The outlines ship with the package (``data/world_110m.geojson``, from the npm package
world-atlas; see ``data/README.md``); nothing is fetched at run time. Each outline is coloured
by the stock of its destination row (``sim/world/data/members.csv``): every member country of
an aggregate row ("rest of West Africa", ...) shows that row's stock. Destinations the outlines
cannot show (small states, Hong Kong, Macao) are returned by :func:`unmapped` for the page to
list beside the map.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources

import numpy as np
from matplotlib import colormaps
from matplotlib.cm import ScalarMappable
from matplotlib.collections import PolyCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from sim.world.countries import natural_earth_rows

OUTLINES = "world_110m.geojson"
ORIGIN = "CHN"
NO_DATA = "#e6e6e6"
ORIGIN_COLOUR = "#9e9e9e"
CMAP = "YlOrRd"


@cache
def outlines() -> tuple[tuple[str, tuple[np.ndarray, ...]], ...]:
    """Every outline's destination row (``CHN`` for China) and outer rings (lon, lat)."""
    text = resources.files("sim.explore").joinpath("data", OUTLINES).read_text(encoding="utf-8")
    out = []
    rows = natural_earth_rows()
    for feature in json.loads(text)["features"]:
        polygons = feature["geometry"]["coordinates"]
        rings = tuple(_unwrapped(np.asarray(polygon[0], dtype=float)) for polygon in polygons)
        code = str(feature["id"])
        out.append((code if code == ORIGIN else rows.get(feature["properties"]["name"], ""), rings))
    return tuple(out)


def _unwrapped(ring: np.ndarray) -> np.ndarray:
    """A ring that crosses the antimeridian (Russia, Fiji) moved east of it, not across the map."""
    if np.ptp(ring[:, 0]) > 180.0:
        ring = ring.copy()
        ring[ring[:, 0] < 0.0, 0] += 360.0
    return ring


def mapped_codes() -> frozenset[str]:
    """ISO3 codes the outlines can colour."""
    return frozenset(code for code, _ in outlines() if code)


def unmapped(stocks: Mapping[str, float]) -> dict[str, float]:
    """Destinations with no outline (listed beside the map), in the order given."""
    shown = mapped_codes()
    return {code: value for code, value in stocks.items() if code not in shown}


def draw_map(ax, stocks: Mapping[str, float], norm: Normalize, title: str) -> None:
    """One choropleth on ``ax``: colour by stock, grey where there is no destination data."""
    cmap = colormaps[CMAP]
    rings, colours = [], []
    for code, polygons in outlines():
        if code == ORIGIN:
            colour = ORIGIN_COLOUR
        elif code in stocks:
            colour = cmap(norm(stocks[code]))
        else:
            colour = NO_DATA
        for ring in polygons:
            rings.append(ring)
            colours.append(colour)
    ax.add_collection(PolyCollection(rings, facecolors=colours, edgecolors="white",
                                     linewidths=0.3))  # fmt: skip
    ax.set_xlim(-180, 180)
    ax.set_ylim(-60, 85)
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.set_title(title, fontsize=10)


def map_figure(stocks: Mapping[str, Mapping[str, float]], year: int, width: float = 11.0) -> Figure:
    """Maps side by side (one per scenario label) on one colour scale, with a colour bar."""
    shown = mapped_codes()
    top = max((v for s in stocks.values() for c, v in s.items() if c in shown), default=0.0)
    norm = Normalize(0.0, max(top, 1.0))
    fig = Figure(figsize=(width, width * 0.28), layout="constrained")
    axes = fig.subplots(1, len(stocks))
    for ax, (label, values) in zip(np.atleast_1d(axes), stocks.items(), strict=True):
        draw_map(ax, values, norm, f"{label}: fugitives abroad, end of {year}")
    fig.colorbar(ScalarMappable(norm=norm, cmap=CMAP), ax=list(np.atleast_1d(axes)),
                 shrink=0.8, label="officials abroad")  # fmt: skip
    return fig
