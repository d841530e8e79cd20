"""The command line: ``main`` builds the parser and maps errors to exit codes in one place;
``common`` holds what commands share; one module per command group (``run``, ``compare``,
``calibrate``, ``sensitivity``).

The top layer: may use everything; nothing in :mod:`sim` imports it.
"""

from sim.cli.main import main

__all__ = ["main"]
