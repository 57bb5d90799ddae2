"""Run the benchmarks: ``python -m benchmarks --help``."""

from benchmarks.run import main

raise SystemExit(main())
