"""Calibration: targets with their definitions (``targets``), what a run says about them and how
far off it is (``statistics``, with the observation shares), ABC-SMC (``abc``), the fit report
(``report``) and its plots (``plots``).

May use: :mod:`sim.runs` and below. Independent of the other analyses; never imports the CLI.
"""
