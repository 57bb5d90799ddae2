"""Results as flat records: markdown tables for the terminal and the README, JSON and CSV files.

A record is a dict with the keys of ``FIELDS``; a measurement that does not apply
(no ``inverse_transform``, no labels, a skipped run) is ``None``.

Tables and text are written through a *writer*: ``text(value)`` escapes text,
``code(value)`` quotes code, ``table(headings, rows, numeric)`` and ``folded(summary,
lines)`` return lines. :class:`Markdown` writes the README and ``results.md``,
:class:`Terminal` what ``python -m benchmarks`` prints; the documentation has its own
(``docs/_ext/benchmark_tables.py``).
"""

import csv
import html
import json
import math
import re
import textwrap
from pathlib import Path

FIELDS = (
    "dataset",
    "method",
    "n_components",
    "sq_error_per_sample",
    "ratio_to_pca",
    "r2",
    "fit_seconds",
    "transform_rows_per_s",
    "peak_memory_mb",
    "logreg_accuracy",
    "knn_accuracy",
    "trustworthiness",
    "note",
)

MISSING = "—"


def format_significant(value):
    return f"{value:.3g}"


def format_error(value):
    # Two decimals, as in the MNIST reference table (13.35); fewer digits past 1000
    # (digits' 0-16 grey levels), significant ones below 1 (near-perfect codes).
    if abs(value) >= 1000:
        return f"{value:.1f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def format_three_decimals(value):
    return f"{value:.3f}"


def format_ratio(value):
    # Three decimals near 1, where the 1.02 threshold lies; powers of ten far above.
    return f"{value:.3f}" if value < 100 else f"{value:.3g}"


def error_ratio(error, reference_error):
    """``error / reference_error``; 1 when both are 0, infinite when only the reference is.

    None when either is missing (a skipped or failed run, a method that cannot
    reconstruct).
    """
    if error is None or reference_error is None:
        return None
    if reference_error > 0:
        return error / reference_error
    return 1.0 if error == 0 else math.inf


def _cell(record, field, columns):
    value = record.get(field)
    if value is None or value == "":
        return MISSING
    return columns[field][1](value)  # NaN shows as "nan": a diverged fit


def table_cells(records, columns) -> list[list[str]]:
    """The records' cells, one list per record: ``columns`` is ``{field: (heading, formatter)}``.

    A missing value shows as ``MISSING``.
    """
    return [[_cell(record, field, columns) for field in columns] for record in records]


def table_lines(records, columns, text_fields, fmt) -> list[str]:
    """The records as a table written by ``fmt``: ``columns`` as in :func:`markdown_table`."""
    numeric = [field not in text_fields for field in columns]
    headings = [heading for heading, _ in columns.values()]
    return fmt.table(headings, table_cells(records, columns), numeric)


def measurement_text(value) -> str:
    """A measured value as a measurements row shows it: floats to 4 significant digits."""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list):
        return "[" + ", ".join(measurement_text(item) for item in value) + "]"
    if isinstance(value, dict):
        return (
            "{" + ", ".join(f"{key}: {measurement_text(item)}" for key, item in value.items()) + "}"
        )
    return str(value)


def measurements_text(result) -> str:
    """A benchmark's result but its name, ``key=value, ...``: the perf and search tables' rows."""
    return ", ".join(
        f"{key}={measurement_text(value)}" for key, value in result.items() if key != "benchmark"
    )


def count_text(n, word) -> str:
    """``"1 run"``, ``"1,347 runs"``: ``n`` and ``word``, plural unless ``n`` is 1."""
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


def markdown_table(records, columns, text_fields) -> str:
    """A markdown table of the records, padded to line up in a terminal.

    Parameters
    ----------
    records : list of dict
        One row each.
    columns : dict
        ``{field: (heading, formatter)}`` of the columns shown, in order. A
        missing value shows as ``MISSING``.
    text_fields : tuple of str
        Fields aligned left; the others are numbers, aligned right.
    """
    headings = [heading for heading, _ in columns.values()]
    numeric = [field not in text_fields for field in columns]
    return markdown_grid(headings, table_cells(records, columns), numeric)


def markdown_grid(headings, rows, numeric) -> str:
    """A markdown table of cells already formatted (pandas' ``to_markdown``, via tabulate).

    ``numeric[i]`` says whether column ``i`` is aligned right (numbers) or left.
    """
    import pandas as pd

    frame = pd.DataFrame(list(rows), columns=list(headings), dtype=object)
    return frame.to_markdown(
        index=False,
        tablefmt="pipe",
        colalign=["right" if is_numeric else "left" for is_numeric in numeric],
        disable_numparse=True,
    )


class Markdown:
    """The README's and ``results.md``'s writer: GitHub markdown."""

    def text(self, value) -> str:
        """``value`` as literal text: markdown's special characters escaped."""
        text = re.sub(r"([\\`*|<\[\]])", r"\\\1", str(value))
        # GitHub reads "_" inside a word (s_curve) as text; only at its edges as emphasis.
        return re.sub(r"(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])", r"\\_", text)

    def code(self, value) -> str:
        return f"`{value}`"

    def table(self, headings, rows, numeric) -> list[str]:
        cells = [[self.text(cell) for cell in row] for row in rows]
        grid = markdown_grid([self.text(heading) for heading in headings], cells, numeric)
        return [*grid.split("\n"), ""]

    def folded(self, summary, lines) -> list[str]:
        """``lines`` under a line ``summary`` that unfolds them."""
        summary = html.escape(summary, quote=False)
        return [f"<details><summary>{summary}</summary>", "", *lines, "</details>", ""]


TERMINAL_WIDTH = 100


class Terminal:
    """The terminal's writer: text as it is, tables in markdown, nothing folded.

    :meth:`join` wraps the lines of text to ``TERMINAL_WIDTH`` columns; the tables'
    columns are chosen to fit it.
    """

    def text(self, value) -> str:
        return str(value)

    def code(self, value) -> str:
        return str(value)

    def table(self, headings, rows, numeric) -> list[str]:
        return [*markdown_grid(headings, rows, numeric).split("\n"), ""]

    def folded(self, summary, lines) -> list[str]:
        return [f"## {summary}", "", *lines]

    def join(self, lines) -> str:
        """The lines as one text, each line of text wrapped; table rows as they are."""
        wrapped = []
        for line in lines:
            if line.startswith("|") or len(line) <= TERMINAL_WIDTH:
                wrapped.append(line)
            else:
                wrapped += textwrap.wrap(line, TERMINAL_WIDTH, break_on_hyphens=False)
        return "\n".join(wrapped)


def quick_heading(note: str) -> str:
    """The line above a ``--quick`` table, so that it does not pass for the headline one."""
    return f"{note} (fewer epochs than the estimators' defaults; not the headline results)\n"


def _finite_or_none(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _finite_records(records):
    return [
        {field: _finite_or_none(value) for field, value in record.items()} for record in records
    ]


def write_json(records, path: Path, settings: dict, **sections):
    """Write ``{"settings": ..., "results": [record, ...]}``.

    Missing values, and NaN or infinite ones (which JSON cannot hold), are null.
    ``sections`` are further lists of records stored under their own keys (the
    tabular suite's ``summary``).
    """
    content = {"settings": settings, "results": _finite_records(records)}
    content.update({key: _finite_records(value) for key, value in sections.items()})
    Path(path).write_text(json.dumps(content, indent=2, allow_nan=False) + "\n")


def write_csv(records, path: Path, fields=FIELDS):
    """Write one row per record, with the columns ``fields``; missing values are empty."""
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        for record in records:
            writer.writerow({field: record.get(field) for field in fields})
