"""Calibration: targets with their definitions (``targets``), ABC-SMC (``abc``), the fit report
(``report``) and its plots (``plots``).

May use: :mod:`sim.runs` and below. Independent of the other analyses; never imports the CLI.
"""
