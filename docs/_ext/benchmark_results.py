"""Sphinx extension: ``.. benchmark-results:: NAME`` renders committed benchmark results.

NAME is a section of ``benchmarks.render``: ``images``, ``quick``, ``tabular`` and
``tabular_holdout`` (a committed run's results file), ``tabular_seeds`` (the
tabular runs' summaries with other seeds) or ``durations`` (how long each run
took). The files are looked up in ``benchmark_results_dir`` (``benchmarks/results/`` by
default) and rendered by :mod:`benchmark_tables`, through the renderer of the
README's tables. An absent file gives a line saying so, never a failed build, and
the page is rebuilt when a file appears or changes.
"""

from pathlib import Path

from benchmark_tables import results_lines, results_paths
from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective

from benchmarks import render


class BenchmarkResults(SphinxDirective):
    """``.. benchmark-results:: NAME``, NAME among ``benchmarks.render.SECTIONS``."""

    required_arguments = 1

    def run(self):
        config = self.env.config
        name = self.arguments[0]
        if name not in render.SECTIONS:
            raise self.error(f"benchmark-results: {name!r} is none of {', '.join(render.SECTIONS)}")
        results_dir = Path(config.benchmark_results_dir)
        # Rebuild this page when a file appears or changes.
        for path in results_paths(name, results_dir):
            self.env.note_dependency(str(path))
        lines = results_lines(name, results_dir, config.benchmark_results_repo_root)
        container = nodes.container(classes=["benchmark-results"])
        source = str(results_dir / name)
        self.state.nested_parse(StringList(lines, source=source), self.content_offset, container)
        return [container]


def setup(app):
    app.add_config_value("benchmark_results_dir", str(render.RESULTS_DIR), "env", [str])
    app.add_config_value("benchmark_results_repo_root", str(render.REPO_ROOT), "env", [str])
    app.add_directive("benchmark-results", BenchmarkResults)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
