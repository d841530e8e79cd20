"""Scenarios: the frozen, validated models (``base`` shared by all, the ``world`` and ``policy``
sections, ``schema`` for ``meta``, ``run`` and the whole scenario); loading a file or a scenario
with overrides into a valid one (``load``), built from reading one input file safely
(``reading``), ``extends`` chains (``extends``), dotted-path overrides and ``--set``
(``overrides``), checks beyond the schema (``validation``) and error messages naming file and
field path (``messages``); writing a scenario out as YAML or JSON schema (``export``); the
strict YAML 1.2 reader of every input file (``strict_yaml``), what a run would cost and the
limits refused (``limits``), and the generated parameter documentation (``params_doc``).

May use: :mod:`sim.world`, :mod:`sim.errors`. Never imports the model or anything above it.
"""
