"""Scenarios: the frozen, validated models (``base`` shared by all, the ``world`` and ``policy``
sections, ``schema`` for ``meta``, ``run`` and the whole scenario), loading with ``extends``
and overrides (``io``), the strict YAML 1.2 reader of every input file (``strict_yaml``), what
a run would cost and the limits refused (``limits``), and the generated parameter
documentation (``params_doc``).

May use: :mod:`sim.world`, :mod:`sim.errors`. Never imports the model or anything above it.
"""
