"""Policy comparison under common random numbers: running it and its tables (``engine``), the
paired bootstrap statistics (``stats``), report.md (``report``) and figures (``plots``).

May use: :mod:`sim.runs` and below. Independent of the other analyses; never imports the CLI.
"""
