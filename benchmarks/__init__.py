"""Benchmarks of sk_autoencoder against PCA and other methods: ``python -m benchmarks``.

Modules: ``datasets`` (shared loaders and splits), ``methods`` (the registry of
methods), ``metrics`` (scores, time, memory), ``report`` (table, JSON, CSV),
``plots`` (PNG figures) and ``run`` (the command line).
"""
