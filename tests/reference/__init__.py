"""Reference implementation (test oracle) of the model's monthly rules, one Mesa agent per official.

It re-implements the per-official logic of :mod:`sim.core.population` and
:mod:`sim.core.transitions` with one ``mesa.Agent`` per official stepped one at a time, calling
the same pure rules (:mod:`sim.core.rules`) on one-element arrays and drawing from the same
counter-based streams (:mod:`sim.core.rng`). Countries and the state are shared with the model
(they are not per-official). Every access to the model's internals is in :mod:`reference.adapter`.

A change to a rule in sim/core changes the oracle in the same commit: tests/test_oracle.py
compares the two event for event. Used by tests/test_oracle.py and benchmarks/bench_model.py;
may use sim.core, sim.scenario and sim.world.
"""
