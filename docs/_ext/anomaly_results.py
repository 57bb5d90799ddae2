"""Sphinx extension: ``.. anomaly-results::`` renders the committed anomaly benchmark.

The tables are ``benchmarks.anomaly.results_lines`` of ``anomaly.json`` in
``benchmark_results_dir``, written as reST by :mod:`benchmark_tables`'s writer,
with the file's provenance and the run's settings as the other results pages
show them. An absent file gives a line saying so, never a failed build.
"""

from pathlib import Path

from benchmark_tables import ReST, provenance, settings_lines
from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective

from benchmarks import anomaly, render


def anomaly_lines(results_dir, repo_root):
    """Every reST line of the anomaly results: provenance, tables, settings."""
    path = Path(results_dir) / anomaly.RESULTS_FILE
    content = render.load_results(path)
    if content is None:
        return [
            f"No anomaly results yet: ``{render.display_path(path)}``, the ``anomaly.json`` "
            f"of ``{anomaly.COMMAND}``, is not committed.",
            "",
        ]
    lines = anomaly.results_lines(content, ReST())
    return [provenance(path, repo_root), "", *lines, *settings_lines(content.get("settings"))]


class AnomalyResults(SphinxDirective):
    """``.. anomaly-results::``, without arguments."""

    def run(self):
        config = self.env.config
        results_dir = Path(config.benchmark_results_dir)
        self.env.note_dependency(str(results_dir / anomaly.RESULTS_FILE))
        lines = anomaly_lines(results_dir, config.benchmark_results_repo_root)
        container = nodes.container(classes=["benchmark-results"])
        source = str(results_dir / anomaly.RESULTS_FILE)
        self.state.nested_parse(StringList(lines, source=source), self.content_offset, container)
        return [container]


def setup(app):
    # benchmark_results registers the results folder's configuration values.
    app.setup_extension("benchmark_results")
    app.add_directive("anomaly-results", AnomalyResults)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
