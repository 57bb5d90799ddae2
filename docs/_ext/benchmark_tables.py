"""Committed benchmark results as reST: the text behind the ``benchmark-results`` directive.

The tables are the README's: ``benchmarks.render`` renders the committed results
files for both, here through :class:`ReST`, its writer for reST. This module adds
what only the documentation shows: where a file comes from (its last commit) and
the run's settings. Plain Python, no Sphinx, so ``tests/test_docs.py`` tests it.
"""

import html
import math
import subprocess
from pathlib import Path

from benchmarks import render
from benchmarks.report import MISSING


def escape(text):
    """``text`` as literal reST inline text."""
    for character in "\\`*_|":
        text = text.replace(character, "\\" + character)
    return text


def literal(text):
    """``text`` as reST inline code: shown as typed, "--" included."""
    return f"``{text}``"


def list_table(title, headings, rows, classes="benchmark-table"):
    """reST lines of a ``list-table`` with one header row."""
    lines = [f".. list-table:: {title}".rstrip(), "   :header-rows: 1", f"   :class: {classes}", ""]
    for row in [headings, *rows]:
        lines.append(f"   * - {row[0]}")
        lines.extend(f"     - {text}" for text in row[1:])
    return lines + [""]


def folded_lines(summary, lines):
    """``lines`` under an HTML line ``summary`` that unfolds them."""
    return [
        ".. raw:: html",
        "",
        f"   <details><summary>{html.escape(summary, quote=False)}</summary>",
        "",
        *lines,
        ".. raw:: html",
        "",
        "   </details>",
        "",
    ]


class ReST:
    """The documentation's writer for ``benchmarks.render``: reST."""

    def text(self, value):
        return escape(str(value))

    def code(self, value):
        return literal(value)

    def table(self, headings, rows, numeric):
        # The stylesheet aligns every column but the first right (custom.css).
        escaped = [[self.text(cell) for cell in row] for row in rows]
        return list_table("", [self.text(heading) for heading in headings], escaped)

    def folded(self, summary, lines):
        return folded_lines(summary, lines)


# Words of settings' names that are names: "n_jobs" reads "n jobs", "cpu_count" "CPU count".
ACRONYMS = {"cpu": "CPU", "ae": "AE", "pca": "PCA", "vae": "VAE"}


def words(field):
    """A setting's name as words."""
    return " ".join(ACRONYMS.get(word, word) for word in str(field).split("_"))


def describe(value, nested=False):
    """Plain text for any JSON value; lists inside others are bracketed."""
    if value is None or value == "":
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}" if math.isfinite(value) else str(value)
    if isinstance(value, list):
        text = ", ".join(describe(item, nested=True) for item in value)
        return f"({text})" if nested else text or MISSING
    if isinstance(value, dict):
        # The keys inside a value are names as the file writes them ("sk_autoencoder").
        if any(isinstance(item, dict) for item in value.values()):
            return "; ".join(f"{key} ({describe(item)})" for key, item in value.items())
        parts = [f"{key} {describe(item, nested=True)}" for key, item in value.items()]
        return ", ".join(parts) or MISSING
    return str(value)


# Settings whose value is a command, shown as code: as text, reST's smart quotes would
# typeset its "--out" as "–out", which a shell does not accept.
COMMAND_SETTINGS = ("command",)


def setting_text(key, value):
    """reST of one setting's value: a command as code, anything else as text."""
    if key in COMMAND_SETTINGS and isinstance(value, str) and value:
        return literal(value)
    return escape(describe(value))


def settings_lines(settings):
    """reST lines of the run's settings, a folded bullet list."""
    if not settings:
        return []
    items = [
        f"- {escape(words(key))}: {setting_text(key, value)}" for key, value in settings.items()
    ]
    return folded_lines("Settings of the run", [*items, ""])


def provenance(path, repo_root):
    """Where the file comes from: its path and, if git knows it, its last commit."""

    def git(*args):
        try:
            result = subprocess.run(
                ["git", *args], cwd=repo_root, capture_output=True, text=True, timeout=10
            )
        except (OSError, subprocess.SubprocessError):
            return ""
        return result.stdout.strip() if result.returncode == 0 else ""

    relative = _relative(path, repo_root)
    text = f"Rendered from ``{relative}``"
    last_commit = git("log", "-1", "--format=%h, %cs", "--", relative)
    changed = git("status", "--porcelain", "--", relative)
    if last_commit:
        text += f", last committed in {last_commit}"
        text += ", with changes not yet committed" if changed else ""
    elif changed:
        text += ", not yet committed"
    return text + "."


def _relative(path, repo_root):
    path, repo_root = Path(path).resolve(), Path(repo_root).resolve()
    return path.relative_to(repo_root).as_posix() if path.is_relative_to(repo_root) else str(path)


def results_paths(name, results_dir):
    """The files the section ``name`` (one of ``render.SECTIONS``) renders."""
    if name == "tabular_seeds":
        return render.seed_runs_paths(results_dir)
    if name == "training_cost":
        return render.training_cost_paths(results_dir)
    if name in render.MEASUREMENT_FILES:
        return [Path(results_dir) / render.MEASUREMENT_FILES[name][0]]
    runs = render.COMMITTED_RUNS.values() if name == "durations" else [render.COMMITTED_RUNS[name]]
    return [Path(results_dir) / run.file for run in runs]


def _seed_files_provenance(results_dir, repo_root):
    """One provenance line per committed file of the ``tabular_seeds`` section."""
    paths = [path for path in render.seed_runs_paths(results_dir) if path.exists()]
    return [f"- {provenance(path, repo_root)}" for path in paths]


def results_lines(name, results_dir, repo_root):
    """Every reST line of the section ``name``: the README's, with provenance and settings.

    Raises ``KeyError`` for a name not in ``render.SECTIONS``.
    """
    if name not in render.SECTIONS:
        raise KeyError(f"{name!r} is none of {', '.join(render.SECTIONS)}")
    lines = render.section_lines(name, results_dir, ReST())
    if name == "tabular_seeds":
        return [*_seed_files_provenance(results_dir, repo_root), "", *lines]
    if name == "training_cost" or name in render.MEASUREMENT_FILES:
        paths = [path for path in results_paths(name, results_dir) if path.exists()]
        return [*(f"- {provenance(path, repo_root)}" for path in paths), "", *lines]
    if name == "durations":
        return lines
    [path] = results_paths(name, results_dir)
    content = render.load_results(path)
    if content is None:
        return lines
    settings = content.get("settings") or {}
    return [provenance(path, repo_root), "", *lines, *settings_lines(settings)]
