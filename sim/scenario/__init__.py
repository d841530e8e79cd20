"""Scenarios: the frozen, validated schema (``schema``), loading with ``extends`` and overrides
(``io``), and the generated parameter documentation (``params_doc``).

May use: :mod:`sim.world`, :mod:`sim.errors`. Never imports the model or anything above it.
"""
