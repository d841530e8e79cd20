"""Running the model: one run per (scenario, replicate) on any executor (``replicates``), posterior
draws (``posterior``), scenario + overrides -> run -> scalar outputs for calibration and
sweeps (``adapter``), Dask clients (``cluster``), run folders and manifests (``folders``), run
plots (``plots``) and the run command's engine (``runner``).

May use: :mod:`sim.core` and below. Never imports an analysis or the CLI.
"""
