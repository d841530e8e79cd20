"""Reference implementation (test oracle) of the model's monthly rules, one Mesa agent per official.

It re-implements the per-official logic of :mod:`sim.core.population` and
:mod:`sim.core.transitions` as plain Python objects stepped one by one, calling the same pure rules
(:mod:`sim.core.rules`) with one-element arrays and drawing from the same counter-based streams
(:mod:`sim.core.rng`). Countries and the state are shared with the model (they are not
per-official). Used by tests/test_oracle.py and benchmarks/bench_model.py; may use sim.core,
sim.scenario and sim.world.
"""
