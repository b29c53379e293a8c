"""Methodologies: one module per methodology, each a pure calculator with typed parameters, the
equations it implements cited in its docstrings, and worked-example tests. A region adds its own
through the ``carbonbridge.methodologies`` entry point group."""
