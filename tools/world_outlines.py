"""Build sim/explore/data/world_110m.geojson from the npm package world-atlas (countries-110m).

world-atlas (ISC licence) carries Natural Earth's 1:110m admin-0 countries (public domain) as
TopoJSON. This script decodes the arcs into GeoJSON polygons, keeps each country's name, tags the
countries of sim/world/data/countries.csv with their ISO3 code, and rounds coordinates to 0.01
degree. It is run by hand once; nothing is fetched when the explorer runs::

    npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    python tools/world_outlines.py package/countries-110m.json sim/explore/data/world_110m.geojson
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

ALIASES = {"United States of America": "USA", "Bosnia and Herz.": "BIH", "Congo": "COG"}
"""world-atlas names that differ from countries.csv."""


def decode_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    """Absolute longitude/latitude points of every arc (delta-decoded, then transformed)."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((round(x * sx + tx, 2), round(y * sy + ty, 2)))
        arcs.append(points)
    return arcs


def ring(indices: list[int], arcs: list[list[tuple[float, float]]]) -> list[list[float]]:
    """One closed ring from arc indices (a negative index ~i is arc i reversed)."""
    out: list[tuple[float, float]] = []
    for i in indices:
        points = arcs[i] if i >= 0 else arcs[~i][::-1]
        out.extend(points if not out else points[1:])
    return [list(p) for p in out]


def main(source: str, destination: str) -> None:
    topology = json.loads(Path(source).read_text(encoding="utf-8"))
    arcs = decode_arcs(topology)
    root = Path(__file__).resolve().parents[1]
    with open(root / "sim/world/data/countries.csv", encoding="utf-8") as fh:
        iso3_of = {row["name"]: row["iso3"] for row in csv.DictReader(fh)}
    iso3_of.update(ALIASES)
    features = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        name = geometry["properties"]["name"]
        if geometry["type"] == "Polygon":
            polygons = [geometry["arcs"]]
        elif geometry["type"] == "MultiPolygon":
            polygons = geometry["arcs"]
        else:
            continue
        coordinates = [[ring(r, arcs) for r in polygon] for polygon in polygons]
        features.append({
            "type": "Feature",
            "id": iso3_of.get(name, "CHN" if name == "China" else ""),
            "properties": {"name": name},
            "geometry": {"type": "MultiPolygon", "coordinates": coordinates},
        })  # fmt: skip
    collection = {"type": "FeatureCollection", "features": features}
    Path(destination).write_text(json.dumps(collection, separators=(",", ":")), encoding="utf-8")


if __name__ == "__main__":
    main(*sys.argv[1:3])
