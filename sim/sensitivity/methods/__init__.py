"""SALib methods, one module each (``sobol``, ``morris``, ``fast``), all with the same shape.

As in SALib itself, a method is a module with ``sample(problem, n, seed, options) -> X`` and
``analyze(problem, X, Y, seed, options) -> DataFrame`` (tidy: index, parameter, value, conf),
plus what the convergence check and the report need to know about it: ``design_part`` (the rows
of the full design or of its first half), ``checked`` (indices the check looks at), ``next_size``
(a valid sample size at least as large as asked), ``MAIN``/``SECOND`` (indices the report ranks
by and shows beside), ``SHOWN`` (indices plotted) and ``SHARES`` (indices are shares of
variance, not output units). The engine and the report dispatch through :data:`METHODS`.

May use: SALib, numpy, pandas, scipy; nothing else in :mod:`sim`.
"""

from __future__ import annotations

from types import ModuleType

from sim.sensitivity.methods import fast, morris, sobol

METHODS: dict[str, ModuleType] = {"sobol": sobol, "morris": morris, "fast": fast}
"""Sweep ``method`` name -> its module."""
