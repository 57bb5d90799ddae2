"""Benchmarks of sk_autoencoder against PCA and other methods: ``python -m benchmarks``.

Modules, each with one concern:

- ``cli``: the command line both suites share (``--suite``, ``--threads``) and the
  settings a run records;
- ``run``: the images suite, ``python -m benchmarks`` (digits, manifolds, MNIST);
- ``tabular``: the tabular suite, ``python -m benchmarks --suite tabular``;
- ``measure``: one (method, data set, code size) run, fitted and measured, for both;
- ``datasets``: the shared data sets and their splits; ``tables``: the tabular
  suite's lists of real tables and their loading;
- ``methods``: the registry of methods; ``metrics``: scores, time, memory, threads;
- ``verdict`` and ``tabular_verdict``: each suite's comparison with PCA, summary and
  tables, from records;
- ``report``: tables, JSON and CSV; ``plots``: PNG figures;
- ``render``: the README's and the documentation's tables and figures, from the
  results committed in ``results/`` only (it imports no runner);
- ``perf``, ``search``, ``training_cost``, ``devices``, ``pca_init``: benchmarks of
  their own, each ``python -m benchmarks.NAME``.
"""
