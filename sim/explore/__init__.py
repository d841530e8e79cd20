"""The explorer: a local web page to move a scenario's levers and see the effect against a base.

:mod:`sim.explore.levers` turns control values into a scenario (and back into YAML),
:mod:`sim.explore.results` runs the paired comparison and makes the tables the charts show,
:mod:`sim.explore.worldmap` draws the destinations map, :mod:`sim.explore.charts` the other
figures, :mod:`sim.explore.saving` writes the exported YAML (to a path or as a download), and
:mod:`sim.explore.app` is the Solara page (``flightsim explore``). Solara directly, not Mesa's
SolaraViz: the population is vectorized (no Mesa agents to draw), and what the page shows are
paired replicate summaries.

May use: sim.compare, sim.runs and the layers below; nothing imports it but the CLI.
"""
