"""The model: pure decision rules (``rules``), counter-based random streams (``rng``), the
vectorized officials (``population``), the countries and the state (``agents``), policy levers
compiled per month (``levers``), monthly transitions (``transitions``), the fugitives' return
hazards they read (``hazards``), every outcome once (``metrics``) and the thin Mesa model
(``model``).

May use: :mod:`sim.scenario`, :mod:`sim.world`, :mod:`sim.errors`. No file output, no printing.
"""
