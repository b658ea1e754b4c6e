"""The figures stage: each seed paper's key figure or table, regenerated from a run's outputs.

Every figure is a pure function from tables and arrays to a :class:`matplotlib.figure.Figure`
plus the table of the numbers drawn; :mod:`regflow.figures.cli` reads the inputs and writes
``<name>.png``, ``<name>.pdf`` and ``<name>.tsv`` together (all or none).
"""
