"""flightsim: an agent-based simulation of official flight abroad and repatriation policy."""

__version__ = "0.1.0"
