"""Benchmarks of sk_autoencoder against PCA and other methods: ``python -m benchmarks``.

Modules: ``datasets`` (shared loaders and splits), ``methods`` (the registry of
methods), ``metrics`` (scores, time, memory, thread limits), ``report`` (table, JSON,
CSV), ``plots`` (PNG figures), ``run`` (the command line), ``tabular`` (the
tabular suite, ``python -m benchmarks --suite tabular``) and ``render`` (the README's
and the documentation's tables, from the results committed in ``results/``).
"""
