"""The package's version, apart from ``__init__`` so that its modules can read it.

``_persistence`` writes it into every model file; importing it from the package
itself would make the package and that module import each other.
"""

__version__ = "0.1.0"
