"""Policy comparison: paired effects under common random numbers (``engine``) and its plots
(``plots``).

May use: :mod:`sim.runs` and below. Independent of the other analyses; never imports the CLI.
"""
