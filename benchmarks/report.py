"""Results as flat records: a markdown table for the terminal, JSON and CSV files.

A record is a dict with the keys of ``FIELDS``; a measurement that does not apply
(no ``inverse_transform``, no labels, a skipped run) is ``None``.
"""

import csv
import json
import math
from pathlib import Path

FIELDS = (
    "dataset",
    "method",
    "n_components",
    "sq_error_per_sample",
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


def _significant(value):
    return f"{value:.3g}"


def _error(value):
    # Two decimals, as in the MNIST reference table (13.35); fewer digits past 1000
    # (digits' 0-16 grey levels), significant ones below 1 (near-perfect codes).
    if abs(value) >= 1000:
        return f"{value:.1f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def _three_decimals(value):
    return f"{value:.3f}"


# (heading, formatter) per field shown in the table.
TABLE_COLUMNS = {
    "dataset": ("dataset", str),
    "method": ("method", str),
    "n_components": ("code", str),
    "sq_error_per_sample": ("sq err/sample", _error),
    "r2": ("R2", _three_decimals),
    "fit_seconds": ("fit s", _significant),
    "transform_rows_per_s": ("transform rows/s", lambda value: f"{value:,.0f}"),
    "peak_memory_mb": ("peak MiB", lambda value: f"{value:.1f}"),
    "logreg_accuracy": ("logreg acc", _three_decimals),
    "knn_accuracy": ("5-NN acc", _three_decimals),
    "trustworthiness": ("trust", _three_decimals),
    "note": ("note", str),
}

NUMERIC_FIELDS = [
    field for field in FIELDS if field not in ("dataset", "method", "n_components", "note")
]


def _cell(record, field):
    value = record.get(field)
    if value is None or value == "":
        return MISSING
    return TABLE_COLUMNS[field][1](value)  # NaN shows as "nan": a diverged fit


def markdown_table(records) -> str:
    """A markdown table of the records, padded to line up in a terminal."""
    headings = [heading for heading, _ in TABLE_COLUMNS.values()]
    rows = [[_cell(record, field) for field in TABLE_COLUMNS] for record in records]
    widths = [max(len(text) for text in column) for column in zip(headings, *rows, strict=True)]
    numeric = [field in NUMERIC_FIELDS or field == "n_components" for field in TABLE_COLUMNS]

    def line(cells):
        padded = [
            cell.rjust(width) if is_numeric else cell.ljust(width)
            for cell, width, is_numeric in zip(cells, widths, numeric, strict=True)
        ]
        return "| " + " | ".join(padded) + " |"

    separator = [
        "-" * (width - 1) + ":" if is_numeric else "-" * width
        for width, is_numeric in zip(widths, numeric, strict=True)
    ]
    return "\n".join([line(headings), line(separator), *map(line, rows)])


def _finite_or_none(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_json(records, path: Path, settings: dict):
    """Write ``{"settings": ..., "results": [record, ...]}``.

    Missing values, and NaN or infinite ones (which JSON cannot hold), are null.
    """
    results = [
        {field: _finite_or_none(value) for field, value in record.items()} for record in records
    ]
    content = {"settings": settings, "results": results}
    Path(path).write_text(json.dumps(content, indent=2, allow_nan=False) + "\n")


def write_csv(records, path: Path):
    """Write one row per record; missing values are empty cells."""
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS)
        writer.writeheader()
        for record in records:
            writer.writerow({field: record.get(field) for field in FIELDS})
