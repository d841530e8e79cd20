"""Sensitivity sweeps: sweep files (``sweep``), the models they may name (``models``), the batch
engine (``engine``), one module per SALib method (``methods``), the analysis and report
(``report``) and its plots (``plots``).

May use: :mod:`sim.runs` and below. Independent of the other analyses; never imports the CLI.
"""
